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
};

}  // namespace iotaudit
