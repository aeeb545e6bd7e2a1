// The write-ahead log's buffered writes (storage/sqlite/wal_vfs.cpp): what a commit wrote is in
// the files when COMMIT returns, with the writer still open (so nothing is left for a close to
// write), as a copy of the files opened elsewhere, as after a crash, shows.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "storage/sqlite/connection.h"
#include "storage/sqlite/wal_vfs.h"
#include "support/test_server.h"

namespace klozeo::storage::sqlite {
namespace {

namespace fs = std::filesystem;

// Copies the database and its log (not the WAL index: the copy rebuilds it from the log, as
// after a crash, checking every frame's checksum) and runs `sql` on the copy.
std::string OnCopy(const fs::path& from, const fs::path& dir, const char* sql) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(from, dir / "c.db");
  fs::path wal = from.string() + "-wal";
  if (fs::exists(wal)) fs::copy_file(wal, dir / "c.db-wal");
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open((dir / "c.db").string().c_str(), &db), SQLITE_OK);
  std::string out;
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    if (!out.empty()) out += ",";
    out += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

void Exec(Connection& c, const std::string& sql) {
  auto s = c.Exec(sql.c_str());
  ASSERT_TRUE(s.ok()) << s.error().message;
}

TEST(SqliteWalBuffer, ConnectionsOpenThroughIt) {
  testing::TempDir dir;
  auto conn = Connection::Open((dir.path() / "v.db").string(), 1000);
  ASSERT_TRUE(conn.ok());
  sqlite3_vfs* vfs = nullptr;
  ASSERT_EQ(sqlite3_file_control((*conn)->raw(), "main", SQLITE_FCNTL_VFS_POINTER, &vfs),
            SQLITE_OK);
  ASSERT_NE(vfs, nullptr);
  EXPECT_STREQ(vfs->zName, WalBufferVfs());
}

// Write calls this process has made (Linux).
int64_t WriteCalls() {
  std::ifstream io("/proc/self/io");
  std::string key;
  int64_t value = 0;
  while (io >> key >> value) {
    if (key == "syscw:") return value;
  }
  return -1;
}

TEST(SqliteWalBuffer, CommitsAreInTheFilesWhenCommitReturns) {
  testing::TempDir dir;
  const fs::path path = dir.path() / "w.db";
  auto opened = Connection::Open(path.string(), 1000);
  ASSERT_TRUE(opened.ok());
  Connection& c = **opened;
  Exec(c,
       "PRAGMA wal_autocheckpoint=0; CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);"
       "CREATE INDEX t_v ON t (v)");
  // Several megabytes in one commit (many buffers' worth), then single-row commits.
  const int64_t calls = WriteCalls();
  Exec(c,
       "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
       "INSERT INTO t SELECT i, printf('%0200d', i * 7919 % 20000) FROM n; COMMIT");
  // SQLite writes a frame (a header and a page) in two calls; through the buffer, about 29
  // frames go in one.
  const auto frames = static_cast<int64_t>(fs::file_size(path.string() + "-wal") / (4096 + 24));
  EXPECT_GT(frames, 1500);
  EXPECT_LT(WriteCalls() - calls, frames / 10);
  EXPECT_EQ(OnCopy(path, dir.path() / "c1", "SELECT count(*) || ':' || sum(k) FROM t"),
            "20000:200010000");
  for (int i = 0; i < 5; ++i) Exec(c, "INSERT INTO t (v) VALUES ('one more')");
  EXPECT_EQ(OnCopy(path, dir.path() / "c2", "SELECT count(*) FROM t WHERE v = 'one more'"), "5");

  // A cache far smaller than the transaction: pages are written to the log before the commit,
  // dirtied again and rewritten in place, and their checksums rewritten at the commit.
  Exec(c,
       "PRAGMA cache_size=16; BEGIN; UPDATE t SET v = 'a' || v WHERE k % 3 = 0;"
       "UPDATE t SET v = 'b' || v WHERE k % 3 = 0; DELETE FROM t WHERE k % 5 = 0; COMMIT");
  EXPECT_EQ(OnCopy(path, dir.path() / "c3",
                   "SELECT count(*) FROM t UNION ALL SELECT count(*) FROM t WHERE v LIKE 'ba%' "
                   "UNION ALL SELECT integrity_check FROM pragma_integrity_check"),
            "16004,5335,ok");
  // The writer's own connection reads what it wrote, from the log.
  auto s = c.PrepareDynamic("SELECT count(*) FROM t WHERE v LIKE 'ba%'");
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(*s->Step());
  EXPECT_EQ(s->Int(0), 5335);
}

TEST(SqliteWalBuffer, ReadersSeeEveryCommit) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "r.db").string();
  auto writer = Connection::Open(path, 1000);
  auto reader = Connection::Open(path, 1000);
  ASSERT_TRUE(writer.ok() && reader.ok());
  Exec(**writer, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)");
  for (int round = 1; round <= 20; ++round) {
    Exec(**writer,
         "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
         "WHERE i < 500) INSERT INTO t (v) SELECT randomblob(300) FROM n; COMMIT");
    auto s = (*reader)->PrepareDynamic("SELECT count(*), sum(length(v)) FROM t");
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(*s->Step());
    EXPECT_EQ(s->Int(0), round * 500);
    EXPECT_EQ(s->Int(1), round * 500 * 300);
  }
}

}  // namespace
}  // namespace klozeo::storage::sqlite
