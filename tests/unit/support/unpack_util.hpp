#pragma once
// Runs the unpack engine on bytes built by a test and answers questions about the tree.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/executor.hpp"
#include "core/limits.hpp"
#include "model/tree.hpp"
#include "unpack/engine.hpp"

namespace iotaudit::test {

inline std::unique_ptr<Tree> unpack_bytes(std::vector<std::uint8_t> bytes, const Limits& limits = {},
                                          std::string name = "img") {
  auto ex = make_serial_executor();
  unpack::Engine engine(limits, *ex);
  return engine.unpack_blob(make_blob(std::move(bytes)), std::move(name));
}

inline std::vector<NodeId> regions_of(const Tree& t, NodeId node) {
  std::vector<NodeId> out;
  for (NodeId c : t.at(node).children)
    if (t.at(c).type == NodeType::region) out.push_back(c);
  return out;
}

inline std::vector<NodeId> all_regions(const Tree& t) {
  std::vector<NodeId> out;
  for (NodeId id = 0; id < t.size(); ++id)
    if (t.at(id).type == NodeType::region) out.push_back(id);
  return out;
}

// The filesystem root directory a region holds (kNoNode for streams).
inline NodeId fs_root_of(const Tree& t, NodeId region) {
  for (NodeId c : t.at(region).children)
    if (t.at(c).type == NodeType::directory && t.at(c).fs_root == c) return c;
  return kNoNode;
}

inline bool has_diag(const Tree& t, NodeId node, std::string_view code_prefix) {
  for (const auto& d : t.at(node).diagnostics)
    if (d.code.starts_with(code_prefix)) return true;
  return false;
}

inline bool any_diag(const Tree& t, std::string_view code_prefix) {
  for (NodeId id = 0; id < t.size(); ++id)
    if (has_diag(t, id, code_prefix)) return true;
  return false;
}

inline std::string diag_dump(const Tree& t) {
  std::string s;
  for (NodeId id = 0; id < t.size(); ++id)
    for (const auto& d : t.at(id).diagnostics) s += t.logical_path(id) + ": " + d.code + " " + d.message + "\n";
  return s;
}

inline std::string content_of(const Tree& t, NodeId id) {
  return std::string(t.content(id)->view().as_chars());
}

// Every node below `r` (parts of a container and what was found inside them).
inline std::vector<NodeId> descendants(const Tree& t, NodeId r) {
  std::vector<NodeId> out, stack(t.at(r).children.begin(), t.at(r).children.end());
  while (!stack.empty()) {
    NodeId c = stack.back();
    stack.pop_back();
    out.push_back(c);
    stack.insert(stack.end(), t.at(c).children.begin(), t.at(c).children.end());
  }
  return out;
}

}  // namespace iotaudit::test
