#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace iotaudit {

enum class VerdictStatus { pass, fail, not_applicable, inconclusive, needs_evidence };
const char* to_string(VerdictStatus v);

struct Verdict {
  std::string standard;     // "ETSI EN 303 645"
  std::string provision;    // "5.1-1"
  std::string title;
  std::string level;        // mandatory, recommended, conditional
  VerdictStatus status = VerdictStatus::inconclusive;
  std::string rationale;    // one line
  std::vector<std::string> checks;          // check ids that inform it
  std::vector<std::string> finding_fingerprints;
  std::string condition;                    // the condition of a conditional provision, in words
  std::vector<std::string> maps_to;         // "catalog-id:provision" it is derived from
  bool declared = false;                    // decided by the manufacturer's declaration
  std::vector<std::string> documents;       // declared references
  std::vector<std::string> notes;           // contradictions between declaration and firmware
  // Added fields (reporters read them when present; existing ones keep their meaning):
  std::string standard_id;                  // catalog id: "etsi-en-303-645", "uk-psti"
  std::string version;                      // the catalog's version: "V2.1.1 (2020-06)"
  std::vector<std::string> facts;           // observations behind the verdict, one line each
  // How a not_applicable verdict's condition was decided: "declared" or "firmware".
  std::string condition_decided_by;
  std::vector<std::string> renumbered_from;  // ids in the catalog's previous version
  std::string summary;                       // what the provision asks, paraphrased
};

// A standard the verdicts were given against (one catalog of data/standards/).
struct StandardInfo {
  std::string id;       // "etsi-en-303-645"
  std::string title;    // "ETSI EN 303 645"
  std::string version;  // "V2.1.1 (2020-06)"
  std::string owner;    // who publishes it: "ETSI"
  std::string previous;  // the catalog id of the version it renumbers, if any
  bool partial_mapping = false;
  std::size_t provisions = 0;
};

}  // namespace iotaudit
