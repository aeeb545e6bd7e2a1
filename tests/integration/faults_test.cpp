// Faults outside the process, on the real binary: the SQLite file's disk fills up or refuses
// writes, PostgreSQL goes read-only or restarts under load. Writes are refused with a clear
// status, reads keep working, /healthz says "degraded", and once the database is back no
// request fails (issue #17). PostgreSQL's disk fills up too, under a tablespace of its own.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "support/serve_process.h"
#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const std::string kKey = "sk_live_f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0";

json NewLead(int i) { return json{{"name", "Lead " + std::to_string(i)}, {"source", "faults"}}; }

/// The value of the series `name{labels}` in a /metrics scrape, or -1.
double Sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

/// Fills the filesystem holding `path` with one file until a write fails with ENOSPC.
void FillUp(const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary);
  std::string block(64 * 1024, 'x');
  while (out.write(block.data(), static_cast<std::streamsize>(block.size())) && out.flush()) {
  }
  std::string small(512, 'x');
  out.clear();
  for (int i = 0; i < 4096 && out.write(small.data(), 512) && out.flush(); ++i) {
  }
}

/// A tmpfs of `megabytes` mounted on a fresh directory, unmounted at the end.
class SmallTmpfs {
 public:
  explicit SmallTmpfs(int megabytes) {
    std::string options = "size=" + std::to_string(megabytes) + "m";
    mounted_ = mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, options.c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~SmallTmpfs() {
    if (mounted_) umount2(dir_.path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::filesystem::path& path() const { return dir_.path(); }

 private:
  TempDir dir_;
  bool mounted_ = false;
  std::string error_;
};

TEST(SqliteFaults, DiskFullAnswers507ReadsKeepWorkingAndHealthzIsDegraded) {
  SmallTmpfs disk(8);
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << disk.error()
                 << "): needs root; SqliteFaults.WriteErrors covers the refused-write path";
  }
  ServeProcess serve(KLOZEO_BINARY, "sqlite:" + (disk.path() / "k.db").string(),
                     {{"KLOZEO_BOOTSTRAP_KEY", kKey}});
  ASSERT_NE(serve.port(), 0) << serve.output();
  HttpClient api(serve.port(), kKey);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(api.Post("/api/v1/leads", NewLead(i)).status, 201);

  FillUp(disk.path() / "filler");
  auto refused = api.Post("/api/v1/leads", NewLead(100));
  ASSERT_EQ(refused.status, 507) << refused.body;
  json body = refused.json();
  EXPECT_EQ(body["code"], "insufficient_storage");
  EXPECT_NE(body["message"].get<std::string>().find("disk is full"), std::string::npos);
  EXPECT_EQ(refused.body.find("sqlite"), std::string::npos) << refused.body;

  auto list = api.Get("/api/v1/leads");
  EXPECT_EQ(list.status, 200) << "reads keep working: " << list.body;
  EXPECT_EQ(list.json()["count"], 5);
  auto health = api.Get("/healthz");
  EXPECT_EQ(health.status, 503) << health.body;
  EXPECT_EQ(health.json()["status"], "degraded");
  EXPECT_EQ(health.json()["reason"], "insufficient_storage");
  EXPECT_GE(Sample(api.Get("/metrics").body, "klozeo_storage_faults_total{kind=\"disk_full\"}"), 1);

  // Space freed: writes go through again and the server is healthy.
  std::filesystem::remove(disk.path() / "filler");
  EXPECT_EQ(api.Post("/api/v1/leads", NewLead(101)).status, 201);
  EXPECT_EQ(api.Get("/healthz").status, 200);
  EXPECT_EQ(serve.SignalAndWait(SIGTERM), 0);
}

TEST(SqliteFaults, WriteErrorsAnswer503AndReadsKeepWorking) {
  TempDir dir;
  // The server inherits the ignored SIGXFSZ: a write past its file-size limit fails with EFBIG
  // (SQLite: SQLITE_IOERR) instead of killing it.
  signal(SIGXFSZ, SIG_IGN);
  ServeProcess serve(KLOZEO_BINARY, "sqlite:" + (dir.path() / "k.db").string(),
                     {{"KLOZEO_BOOTSTRAP_KEY", kKey}});
  signal(SIGXFSZ, SIG_DFL);
  ASSERT_NE(serve.port(), 0) << serve.output();
  HttpClient api(serve.port(), kKey);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(api.Post("/api/v1/leads", NewLead(i)).status, 201);

  rlimit tiny{1, RLIM_INFINITY};  // the soft limit only: raising it back needs no privilege
  rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  ASSERT_EQ(prlimit(serve.pid(), RLIMIT_FSIZE, &tiny, nullptr), 0) << std::strerror(errno);
  auto refused = api.Post("/api/v1/leads", NewLead(100));
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json()["code"], "storage_read_only") << refused.body;
  EXPECT_EQ(refused.body.find("sqlite"), std::string::npos) << refused.body;
  auto list = api.Get("/api/v1/leads");
  EXPECT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json()["count"], 3);
  auto health = api.Get("/healthz");
  EXPECT_EQ(health.status, 503);
  EXPECT_EQ(health.json()["reason"], "storage_read_only") << health.body;
  EXPECT_GE(Sample(api.Get("/metrics").body, "klozeo_storage_faults_total{kind=\"read_only\"}"), 1);

