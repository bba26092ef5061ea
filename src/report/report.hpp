#pragma once
// Reporters read the model only. One file per format, one line in formats.def.
#include <ostream>
#include <string>
#include <vector>

#include "model/scan_result.hpp"

namespace iotaudit::report {

struct Options {
  bool color = false;
  std::string tool_version;
};

struct Format {
  std::string id;
  std::string description;
  void (*write)(const ScanResult&, const Options&, std::ostream&);
};

const std::vector<Format>& formats();

// Shared by the JSON report and `iotaudit match`.
std::string vuln_status_name(const VulnMatch& m);
const Format* find_format(std::string_view id);

inline constexpr const char* kReportSchema = "iotaudit-report/1";

}  // namespace iotaudit::report
