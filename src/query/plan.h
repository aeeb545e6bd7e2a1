#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "query/sql_compiler.h"

namespace klozeo::query {

/// Choosing the access path of a listing (docs/QUERY-PERFORMANCE.md, "Plan steering").
///
/// SQLite's planner has no histograms (Debian's build has no STAT4), so it cannot tell a
/// filter matching 0.1 % of an account from one matching 50 %, and either walks a sort index
/// testing rows for a rare filter, or seeks a common filter's index and sorts a third of the
/// account. The storage asks instead: for each filter an index can serve (IsIndexable), it
/// counts the matching rows up to kProbeCap through that index (CompileCountProbe: an index
/// range count, well under a millisecond); ChooseAccess then
/// - drives the query by the filter with the fewest matches when that is under the cap
///   (seek it, sort at most cap rows), unless it is the only filter, it ChecksOnIndex and it
///   matches at least cap / kCheckedWalkShare rows (then the sort index is walked, checking
///   it by a seek per entry; an other attribute filter: cap / kAttributeWalkShare, checked on
///   the lead's attribute rows). The cap is sqrt(51 x N) for an account of N leads
///   (ProbeCap; the account's lead count is kept by dedup's word counts), at most kProbeCap,
///   about sqrt(51 x 1,000,000): a page of 50 found by walking the sort index reads about
///   51 x N / matches rows, the filter's index `matches` rows;
/// - else, sorting by an attribute, walks that attribute's value indexes (kAttributeSort);
/// - else walks the sort's index when one serves the order (every filter matches at least
///   kProbeCap rows, so a page of 50 is found early; or no filter has an index and none is a
///   substring match the trigram index cannot serve, which may be rare or common: no estimate);
/// - else leaves the choice to the engine.
/// The chosen index is named to SQLite (INDEXED BY), and the other conditions and the order
/// are written so that no other index can serve them (SqlDialect::NoIndex).

/// Most rows a probe counts.
inline constexpr int kProbeCap = 8000;
/// A lone filter that ChecksOnIndex and matches at least cap / kCheckedWalkShare rows is
/// checked during a walk of the sort index rather than driving the query (ChooseAccess).
inline constexpr int64_t kCheckedWalkShare = 3;
/// The same for a lone attribute filter that does not ChecksOnIndex (a comparison, a prefix):
/// the walk tests it on the lead's attribute rows before reading the lead.
inline constexpr int64_t kAttributeWalkShare = 2;

/// The SQLite trigram index of substring search (storage/sql/schema.h, version 12): an FTS5
/// table `lead_text` whose columns are these text fields' folded values, its rowid mapped to
/// leads by `lead_text_rows (rid, account_key, lead_id)`. Must match the schema.
inline constexpr std::string_view kTextIndexTable = "lead_text";
/// Fewest code points of a folded substring the trigram index can look up.
inline constexpr size_t kTrigramMinLength = 3;

/// True when the trigram index finds a superset of this filter's rows (the LIKE still
/// decides): an `and` contains, ends_with or starts_with on a field of kTextIndexTable whose
/// folded value is valid UTF-8 of at least kTrigramMinLength code points. starts_with on a
/// field with a sorted index (name, city, email) seeks that instead.
bool UsesTextIndex(const Filter& filter);

/// The FTS5 query of a UsesTextIndex filter: its folded value as one phrase in the field's
/// column (`{name} : "..."`, quotes doubled), which matches every row whose column contains
/// the value (each of its trigrams, consecutive).
std::string TextIndexMatch(const Filter& filter);

/// True for an `and` contains or ends_with on a field of kTextIndexTable whose folded value is
/// valid UTF-8 of exactly kTrigramMinLength - 1 (2) code points: too short for a phrase, but
/// every value of 3 code points or more that contains the pair has an indexed trigram that
/// starts or ends with it (ends_with: ends with it), and a value of exactly 2 code points is
/// the pair. So the storage reads the index's terms (kTextTermsTable, TrigramTermsMatch) and
/// its probe finds the rows through them (CompileTrigramTermsProbe) instead of reading the
/// field's whole sorted index (ScansFieldIndex, still true: PostgreSQL and the fallback).
bool UsesTrigramTerms(const Filter& filter);

/// The fts5vocab table (type `instance`) over kTextIndexTable (storage/sql/schema.h, version
/// 22): `SELECT term FROM lead_text_terms WHERE term >= ? LIMIT 1` seeks the index's terms.
inline constexpr std::string_view kTextTermsTable = "lead_text_terms";
/// Most distinct first code points of the index's terms a UsesTrigramTerms probe enumerates;
/// past it (an account writing in many scripts) the probe reads the sorted index as before.
inline constexpr size_t kMaxTrigramLeads = 512;

/// The FTS5 query matching any of `terms` (trigrams read from kTextTermsTable) in the filter's
/// column: `{name} : ("abc" OR "xab")`, quotes doubled. Empty when `terms` is.
std::string TrigramTermsMatch(const Filter& filter, const std::vector<std::string>& terms);

/// PostgreSQL (storage/sql/schema.h, version 23): most non-ASCII characters TrigramRegex puts
/// in its bracket beside ASCII's 127; past it pg_trgm no longer extracts trigrams from the
/// expression (measured: 100 work, 200 do not) and would read its whole index.
inline constexpr size_t kMaxRegexChars = 120;

/// PostgreSQL's UsesTrigramTerms: a regular expression matching exactly the values that
/// contain (ends_with: end with) the filter's two-character pair, written so that pg_trgm's
/// index finds them by trigrams: the pair at the start, or after any character the account's
/// folded values hold (ASCII's, and `chars`, the non-ASCII ones of lead_name_chars):
/// `(^|[\x01-\x7f<chars>])<pair>[$]`. Every value of 3 characters or more holding the pair
/// has a trigram "Xpa" or " pa" (pg_trgm pads words with blanks), and pg_trgm looks each up.
/// nullopt where that lookup would not help: a character of the pair is not an ASCII letter
/// or digit (pg_trgm indexes words of letters and digits), `chars` holds more than
/// kMaxRegexChars, or one at or above U+0800 (pg_trgm cannot expand those: it reads the whole
/// index). The storage then reads the sorted index as before (ScansFieldIndex).
std::optional<std::string> TrigramRegex(const Filter& filter,
                                        const std::vector<std::string>& chars);

/// True for an `and` contains or ends_with the trigram index cannot serve (UsesTextIndex) on a
/// text field with a sorted index (name, city, email, source_id, status): the index holds the
/// folded value, so the LIKE is tested reading the index (a fraction of the table) and only
/// the matches read their row.
bool ScansFieldIndex(const Filter& filter);

/// True when the probe of this filter (CompileCountProbe) reads its matching lead ids rather
/// than counting them: ScansFieldIndex filters, whose probe reads the whole index when the
/// value is rare (so the query does not read it a second time: ListQuery::drive_ids).
bool ProbeReadsIds(const Filter& filter);

/// True for an `and` array_contains on an attribute (a list's element): on PostgreSQL the
/// compiler writes it as a per-lead check its planner cannot estimate (sql_compiler.cpp), so the
/// storage counts its rows first (CompileCountProbe, through the partial index of the lists)
/// and ChooseAccess drives the query by it when it is rare, or when no index yields the order.
bool ProbedForPostgres(const Filter& filter);

/// True for an `and` gt, gte, lt or lte on an attribute: on PostgreSQL, when it is a listing's
/// only filter, the storage counts its rows (CompileCountProbe: a range of the attribute's
/// value index) so that ChooseAccess can walk the sort index testing the filter's lead ids as
/// one set (ListQuery::walk_set), which PostgreSQL's planner does not choose by itself.
bool WalkedAsSetOnPostgres(const Filter& filter);

/// True when the probe of `filter` in `dialect` selects the matching lead ids (at most the
/// cap) rather than counting them: ProbeReadsIds filters, and ProbedForPostgres ones where
/// list attributes keep their items (SqlDialect::HasListItems).
bool ProbeReadsIds(const Filter& filter, const SqlDialect& dialect);

/// True when an index of the schema finds the rows of this `and` filter by itself: eq, in and
/// starts_with on name, city, email, source_id and status; comparisons on the indexed numbers
/// (rating, review_count, score, created_at, updated_at, last_interaction_at, latitude);
/// within_radius (the latitude index); eq, starts_with and comparisons on attributes (the
/// value indexes); substring matches the trigram index serves (UsesTextIndex); contains and
/// ends_with the trigrams cannot serve (fewer than 3 characters, or a field they do not hold)
/// on those same text fields, whose sorted index holds the folded value: the LIKE is tested
/// reading the index (a fraction of the table) and only matches read their row. Must match the
/// schemas' indexes.
bool IsIndexable(const Filter& filter);

/// True when a walk of the sort index (Access::kSortIndex) can test this `and` filter on the
/// walked index entry, before the lead's row is read (SQLite reads the row of every entry a
/// non-covering walk visits: a WITHOUT ROWID table has no deferred seek): eq and in on the
/// indexed text fields and eq on the indexed numbers (a seek of (account_key, value, id) in
/// the filter's index, IndexFor), and eq of a text value on an attribute (a seek of
/// (account_key, name, value_fold, lead_id) in lead_attributes_fold). Other attribute filters
/// read the lead's attribute rows, which costs about what reading the lead does. A filter on
/// the sort field itself is tested on the walked index anyway.
bool ChecksOnIndex(const Filter& filter);

/// The index that serves an indexable filter (IsIndexable), by its schema name: SQLite is told
/// to use it (INDEXED BY), since without statistics its planner would rather scan the account
/// through the primary key.
std::string_view IndexFor(const Filter& filter);

/// Every index name IndexFor and SortIndexFor can return (a test checks the schema has them:
/// SQLite refuses a statement whose INDEXED BY names a missing index).
std::vector<std::string_view> PlanIndexNames();

/// The (account_key, field, id) index of the sort, when HasSortIndex.
std::string_view SortIndexFor(const Sort& sort);

/// True when the sort's index (SortIndexFor) carries this text filter's folded column after its
/// key (schema 22: leads_created, leads_updated and leads_score end with status_fold, city_fold
/// and category_fold), so a walk of it (Access::kSortIndex) tests the filter, whatever its
/// operator, on the walked entry: no seek, no row read. Must match the schema.
bool OnWalkedEntry(const Filter& filter, const Sort& sort);

/// True when walking an index yields the rows in the sort's order (SQLite: NULLs sort first
/// in an index, so a nullable field's ascending NULLS LAST order needs a sort step).
bool HasSortIndex(const ListQuery& query);

/// The indexable `and` filters served by the same index as filter `index` (itself included),
/// in order: a two-sided range is two filters, probed and sought together.
std::vector<size_t> SameIndexFilters(const ListQuery& query, size_t index);

/// The filters worth a probe (indexes into query.filters; one per SameIndexFilters group), on
/// both engines. On PostgreSQL a substring the trigrams cannot look up is read by its probe as
/// on SQLite (ProbeReadsIds), through whatever its planner picks (a sequential scan, or the
/// sorted index when its pages are all-visible): one pass over the account, then only the
/// matches are read and sorted.
std::vector<size_t> ProbeCandidates(const ListQuery& query);

/// The probe cap for an account of `leads` leads (0 when unknown: kProbeCap) listed in pages of
/// `page` rows: sqrt((page + 1) x leads), at most kProbeCap. A filter matching fewer rows is
/// cheaper to seek and sort than walking the sort index, which reads about
/// (page + 1) x leads / matches rows to fill a page: in an account of 20,000 leads a filter
/// matching 4,000 of them is walked (about 250 rows read), not sought and sorted.
int64_t ProbeCap(int64_t leads, int page);

/// Sets query.access and query.drive from the probes' counts (filter index, rows up to `cap`,
/// ProbeCap), as described above, for `dialect`'s engine: one with statistics
/// (SqlDialect::HasStatistics, PostgreSQL) is only steered to a rare filter's index or an
/// attribute sort's value index, never told to walk a sort index. Without a dialect: SQLite's.
void ChooseAccess(ListQuery& query, const std::vector<std::pair<size_t, int64_t>>& counts,
                  int64_t cap, const SqlDialect& dialect);
void ChooseAccess(ListQuery& query, const std::vector<std::pair<size_t, int64_t>>& counts,
                  int64_t cap = kProbeCap);

}  // namespace klozeo::query
