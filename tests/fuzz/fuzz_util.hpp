#pragma once
// Shared by the fuzz targets: small limits, so one input cannot exhaust the fuzzer's memory or
// time budget, and a driver that runs one unpacker the way the engine does.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/bytes.hpp"
#include "core/executor.hpp"
#include "core/limits.hpp"
#include "model/tree.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::fuzz {

// Well under libFuzzer's 10 s timeout even on a loaded machine: a 21-byte lzma stream that expands
// to the 64 MiB per-node limit took 1.4 s under ASan, and 10 s when starved of CPU, so the time
// limit met the timeout instead of cutting the work (inputs kept in tests/fuzz/crashes/). At
// 16 MiB the lzma target still managed only 25 inputs a second (random bytes are easily a valid
// lzma-alone header, and decoding garbage under ASan runs at ~13 MB/s), hence 4 MiB.
inline Limits small_limits() {
  Limits l;
  l.max_node_bytes = 4ULL << 20;
  l.max_total_bytes = 16ULL << 20;
  l.max_nodes = 100'000;
  l.max_seconds = 4;
  // Password cracking is deliberately slow per candidate; the fuzzer needs throughput.
  l.crack_seconds = 0.05;
  return l;
}

// Reads every node back (paths, content, diagnostics) so that anything an unpacker left
// half-initialised is touched.
inline void walk_tree(const Tree& tree) {
  std::size_t sum = 0;
  for (NodeId id = 0; id < tree.size(); ++id) {
    const Node& n = tree.at(id);
    sum += tree.logical_path(id).size();
    if (n.type == NodeType::file || n.type == NodeType::hardlink) {
      ByteView v = tree.content(id)->view();
      if (!v.empty()) sum += v.data()[0] + v.data()[v.size() - 1];
    }
    for (const Diagnostic& d : n.diagnostics) sum += d.code.size() + d.message.size();
  }
  // Keeps the reads from being optimised away.
  volatile std::size_t sink = sum;
  (void)sink;
}

// probe() then, when it accepts, unpack() into a fresh tree under a region node, as
// Engine::process does for a candidate at offset 0.
inline int run_unpacker(std::string_view id, const std::uint8_t* data, std::size_t size) {
  const unpack::Unpacker* u = unpack::find(id);
  if (u == nullptr) __builtin_trap();  // the registry must know every fuzzed format
  BlobPtr blob = make_blob(std::vector<std::uint8_t>(data, data + size));
  auto probe = u->probe(blob->view());
  if (!probe || probe->unsupported) return 0;

  Tree tree;
  unpack::Budget budget(small_limits());
  Node root;
  root.name = "fuzz.bin";
  root.type = NodeType::image;
  root.size = size;
  root.content = blob;
  NodeId root_id = tree.add(std::move(root));

  std::uint64_t claimed = probe->length ? std::min<std::uint64_t>(probe->length, size) : size;
  Node r;
  r.parent = root_id;
  r.name = fmt::format("{}@0x0", id);
  r.type = NodeType::region;
  r.format = std::string(id);
  r.origin = {root_id, 0, probe->length, std::string(id)};
  r.content = slice_blob(blob, 0, claimed);
  r.size = claimed;
  NodeId region = tree.add(std::move(r));

  auto executor = make_serial_executor();
  unpack::Context ctx{tree, budget, region, tree.at(region).content, executor.get()};
  auto consumed = u->unpack(ctx);
  // The engine skips the bytes an unpacker reports as used. More than it was given is only
  // legitimate as the extent its own header declared (a filesystem image cut short).
  if (consumed && *consumed > std::max<std::uint64_t>(claimed, probe->length)) __builtin_trap();
  tree.finalize();
  walk_tree(tree);
  return 0;
}

}  // namespace iotaudit::fuzz