  ASSERT_EQ(prlimit(serve.pid(), RLIMIT_FSIZE, &unlimited, nullptr), 0);
  EXPECT_EQ(api.Post("/api/v1/leads", NewLead(101)).status, 201);
  EXPECT_EQ(api.Get("/healthz").status, 200);
  EXPECT_EQ(serve.SignalAndWait(SIGTERM), 0);
}

/// Sets the immutable attribute of `file` (chattr +i: not even root may open it for writing),
/// cleared again on destruction; `set()` is false where the filesystem does not support it.
class Immutable {
 public:
  explicit Immutable(const std::filesystem::path& file) : file_(file) {
    set_ = std::system(("chattr +i '" + file_.string() + "' 2>/dev/null").c_str()) == 0;
  }
  ~Immutable() {
    if (set_) std::system(("chattr -i '" + file_.string() + "'").c_str());
  }
  bool set() const { return set_; }

 private:
  std::filesystem::path file_;
  bool set_ = false;
};

TEST(SqliteFaults, AReadOnlyDatabaseFileAnswers503AndReadsKeepWorking) {
  TempDir dir;
  std::string db = "sqlite:" + (dir.path() / "k.db").string();
  std::string first_id;
  {
    ServeProcess serve(KLOZEO_BINARY, db, {{"KLOZEO_BOOTSTRAP_KEY", kKey}});
    ASSERT_NE(serve.port(), 0) << serve.output();
    HttpClient api(serve.port(), kKey);
    for (int i = 0; i < 3; ++i) {
      auto created = api.Post("/api/v1/leads", NewLead(i));
      ASSERT_EQ(created.status, 201) << created.body;
      if (i == 0) first_id = created.json()["id"];
    }
    ASSERT_EQ(serve.SignalAndWait(SIGTERM), 0);
  }
  // The server starts again on the same file, which it can only open read-only now: SQLite
  // answers SQLITE_READONLY to every write.
  Immutable immutable(dir.path() / "k.db");
  if (!immutable.set()) {
    GTEST_SKIP() << "chattr +i is not supported here (needs root and a filesystem with the "
                    "immutable attribute); SqliteFaults.WriteErrors covers the refused-write path";
  }
  ServeProcess serve(KLOZEO_BINARY, db, {{"KLOZEO_BOOTSTRAP_KEY", kKey}});
  ASSERT_NE(serve.port(), 0) << serve.output();
  HttpClient api(serve.port(), kKey);
  auto refused = api.Post("/api/v1/leads", NewLead(100));
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json()["code"], "storage_read_only") << refused.body;
  EXPECT_EQ(refused.body.find("readonly"), std::string::npos) << refused.body;
  EXPECT_EQ(refused.body.find("sqlite"), std::string::npos) << refused.body;
  auto lead = api.Get("/api/v1/leads/" + first_id);
  EXPECT_EQ(lead.status, 200) << lead.body;
  auto list = api.Get("/api/v1/leads");
  EXPECT_EQ(list.status, 200) << "reads keep working: " << list.body;
  EXPECT_EQ(list.json()["count"], 3);
  auto health = api.Get("/healthz");
  EXPECT_EQ(health.status, 503);
  EXPECT_EQ(health.json()["reason"], "storage_read_only") << health.body;
  EXPECT_GE(Sample(api.Get("/metrics").body, "klozeo_storage_faults_total{kind=\"read_only\"}"), 1);
  EXPECT_EQ(serve.SignalAndWait(SIGTERM), 0);
}

