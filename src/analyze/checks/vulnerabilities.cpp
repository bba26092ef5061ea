// Judgments on the vulnerability matches and lifecycle notes the pipeline attached to the facts:
// one finding per component with known vulnerabilities (severity from its worst CVE, critical
// when one is in CISA KEV), and one per component past its end of life or too old.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "analyze/analyzer.hpp"

namespace iotaudit::analyze {

namespace {

Severity from_cvss(const VulnMatch& m) {
  double s = m.cvss3_score >= 0 ? m.cvss3_score : m.cvss2_score;
  if (s < 0) {
    // No score (a kernel CVE the imported NVD data does not hold): medium until scored.
    return Severity::medium;
  }
  return s >= 9 ? Severity::critical : s >= 7 ? Severity::high : s >= 4 ? Severity::medium : Severity::low;
}

// The occurrences of a component, as evidence.
void add_component_evidence(const Facts& facts, const Tree& tree, const std::string& ref, Finding& f) {
  for (const auto& c : facts.components) {
    if (fmt::format("component:{}@{}", c.id, c.version) != ref) continue;
    for (std::size_t i = 0; i < c.occurrences.size() && i < 3; ++i) {
      const auto& o = c.occurrences[i];
      Evidence e = o.node != kNoNode ? evidence_at(tree, o.node) : Evidence{};
      if (!o.path.empty()) e.path = o.path;
      e.offset = o.offset;
      e.excerpt = o.evidence;
      e.facts["identified_by"] = o.method;
      f.evidence.push_back(std::move(e));
    }
    break;
  }
}

}  // namespace

CheckOutput check_known_vulnerabilities(Context& ctx, const Facts& facts) {
  CheckOutput out;
  out.run.subjects = facts.vuln_info.components_checked;
  if (!facts.vuln_info.database_present) {
    out.run.conclusive = false;
    out.run.notes.push_back("no vulnerability database: " + facts.vuln_info.database_note);
    return out;
  }
  std::map<std::string, std::vector<const VulnMatch*>> by_component;
  for (const auto& m : facts.vulns)
    if (m.status == VulnStatus::affected && !m.suppressed_by_vex && m.confidence != "low")
      by_component[m.component_ref].push_back(&m);
  for (const auto& [ref, ms] : by_component) {
    Finding f;
    f.check_id = "vulnerabilities.known_cve";
    const VulnMatch& first = *ms.front();
    std::size_t kev = 0;
    Severity worst = Severity::info;
    std::map<Severity, std::size_t> counts;
    for (const auto* m : ms) {
      kev += m->kev;
      Severity s = from_cvss(*m);
      ++counts[s];
      worst = std::max(worst, s);
    }
    if (kev) worst = Severity::critical;
    f.severity = worst;
    f.title = fmt::format("{} {} has {} known vulnerabilit{}{}", first.component_name.empty() ? first.component_id : first.component_name,
                          first.component_version, ms.size(), ms.size() == 1 ? "y" : "ies",
                          kev ? fmt::format(", {} known to be exploited (CISA KEV)", kev) : "");
    std::string ids;
    for (std::size_t i = 0; i < ms.size() && i < 8; ++i) ids += (i ? ", " : "") + ms[i]->cve;
    if (ms.size() > 8) ids += fmt::format(" and {} more", ms.size() - 8);
    f.description = fmt::format(
        "The firmware ships a version with published vulnerabilities ({}). Shipping software with known "
        "exploitable vulnerabilities breaks the update and vulnerability-handling provisions.",
        ids);
    f.remediation = fmt::format("Update {} to a fixed release (see each CVE's range) or document why each CVE does not "
                                "apply in a VEX statement.", first.component_id);
    add_component_evidence(facts, ctx.tree, ref, f);
    if (!f.evidence.empty()) {
      auto& facts_map = f.evidence.front().facts;
      facts_map["cves"] = ids;
      facts_map["critical"] = std::to_string(counts[Severity::critical]);
      facts_map["high"] = std::to_string(counts[Severity::high]);
      facts_map["kev"] = std::to_string(kev);
    }
    f.fingerprint = fingerprint(f.check_id, ref, "");
    out.findings.push_back(std::move(f));
  }
  return out;
}

CheckOutput check_end_of_life(Context& ctx, const Facts& facts) {
  CheckOutput out;
  out.run.subjects = facts.components.size();
  for (const auto& n : facts.lifecycle) {
    Finding f;
    f.check_id = "components.end_of_life";
    f.severity = n.kind == "end-of-life" ? Severity::high : Severity::medium;
    f.title = fmt::format("{} {} is {}", n.component_name, n.component_version,
                          n.kind == "end-of-life" ? "past its end of life" : "outdated");
    f.description = n.detail + ". Software that no longer receives security fixes cannot be kept free of known "
                               "vulnerabilities for the device's support period.";
    f.remediation = "Move to a maintained release series and keep it updated for the declared support period.";
    add_component_evidence(facts, ctx.tree, n.component_ref, f);
    if (!f.evidence.empty()) {
      f.evidence.front().facts["date"] = n.date;
      f.evidence.front().facts["source"] = n.source;
    }
    f.fingerprint = fingerprint(f.check_id, n.component_ref, n.kind);
    out.findings.push_back(std::move(f));
  }
  return out;
}

extern const CheckInfo check_known_vulnerabilities_info;  // listed in checks.def
const CheckInfo check_known_vulnerabilities_info{
    "vulnerabilities.known_cve", "Component with known vulnerabilities",
    "An identified component's version is inside the vulnerable range of CVEs in the offline database "
    "(NVD CPE configurations evaluated with their AND/OR logic, Linux kernel CVEs by upstream fix ranges); "
    "CISA KEV membership raises the severity to critical.",
    {"needs `iotaudit db import` first; without a database the check is inconclusive",
     "matches whose only basis is an NVD entry naming every version are listed but not raised as findings",
     "distribution backports (Debian revisions) are not considered: the upstream version decides"},
    &check_known_vulnerabilities};
extern const CheckInfo check_end_of_life_info;  // listed in checks.def
const CheckInfo check_end_of_life_info{
    "components.end_of_life", "Component past end of life or outdated",
    "A component's release series has reached its upstream end of life, or its release is older than the "
    "configured age, per the dates in data/vulndb/lifecycle.json.",
    {"only the products listed in data/vulndb/lifecycle.json are judged"},
    &check_end_of_life};

}  // namespace iotaudit::analyze
