#pragma once
// Facts in extractors, judgments in checks. Each is a function with a descriptor, listed once in
// extractors.def / checks.def. Extractors run in list order (later ones may read earlier facts);
// checks read facts and the tree only, and return findings; they never write shared state.
#include <functional>
#include <string>
#include <vector>

#include "core/executor.hpp"
#include "core/limits.hpp"
#include "model/facts.hpp"
#include "model/finding.hpp"
#include "model/tree.hpp"

namespace iotaudit::analyze {

struct Context {
  const Tree& tree;
  Executor& executor;
  const Limits& limits;
  // Runs between extraction and the checks (the pipeline matches components against the
  // vulnerability database here, so checks see facts.vulns).
  std::function<void(Facts&)> after_extract = {};
};

struct ExtractorInfo {
  std::string id;
  std::string description;
  void (*run)(Context&, Facts&);
};

struct CheckOutput {
  std::vector<Finding> findings;
  CheckRun run;
};

struct CheckInfo {
  std::string id;
  std::string title;
  std::string description;
  std::vector<std::string> limitations;
  CheckOutput (*run)(Context&, const Facts&);
  // Bumped whenever what the check reports changes meaning (new rule, different severity), so a
  // stored report says which logic produced its findings.
  int version = 1;
};

const std::vector<ExtractorInfo>& extractors();
const std::vector<CheckInfo>& checks();
const CheckInfo* find_check(std::string_view id);

struct AnalysisResult {
  Facts facts;
  std::vector<Finding> findings;
  std::vector<CheckRun> runs;
};
AnalysisResult analyze(Context& ctx);

// Helpers shared by checks.
Evidence evidence_at(const Tree& tree, NodeId node);
std::string fingerprint(std::string_view check_id, std::string_view where, std::string_view subject);
// The root filesystem (facts.rootfs) holding `node`, or kNoNode; and the node's path as the device
// sees it (a root filesystem kept under "/rootfs" in an archive gives "/etc/shadow", not
// "/rootfs/etc/shadow"). Nodes outside every root filesystem keep their container path.
NodeId rootfs_of(const Tree& tree, const Facts& facts, NodeId node);
std::string device_path(const Tree& tree, const Facts& facts, NodeId node);
// evidence_at with the device path.
Evidence evidence_in(const Tree& tree, const Facts& facts, NodeId node);
// Regular files classified text or script, no larger than max_size, in logical-path order.
std::vector<NodeId> text_files(const Tree& tree, const Facts& facts, std::uint64_t max_size);
// Keeps the first `keep` characters and replaces the rest, so a reviewer can recognise a secret
// without the report leaking it.
std::string censor(std::string_view secret, std::size_t keep = 4);

}  // namespace iotaudit::analyze