// --- PostgreSQL: a cluster of this test's own (scripts/with-postgres.sh exports where) ---

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

/// pg_ctl on the cluster with-postgres.sh started, as the user it runs as.
int PgCtl(const std::string& args) {
  std::string run = Env("KLOZEO_TEST_PG_RUNAS");
  std::string cmd = (run.empty() ? "" : "runuser -u " + run + " -- ") + Env("KLOZEO_TEST_PG_BIN") +
                    "/pg_ctl -D " + Env("KLOZEO_TEST_PG_DATA") + " -l " +
                    Env("KLOZEO_TEST_PG_DATA") + "/../server.log " + args + " >/dev/null 2>&1";
  return std::system(cmd.c_str());
}

void PgExec(const std::string& sql) {
  PGconn* conn = PQconnectdb(Env("KLOZEO_TEST_PG_DSN").c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* r = PQexec(conn, sql.c_str());
  std::string msg = PQresultErrorMessage(r);
  ExecStatusType status = PQresultStatus(r);
  PQclear(r);
  PQfinish(conn);
  ASSERT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) << sql << ": " << msg;
}

class PgFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Env("KLOZEO_TEST_PG_DATA").empty()) {
      GTEST_SKIP() << "KLOZEO_TEST_PG_DATA is not set: run through scripts/with-postgres.sh "
                      "(ctest: faults.postgres), which gives this test a cluster of its own";
    }
  }
};

