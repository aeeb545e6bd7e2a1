// The one status table, and the line between what the client reads and what the log keeps.
#include "http/errors.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace klozeo::http {
namespace {

using core::Error;
using core::ErrorCode;

TEST(ErrorResponse, DetailNeverReachesTheBody) {
  for (ErrorCode code : {ErrorCode::kConflict, ErrorCode::kInternal, ErrorCode::kUnavailable,
                         ErrorCode::kStorageFull, ErrorCode::kStorageReadOnly}) {
    Error e = Error::Storage(code, "sqlite query failed: UNIQUE constraint failed: accounts.name");
    Response r = ErrorResponse(e);
    EXPECT_EQ(r.body.find("constraint"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("sqlite"), std::string::npos) << r.body;
    EXPECT_NE(e.ForLog().find("UNIQUE constraint failed: accounts.name"), std::string::npos);
    auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["message"], core::ClientMessageFor(code));
    EXPECT_EQ(body["code"], core::ErrorCodeName(code));
  }
}

TEST(ErrorResponse, StatusTable) {
  EXPECT_EQ(StatusFor(ErrorCode::kStorageFull), 507);
  EXPECT_EQ(StatusFor(ErrorCode::kStorageReadOnly), 503);
  EXPECT_EQ(StatusFor(ErrorCode::kIdempotencyConflict), 409);
  Response full =
      ErrorResponse(Error::Storage(ErrorCode::kStorageFull, "database or disk is full"));
  EXPECT_EQ(full.status, 507);
  auto body = nlohmann::json::parse(full.body);
  EXPECT_EQ(body["error"], "Insufficient Storage");
  EXPECT_EQ(body["code"], "insufficient_storage");
  EXPECT_NE(body["message"].get<std::string>().find("disk is full"), std::string::npos);

  Response conflict = ErrorResponse(Error{ErrorCode::kIdempotencyConflict, "key reused"});
  EXPECT_EQ(conflict.status, 409);
  body = nlohmann::json::parse(conflict.body);
  EXPECT_EQ(body["code"], "idempotency_conflict");
  EXPECT_EQ(body["message"], "key reused");
  EXPECT_EQ(body["error"], "Conflict");
}

}  // namespace
}  // namespace klozeo::http
