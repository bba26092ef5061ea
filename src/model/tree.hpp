#pragma once
// The extracted-file tree. Every node knows where its bytes came from (Origin): which container
// node, which byte extent inside it, which unpacker. Filesystem entries keep their POSIX metadata
// as data; nothing is materialised on the host unless `iotaudit extract` is asked to.
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit {

using NodeId = std::uint32_t;
inline constexpr NodeId kNoNode = 0xFFFFFFFFu;

enum class NodeType {
  image,      // the input file itself
  region,     // a carved or decoded byte range (a stream payload, a container found in a blob)
  directory,  // a directory inside a filesystem or archive; the container's root is one too
  file,
  symlink,
  hardlink,   // a second name for a regular file (content shared with link_target)
  char_device,
  block_device,
  fifo,
  socket,
};
const char* to_string(NodeType t);

enum class Severity { info, low, medium, high, critical };
const char* to_string(Severity s);

struct Diagnostic {
  Severity severity = Severity::medium;
  std::string code;     // stable id, e.g. "squashfs.truncated", "limit.depth"
  std::string message;  // one line for humans
};

// A byte range of a raw blob that no unpacker claimed: erased flash (0xFF), zero fill, or data of
// unknown kind, with its Shannon entropy (bits per byte: near 8 for compressed or encrypted data).
struct Gap {
  std::uint64_t offset = 0, length = 0;
  std::string fill;  // "0xff", "0x00" or "" (mixed)
  double entropy = 0;
};

struct Origin {
  NodeId container = kNoNode;  // the node whose bytes this node was decoded from
  std::uint64_t offset = 0;    // byte offset inside the container's bytes
  std::uint64_t length = 0;    // bytes of the container consumed (0 when unknown)
  std::string unpacker;        // id of the unpacker that produced it
};

struct Node {
  NodeId id = kNoNode;
  NodeId parent = kNoNode;     // tree parent (directory, or the container a region came from)
  std::string name;            // one path component, or "squashfs@0x20000" for a region
  NodeType type = NodeType::file;
  // For entries of a filesystem: the absolute path inside it ("/etc/shadow"); for regions: empty.
  std::string path;
  NodeId fs_root = kNoNode;    // root directory of the filesystem holding this entry
  std::uint32_t mode = 0;      // permission bits and file type bits as in st_mode
  std::uint32_t uid = 0, gid = 0;
  std::int64_t mtime = 0;
  std::uint64_t size = 0;
  std::uint32_t rdev_major = 0, rdev_minor = 0;
  std::string link_target;     // symlinks: target as stored; hardlinks: path of the first name
  Origin origin;
  BlobPtr content;             // regular files, images and regions
  // Where `content` starts inside the node's own bytes when it is a slice of them (a uImage's
  // payload after its 64-byte header, a TRX's partitions after its header): offsets of regions
  // carved from the content and of its gaps are given from the node's first byte. 0 for decoded
  // content, whose offsets are positions in the decoded stream.
  std::uint64_t content_at = 0;
  // Regions found by carving: the address of their first byte in memory. A container whose part
  // or payload starts with the container itself (a partition table entry covering its own
  // header, hostile or not) would otherwise be found again inside itself, down to the depth limit.
  const std::uint8_t* raw_start = nullptr;
  std::string host_path;       // directory input: file on the host, mapped on demand
  std::string format;          // regions and filesystem roots: detected format ("squashfs")
  std::vector<Diagnostic> diagnostics;
  std::vector<NodeId> children;
  std::vector<Gap> gaps;       // raw blobs that were carved: the ranges nothing claimed
};

class Tree {
 public:
  Tree() = default;
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;
  Tree(Tree&&) = delete;

  // Thread-safe; returns the new id. Children are appended in insertion order and sorted by
  // finalize() so that output does not depend on thread scheduling.
  NodeId add(Node node);
  void add_diagnostic(NodeId id, Diagnostic d);
  // `at`: where the content starts inside the node's own bytes (see Node::content_at).
  void set_content(NodeId id, BlobPtr blob, std::uint64_t at = 0);

  // Read access; only valid once unpacking has finished (or for nodes a task owns).
  [[nodiscard]] const Node& at(NodeId id) const { return *slot(id); }
  [[nodiscard]] Node& mut(NodeId id) { return *slot(id); }
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] NodeId root() const { return size() == 0 ? kNoNode : 0; }

  // Bytes of a node (maps host files of directory input on demand). Empty view on failure.
  [[nodiscard]] BlobPtr content(NodeId id) const;

  // Human-readable logical path: "fw.bin » squashfs@0x20000 » /etc/shadow".
  [[nodiscard]] std::string logical_path(NodeId id) const;
  // Looks a path up inside the filesystem rooted at fs_root, following symlinks (confined to the
  // filesystem, as a chroot would) up to max_hops. Returns kNoNode when it does not resolve.
  [[nodiscard]] NodeId resolve(NodeId fs_root, std::string_view path, bool follow_last = true,
                               unsigned max_hops = 40) const;
  // Canonical absolute path of `path` inside fs_root with every symlink resolved; components that
  // do not exist are appended lexically. Never climbs above the root.
  [[nodiscard]] std::string canonical(NodeId fs_root, NodeId from_dir, std::string_view path,
                                      unsigned max_hops = 40) const;
  [[nodiscard]] NodeId child(NodeId dir, std::string_view name) const;
  // Path of `node` as the device sees it when `root_dir` is mounted as "/" (a root filesystem kept
  // under a prefix such as "/rootfs" inside an archive). Falls back to the container path.
  [[nodiscard]] std::string path_within(NodeId root_dir, NodeId node) const;

  // Sorts children by name; call once after unpacking.
  void finalize();

 private:
  // Fixed chunk table: readers index nodes without a lock while other tasks append, since no
  // append ever moves an existing node or chunk.
  static constexpr std::size_t kChunkBits = 12;
  static constexpr std::size_t kChunkSize = std::size_t{1} << kChunkBits;
  static constexpr std::size_t kMaxChunks = 2048;  // 8M nodes; Limits::max_nodes is far lower
  Node* slot(NodeId id) const { return chunks_[id >> kChunkBits][id & (kChunkSize - 1)].get(); }

  mutable std::mutex mu_;
  std::size_t count_ = 0;
  std::array<std::unique_ptr<std::unique_ptr<Node>[]>, kMaxChunks> chunks_;
};

// Splits "/a//b/./c" into {"a","b","c"}; ".." is kept for callers that resolve it.
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace iotaudit
