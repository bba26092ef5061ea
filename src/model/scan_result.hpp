#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/component.hpp"
#include "model/declaration.hpp"
#include "model/facts.hpp"
#include "model/finding.hpp"
#include "model/tree.hpp"
#include "model/verdict.hpp"

namespace iotaudit {

struct InputInfo {
  std::string path;         // as given on the command line
  std::string name;         // base name
  std::string kind;         // "image" or "directory"
  std::uint64_t size = 0;
  std::string sha256;       // images only
};

struct ScanStats {
  double unpack_seconds = 0, analyze_seconds = 0, total_seconds = 0;
  std::uint64_t nodes = 0, files = 0, bytes_unpacked = 0;
  unsigned threads = 1;
};

struct ScanResult {
  InputInfo input;
  std::unique_ptr<Tree> tree;
  Facts facts;  // components are in facts.components
  std::vector<Finding> findings;
  std::vector<CheckRun> check_runs;
  std::vector<Verdict> verdicts;
  // The manufacturer declaration the verdicts used (its file; empty without one), and where it
  // contradicts what the firmware shows.
  std::string declaration_source;
  std::optional<Declaration> declaration;
  std::vector<std::string> declaration_contradictions;
  ScanStats stats;
};

}  // namespace iotaudit