/// Requests sent by `threads` clients (a write, then a read, in turn) until `stop`.
class Load {
 public:
  Load(const HttpClient& api, int threads) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, &api, t] {
        for (int i = 0; !stop_.load(); ++i) {
          auto started = Clock::now();
          int status = (i % 2 == 0) ? api.Post("/api/v1/leads", NewLead(t * 1000000 + i)).status
                                    : api.Get("/api/v1/leads?limit=5").status;
          std::lock_guard<std::mutex> lock(mu_);
          outcomes_.push_back({started, status});
        }
      });
    }
  }
  ~Load() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& th : threads_) {
      if (th.joinable()) th.join();
    }
  }
  /// Requests sent at or after `since`, and how many of them failed.
  std::pair<int, int> SentSince(Clock::time_point since) {
    std::lock_guard<std::mutex> lock(mu_);
    int sent = 0, failed = 0;
    for (const auto& [started, status] : outcomes_) {
      if (started < since) continue;
      ++sent;
      if (status != 200 && status != 201) ++failed;
    }
    return {sent, failed};
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<Clock::time_point, int>> outcomes_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

TEST_F(PgFaults, NoRequestFailsOnceTheDatabaseIsBackAfterARestart) {
  ServeProcess serve(KLOZEO_BINARY, Env("KLOZEO_TEST_PG_DSN"), {{"KLOZEO_BOOTSTRAP_KEY", kKey}}, "",
                     {"--pool-size", "8", "--threads", "4"});
  ASSERT_NE(serve.port(), 0) << serve.output();
  HttpClient api(serve.port(), kKey);
  ASSERT_EQ(api.Post("/api/v1/leads", NewLead(0)).status, 201);

  // 1. The pool fills under load, then sits idle while PostgreSQL restarts: every pooled
  // connection is stale when the load comes back.
  {
    Load load(api, 4);
    std::this_thread::sleep_for(std::chrono::seconds(1));  // load, to open connections
  }
  ASSERT_EQ(PgCtl("-m fast -w -t 60 restart"), 0);
  auto back = Clock::now();  // `-w`: the database accepts connections again
  {
    Load load(api, 4);
    std::this_thread::sleep_for(std::chrono::seconds(2));  // load after the restart
    load.Stop();
    auto [sent, failed] = load.SentSince(back);
    EXPECT_GT(sent, 20);
    EXPECT_EQ(failed, 0) << "of " << sent << " requests after an idle restart";
  }

  // 2. A restart under load: requests fail while the database is down, none once it is back.
  {
    Load load(api, 4);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    ASSERT_EQ(PgCtl("-m fast -w -t 60 restart"), 0);
    back = Clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    load.Stop();
    auto [sent, failed] = load.SentSince(back);
    EXPECT_GT(sent, 20);
    EXPECT_EQ(failed, 0) << "of " << sent << " requests sent once the database was back";
  }
  EXPECT_EQ(serve.SignalAndWait(SIGTERM), 0);
}

TEST_F(PgFaults, ReadOnlyTransactionsAnswer503AndReadsKeepWorking) {
  ServeProcess serve(KLOZEO_BINARY, Env("KLOZEO_TEST_PG_DSN"), {{"KLOZEO_BOOTSTRAP_KEY", kKey}});
  ASSERT_NE(serve.port(), 0) << serve.output();
  HttpClient api(serve.port(), kKey);
  ASSERT_EQ(api.Post("/api/v1/leads", NewLead(0)).status, 201);
  ASSERT_EQ(api.Post("/api/v1/leads", NewLead(1)).status, 201);
  {
    // Another process pages once, so the cursor secret exists in the database; this server
    // has not read it yet.
    ServeProcess other(KLOZEO_BINARY, Env("KLOZEO_TEST_PG_DSN"), {{"KLOZEO_BOOTSTRAP_KEY", kKey}});
    ASSERT_NE(other.port(), 0) << other.output();
    ASSERT_EQ(HttpClient(other.port(), kKey).Get("/api/v1/leads?limit=1").status, 200);
  }

  PgExec("ALTER SYSTEM SET default_transaction_read_only = on");
  PgExec("SELECT pg_reload_conf()");
  // Sessions take the reloaded setting at their next command: wait until writes are refused.
  HttpResult refused;
  auto deadline = Clock::now() + std::chrono::seconds(10);
  do {
    refused = api.Post("/api/v1/leads", NewLead(1));
  } while (refused.status == 201 && Clock::now() < deadline);
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json()["code"], "storage_read_only") << refused.body;
  EXPECT_EQ(refused.body.find("read-only transaction"), std::string::npos) << refused.body;
  EXPECT_EQ(api.Get("/api/v1/leads").status, 200) << "reads keep working";
  auto health = api.Get("/healthz");
  EXPECT_EQ(health.status, 503);
  EXPECT_EQ(health.json()["status"], "degraded") << health.body;
  // Paging reads the cursor secret, never writes it.
  auto first = api.Get("/api/v1/leads?limit=1");
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_TRUE(first.json()["next_cursor"].is_string()) << first.body;
  auto second =
      api.Get("/api/v1/leads?limit=1&cursor=" + first.json()["next_cursor"].get<std::string>());
  EXPECT_EQ(second.status, 200) << second.body;

  PgExec("ALTER SYSTEM RESET default_transaction_read_only");
  PgExec("SELECT pg_reload_conf()");
  deadline = Clock::now() + std::chrono::seconds(10);
  int status = 0;
  do {
    status = api.Post("/api/v1/leads", NewLead(2)).status;
  } while (status != 201 && Clock::now() < deadline);
  EXPECT_EQ(status, 201);
  EXPECT_EQ(api.Get("/healthz").status, 200);
  EXPECT_EQ(serve.SignalAndWait(SIGTERM), 0);
}

/// A database of its own whose tables and indexes go to a tablespace on `disk` (through the
/// database's default_tablespace setting): only their files hit ENOSPC, while the WAL and the
/// catalogs stay on the cluster's disk. Dropped, database then tablespace, on destruction.
class PgDatabaseOnDisk {
 public:
  explicit PgDatabaseOnDisk(const std::filesystem::path& disk) : dir_(disk / "tablespace") {
    std::filesystem::create_directory(dir_);
    std::string run = Env("KLOZEO_TEST_PG_RUNAS");
    if (const passwd* pw = run.empty() ? nullptr : getpwnam(run.c_str()); pw != nullptr) {
      EXPECT_EQ(chown(dir_.c_str(), pw->pw_uid, pw->pw_gid), 0) << std::strerror(errno);
    }
    PgExec("CREATE TABLESPACE klozeo_small LOCATION '" + dir_.string() + "'");
    PgExec("CREATE DATABASE klozeo_full");
    PgExec("ALTER DATABASE klozeo_full SET default_tablespace = klozeo_small");
  }
  ~PgDatabaseOnDisk() {
    PgExec("DROP DATABASE IF EXISTS klozeo_full WITH (FORCE)");
    PgExec("DROP TABLESPACE IF EXISTS klozeo_small");
  }
  std::string url() const { return WithDatabase(Env("KLOZEO_TEST_PG_DSN"), "klozeo_full"); }

