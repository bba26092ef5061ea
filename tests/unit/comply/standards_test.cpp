// The standards beyond EN 303 645 V2.1.1: V3.1.3 and its renumbering, the catalogs mapped to
// EN 303 645, conditions the firmware decides, and provisions judged by checks and mappings at once.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "comply/catalog.hpp"
#include "comply/conditions.hpp"

namespace iotaudit::comply {
namespace {

bool known(std::string_view id) { return id == "check.a" || id == "check.b" || id == "check.c"; }

const std::vector<Catalog>& builtin() {
  static const std::vector<Catalog> cats = [] {
    auto c = load_builtin_catalogs();
    if (!c) throw std::runtime_error(c.error().message);
    return *c;
  }();
  return cats;
}

const Catalog& catalog(const std::string& id) {
  for (const auto& c : builtin())
    if (c.id == id) return c;
  throw std::runtime_error("no catalog " + id);
}

const Provision* provision(const Catalog& c, const std::string& id) {
  for (const auto& p : c.provisions)
    if (p.id == id) return &p;
  return nullptr;
}

// Table B.1 of EN 303 645 V3.1.3, in order.
const std::vector<std::string> kV3Ids = {
    "5.0-1",  "5.1-1",   "5.1-2",   "5.1-2A", "5.1-3",  "5.1-4",   "5.1-5",   "5.2-1",   "5.2-2",  "5.2-3",
    "5.3-1",  "5.3-2",   "5.3-3",   "5.3-4A", "5.3-4B", "5.3-5",   "5.3-6A",  "5.3-6B",  "5.3-7",  "5.3-8",
    "5.3-9",  "5.3-10",  "5.3-11",  "5.3-12", "5.3-13", "5.3-14",  "5.3-15A", "5.3-15B", "5.3-16", "5.4-1",
    "5.4-2",  "5.4-3",   "5.4-4",   "5.5-1",  "5.5-2",  "5.5-3",   "5.5-4",   "5.5-5",   "5.5-6",  "5.5-7",
    "5.5-8",  "5.6-1",   "5.6-2",   "5.6-3",  "5.6-4A", "5.6-4B",  "5.6-5",   "5.6-6",   "5.6-7",  "5.6-8",
    "5.6-9",  "5.7-1",   "5.7-2",   "5.8-1",  "5.8-2",  "5.8-3",   "5.9-1",   "5.9-2",   "5.9-3",  "5.10-1",
    "5.11-1", "5.11-2",  "5.11-3",  "5.11-4", "5.12-1", "5.12-2",  "5.12-3",  "5.13-1A", "5.13-1B", "6-1",
    "6-2",    "6-3A",    "6-3B",    "6-4",    "6-5",    "6-6",     "6-7",     "6-8",
};

TEST(EtsiV3, ListsTheSeventyEightProvisionsWithTheirRenumbering) {
  const Catalog& v3 = catalog("etsi-en-303-645-v3");
  const Catalog& v2 = catalog("etsi-en-303-645");
  EXPECT_EQ(v3.version, "V3.1.3 (2024-09)");
  EXPECT_EQ(v3.previous, "etsi-en-303-645");
  std::vector<std::string> ids;
  for (const auto& p : v3.provisions) ids.push_back(p.id);
  EXPECT_EQ(ids, kV3Ids);
  // Every V2.1.1 provision lives on in V3.1.3, under its number or renumbered.
  std::set<std::string> carried;
  for (const auto& p : v3.provisions) carried.insert(p.renumbered_from.begin(), p.renumbered_from.end());
  for (const auto& p : v2.provisions) EXPECT_TRUE(carried.contains(p.id)) << p.id << " is lost in V3";
  EXPECT_EQ(provision(v3, "5.0-1")->renumbered_from, std::vector<std::string>{"4-1"});
  EXPECT_EQ(provision(v3, "5.3-4A")->renumbered_from, std::vector<std::string>{"5.3-4"});
  EXPECT_EQ(provision(v3, "5.6-4B")->renumbered_from, std::vector<std::string>{"5.6-4"});
  for (const char* fresh : {"5.1-2A", "6-3B", "6-6", "6-7", "6-8"})
    EXPECT_TRUE(provision(v3, fresh)->renumbered_from.empty()) << fresh;
  EXPECT_EQ(v3.voided, (std::vector<std::string>{"5.3-4", "5.3-6", "5.3-15", "5.6-4", "5.13-1", "6-3"}));
  // Conditions and features: "M C F (14, e)".
  EXPECT_EQ(provision(v3, "5.1-5")->conditions, (std::vector<std::string>{"14", "e"}));
  EXPECT_EQ(provision(v3, "5.1-5")->level, "conditional-mandatory");
  EXPECT_EQ(provision(v3, "6-7")->level, "conditional-recommended");
  EXPECT_EQ(provision(v3, "5.3-13")->level, "mandatory");
  // A provision whose subject did not change is judged by the same checks as before.
  EXPECT_EQ(provision(v3, "5.1-1")->checks, provision(v2, "5.1-1")->checks);
  EXPECT_EQ(provision(v3, "5.6-4A")->checks, provision(v2, "5.6-4")->checks);
  EXPECT_TRUE(provision(v3, "5.6-4B")->checks.empty());  // physical protection: documents only
}

TEST(EtsiV3, RenumberingIsValidated) {
  auto prev = parse_catalog(R"({"schema": "iotaudit-catalog/1", "standard": {"id": "old", "title": "Old", "version": "1"},
      "provisions": [{"id": "1", "level": "mandatory", "summary": "s"}]})",
                            known);
  ASSERT_TRUE(prev);
  auto make = [&](const std::string& previous, const std::string& from, const std::string& voided) {
    std::string std_extra = previous.empty() ? "" : R"(, "previous": ")" + previous + "\"";
    if (!voided.empty()) std_extra += R"(, "voided": [")" + voided + "\"]";
    return parse_catalog(R"({"schema": "iotaudit-catalog/1", "standard": {"id": "new", "title": "New", "version": "2")" +
                             std_extra + R"(}, "provisions": [{"id": "1A", "level": "mandatory", "summary": "s",
                             "renumbered_from": [")" + from + R"("]}]})",
                         known);
  };
  auto good = make("old", "1", "1");
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_TRUE(check_mappings({*prev, *good}));
  auto unknown_id = make("old", "7", "");
  ASSERT_TRUE(unknown_id);
  auto st = check_mappings({*prev, *unknown_id});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("old:7"), std::string::npos) << st.error().message;
  auto unknown_catalog = make("older", "1", "");
  ASSERT_TRUE(unknown_catalog);
  EXPECT_FALSE(check_mappings({*prev, *unknown_catalog}));
  auto unknown_void = make("old", "1", "3");
  ASSERT_TRUE(unknown_void);
  EXPECT_FALSE(check_mappings({*prev, *unknown_void}));
  // Renumbered without naming the previous version.
  EXPECT_FALSE(make("", "1", ""));
  // The same catalog twice.
  EXPECT_FALSE(check_mappings({*prev, *prev}));
}

