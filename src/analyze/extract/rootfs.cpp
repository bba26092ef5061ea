// Finds directories that are root filesystems: the filesystem roots of containers and, for
// archives that keep the tree under a prefix ("rootfs/", "squashfs-root/"), the directory up to
// two levels down that holds etc/ next to bin/, sbin/ or lib/.
#include <algorithm>

#include "analyze/analyzer.hpp"

namespace iotaudit::analyze {

namespace {
bool looks_like_root(const Tree& t, NodeId dir) {
  NodeId etc = t.child(dir, "etc");
  if (etc == kNoNode) return false;
  return t.resolve(dir, "etc/passwd") != kNoNode || t.resolve(dir, "etc/shadow") != kNoNode ||
         t.child(dir, "bin") != kNoNode || t.child(dir, "sbin") != kNoNode ||
         t.child(dir, "lib") != kNoNode;
}
}  // namespace

void extract_rootfs(Context& ctx, Facts& facts) {
  const Tree& t = ctx.tree;
  for (NodeId id = 0; id < t.size(); ++id) {
    const Node& n = t.at(id);
    if (n.fs_root != id) continue;  // only filesystem roots
    std::vector<std::pair<NodeId, unsigned>> todo{{id, 0}};
    while (!todo.empty()) {
      auto [d, depth] = todo.back();
      todo.pop_back();
      if (looks_like_root(t, d)) {
        facts.rootfs.push_back(d);
        continue;
      }
      if (depth >= 2) continue;
      for (NodeId c : t.at(d).children)
        if (t.at(c).type == NodeType::directory) todo.push_back({c, depth + 1});
    }
  }
  // Node ids depend on thread scheduling; logical paths do not.
  std::sort(facts.rootfs.begin(), facts.rootfs.end(),
            [&](NodeId a, NodeId b) { return t.logical_path(a) < t.logical_path(b); });
}

}  // namespace iotaudit::analyze
