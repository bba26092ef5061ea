#include "model/tree.hpp"

#include <algorithm>
#include <functional>

namespace iotaudit {

const char* to_string(NodeType t) {
  switch (t) {
    case NodeType::image: return "image";
    case NodeType::region: return "region";
    case NodeType::directory: return "directory";
    case NodeType::file: return "file";
    case NodeType::symlink: return "symlink";
    case NodeType::hardlink: return "hardlink";
    case NodeType::char_device: return "char_device";
    case NodeType::block_device: return "block_device";
    case NodeType::fifo: return "fifo";
    case NodeType::socket: return "socket";
  }
  return "file";
}

const char* to_string(Severity s) {
  switch (s) {
    case Severity::info: return "info";
    case Severity::low: return "low";
    case Severity::medium: return "medium";
    case Severity::high: return "high";
    case Severity::critical: return "critical";
  }
  return "info";
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (!c.empty() && c != ".") out.push_back(c);
    i = j + 1;
  }
  return out;
}

NodeId Tree::add(Node node) {
  std::lock_guard lock(mu_);
  if (count_ >= kChunkSize * kMaxChunks) return kNoNode;
  auto id = static_cast<NodeId>(count_);
  auto& chunk = chunks_[id >> kChunkBits];
  if (!chunk) chunk = std::make_unique<std::unique_ptr<Node>[]>(kChunkSize);
  node.id = id;
  NodeId parent = node.parent;
  chunk[id & (kChunkSize - 1)] = std::make_unique<Node>(std::move(node));
  ++count_;
  if (parent != kNoNode && parent < id) slot(parent)->children.push_back(id);
  return id;
}

void Tree::add_diagnostic(NodeId id, Diagnostic d) {
  std::lock_guard lock(mu_);
  slot(id)->diagnostics.push_back(std::move(d));
}

void Tree::set_content(NodeId id, BlobPtr blob, std::uint64_t at) {
  std::lock_guard lock(mu_);
  slot(id)->content = std::move(blob);
  slot(id)->content_at = at;
}

std::size_t Tree::size() const {
  std::lock_guard lock(mu_);
  return count_;
}

BlobPtr Tree::content(NodeId id) const {
  const Node& n = at(id);
  if (n.content) return n.content;
  if (n.type == NodeType::hardlink) {
    // Hardlinks share the bytes of the first name.
    if (n.fs_root != kNoNode) {
      NodeId t = resolve(n.fs_root, n.link_target, false);
      if (t != kNoNode && t != id && at(t).type == NodeType::file) return content(t);
    }
    return make_blob(std::string_view{});
  }
  if (n.content) return n.content;
  if (!n.host_path.empty()) {
    if (auto b = map_file(n.host_path)) return *b;
  }
  return make_blob(std::string_view{});
}

std::string Tree::logical_path(NodeId id) const {
  // Walk up: filesystem entries collapse into their path; regions and the image name themselves.
  std::vector<std::string> parts;
  NodeId cur = id;
  while (cur != kNoNode) {
    const Node& n = at(cur);
    if (n.fs_root != kNoNode && cur != n.fs_root) {
      parts.push_back(n.path);
      cur = n.fs_root;
      continue;
    }
    if (!n.name.empty()) parts.push_back(n.name);
    cur = n.parent;
  }
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!out.empty()) out += " \xC2\xBB ";
    out += *it;
  }
  return out;
}

NodeId Tree::child(NodeId dir, std::string_view name) const {
  const Node& d = at(dir);
  for (NodeId c : d.children)
    if (at(c).name == name) return c;
  return kNoNode;
}

std::string Tree::path_within(NodeId root_dir, NodeId node) const {
  const std::string& p = at(node).path;
  const std::string& base = at(root_dir).path;
  if (base.empty() || base == "/" || at(node).fs_root != at(root_dir).fs_root) return p;
  if (p.size() > base.size() && p.compare(0, base.size(), base) == 0 && p[base.size()] == '/')
    return p.substr(base.size());
  return p;
}

