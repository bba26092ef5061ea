#pragma once
// unpack → identify/extract → check → comply, for one input.
#include <atomic>
#include <string>

#include "core/executor.hpp"
#include "core/limits.hpp"
#include "model/scan_result.hpp"
#include "unpack/engine.hpp"

namespace iotaudit::pipeline {

struct ScanOptions {
  Limits limits;
  unsigned jobs = 0;  // 0: hardware concurrency
};

// Builds the tree for a path: a directory is taken as an extracted root filesystem, anything else
// as an image file.
Result<std::unique_ptr<Tree>> load_input(const std::string& path, unpack::Engine& engine, InputInfo& info);

Result<ScanResult> scan(const std::string& path, const ScanOptions& opts, Executor& executor,
                        unpack::Engine& engine);

}  // namespace iotaudit::pipeline
