#include "comply/catalog.hpp"

#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "analyze/analyzer.hpp"
#include "core/embedded_data.hpp"

namespace iotaudit::comply {

using nlohmann::json;

Result<Catalog> parse_catalog(std::string_view text,
                              const std::function<bool(std::string_view)>& known_check) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::malformed, "catalog is not a JSON object");
  // value() throws for a "schema" that is not a string: checked by hand, outside the try below.
  if (auto sc = j.find("schema"); sc == j.end() || !sc->is_string() || *sc != "iotaudit-catalog/1")
    return fail(Errc::malformed, "catalog schema is not iotaudit-catalog/1");
  Catalog c;
  try {
    const auto& s = j.at("standard");
    c.id = s.at("id").get<std::string>();
    c.title = s.at("title").get<std::string>();
    c.version = s.at("version").get<std::string>();
    const std::string mapping = s.value("mapping", "equivalent");
    if (mapping != "equivalent" && mapping != "partial")
      return fail(Errc::malformed, fmt::format("{}: mapping must be equivalent or partial", c.id));
    c.partial_mapping = mapping == "partial";
    c.note = s.value("note", "");
    c.owner = s.value("owner", "");
    c.previous = s.value("previous", "");
    if (s.contains("voided")) c.voided = s["voided"].get<std::vector<std::string>>();
    if (j.contains("conditions"))
      for (auto& [k, v] : j["conditions"].items()) {
        // "1": "passwords are used", or {"text": ..., "fact": "passwords_used"} when the firmware
        // can decide it.
        if (v.is_string()) {
          c.conditions[k] = v.get<std::string>();
          continue;
        }
        c.conditions[k] = v.at("text").get<std::string>();
        if (v.contains("fact")) {
          std::string fact = v.at("fact").get<std::string>();
          if (!known_condition_fact(fact))
            return fail(Errc::malformed, fmt::format("{}: condition {} names unknown fact '{}'", c.id, k, fact));
          c.condition_facts[k] = fact;
        }
      }
    std::set<std::string> ids;
    for (const auto& p : j.at("provisions")) {
      Provision pr;
      pr.id = p.at("id").get<std::string>();
      pr.principle = p.value("principle", "");
      pr.level = p.at("level").get<std::string>();
      pr.condition = p.value("condition", "");
      pr.summary = p.at("summary").get<std::string>();
      pr.applies_when = p.value("applies_when", "");
      if (p.contains("checks")) pr.checks = p["checks"].get<std::vector<std::string>>();
      if (p.contains("indicators")) pr.indicators = p["indicators"].get<std::vector<std::string>>();
      if (p.contains("maps_to")) pr.maps_to = p["maps_to"].get<std::vector<std::string>>();
      if (p.contains("conditions")) pr.conditions = p["conditions"].get<std::vector<std::string>>();
      if (p.contains("renumbered_from")) pr.renumbered_from = p["renumbered_from"].get<std::vector<std::string>>();
      if (!pr.renumbered_from.empty() && c.previous.empty())
        return fail(Errc::malformed, fmt::format("{}: provision {} is renumbered from a previous version the standard "
                                                 "does not name", c.id, pr.id));
      if (pr.conditions.empty() && !pr.condition.empty()) pr.conditions.push_back(pr.condition);
      if (pr.condition.empty() && !pr.conditions.empty()) pr.condition = pr.conditions.front();
      if (!ids.insert(pr.id).second)
        return fail(Errc::malformed, fmt::format("{}: provision {} listed twice", c.id, pr.id));
      static const std::set<std::string> levels{"mandatory", "recommended", "optional", "conditional-mandatory",
                                                "conditional-recommended"};
      if (!levels.contains(pr.level))
        return fail(Errc::malformed, fmt::format("{}: provision {} has unknown level '{}'", c.id, pr.id, pr.level));
      for (const auto& cond : pr.conditions)
        if (!c.conditions.contains(cond))
          return fail(Errc::malformed, fmt::format("{}: provision {} names unknown condition {}", c.id, pr.id, cond));
      for (const auto* list : {&pr.checks, &pr.indicators})
        for (const auto& chk : *list)
          if (!known_check(chk))
            return fail(Errc::malformed, fmt::format("{}: provision {} names unknown check '{}'", c.id, pr.id, chk));
      c.provisions.push_back(std::move(pr));
    }
  } catch (const json::exception& e) {
    return fail(Errc::malformed, fmt::format("catalog: {}", e.what()));
  }
  return c;
}

