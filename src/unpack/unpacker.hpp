#pragma once
// The unpacker interface. An unpacker recognises one container or filesystem format, validates a
// candidate cheaply (probe: a dry-run parse, no output), and extracts it into the tree.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/executor.hpp"
#include "core/limits.hpp"
#include "model/tree.hpp"

namespace iotaudit::unpack {

struct Magic {
  std::uint64_t offset;  // where the magic sits inside the structure
  std::string bytes;
};

struct Descriptor {
  std::string id;            // "squashfs"
  std::string description;
  std::vector<Magic> magics;
  std::vector<std::string> references;
  std::vector<std::string> limitations;
  bool filesystem = false;   // produces a directory tree (vs. a single decoded stream)
};

struct Probe {
  std::uint64_t length = 0;  // bytes the structure claims to occupy; 0 when unknown until unpacked
  std::string detail;        // e.g. "v4.0 xz, 262144-byte blocks"
  std::optional<std::string> unsupported;  // known variant that cannot be extracted (why)
};

// Shared budget and counters for one unpack run. Thread-safe.
class Budget {
 public:
  explicit Budget(const Limits& limits);
  const Limits& limits() const { return limits_; }
  // Reserves bytes of output; false when the total cap is reached.
  bool take_bytes(std::uint64_t n);
  bool take_node();
  bool expired() const;
  std::uint64_t bytes() const { return bytes_.load(); }
  std::uint64_t nodes() const { return nodes_.load(); }

 private:
  Limits limits_;
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> nodes_{0};
  std::chrono::steady_clock::time_point deadline_;
};

// Builds a filesystem-like subtree under a region node: creates the root directory, intermediate
// directories and entries; sanitises every member path (no "..", no absolute escapes) and records
// a diagnostic for each hostile or duplicate path instead of dropping it silently.
class FsBuilder {
 public:
  FsBuilder(Tree& tree, Budget& budget, NodeId region, std::string unpacker);
  NodeId root() const { return root_; }

  struct Entry {
    std::string path;  // as stored in the container
    NodeType type = NodeType::file;
    std::uint32_t mode = 0, uid = 0, gid = 0;
    std::int64_t mtime = 0;
    std::uint64_t size = 0;
    std::uint32_t rdev_major = 0, rdev_minor = 0;
    std::string link_target;
    std::uint64_t offset = 0;  // offset of the member's header or data inside the container
    BlobPtr content;
  };
  // Returns the node id, or kNoNode if a limit refused it (a diagnostic is recorded).
  NodeId add(Entry e);
  void diagnose(NodeId node, Diagnostic d) { tree_.add_diagnostic(node, std::move(d)); }
  std::uint64_t bytes_out() const { return bytes_out_; }
  bool stopped() const { return stopped_; }

  // Sanitises a member path into an absolute path inside the container; sets `hostile` when the
  // stored path tried to climb out (".." above the root).
  static std::string sanitize(std::string_view stored, bool& hostile);

 private:
  NodeId ensure_dir(const std::string& abs_path);
  Tree& tree_;
  Budget& budget_;
  NodeId region_;
  NodeId root_;
  std::string unpacker_;
  std::map<std::string, NodeId> dirs_;
  std::map<std::string, NodeId> seen_;
  std::uint64_t bytes_out_ = 0;
  bool stopped_ = false;
};

// What an unpack call sees.
struct Context {
  Tree& tree;
  Budget& budget;
  NodeId region;   // the region node created for this container; children go under it
  BlobPtr data;    // the container's bytes, starting at its first byte
  Executor* executor = nullptr;  // for unpackers that decode independent members in parallel
};

class Unpacker {
 public:
  virtual ~Unpacker() = default;
  [[nodiscard]] virtual const Descriptor& descriptor() const = 0;
  // Validates a candidate at the start of `data`. Must be cheap and never allocate much.
  [[nodiscard]] virtual Result<Probe> probe(ByteView data) const = 0;
  // Extracts into ctx.region. Returns the number of container bytes consumed (0 when unknown).
  // Partial output is kept on failure; the error becomes a diagnostic on the region.
  [[nodiscard]] virtual Result<std::uint64_t> unpack(Context& ctx) const = 0;
};

const std::vector<std::unique_ptr<Unpacker>>& registry();
const Unpacker* find(std::string_view id);

}  // namespace iotaudit::unpack
