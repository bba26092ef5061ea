#pragma once
// Vulnerability matches: which CVE applies to which identified component, and why.
#include <string>
#include <vector>

namespace iotaudit {

enum class VulnStatus {
  affected,      // the component's version is in the vulnerable range
  not_affected,  // a candidate ruled out with a reason kept as evidence (applet not compiled in, VEX)
};

struct VulnMatch {
  std::string component_id, component_name, component_version;  // "busybox", "BusyBox", "1.30.1"
  std::string component_ref;   // "component:busybox@1.30.1": the component's bom-ref in SBOMs
  std::string component_purl, component_cpe;
  std::string cve;             // "CVE-2021-42386"
  VulnStatus status = VulnStatus::affected;
  std::string justification;   // for not_affected: CycloneDX/OpenVEX justification ("code_not_present")
  bool suppressed_by_vex = false;
  std::string vex_source, vex_detail;  // the VEX document and its statement's detail
  std::string matcher;         // "nvd-cpe" or "linux-kernel-cves"
  std::string confidence;      // "high", "medium", "low"
  std::string searched;        // "cpe:2.3:a:busybox:busybox 1.30.1 (generic versions)"
  std::string found;           // "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:* versions < 1.34.0"
  std::string reason;          // one line a reviewer can check
  std::string description;     // the CVE's English description
  std::string published, modified;
  std::string severity;        // CVSS v3 base severity, else v2 ("CRITICAL", "HIGH", ...)
  std::string cvss3_vector, cvss3_version, cvss2_vector;
  double cvss3_score = -1, cvss2_score = -1;  // -1: none
  std::vector<std::string> cwes;
  bool kev = false;
  std::string kev_date_added, kev_due_date, kev_ransomware;
  double epss = -1, epss_percentile = -1;      // -1: no score
};

// Components past their end of life or older than the configured age.
struct LifecycleNote {
  std::string component_ref, component_name, component_version;
  std::string kind;      // "end-of-life" or "outdated"
  std::string detail;    // "OpenSSL 1.0.2 reached end of life on 2019-12-31"
  std::string date;      // the date the note rests on (EOL date, release date)
  std::string source;    // where the date comes from
};

// What the vulnerability stage did, so reports can say "no database" rather than "no CVEs".
struct VulnScanInfo {
  bool database_present = false;
  std::string database_path, database_note;  // note: why absent, or its newest data date
  std::size_t components_checked = 0, components_without_version = 0;
};

}  // namespace iotaudit
