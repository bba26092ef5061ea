#pragma once
// Findings are judgments made by checks, each with evidence a reviewer can verify: where (node and
// logical path, byte extent), what (a censored excerpt), and which facts it used.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/tree.hpp"

namespace iotaudit {

struct Evidence {
  NodeId node = kNoNode;
  std::string logical_path;     // "fw.bin » squashfs@0x20000 » /etc/shadow"
  std::string path;             // path inside the filesystem ("/etc/shadow"); empty for regions
  std::optional<std::uint64_t> line;
  std::optional<std::uint64_t> offset, length;  // byte extent inside the node
  std::string excerpt;          // censored: secrets never appear in full
  std::map<std::string, std::string> facts;     // what the check relied on
};

struct ProvisionRef {
  std::string standard;   // "ETSI EN 303 645"
  std::string provision;  // "5.1-1"
};

struct Finding {
  std::string check_id;         // "credentials.default_password"
  std::string title;            // one line
  Severity severity = Severity::medium;
  std::string description;      // why it matters
  std::string remediation;
  std::vector<Evidence> evidence;
  std::string fingerprint;      // stable across runs: check id + location + subject
  std::vector<ProvisionRef> provisions;  // filled by the comply stage from the catalogs
};

// What a check did, so verdicts can tell "checked and clean" from "nothing to check".
struct CheckRun {
  std::string check_id;
  std::uint64_t subjects = 0;   // how many things it examined (accounts, files…)
  // False when a clean result does not prove compliance (e.g. passwords that matched no known
  // default may still be shared by every unit).
  bool conclusive = true;
  std::vector<std::string> notes;
  int version = 1;              // the check's version (CheckInfo::version)
  std::string title, description;  // the check's own (CheckInfo), for rule metadata in reports
};

}  // namespace iotaudit
