#include "comply/catalog.hpp"

#include <gtest/gtest.h>

#include <set>

#include "analyze/analyzer.hpp"

namespace iotaudit::comply {
namespace {

bool known(std::string_view id) { return id == "check.a" || id == "check.b" || id == "check.c"; }

std::string catalog_json(const std::string& provisions, const std::string& extra = "") {
  return R"({"schema": "iotaudit-catalog/1",
             "standard": {"id": "std-1", "title": "Standard One", "version": "1.0"},
             "conditions": {"1": "passwords are used"},)" +
         extra + R"("provisions": [)" + provisions + "]}";
}

const char* kP1 = R"({"id": "1-1", "principle": "One", "level": "mandatory", "summary": "s",
                      "checks": ["check.a", "check.b"], "applies_when": "accounts", "condition": "1"})";
const char* kP2 = R"({"id": "1-2", "principle": "Two", "level": "recommended", "summary": "s",
                      "checks": ["check.c"]})";
const char* kP3 = R"({"id": "1-3", "principle": "Three", "level": "conditional-mandatory", "summary": "s"})";

TEST(ParseCatalog, AcceptsValidCatalog) {
  auto c = parse_catalog(catalog_json(std::string(kP1) + "," + kP2 + "," + kP3), known);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->id, "std-1");
  EXPECT_EQ(c->title, "Standard One");
  EXPECT_EQ(c->version, "1.0");
  ASSERT_EQ(c->provisions.size(), 3u);
  EXPECT_EQ(c->provisions[0].id, "1-1");
  EXPECT_EQ(c->provisions[0].checks, (std::vector<std::string>{"check.a", "check.b"}));
  EXPECT_EQ(c->provisions[0].applies_when, "accounts");
  EXPECT_EQ(c->provisions[0].condition, "1");
  EXPECT_EQ(c->provisions[1].level, "recommended");
  EXPECT_TRUE(c->provisions[2].checks.empty());
  EXPECT_EQ(c->conditions.at("1"), "passwords are used");
}

TEST(ParseCatalog, RejectsUnknownCheckId) {
  const char* p = R"({"id": "1-1", "level": "mandatory", "summary": "s", "checks": ["check.a", "check.typo"]})";
  auto c = parse_catalog(catalog_json(p), known);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::malformed);
  EXPECT_NE(c.error().message.find("check.typo"), std::string::npos) << c.error().message;
}

// The catalog fuzz target found a "schema" that is an array escaping the loader as an exception.
TEST(ParseCatalog, RejectsSchemaThatIsNotAString) {
  for (const char* text : {R"({"schema": [{"id": "4.2-1"}]})", R"({"schema": 7, "standard": {}})", R"({"schema": null})"}) {
    auto c = parse_catalog(text, known);
    ASSERT_FALSE(c) << text;
    EXPECT_EQ(c.error().code, Errc::malformed);
    EXPECT_NE(c.error().message.find("schema"), std::string::npos) << c.error().message;
  }
}

TEST(ParseCatalog, RejectsDuplicateProvision) {
  auto c = parse_catalog(catalog_json(std::string(kP1) + "," + kP2 + "," + kP1), known);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::malformed);
  EXPECT_NE(c.error().message.find("1-1"), std::string::npos) << c.error().message;
}

