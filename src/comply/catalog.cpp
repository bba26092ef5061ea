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
  if (j.value("schema", "") != "iotaudit-catalog/1")
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
    if (j.contains("conditions"))
      for (auto& [k, v] : j["conditions"].items()) c.conditions[k] = v.get<std::string>();
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
      if (!ids.insert(pr.id).second)
        return fail(Errc::malformed, fmt::format("{}: provision {} listed twice", c.id, pr.id));
      static const std::set<std::string> levels{"mandatory", "recommended", "conditional-mandatory",
                                                "conditional-recommended"};
      if (!levels.contains(pr.level))
        return fail(Errc::malformed, fmt::format("{}: provision {} has unknown level '{}'", c.id, pr.id, pr.level));
      if (!pr.condition.empty() && !c.conditions.contains(pr.condition))
        return fail(Errc::malformed, fmt::format("{}: provision {} names unknown condition {}", c.id, pr.id, pr.condition));
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
  std::set<std::string> ids;
  for (const auto& c : cats)
    for (const auto& p : c.provisions) ids.insert(c.id + ":" + p.id);
  for (const auto& c : cats)
    for (const auto& p : c.provisions)
      for (const auto& m : p.maps_to)
        if (!ids.contains(m))
          return fail(Errc::malformed, fmt::format("{}: provision {} maps to unknown {}", c.id, p.id, m));
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
  // Catalogs that map to others come after them (their verdicts are derived), ETSI first.
  std::stable_sort(out.begin(), out.end(), [](const Catalog& a, const Catalog& b) {
    auto maps = [](const Catalog& c) {
      for (const auto& p : c.provisions)
        if (!p.maps_to.empty()) return 1;
      return 0;
    };
    return maps(a) < maps(b);
  });
  TRY(check_mappings(out));
  return out;
}

std::map<std::string, std::vector<ProvisionRef>> provisions_by_check(const std::vector<Catalog>& cats) {
  std::map<std::string, std::vector<ProvisionRef>> m;
  for (const auto& c : cats)
    for (const auto& p : c.provisions)
      for (const auto& chk : p.checks) m[chk].push_back({c.title, p.id});
  return m;
}

namespace {

void evaluate_checks(const Provision& p, const std::vector<Finding>& findings, const std::vector<CheckRun>& runs,
                     Verdict& v) {
      std::uint64_t subjects = 0;
      std::size_t ran = 0;
      std::vector<std::string> open_notes;
      for (const auto& f : findings)
        for (const auto& chk : p.checks)
          if (f.check_id == chk) v.finding_fingerprints.push_back(f.fingerprint);
      for (const auto& r : runs)
        for (const auto& chk : p.checks)
          if (r.check_id == chk) {
            ++ran;
            subjects += r.subjects;
            if (!r.conclusive)
              for (const auto& n : r.notes) open_notes.push_back(n);
          }
      if (!v.finding_fingerprints.empty()) {
        v.status = VerdictStatus::fail;
        v.rationale = fmt::format("{} finding(s) break this provision", v.finding_fingerprints.size());
      } else if (ran < p.checks.size()) {
        v.status = VerdictStatus::inconclusive;
        v.rationale = "not every check that informs this provision ran";
      } else if (subjects == 0) {
        v.status = VerdictStatus::inconclusive;
        v.rationale = p.applies_when == "accounts"
                          ? "no user accounts were found, so passwords could not be assessed"
                          : "the checks found nothing to examine";
      } else if (!open_notes.empty()) {
        v.status = VerdictStatus::inconclusive;
        v.rationale = open_notes.front();
      } else {
        v.status = VerdictStatus::pass;
        v.rationale = fmt::format("checks examined {} subject(s) and found no violation", subjects);
      }
}

// The declaration decides what the firmware cannot; it never overrides a failure.
void apply_declaration(const Catalog& c, const Provision& p, const Declaration* decl, Verdict& v,
                       std::vector<std::string>* contradictions) {
  if (decl == nullptr) return;
  if (!p.condition.empty()) {
    auto cc = decl->conditions.find(c.id);
    if (cc != decl->conditions.end()) {
      auto it = cc->second.find(p.condition);
      if (it != cc->second.end() && !it->second) {
        if (v.status == VerdictStatus::fail) {
          v.notes.push_back(fmt::format("declared not applicable (condition '{}' does not hold), but the firmware "
                                        "shows findings that break it", v.condition));
          if (contradictions)
            contradictions->push_back(fmt::format("{} {}: declared not applicable, but it fails in the firmware",
                                                  c.title, p.id));
        } else {
          v.status = VerdictStatus::not_applicable;
          v.declared = true;
          v.rationale = fmt::format("condition '{}' does not hold (declared)", v.condition);
          return;
        }
      }
    }
  }
  auto a = decl->answers.find(c.id + ":" + p.id);
  if (a == decl->answers.end()) return;
  v.documents = a->second.documents;
  if (v.status == VerdictStatus::fail) {
    v.notes.push_back(fmt::format("declared as met ({}), but {} finding(s) break it", a->second.text,
                                  v.finding_fingerprints.size()));
    if (contradictions)
      contradictions->push_back(fmt::format("{} {}: declared as met, but the firmware shows {} finding(s) that break it",
                                            c.title, p.id, v.finding_fingerprints.size()));
    return;
  }
  if (v.status == VerdictStatus::needs_evidence || v.status == VerdictStatus::inconclusive) {
    std::string before = v.status == VerdictStatus::inconclusive ? "; automated checks could not decide: " + v.rationale : "";
    v.status = VerdictStatus::pass;
    v.declared = true;
    v.rationale = fmt::format("declared: {}{}", a->second.text, before);
  }
}

}  // namespace

std::vector<Verdict> evaluate(const std::vector<Catalog>& cats, const std::vector<Finding>& findings,
                              const std::vector<CheckRun>& runs, const Declaration* decl, std::string_view today,
                              std::vector<std::string>* contradictions) {
  std::vector<Verdict> out;
  std::map<std::string, std::size_t> done;  // "catalog-id:provision" -> index in out
  for (const auto& c : cats) {
    for (const auto& p : c.provisions) {
      Verdict v;
      v.standard = c.title;
      v.provision = p.id;
      v.title = p.principle;
      v.level = p.level;
      v.checks = p.checks;
      v.maps_to = p.maps_to;
      if (!p.condition.empty())
        if (auto it = c.conditions.find(p.condition); it != c.conditions.end()) v.condition = it->second;
      if (p.checks.empty() && p.indicators.empty() && !p.maps_to.empty()) {
        // Derived from the requirements it maps to (evaluated before: catalogs are ordered).
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
      } else if (p.checks.empty()) {
        v.status = VerdictStatus::needs_evidence;
        v.rationale = "no automated check informs this provision; documentation is needed";
        if (!p.indicators.empty()) {
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
      } else {
        evaluate_checks(p, findings, runs, v);
      }
      apply_declaration(c, p, decl, v, contradictions);
      done[c.id + ":" + p.id] = out.size();
      out.push_back(std::move(v));
    }
  }
  if (decl && contradictions && !decl->support_end.empty() && !today.empty() && decl->support_end < today)
    contradictions->push_back(fmt::format("the declared support period ended on {} (scan date {}): the product "
                                          "no longer receives security updates",
                                          decl->support_end, today));
  return out;
}

}  // namespace iotaudit::comply
