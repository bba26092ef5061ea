// Dependencies between components, as the dynamic linker would resolve them: an ELF file that
// carries component A and names a shared library (DT_NEEDED) that carries component B makes A
// depend on B. The library is looked up like ld.so does inside the image's root filesystem:
// DT_RPATH (when there is no DT_RUNPATH), DT_RUNPATH ($ORIGIN expanded), the directories of
// /etc/ld.so.conf, then the default directories; failing those, a library of that exact file name
// found once anywhere in the same filesystem (multiarch directories such as
// /usr/lib/arm-linux-gnueabihf). Symbolic links are followed inside the filesystem only.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "analyze/analyzer.hpp"
#include "formats/elf.hpp"
#include "formats/elf_header.hpp"
#include "formats/shell.hpp"

namespace iotaudit::analyze {

namespace {

constexpr std::size_t kMaxSearchDirs = 64;

std::vector<std::string> split_colon(std::string_view s, std::string_view origin) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size() && out.size() < kMaxSearchDirs) {
    std::size_t end = s.find(':', start);
    if (end == std::string_view::npos) end = s.size();
    std::string d(s.substr(start, end - start));
    for (std::string_view tok : {"$ORIGIN", "${ORIGIN}"})
      for (std::size_t at = d.find(tok); at != std::string::npos; at = d.find(tok, at + origin.size()))
        d.replace(at, tok.size(), origin);
    if (!d.empty()) out.push_back(std::move(d));
    start = end + 1;
  }
  return out;
}

// The directories /etc/ld.so.conf lists (include lines are followed one level, by exact path).
std::vector<std::string> ld_so_conf_dirs(const Tree& t, NodeId root) {
  std::vector<std::string> out;
  auto read_conf = [&](NodeId n, auto& self, int depth) -> void {
    if (n == kNoNode || t.at(n).type != NodeType::file || depth > 1) return;
    BlobPtr b = t.content(n);
    std::string_view text(reinterpret_cast<const char*>(b->view().data()), std::min<std::size_t>(b->view().size(), 64 << 10));
    formats::for_each_line(text, [&](std::string_view line, std::uint64_t) {
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      if (out.size() >= kMaxSearchDirs) return false;
      if (line.empty() || line.front() == '#') return true;
      if (line.starts_with("include")) {
        std::string_view rest = line.substr(7);
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
        if (rest.find('*') == std::string_view::npos) self(t.resolve(root, rest), self, depth + 1);
        return true;
      }
      std::size_t end = line.find_first_of(" \t=");
      std::string dir(line.substr(0, end));
      if (!dir.empty() && dir.front() == '/') out.push_back(std::move(dir));
      return true;
    });
  };
  read_conf(t.resolve(root, "/etc/ld.so.conf"), read_conf, 0);
  return out;
}

struct FsIndex {
  std::vector<std::string> conf_dirs;
  std::map<std::string, std::vector<NodeId>> by_name;  // file name -> regular files of that name
};

}  // namespace

void extract_dependencies(Context& ctx, Facts& facts) {
  const Tree& t = ctx.tree;
  if (facts.components.size() < 2) return;
  // File -> the components it carries.
  std::map<NodeId, std::vector<std::size_t>> owners;
  for (std::size_t i = 0; i < facts.components.size(); ++i)
    for (const auto& o : facts.components[i].occurrences)
      if (!o.path.empty() && o.node != kNoNode && t.at(o.node).type == NodeType::file) {
        auto& v = owners[o.node];
        if (std::find(v.begin(), v.end(), i) == v.end()) v.push_back(i);
      }
  std::map<NodeId, FsIndex> indexes;  // per root
  auto index_of = [&](NodeId root) -> FsIndex& {
    auto [it, fresh] = indexes.try_emplace(root);
    if (fresh) {
      it->second.conf_dirs = ld_so_conf_dirs(t, root);
      const std::string& rp = t.at(root).path;
      for (NodeId id = 0; id < t.size(); ++id) {
        const Node& n = t.at(id);
        if (n.type != NodeType::file || n.fs_root != t.at(root).fs_root) continue;
        if (!rp.empty() && rp != "/" && !n.path.starts_with(rp + "/")) continue;
        it->second.by_name[n.name].push_back(id);
      }
    }
    return it->second;
  };

  std::map<std::pair<std::size_t, std::size_t>, std::string> edges;  // (from, to) -> evidence
  for (const auto& [node, comps] : owners) {
    BlobPtr b = t.content(node);
    if (!formats::looks_like_elf(b->view())) continue;
    formats::ElfParseOptions opt;
    opt.exports = false;
    auto elf = formats::parse_elf(b->view(), opt);
    if (!elf || elf->needed.empty()) continue;
    NodeId root = rootfs_of(t, facts, node);
    if (root == kNoNode) root = t.at(node).fs_root;
    if (root == kNoNode) continue;
    FsIndex& idx = index_of(root);
    const std::string dev = device_path(t, facts, node);
    const std::string origin = dev.substr(0, dev.rfind('/'));
    std::vector<std::string> dirs;
    if (elf->runpath.empty())
      for (auto& d : split_colon(elf->rpath, origin)) dirs.push_back(std::move(d));
    for (auto& d : split_colon(elf->runpath, origin)) dirs.push_back(std::move(d));
    dirs.insert(dirs.end(), idx.conf_dirs.begin(), idx.conf_dirs.end());
    for (const char* d : {"/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib"}) dirs.emplace_back(d);
    for (const std::string& lib : elf->needed) {
      if (lib.empty() || lib.find('/') != std::string::npos) continue;
      NodeId target = kNoNode;
      std::string how;
      for (const auto& d : dirs) {
        NodeId n = t.resolve(root, d + "/" + lib);
        if (n != kNoNode && t.at(n).type == NodeType::file) {
          target = n;
          how = d + "/" + lib;
          break;
        }
      }
      if (target == kNoNode) {
        auto it = idx.by_name.find(lib);
        if (it != idx.by_name.end() && it->second.size() == 1) {
          target = it->second.front();
          how = device_path(t, facts, target);
        }
      }
      if (target == kNoNode) continue;
      auto ot = owners.find(target);
      if (ot == owners.end()) continue;
      for (std::size_t from : comps)
        for (std::size_t to : ot->second) {
          if (from == to || facts.components[from].id == facts.components[to].id) continue;
          edges.try_emplace({from, to}, fmt::format("{} needs {} ({})", dev, lib, how));
        }
    }
  }
  for (const auto& [e, why] : edges) {
    const Component& to = facts.components[e.second];
    facts.components[e.first].depends_on.push_back({to.id, to.version, why});
  }
}

}  // namespace iotaudit::analyze