TEST(ParseCatalog, RejectsUnknownLevel) {
  for (const char* level : {"Mandatory", "Optional", "shall", ""}) {
    std::string p = std::string(R"({"id": "1-1", "level": ")") + level + R"(", "summary": "s"})";
    auto c = parse_catalog(catalog_json(p), known);
    ASSERT_FALSE(c) << level;
    EXPECT_EQ(c.error().code, Errc::malformed);
  }
  // Each documented level is accepted.
  for (const char* level : {"mandatory", "recommended", "optional", "conditional-mandatory", "conditional-recommended"}) {
    std::string p = std::string(R"({"id": "1-1", "level": ")") + level + R"(", "summary": "s"})";
    EXPECT_TRUE(parse_catalog(catalog_json(p), known)) << level;
  }
}

TEST(ParseCatalog, RejectsUnknownCondition) {
  const char* p = R"({"id": "1-1", "level": "mandatory", "summary": "s", "condition": "9"})";
  EXPECT_FALSE(parse_catalog(catalog_json(p), known));
}

TEST(ParseCatalog, RejectsMalformedDocuments) {
  EXPECT_FALSE(parse_catalog("", known));
  EXPECT_FALSE(parse_catalog("[1, 2]", known));
  EXPECT_FALSE(parse_catalog("{not json", known));
  EXPECT_FALSE(parse_catalog(R"({"schema": "iotaudit-catalog/2", "standard": {}, "provisions": []})", known));
  // Missing required fields and wrong types are errors, not exceptions.
  EXPECT_FALSE(parse_catalog(catalog_json(R"({"level": "mandatory", "summary": "s"})"), known));
  EXPECT_FALSE(parse_catalog(catalog_json(R"({"id": "1", "level": "mandatory"})"), known));
  EXPECT_FALSE(parse_catalog(catalog_json(R"({"id": 5, "level": "mandatory", "summary": "s"})"), known));
  EXPECT_FALSE(parse_catalog(catalog_json(R"({"id": "1", "level": "mandatory", "summary": "s", "checks": "check.a"})"), known));
}

TEST(BuiltinCatalogs, LoadAndReferOnlyToExistingChecks) {
  auto cats = load_builtin_catalogs();
  ASSERT_TRUE(cats) << cats.error().message;
  ASSERT_FALSE(cats->empty());
  bool etsi = false;
  for (const auto& c : *cats) {
    if (c.title == "ETSI EN 303 645") etsi = true;
    for (const auto& p : c.provisions)
      for (const auto& chk : p.checks) EXPECT_NE(analyze::find_check(chk), nullptr) << chk;
  }
  EXPECT_TRUE(etsi);
  auto by = provisions_by_check(*cats);
  ASSERT_TRUE(by.contains("credentials.default_password"));
  bool has_511 = false;
  for (const auto& ref : by.at("credentials.default_password")) has_511 = has_511 || ref.provision == "5.1-1";
  EXPECT_TRUE(has_511);
}

// evaluate() over a catalog with: 1-1 (check.a + check.b), 1-2 (check.c), 1-3 (no checks).
class Evaluate : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = parse_catalog(catalog_json(std::string(kP1) + "," + kP2 + "," + kP3), known);
    ASSERT_TRUE(c);
    cats.push_back(*c);
  }
  static CheckRun run(const char* id, std::uint64_t subjects, bool conclusive = true,
                      std::vector<std::string> notes = {}) {
    CheckRun r;
    r.check_id = id;
    r.subjects = subjects;
    r.conclusive = conclusive;
    r.notes = std::move(notes);
    return r;
  }
  static Finding finding(const char* id, const char* fp) {
    Finding f;
    f.check_id = id;
    f.fingerprint = fp;
    return f;
  }
  const Verdict& verdict(const std::vector<Verdict>& vs, const std::string& provision) {
    for (const auto& v : vs)
      if (v.provision == provision) return v;
    ADD_FAILURE() << "no verdict for " << provision;
    static Verdict none;
    return none;
  }
  std::vector<Catalog> cats;
};

TEST_F(Evaluate, FailWithFinding) {
  auto vs = evaluate(cats, {finding("check.b", "fp-1"), finding("check.c", "fp-2")},
                     {run("check.a", 3), run("check.b", 3), run("check.c", 1)});
  ASSERT_EQ(vs.size(), 3u);
  const auto& v = verdict(vs, "1-1");
  EXPECT_EQ(v.status, VerdictStatus::fail);
  EXPECT_EQ(v.finding_fingerprints, std::vector<std::string>{"fp-1"});
  EXPECT_EQ(v.standard, "Standard One");
  EXPECT_EQ(v.level, "mandatory");
  EXPECT_EQ(verdict(vs, "1-2").status, VerdictStatus::fail);
  EXPECT_EQ(verdict(vs, "1-2").finding_fingerprints, std::vector<std::string>{"fp-2"});
}

