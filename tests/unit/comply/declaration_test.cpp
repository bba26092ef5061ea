#include "comply/declaration.hpp"

#include <gtest/gtest.h>

#include "comply/catalog.hpp"

namespace iotaudit::comply {
namespace {

TEST(Declaration, ParsesEveryField) {
  auto d = parse_declaration(R"({"schema": "iotaudit-declaration/1",
    "manufacturer": {"name": "M", "address": "A"},
    "product": {"name": "P", "model": "X1", "batch": "B7", "firmware_version": "1.2"},
    "support_period": {"end": "2030-06-30", "published_at": "https://e.example/s"},
    "vulnerability_disclosure": {"policy_url": "https://e.example/p", "contact": "mailto:s@e.example"},
    "update_policy": "signed",
    "conditions": {"etsi-en-303-645": {"13": false, "1": true}},
    "provisions": {"etsi-en-303-645:4-1": {"answer": "kept", "documents": ["DOC-1"]}}})");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->manufacturer_name, "M");
  EXPECT_EQ(d->product_batch, "B7");
  EXPECT_EQ(d->support_end, "2030-06-30");
  EXPECT_EQ(d->disclosure_contact, "mailto:s@e.example");
  EXPECT_FALSE(d->conditions.at("etsi-en-303-645").at("13"));
  EXPECT_TRUE(d->conditions.at("etsi-en-303-645").at("1"));
  EXPECT_EQ(d->answers.at("etsi-en-303-645:4-1").documents, std::vector<std::string>{"DOC-1"});
}

TEST(Declaration, ErrorsNameThePlace) {
  struct Bad {
    const char* text;
    const char* says;
  };
  for (const Bad& b : {Bad{R"({"schema": "iotaudit-declaration/1",)", "not JSON at byte"},
                       Bad{R"({"schema": 1E400})", "not usable JSON"},  // out of range while parsing
                       Bad{R"([1, 2])", "not a JSON object"},
                       Bad{R"({"schema": "other"})", "schema"},
                       Bad{R"({"schema": "iotaudit-declaration/1", "extra": 1})", "extra: unknown field"},
                       Bad{R"({"schema": "iotaudit-declaration/1", "manufacturer": {"name": 5}})", "manufacturer.name"},
                       Bad{R"({"schema": "iotaudit-declaration/1", "support_period": {"end": "2030-13-01"}})",
                           "support_period.end"},
                       Bad{R"({"schema": "iotaudit-declaration/1", "conditions": {"x": {"1": "yes"}}})", "conditions.x.1"},
                       Bad{R"({"schema": "iotaudit-declaration/1", "provisions": {"4-1": {"answer": "a"}}})",
                           "catalog-id:provision"},
                       Bad{R"({"schema": "iotaudit-declaration/1", "provisions": {"c:4-1": {"documents": []}}})",
                           "answer: missing"}}) {
    auto d = parse_declaration(b.text);
    ASSERT_FALSE(d) << b.text;
    EXPECT_NE(d.error().message.find(b.says), std::string::npos) << d.error().message;
  }
}

// Declared answers decide provisions the firmware cannot; never a failure, which stays a failure
// with the contradiction reported; a past support end is a contradiction.
TEST(Declaration, EvaluateUsesItWithoutOverridingFailures) {
  auto known = [](std::string_view id) { return id == "check.a"; };
  auto c = parse_catalog(R"({"schema": "iotaudit-catalog/1",
      "standard": {"id": "std", "title": "Std", "version": "1"},
      "conditions": {"7": "telemetry is collected"},
      "provisions": [
        {"id": "1", "level": "mandatory", "summary": "s", "checks": ["check.a"]},
        {"id": "2", "level": "mandatory", "summary": "s"},
        {"id": "3", "level": "conditional-mandatory", "condition": "7", "summary": "s"},
        {"id": "4", "level": "mandatory", "summary": "s"}]})",
                         known);
  ASSERT_TRUE(c) << c.error().message;
  Declaration d;
  d.answers["std:1"] = {"met", {}};
  d.answers["std:2"] = {"documented", {"DOC-2"}};
  d.conditions["std"]["7"] = false;
  d.support_end = "2020-01-01";
  Finding f;
  f.check_id = "check.a";
  f.fingerprint = "fp";
  std::vector<std::string> contradictions;
  auto vs = evaluate({*c}, {f}, {}, &d, "2026-12-05", &contradictions);
  ASSERT_EQ(vs.size(), 4u);
  EXPECT_EQ(vs[0].status, VerdictStatus::fail);
  EXPECT_FALSE(vs[0].notes.empty());
  EXPECT_EQ(vs[1].status, VerdictStatus::pass);
  EXPECT_TRUE(vs[1].declared);
  EXPECT_EQ(vs[1].documents, std::vector<std::string>{"DOC-2"});
  EXPECT_EQ(vs[2].status, VerdictStatus::not_applicable);
  EXPECT_EQ(vs[2].condition, "telemetry is collected");
  EXPECT_EQ(vs[3].status, VerdictStatus::needs_evidence);
  ASSERT_EQ(contradictions.size(), 2u);
  EXPECT_NE(contradictions[0].find("Std 1"), std::string::npos) << contradictions[0];
  EXPECT_NE(contradictions[1].find("2020-01-01"), std::string::npos) << contradictions[1];
}

}  // namespace
}  // namespace iotaudit::comply
