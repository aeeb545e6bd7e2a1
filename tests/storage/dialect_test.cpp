// RenderSql: the one rewrite from the stores' neutral statements to each engine's SQL.
#include "storage/sql/dialect.h"

#include <gtest/gtest.h>

namespace klozeo::storage {
namespace {

TEST(Dialect, PlaceholdersAndCasts) {
  const char* neutral = "UPDATE t SET a = ?1, b = ?12::jsonb WHERE c = ANY(?3::text[])";
  EXPECT_EQ(RenderSql(neutral, Dialect::kPostgres),
            "UPDATE t SET a = $1, b = $12::jsonb WHERE c = ANY($3::text[])");
  EXPECT_EQ(RenderSql(neutral, Dialect::kSqlite), "UPDATE t SET a = ?1, b = ?12 WHERE c = ANY(?3)");
}

TEST(Dialect, BlocksKeepOnlyTheirEngine) {
  const char* neutral =
      "SELECT {sqlite:instr}{postgres:strpos}(e, ?2) FROM t "
      "{sqlite:INDEXED BY i }WHERE x{postgres: ORDER BY y}";
  EXPECT_EQ(RenderSql(neutral, Dialect::kSqlite),
            "SELECT instr(e, ?2) FROM t INDEXED BY i WHERE x");
  EXPECT_EQ(RenderSql(neutral, Dialect::kPostgres),
            "SELECT strpos(e, $2) FROM t WHERE x ORDER BY y");
}

TEST(Dialect, LiteralsAreCopiedUnchanged) {
  const char* neutral = "SELECT '?1 {sqlite:x} a::b' || ?1";
  EXPECT_EQ(RenderSql(neutral, Dialect::kPostgres), "SELECT '?1 {sqlite:x} a::b' || $1");
  EXPECT_EQ(RenderSql(neutral, Dialect::kSqlite), "SELECT '?1 {sqlite:x} a::b' || ?1");
}

}  // namespace
}  // namespace klozeo::storage
