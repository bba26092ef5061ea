#pragma once
// unpack → identify/extract → check → comply, for one input.
#include <atomic>
#include <string>
#include <vector>

#include "core/executor.hpp"
#include "core/limits.hpp"
#include "model/scan_result.hpp"
#include "unpack/engine.hpp"

namespace iotaudit::pipeline {

struct ScanOptions {
  Limits limits;
  unsigned jobs = 0;  // 0: hardware concurrency
  // Vulnerability database: empty path means the default location; without a file there the scan
  // says so and the vulnerability check is inconclusive.
  std::string db_path;
  bool use_db = true;
  std::vector<std::string> vex_files;  // CycloneDX VEX or OpenVEX documents
  double max_age_years = 5;            // components released longer ago are "outdated"
  std::string declaration_path;        // manufacturer declaration (JSON); empty: none
};

// Matches components against the vulnerability database and the lifecycle data, filling
// facts.vulns, facts.lifecycle and facts.vuln_info. Errors only for unreadable VEX files.
Status attach_vulnerabilities(Facts& facts, const ScanOptions& opts);

// Builds the tree for a path: a directory is taken as an extracted root filesystem, anything else
// as an image file.
Result<std::unique_ptr<Tree>> load_input(const std::string& path, unpack::Engine& engine, InputInfo& info);

Result<ScanResult> scan(const std::string& path, const ScanOptions& opts, Executor& executor,
                        unpack::Engine& engine);

}  // namespace iotaudit::pipeline