std::string Tree::canonical(NodeId fs_root, NodeId from_dir, std::string_view path,
                            unsigned max_hops) const {
  // Iterative resolution with an explicit stack of remaining components, as the kernel does
  // inside a chroot: ".." at the root stays at the root.
  std::vector<NodeId> stack;  // directories from root (exclusive) to current
  std::vector<std::string> lexical;  // components below the deepest existing node
  if (!path.empty() && path.front() != '/' && from_dir != kNoNode) {
    // Start from from_dir: rebuild its chain of directories.
    std::vector<NodeId> chain;
    for (NodeId c = from_dir; c != fs_root && c != kNoNode; c = at(c).parent) chain.push_back(c);
    stack.assign(chain.rbegin(), chain.rend());
  }
  std::vector<std::string> todo;
  for (auto c : split_path(path)) todo.emplace_back(c);
  std::reverse(todo.begin(), todo.end());
  unsigned hops = 0;
  while (!todo.empty()) {
    std::string comp = std::move(todo.back());
    todo.pop_back();
    if (!lexical.empty()) {
      if (comp == "..") lexical.pop_back();
      else lexical.push_back(comp);
      continue;
    }
    if (comp == "..") {
      if (!stack.empty()) stack.pop_back();
      continue;
    }
    NodeId cur = stack.empty() ? fs_root : stack.back();
    NodeId next = (at(cur).type == NodeType::directory) ? child(cur, comp) : kNoNode;
    if (next == kNoNode) {
      lexical.push_back(comp);
      continue;
    }
    if (at(next).type == NodeType::symlink) {
      if (++hops > max_hops) {
        lexical.push_back(comp);
        continue;
      }
      const std::string& target = at(next).link_target;
      if (!target.empty() && target.front() == '/') stack.clear();
      auto parts = split_path(target);
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.emplace_back(*it);
      continue;
    }
    stack.push_back(next);
  }
  std::string out;
  for (NodeId n : stack) out += "/" + at(n).name;
  for (auto& l : lexical) out += "/" + l;
  return out.empty() ? "/" : out;
}

NodeId Tree::resolve(NodeId fs_root, std::string_view path, bool follow_last,
                     unsigned max_hops) const {
  auto parts = split_path(path);
  NodeId cur = fs_root;
  std::vector<NodeId> stack;
  std::vector<std::string> todo;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.emplace_back(*it);
  unsigned hops = 0;
  while (!todo.empty()) {
    std::string comp = std::move(todo.back());
    todo.pop_back();
    if (comp == "..") {
      if (!stack.empty()) stack.pop_back();
      cur = stack.empty() ? fs_root : stack.back();
      continue;
    }
    if (at(cur).type != NodeType::directory) return kNoNode;
    NodeId next = child(cur, comp);
    if (next == kNoNode) return kNoNode;
    if (at(next).type == NodeType::symlink && (follow_last || !todo.empty())) {
      if (++hops > max_hops) return kNoNode;
      const std::string& target = at(next).link_target;
      if (!target.empty() && target.front() == '/') {
        stack.clear();
        cur = fs_root;
      }
      auto tp = split_path(target);
      for (auto it = tp.rbegin(); it != tp.rend(); ++it) todo.emplace_back(*it);
      continue;
    }
    stack.push_back(next);
    cur = next;
  }
  return cur;
}

void Tree::finalize() {
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < count_; ++i) {
    Node* n = slot(static_cast<NodeId>(i));
    std::sort(n->children.begin(), n->children.end(), [&](NodeId a, NodeId b) {
      const Node& x = *slot(a);
      const Node& y = *slot(b);
      if (x.origin.offset != y.origin.offset && x.type == NodeType::region &&
          y.type == NodeType::region)
        return x.origin.offset < y.origin.offset;
      return x.name < y.name;
    });
  }
}

}  // namespace iotaudit