// Every catalog mapped to EN 303 645 maps only to it, and every requirement has a way to a
// verdict: its own checks, indicators, mappings, or documents (needs_evidence).
TEST(MappedCatalogs, MapToEn303645AndCoverTheirRequirements) {
  std::map<std::string, std::size_t> expected = {
      {"uk-psti", 19}, {"ncsc-dsp", 29}, {"en-18031-1", 35}, {"nistir-8259a", 24}};
  for (const auto& [id, n] : expected) {
    const Catalog& c = catalog(id);
    EXPECT_EQ(c.provisions.size(), n) << id;
    std::size_t mapped = 0;
    for (const auto& p : c.provisions) {
      for (const auto& m : p.maps_to) EXPECT_TRUE(m.starts_with("etsi-en-303-645:")) << id << " " << p.id << " " << m;
      mapped += !p.maps_to.empty() || !p.checks.empty() || !p.indicators.empty();
    }
    EXPECT_GT(mapped, n / 3) << id << ": too few requirements reach a check";
  }
  // The NCSC principles 1..11, each followed by its published guidelines.
  const Catalog& ncsc = catalog("ncsc-dsp");
  std::vector<std::string> principles;
  for (const auto& p : ncsc.provisions)
    if (p.id.find('.') == std::string::npos) principles.push_back(p.id);
  EXPECT_EQ(principles, (std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}));
  EXPECT_EQ(provision(ncsc, "4.6")->level, "optional");
  EXPECT_EQ(provision(ncsc, "4.4")->indicators.size(), 4u);
  // PSTI: the ISO/IEC 29147 route sits beside the EN 303 645 one.
  const Catalog& psti = catalog("uk-psti");
  EXPECT_EQ(provision(psti, "Sch2-2(2)(b)")->condition, "iso29147");
  EXPECT_EQ(provision(psti, "Sch2-2")->maps_to, std::vector<std::string>{"etsi-en-303-645:5.2-1"});
}

