#include "core/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace iotaudit {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return fail(Errc::malformed, std::string("not a digit: ") + c);
  return c - '0';
}

Status check_positive(int v) {
  if (v <= 0) return fail(Errc::invalid_argument, "not positive");
  return {};
}

int side_effects = 0;

Result<int> sum_two(char a, char b) {
  ASSIGN_OR_RETURN(int x, parse_digit(a));
  ++side_effects;  // only reached when the first parse succeeded
  ASSIGN_OR_RETURN(int y, parse_digit(b));
  ++side_effects;
  return x + y;
}

Status validate(char a) {
  ASSIGN_OR_RETURN(int x, parse_digit(a));
  TRY(check_positive(x));
  ++side_effects;
  return {};
}

// TRY on a Result<T> (not only Status) propagates the error too.
Result<std::string> try_on_value(char a) {
  TRY(parse_digit(a));
  return std::string("ok");
}

// ASSIGN_OR_RETURN works with move-only values and twice on one line number range.
Result<std::unique_ptr<int>> make_box(int v) {
  if (v < 0) return fail(Errc::limit, "negative");
  return std::make_unique<int>(v);
}
Result<int> unbox(int v) {
  ASSIGN_OR_RETURN(std::unique_ptr<int> p, make_box(v));
  return *p * 2;
}

TEST(Result, FailCarriesCodeAndMessage) {
  Result<int> r = fail(Errc::truncated, "short");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::truncated);
  EXPECT_EQ(r.error().message, "short");
}

TEST(Result, AssignOrReturnPassesValuesThrough) {
  side_effects = 0;
  auto r = sum_two('3', '4');
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 7);
  EXPECT_EQ(side_effects, 2);
}

TEST(Result, AssignOrReturnStopsAtFirstError) {
  side_effects = 0;
  auto r = sum_two('x', '4');
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::malformed);
  EXPECT_EQ(r.error().message, "not a digit: x");
  EXPECT_EQ(side_effects, 0);

  side_effects = 0;
  auto r2 = sum_two('1', 'y');
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().message, "not a digit: y");
  EXPECT_EQ(side_effects, 1);
}

TEST(Result, TryPropagatesStatusErrors) {
  side_effects = 0;
  EXPECT_TRUE(validate('5'));
  EXPECT_EQ(side_effects, 1);
  auto z = validate('0');
  ASSERT_FALSE(z);
  EXPECT_EQ(z.error().code, Errc::invalid_argument);
  auto bad = validate('?');
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::malformed);
  EXPECT_EQ(side_effects, 1);
}

TEST(Result, TryOnValueResultPropagatesIntoOtherType) {
  auto ok = try_on_value('1');
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, "ok");
  auto bad = try_on_value('a');
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::malformed);
}

TEST(Result, AssignOrReturnMovesMoveOnlyValues) {
  auto ok = unbox(21);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 42);
  auto bad = unbox(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::limit);
}

TEST(Result, ErrcNames) {
  EXPECT_STREQ(to_string(Errc::truncated), "truncated");
  EXPECT_STREQ(to_string(Errc::limit), "limit");
  EXPECT_STREQ(to_string(Errc::not_found), "not_found");
  EXPECT_STREQ(to_string(Errc::invalid_argument), "invalid_argument");
}

}  // namespace
}  // namespace iotaudit
