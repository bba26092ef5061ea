// The whole pipeline on raw bytes: recursive carving with every unpacker, path resolution inside
// the filesystems found, and analysis. Serial executor, so a crash reproduces exactly.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "analyze/analyzer.hpp"
#include "core/executor.hpp"
#include "fuzz_util.hpp"
#include "unpack/engine.hpp"

using namespace iotaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Limits limits = fuzz::small_limits();
  auto executor = make_serial_executor();
  unpack::Engine engine(limits, *executor);
  auto tree = engine.unpack_blob(make_blob(std::vector<std::uint8_t>(data, data + size)), "fuzz.bin");
  fuzz::walk_tree(*tree);

  static constexpr std::string_view kPaths[] = {
      "etc/passwd", "/etc/shadow", "/etc/../etc/./passwd", "../../../etc/passwd", "bin/sh", "/", ""};
  for (NodeId id = 0; id < tree->size(); ++id) {
    const Node& n = tree->at(id);
    if (n.fs_root != id) continue;  // filesystem roots only
    for (auto p : kPaths) {
      NodeId hit = tree->resolve(id, p);
      if (hit != kNoNode && hit >= tree->size()) __builtin_trap();
      (void)tree->resolve(id, p, false);
      std::string c = tree->canonical(id, id, p);
      if (c.empty() || c.front() != '/') __builtin_trap();
    }
  }
  // Link targets are the attacker-chosen paths: resolve each from its own directory.
  for (NodeId id = 0; id < tree->size(); ++id) {
    const Node& n = tree->at(id);
    if (n.fs_root == kNoNode || (n.type != NodeType::symlink && n.type != NodeType::hardlink)) continue;
    (void)tree->resolve(n.fs_root, n.link_target);
    std::string c = tree->canonical(n.fs_root, n.parent, n.link_target);
    if (c.empty() || c.front() != '/') __builtin_trap();
  }

  analyze::Context ctx{*tree, *executor, limits};
  auto result = analyze::analyze(ctx);
  for (const auto& f : result.findings)
    if (f.fingerprint.empty() || f.evidence.empty()) __builtin_trap();
  return 0;
}