// A provision judged by its own checks and by the requirements it maps to takes the worse.
TEST(EvaluateCombined, ChecksAndMappingsTogether) {
  auto base = parse_catalog(R"({"schema": "iotaudit-catalog/1", "standard": {"id": "base", "title": "Base", "version": "1"},
      "provisions": [{"id": "1", "level": "mandatory", "summary": "s", "checks": ["check.a"]}]})",
                            known);
  auto both = parse_catalog(R"({"schema": "iotaudit-catalog/1", "standard": {"id": "m", "title": "M", "version": "1"},
      "provisions": [{"id": "A", "level": "mandatory", "summary": "s", "checks": ["check.b"], "maps_to": ["base:1"]}]})",
                            known);
  ASSERT_TRUE(base && both);
  std::vector<Catalog> cats{*base, *both};
  CheckRun ra, rb;
  ra.check_id = "check.a";
  rb.check_id = "check.b";
  ra.subjects = rb.subjects = 2;
  Finding fa, fb;
  fa.check_id = "check.a";
  fa.fingerprint = "fp-a";
  fb.check_id = "check.b";
  fb.fingerprint = "fp-b";
  auto clean = evaluate(cats, {}, {ra, rb});
  EXPECT_EQ(clean[1].status, VerdictStatus::pass) << clean[1].rationale;
  auto mapped_fails = evaluate(cats, {fa}, {ra, rb});
  EXPECT_EQ(mapped_fails[1].status, VerdictStatus::fail);
  EXPECT_EQ(mapped_fails[1].finding_fingerprints, std::vector<std::string>{"fp-a"});
  auto own_fails = evaluate(cats, {fb}, {ra, rb});
  EXPECT_EQ(own_fails[1].status, VerdictStatus::fail);
  EXPECT_EQ(own_fails[1].finding_fingerprints, std::vector<std::string>{"fp-b"});
  auto own_not_run = evaluate(cats, {}, {ra});  // check.b did not run: not a pass
  EXPECT_EQ(own_not_run[1].status, VerdictStatus::inconclusive);
  auto both_fail = evaluate(cats, {fa, fb}, {ra, rb});
  EXPECT_EQ(both_fail[1].finding_fingerprints, (std::vector<std::string>{"fp-a", "fp-b"}));
}

