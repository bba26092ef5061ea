#include "comply/catalog.hpp"

#include <set>

#include <fmt/format.h>
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

Result<std::vector<Catalog>> load_builtin_catalogs() {
  std::vector<Catalog> out;
  auto known = [](std::string_view id) { return analyze::find_check(id) != nullptr; };
  for (const auto& [path, text] : embedded::all_files()) {
    if (!path.starts_with("standards/") || !path.ends_with(".json")) continue;
    auto c = parse_catalog(text, known);
    if (!c) return fail(c.error().code, fmt::format("{}: {}", path, c.error().message));
    out.push_back(std::move(*c));
  }
  return out;
}

std::map<std::string, std::vector<ProvisionRef>> provisions_by_check(const std::vector<Catalog>& cats) {
  std::map<std::string, std::vector<ProvisionRef>> m;
  for (const auto& c : cats)
    for (const auto& p : c.provisions)
      for (const auto& chk : p.checks) m[chk].push_back({c.title, p.id});
  return m;
}

std::vector<Verdict> evaluate(const std::vector<Catalog>& cats, const std::vector<Finding>& findings,
                              const std::vector<CheckRun>& runs) {
  std::vector<Verdict> out;
  for (const auto& c : cats) {
    for (const auto& p : c.provisions) {
      Verdict v;
      v.standard = c.title;
      v.provision = p.id;
      v.title = p.principle;
      v.level = p.level;
      v.checks = p.checks;
      if (p.checks.empty()) {
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
        out.push_back(std::move(v));
        continue;
      }
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
      out.push_back(std::move(v));
    }
  }
  return out;
}

}  // namespace iotaudit::comply
