// IdempotencyService over a real database (SQLite, and PostgreSQL as the `.pg` variants): claiming,
// replaying, releasing, taking over an abandoned key, giving up on a slow one, and the sweep of
// expired keys.
#include "service/idempotency.h"

#include <gtest/gtest.h>

#include "app/wiring.h"
#include "support/test_server.h"

namespace klozeo::service {
namespace {

const domain::AccountKey kAcct{1};
const domain::AccountKey kOther{2};

using Kind = IdempotencyService::Kind;

class IdempotencyServiceTest : public ::testing::Test {
 protected:
  IdempotencyServiceTest() : clock_(1700000000000) {
    auto db = app::OpenDatabase(database_.url(), 2);
    EXPECT_TRUE(db.ok());
    db_ = std::move(*db);
  }
  int64_t Stored() {
    auto tx = db_->Begin(storage::TxMode::kWrite);
    // Everything older than "now + 1 day" is everything.
    auto n = (*tx)->idempotency().Purge(clock_.NowMillis() + 24LL * 3600 * 1000 + 1);
    EXPECT_TRUE(n.ok());
    return *n;  // rolled back with the Tx: only counted
  }
  klozeo::testing::TestDatabase database_;
  core::ManualClock clock_;
  std::unique_ptr<storage::Database> db_;
};

TEST_F(IdempotencyServiceTest, ClaimCompleteReplayAndConflict) {
  IdempotencyService service(*db_, clock_);
  const auto fp = IdempotencyService::Fingerprint("POST", "/api/v1/leads", "{}");
  auto first = service.Begin(kAcct, "k", fp);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->kind, Kind::kProceed);
  StoredResponse response{
      201, {{"content-type", "application/json"}, {"X-Extra", "1"}}, "{\"id\":1}"};
  ASSERT_TRUE(service.Complete(kAcct, "k", response).ok());
  auto again = service.Begin(kAcct, "k", fp);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->kind, Kind::kReplay);
  EXPECT_EQ(again->replay.status, 201);
  EXPECT_EQ(again->replay.body, "{\"id\":1}");
  EXPECT_EQ(again->replay.headers, response.headers);
  auto other = service.Begin(kAcct, "k", IdempotencyService::Fingerprint("POST", "/x", "{}"));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->kind, Kind::kConflict);
  EXPECT_EQ(service.Begin(kOther, "k", fp)->kind, Kind::kProceed);
}

TEST_F(IdempotencyServiceTest, ReleasedKeysCanBeClaimedAgain) {
  IdempotencyService service(*db_, clock_);
  const auto fp = IdempotencyService::Fingerprint("POST", "/p", "");
  ASSERT_EQ(service.Begin(kAcct, "k", fp)->kind, Kind::kProceed);
  service.Release(kAcct, "k");  // e.g. the handler answered 503
  EXPECT_EQ(service.Begin(kAcct, "k", fp)->kind, Kind::kProceed);
}

TEST_F(IdempotencyServiceTest, AWaiterGivesUpOnASlowFirstRequest) {
  IdempotencyService::Options options;
  options.wait_ms = 100;
  IdempotencyService service(*db_, clock_, options);
  const auto fp = IdempotencyService::Fingerprint("POST", "/p", "");
  ASSERT_EQ(service.Begin(kAcct, "k", fp)->kind, Kind::kProceed);
  // The first request never completes within the wait.
  EXPECT_EQ(service.Begin(kAcct, "k", fp)->kind, Kind::kInProgress);
}

TEST_F(IdempotencyServiceTest, AnAbandonedClaimIsTakenOver) {
  IdempotencyService service(*db_, clock_);
  const auto fp = IdempotencyService::Fingerprint("POST", "/p", "");
  ASSERT_EQ(service.Begin(kAcct, "k", fp)->kind, Kind::kProceed);
  clock_.AdvanceMillis(10LL * 60 * 1000 + 1);  // its process died long ago
  EXPECT_EQ(service.Begin(kAcct, "k", fp)->kind, Kind::kProceed);
}

TEST_F(IdempotencyServiceTest, ExpiredKeysAreSweptHourly) {
  IdempotencyService service(*db_, clock_);
  const auto fp = IdempotencyService::Fingerprint("POST", "/p", "");
  for (const char* key : {"a", "b", "c"}) {
    ASSERT_EQ(service.Begin(kAcct, key, fp)->kind, Kind::kProceed);
    ASSERT_TRUE(service.Complete(kAcct, key, StoredResponse{200, {}, "{}"}).ok());
  }
  EXPECT_EQ(Stored(), 3);
  clock_.AdvanceMillis(25LL * 3600 * 1000);
  // Any new claim sweeps what expired (at most once an hour).
  ASSERT_EQ(service.Begin(kAcct, "d", fp)->kind, Kind::kProceed);
  EXPECT_EQ(Stored(), 1);
}

TEST_F(IdempotencyServiceTest, MalformedKeysAreBadRequests) {
  IdempotencyService service(*db_, clock_);
  for (const std::string& key : {std::string(), std::string(256, 'x'), std::string("caf\xc3\xa9"),
                                 std::string("tab\there")}) {
    auto r = service.Begin(kAcct, key, "fp");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, core::ErrorCode::kBadRequest);
  }
  EXPECT_TRUE(service.Begin(kAcct, std::string(255, 'x'), "fp").ok());
}

}  // namespace
}  // namespace klozeo::service