// Conditions bound to facts: the firmware makes a provision not applicable only when the fact
// says the condition does not hold; a declaration that contradicts a holding fact is reported.
class ConditionFactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = parse_catalog(R"({"schema": "iotaudit-catalog/1", "standard": {"id": "s", "title": "S", "version": "1"},
        "conditions": {"1": {"text": "passwords are used", "fact": "passwords_used"},
                       "3": {"text": "software cannot be updated", "fact": "!update_mechanism"},
                       "4": "the device is constrained"},
        "provisions": [
          {"id": "P", "level": "conditional-mandatory", "condition": "1", "summary": "s", "checks": ["check.a"]},
          {"id": "U", "level": "conditional-recommended", "conditions": ["3", "4"], "summary": "s"},
          {"id": "M", "level": "mandatory", "summary": "s"}]})",
                           known);
    ASSERT_TRUE(c) << c.error().message;
    cats.push_back(*c);
    ra.check_id = "check.a";
  }
  std::vector<Verdict> run(const ConditionFacts& facts, const Declaration* decl = nullptr,
                           std::vector<std::string>* contradictions = nullptr) {
    EvaluationInput in;
    in.findings = &findings;
    std::vector<CheckRun> runs{ra};
    in.runs = &runs;
    in.condition_facts = &facts;
    in.declaration = decl;
    in.contradictions = contradictions;
    return evaluate(cats, in);
  }
  std::vector<Catalog> cats;
  std::vector<Finding> findings;
  CheckRun ra;
};

TEST_F(ConditionFactsTest, FactsDecideOnlyWhatTheyShow) {
  ConditionFacts none;
  auto vs = run(none);
  EXPECT_EQ(vs[0].status, VerdictStatus::inconclusive);  // no subjects, no fact: not n/a
  EXPECT_EQ(vs[1].status, VerdictStatus::needs_evidence);
  EXPECT_EQ(vs[1].condition, "software cannot be updated; the device is constrained");

  ConditionFacts no_passwords{{"passwords_used", {Holds::no, "no account has a password"}},
                              {"update_mechanism", {Holds::yes, "/sbin/sysupgrade writes to flash"}}};
  vs = run(no_passwords);
  EXPECT_EQ(vs[0].status, VerdictStatus::not_applicable);
  EXPECT_EQ(vs[0].condition_decided_by, "firmware");
  EXPECT_NE(vs[0].rationale.find("no account has a password"), std::string::npos) << vs[0].rationale;
  // "!update_mechanism": an update mechanism exists, so "cannot be updated" does not hold.
  EXPECT_EQ(vs[1].status, VerdictStatus::not_applicable);
  EXPECT_NE(vs[1].rationale.find("sysupgrade"), std::string::npos) << vs[1].rationale;
  EXPECT_EQ(vs[2].status, VerdictStatus::needs_evidence);

  // A finding outweighs a fact that the condition does not hold.
  Finding f;
  f.check_id = "check.a";
  f.fingerprint = "fp";
  findings.push_back(f);
  vs = run(no_passwords);
  EXPECT_EQ(vs[0].status, VerdictStatus::fail);
  EXPECT_FALSE(vs[0].notes.empty());
}

TEST_F(ConditionFactsTest, DeclarationCannotDenyWhatTheFirmwareShows) {
  ConditionFacts passwords{{"passwords_used", {Holds::yes, "root has a password hash in /etc/shadow"}}};
  Declaration d;
  d.conditions["s"]["1"] = false;
  d.conditions["s"]["4"] = false;
  std::vector<std::string> contradictions;
  auto vs = run(passwords, &d, &contradictions);
  EXPECT_NE(vs[0].status, VerdictStatus::not_applicable);
  ASSERT_FALSE(vs[0].notes.empty());
  EXPECT_NE(vs[0].notes[0].find("/etc/shadow"), std::string::npos) << vs[0].notes[0];
  ASSERT_EQ(contradictions.size(), 1u);
  // Condition 4 has no fact: the declaration decides it.
  EXPECT_EQ(vs[1].status, VerdictStatus::not_applicable);
  EXPECT_EQ(vs[1].condition_decided_by, "declared");
  EXPECT_TRUE(vs[1].declared);
}

TEST(ConditionFacts, UnknownFactIsRefused) {
  auto c = parse_catalog(R"({"schema": "iotaudit-catalog/1", "standard": {"id": "s", "title": "S", "version": "1"},
      "conditions": {"1": {"text": "t", "fact": "passwords_usde"}}, "provisions": []})",
                         known);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("passwords_usde"), std::string::npos);
  EXPECT_TRUE(known_condition_fact("!update_mechanism"));
  EXPECT_FALSE(known_condition_fact("!"));
}

