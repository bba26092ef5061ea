#pragma once
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
};

}  // namespace iotaudit
