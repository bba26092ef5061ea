#pragma once
// The unpack engine: turns an input (image file or extracted directory) into a Tree, recursively
// and in parallel, carving containers at any offset of raw blobs and validating every candidate
// with a dry-run parse before extracting it.
#include <memory>
#include <string>

#include "core/executor.hpp"
#include "core/limits.hpp"
#include "model/tree.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {

class Engine {
 public:
  Engine(const Limits& limits, Executor& executor) : budget_(limits), executor_(executor) {}

  // The input file becomes the root node (type image); containers are found inside it.
  Result<std::unique_ptr<Tree>> unpack_file(const std::string& path);
  // An already-extracted root filesystem: the directory becomes the root (a filesystem root).
  Result<std::unique_ptr<Tree>> load_directory(const std::string& path);
  // Unpacks an in-memory blob (fuzzing and tests).
  std::unique_ptr<Tree> unpack_blob(BlobPtr blob, std::string name);

  const Budget& budget() const { return budget_; }

 private:
  void process(Tree& tree, TaskGroup& group, NodeId node, unsigned depth, bool carve);
  void schedule_members(Tree& tree, TaskGroup& group, NodeId fs_root, unsigned depth,
                        const std::string& unpacker);

  Budget budget_;
  Executor& executor_;
};

}  // namespace iotaudit::unpack