TEST(ConditionFacts, DecidedFromAccountsServicesAndChecks) {
  Facts facts;
  std::vector<Finding> findings;
  std::vector<CheckRun> runs;
  // Nothing read: unknown, never "does not hold".
  auto cf = decide_condition_facts(facts, findings, runs);
  EXPECT_EQ(cf["passwords_used"].holds, Holds::unknown);
  EXPECT_EQ(cf["update_mechanism"].holds, Holds::unknown);
  // A root filesystem whose only account is locked and that starts no login service.
  facts.rootfs.push_back(1);
  Account locked;
  locked.name = "root";
  locked.state = PasswordState::locked;
  locked.source_path = "/etc/shadow";
  facts.accounts.push_back(locked);
  Service ntp;
  ntp.name = "ntpd";
  ntp.kind = "time";
  facts.services.push_back(ntp);
  cf = decide_condition_facts(facts, findings, runs);
  EXPECT_EQ(cf["passwords_used"].holds, Holds::no) << cf["passwords_used"].because;
  EXPECT_EQ(cf["user_authentication"].holds, Holds::unknown);
  // A web server makes passwords likely in use.
  Service web;
  web.name = "uhttpd";
  web.kind = "web";
  web.source_path = "/etc/init.d/uhttpd";
  web.line = 3;
  facts.services.push_back(web);
  cf = decide_condition_facts(facts, findings, runs);
  EXPECT_EQ(cf["passwords_used"].holds, Holds::yes);
  EXPECT_NE(cf["passwords_used"].because.find("uhttpd"), std::string::npos);
  EXPECT_EQ(cf["user_authentication"].holds, Holds::yes);
  // So does a password hash, naming the account.
  facts.services.pop_back();
  Account hashed = locked;
  hashed.name = "admin";
  hashed.state = PasswordState::hash;
  facts.accounts.push_back(hashed);
  cf = decide_condition_facts(facts, findings, runs);
  EXPECT_EQ(cf["passwords_used"].holds, Holds::yes);
  EXPECT_NE(cf["passwords_used"].because.find("admin"), std::string::npos);
  EXPECT_EQ(cf["ssp_stored"].holds, Holds::yes);
  // Update scripts that write to flash show an update mechanism.
  CheckRun upd;
  upd.check_id = "updates.unsigned";
  upd.subjects = 2;
  runs.push_back(upd);
  cf = decide_condition_facts(facts, findings, runs);
  EXPECT_EQ(cf["update_mechanism"].holds, Holds::yes);
  EXPECT_EQ(lookup(cf, "!update_mechanism").holds, Holds::no);
  EXPECT_EQ(lookup(cf, "no_such_fact").holds, Holds::unknown);
}

// Every built-in catalog gets a verdict for each of its provisions, with its id and version.
TEST(BuiltinVerdicts, EveryProvisionOfEveryCatalog) {
  auto vs = evaluate(builtin(), {}, {});
  std::map<std::string, std::size_t> per;
  for (const auto& v : vs) {
    ++per[v.standard_id];
    EXPECT_FALSE(v.rationale.empty()) << v.standard_id << " " << v.provision;
    EXPECT_NE(v.status, VerdictStatus::pass) << v.standard_id << " " << v.provision << " passes with nothing run";
    EXPECT_NE(v.status, VerdictStatus::fail) << v.standard_id << " " << v.provision << " fails without evidence";
  }
  for (const auto& c : builtin()) EXPECT_EQ(per[c.id], c.provisions.size()) << c.id;
  EXPECT_EQ(per["etsi-en-303-645"], 68u);
  EXPECT_EQ(per["etsi-en-303-645-v3"], 78u);
}

}  // namespace
}  // namespace iotaudit::comply
