#pragma once
// Every cap on work done for untrusted input lives here. Hitting one becomes a diagnostic and a
// finding in the report; it never silently ends a scan.
#include <cstdint>

namespace iotaudit {

struct Limits {
  unsigned max_depth = 12;                          // nested containers
  std::uint64_t max_nodes = 2'000'000;              // nodes in the whole tree
  std::uint64_t max_total_bytes = 16ULL << 30;      // bytes produced by all unpackers together
  std::uint64_t max_node_bytes = 2ULL << 30;        // bytes of one extracted file or stream
  std::uint64_t max_expansion_ratio = 250;          // output bytes per input byte of one container
  std::uint64_t ratio_floor_bytes = 64ULL << 20;    // ratio only enforced above this output size
  unsigned max_symlink_hops = 40;                   // when resolving links inside a filesystem
  unsigned max_carves_per_blob = 4096;              // signature hits validated per raw blob
  double max_seconds = 600;                         // wall-clock budget for unpacking
  double crack_seconds = 30;                        // budget for password cracking
};

}  // namespace iotaudit
