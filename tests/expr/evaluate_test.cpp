#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "expr/program.h"

namespace klozeo::expr {
namespace {

constexpr int64_t kNow = 1'700'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kDay = 86'400;

// A lead as the service layer would present it: identifier → value. Missing means nil.
using Lead = std::map<std::string, Value, std::less<>>;

const std::vector<std::string> kTags = {"vip", "b2b"};
const std::vector<std::string> kNumberList = {"5", "6"};

// The sample lead used by the examples in docs/SCORING.md.
Lead SampleLead() {
  return {
      {"name", Value::Text("Acme Bakery")},
      {"email", Value::Text("contact@acme.fr")},
      {"phone", Value::Nil()},
      {"website", Value::Text("https://acme.fr")},
      {"city", Value::Text("Paris")},
      {"postal_code", Value::Text("75001")},
      {"rating", Value::Number(4.5)},
      {"review_count", Value::Number(120)},
      {"created_at", Value::Number(static_cast<double>(kNow - 40 * kDay))},
      {"last_interaction_at", Value::Number(static_cast<double>(kNow - 3 * kDay))},
      {"tags", Value::List(kTags)},
      {"attr_employees", Value::Number(800)},
      {"attr_size", Value::Text("21")},
      {"attr_note", Value::Text("call back")},
      {"attr_numbers", Value::List(kNumberList)},
      {"attr_meta", Value::Object()},
      {"attr_active", Value::Bool(true)},
  };
}

// Compiles `source`, binds its slots from `lead` by name and evaluates it at `now`.
core::Result<double> Eval(std::string_view source, const Lead& lead, int64_t now = kNow) {
  core::Result<Program> program = Program::Compile(source);
  if (!program.ok()) return program.error();
  std::vector<Value> slots;
  for (const std::string& field : program->fields()) {
    auto it = lead.find(field);
    slots.push_back(it == lead.end() ? Value::Nil() : it->second);
  }
  return program->Evaluate(slots, now);
}

struct ValueCase {
  std::string_view source;
  double expected;
};

void ExpectValues(const Lead& lead, std::span<const ValueCase> cases) {
  for (const ValueCase& c : cases) {
    core::Result<double> value = Eval(c.source, lead);
    ASSERT_TRUE(value.ok()) << c.source << ": " << value.error().message;
    EXPECT_DOUBLE_EQ(*value, c.expected) << c.source;
  }
}

struct ErrorCase {
  std::string_view source;
  std::string_view message;
};

void ExpectErrors(const Lead& lead, std::span<const ErrorCase> cases) {
  for (const ErrorCase& c : cases) {
    core::Result<double> value = Eval(c.source, lead);
    ASSERT_FALSE(value.ok()) << c.source << " evaluated to " << *value;
    EXPECT_EQ(value.error().code, core::ErrorCode::kBadRequest) << c.source;
    EXPECT_EQ(value.error().message, c.message) << c.source;
  }
}

TEST(ExprDocs, ExamplesOnSampleLead) {
  const ValueCase cases[] = {
      {"rating * 20", 90},
      {"review_count > 100 ? 30 : 0", 30},
      {"(rating * 10) + (review_count > 50 ? 20 : 0)", 65},
      {"attr_employees > 500 ? 40 : 20", 40},
      {"(email != nil ? 30 : 0) + (phone != nil ? 30 : 0)", 30},
      {"days_since(last_interaction_at) < 7 ? 20 : 0", 20},
      {"\"vip\" in tags", 1},
      {"city == \"Paris\"", 1},
      {"city == \"PARIS\"", 1},
      {"attr_size * 2", 42},
      {"postal_code == 75001", 1},
      {"days_since(created_at)", 40},
  };
  ExpectValues(SampleLead(), cases);
  const ErrorCase errors[] = {{"name * 2", "cannot use text as a number in '*' at column 6"}};
  ExpectErrors(SampleLead(), errors);
}

TEST(ExprDocs, ExamplesOnEmptyLead) {
  const ValueCase cases[] = {
      {"rating * 20", 0},
      {"review_count > 100 ? 30 : 0", 0},
      {"(rating * 10) + (review_count > 50 ? 20 : 0)", 0},
      {"attr_employees > 500 ? 40 : 20", 20},
      {"(email != nil ? 30 : 0) + (phone != nil ? 30 : 0)", 0},
      // A missing time is 0 (1970), so it is long ago, not recent.
      {"days_since(last_interaction_at) < 7 ? 20 : 0", 0},
      {"\"vip\" in tags", 0},
      {"city == \"Paris\"", 0},
      {"city == \"PARIS\"", 0},
      {"attr_size * 2", 0},
      {"postal_code == 75001", 0},
      {"days_since(created_at)", 19675},
      {"name * 2", 0},
  };
  ExpectValues(Lead{}, cases);
}

TEST(ExprEval, ArithmeticAndPrecedence) {
  const ValueCase cases[] = {
      {"42", 42},
      {"1.5", 1.5},
      {"1 + 2 * 3", 7},
      {"(1 + 2) * 3", 9},
      {"2 * 3 + 1", 7},
      {"10 - 4 - 3", 3},  // left-associative
      {"64 / 4 / 2", 8},  // left-associative
      {"2 * 3 % 4", 2},   // (2 * 3) % 4
      {"2 + 3 % 2", 3},   // 2 + (3 % 2)
      {"10 / 4 * 2", 5},
      {"7 % 3", 1},
      {"-7 % 3", -1},  // fmod: the sign of the dividend
      {"7.5 % 2", 1.5},
      {"-2 * 3", -6},
      {"- -2", 2},
      {"-(1 + 2)", -3},
      {"1 - -1", 2},
      {"1 + 2 > 2", 1},         // arithmetic binds tighter than comparison
      {"1 < 2 == 2 < 3", 1},    // comparison binds tighter than equality
      {"1 == 1 && 2 == 3", 0},  // equality binds tighter than &&
      {"1 || 0 && 0", 1},       // && binds tighter than ||
      {"(1 || 0) && 0", 0},
      {"0 || 1 ? 10 : 20", 10},  // the ternary binds loosest
      {"1 ? 10 : 20 + 1", 10},
      {"0 ? 10 : 20 + 1", 21},
      {"!0 + 1", 2},      // unary binds tightest
      {"!0 == 2", 0},     // (!0) == 2, not !(0 == 2)
      {"not 0 == 2", 0},  // `not` binds like `!`
      {"-rating + 5", 0.5},
  };
  ExpectValues(SampleLead(), cases);
}

TEST(ExprEval, DivisionAndModuloByZeroGiveZero) {
  const ValueCase cases[] = {
      {"1 / 0", 0},
      {"5 % 0", 0},
      {"0 / 0", 0},
      {"rating / 0", 0},
      {"1 / attr_missing", 0},
      {"10 / (rating - 4.5)", 0},
      {"(1 / 0) + 7", 7},
  };
  ExpectValues(SampleLead(), cases);
}

TEST(ExprEval, ComparisonOperators) {
  const ValueCase cases[] = {
      {"3 > 2", 1},         {"2 > 3", 0},
      {"2 >= 2", 1},        {"1 >= 2", 0},
      {"1 < 2", 1},         {"2 < 1", 0},
      {"2 <= 2", 1},        {"3 <= 2", 0},
      {"2 == 2", 1},        {"2 == 3", 0},
      {"2 != 3", 1},        {"2 != 2", 0},
      {"1 < 2 < 3", 1},  // (1 < 2) < 3 → 1 < 3
      {"rating >= 4.5", 1}, {"review_count < 100", 0},
  };
  ExpectValues(SampleLead(), cases);
}

TEST(ExprEval, BooleansCountOneAndZero) {
  const ValueCase cases[] = {
      {"true", 1},
      {"false", 0},
      {"true + true", 2},
      {"true * 10", 10},
      {"(rating > 4) * 10", 10},
      {"!0", 1},
      {"!1", 0},
      {"not true", 0},
      {"!!5", 1},
      {"!\"\"", 1},
      {"!\"x\"", 0},
      {"!tags", 0},
      {"true == 1", 1},
      {"false == 0", 1},
      {"true and false", 0},
      {"true and 5", 1},
      {"0 or \"x\"", 1},
      {"false or 0", 0},
      {"attr_active ? 3 : 0", 3},
      {"attr_active + 1", 2},
  };
  ExpectValues(SampleLead(), cases);
}

TEST(ExprEval, AndOrShortCircuit) {
  // The right side would be an error; it is never evaluated.
  const ValueCase cases[] = {
      {"false && name + 1", 0}, {"true || name + 1", 1}, {"rating < 1 and tags * 2", 0},
      {"0 ? name + 1 : 5", 5},  {"1 ? 5 : name + 1", 5},
  };
  ExpectValues(SampleLead(), cases);
  const ErrorCase errors[] = {
      {"true && name + 1", "cannot use text as a number in '+' at column 14"},
  };
  ExpectErrors(SampleLead(), errors);
}

TEST(ExprEval, TernaryIsRightAssociative) {
  const ValueCase cases[] = {
      {"0 ? 1 : 0 ? 2 : 3", 3},
      {"0 ? 1 : 1 ? 2 : 3", 2},
      {"1 ? 1 : 0 ? 2 : 3", 1},
      {"1 ? 0 ? 5 : 6 : 7", 6},
      {"rating > 4 ? review_count > 200 ? 3 : 2 : 1", 2},
      {"(1 ? 2 : 3) + 1", 3},
  };
  ExpectValues(SampleLead(), cases);
}

TEST(ExprEval, NilRules) {
  const Lead lead = SampleLead();
  const ValueCase cases[] = {
      {"nil", 0},
      {"null", 0},
      {"nil == nil", 1},
      {"phone == nil", 1},  // bound as nil
      {"state == nil", 1},  // not bound at all
      {"state != nil", 0},
      {"email == nil", 0},
      {"email != nil", 1},
      {"nil == email", 0},
      {"attr_missing == nil", 1},
      {"attr_employees != nil", 1},
      {"score + 5", 5},  // nil is 0 in arithmetic
      {"-score", 0},
      {"score < 1", 1},  // and in ordering
      {"score >= 0", 1},
      {"score == 0", 0},  // but equality with nil is a presence test
      {"0 == nil", 0},
      {"false == nil", 0},
      {"score ? 1 : 2", 2},  // nil is falsy
  };
  ExpectValues(lead, cases);
}

TEST(ExprEval, EmptyTextAndEmptyListsAreMissing) {
  const std::vector<std::string> none;
  const Lead lead = {{"email", Value::Text("")}, {"tags", Value::List(none)}};
  const ValueCase cases[] = {
      {"email == nil", 1}, {"email != nil", 0},  {"tags == nil", 1},
      {"len(tags)", 0},    {"email == \"\"", 1}, {"\"vip\" in tags", 0},
  };
  ExpectValues(lead, cases);
}

TEST(ExprEval, StringEqualityIgnoresCase) {
  const std::vector<std::string> other_tags = {"VIP", "B2B"};
  const std::vector<std::string> more_tags = {"vip", "b2b", "x"};
  const Lead lead = {
      {"city", Value::Text("ZÜRICH")},        {"state", Value::Text("Île-de-France")},
      {"name", Value::Text("Acme")},          {"tags", Value::List(kTags)},
      {"attr_same", Value::List(other_tags)}, {"attr_more", Value::List(more_tags)}};
  const ValueCase cases[] = {
      {"city == \"zürich\"", 1}, {"city == 'Zürich'", 1},
      {"city != \"zurich\"", 1}, {"state == \"ÎLE-DE-FRANCE\"", 1},
      {"name == \"ACME\"", 1},   {"name == \"acme \"", 0},
      {"\"abc\" == \"ABC\"", 1}, {"\"abc\" == \"abd\"", 0},
      {"tags == attr_same", 1},                           // lists: same length, equal items
      {"tags == attr_more", 0},  {"tags == \"vip\"", 0},  // a list is not its item: use `in`
  };
  ExpectValues(lead, cases);
}

TEST(ExprEval, NumericTextCountsAsANumber) {
  const ValueCase cases[] = {
      {"attr_size * 2", 42},
      {"attr_size > 20", 1},
      {"\"5\" + 1", 6},
      {"\" 2.5 \" * 2", 5},
      {"-attr_size", -21},
      {"postal_code == 75001", 1},  // text and number compare as numbers when the text is one
      {"postal_code == \"75001\"", 1},
      {"name == 0", 0},   // text that is not a number is never equal to a number
      {"attr_size", 21},  // the rule value too
  };
  ExpectValues(SampleLead(), cases);
}

TEST(ExprEval, NonNumericTextInArithmeticIsAnError) {
  const ErrorCase cases[] = {
      {"name * 2", "cannot use text as a number in '*' at column 6"},
      {"1 + attr_note", "cannot use text as a number in '+' at column 3"},
      {"-name", "cannot use text as a number in '-' at column 1"},
      {"name > 3", "cannot use text as a number in '>' at column 6"},
      {"\"b\" < \"a\"", "cannot use text as a number in '<' at column 5"},
      {"tags + 1", "cannot use a list as a number in '+' at column 6"},
      {"name", "the rule's value is text, not a number"},
      {"tags", "the rule's value is a list, not a number"},
      {"1e308 * 10", "the rule's value is not a finite number"},
      {"days_since(name)", "cannot use text as a number in days_since() at column 1"},
  };
  ExpectErrors(SampleLead(), cases);
}

TEST(ExprEval, InLooksInListsAndText) {
  const ValueCase cases[] = {
      {"\"vip\" in tags", 1},
      {"\"VIP\" in tags", 1},
      {"'b2b' in tags", 1},
      {"\"vi\" in tags", 0},  // list membership is whole items
      {"\"other\" in tags", 0},
      {"\"vip\" in attr_missing", 0},
      {"nil in tags", 0},
      {"5 in attr_numbers", 1},  // numeric items match numbers
      {"7 in attr_numbers", 0},
      {"\"ar\" in city", 1},  // substring of text
      {"\"AR\" in city", 1},
      {"\"paris\" in city", 1},
      {"\"\" in city", 1},
      {"\"london\" in city", 0},
      {"\"x\" in state", 0},  // missing text contains nothing
      {"nil in city", 0},
      {"\"vip\" in tags && city == \"paris\"", 1},
      {"\"vip\" in tags == true", 1},  // `in` binds like a comparison
      {"contains(tags, \"vip\")", 1},
      {"contains(city, \"ari\")", 1},
      {"contains(city, \"xyz\")", 0},
      {"contains(state, \"x\")", 0},
  };
  ExpectValues(SampleLead(), cases);
  const ErrorCase errors[] = {
      {"1 in 2", "'in' cannot look inside a number at column 3"},
      {"\"x\" in true", "'in' cannot look inside a boolean at column 5"},
      {"1 in city", "'in' cannot look for a number inside text at column 3"},
      {"tags in city", "'in' cannot look for a list inside text at column 6"},
      {"contains(rating, 1)", "contains() cannot look inside a number at column 1"},
  };
  ExpectErrors(SampleLead(), errors);
}

TEST(ExprEval, Functions) {
  const Lead lead = SampleLead();
  const ValueCase cases[] = {
      {"len(name)", 11},
      {"len(\"héllo\")", 5},  // characters, not bytes
      {"len(tags)", 2},
      {"len(state)", 0},
      {"len(attr_meta)", 0},
      {"len(\"\")", 0},
      {"lower(city) == \"paris\"", 1},
      {"lower(\"ABC\") == \"abc\"", 1},
      {"len(lower(\"ÉCOLE\"))", 5},
      {"lower(state) == nil", 1},
      {"\"bakery\" in lower(name)", 1},
      {"starts_with(website, \"https\")", 1},
      {"starts_with(website, \"HTTPS://\")", 1},
      {"starts_with(website, \"http://\")", 0},
      {"starts_with(state, \"x\")", 0},
      {"starts_with(name, nil)", 0},
      {"starts_with(name, \"\")", 1},
      {"days_since(last_interaction_at)", 3},
      {"days_since(created_at)", 40},
      {"days_since(created_at + 3600)", 39},  // whole days, rounded down
      {"days_since(1700000000 + 3600)", 0},   // an hour in the future: 0, not -1
      {"days_since(1700000000 + 2 * 86400)", -2},
      {"days_since(\"1699913600\")", 1},  // numeric text
      {"days_since(score)", 19675},       // nil is 0: days since 1970-01-01
  };
  ExpectValues(lead, cases);
  const ErrorCase errors[] = {
      {"len(rating)", "len() needs text or a list, not a number at column 1"},
      {"1 + len(true)", "len() needs text or a list, not a boolean at column 5"},
      {"lower(tags)", "lower() needs text, not a list at column 1"},
      {"lower(3)", "lower() needs text, not a number at column 1"},
      {"starts_with(tags, \"v\")", "starts_with() needs text, not a list at column 1"},
      {"starts_with(state, 3)", "starts_with() needs text, not a number at column 1"},
      {"days_since(tags)", "cannot use a list as a number in days_since() at column 1"},
  };
  ExpectErrors(lead, errors);
}

TEST(ExprEval, NowComesFromTheCaller) {
  core::Result<Program> program = Program::Compile("days_since(created_at)");
  ASSERT_TRUE(program.ok());
  const Value created = Value::Number(1'000'000);
  EXPECT_EQ(*program->Evaluate({&created, 1}, 1'000'000), 0);
  EXPECT_EQ(*program->Evaluate({&created, 1}, 1'000'000 + 10 * kDay), 10);
  EXPECT_EQ(*program->Evaluate({&created, 1}, 1'000'000 + 10 * kDay + kDay - 1), 10);
}

TEST(ExprEval, ObjectsAreOnlyPresent) {
  const ValueCase cases[] = {
      {"attr_meta != nil", 1},   {"attr_meta == nil", 0},  {"attr_meta", 0},
      {"attr_meta + 1", 1},      {"attr_meta ? 1 : 2", 2}, {"attr_meta == 0", 0},
      {"\"x\" in attr_meta", 0},
  };
  ExpectValues(SampleLead(), cases);
}

TEST(ExprEval, RejectsWrongNumberOfSlots) {
  core::Result<Program> program = Program::Compile("rating + review_count");
  ASSERT_TRUE(program.ok());
  const Value one = Value::Number(1);
  core::Result<double> value = program->Evaluate({&one, 1}, kNow);
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().code, core::ErrorCode::kInternal);
  EXPECT_EQ(value.error().message, "expression needs 2 slot values, got 1");
}

TEST(ExprEval, DefaultProgramEvaluatesToZero) {
  Program empty;
  EXPECT_TRUE(empty.fields().empty());
  EXPECT_EQ(*empty.Evaluate({}, kNow), 0);
}

TEST(ExprEval, ProgramsAreReusableValues) {
  std::vector<Value> slots = {Value::Number(4), Value::Text("Paris")};
  Program copy = [] {
    core::Result<Program> program = Program::Compile("rating * 10 + (city == 'paris' ? 5 : 0)");
    EXPECT_TRUE(program.ok());
    return *program;  // a copy outlives the original
  }();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(*copy.Evaluate(slots, kNow), 45);
  slots[0] = Value::Number(1);
  slots[1] = Value::Nil();
  EXPECT_EQ(*copy.Evaluate(slots, kNow), 10);
}

}  // namespace
}  // namespace klozeo::expr
