// The webhook address policy and URL shape checks (table-driven), and the retry schedule.
#include <gtest/gtest.h>

#include "domain/webhook_codec.h"
#include "service/webhook_service.h"

namespace klozeo::domain {
namespace {

TEST(WebhookAddress, BlockedRangesAndTheirReasons) {
  struct Case {
    const char* ip;
    const char* reason;  // nullptr: allowed
  } cases[] = {
      {"127.0.0.1", "loopback"},
      {"127.255.0.9", "loopback"},
      {"10.0.0.1", "private"},
      {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},
      {"172.32.0.1", nullptr},
      {"192.168.1.1", "private"},
      {"169.254.169.254", "link-local"},
      {"0.0.0.0", "unspecified"},
      {"100.64.0.1", "shared address space"},
      {"224.0.0.1", "multicast"},
      {"255.255.255.255", "reserved"},
      {"8.8.8.8", nullptr},
      {"93.184.216.34", nullptr},
      {"::1", "loopback"},
      {"::", "unspecified"},
      {"::ffff:127.0.0.1", "loopback"},
      {"::ffff:10.1.2.3", "private"},
      {"::ffff:169.254.169.254", "link-local"},
      {"::127.0.0.1", "loopback"},
      {"64:ff9b::a9fe:a9fe", "link-local"},
      {"2002:7f00:1::", "loopback"},
      {"fc00::1", "unique-local"},
      {"fd12:3456::1", "unique-local"},
      {"fe80::1", "link-local"},
      {"ff02::1", "multicast"},
      {"2606:4700::1111", nullptr},
      {"::ffff:8.8.8.8", nullptr},
      {"example.com", nullptr},
  };
  for (const auto& c : cases) {
    auto reason = BlockedAddressReason(c.ip);
    if (c.reason == nullptr) {
      EXPECT_FALSE(reason.has_value()) << c.ip << " -> " << *reason;
    } else {
      ASSERT_TRUE(reason.has_value()) << c.ip;
      EXPECT_EQ(*reason, c.reason) << c.ip;
    }
  }
}

TEST(WebhookUrl, ShapesAcceptedAndRefused) {
  auto ok = ParseWebhookUrl("HTTPS://Example.COM:8443/hooks?x=1");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->scheme, "https");
  EXPECT_EQ(ok->host, "example.com");
  EXPECT_EQ(ok->port, 8443);
  auto v6 = ParseWebhookUrl("http://[::1]/x");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 80);
  auto user = ParseWebhookUrl("http://user:pw@10.0.0.1/x");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->host, "10.0.0.1");
  for (const char* bad : {"ftp://x/", "//x/", "http:///x", "http://x:0/", "http://x:99999/",
                          "http://[::1/", "http://[nope]/", "http://a b/", "file:///etc/passwd",
                          "javascript:alert(1)", "http://x:12ab/"}) {
    EXPECT_FALSE(ParseWebhookUrl(bad).ok()) << bad;
  }
}

TEST(WebhookRetry, ScheduleScalesWithTheBaseAndEndsAfterElevenAttempts) {
  using service::RetryDelayMs;
  EXPECT_EQ(RetryDelayMs(1, 5000, 0.5), 5000);
  EXPECT_EQ(RetryDelayMs(2, 5000, 0.5), 30000);
  EXPECT_EQ(RetryDelayMs(10, 5000, 0.5), 86400000);
  EXPECT_FALSE(RetryDelayMs(11, 5000, 0.5).has_value());
  EXPECT_EQ(RetryDelayMs(1, 100, 0.5), 100);
  EXPECT_EQ(RetryDelayMs(2, 100, 0.5), 600);
  EXPECT_EQ(RetryDelayMs(1, 5000, 0.0), 4000);  // -20% jitter
  EXPECT_EQ(RetryDelayMs(1, 5000, 1.0), 6000);  // +20% jitter
}

TEST(WebhookRetry, ASubscriptionFailingForThreeDaysIsSwitchedOff) {
  Webhook hook;
  hook.active = true;
  hook.failing_since_ms = 1000;
  EXPECT_FALSE(service::FailingTooLong(hook, 1000 + kWebhookFailureWindowMs - 1));
  EXPECT_TRUE(service::FailingTooLong(hook, 1000 + kWebhookFailureWindowMs));
  hook.active = false;
  EXPECT_FALSE(service::FailingTooLong(hook, 1000 + kWebhookFailureWindowMs)) << "already off";
  hook.active = true;
  hook.failing_since_ms.reset();
  EXPECT_FALSE(service::FailingTooLong(hook, 1000 + kWebhookFailureWindowMs)) << "not failing";
}

}  // namespace
}  // namespace klozeo::domain
