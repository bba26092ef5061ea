// The built-in ETSI EN 303 645 V2.1.1 catalog is complete: every provision of the standard, in
// the standard's order, with a valid level and known conditions. Provisions that no automated
// check informs are documentation-only and never pass by silence.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyze/analyzer.hpp"
#include "comply/catalog.hpp"
#include "core/embedded_data.hpp"

namespace iotaudit::comply {
namespace {

const std::vector<std::string> kEtsiIds = {
    "4-1",    "5.1-1",  "5.1-2",  "5.1-3",  "5.1-4",  "5.1-5",  "5.2-1",  "5.2-2",  "5.2-3",  "5.3-1",
    "5.3-2",  "5.3-3",  "5.3-4",  "5.3-5",  "5.3-6",  "5.3-7",  "5.3-8",  "5.3-9",  "5.3-10", "5.3-11",
    "5.3-12", "5.3-13", "5.3-14", "5.3-15", "5.3-16", "5.4-1",  "5.4-2",  "5.4-3",  "5.4-4",  "5.5-1",
    "5.5-2",  "5.5-3",  "5.5-4",  "5.5-5",  "5.5-6",  "5.5-7",  "5.5-8",  "5.6-1",  "5.6-2",  "5.6-3",
    "5.6-4",  "5.6-5",  "5.6-6",  "5.6-7",  "5.6-8",  "5.6-9",  "5.7-1",  "5.7-2",  "5.8-1",  "5.8-2",
    "5.8-3",  "5.9-1",  "5.9-2",  "5.9-3",  "5.10-1", "5.11-1", "5.11-2", "5.11-3", "5.11-4", "5.12-1",
    "5.12-2", "5.12-3", "5.13-1", "6-1",    "6-2",    "6-3",    "6-4",    "6-5",
};

const Catalog& etsi() {
  static const Catalog c = [] {
    auto cats = load_builtin_catalogs();
    if (!cats) throw std::runtime_error(cats.error().message);
    for (auto& cat : *cats)
      if (cat.id == "etsi-en-303-645") return cat;
    throw std::runtime_error("no etsi-en-303-645 catalog");
  }();
  return c;
}

const Provision* provision(const std::string& id) {
  for (const auto& p : etsi().provisions)
    if (p.id == id) return &p;
  return nullptr;
}

const Verdict* verdict(const std::vector<Verdict>& vs, const std::string& id) {
  for (const auto& v : vs)
    if (v.standard == "ETSI EN 303 645" && v.provision == id) return &v;
  return nullptr;
}

TEST(EtsiCatalog, ListsAllSixtyEightProvisionsInOrder) {
  const auto& c = etsi();
  EXPECT_EQ(c.title, "ETSI EN 303 645");
  EXPECT_EQ(c.version, "V2.1.1 (2020-06)");
  ASSERT_EQ(kEtsiIds.size(), 68u);
  ASSERT_EQ(c.provisions.size(), 68u);
  std::set<std::string> unique;
  std::vector<std::string> ids;
  for (const auto& p : c.provisions) {
    unique.insert(p.id);
    ids.push_back(p.id);
  }
  EXPECT_EQ(unique.size(), 68u);
  EXPECT_EQ(ids, kEtsiIds);
}

TEST(EtsiCatalog, LevelsAndConditionsAreValid) {
  static const std::set<std::string> levels{"mandatory", "recommended", "conditional-mandatory",
                                            "conditional-recommended"};
  for (const auto& p : etsi().provisions) {
    EXPECT_TRUE(levels.contains(p.level)) << p.id << ": " << p.level;
    EXPECT_FALSE(p.summary.empty()) << p.id;
    EXPECT_FALSE(p.principle.empty()) << p.id;
    const bool conditional = p.level.starts_with("conditional-");
    if (conditional) {
      EXPECT_FALSE(p.condition.empty()) << p.id << " is conditional but names no condition";
      EXPECT_TRUE(etsi().conditions.contains(p.condition)) << p.id << ": " << p.condition;
    } else {
      EXPECT_TRUE(p.condition.empty()) << p.id << " is unconditional but names condition " << p.condition;
    }
    for (const auto& chk : p.checks) EXPECT_NE(analyze::find_check(chk), nullptr) << p.id << ": " << chk;
  }
  // Spot checks against the standard's conformance table.
  ASSERT_NE(provision("4-1"), nullptr);
  EXPECT_EQ(provision("4-1")->level, "mandatory");
  EXPECT_EQ(provision("5.1-1")->level, "conditional-mandatory");
  EXPECT_EQ(provision("5.1-1")->condition, "1");
  EXPECT_EQ(provision("5.2-2")->level, "recommended");
  EXPECT_EQ(provision("5.3-10")->condition, "11");
  EXPECT_EQ(provision("5.3-16")->level, "mandatory");
  EXPECT_EQ(provision("5.11-2")->level, "conditional-recommended");
  EXPECT_EQ(provision("5.11-2")->condition, "25");
  EXPECT_EQ(provision("5.13-1")->condition, "27");
  EXPECT_EQ(provision("6-5")->level, "conditional-mandatory");
  EXPECT_EQ(provision("6-5")->condition, "6");
}

// Provisions with several conditions list them all in the optional "conditions" field, which the
// loader ignores; its first entry is the one in "condition", and every entry is a known condition.
TEST(EtsiCatalog, MultipleConditionsAreKnown) {
  auto text = embedded::file("standards/etsi-en-303-645.json");
  ASSERT_TRUE(text);
  auto j = nlohmann::json::parse(*text);
  const auto& known = j.at("conditions");
  std::set<std::string> multi;
  for (const auto& p : j.at("provisions")) {
    if (!p.contains("conditions")) continue;
    const auto id = p.at("id").get<std::string>();
    multi.insert(id);
    auto list = p.at("conditions").get<std::vector<std::string>>();
    ASSERT_GE(list.size(), 2u) << id;
    EXPECT_EQ(list.front(), p.at("condition").get<std::string>()) << id;
    for (const auto& n : list) EXPECT_TRUE(known.contains(n)) << id << ": " << n;
  }
  EXPECT_EQ(multi, (std::set<std::string>{"5.3-6", "5.3-10", "5.3-14", "5.3-15"}));
}

TEST(EtsiCatalog, DocumentationOnlyProvisionsNeedEvidence) {
  std::vector<Catalog> cats{etsi()};
  ASSERT_NE(provision("5.2-2"), nullptr);
  EXPECT_TRUE(provision("5.2-2")->checks.empty());

  // Every check ran, examined something and found nothing.
  std::vector<CheckRun> clean;
  for (const auto& chk : analyze::checks()) {
    CheckRun r;
    r.check_id = chk.id;
    r.subjects = 3;
    r.conclusive = true;
    clean.push_back(r);
  }
  for (const auto& runs : {clean, std::vector<CheckRun>{}}) {
    auto vs = evaluate(cats, {}, runs);
    ASSERT_EQ(vs.size(), 68u);
    const auto* v = verdict(vs, "5.2-2");
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->status, VerdictStatus::needs_evidence);
    EXPECT_NE(v->status, VerdictStatus::pass);
    for (const auto& p : etsi().provisions) {
      const auto* pv = verdict(vs, p.id);
      ASSERT_NE(pv, nullptr) << p.id;
      if (p.checks.empty()) {
        EXPECT_EQ(pv->status, VerdictStatus::needs_evidence) << p.id;
      } else {
        EXPECT_NE(pv->status, VerdictStatus::needs_evidence) << p.id;
      }
    }
  }
}

}  // namespace
}  // namespace iotaudit::comply
