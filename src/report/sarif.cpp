// SARIF 2.1.0 for code-scanning dashboards (GitHub, DefectDojo): findings and vulnerability matches
// as results, located at the file's path inside the firmware filesystem.
#include "report/json_text.hpp"
#include "report/report.hpp"
#include "report/vulns.hpp"

namespace iotaudit::report {

void write_sarif(const ScanResult& r, const Options& opt, std::ostream& os) {
  SarifInput in;
  in.tool_version = opt.tool_version;
  in.fallback_uri = r.input.name;
  for (const auto& c : r.check_runs)
    if (!c.title.empty()) in.rule_text[c.check_id] = {c.title, c.description};
  for (const auto& f : r.findings)
    if (f.check_id != "vulnerabilities.known_cve") in.findings.push_back(&f);  // the CVEs are listed one by one
  for (const auto& v : r.facts.vulns)
    if (v.confidence != "low" || v.status != VulnStatus::affected) in.vulns.push_back(&v);
  for (const auto& c : r.facts.components)
    for (const auto& o : c.occurrences)
      if (!o.path.empty()) {
        in.component_location.emplace("component:" + c.id + "@" + c.version, o.path);
        break;
      }
  os << dump_pretty(sarif_log(in)) << "\n";
}

}  // namespace iotaudit::report