Status check_mappings(const std::vector<Catalog>& cats) {
  std::set<std::string> ids, catalog_ids;
  for (const auto& c : cats) {
    if (!catalog_ids.insert(c.id).second) return fail(Errc::malformed, fmt::format("catalog {} listed twice", c.id));
    for (const auto& p : c.provisions) ids.insert(c.id + ":" + p.id);
  }
  for (const auto& c : cats) {
    if (!c.previous.empty() && !catalog_ids.contains(c.previous))
      return fail(Errc::malformed, fmt::format("{}: previous version {} is not a known catalog", c.id, c.previous));
    for (const auto& v : c.voided)
      if (!ids.contains(c.previous + ":" + v))
        return fail(Errc::malformed, fmt::format("{}: voided {} is not a provision of {}", c.id, v, c.previous));
    for (const auto& p : c.provisions) {
      for (const auto& m : p.maps_to)
        if (!ids.contains(m))
          return fail(Errc::malformed, fmt::format("{}: provision {} maps to unknown {}", c.id, p.id, m));
      for (const auto& r : p.renumbered_from)
        if (!ids.contains(c.previous + ":" + r))
          return fail(Errc::malformed,
                      fmt::format("{}: provision {} is renumbered from unknown {}:{}", c.id, p.id, c.previous, r));
    }
  }
  return {};
}

Result<std::vector<Catalog>> load_builtin_catalogs() {
  std::vector<Catalog> out;
  auto known = [](std::string_view id) { return analyze::find_check(id) != nullptr; };
  for (const auto& [path, text] : embedded::all_files()) {
    if (!path.starts_with("standards/") || !path.ends_with(".json")) continue;
    auto c = parse_catalog(text, known);
    if (!c) return fail(c.error().code, fmt::format("{}: {}", path, c.error().message));
    out.push_back(std::move(*c));
  }
  // Catalogs that map to others come after them (their verdicts are derived), ETSI first, and a
  // later version after the one it renumbers.
  std::stable_sort(out.begin(), out.end(), [](const Catalog& a, const Catalog& b) {
    auto rank = [](const Catalog& c) {
      for (const auto& p : c.provisions)
        if (!p.maps_to.empty()) return 2;
      return c.previous.empty() ? 0 : 1;
    };
    return rank(a) < rank(b);
  });
  TRY(check_mappings(out));
  return out;
}

std::map<std::string, std::vector<ProvisionRef>> provisions_by_check(const std::vector<Catalog>& cats) {
  std::map<std::string, std::vector<ProvisionRef>> m;
  for (const auto& c : cats) {
    // A later version that renumbers an earlier one (EN 303 645 V3.1.3) judges with the same checks;
    // findings cite the earlier version, which UK PSTI refers to, and the verdicts carry both.
    if (!c.previous.empty()) continue;
    for (const auto& p : c.provisions)
      for (const auto& chk : p.checks) m[chk].push_back({c.title, p.id});
  }
  return m;
}