 private:
  std::filesystem::path dir_;
};

TEST_F(PgFaults, DiskFullAnswers507ReadsKeepWorkingAndHealthzIsDegraded) {
  SmallTmpfs disk(8);
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << disk.error()
                 << "): needs root; PgFaults.ReadOnlyTransactions covers the refused-write path";
  }
  PgDatabaseOnDisk db(disk.path());
  ServeProcess serve(KLOZEO_BINARY, db.url(), {{"KLOZEO_BOOTSTRAP_KEY", kKey}});
  ASSERT_NE(serve.port(), 0) << serve.output();
  HttpClient api(serve.port(), kKey);
  std::vector<int> statuses;  // of every request: none may be a 500
  auto created = api.Post("/api/v1/leads", NewLead(0));
  ASSERT_EQ(created.status, 201) << created.body;
  std::string first_id = created.json()["id"];
  int stored = 1;

  // The disk is full but for what PostgreSQL's pages already hold: leads go in until a table
  // or an index needs a new page (SQLSTATE 53100).
  FillUp(disk.path() / "filler");
  HttpResult refused;
  for (int i = 1; i <= 500; ++i) {
    refused = api.Post("/api/v1/leads", NewLead(i));
    statuses.push_back(refused.status);
    if (refused.status != 201) break;
    ++stored;
  }
  ASSERT_EQ(refused.status, 507) << "after " << stored << " leads: " << refused.body;
  json body = refused.json();
  EXPECT_EQ(body["code"], "insufficient_storage");
  EXPECT_NE(body["message"].get<std::string>().find("disk is full"), std::string::npos)
      << refused.body;
  for (const char* leak : {"could not extend", "No space", "tablespace", "53100", "pg_"}) {
    EXPECT_EQ(refused.body.find(leak), std::string::npos) << refused.body;
  }
  // Writes keep being refused the same way while the disk is full.
  auto again = api.Post("/api/v1/leads", NewLead(1000));
  statuses.push_back(again.status);
  EXPECT_EQ(again.status, 507) << again.body;

  // Reads keep working, and every lead stored before is still there.
  auto lead = api.Get("/api/v1/leads/" + first_id);
  statuses.push_back(lead.status);
  EXPECT_EQ(lead.status, 200) << lead.body;
  EXPECT_EQ(lead.json()["name"], "Lead 0") << lead.body;
  auto list = api.Get("/api/v1/leads?limit=1000");
  statuses.push_back(list.status);
  ASSERT_EQ(list.status, 200) << "reads keep working: " << list.body;
  EXPECT_EQ(list.json()["count"], stored);
  EXPECT_EQ(list.json()["has_more"], false);
  auto health = api.Get("/healthz");
  EXPECT_EQ(health.status, 503) << health.body;
  EXPECT_EQ(health.json()["status"], "degraded") << health.body;
  EXPECT_EQ(health.json()["reason"], "insufficient_storage") << health.body;
  EXPECT_GE(Sample(api.Get("/metrics").body, "klozeo_storage_faults_total{kind=\"disk_full\"}"), 2);
  for (int status : statuses) EXPECT_NE(status, 500);

  // Space freed: writes go through again and the server is healthy.
  std::filesystem::remove(disk.path() / "filler");
  EXPECT_EQ(api.Post("/api/v1/leads", NewLead(1001)).status, 201);
  EXPECT_EQ(api.Get("/healthz").status, 200);
  auto after = api.Get("/api/v1/leads?limit=1000");
  EXPECT_EQ(after.json()["count"], stored + 1) << after.body;
  EXPECT_EQ(serve.SignalAndWait(SIGTERM), 0) << "the server never crashed";
}

}  // namespace
}  // namespace klozeo::testing
