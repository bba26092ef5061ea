#include "unpack/engine.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <span>
#include <cmath>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "core/hash.hpp"
#include "formats/elf_header.hpp"

namespace iotaudit::unpack {
namespace {

struct Candidate {
  std::uint64_t offset;
  std::size_t unpacker;  // index in registry order
};

// Finds every signature hit of every unpacker in `view`.
// All magics of all unpackers, indexed by their first two bytes, so that carving is one pass over
// the blob whatever the number of signatures (one memmem pass per magic was the hot spot). A bit
// per two-byte key says whether any magic starts with it; the magics themselves sit in one array
// sorted by key. (A vector per key, 65,536 of them, cost a 1.5 MiB table built and faulted in by
// every run: up to 380 page faults, a quarter of a small image's extraction.)
struct MagicIndex {
  struct Entry {
    std::uint16_t key;
    std::size_t unpacker;
    const Magic* magic;
  };
  std::array<std::uint64_t, 65536 / 64> bits{};
  std::vector<Entry> entries;  // sorted by key, then registry order
  std::uint64_t max_offset = 0;  // the largest offset of a magic inside its structure

  MagicIndex() {
    const auto& reg = registry();
    for (std::size_t u = 0; u < reg.size(); ++u)
      for (const Magic& m : reg[u]->descriptor().magics) {
        if (m.bytes.size() < 2) continue;  // every magic has at least two bytes; see the test
        auto key = static_cast<std::uint16_t>(static_cast<std::uint8_t>(m.bytes[0]) |
                                              (static_cast<std::uint8_t>(m.bytes[1]) << 8));
        bits[key >> 6] |= std::uint64_t{1} << (key & 63);
        entries.push_back({key, u, &m});
        max_offset = std::max(max_offset, m.offset);
      }
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
  }