namespace {

bool iso_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

void evaluate_checks(const Provision& p, const std::vector<Finding>& findings, const std::vector<CheckRun>& runs,
                     Verdict& v) {
  std::uint64_t subjects = 0;
  std::size_t ran = 0;
  std::vector<std::string> open_notes;
  for (const auto& f : findings)
    for (const auto& chk : p.checks)
      if (f.check_id == chk) v.finding_fingerprints.push_back(f.fingerprint);
  for (const auto& chk : p.checks) {
    bool seen = false;
    for (const auto& r : runs)
      if (r.check_id == chk) {
        seen = true;
        ++ran;
        subjects += r.subjects;
        v.facts.push_back(fmt::format("{} examined {} subject(s){}", chk, r.subjects,
                                      r.conclusive ? "" : " (a clean result is not conclusive)"));
        if (!r.conclusive)
          for (const auto& n : r.notes) open_notes.push_back(n);
      }
    if (!seen) v.facts.push_back(fmt::format("{} did not run", chk));
  }
  if (!v.finding_fingerprints.empty()) {
    v.status = VerdictStatus::fail;
    v.rationale = fmt::format("{} finding(s) break this provision", v.finding_fingerprints.size());
  } else if (ran < p.checks.size()) {
    v.status = VerdictStatus::inconclusive;
    v.rationale = "not every check that informs this provision ran";
  } else if (subjects == 0) {
    v.status = VerdictStatus::inconclusive;
    v.rationale = p.applies_when == "accounts" ? "no user accounts were found, so passwords could not be assessed"
                                               : "the checks found nothing to examine";
  } else if (!open_notes.empty()) {
    v.status = VerdictStatus::inconclusive;
    v.rationale = open_notes.front();
  } else {
    v.status = VerdictStatus::pass;
    v.rationale = fmt::format("checks examined {} subject(s) and found no violation", subjects);
  }
}

void evaluate_indicators(const Provision& p, const std::vector<Finding>& findings, Verdict& v) {
  v.status = VerdictStatus::needs_evidence;
  v.checks = p.indicators;
  for (const auto& f : findings)
    for (const auto& chk : p.indicators)
      if (f.check_id == chk) v.finding_fingerprints.push_back(f.fingerprint);
  if (!v.finding_fingerprints.empty()) {
    v.status = VerdictStatus::inconclusive;
    v.rationale = fmt::format("{} finding(s) point to gaps; whether the provision is met needs documentation "
                              "of the process the firmware only partly shows",
                              v.finding_fingerprints.size());
  } else {
    v.rationale = "the checks that point to gaps found none; documentation is still needed";
  }
}

// The verdict of a provision derived from the requirements it maps to (evaluated before it:
// catalogs are ordered so that mapped ones come first).
void evaluate_mapped(const Catalog& c, const Provision& p, const std::vector<Verdict>& out,
                     const std::map<std::string, std::size_t>& done, Verdict& v) {
  std::size_t n = 0, fails = 0, passes = 0, na = 0, inconclusive = 0;
  std::set<std::string> fps;
  for (const auto& m : p.maps_to) {
    auto it = done.find(m);
    if (it == done.end()) continue;
    const Verdict& r = out[it->second];
    ++n;
    fails += r.status == VerdictStatus::fail;
    passes += r.status == VerdictStatus::pass;
    na += r.status == VerdictStatus::not_applicable;
    inconclusive += r.status == VerdictStatus::inconclusive;
    v.facts.push_back(fmt::format("{} is {}", m, to_string(r.status)));
    if (r.status == VerdictStatus::fail) fps.insert(r.finding_fingerprints.begin(), r.finding_fingerprints.end());
  }
  v.finding_fingerprints.assign(fps.begin(), fps.end());
  std::string list = fmt::format("{}", fmt::join(p.maps_to, ", "));
  if (n == 0) {
    v.status = VerdictStatus::needs_evidence;
    v.rationale = "the requirements it maps to were not evaluated";
  } else if (fails > 0) {
    v.status = VerdictStatus::fail;
    v.rationale = fmt::format("{} of the mapped requirements fail ({})", fails, list);
  } else if (na == n) {
    v.status = VerdictStatus::not_applicable;
    v.rationale = fmt::format("every mapped requirement is not applicable ({})", list);
  } else if (passes + na == n && c.partial_mapping) {
    v.status = VerdictStatus::inconclusive;
    v.rationale = fmt::format("the related requirements pass ({}), but they cover this one only in part", list);
  } else if (passes + na == n) {
    v.status = VerdictStatus::pass;
    v.rationale = fmt::format("every mapped requirement passes ({})", list);
  } else if (inconclusive > 0) {
    v.status = VerdictStatus::inconclusive;
    v.rationale = fmt::format("{} of the mapped requirements are inconclusive ({})", inconclusive, list);
  } else {
    v.status = VerdictStatus::needs_evidence;
    v.rationale = fmt::format("the mapped requirements need documentation ({})", list);
  }
}

int severity_rank(VerdictStatus s) {
  switch (s) {
    case VerdictStatus::fail: return 0;
    case VerdictStatus::inconclusive: return 1;
    case VerdictStatus::needs_evidence: return 2;
    case VerdictStatus::pass: return 3;
    case VerdictStatus::not_applicable: return 4;
  }
  return 1;
}

// A provision with checks of its own and mapped requirements: the worse verdict of the two
// (a failure of either fails it; it passes only when both pass).
void combine(Verdict& own, Verdict&& mapped) {
  std::set<std::string> fps(own.finding_fingerprints.begin(), own.finding_fingerprints.end());
  fps.insert(mapped.finding_fingerprints.begin(), mapped.finding_fingerprints.end());
  own.finding_fingerprints.assign(fps.begin(), fps.end());
  own.facts.insert(own.facts.end(), mapped.facts.begin(), mapped.facts.end());
  std::string rationale = fmt::format("own checks: {}; mapped: {}", own.rationale, mapped.rationale);
  if (severity_rank(mapped.status) < severity_rank(own.status)) own.status = mapped.status;
  own.rationale = std::move(rationale);
}

struct ConditionState {
  std::string key, text;
  ConditionFact fact;
};

std::vector<ConditionState> condition_states(const Catalog& c, const Provision& p, const ConditionFacts* facts) {
  std::vector<ConditionState> out;
  for (const auto& key : p.conditions) {
    ConditionState st{key, c.conditions.contains(key) ? c.conditions.at(key) : key, {}};
    if (facts)
      if (auto b = c.condition_facts.find(key); b != c.condition_facts.end()) st.fact = lookup(*facts, b->second);
    out.push_back(std::move(st));
  }
  return out;
}

// Conditions the firmware decides: one that does not hold makes the provision not applicable.
void apply_condition_facts(const std::vector<ConditionState>& conds, Verdict& v) {
  for (const auto& st : conds) {
    if (st.fact.holds == Holds::unknown) continue;
    v.facts.push_back(fmt::format("condition {} ({}) {}: {}", st.key, st.text, to_string(st.fact.holds), st.fact.because));
    if (st.fact.holds != Holds::no || v.status == VerdictStatus::not_applicable) continue;
    if (v.status == VerdictStatus::fail) {
      v.notes.push_back(fmt::format("the firmware suggests condition '{}' does not hold, yet findings break the "
                                    "provision",
                                    st.text));
      continue;
    }
    v.status = VerdictStatus::not_applicable;
    v.condition_decided_by = "firmware";
    v.rationale = fmt::format("condition '{}' does not hold: {}", st.text, st.fact.because);
  }
}

// The declaration decides what the firmware cannot; it never overrides a failure or a condition
// the firmware shows to hold.
void apply_declaration(const Catalog& c, const Provision& p, const std::vector<ConditionState>& conds,
                       const Declaration* decl, Verdict& v, std::vector<std::string>* contradictions) {
  if (decl == nullptr) return;
  auto cc = decl->conditions.find(c.id);
  if (cc != decl->conditions.end() && v.status != VerdictStatus::not_applicable) {
    for (const auto& st : conds) {
      auto it = cc->second.find(st.key);
      if (it == cc->second.end() || it->second) continue;
      if (v.status == VerdictStatus::fail) {
        v.notes.push_back(fmt::format("declared not applicable (condition '{}' does not hold), but the firmware "
                                      "shows findings that break it",
                                      st.text));
        if (contradictions)
          contradictions->push_back(fmt::format("{} {}: declared not applicable, but it fails in the firmware",
                                                c.title, p.id));
        continue;
      }
      if (st.fact.holds == Holds::yes) {
        v.notes.push_back(fmt::format("declared that condition '{}' does not hold, but the firmware shows it does: {}",
                                      st.text, st.fact.because));
        if (contradictions)
          contradictions->push_back(fmt::format("{} condition {} ({}): declared not to hold, but the firmware shows "
                                                "it does ({})",
                                                c.title, st.key, st.text, st.fact.because));
        continue;
      }
      v.status = VerdictStatus::not_applicable;
      v.declared = true;
      v.condition_decided_by = "declared";
      v.rationale = fmt::format("condition '{}' does not hold (declared)", st.text);
      return;
    }
  }
  auto a = decl->answers.find(c.id + ":" + p.id);
  if (a == decl->answers.end()) return;
  v.documents = a->second.documents;
  v.facts.push_back(fmt::format("declared: {}", a->second.text));
  if (v.status == VerdictStatus::fail) {
    v.notes.push_back(fmt::format("declared as met ({}), but {} finding(s) break it", a->second.text,
                                  v.finding_fingerprints.size()));
    if (contradictions)
      contradictions->push_back(fmt::format("{} {}: declared as met, but the firmware shows {} finding(s) that break it",
                                            c.title, p.id, v.finding_fingerprints.size()));
    return;
  }
  if (v.status == VerdictStatus::needs_evidence || v.status == VerdictStatus::inconclusive) {
    std::string before =
        v.status == VerdictStatus::inconclusive ? "; automated checks could not decide: " + v.rationale : "";
    v.status = VerdictStatus::pass;
    v.declared = true;
    v.rationale = fmt::format("declared: {}{}", a->second.text, before);
  }
}

// The declaration's publication claims against what the firmware shows. Each disagreement goes
// to the contradictions and, as a note, to the verdicts of the provisions it concerns.
void cross_check_declaration(const Declaration& decl, const std::vector<Finding>& findings,
                             const std::vector<CheckRun>& runs, std::string_view today, std::vector<Verdict>& out,
                             std::vector<std::string>* contradictions) {
  auto report = [&](const std::string& text, std::initializer_list<std::pair<const char*, const char*>> where) {
    if (contradictions) contradictions->push_back(text);
    for (auto& v : out)
      for (const auto& [cat, prov] : where)
        if (v.standard_id == cat && v.provision == prov) v.notes.push_back(text);
  };
  auto finding_of = [&](std::string_view check) -> const Finding* {
    for (const auto& f : findings)
      if (f.check_id == check) return &f;
    return nullptr;
  };
  const std::string contact = !decl.disclosure_contact.empty() ? decl.disclosure_contact : decl.disclosure_policy_url;
  if (!contact.empty())
    if (const Finding* f = finding_of("disclosure.contact"))
      report(fmt::format("a vulnerability-disclosure contact is declared ({}), but the firmware publishes none "
                         "(finding {}); UK PSTI Schedule 1 para 2 requires the contact to be published where users "
                         "find it without asking: check that it is, and consider shipping it (security.txt)",
                         contact, f->fingerprint),
             {{"etsi-en-303-645", "5.2-1"}, {"etsi-en-303-645-v3", "5.2-1"}, {"uk-psti", "Sch1-2(2)(a)"}});
  if (decl.support_end.empty()) return;
  if (!today.empty() && decl.support_end < today)
    report(fmt::format("the declared support period ended on {} (scan date {}): the product no longer receives "
                       "security updates",
                       decl.support_end, today),
           {{"etsi-en-303-645", "5.3-13"}, {"etsi-en-303-645-v3", "5.3-13"}, {"uk-psti", "Sch1-3(2)"}});
  const Finding* missing = finding_of("disclosure.support_period");
  if (missing && missing->title.starts_with("No support period")) {
    report(fmt::format("a support period until {} is declared, but the firmware states none (finding {}); UK PSTI "
                       "Schedule 1 para 3 requires it to be published",
                       decl.support_end, missing->fingerprint),
           {{"etsi-en-303-645", "5.3-13"}, {"etsi-en-303-645-v3", "5.3-13"}, {"uk-psti", "Sch1-3(2)"}});
    return;
  }
  // The firmware's own statement ("support period stated in /www/about.html line 4 (until 2027-06-30)").
  for (const auto& r : runs) {
    if (r.check_id != "disclosure.support_period") continue;
    for (const auto& n : r.notes) {
      auto at = n.find("(until ");
      if (at == std::string::npos || n.size() < at + 17) continue;
      std::string stated = n.substr(at + 7, 10);
      if (!iso_date(stated) || stated == decl.support_end) continue;
      std::string where = n.substr(0, at);
      while (!where.empty() && where.back() == ' ') where.pop_back();
      report(fmt::format("the declared support period ends on {}, but the firmware states {} ({})", decl.support_end,
                         stated, where),
             {{"etsi-en-303-645", "5.3-13"}, {"etsi-en-303-645-v3", "5.3-13"}, {"uk-psti", "Sch1-3(2)"}});
    }
  }
}

}  // namespace

