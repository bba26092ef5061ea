#include "unpack/unpacker.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

namespace iotaudit::unpack {

Budget::Budget(const Limits& limits)
    : limits_(limits),
      deadline_(std::chrono::steady_clock::now() +
                std::chrono::milliseconds(static_cast<long long>(limits.max_seconds * 1000))) {}

bool Budget::take_bytes(std::uint64_t n) {
  std::uint64_t prev = bytes_.fetch_add(n);
  return prev + n <= limits_.max_total_bytes;
}

bool Budget::take_node() { return nodes_.fetch_add(1) < limits_.max_nodes; }

bool Budget::expired() const { return std::chrono::steady_clock::now() > deadline_; }

std::string FsBuilder::sanitize(std::string_view stored, bool& hostile) {
  hostile = false;
  std::vector<std::string_view> out;
  for (auto c : split_path(stored)) {
    if (c == "..") {
      if (out.empty()) hostile = true;
      else out.pop_back();
      continue;
    }
    out.push_back(c);
  }
  std::string p;
  for (auto c : out) {
    p += '/';
    p += c;
  }
  return p.empty() ? "/" : p;
}

FsBuilder::FsBuilder(Tree& tree, Budget& budget, NodeId region, std::string unpacker)
    : tree_(tree), budget_(budget), region_(region), unpacker_(std::move(unpacker)) {
  Node root;
  root.parent = region_;
  root.type = NodeType::directory;
  root.path = "/";
  root.mode = S_IFDIR | 0755;
  root.origin = {region_, 0, 0, unpacker_};
  root_ = tree_.add(std::move(root));
  tree_.mut(root_).fs_root = root_;
  dirs_["/"] = root_;
}

NodeId FsBuilder::ensure_dir(const std::string& abs) {
  if (auto it = dirs_.find(abs); it != dirs_.end()) return it->second;
  auto slash = abs.rfind('/');
  std::string parent_path = slash == 0 ? "/" : abs.substr(0, slash);
  NodeId parent = ensure_dir(parent_path);
  if (parent == kNoNode) return kNoNode;
  if (!budget_.take_node()) return kNoNode;
  Node d;
  d.parent = parent;
  d.name = abs.substr(slash + 1);
  d.type = NodeType::directory;
  d.path = abs;
  d.fs_root = root_;
  d.mode = S_IFDIR | 0755;  // implied directory: the container did not store one
  d.origin = {region_, 0, 0, unpacker_};
  NodeId id = tree_.add(std::move(d));
  dirs_[abs] = id;
  return id;
}

NodeId FsBuilder::add(Entry e) {
  if (stopped_) return kNoNode;
  bool hostile = false;
  std::string abs = sanitize(e.path, hostile);
  if (abs == "/") {
    if (e.type == NodeType::directory) {  // metadata of the root itself
      Node& r = tree_.mut(root_);
      r.mode = e.mode;
      r.uid = e.uid;
      r.gid = e.gid;
      r.mtime = e.mtime;
      return root_;
    }
    tree_.add_diagnostic(region_, {Severity::medium, "path.empty",
                                   fmt::format("member with empty path at offset {:#x} skipped", e.offset)});
    return kNoNode;
  }
  if (e.type == NodeType::directory) {
    if (auto it = dirs_.find(abs); it != dirs_.end()) {
      Node& d = tree_.mut(it->second);
      d.mode = e.mode;
      d.uid = e.uid;
      d.gid = e.gid;
      d.mtime = e.mtime;
      return it->second;
    }
  }
  auto slash = abs.rfind('/');
  NodeId parent = ensure_dir(slash == 0 ? "/" : abs.substr(0, slash));
  if (parent == kNoNode || !budget_.take_node()) {
    stopped_ = true;
    tree_.add_diagnostic(region_, {Severity::high, "limit.nodes",
                                   fmt::format("node limit ({}) reached; remaining members not read",
                                               budget_.limits().max_nodes)});
    return kNoNode;
  }
  Node n;
  n.parent = parent;
  n.name = abs.substr(slash + 1);
  n.type = e.type;
  n.path = abs;
  n.fs_root = root_;
  n.mode = e.mode;
  n.uid = e.uid;
  n.gid = e.gid;
  n.mtime = e.mtime;
  n.size = e.size;
  n.rdev_major = e.rdev_major;
  n.rdev_minor = e.rdev_minor;
  n.link_target = std::move(e.link_target);
  n.origin = {region_, e.offset, 0, unpacker_};
  n.content = std::move(e.content);
  bytes_out_ += n.content ? n.content->view().size() : 0;
  if (hostile) {
    n.diagnostics.push_back({Severity::high, "path.traversal",
                             fmt::format("stored path '{}' climbs above the container root; kept as '{}'",
                                         e.path, abs)});
  }
  bool duplicate = seen_.contains(abs);
  NodeId id = tree_.add(std::move(n));
  if (duplicate) {
    // Later members win, as when the archive is extracted; the earlier one stays visible.
    tree_.add_diagnostic(id, {Severity::low, "path.duplicate",
                              fmt::format("'{}' occurs more than once in the container", abs)});
  }
  seen_[abs] = id;
  if (e.type == NodeType::directory) dirs_[abs] = id;
  return id;
}

}  // namespace iotaudit::unpack
