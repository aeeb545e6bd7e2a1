#pragma once

#include <gtest/gtest.h>

#include <string>

#include "support/http_client.h"

namespace klozeo::testing {

/// Checks an error response: status, JSON content type, and the contract's body
/// `{"error", "message", "code"}` with `code`, and `message_part` in the message when given.
inline void ExpectError(const HttpResult& r, int status, const std::string& code,
                        const std::string& message_part = "") {
  EXPECT_EQ(r.status, status) << r.body;
  nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_EQ(body["code"], code) << r.body;
  EXPECT_TRUE(body["error"].is_string() && !body["error"].get<std::string>().empty()) << r.body;
  EXPECT_TRUE(body["message"].is_string()) << r.body;
  if (!message_part.empty()) {
    EXPECT_NE(body["message"].get<std::string>().find(message_part), std::string::npos)
        << "expected '" << message_part << "' in " << r.body;
  }
  EXPECT_EQ(r.header("content-type"), "application/json");
}

}  // namespace klozeo::testing