std::vector<Verdict> evaluate(const std::vector<Catalog>& cats, const std::vector<Finding>& findings,
                              const std::vector<CheckRun>& runs, const Declaration* decl, std::string_view today,
                              std::vector<std::string>* contradictions) {
  EvaluationInput in;
  in.findings = &findings;
  in.runs = &runs;
  in.declaration = decl;
  in.today = today;
  in.contradictions = contradictions;
  return evaluate(cats, in);
}

std::vector<Verdict> evaluate(const std::vector<Catalog>& cats, const EvaluationInput& in) {
  static const std::vector<Finding> kNoFindings;
  static const std::vector<CheckRun> kNoRuns;
  const auto& findings = in.findings ? *in.findings : kNoFindings;
  const auto& runs = in.runs ? *in.runs : kNoRuns;
  const Declaration* decl = in.declaration;
  std::vector<Verdict> out;
  std::map<std::string, std::size_t> done;  // "catalog-id:provision" -> index in out
  for (const auto& c : cats) {
    for (const auto& p : c.provisions) {
      Verdict v;
      v.standard = c.title;
      v.standard_id = c.id;
      v.version = c.version;
      v.provision = p.id;
      v.title = p.principle;
      v.level = p.level;
      v.checks = p.checks;
      v.maps_to = p.maps_to;
      v.renumbered_from = p.renumbered_from;
      v.summary = p.summary;
      auto conds = condition_states(c, p, in.condition_facts);
      for (const auto& st : conds) v.condition += (v.condition.empty() ? "" : "; ") + st.text;
      const bool own = !p.checks.empty() || !p.indicators.empty();
      if (!p.checks.empty()) {
        evaluate_checks(p, findings, runs, v);
      } else if (!p.indicators.empty()) {
        evaluate_indicators(p, findings, v);
      } else if (p.maps_to.empty()) {
        v.status = VerdictStatus::needs_evidence;
        v.rationale = "no automated check informs this provision; documentation is needed";
      }
      if (!p.maps_to.empty()) {
        if (own) {
          Verdict mapped;
          evaluate_mapped(c, p, out, done, mapped);
          combine(v, std::move(mapped));
        } else {
          evaluate_mapped(c, p, out, done, v);
        }
      }
      apply_condition_facts(conds, v);
      apply_declaration(c, p, conds, decl, v, in.contradictions);
      done[c.id + ":" + p.id] = out.size();
      out.push_back(std::move(v));
    }
  }
  if (decl) cross_check_declaration(*decl, findings, runs, in.today, out, in.contradictions);
  return out;
}

}  // namespace iotaudit::comply
