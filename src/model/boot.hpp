#pragma once
// Bootloader environments: U-Boot environment partitions and the default environment compiled
// into a U-Boot binary. Facts only.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/tree.hpp"

namespace iotaudit {

struct BootEnv {
  NodeId node = kNoNode;        // the environment region, or the node holding the bootloader
  std::uint64_t offset = 0;     // where the variables start inside that node's bytes
  std::string origin;           // "environment partition" or "bootloader default environment"
  std::vector<std::pair<std::string, std::string>> vars;
};

}  // namespace iotaudit