TEST_F(Evaluate, FailEvenWhenOtherRunsAreInconclusive) {
  auto vs = evaluate(cats, {finding("check.a", "fp")},
                     {run("check.a", 1, false, {"unsure"}), run("check.b", 0)});
  EXPECT_EQ(verdict(vs, "1-1").status, VerdictStatus::fail);
}

TEST_F(Evaluate, InconclusiveWithZeroSubjects) {
  auto vs = evaluate(cats, {}, {run("check.a", 0), run("check.b", 0), run("check.c", 0)});
  EXPECT_EQ(verdict(vs, "1-1").status, VerdictStatus::inconclusive);
  EXPECT_NE(verdict(vs, "1-1").rationale.find("accounts"), std::string::npos) << verdict(vs, "1-1").rationale;
  EXPECT_EQ(verdict(vs, "1-2").status, VerdictStatus::inconclusive);
}

TEST_F(Evaluate, InconclusiveWhenARunIsNotConclusive) {
  auto vs = evaluate(cats, {},
                     {run("check.a", 4, false, {"2 hashes matched no known default"}), run("check.b", 4),
                      run("check.c", 2)});
  const auto& v = verdict(vs, "1-1");
  EXPECT_EQ(v.status, VerdictStatus::inconclusive);
  EXPECT_EQ(v.rationale, "2 hashes matched no known default");
  EXPECT_EQ(verdict(vs, "1-2").status, VerdictStatus::pass);
}

TEST_F(Evaluate, InconclusiveWhenACheckDidNotRun) {
  auto vs = evaluate(cats, {}, {run("check.a", 4)});
  EXPECT_EQ(verdict(vs, "1-1").status, VerdictStatus::inconclusive);
  EXPECT_EQ(verdict(vs, "1-2").status, VerdictStatus::inconclusive);
}

TEST_F(Evaluate, PassWhenAllConclusiveWithSubjects) {
  auto vs = evaluate(cats, {finding("check.unrelated", "fp")}, {run("check.a", 4), run("check.b", 1), run("check.c", 2)});
  const auto& v = verdict(vs, "1-1");
  EXPECT_EQ(v.status, VerdictStatus::pass);
  EXPECT_TRUE(v.finding_fingerprints.empty());
  EXPECT_EQ(v.checks, (std::vector<std::string>{"check.a", "check.b"}));
  EXPECT_EQ(verdict(vs, "1-2").status, VerdictStatus::pass);
}

TEST_F(Evaluate, PassNeedsSubjectsFromTheProvisionsChecks) {
  // One of the two checks examined nothing, the other examined accounts: the sum decides.
  auto vs = evaluate(cats, {}, {run("check.a", 0), run("check.b", 2)});
  EXPECT_EQ(verdict(vs, "1-1").status, VerdictStatus::pass);
}

TEST_F(Evaluate, ProvisionWithoutChecksNeedsEvidence) {
  auto vs = evaluate(cats, {}, {run("check.a", 4), run("check.b", 4), run("check.c", 2)});
  EXPECT_EQ(verdict(vs, "1-3").status, VerdictStatus::needs_evidence);
}

