#pragma once
// A vulnerability record as the feeds describe it, independent of the feed format: NVD JSON 1.1
// feeds and NVD CVE API 2.0 pages both become CveRecords before they reach the database.
#include <cstdint>
#include <string>
#include <vector>

namespace iotaudit::match {

// One cpeMatch entry: a CPE 2.3 name, optionally with a version range, and whether it names the
// vulnerable product (true) or only the platform it runs on (false).
struct CpeMatch {
  std::string criteria;  // "cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*"
  bool vulnerable = false;
  std::string start_including, start_excluding, end_including, end_excluding;
};

// A node: its matches and child nodes combined by AND or OR, optionally negated.
struct ConfigNode {
  bool and_op = false;
  bool negate = false;
  std::vector<CpeMatch> matches;
  std::vector<ConfigNode> children;
};

// A configuration: the vulnerable situation it describes holds when its nodes hold, combined by
// AND or OR. A CVE is relevant when any of its configurations holds.
struct Configuration {
  bool and_op = false;
  std::vector<ConfigNode> nodes;
};

struct CveRecord {
  std::string id;  // "CVE-2017-14491"
  std::string published, modified;  // ISO 8601 as the feed gives them
  std::string description;          // English
  std::vector<std::string> cwes;    // "CWE-787", "NVD-CWE-Other"
  std::string cvss2_vector, cvss3_vector, cvss3_version;
  double cvss2_score = -1, cvss3_score = -1;  // -1: absent
  std::string severity;                       // v3 base severity, else v2
  bool rejected = false;                      // "** REJECT **" records: kept out of matching
  std::string origin = "nvd";                 // "nvd" or "cve5": NVD's analysis wins over a CNA record
  std::vector<Configuration> configurations;
};

// OSV (osv.dev) records: affected packages of an ecosystem ("Debian:12", "Alpine:v3.18", "npm")
// with version ranges made of events, or explicit version lists.
struct OsvEvent {
  std::string kind;  // "introduced", "fixed", "last_affected", "limit"
  std::string version;
};
struct OsvRange {
  std::string type;  // "ECOSYSTEM", "SEMVER", "GIT"
  std::vector<OsvEvent> events;
};
struct OsvAffected {
  std::string ecosystem, name, purl;
  std::vector<OsvRange> ranges;
  std::vector<std::string> versions;
};
struct OsvRecord {
  std::string id, modified, published, withdrawn;
  std::string summary, details;
  std::vector<std::string> aliases;   // "CVE-2022-30065", "GHSA-..."
  std::vector<std::string> upstream;  // the records this one is derived from (distribution advisories)
  std::vector<std::string> cwes;
  std::string cvss3_vector, cvss2_vector;
  std::vector<OsvAffected> affected;
};

}  // namespace iotaudit::match
