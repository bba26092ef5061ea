#pragma once
// VEX in: CycloneDX VEX (a BOM whose vulnerabilities carry analysis.state) and OpenVEX documents.
// A statement that a product is not affected (or the finding is a false positive, or fixed)
// suppresses the matching CVE for the components it names; the match stays in the report, marked.
#include <string>
#include <vector>

#include "core/result.hpp"
#include "model/vuln.hpp"

namespace iotaudit::match {

struct VexStatement {
  std::string cve;
  std::string status;         // OpenVEX: not_affected, affected, fixed, under_investigation
  std::string justification;  // as the document says it
  std::string detail;
  std::vector<std::string> products;  // bom-refs, PURLs, CPEs or "name@version"; empty: every component
  std::string source;                 // file name
};

Result<std::vector<VexStatement>> parse_vex(std::string_view json, const std::string& source);
Result<std::vector<VexStatement>> load_vex_file(const std::string& path);
// Marks matching VulnMatches; returns how many were suppressed.
std::size_t apply_vex(const std::vector<VexStatement>& statements, std::vector<VulnMatch>& matches);

}  // namespace iotaudit::match