// maps_to: an equivalent mapping passes with what it maps to; a partial one (by subject) takes
// failures but turns passes into inconclusive; unknown targets are refused at load.
TEST(EvaluateMappings, EquivalentAndPartial) {
  auto base = parse_catalog(R"({"schema": "iotaudit-catalog/1", "standard": {"id": "base", "title": "Base", "version": "1"},
      "provisions": [{"id": "1", "level": "mandatory", "summary": "s", "checks": ["check.a"]},
                     {"id": "2", "level": "mandatory", "summary": "s", "checks": ["check.b"]}]})",
                            known);
  ASSERT_TRUE(base) << base.error().message;
  auto mapped = [&](const char* mapping) {
    auto c = parse_catalog(std::string(R"({"schema": "iotaudit-catalog/1", "standard": {"id": "m", "title": "M",
        "version": "1", "mapping": ")") + mapping + R"("}, "provisions": [
        {"id": "A", "level": "mandatory", "summary": "s", "maps_to": ["base:1"]},
        {"id": "B", "level": "mandatory", "summary": "s", "maps_to": ["base:1", "base:2"]}]})",
                           known);
    EXPECT_TRUE(c) << c.error().message;
    return *c;
  };
  CheckRun ra, rb;
  ra.check_id = "check.a";
  rb.check_id = "check.b";
  ra.subjects = rb.subjects = 3;
  Finding fb;
  fb.check_id = "check.b";
  fb.fingerprint = "fp-b";
  for (const char* mapping : {"equivalent", "partial"}) {
    SCOPED_TRACE(mapping);
    std::vector<Catalog> cats{*base, mapped(mapping)};
    ASSERT_TRUE(check_mappings(cats));
    auto vs = evaluate(cats, {fb}, {ra, rb});
    ASSERT_EQ(vs.size(), 4u);
    EXPECT_EQ(vs[2].status, std::string(mapping) == "partial" ? VerdictStatus::inconclusive : VerdictStatus::pass);
    EXPECT_EQ(vs[3].status, VerdictStatus::fail);
    EXPECT_EQ(vs[3].finding_fingerprints, std::vector<std::string>{"fp-b"});
    EXPECT_EQ(vs[3].maps_to, (std::vector<std::string>{"base:1", "base:2"}));
  }
  auto bad = parse_catalog(R"({"schema": "iotaudit-catalog/1", "standard": {"id": "x", "title": "X", "version": "1"},
      "provisions": [{"id": "A", "level": "mandatory", "summary": "s", "maps_to": ["base:9"]}]})",
                           known);
  ASSERT_TRUE(bad);
  EXPECT_FALSE(check_mappings({*base, *bad}));
  EXPECT_FALSE(parse_catalog(R"({"schema": "iotaudit-catalog/1", "standard": {"id": "x", "title": "X", "version": "1",
      "mapping": "loose"}, "provisions": []})",
                             known));
}

// A process provision that checks only indicate: their findings make it inconclusive with the
// findings as evidence, never fail; without findings it still needs documents, never passes.
TEST(EvaluateIndicators, FindingsMakeItInconclusiveNeverFail) {
  const char* p = R"({"id": "9-9", "level": "recommended", "summary": "s", "checks": [],
                      "indicators": ["check.a", "check.b"]})";
  auto c = parse_catalog(catalog_json(p), known);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->provisions[0].indicators, (std::vector<std::string>{"check.a", "check.b"}));
  std::vector<Catalog> cats{*c};
  Finding f;
  f.check_id = "check.b";
  f.fingerprint = "fp-b";
  CheckRun ra, rb;
  ra.check_id = "check.a";
  rb.check_id = "check.b";
  ra.subjects = rb.subjects = 5;
  auto with = evaluate(cats, {f}, {ra, rb});
  ASSERT_EQ(with.size(), 1u);
  EXPECT_EQ(with[0].status, VerdictStatus::inconclusive);
  EXPECT_EQ(with[0].finding_fingerprints, std::vector<std::string>{"fp-b"});
  EXPECT_EQ(with[0].checks, (std::vector<std::string>{"check.a", "check.b"}));
  auto without = evaluate(cats, {}, {ra, rb});
  EXPECT_EQ(without[0].status, VerdictStatus::needs_evidence);
  // Indicators are validated like checks.
  const char* bad = R"({"id": "9-9", "level": "recommended", "summary": "s", "indicators": ["check.zz"]})";
  EXPECT_FALSE(parse_catalog(catalog_json(bad), known));
  // And they are not provisions a finding breaks.
  EXPECT_FALSE(provisions_by_check(cats).contains("check.b"));
}

}  // namespace
}  // namespace iotaudit::comply
