#include "query/sql_compiler.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/strings.h"
#include "query/fold.h"
#include "query/geo.h"
#include "query/plan.h"

namespace klozeo::query {

void SqlBuilder::Bind(SqlValue value) {
  binds_.push_back(std::move(value));
  sql_ += dialect_.Placeholder(binds_.size());
}

CompiledSql SqlBuilder::Finish() && { return {std::move(sql_), std::move(binds_)}; }

namespace {

// The correlated lookup of one attribute row of the current lead; callers append
// " AND <condition on a>)".
constexpr std::string_view kAttributeRow =
    "SELECT 1 FROM lead_attributes a WHERE a.account_key = leads.account_key"
    " AND a.lead_id = leads.id AND a.name = ";
constexpr std::string_view kLikeEscape = " ESCAPE '\\'";

// The plan's score index (query/plan.h names leads_score) where the score lives in lead_scores
// (SqlDialect::HasScoresTable, SQLite's schema 24).
bool IsScoresIndex(const SqlDialect& dialect, std::string_view index) {
  return dialect.HasScoresTable() && index == "leads_score";
}

// " FROM leads[ alias]" read through `index`; for the score index where scores live in
// lead_scores, that table under the alias (`leads` without one) through lead_scores_order: its
// columns (account_key, id, score and the three facets) are named as leads' are, so the
// conditions written on the alias read the same (with Compiler::scores_row set).
std::string FromIndex(const SqlDialect& dialect, std::string_view alias, std::string_view index) {
  if (IsScoresIndex(dialect, index)) {
    return " FROM lead_scores AS " + std::string(alias.empty() ? "leads" : alias) +
           dialect.IndexedBy("lead_scores_order");
  }
  return " FROM leads" + (alias.empty() ? std::string() : " " + std::string(alias)) +
         dialect.IndexedBy(index);
}

// The score of `table`'s lead where the statement has it nowhere at hand: a lookup of its
// lead_scores row where scores live there (SqlDialect::HasScoresTable), else its column.
std::string ScoreLookup(const SqlDialect& dialect, const std::string& table) {
  if (!dialect.HasScoresTable()) return table + ".score";
  return "(SELECT sc.score FROM lead_scores sc WHERE sc.account_key = " + table +
         ".account_key AND sc.id = " + table + ".id)";
}

// `select_list` with its kScoreSlot (if any) written as `score`, an expression the statement has
// at hand (`at_hand`: a column it reads anyway) or ScoreLookup's; a lookup is written as NULL
// instead when the caller reads the scores itself (ListQuery::score_later), which `later` then
// says.
std::string WithScore(std::string_view select_list, const std::string& score, bool at_hand,
                      const ListQuery& query, bool& later) {
  std::string out(select_list);
  const size_t at = out.find(kScoreSlot);
  if (at == std::string::npos) return out;
  later = query.score_later && !at_hand;
  out.replace(at, kScoreSlot.size(), later ? std::string("NULL") : score);
  return out;
}

// The positive operator a negative (or "empty") operator negates.
Op Positive(Op op) {
  switch (op) {
    case Op::kNeq:
      return Op::kEq;
    case Op::kNotContains:
      return Op::kContains;
    case Op::kArrayNotContains:
      return Op::kArrayContains;
    case Op::kIsEmpty:
      return Op::kIsNotEmpty;
    case Op::kArrayEmpty:
      return Op::kArrayNotEmpty;
    default:
      return op;
  }
}

bool IsNegation(Op op) { return Positive(op) != op; }

const std::string& Text(const Filter& filter) { return std::get<std::string>(filter.value); }

// A LIKE pattern matching `folded` literally, with % and _ escaped by backslash.
std::string LikeLiteral(std::string_view folded) {
  std::string out;
  for (char c : folded) {
    if (c == '\\' || c == '%' || c == '_') out += '\\';
    out += c;
  }
  return out;
}

std::string_view ComparisonSql(Op op) {
  switch (op) {
    case Op::kGt:
      return " > ";
    case Op::kGte:
      return " >= ";
    case Op::kLt:
      return " < ";
    case Op::kLte:
      return " <= ";
    default:
      return " = ";
  }
}

// The number fields stored as INTEGER (bigint on PostgreSQL; storage/sql/schema.h).
bool IsIntegerColumn(std::string_view name) {
  return name == "review_count" || name == "created_at" || name == "updated_at" ||
         name == "last_interaction_at";
}
// Doubles below this magnitude hold every integer exactly (2^53).
constexpr double kExactIntegers = 9007199254740992.0;

bool IsAscending(const Sort& sort) { return sort.direction == SortDirection::kAsc; }

// The smallest string greater than every string that starts with `prefix` (bytewise, which is
// code point order in UTF-8): the prefix with its last code point incremented. nullopt when
// there is none (an empty prefix, or one ending in U+10FFFF).
std::optional<std::string> PrefixUpperBound(std::string_view prefix) {
  size_t start = prefix.size();
  while (start > 0 && (static_cast<unsigned char>(prefix[start - 1]) & 0xC0) == 0x80) --start;
  if (start == 0) return std::nullopt;
  --start;  // the last code point's lead byte
  std::string_view last = prefix.substr(start);
  auto lead = static_cast<unsigned char>(last[0]);
  char32_t cp = 0;
  if (lead < 0x80) {
    cp = lead;
  } else if ((lead & 0xE0) == 0xC0 && last.size() == 2) {
    cp = ((lead & 0x1Fu) << 6) | (static_cast<unsigned char>(last[1]) & 0x3Fu);
  } else if ((lead & 0xF0) == 0xE0 && last.size() == 3) {
    cp = ((lead & 0x0Fu) << 12) | ((static_cast<unsigned char>(last[1]) & 0x3Fu) << 6) |
         (static_cast<unsigned char>(last[2]) & 0x3Fu);
  } else if ((lead & 0xF8) == 0xF0 && last.size() == 4) {
    cp = ((lead & 0x07u) << 18) | ((static_cast<unsigned char>(last[1]) & 0x3Fu) << 12) |
         ((static_cast<unsigned char>(last[2]) & 0x3Fu) << 6) |
         (static_cast<unsigned char>(last[3]) & 0x3Fu);
  } else {
    return std::nullopt;
  }
  ++cp;
  if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xE000;
  if (cp > 0x10FFFF) return std::nullopt;
  std::string out(prefix.substr(0, start));
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

class Compiler {
 public:
  Compiler(const SqlDialect& dialect, SqlBuilder& out, std::int64_t account_key)
      : dialect_(dialect), out_(out), account_key_(account_key) {}

  /// Steering (ListQuery::access): conditions written while `no_filter_index` is set, and
  /// sort expressions written while `no_sort_index` is set, cannot use an index.
  bool no_filter_index = false;
  bool no_sort_index = false;
  /// Writing a count probe: only what the filter's index holds (an estimate may overcount:
  /// the attribute's type and the exact distance are left out, so no row is read).
  bool probe = false;
  /// ListQuery::drive_ids of the query being written (nullptr: none).
  const std::vector<std::string>* drive_ids = nullptr;
  /// The table (or alias) whose columns text and number conditions read.
  std::string row = "leads";
  /// Set while `row` (and `leads` in sort expressions) names lead_scores rather than leads
  /// (SqlDialect::HasScoresTable; FromIndex): the score is then its column.
  bool scores_row = false;

  /// Set while the statement joins the lead's lead_scores row as `ls` (PostgreSQL; see
  /// JoinsScores): the score of `leads` is then its column.
  bool scores_joined = false;
  /// The lead id the keyset compares with the sort value: the walked index's own (ls.lead_id where
  /// the score sort walks lead_scores_order through the join).
  std::string sort_id = "leads.id";

  /// The score of `table`'s lead: its column, or its lead_scores row's where the score lives
  /// there (SqlDialect::HasScoresTable) and `table` is leads.
  std::string ScoreOf(const std::string& table) const {
    if (!dialect_.HasScoresTable() || scores_row) return table + ".score";
    if (scores_joined && table == "leads") return "ls.score";
    return ScoreLookup(dialect_, table);
  }

  /// The filter that drives the query through its index: an attribute filter becomes an
  /// uncorrelated `leads.id IN (...)` over the attribute value indexes.
  /// `group`: the filters served by the driving filter's index (SameIndexFilters).
  void DrivingCondition(const std::vector<const Filter*>& group) {
    const Filter& filter = *group.front();
    if (UsesTextIndex(filter) && dialect_.HasTextIndexTable()) {
      // The trigram index's candidates (a superset), then the LIKE on the row decides.
      out_.Append("leads.id IN (");
      TextIndexRows(filter);
      out_.Append(") AND ");
      return Condition(filter);
    }
    if (drive_ids != nullptr) {
      // Its probe read every matching id already (ProbeReadsIds; a list's element on
      // PostgreSQL); a trigram-terms probe (UsesTrigramTerms) read a superset (SQLite: the
      // pending leads; PostgreSQL: a character missing from lead_name_chars would be the
      // only way): the LIKE on the row decides.
      dialect_.AppendIdIn(out_, "leads.id", *drive_ids);
      if (UsesTrigramTerms(filter)) {
        out_.Append(" AND ");
        Condition(filter);
      }
      return;
    }
    if (ScansFieldIndex(filter)) {
      // SQLite reads the row of every index entry it walks (a WITHOUT ROWID table has no
      // deferred seek) unless the index covers the statement: this subquery only needs the
      // index, so the LIKE is tested there and only the matches reach their rows.
      out_.Append("leads.id IN (SELECT leads.id FROM leads" + dialect_.IndexedBy(IndexFor(filter)) +
                  " WHERE leads.account_key = ");
      out_.Bind(account_key_);
      for (const Filter* f : group) {
        out_.Append(" AND ");
        Condition(*f);
      }
      out_.Append(")");
      return;
    }
    if (IsScoresIndex(dialect_, IndexFor(filter))) {
      // The score's range off lead_scores_order (SqlDialect::HasScoresTable): its lead ids.
      out_.Append("leads.id IN (SELECT leads.id" + FromIndex(dialect_, "", IndexFor(filter)) +
                  " WHERE leads.account_key = ");
      out_.Bind(account_key_);
      const bool saved = scores_row;
      scores_row = true;
      for (const Filter* f : group) {
        out_.Append(" AND ");
        Condition(*f);
      }
      scores_row = saved;
      out_.Append(")");
      return;
    }
    if (filter.field.kind != FieldKind::kAttribute) return Condition(filter);
    out_.Append("leads.id IN (SELECT a.lead_id FROM lead_attributes a" +
                dialect_.IndexedBy(IndexFor(filter)) + " WHERE a.account_key = ");
    out_.Bind(account_key_);
    out_.Append(" AND a.name = ");
    out_.Bind(filter.field.name);
    // Only number and bool attributes have a value_num, a bool's being 0 or 1: when neither
    // passes the comparisons, `a.type = 'number'` is implied and left out, so the subquery
    // reads the value index only (not each attribute's row).
    const bool saved_probe = probe;
    probe = probe || ExcludesBools(group);
    for (const Filter* f : group) {
      out_.Append(" AND ");
      AttributeRow(*f);
    }
    probe = saved_probe;
    out_.Append(")");
  }

  /// True when every filter of `group` is a comparison (gt, gte, lt, lte) and neither 0 nor 1
  /// passes all of them.
  static bool ExcludesBools(const std::vector<const Filter*>& group) {
    for (double v : {0.0, 1.0}) {
      bool passes = true;
      for (const Filter* f : group) {
        const auto* bound = std::get_if<double>(&f->value);
        if (bound == nullptr) return false;
        switch (f->op) {
          case Op::kGt:
            passes = passes && v > *bound;
            break;
          case Op::kGte:
            passes = passes && v >= *bound;
            break;
          case Op::kLt:
            passes = passes && v < *bound;
            break;
          case Op::kLte:
            passes = passes && v <= *bound;
            break;
          default:
            return false;
        }
      }
      if (passes) return false;
    }
    return true;
  }

  /// `SELECT r.lead_id ...`: the account's leads whose trigram index entry matches the
  /// UsesTextIndex filter's value, and those not indexed yet (pending): a superset of the
  /// rows the filter matches. CROSS JOIN
  /// keeps the index first: SQLite would otherwise walk the account's rows and run the
  /// full-text query once per row.
  void TextIndexRows(const Filter& filter) { TextIndexRows(TextIndexMatch(filter)); }
  /// The same for an FTS5 query `match` (none when empty: the pending leads only).
  void TextIndexRows(std::string match) {
    const std::string table(kTextIndexTable);
    if (!match.empty()) {
      out_.Append("SELECT r.lead_id FROM " + table + " CROSS JOIN " + table +
                  "_rows r ON r.rid = " + table + ".rowid WHERE " + table + " MATCH ");
      out_.Bind(std::move(match));
      out_.Append(" AND r.account_key = ");
      out_.Bind(account_key_);
      out_.Append(" UNION ALL ");
    }
    // The leads written since the last flush of the queue (at most 128 of all accounts).
    out_.Append("SELECT p.lead_id FROM " + table + "_rows p WHERE p.pending = 1 AND " +
                "p.account_key = ");
    out_.Bind(account_key_);
  }

  /// The condition on one attribute row `a` of a positive attribute filter (the probe's).
  void AttributeRow(const Filter& filter) {
    Op op = Positive(filter.op);
    switch (op) {
      case Op::kEq:
        AttributeEquals(Text(filter));
        break;
      case Op::kStartsWith:
        if (std::optional<std::string> key = dialect_.AttributeTextSortKey("")) {
          // The text's sort key starts with the same prefix after its marker: a range of the
          // (account_key, name, value_sort, lead_id) index, the lead ids read off it.
          out_.Append("(" + std::string(dialect_.AttributeSortValue()) + " LIKE ");
          out_.Bind(*key + LikeLiteral(FoldText(Text(filter))) + "%");
          out_.Append(std::string(kLikeEscape) + ")");
          break;
        }
        [[fallthrough]];
      case Op::kContains:
      case Op::kEndsWith:
        out_.Append("(");
        PositiveText(op, "a.value_fold", filter);  // text attributes only
        out_.Append(")");
        break;
      case Op::kGt:
      case Op::kGte:
      case Op::kLt:
      case Op::kLte: {
        const double bound = std::get<double>(filter.value);
        std::optional<std::string> key = dialect_.AttributeSortKey(bound);
        if (key && ExcludesBools({&filter})) {
          // Only number and bool attributes have a numeric sort key ("0" + its bits, ordered
          // as the numbers; text keys start with "1"): when neither 0 nor 1 passes, the key
          // range is the number range, read off the value_sort index with the lead ids.
          const std::string column(dialect_.AttributeSortValue());
          out_.Append(column);
          out_.Append(ComparisonSql(op));
          out_.Bind(std::move(*key));
          if (op == Op::kGt || op == Op::kGte) out_.Append(" AND " + column + " < '1'");
          break;
        }
        out_.Append(probe ? "a.value_num" : "a.type = 'number' AND a.value_num");
        out_.Append(ComparisonSql(op));
        out_.Bind(bound);
        break;
      }
      case Op::kIsNotEmpty:
        out_.Append(
            "(a.type IN ('number', 'bool') OR (a.type = 'text' AND a.value_fold <> '')"
            " OR (a.type IN ('list', 'object') AND ");
        dialect_.AppendJsonHasMembers(out_, "a.value");
        out_.Append("))");
        break;
      case Op::kArrayContains:
        // With HasListItems the items column is NULL for every other type.
        if (!dialect_.HasListItems()) out_.Append("a.type = 'list' AND ");
        dialect_.AppendJsonArrayHas(out_, "a.value", /*fold_elements=*/true,
                                    FoldText(Text(filter)));
        break;
      case Op::kArrayNotEmpty:
        if (dialect_.HasListItems()) {
          // A list's items are its strings, folded: as many as its elements. Written so that it
          // does not imply `value_items IS NOT NULL`: the partial index of the lists cannot
          // count them by name, and driven by it PostgreSQL read every list of the account
          // (884 ms at 1,000,000 leads, estimated 915 for 50,155); PostgreSQL estimates the
          // attribute's name well, so a common one walks the sort index (18 ms).
          out_.Append("COALESCE(jsonb_array_length(a.value_items), 0) > 0");
          break;
        }
        out_.Append("a.type = 'list' AND ");
        dialect_.AppendJsonHasMembers(out_, "a.value");
        break;
      default:
        out_.Append("1 = 0");  // unreachable: the parser rejects other operators
        break;
    }
  }

  void Condition(const Filter& filter) {
    switch (filter.field.kind) {
      case FieldKind::kText:
        return TextField(filter);
      case FieldKind::kNumber:
        return NumberField(filter);
      case FieldKind::kTags:
        return Tags(filter);
      case FieldKind::kLocation:
        return Location(filter);
      case FieldKind::kAttribute:
        return Attribute(filter);
    }
  }

  void SortExpression(const Sort& sort) {
    switch (sort.field.kind) {
      case FieldKind::kText:
        out_.Append(Column("leads." + sort.field.name + "_fold", true, no_sort_index));
        return;
      case FieldKind::kAttribute:
        // Numbers and bools sort by value_num, text by value_fold; list and object have no
        // sort value (NULL, so last). Numbers order before text, as in SQLite.
        out_.Append("(SELECT ");
        out_.Append(dialect_.AttributeSortValue());
        out_.Append(
            " FROM lead_attributes a"
            " WHERE a.account_key = leads.account_key AND a.lead_id = leads.id"
            " AND a.name = ");
        out_.Bind(sort.field.name);
        out_.Append(")");
        return;
      default:
        out_.Append(
            Column(sort.field.name == "score" ? ScoreOf("leads") : "leads." + sort.field.name,
                   false, no_sort_index));
        return;
    }
  }

  // Rows strictly after `after` in the order "sort value (NULLs last), id", both in the
  // sort's direction.
  void Keyset(const Sort& sort, const Cursor& after, bool sort_value_never_null) {
    std::string_view cmp = IsAscending(sort) ? " > " : " < ";
    if (std::holds_alternative<std::nullptr_t>(after.last_value)) {
      // Inside the trailing NULL block: only the id moves on.
      out_.Append("(");
      SortExpression(sort);
      out_.Append(" IS NULL AND " + sort_id);
      out_.Append(cmp);
      out_.Bind(after.last_id);
      out_.Append(")");
    } else if (sort_value_never_null) {
      // A row-value comparison lets both engines seek the (account_key, <field>, id) index.
      out_.Append("(");
      SortExpression(sort);
      out_.Append(", " + sort_id + ")");
      out_.Append(cmp);
      out_.Append("(");
      out_.Bind(after.last_value);
      out_.Append(", ");
      out_.Bind(after.last_id);
      out_.Append(")");
    } else {
      out_.Append("(");
      SortExpression(sort);
      out_.Append(cmp);
      out_.Bind(after.last_value);
      out_.Append(" OR (");
      SortExpression(sort);
      out_.Append(" = ");
      out_.Bind(after.last_value);
      out_.Append(" AND " + sort_id);
      out_.Append(cmp);
      out_.Bind(after.last_id);
      out_.Append(") OR ");
      SortExpression(sort);
      out_.Append(" IS NULL)");
    }
  }

 private:
  std::string Column(std::string column, bool text, bool no_index) const {
    return no_index ? "(" + dialect_.NoIndex(column, text) + ")" : column;
  }

  // Text fields match through their folded column. Negations are "NULL or not positive".
  void TextField(const Filter& filter) {
    // A substring the trigrams cannot look up (ScansFieldIndex): on PostgreSQL pg_trgm's index
    // would still be chosen for it and read whole (every entry of the account, then every
    // row: 1-5 s at 1,000,000 leads); written through no index, the planner reads the field's
    // sorted index (index-only) or the table, once.
    const bool no_index =
        no_filter_index || (!dialect_.HasTextIndexTable() && ScansFieldIndex(filter));
    std::string column = Column(row + "." + filter.field.name + "_fold", true, no_index);
    if (IsNegation(filter.op)) {
      out_.Append("(" + column + " IS NULL OR NOT (");
      PositiveText(Positive(filter.op), column, filter);
      out_.Append("))");
    } else {
      PositiveText(filter.op, column, filter);
    }
  }

  // A condition on a folded text expression (a `_fold` column or a.value_fold); false when
  // the expression is NULL.
  void PositiveText(Op op, std::string_view column, const Filter& filter) {
    out_.Append(column);
    switch (op) {
      case Op::kEq:
        out_.Append(" = ");
        out_.Bind(FoldText(Text(filter)));
        return;
      case Op::kContains:
        out_.Append(" LIKE ");
        out_.Bind("%" + LikeLiteral(FoldText(Text(filter))) + "%");
        out_.Append(kLikeEscape);
        return;
      case Op::kStartsWith: {
        // The prefix is also a range, which an index on the column can seek (SQLite's LIKE
        // cannot use one here: it folds ASCII case; SqlDialect::LikeSeeksPrefix). The LIKE
        // stays as the definition.
        std::string folded = FoldText(Text(filter));
        out_.Append(" LIKE ");
        out_.Bind(LikeLiteral(folded) + "%");
        out_.Append(kLikeEscape);
        if (!no_filter_index && !folded.empty() && !dialect_.LikeSeeksPrefix()) {
          out_.Append(" AND ");
          out_.Append(column);
          out_.Append(" >= ");
          out_.Bind(folded);
          if (std::optional<std::string> upper = PrefixUpperBound(folded)) {
            out_.Append(" AND ");
            out_.Append(column);
            out_.Append(" < ");
            out_.Bind(std::move(*upper));
          }
        }
        return;
      }
      case Op::kEndsWith:
        out_.Append(" LIKE ");
        out_.Bind("%" + LikeLiteral(FoldText(Text(filter))));
        out_.Append(kLikeEscape);
        return;
      case Op::kIn: {
        out_.Append(" IN (");
        const auto& items = std::get<std::vector<std::string>>(filter.value);
        for (size_t i = 0; i < items.size(); ++i) {
          if (i > 0) out_.Append(", ");
          out_.Bind(FoldText(items[i]));
        }
        out_.Append(")");
        return;
      }
      case Op::kIsNotEmpty:
        out_.Append(" <> ''");
        return;
      default:
        out_.Append(" IS NULL AND 1 = 0");  // unreachable: the parser rejects other operators
        return;
    }
  }

  void NumberField(const Filter& filter) {
    std::string column =
        Column(filter.field.name == "score" ? ScoreOf(row) : row + "." + filter.field.name, false,
               no_filter_index);
    double value = std::get<double>(filter.value);
    if (filter.op == Op::kNeq) {
      out_.Append("(" + column + " IS NULL OR " + column + " <> ");
      out_.Bind(value);
      out_.Append(")");
      return;
    }
    if (dialect_.NeedsIntegerBounds() && IsIntegerColumn(filter.field.name) &&
        std::abs(value) < kExactIntegers) {
      // The integer bound with the same matches: col > 4.5 is col > 4, col >= 4.5 is col >= 5;
      // an integer column never equals 4.5.
      const bool below = filter.op == Op::kGt || filter.op == Op::kLte;
      const double bound = below ? std::floor(value) : std::ceil(value);
      if (filter.op == Op::kEq && bound != value) {
        out_.Append("1 = 0");
        return;
      }
      out_.Append(column);
      out_.Append(ComparisonSql(filter.op));
      out_.Bind(static_cast<std::int64_t>(bound));
      return;
    }
    out_.Append(column);
    out_.Append(ComparisonSql(filter.op));
    out_.Bind(value);
  }

  void Tags(const Filter& filter) {
    // tags_fold is NOT NULL, so a negation is a plain NOT.
    if (IsNegation(filter.op)) out_.Append("NOT ");
    if (Positive(filter.op) == Op::kArrayContains) {
      dialect_.AppendJsonArrayHas(out_, "leads.tags_fold", /*fold_elements=*/false,
                                  FoldText(Text(filter)));
    } else {
      dialect_.AppendJsonHasMembers(out_, "leads.tags_fold");
    }
  }

  void Location(const Filter& filter) {
    if (filter.op == Op::kIsSet) {
      out_.Append("(leads.latitude IS NOT NULL AND leads.longitude IS NOT NULL)");
      return;
    }
    if (filter.op == Op::kIsNotSet) {
      out_.Append("(leads.latitude IS NULL OR leads.longitude IS NULL)");
      return;
    }
    const auto& circle = std::get<GeoCircle>(filter.value);
    BoundingBox box = BoundingBoxOf(circle);
    // The box is a cheap, index-friendly prefilter; the distance decides.
    out_.Append("(" + Column("leads.latitude", false, no_filter_index) + " BETWEEN ");
    out_.Bind(box.min_lat);
    out_.Append(" AND ");
    out_.Bind(box.max_lat);
    if (probe) {
      out_.Append(")");
      return;
    }
    if (box.min_lng && box.max_lng) {
      out_.Append(" AND leads.longitude BETWEEN ");
      out_.Bind(*box.min_lng);
      out_.Append(" AND ");
      out_.Bind(*box.max_lng);
    } else {
      out_.Append(" AND leads.longitude IS NOT NULL");
    }
    out_.Append(" AND ");
    dialect_.AppendDistanceKm(out_, "leads.latitude", "leads.longitude", circle.lat, circle.lng);
    out_.Append(" <= ");
    out_.Bind(circle.km);
    out_.Append(")");
  }

  // attr:<name>: EXISTS an attribute row satisfying the positive condition; a negation is
  // NOT EXISTS, so a lead without the attribute matches neq, not_contains,
  // array_not_contains, is_empty and array_empty, and never matches the others.
  void Attribute(const Filter& filter) {
    out_.Append(IsNegation(filter.op) ? "NOT EXISTS (" : "EXISTS (");
    out_.Append(kAttributeRow);
    out_.Bind(filter.field.name);
    out_.Append(" AND ");
    AttributeRow(filter);
    if (ProbedForPostgres(filter) && dialect_.HasListItems() && dialect_.HasStatistics()) {
      // PostgreSQL cannot estimate a list's element under the attribute's name (it multiplies
      // the two: 212 rows for 11,892), so as a semi-join it would drive by the
      // attribute and read every matching lead. OFFSET 0 keeps the EXISTS a per-lead check
      // (the lead's attribute row by its key), so a common element walks the sort index; the
      // storage probes the filter first and drives it when it is rare (query/plan.h).
      out_.Append(" OFFSET 0");
    }
    out_.Append(")");
  }

  // Text attributes compare folded; number attributes compare numerically when the value is
  // a number; bool attributes match "true"/"false" (any case).
  void AttributeEquals(const std::string& value) {
    std::optional<std::string> key = dialect_.AttributeTextSortKey(FoldText(value));
    std::string word = core::AsciiLower(core::Trim(value));
    if (key && !ParseNumber(value) && word != "true" && word != "false") {
      // Text attributes only: their sort key, which the value_sort index holds with the lead.
      out_.Append("(" + std::string(dialect_.AttributeSortValue()) + " = ");
      out_.Bind(std::move(*key));
      out_.Append(")");
      return;
    }
    out_.Append("(a.value_fold = ");
    out_.Bind(FoldText(value));
    if (std::optional<double> number = ParseNumber(value)) {
      out_.Append(" OR (a.type = 'number' AND a.value_num = ");
      out_.Bind(*number);
      out_.Append(")");
    }
    if (word == "true" || word == "false") {
      out_.Append(" OR (a.type = 'bool' AND a.value_num = ");
      out_.Bind(std::int64_t{word == "true" ? 1 : 0});
      out_.Append(")");
    }
    out_.Append(")");
  }

  const SqlDialect& dialect_;
  SqlBuilder& out_;
  std::int64_t account_key_;
};

}  // namespace

namespace {

// Appends ` AND (a OR b ...)` over the query's `or` filters, each written by `write`; nothing
// when there is none.
template <typename Write>
void OrGroup(SqlBuilder& out, const std::vector<Filter>& filters, Write write) {
  bool first = true;
  for (const Filter& f : filters) {
    if (f.logic != Logic::kOr) continue;
    out.Append(first ? " AND (" : " OR ");
    first = false;
    write(f);
  }
  if (!first) out.Append(")");
}

// True when no row of the result can have a NULL sort value: the field is never NULL, or an
// `and` filter compares it positively (which NULL never satisfies). Then the order needs no
// NULLS LAST and the keyset is a row-value comparison, so the engine seeks the
// (account_key, <field>, id) index instead of scanning to the cursor: page 1,000 costs what
// page 1 does.
bool SortValueNeverNull(const ListQuery& query) {
  const FieldRef& field = query.sort.field;
  if (IsNeverNull(field)) return true;
  if (field.kind != FieldKind::kText && field.kind != FieldKind::kNumber) return false;
  for (const Filter& f : query.filters) {
    if (f.logic != Logic::kAnd || !(f.field == field)) continue;
    switch (f.op) {
      case Op::kEq:
      case Op::kGt:
      case Op::kGte:
      case Op::kLt:
      case Op::kLte:
      case Op::kContains:
      case Op::kStartsWith:
      case Op::kEndsWith:
      case Op::kIn:
      case Op::kIsNotEmpty:
        return true;
      default:
        break;
    }
  }
  return false;
}

// Access::kAttributeSort: the order of `sort by attr:<name>` read off the attribute value
// indexes instead of computing every lead's sort value and sorting the account. The sort value
// COALESCE(value_num, value_fold) splits the leads in three blocks, each walked in order:
// numbers (lead_attributes_num), text (lead_attributes_fold: value_num is NULL there), then
// the leads without a sort value (by id, through the primary key). Ascending is numbers, text,
// none; descending text, numbers, none (NULLs last either way). Each block is a LIMITed
// subquery of a UNION ALL under the same LIMIT, so a page stops in the first block that fills
// it. A cursor starts in its own block, with a row-value keyset the index can seek; the blocks
// before it are left out. Filters are tested on each lead (no index of theirs is used); those
// on the sorted attribute leave out blocks no row of theirs can be in (a comparison matches
// numbers only, a positive text or number match needs a sort value), and comparisons bound the
// walk of the numbers.
CompiledSql CompileAttributeSortQuery(const SqlDialect& dialect, std::string_view select_list,
                                      const ListQuery& query) {
  SqlBuilder out(dialect);
  Compiler compiler(dialect, out, query.account_key);
  compiler.no_filter_index = true;
  bool score_later = false;
  const std::string selected = WithScore(select_list, ScoreLookup(dialect, "leads"),
                                         !dialect.HasScoresTable(), query, score_later);
  auto finish = [&] {
    CompiledSql compiled = std::move(out).Finish();
    compiled.score_later = score_later;
    return compiled;
  };
  const bool ascending = IsAscending(query.sort);
  const std::string_view direction = ascending ? " ASC" : " DESC";
  const std::string_view cmp = ascending ? " > " : " < ";
  // kValues: the one sort-value column of an engine that has it (SqlDialect::AttributeSortIndex:
  // its order is numbers, then text), in place of kNumbers and kText.
  enum Block { kNumbers, kText, kValues, kNone };
  const std::string_view values_index = dialect.AttributeSortIndex();
  bool numbers_only = false;
  bool has_value = false;
  std::vector<const Filter*> ranges;
  for (const Filter& f : query.filters) {
    if (f.logic != Logic::kAnd || !(f.field == query.sort.field)) continue;
    switch (f.op) {
      case Op::kGt:
      case Op::kGte:
      case Op::kLt:
      case Op::kLte:
        numbers_only = has_value = true;
        ranges.push_back(&f);
        break;
      case Op::kEq:
      case Op::kContains:
      case Op::kStartsWith:
      case Op::kEndsWith:
        has_value = true;
        break;
      default:
        break;
    }
  }
  std::optional<Block> cursor_block;
  if (query.after) {
    const SqlValue& v = query.after->last_value;
    cursor_block = std::holds_alternative<std::nullptr_t>(v) ? kNone
                   : !values_index.empty()                   ? kValues
                   : std::holds_alternative<std::string>(v)  ? kText
                                                             : kNumbers;
  }
  const std::vector<Block> order =
      !values_index.empty()
          ? std::vector<Block>{kValues, kNone}
          : std::vector<Block>{ascending ? kNumbers : kText, ascending ? kText : kNumbers, kNone};
  // `walked`: the ranges on the sorted attribute bound the walk of its one sort-value column
  // (kValues) and are not tested again on each lead: PostgreSQL would multiply their
  // estimates with the walk's (20,563 leads estimated at 2) and sort the whole range instead of
  // walking it (bench/RESULTS.md, branch pgqm5).
  auto filters = [&](bool walked = false) {
    for (const Filter& f : query.filters) {
      if (f.logic != Logic::kAnd) continue;
      if (walked && std::find(ranges.begin(), ranges.end(), &f) != ranges.end()) continue;
      out.Append(" AND ");
      compiler.Condition(f);
    }
    OrGroup(out, query.filters, [&](const Filter& f) { compiler.Condition(f); });
  };
  bool started = !cursor_block.has_value();
  bool first = true;
  for (Block block : order) {
    if (!started && block != *cursor_block) continue;
    started = true;
    if ((block == kText && numbers_only) || (block == kNone && has_value)) continue;
    const bool keyset = cursor_block == block;
    out.Append(first ? "SELECT * FROM (" : " UNION ALL SELECT * FROM (");
    first = false;
    out.Append("SELECT ");
    out.Append(selected);
    if (block == kNone) {
      out.Append(", NULL AS ");
      out.Append(kSortKeyColumn);
      out.Append(" FROM leads WHERE leads.account_key = ");
      out.Bind(query.account_key);
      out.Append(
          " AND NOT EXISTS (SELECT 1 FROM lead_attributes a"
          " WHERE a.account_key = leads.account_key AND a.lead_id = leads.id AND a.name = ");
      out.Bind(query.sort.field.name);
      out.Append(" AND (a.value_num IS NOT NULL OR a.value_fold IS NOT NULL))");
      filters();
      if (keyset) {
        out.Append(" AND leads.id");
        out.Append(cmp);
        out.Bind(query.after->last_id);
      }
      out.Append(" ORDER BY leads.id");
      out.Append(direction);
    } else {
      const std::string column = block == kNumbers ? "a.value_num"
                                 : block == kText  ? "a.value_fold"
                                                   : std::string(dialect.AttributeSortValue());
      const std::string_view index = block == kNumbers ? "lead_attributes_num"
                                     : block == kText  ? "lead_attributes_fold"
                                                       : values_index;
      out.Append(", s.sort_value AS ");
      out.Append(kSortKeyColumn);
      out.Append(" FROM (SELECT a.lead_id AS sort_lead, " + column +
                 " AS sort_value FROM lead_attributes a" + dialect.IndexedBy(index) +
                 " WHERE a.account_key = ");
      out.Bind(query.account_key);
      out.Append(" AND a.name = ");
      out.Bind(query.sort.field.name);
      out.Append(" AND " + column + " IS NOT NULL");
      if (block == kText) out.Append(" AND a.value_num IS NULL");
      // Comparisons only match numbers: a bool's key (0 or 1) is in the walked range unless
      // the ranges exclude both, so then only are they not tested again.
      bool walked = block == kValues && Compiler::ExcludesBools(ranges);
      for (const Filter* range : ranges) {
        // On the one sort-value column the bound is its key (the keys order numbers as
        // numbers, all before text), so its index walk starts and stops there; the same bound
        // on value_num would count the range twice in PostgreSQL's estimate.
        std::optional<std::string> key = dialect.AttributeSortKey(std::get<double>(range->value));
        if (block == kValues && key) {
          out.Append(" AND a.value_sort");
          out.Append(ComparisonSql(range->op));
          out.Bind(std::move(*key));
          continue;
        }
        walked = false;
        out.Append(" AND a.value_num");
        out.Append(ComparisonSql(range->op));
        out.Bind(std::get<double>(range->value));
      }
      if (block == kValues && numbers_only) out.Append(" AND a.value_sort < '1'");
      if (keyset) {
        out.Append(" AND (" + column + ", a.lead_id)");
        out.Append(cmp);
        out.Append("(");
        out.Bind(query.after->last_value);
        out.Append(", ");
        out.Bind(query.after->last_id);
        out.Append(")");
      }
      out.Append(") s CROSS JOIN leads WHERE leads.account_key = ");
      out.Bind(query.account_key);
      out.Append(" AND leads.id = s.sort_lead");
      filters(walked);
      out.Append(" ORDER BY s.sort_value");
      out.Append(direction);
      out.Append(", s.sort_lead");
      out.Append(direction);
    }
    if (query.limit) {
      out.Append(" LIMIT ");
      out.Bind(std::int64_t{*query.limit} + 1);
    }
    out.Append(") b" + std::to_string(static_cast<int>(block)));  // PostgreSQL needs an alias
  }
  if (first) {  // the cursor is past every block that can hold a row
    out.Append("SELECT ");
    out.Append(selected);
    out.Append(", NULL AS ");
    out.Append(kSortKeyColumn);
    out.Append(" FROM leads WHERE 1 = 0");
    return finish();
  }
  if (query.limit) {
    out.Append(" LIMIT ");
    out.Bind(std::int64_t{*query.limit} + 1);
  }
  return finish();
}

// True when Access::kSortIndex is written as CompileCheckedWalk: some `and` filter on another
// field than the sort's can be tested on the walked index entry (ChecksOnIndex).
bool HasIndexCheck(const ListQuery& query) {
  if (query.walk_set) return true;
  return std::any_of(query.filters.begin(), query.filters.end(), [&](const Filter& f) {
    return f.logic == Logic::kAnd &&
           (ChecksOnIndex(f) || f.field.kind == FieldKind::kAttribute ||
            OnWalkedEntry(f, query.sort)) &&
           !(f.field == query.sort.field);
  });
}

// `filter` as an `and` filter (ChecksOnIndex judges `and` filters).
Filter AsAnd(const Filter& filter) {
  Filter out = filter;
  out.logic = Logic::kAnd;
  return out;
}

// True when the query's `or` group can be tested on the walked index entry: every `or` filter
// ChecksOnIndex (as an `and` filter) or is on the sort field, whose index is walked.
bool OrGroupOnWalk(const ListQuery& query) {
  bool any = false;
  for (const Filter& f : query.filters) {
    if (f.logic != Logic::kOr) continue;
    any = true;
    const bool sort_field = f.field == query.sort.field && (f.field.kind == FieldKind::kText ||
                                                            f.field.kind == FieldKind::kNumber);
    if (!sort_field && !ChecksOnIndex(AsAnd(f)) && !OnWalkedEntry(f, query.sort)) return false;
  }
  return any;
}

// Access::kSortIndex when some filter ChecksOnIndex or is OnWalkedEntry (SQLite): the sort
// index is walked in a subquery `w` that reads that index only (the walk, the filters on the
// sort field and on the columns the index carries, the keyset, and each ChecksOnIndex filter
// as a seek of its own index or of the lead's attribute rows), and only the entries that pass read
// their lead's row (CROSS JOIN keeps the walk outside), where the other filters are tested. SQLite
// flattens `w` into the join, so the walk yields the order and stops at the page's LIMIT. A
// combination of common filters that matches few rows (4 % x 25 % x 7 %) walks many index entries,
// each a seek or two instead of a row read (docs/QUERY-PERFORMANCE.md, "Checked walks").
CompiledSql CompileCheckedWalk(const SqlDialect& dialect, std::string_view select_list,
                               const ListQuery& query) {
  SqlBuilder out(dialect);
  Compiler compiler(dialect, out, query.account_key);
  const std::string_view direction = IsAscending(query.sort) ? " ASC" : " DESC";
  // The score's order is lead_scores' own where scores live there: walked under the alias
  // `leads` (FromIndex), until the walk's end; each entry carries its score, which the select
  // list then reads (not a lookup per row).
  const bool walks_scores = IsScoresIndex(dialect, SortIndexFor(query.sort));
  bool score_later = false;
  out.Append("SELECT ");
  out.Append(WithScore(select_list,
                       walks_scores ? std::string("w.walk_score") : ScoreLookup(dialect, "leads"),
                       walks_scores || !dialect.HasScoresTable(), query, score_later));
  out.Append(", w.sort_value AS ");
  out.Append(kSortKeyColumn);
  out.Append(" FROM (SELECT leads.id AS walk_id, ");
  if (walks_scores) out.Append("leads.score AS walk_score, ");
  compiler.scores_row = walks_scores;
  compiler.SortExpression(query.sort);
  out.Append(" AS sort_value" + FromIndex(dialect, "", SortIndexFor(query.sort)) +
             " WHERE leads.account_key = ");
  out.Bind(query.account_key);
  auto on_sort_field = [&](const Filter& f) { return f.field == query.sort.field; };
  auto on_entry = [&](const Filter& f) { return OnWalkedEntry(f, query.sort); };
  // Filters on a column the walked index carries are tested on its entry, first (no seek).
  for (const Filter& f : query.filters) {
    if (f.logic != Logic::kAnd || on_sort_field(f) || !on_entry(f)) continue;
    out.Append(" AND ");
    compiler.Condition(f);
  }
  // Each check is a seek of (account_key, value, id) in the filter's index, which covers it.
  auto check = [&](const Filter& f) {
    if (f.field.kind == FieldKind::kAttribute) {
      out.Append("EXISTS (SELECT 1 FROM lead_attributes a" + dialect.IndexedBy(IndexFor(f)) +
                 " WHERE a.account_key = leads.account_key AND a.name = ");
      out.Bind(f.field.name);
      out.Append(" AND a.value_fold = ");
      out.Bind(FoldText(Text(f)));
      out.Append(" AND a.lead_id = leads.id)");
      return;
    }
    out.Append("EXISTS (SELECT 1" + FromIndex(dialect, "x", IndexFor(AsAnd(f))) +
               " WHERE x.account_key = leads.account_key AND ");
    const bool walk_scores = compiler.scores_row;
    compiler.row = "x";
    compiler.scores_row = IsScoresIndex(dialect, IndexFor(AsAnd(f)));
    compiler.Condition(f);
    compiler.row = "leads";
    compiler.scores_row = walk_scores;
    out.Append(" AND x.id = leads.id)");
  };
  // An attribute filter whose matching leads are few (ListQuery::walk_set): one set of their
  // ids, built once from its value index, which each walked entry is looked up in.
  std::vector<size_t> in_set;
  if (query.walk_set && *query.walk_set < query.filters.size() &&
      query.filters[*query.walk_set].field.kind == FieldKind::kAttribute &&
      IsIndexable(query.filters[*query.walk_set])) {
    in_set = SameIndexFilters(query, *query.walk_set);
    std::vector<const Filter*> group;
    for (size_t j : in_set) group.push_back(&query.filters[j]);
    // PostgreSQL would pull the IN up into a join driven by the set, and sort its leads: as
    // an expression it stays one hashed subplan, tested on each walked entry.
    const bool hashed = dialect.HasStatistics();
    out.Append(hashed ? " AND (" : " AND ");
    compiler.DrivingCondition(group);
    if (hashed) out.Append(") IS TRUE");
  } else if (query.walk_set && *query.walk_set < query.filters.size() &&
             query.filters[*query.walk_set].field.kind == FieldKind::kLocation &&
             query.filters[*query.walk_set].op == Op::kWithinRadius) {
    // The leads of the circle's latitude band, read off leads_latitude: the distance is then
    // tested on the rows of the entries found in it (the filter stays on the row).
    const BoundingBox box =
        BoundingBoxOf(std::get<GeoCircle>(query.filters[*query.walk_set].value));
    out.Append(" AND leads.id IN (SELECT x.id FROM leads x" + dialect.IndexedBy("leads_latitude") +
               " WHERE x.account_key = ");
    out.Bind(query.account_key);
    out.Append(" AND x.latitude BETWEEN ");
    out.Bind(box.min_lat);
    out.Append(" AND ");
    out.Bind(box.max_lat);
    out.Append(")");
  }
  auto in_walk_set = [&](const Filter& f) {
    return std::any_of(in_set.begin(), in_set.end(),
                       [&](size_t j) { return &query.filters[j] == &f; });
  };
  for (const Filter& f : query.filters) {
    if (f.logic != Logic::kAnd || on_sort_field(f) || on_entry(f) || !ChecksOnIndex(f) ||
        in_walk_set(f)) {
      continue;
    }
    out.Append(" AND ");
    check(f);
  }
  // Other attribute filters read the lead's attribute rows (by their primary key), about what
  // reading the lead costs: still before the lead's row, which only the passing entries read.
  for (const Filter& f : query.filters) {
    if (f.logic != Logic::kAnd || ChecksOnIndex(f) || f.field.kind != FieldKind::kAttribute ||
        in_walk_set(f)) {
      continue;
    }
    out.Append(" AND ");
    compiler.Condition(f);  // reads leads.account_key and leads.id only
  }
  // An `or` group of checks (and conditions on the sort field) is tested on the walk too.
  const bool or_on_walk = OrGroupOnWalk(query);
  if (or_on_walk) {
    OrGroup(out, query.filters, [&](const Filter& f) {
      if (on_sort_field(f) || on_entry(f)) {
        compiler.Condition(f);
      } else {
        check(f);
      }
    });
  }
  for (const Filter& f : query.filters) {
    if (f.logic != Logic::kAnd || !on_sort_field(f)) continue;
    out.Append(" AND ");
    compiler.Condition(f);  // on the walked index: where the walk starts or stops
  }
  if (query.after) {
    out.Append(" AND ");
    compiler.Keyset(query.sort, *query.after, SortValueNeverNull(query));
  }
  out.Append(") w CROSS JOIN leads WHERE leads.account_key = ");
  out.Bind(query.account_key);
  out.Append(" AND leads.id = w.walk_id");
  compiler.scores_row = false;
  compiler.no_filter_index = true;
  for (const Filter& f : query.filters) {
    if (f.logic != Logic::kAnd || on_sort_field(f) || ChecksOnIndex(f) || on_entry(f) ||
        f.field.kind == FieldKind::kAttribute) {
      continue;
    }
    out.Append(" AND ");
    compiler.Condition(f);
  }
  if (!or_on_walk) {
    OrGroup(out, query.filters, [&](const Filter& f) { compiler.Condition(f); });
  }
  out.Append(" ORDER BY w.sort_value");
  out.Append(direction);
  if (!SortValueNeverNull(query)) out.Append(" NULLS LAST");
  out.Append(", w.walk_id");
  out.Append(direction);
  if (query.limit) {
    out.Append(" LIMIT ");
    out.Bind(std::int64_t{*query.limit} + 1);
  }
  CompiledSql compiled = std::move(out).Finish();
  compiled.score_later = score_later;
  return compiled;
}

// True for the score field (a number column of leads, or of lead_scores).
bool IsScore(const FieldRef& field) {
  return field.kind == FieldKind::kNumber && field.name == "score";
}

// PostgreSQL (SqlDialect::HasScoresTable with statistics): a query that sorts or filters by the
// score joins the lead's lead_scores row as `ls`, so that its planner weighs walking
// lead_scores_order (the facets tested on its entries) against seeking a filter's index and
// sorting, as it did with leads_score; a lookup per lead in an expression would make it sort
// every matching lead. SQLite, told which index to use, reads lead_scores through FromIndex.
bool JoinsScores(const SqlDialect& dialect, const ListQuery& query) {
  if (!dialect.HasScoresTable() || !dialect.HasStatistics()) return false;
  return IsScore(query.sort.field) || std::any_of(query.filters.begin(), query.filters.end(),
                                                  [](const Filter& f) { return IsScore(f.field); });
}

}  // namespace

CompiledSql CompileListQuery(const SqlDialect& dialect, std::string_view select_list,
                             const ListQuery& query) {
  if (query.access == Access::kAttributeSort && query.sort.field.kind == FieldKind::kAttribute) {
    return CompileAttributeSortQuery(dialect, select_list, query);
  }
  // A walk of lead_scores' order (SqlDialect::HasScoresTable) reads only that table: the
  // checked walk joins each passing entry's lead. Unfiltered (kAuto), the engine would walk
  // leads' sort index: there is none for the score.
  const bool walk = query.access == Access::kSortIndex ||
                    (query.access == Access::kAuto && query.filters.empty() && HasSortIndex(query));
  const bool join_scores = JoinsScores(dialect, query);
  if ((query.access == Access::kSortIndex && (HasIndexCheck(query) || OrGroupOnWalk(query))) ||
      (walk && !join_scores && IsScoresIndex(dialect, SortIndexFor(query.sort)))) {
    return CompileCheckedWalk(dialect, select_list, query);
  }
  const bool never_null = SortValueNeverNull(query);
  SqlBuilder out(dialect);
  Compiler compiler(dialect, out, query.account_key);
  compiler.scores_joined = join_scores;
  // A score sort through the join walks lead_scores_order: the keyset seeks it on (score, id).
  const bool walks_scores = join_scores && IsScore(query.sort.field);
  if (walks_scores) compiler.sort_id = "ls.lead_id";
  const bool driven = query.access == Access::kFilterIndex && query.drive < query.filters.size();
  const bool scan = query.access == Access::kScan;
  if (driven && query.drive_ids) compiler.drive_ids = &*query.drive_ids;
  std::string_view direction = IsAscending(query.sort) ? " ASC" : " DESC";

  // The score: the joined row's where the statement joins lead_scores.
  bool score_later = false;
  out.Append("SELECT ");
  out.Append(WithScore(select_list, compiler.ScoreOf("leads"),
                       join_scores || !dialect.HasScoresTable(), query, score_later));
  out.Append(", ");
  compiler.SortExpression(query.sort);
  out.Append(" AS ");
  out.Append(kSortKeyColumn);
  out.Append(" FROM leads");
  if (driven && query.filters[query.drive].field.kind != FieldKind::kAttribute &&
      !UsesTextIndex(query.filters[query.drive]) && !ScansFieldIndex(query.filters[query.drive]) &&
      !IsScoresIndex(dialect, IndexFor(query.filters[query.drive]))) {
    out.Append(dialect.IndexedBy(IndexFor(query.filters[query.drive])));
  } else if (query.access == Access::kSortIndex) {
    out.Append(dialect.IndexedBy(SortIndexFor(query.sort)));
  }
  if (join_scores) {
    // Its id renamed: the select list names the lead's columns unqualified.
    out.Append(
        " JOIN (SELECT account_key, id AS lead_id, score, status_fold, city_fold, category_fold "
        "FROM lead_scores) ls ON ls.account_key = leads.account_key AND ls.lead_id = leads.id");
  }
  out.Append(" WHERE leads.account_key = ");
  out.Bind(query.account_key);

  // Steering: with kSortIndex no filter can use an index; with kFilterIndex only the driving
  // filter can, and the sort cannot (so the engine seeks the filter's index, then sorts).
  // A range on the sort field itself stays seekable when walking the sort's index: it is
  // where the walk starts or stops.
  compiler.no_sort_index = driven || scan;
  std::vector<size_t> group;
  std::vector<const Filter*> group_filters;
  if (driven) {
    group = SameIndexFilters(query, query.drive);
    for (size_t j : group) group_filters.push_back(&query.filters[j]);
  }
  for (size_t i = 0; i < query.filters.size(); ++i) {
    const Filter& filter = query.filters[i];
    if (filter.logic != Logic::kAnd) continue;
    out.Append(" AND ");
    if (driven && i == query.drive) {
      compiler.no_filter_index = false;
      compiler.DrivingCondition(group_filters);
    } else if (std::find(group.begin(), group.end(), i) != group.end()) {
      compiler.no_filter_index = false;  // the rest of the driving range
      compiler.Condition(filter);
    } else {
      compiler.no_filter_index =
          query.access == Access::kFilterIndex || scan ||
          (query.access == Access::kSortIndex && !(filter.field == query.sort.field));
      if (walks_scores && OnWalkedEntry(filter, query.sort)) {
        // On lead_scores' copy of the facet (kept equal by triggers), which a walk of
        // lead_scores_order tests on each entry. A city's also on the lead's own, for its index:
        // a rare city is sought there, then sorted (the planner counts both, so it walks the
        // score's order only for a common city). Statuses and categories are few: walked.
        compiler.row = "ls";
        compiler.Condition(filter);
        compiler.row = "leads";
        if (filter.field.name != "city") continue;
        out.Append(" AND ");
      }
      compiler.Condition(filter);
    }
  }
  compiler.no_filter_index = query.access != Access::kAuto;
  // An `or` group of facets under a score walk: also on lead_scores' copies, tested on the walk.
  const bool or_on_scores =
      walks_scores &&
      std::any_of(query.filters.begin(), query.filters.end(),
                  [](const Filter& f) { return f.logic == Logic::kOr; }) &&
      std::all_of(query.filters.begin(), query.filters.end(), [&](const Filter& f) {
        return f.logic != Logic::kOr || OnWalkedEntry(f, query.sort);
      });
  if (or_on_scores) {
    compiler.row = "ls";
    OrGroup(out, query.filters, [&](const Filter& f) { compiler.Condition(f); });
    compiler.row = "leads";
  }
  OrGroup(out, query.filters, [&](const Filter& f) { compiler.Condition(f); });

  if (query.after) {
    out.Append(" AND ");
    compiler.Keyset(query.sort, *query.after, never_null);
  }

  out.Append(" ORDER BY ");
  if ((driven || scan) && query.sort.field.kind != FieldKind::kAttribute) {
    compiler.SortExpression(query.sort);  // written so that its index cannot serve the order
  } else {
    out.Append(kSortKeyColumn);
  }
  out.Append(direction);
  if (!never_null) out.Append(" NULLS LAST");
  out.Append(", leads.id");
  out.Append(direction);
  if (query.limit) {
    out.Append(" LIMIT ");
    out.Bind(std::int64_t{*query.limit} + 1);
  }
  CompiledSql compiled = std::move(out).Finish();
  compiled.score_later = score_later;
  return compiled;
}

CompiledSql CompileCountProbe(const SqlDialect& dialect, const ListQuery& query, size_t index,
                              int cap) {
  SqlBuilder out(dialect);
  Compiler compiler(dialect, out, query.account_key);
  compiler.probe = true;
  const Filter& filter = query.filters.at(index);
  const std::vector<size_t> group = SameIndexFilters(query, index);
  // `select` of the account's leads the filter's index finds, every filter of its group tested.
  auto leads_rows = [&](const std::string& select) {
    out.Append(select + FromIndex(dialect, "", IndexFor(filter)) + " WHERE leads.account_key = ");
    out.Bind(query.account_key);
    compiler.scores_row = IsScoresIndex(dialect, IndexFor(filter));
    for (size_t j : group) {
      out.Append(" AND ");
      compiler.Condition(query.filters[j]);
    }
  };
  if (ProbeReadsIds(filter)) {
    // The ids themselves: a rare value's probe reads the whole index, the query will not.
    leads_rows("SELECT leads.id");
    out.Append(" LIMIT ");
    out.Bind(std::int64_t{cap});
    return std::move(out).Finish();
  }
  const bool list_ids = ProbedForPostgres(filter) && dialect.HasListItems();
  if (UsesTextIndex(filter) && dialect.HasTextIndexTable()) {
    out.Append("SELECT count(*) FROM (");
    compiler.TextIndexRows(filter);
  } else if (filter.field.kind == FieldKind::kAttribute) {
    // A list's element (PostgreSQL): the lead ids, read off the lists' index and their rows;
    // a rare element then drives by them (ListQuery::drive_ids), not by a second read.
    out.Append(std::string(list_ids ? "SELECT a.lead_id" : "SELECT count(*) FROM (SELECT 1") +
               " FROM lead_attributes a" + dialect.IndexedBy(IndexFor(filter)) +
               " WHERE a.account_key = ");
    out.Bind(query.account_key);
    out.Append(" AND a.name = ");
    out.Bind(filter.field.name);
    for (size_t j : group) {
      out.Append(" AND ");
      compiler.AttributeRow(query.filters[j]);
    }
  } else {
    leads_rows("SELECT count(*) FROM (SELECT 1");
  }
  out.Append(" LIMIT ");
  out.Bind(std::int64_t{cap});
  if (!list_ids) out.Append(") p");
  return std::move(out).Finish();
}

CompiledSql CompileTrigramTermsProbe(const SqlDialect& dialect, const ListQuery& query,
                                     size_t index, int cap, const std::string& match) {
  SqlBuilder out(dialect);
  Compiler compiler(dialect, out, query.account_key);
  compiler.probe = true;
  const Filter& filter = query.filters.at(index);
  // Values of 3 code points or more: the trigrams that hold the pair, and the pending leads.
  compiler.TextIndexRows(match);
  // A value of exactly 2 code points holding the pair is the pair: its sorted index.
  Filter pair = filter;
  pair.op = Op::kEq;
  out.Append(" UNION ALL SELECT leads.id FROM leads" + dialect.IndexedBy(IndexFor(pair)) +
             " WHERE leads.account_key = ");
  out.Bind(query.account_key);
  out.Append(" AND ");
  compiler.Condition(pair);
  out.Append(" LIMIT ");
  out.Bind(std::int64_t{cap});
  return std::move(out).Finish();
}

CompiledSql CompileTrigramRegexProbe(const SqlDialect& dialect, const ListQuery& query,
                                     size_t index, int cap, const std::string& regex) {
  SqlBuilder out(dialect);
  const Filter& filter = query.filters.at(index);
  out.Append("SELECT leads.id FROM leads WHERE leads.account_key = ");
  out.Bind(query.account_key);
  out.Append(" AND leads." + filter.field.name + "_fold ~ ");
  out.Bind(regex);
  out.Append(" LIMIT ");
  out.Bind(std::int64_t{cap});
  return std::move(out).Finish();
}

}  // namespace klozeo::query
