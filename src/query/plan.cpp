#include "query/plan.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include "core/strings.h"
#include "query/fold.h"
#include "query/sqlite_compiler.h"

namespace klozeo::query {
namespace {

struct Indexed {
  std::string_view field;
  std::string_view index;
};

// Must match the schemas (storage/sqlite/schema.h, storage/postgres/schema.h).
constexpr std::array<Indexed, 5> kIndexedText = {{{"name", "leads_name_sort"},
                                                  {"city", "leads_city"},
                                                  {"email", "leads_email"},
                                                  {"source_id", "leads_source_id_fold"},
                                                  {"status", "leads_status"}}};
// The columns of the trigram table kTextIndexTable (storage/sql/schema.h, version 12).
constexpr std::array<std::string_view, 1> kTextIndexFields = {"name"};
constexpr std::array<Indexed, 7> kIndexedNumbers = {
    {{"rating", "leads_rating"},
     {"review_count", "leads_review_count"},
     {"score", "leads_score"},
     {"created_at", "leads_created"},
     {"updated_at", "leads_updated"},
     {"last_interaction_at", "leads_last_interaction"},
     {"latitude", "leads_latitude"}}};
// Sorts whose (account_key, field, id) index exists (text: the folded column).
constexpr std::array<Indexed, 9> kSortIndexes = {{{"created_at", "leads_created"},
                                                  {"updated_at", "leads_updated"},
                                                  {"last_interaction_at", "leads_last_interaction"},
                                                  {"score", "leads_score"},
                                                  {"rating", "leads_rating"},
                                                  {"review_count", "leads_review_count"},
                                                  {"name", "leads_name_sort"},
                                                  {"city", "leads_city"},
                                                  {"status", "leads_status"}}};

// The text fields whose folded column the created_at, updated_at and score indexes carry after
// their key (storage/sql/schema.h, version 22).
constexpr std::array<std::string_view, 3> kWalkedColumns = {"status", "city", "category"};

template <size_t N>
std::string_view Find(const std::array<Indexed, N>& list, std::string_view name) {
  for (const Indexed& item : list) {
    if (item.field == name) return item.index;
  }
  return {};
}

template <size_t N>
bool In(const std::array<Indexed, N>& list, std::string_view name) {
  return !Find(list, name).empty();
}

template <size_t N>
bool In(const std::array<std::string_view, N>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// An attribute eq whose value reads as a number or a bool also matches number and bool
// attributes (an OR over both value indexes): left to the engine.
bool IsPlainTextEquals(const Filter& filter) {
  if (filter.op != Op::kEq) return false;
  const auto* text = std::get_if<std::string>(&filter.value);
  if (text == nullptr || ParseNumber(*text)) return false;
  std::string word = core::AsciiLower(core::Trim(*text));
  return word != "true" && word != "false";
}

bool IsComparison(Op op) {
  return op == Op::kEq || op == Op::kGt || op == Op::kGte || op == Op::kLt || op == Op::kLte;
}

size_t CodePoints(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// The code points of the folded value of an `and` filter on a field of kTextIndexTable, when
// that value is valid UTF-8 text (UsesTextIndex and UsesTrigramTerms then look at its length).
std::optional<size_t> IndexedTextLength(const Filter& filter) {
  if (filter.logic != Logic::kAnd || filter.field.kind != FieldKind::kText ||
      !In(kTextIndexFields, filter.field.name)) {
    return std::nullopt;
  }
  const auto* text = std::get_if<std::string>(&filter.value);
  if (text == nullptr) return std::nullopt;
  std::string folded = FoldText(*text);
  if (!core::IsValidUtf8(folded)) return std::nullopt;
  return CodePoints(folded);
}

// Appends `text` as an FTS5 phrase: in double quotes, its own quotes doubled.
void AppendPhrase(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

bool UsesTrigramTerms(const Filter& filter) {
  if (filter.op != Op::kContains && filter.op != Op::kEndsWith) return false;
  return IndexedTextLength(filter) == kTrigramMinLength - 1;
}

std::string TrigramTermsMatch(const Filter& filter, const std::vector<std::string>& terms) {
  if (terms.empty()) return {};
  std::string out = "{" + filter.field.name + "} : (";
  for (size_t i = 0; i < terms.size(); ++i) {
    if (i > 0) out += " OR ";
    AppendPhrase(out, terms[i]);
  }
  out += ')';
  return out;
}

std::optional<std::string> TrigramRegex(const Filter& filter,
                                        const std::vector<std::string>& chars) {
  if (!UsesTrigramTerms(filter) || chars.size() > kMaxRegexChars) return std::nullopt;
  const std::string pair = FoldText(std::get<std::string>(filter.value));
  for (char c : pair) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return std::nullopt;
  }
  std::string out = "(^|[\\x01-\\x7f";
  for (const std::string& c : chars) {
    // One code point of two bytes (U+0080 to U+07FF): pg_trgm expands it.
    if (c.size() != 2 || (static_cast<unsigned char>(c[0]) & 0xE0) != 0xC0 ||
        (static_cast<unsigned char>(c[1]) & 0xC0) != 0x80) {
      return std::nullopt;
    }
    out += c;
  }
  out += "])" + pair;
  if (filter.op == Op::kEndsWith) out += '$';
  return out;
}

bool ScansFieldIndex(const Filter& filter) {
  return filter.logic == Logic::kAnd && filter.field.kind == FieldKind::kText &&
         (filter.op == Op::kContains || filter.op == Op::kEndsWith) &&
         In(kIndexedText, filter.field.name) && !UsesTextIndex(filter);
}

bool ProbeReadsIds(const Filter& filter) { return ScansFieldIndex(filter); }

bool ProbedForPostgres(const Filter& filter) {
  return filter.logic == Logic::kAnd && filter.field.kind == FieldKind::kAttribute &&
         filter.op == Op::kArrayContains;
}

bool WalkedAsSetOnPostgres(const Filter& filter) {
  return filter.logic == Logic::kAnd && filter.field.kind == FieldKind::kAttribute &&
         (filter.op == Op::kGt || filter.op == Op::kGte || filter.op == Op::kLt ||
          filter.op == Op::kLte);
}

bool ProbeReadsIds(const Filter& filter, const SqlDialect& dialect) {
  return ProbeReadsIds(filter) || (ProbedForPostgres(filter) && dialect.HasListItems());
}

bool UsesTextIndex(const Filter& filter) {
  if (filter.op != Op::kContains && filter.op != Op::kEndsWith && filter.op != Op::kStartsWith) {
    return false;
  }
  if (filter.op == Op::kStartsWith && In(kIndexedText, filter.field.name)) return false;
  const std::optional<size_t> length = IndexedTextLength(filter);
  return length && *length >= kTrigramMinLength;
}

std::string TextIndexMatch(const Filter& filter) {
  std::string out = "{" + filter.field.name + "} : ";
  AppendPhrase(out, FoldText(std::get<std::string>(filter.value)));
  return out;
}

bool IsIndexable(const Filter& filter) {
  if (filter.logic != Logic::kAnd) return false;
  if (UsesTextIndex(filter)) return true;
  switch (filter.field.kind) {
    case FieldKind::kText:
      return In(kIndexedText, filter.field.name) &&
             (filter.op == Op::kEq || filter.op == Op::kIn || filter.op == Op::kStartsWith ||
              ScansFieldIndex(filter));
    case FieldKind::kNumber:
      return In(kIndexedNumbers, filter.field.name) && IsComparison(filter.op);
    case FieldKind::kLocation:
      return filter.op == Op::kWithinRadius;
    case FieldKind::kAttribute:
      return IsPlainTextEquals(filter) || filter.op == Op::kGt || filter.op == Op::kGte ||
             filter.op == Op::kLt || filter.op == Op::kLte || filter.op == Op::kStartsWith;
    case FieldKind::kTags:
      return false;
  }
  return false;
}

bool ChecksOnIndex(const Filter& filter) {
  if (filter.logic != Logic::kAnd) return false;
  switch (filter.field.kind) {
    case FieldKind::kText:
      return In(kIndexedText, filter.field.name) && (filter.op == Op::kEq || filter.op == Op::kIn);
    case FieldKind::kNumber:
      return In(kIndexedNumbers, filter.field.name) && filter.op == Op::kEq;
    case FieldKind::kAttribute:
      return IsPlainTextEquals(filter);
    case FieldKind::kTags:
    case FieldKind::kLocation:
      break;
  }
  return false;
}

std::string_view IndexFor(const Filter& filter) {
  if (UsesTextIndex(filter)) return kTextIndexTable;
  switch (filter.field.kind) {
    case FieldKind::kText:
      return Find(kIndexedText, filter.field.name);
    case FieldKind::kNumber:
      return Find(kIndexedNumbers, filter.field.name);
    case FieldKind::kLocation:
      return "leads_latitude";
    case FieldKind::kAttribute:
      return filter.op == Op::kEq || filter.op == Op::kStartsWith ? "lead_attributes_fold"
                                                                  : "lead_attributes_num";
    case FieldKind::kTags:
      break;
  }
  return {};
}

std::vector<std::string_view> PlanIndexNames() {
  std::vector<std::string_view> out = {"lead_attributes_fold", "lead_attributes_num"};
  for (const Indexed& i : kIndexedText) out.push_back(i.index);
  for (const Indexed& i : kIndexedNumbers) out.push_back(i.index);
  for (const Indexed& i : kSortIndexes) out.push_back(i.index);
  return out;
}

std::string_view SortIndexFor(const Sort& sort) {
  if (sort.field.kind == FieldKind::kAttribute) return {};
  return Find(kSortIndexes, sort.field.name);
}

bool OnWalkedEntry(const Filter& filter, const Sort& sort) {
  if (filter.field.kind != FieldKind::kText) return false;
  const std::string_view index = SortIndexFor(sort);
  if (index != "leads_created" && index != "leads_updated" && index != "leads_score") return false;
  return In(kWalkedColumns, filter.field.name);
}

bool HasSortIndex(const ListQuery& query) {
  const FieldRef& field = query.sort.field;
  if (field.kind == FieldKind::kAttribute || !In(kSortIndexes, field.name)) return false;
  if (IsNeverNull(field) || query.sort.direction == SortDirection::kDesc) return true;
  // Ascending on a nullable field: the index serves it only when no row can be NULL.
  for (const Filter& f : query.filters) {
    if (f.logic == Logic::kAnd && f.field == field &&
        (IsComparison(f.op) || f.op == Op::kIn || f.op == Op::kStartsWith)) {
      return true;
    }
  }
  return false;
}

std::vector<size_t> SameIndexFilters(const ListQuery& query, size_t index) {
  std::vector<size_t> out;
  const Filter& first = query.filters.at(index);
  if (UsesTextIndex(first)) return {index};  // one phrase per trigram lookup
  for (size_t j = 0; j < query.filters.size(); ++j) {
    const Filter& f = query.filters[j];
    if (UsesTextIndex(f)) continue;
    if (j == index ||
        (IsIndexable(f) && f.field == first.field && IndexFor(f) == IndexFor(first))) {
      out.push_back(j);
    }
  }
  return out;
}

std::vector<size_t> ProbeCandidates(const ListQuery& query) {
  std::vector<size_t> out;
  for (size_t i = 0; i < query.filters.size(); ++i) {
    if (IsIndexable(query.filters[i]) && SameIndexFilters(query, i).front() == i) out.push_back(i);
  }
  return out;
}

int64_t ProbeCap(int64_t leads, int page) {
  if (leads <= 0) return kProbeCap;
  const double rows = std::sqrt(static_cast<double>(page + 1) * static_cast<double>(leads));
  return std::min<int64_t>(kProbeCap, std::max<int64_t>(1, static_cast<int64_t>(rows)));
}

void ChooseAccess(ListQuery& query, const std::vector<std::pair<size_t, int64_t>>& counts,
                  int64_t cap, const SqlDialect& dialect) {
  query.access = Access::kAuto;
  query.walk_set.reset();
  const std::pair<size_t, int64_t>* best = nullptr;
  for (const auto& c : counts) {
    if (best == nullptr || c.second < best->second) best = &c;
  }
  const bool sort_index = HasSortIndex(query);
  if (best != nullptr && best->second < cap) {
    // The rare filter is a range of the sort's own index (`starts_with.name` sorted by name,
    // a score range by score): walking that range yields the order, so the page stops after
    // its rows instead of reading and sorting every match.
    const Filter& rare = query.filters[best->first];
    if (!dialect.HasStatistics() && sort_index && rare.field == query.sort.field &&
        !ProbeReadsIds(rare) && !UsesTextIndex(rare) &&
        IndexFor(rare) == SortIndexFor(query.sort)) {
      query.access = Access::kSortIndex;
      return;
    }
    // The only filter, checked on its own index during a walk of the sort index (a seek per
    // walked entry, a fraction of a row read): walking reads 51 x N / matches index entries
    // and 51 rows, driving reads `matches` rows and sorts them, so the walk wins down to about
    // a third of the cap (bench/RESULTS.md, "checked walks").
    // An attribute filter no index checks reads the lead's attribute rows instead (about a
    // row read, but no sort and no row for the entries it rejects): down to half the cap.
    const Filter& only = query.filters[best->first];
    // A radius is walked too, its latitude band's ids one set (ListQuery::walk_set).
    const bool radius = only.field.kind == FieldKind::kLocation && only.op == Op::kWithinRadius;
    const bool on_index = ChecksOnIndex(only) || OnWalkedEntry(only, query.sort) || radius;
    const int64_t share = on_index                                   ? kCheckedWalkShare
                          : only.field.kind == FieldKind::kAttribute ? kAttributeWalkShare
                                                                     : 0;
    if (!dialect.HasStatistics() && sort_index && query.filters.size() == 1 && share > 0 &&
        !(only.field == query.sort.field) && best->second >= cap / share) {
      query.access = Access::kSortIndex;
      // Its matching lead ids (fewer than the cap) are one set the walk looks each entry up in.
      // (A check on an index, such as a text eq on an attribute, is a seek per entry already:
      // building the set would cost as much as the walk.)
      if ((only.field.kind == FieldKind::kAttribute && !ChecksOnIndex(only)) || radius) {
        query.walk_set = best->first;
      }
      return;
    }
    // PostgreSQL: a lone attribute comparison matching about as many leads as the cap reads
    // them all by key, about 5 buffers each (4,520 leads: 23,000 buffers), where a walk of the
    // sort index's entries with the ids as one hashed set stops after a page (13,000 entries,
    // 1,200 buffers): its planner does not choose that walk by itself (it sorts the matches).
    if (dialect.HasStatistics() && sort_index && query.filters.size() == 1 &&
        WalkedAsSetOnPostgres(only) && best->second >= cap / kAttributeWalkShare) {
      query.access = Access::kSortIndex;
      query.walk_set = best->first;
      return;
    }
    query.access = Access::kFilterIndex;
    query.drive = best->first;
    return;
  }
  if (query.sort.field.kind == FieldKind::kAttribute) {
    query.access = Access::kAttributeSort;  // its value indexes yield the order
    return;
  }
  // A list's element its planner cannot estimate (ProbedForPostgres) is checked per lead while
  // walking the sort index; with no index for the order, that would check every lead: the
  // element drives (it reads at most the attribute's lists).
  if (dialect.HasStatistics() && best != nullptr && !sort_index &&
      ProbedForPostgres(query.filters[best->first])) {
    query.access = Access::kFilterIndex;
    query.drive = best->first;
    return;
  }
  // An engine with statistics walks the sort index for common filters by itself.
  if (dialect.HasStatistics() || query.filters.empty() || !sort_index) return;
  // No filter's index helps. A substring match the trigram index cannot serve (too short, or
  // a field it does not hold) may be rare or common: without an estimate the engine decides.
  if (counts.empty()) {
    for (const Filter& f : query.filters) {
      if (f.op == Op::kContains || f.op == Op::kEndsWith) return;
    }
  }
  query.access = Access::kSortIndex;
}

}  // namespace klozeo::query

namespace klozeo::query {

void ChooseAccess(ListQuery& query, const std::vector<std::pair<size_t, int64_t>>& counts,
                  int64_t cap) {
  ChooseAccess(query, counts, cap, SqliteDialectInstance());
}

}  // namespace klozeo::query