  // The magics starting with `key`.
  std::span<const Entry> bucket(std::uint16_t key) const {
    auto lo = std::lower_bound(entries.begin(), entries.end(), key,
                               [](const Entry& e, std::uint16_t k) { return e.key < k; });
    auto hi = lo;
    while (hi != entries.end() && hi->key == key) ++hi;
    return {lo, hi};
  }
};

const MagicIndex& magic_index() {
  static const MagicIndex index;
  return index;
}

// Signature hits whose structure starts in [from, to) (carving), or at offset 0 only (files).
// Magics sit at an offset inside their structure (ext's at 0x438, ISO 9660's at 0x8001), so the
// scan runs up to `to` plus the largest such offset; the caller scans a blob window by window and
// skips what a found container claims, so claimed bytes are never searched.
std::vector<Candidate> find_candidates(ByteView view, bool carve, std::uint64_t from = 0,
                                       std::uint64_t to = ~std::uint64_t{0}) {
  std::vector<Candidate> out;
  const auto& reg = registry();
  if (!carve) {
    for (std::size_t u = 0; u < reg.size(); ++u)
      for (const Magic& m : reg[u]->descriptor().magics)
        if (view.has_at(m.offset, m.bytes)) out.push_back({0, u});
  } else if (view.size() >= 2) {
    const MagicIndex& idx = magic_index();
    const std::uint8_t* p = view.data();
    const std::size_t n = view.size();
    to = std::min<std::uint64_t>(to, n);
    const std::uint64_t scan_end = std::min<std::uint64_t>(n - 1, to + idx.max_offset);
    for (std::size_t i = from; i < scan_end; ++i) {
      auto key = static_cast<std::uint16_t>(p[i] | (p[i + 1] << 8));
      if ((idx.bits[key >> 6] >> (key & 63) & 1) == 0) continue;
      for (const auto& e : idx.bucket(key)) {
        const std::string& m = e.magic->bytes;
        if (m.size() > n - i || std::memcmp(p + i, m.data(), m.size()) != 0) continue;
        if (i < e.magic->offset) continue;
        const std::uint64_t start = i - e.magic->offset;
        if (start >= from && start < to) out.push_back({start, e.unpacker});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.unpacker < b.unpacker;
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Candidate& a, const Candidate& b) {
                          return a.offset == b.offset && a.unpacker == b.unpacker;
                        }),
            out.end());
  return out;
}

// Accounts for every byte of a carved blob: the ranges between claimed regions become gaps.
// `base`: where the carved content starts inside the node (Node::content_at); gap offsets are
// reported from the node's first byte like the offsets of carved regions.
void record_gaps(Tree& tree, NodeId node, ByteView view, std::uint64_t base,
                 std::vector<std::pair<std::uint64_t, std::uint64_t>> claimed) {
  std::sort(claimed.begin(), claimed.end());
  std::vector<Gap> gaps;
  auto data_gap = [&](std::uint64_t a, std::uint64_t b) {
    if (b <= a) return;
    ByteView g = view.tail(a).head(b - a);
    std::array<std::uint64_t, 256> hist{};
    for (std::size_t i = 0; i < g.size(); ++i) ++hist[g.data()[i]];
    double h = 0;
    for (auto n : hist)
      if (n != 0) {
        double p = static_cast<double>(n) / static_cast<double>(g.size());
        h -= p * std::log2(p);
      }
    gaps.push_back(Gap{base + a, b - a, "", h});
  };
  // Splits a gap into fill runs (erased flash 0xFF, zero fill) and data.
  auto add_gap = [&](std::uint64_t a, std::uint64_t b) {
    constexpr std::uint64_t kMinRun = 4096;  // flash erase blocks and page alignment are at least this
    const std::uint8_t* p = view.data();
    std::uint64_t data_start = a, i = a;
    while (i < b) {
      std::uint8_t v = p[i];
      if (v != 0xFF && v != 0x00) {
        ++i;
        continue;
      }
      std::uint64_t j = i;
      while (j < b && p[j] == v) ++j;
      if (j - i >= kMinRun) {
        data_gap(data_start, i);
        gaps.push_back(Gap{base + i, j - i, v == 0xFF ? "0xff" : "0x00", 0});
        data_start = j;
      }
      i = j;
    }
    data_gap(data_start, b);
  };
  std::uint64_t pos = 0;
  for (const auto& [off, len] : claimed) {
    if (off > pos) add_gap(pos, std::min<std::uint64_t>(off, view.size()));
    pos = std::max(pos, off + len);
  }
  add_gap(pos, view.size());
  tree.mut(node).gaps = std::move(gaps);
}

// Is there, among `node` and its ancestors, a region of format `id` that starts at `addr`? Then a
// candidate at `addr` is that same container seen again through one of its own parts.
bool found_inside_itself(const Tree& tree, NodeId node, const std::string& id, const std::uint8_t* addr) {
  for (NodeId a = node; a != kNoNode; a = tree.at(a).parent) {
    const Node& n = tree.at(a);
    if (n.type == NodeType::region && n.raw_start == addr && n.format == id) return true;
  }
  return false;
}

bool is_archive_unpacker(const std::string& id) {
  return id == "tar" || id == "cpio" || id == "zip" || id == "iso9660" || id == "7z" || id == "ar";
}

}  // namespace

void Engine::process(Tree& tree, TaskGroup& group, NodeId node, unsigned depth, bool carve) {
  BlobPtr blob = tree.content(node);
  ByteView view = blob->view();
  if (view.empty()) return;
  // Offsets are reported from the node's first byte, also when its content starts later.
  const std::uint64_t base = tree.at(node).content_at;
  const auto& reg = registry();
  std::uint64_t cursor = 0;
  unsigned validated = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> taken;  // extents of regions found
  // Candidates come window by window from the cursor on: bytes a container claimed are skipped,
  // never searched (a 126 MB squashfs image was searched in full before its superblock was read).
  // Windows start small and double while nothing is claimed: most images have a container at
  // offset 0 that claims nearly everything (a 1 MiB first window searched a whole 1.1 MB squashfs
  // image before its superblock at 0 was read).
  constexpr std::uint64_t kFirstWindow = 64u << 10, kMaxWindow = 4u << 20;
  std::uint64_t win = kFirstWindow;
  std::vector<Candidate> window;
  std::size_t next = 0;
  std::uint64_t scanned = 0;
  auto more = [&]() -> bool {
    while (next == window.size()) {
      if (!carve && scanned > 0) return false;
      if (cursor > scanned) win = kFirstWindow;  // a container claimed past the last window
      std::uint64_t from = std::max(scanned, cursor);
      if (from >= view.size()) return false;
      std::uint64_t to = carve ? std::min<std::uint64_t>(view.size(), from + win) : view.size();
      window = find_candidates(view, carve, from, to);
      next = 0;
      scanned = to;
      win = std::min(win * 2, kMaxWindow);
    }
    return true;
  };
  while (more()) {
    const Candidate c = window[next++];
    if (c.offset < cursor) continue;
    if (budget_.expired()) {
      tree.add_diagnostic(node, {Severity::high, "limit.time", "time limit reached; blob not fully scanned"});
      return;
    }
    if (++validated > budget_.limits().max_carves_per_blob) {
      tree.add_diagnostic(node, {Severity::high, "limit.carves",
                                 fmt::format("more than {} signature candidates; rest of blob not scanned",
                                             budget_.limits().max_carves_per_blob)});
      return;
    }
    const Unpacker& u = *reg[c.unpacker];
    const Descriptor& d = u.descriptor();
    ByteView at = view.tail(c.offset);
    if (found_inside_itself(tree, node, d.id, at.data())) continue;
    auto probe = u.probe(at);
    if (!probe) continue;  // not a real instance: signature hit in unrelated data

    if (!budget_.take_node()) {
      tree.add_diagnostic(node, {Severity::high, "limit.nodes", "node limit reached; container not extracted"});
      return;
    }
    std::uint64_t claimed = probe->length ? std::min<std::uint64_t>(probe->length, at.size()) : at.size();
    Node r;
    r.parent = node;
    r.name = fmt::format("{}@{}", d.id, hex_u64(base + c.offset));
    r.type = NodeType::region;
    r.format = d.id;
    r.origin = {node, base + c.offset, probe->length, d.id};
    r.content = slice_blob(blob, c.offset, claimed);
    r.raw_start = at.data();
    r.size = claimed;
    NodeId region = tree.add(std::move(r));
    if (region == kNoNode) return;
    if (probe->unsupported) {
      tree.add_diagnostic(region, {Severity::medium, d.id + ".unsupported",
                                   fmt::format("{} found but not extracted: {}", d.id, *probe->unsupported)});
      cursor = c.offset + std::max<std::uint64_t>(probe->length, 1);
      if (probe->length > 0) taken.emplace_back(c.offset, probe->length);
      continue;
    }
    if (depth + 1 > budget_.limits().max_depth) {
      tree.add_diagnostic(region, {Severity::high, "limit.depth",
                                   fmt::format("nesting deeper than {}; not extracted", budget_.limits().max_depth)});
      cursor = c.offset + std::max<std::uint64_t>(probe->length, 1);
      if (probe->length > 0) taken.emplace_back(c.offset, probe->length);
      continue;
    }
    // Extracts the region and schedules what is inside it; returns the bytes it occupies.
    auto extract = [this, &tree, &group, &u, &d, region, depth, claimed,
                    known = probe->length]() -> std::uint64_t {
      Context ctx{tree, budget_, region, tree.at(region).content, &executor_};
      auto consumed = u.unpack(ctx);
      std::uint64_t length = known;
      if (!consumed) {
        tree.add_diagnostic(region, {Severity::medium, d.id + ".error",
                                     fmt::format("{}: {}", to_string(consumed.error().code), consumed.error().message)});
      } else if (*consumed > 0) {
        length = std::max(length, *consumed);
      }
      Node& rn = tree.mut(region);
      rn.origin.length = length;
      // Parts: regions an unpacker split its container into (TRX partitions, UBI volumes, FIT
      // images, multi-file uImage members). They are searched like any raw blob, and they replace
      // a search of the container's own bytes, which would find the same things twice.
      bool has_parts = false;
      for (NodeId child : rn.children) {
        if (tree.at(child).type != NodeType::region) continue;
        has_parts = true;
        group.run([this, &tree, &group, child, depth] { process(tree, group, child, depth + 1, true); });
      }
      if (d.filesystem) {
        rn.size = length ? length : claimed;
        if (!rn.children.empty() && tree.at(rn.children.front()).type == NodeType::directory)
          schedule_members(tree, group, rn.children.front(), depth + 1, d.id);
      } else {
        rn.size = rn.content ? rn.content->view().size() : 0;
        if (!has_parts)
          group.run([this, &tree, &group, region, depth] { process(tree, group, region, depth + 1, true); });
      }
      return length;
    };
    std::uint64_t length = probe->length;
    if (d.filesystem && probe->length > 0) {
      // The header states the extent: scanning can go on while another thread extracts it.
      group.run([extract] { (void)extract(); });
    } else {
      length = extract();
    }
    // A stream of unknown length that failed consumed nothing we can skip safely.
    cursor = c.offset + std::max<std::uint64_t>(length, 1);
    if (length > 0) taken.emplace_back(c.offset, length);
  }
  if (carve) record_gaps(tree, node, view, base, std::move(taken));
}

void Engine::schedule_members(Tree& tree, TaskGroup& group, NodeId fs_root, unsigned depth,
                              const std::string& unpacker) {
  std::vector<NodeId> stack{fs_root};
  while (!stack.empty()) {
    NodeId id = stack.back();
    stack.pop_back();
    const Node& n = tree.at(id);
    if (n.type == NodeType::directory) {
      for (NodeId c : n.children) stack.push_back(c);
      continue;
    }
    if (n.type != NodeType::file) continue;
    std::uint64_t size = n.content ? n.content->view().size() : n.size;
    if (size < 64) continue;
    // Files of archives (update bundles, tarballs) may be raw images with containers at an offset;
    // files of filesystems are only identified at offset 0, as binaries routinely embed magics.
    bool carve = false;
    if (is_archive_unpacker(unpacker) && size >= 65536 && n.content &&
        !formats::looks_like_elf(n.content->view()))
      carve = true;
    group.run([this, &tree, &group, id, depth, carve] { process(tree, group, id, depth, carve); });
  }
}

std::unique_ptr<Tree> Engine::unpack_blob(BlobPtr blob, std::string name) {
  auto tree = std::make_unique<Tree>();
  Node root;
  root.name = std::move(name);
  root.type = NodeType::image;
  root.size = blob->view().size();
  root.content = std::move(blob);
  root.mode = S_IFREG | 0644;
  NodeId id = tree->add(std::move(root));
  auto group = executor_.make_group();
  group->run([this, t = tree.get(), g = group.get(), id] { process(*t, *g, id, 0, true); });
  group->wait();
  tree->finalize();
  return tree;
}

Result<std::unique_ptr<Tree>> Engine::unpack_file(const std::string& path) {
  ASSIGN_OR_RETURN(BlobPtr blob, map_file(path, /*follow_links=*/true));
  auto tree = unpack_blob(std::move(blob), std::filesystem::path(path).filename().string());
  return tree;
}

Result<std::unique_ptr<Tree>> Engine::load_directory(const std::string& path) {
  // The directory the user names may be a link; everything below it is walked without following.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(Errc::invalid_argument, path + ": not a directory");
  auto tree = std::make_unique<Tree>();
  Node root;
  root.name = std::filesystem::path(path).filename().string();
  if (root.name.empty()) root.name = std::filesystem::path(path).parent_path().filename().string();
  root.type = NodeType::directory;
  root.path.assign(1, '/');  // not = "/": GCC 12 -Wrestrict false positive (PR 105329)
  root.mode = st.st_mode;
  root.uid = st.st_uid;
  root.gid = st.st_gid;
  root.mtime = st.st_mtime;
  root.origin.unpacker = "directory";
  NodeId root_id = tree->add(std::move(root));
  tree->mut(root_id).fs_root = root_id;

  // Depth-first walk with lstat only: links are recorded, never followed out of the directory.
  struct Item {
    std::string host, logical;
    NodeId node;
    unsigned depth;
  };
  std::vector<Item> stack{{path, "", root_id, 0}};
  while (!stack.empty()) {
    Item it = std::move(stack.back());
    stack.pop_back();
    DIR* dir = ::opendir(it.host.c_str());
    if (dir == nullptr) {
      tree->add_diagnostic(it.node, {Severity::medium, "directory.unreadable",
                                     fmt::format("cannot list: {}", std::strerror(errno))});
      continue;
    }
    std::vector<std::string> names;
    while (dirent* de = ::readdir(dir)) {
      std::string n = de->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      std::string host = it.host + "/" + n;
      struct stat s {};
      if (::lstat(host.c_str(), &s) != 0) continue;
      if (!budget_.take_node()) {
        tree->add_diagnostic(root_id, {Severity::high, "limit.nodes", "node limit reached; directory walk stopped"});
        stack.clear();
        break;
      }
      Node e;
      e.parent = it.node;
      e.name = n;
      e.path.reserve(it.logical.size() + 1 + n.size());  // appends: GCC 12 -Wrestrict false positive on a + "/" + b
      e.path.append(it.logical).append("/").append(n);
      e.fs_root = root_id;
      e.mode = s.st_mode;
      e.uid = s.st_uid;
      e.gid = s.st_gid;
      e.mtime = s.st_mtime;
      e.size = static_cast<std::uint64_t>(s.st_size);
      e.origin.unpacker = "directory";
      if (S_ISDIR(s.st_mode)) e.type = NodeType::directory;
      else if (S_ISLNK(s.st_mode)) {
        e.type = NodeType::symlink;
        std::string target(static_cast<std::size_t>(s.st_size) + 1, '\0');
        ssize_t len = ::readlink(host.c_str(), target.data(), target.size());
        e.link_target = len > 0 ? target.substr(0, static_cast<std::size_t>(len)) : "";
      } else if (S_ISREG(s.st_mode)) {
        e.type = NodeType::file;
        e.host_path = host;
      } else if (S_ISCHR(s.st_mode)) e.type = NodeType::char_device;
      else if (S_ISBLK(s.st_mode)) e.type = NodeType::block_device;
      else if (S_ISFIFO(s.st_mode)) e.type = NodeType::fifo;
      else e.type = NodeType::socket;
      NodeId id = tree->add(std::move(e));
      if (S_ISDIR(s.st_mode)) {
        if (it.depth + 1 > 256) {
          tree->add_diagnostic(id, {Severity::high, "directory.depth", "nesting deeper than 256; not descended"});
          continue;
        }
        stack.push_back({host, tree->at(id).path, id, it.depth + 1});
      }
    }
  }
  auto group = executor_.make_group();
  schedule_members(*tree, *group, root_id, 0, "directory");
  group->wait();
  tree->finalize();
  return tree;
}

}  // namespace iotaudit::unpack
