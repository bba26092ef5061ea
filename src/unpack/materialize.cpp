#include "unpack/materialize.hpp"
#include "unpack/unpacker.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace iotaudit::unpack {
namespace {

bool safe_component(std::string_view c) {
  return !c.empty() && c != "." && c != ".." && c.find('/') == std::string_view::npos &&
         c.find('\0') == std::string_view::npos && c.size() < 256;
}

// An owned directory descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

struct Writer {
  explicit Writer(const Tree& t) : tree(t) {}
  const Tree& tree;
  MaterializeStats stats;
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  std::vector<std::pair<std::string, std::uint32_t>> dir_modes;
  std::vector<std::string> errors;

  // Creates (or opens, if this run created it already) a directory under `parent`.
  Fd subdir(int parent, const std::string& name) {
    if (!safe_component(name)) return Fd();
    if (::mkdirat(parent, name.c_str(), 0700) != 0 && errno != EEXIST) return Fd();
    return Fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  }

  // File contents are written after the walk has created the file (O_EXCL, no links followed),
  // by several threads, a bounded number of open files at a time.
  struct PendingWrite {
    int fd;
    BlobPtr blob;  // keeps the bytes alive
    ByteView data;
    std::uint32_t mode;
    std::int64_t mtime;
    std::size_t record;  // index in `nodes`, -1 for none
    std::string rel;
    std::size_t written = 0;
    bool ok = true;
  };
  static constexpr std::size_t kMaxOpen = 128;
  static constexpr std::size_t kNoRecord = ~std::size_t{0};
  std::vector<PendingWrite> pending;
  std::size_t pending_bytes = 0;

  static void write_now(PendingWrite& w) {
    while (w.written < w.data.size()) {
      ssize_t n = ::write(w.fd, w.data.data() + w.written, w.data.size() - w.written);
      if (n <= 0) {
        w.ok = false;
        break;
      }
      w.written += static_cast<std::size_t>(n);
    }
    ::fchmod(w.fd, w.mode & 0777);
    timespec ts[2] = {{w.mtime, 0}, {w.mtime, 0}};
    ::futimens(w.fd, ts);
    if (::close(w.fd) != 0) w.ok = false;
  }

  void flush() {
    const unsigned threads = pending_bytes < (1u << 20) ? 1u : std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    if (threads <= 1) {
      for (auto& w : pending) write_now(w);
    } else {
      std::atomic<std::size_t> next{0};
      auto work = [&] {
        for (std::size_t i = next++; i < pending.size(); i = next++) write_now(pending[i]);
      };
      std::vector<std::thread> pool;
      for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
      work();
      for (auto& t : pool) t.join();
    }
    for (auto& w : pending) {
      stats.bytes += w.written;
      if (w.ok) {
        ++stats.files;
        continue;
      }
      errors.push_back(fmt::format("{}: cannot write", w.rel));
      if (w.record != kNoRecord) {
        nodes[w.record]["output"] = nullptr;
        nodes[w.record]["note"] = "content could not be written";
      }
    }
    pending.clear();
    pending_bytes = 0;
  }

  // Creates the file and queues its content; false when it cannot be created.
  bool write_file(int dir, const std::string& name, BlobPtr blob, std::uint32_t mode, std::int64_t mtime,
                  const std::string& rel, std::size_t record_index) {
    if (!safe_component(name)) return false;
    int fd = ::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    ByteView data = blob ? blob->view() : ByteView{};
    pending.push_back({fd, std::move(blob), data, mode, mtime, record_index, rel});
    pending_bytes += data.size();
    return true;
  }
  // Called once the queued file's record exists.
  void maybe_flush() {
    if (pending.size() >= kMaxOpen) flush();
  }

  // Relative symlink target, from the directory holding the link, to the canonical location of
  // its target inside the filesystem rooted at fs_root.
  std::optional<std::string> safe_link_target(const Node& link) {
    // A relative target that only descends is kept as stored: every link it may pass through
    // was itself written with a target that stays inside, so descending cannot leave the tree.
    if (!link.link_target.empty() && link.link_target.front() != '/') {
      bool descends = true;
      for (auto c : split_path(link.link_target)) descends = descends && safe_component(c);
      if (descends) return link.link_target;
    }
    std::string canon = tree.canonical(link.fs_root, link.parent, link.link_target);
    auto parent_parts = split_path(tree.at(link.parent).path);
    if (link.parent == link.fs_root) parent_parts.clear();
    std::string rel;
    for (std::size_t i = 0; i < parent_parts.size(); ++i) rel += "../";
    std::string tail = canon.size() > 1 ? canon.substr(1) : "";
    if (tail.empty()) rel = rel.empty() ? "." : rel.substr(0, rel.size() - 1);
    else rel += tail;
    for (auto c : split_path(tail))
      if (!safe_component(c)) return std::nullopt;
    return rel;
  }

  void record(NodeId id, const std::string& out_path, bool materialized, const std::string& note) {
    const Node& n = tree.at(id);
    nlohmann::ordered_json j;
    j["logical_path"] = tree.logical_path(id);
    if (n.fs_root != kNoNode) j["path"] = n.path;
    j["type"] = to_string(n.type);
    j["size"] = n.size;
    j["mode"] = fmt::format("{:04o}", n.mode & 07777);
    j["uid"] = n.uid;
    j["gid"] = n.gid;
    j["mtime"] = n.mtime;
    if (!n.link_target.empty()) j["link_target"] = n.link_target;
    if (n.type == NodeType::char_device || n.type == NodeType::block_device)
      j["rdev"] = fmt::format("{}:{}", n.rdev_major, n.rdev_minor);
    j["container"] = n.origin.container == kNoNode ? nullptr : nlohmann::ordered_json(tree.logical_path(n.origin.container));
    j["offset"] = n.origin.offset;
    j["unpacker"] = n.origin.unpacker;
    j["output"] = materialized ? nlohmann::ordered_json(out_path) : nlohmann::ordered_json(nullptr);
    if (!note.empty()) j["note"] = note;
    if (!n.diagnostics.empty()) {
      auto d = nlohmann::ordered_json::array();
      for (const auto& x : n.diagnostics) d.push_back({{"code", x.code}, {"message", x.message}});
      j["diagnostics"] = d;
    }
    nodes.push_back(std::move(j));
  }

  // Writes node `id` whose output location is `dir_fd`/`name` (relative path `rel`).
  void walk(NodeId id, int dir_fd, const std::string& rel_dir, const std::string& name) {
    const Node& n = tree.at(id);
    std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
    switch (n.type) {
      case NodeType::image:
      case NodeType::region: {
        // A container: its own directory holds what was found in it; a decoded stream's bytes are
        // written there as "decoded".
        Fd d = n.type == NodeType::image ? Fd(::dup(dir_fd)) : subdir(dir_fd, name);
        std::string here = n.type == NodeType::image ? rel_dir : rel;
        if (!d.ok()) {
          errors.push_back(fmt::format("{}: cannot create directory", rel));
          record(id, rel, false, "directory could not be created");
          return;
        }
        record(id, here, true, "");
        const Unpacker* u = n.type == NodeType::region ? find(n.format) : nullptr;
        bool has_parts = false;
        for (NodeId c : n.children) has_parts = has_parts || tree.at(c).type == NodeType::region;
        if (u != nullptr && !u->descriptor().filesystem && n.content && !has_parts)
          write_file(d.get(), "decoded", n.content, 0644, 0, here + "/decoded", kNoRecord);
        maybe_flush();
        for (NodeId c : n.children) {
          const Node& cn = tree.at(c);
          if (cn.type == NodeType::directory && cn.fs_root == c) walk_fs_root(c, d.get(), here);
          else walk(c, d.get(), here, cn.name);
        }
        return;
      }
      case NodeType::directory: {
        Fd d = subdir(dir_fd, name);
        if (!d.ok()) {
          errors.push_back(fmt::format("{}: cannot create directory", rel));
          record(id, rel, false, "directory could not be created");
          return;
        }
        ++stats.dirs;
        record(id, rel, true, "");
        dir_modes.emplace_back(rel, n.mode);
        for (NodeId c : n.children) walk(c, d.get(), rel, tree.at(c).name);
        return;
      }
      case NodeType::file:
      case NodeType::hardlink: {
        bool ok = write_file(dir_fd, name, tree.content(id), n.mode, n.mtime, rel, nodes.size());
        if (!ok) errors.push_back(fmt::format("{}: cannot write", rel));
        record(id, rel, ok, n.type == NodeType::hardlink ? "hard link written as a copy" : "");
        maybe_flush();
        // Containers found inside a file go next to it.
        if (!n.children.empty()) {
          Fd d = subdir(dir_fd, name + ".extracted");
          if (d.ok())
            for (NodeId c : n.children) walk(c, d.get(), rel + ".extracted", tree.at(c).name);
        }
        return;
      }
      case NodeType::symlink: {
        auto target = safe_link_target(n);
        bool ok = target && safe_component(name) && ::symlinkat(target->c_str(), dir_fd, name.c_str()) == 0;
        if (ok) ++stats.symlinks;
        else ++stats.skipped;
        record(id, rel, ok, ok && *target != n.link_target ? "target rewritten to " + *target : (ok ? "" : "not written"));
        return;
      }
      default:
        ++stats.skipped;
        record(id, rel, false, "special file listed, not created");
        return;
    }
  }

  void walk_fs_root(NodeId root, int dir_fd, const std::string& rel_dir) {
    const Node& n = tree.at(root);
    record(root, rel_dir, true, "");
    if (n.type == NodeType::directory && !rel_dir.empty()) dir_modes.emplace_back(rel_dir, n.mode);
    for (NodeId c : n.children) walk(c, dir_fd, rel_dir, tree.at(c).name);
  }
};

}  // namespace

Result<MaterializeStats> materialize(const Tree& tree, const InputInfo& input, const std::string& out_dir) {
  if (::mkdir(out_dir.c_str(), 0755) != 0 && errno != EEXIST)
    return fail(Errc::io, fmt::format("{}: {}", out_dir, std::strerror(errno)));
  Fd top(::open(out_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!top.ok()) return fail(Errc::io, fmt::format("{}: {}", out_dir, std::strerror(errno)));
  // Refuse a non-empty directory: never mix with, or overwrite, what is already there.
  {
    int pfd = ::dup(top.get());
    DIR* d = pfd >= 0 ? ::fdopendir(pfd) : nullptr;  // owns pfd from here on
    if (d == nullptr) {
      if (pfd >= 0) ::close(pfd);
      return fail(Errc::io, fmt::format("{}: cannot list", out_dir));
    }
    bool empty = true;
    while (dirent* e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) empty = false;
    ::closedir(d);
    if (!empty) return fail(Errc::invalid_argument, fmt::format("{}: directory is not empty", out_dir));
  }
  Writer w(tree);
  NodeId root = tree.root();
  if (root == kNoNode) return fail(Errc::internal, "empty tree");
  if (tree.at(root).type == NodeType::directory) {
    Fd d = w.subdir(top.get(), "rootfs");
    if (!d.ok()) return fail(Errc::io, "cannot create rootfs directory");
    w.walk_fs_root(root, d.get(), "rootfs");
  } else {
    w.walk(root, top.get(), "", tree.at(root).name);
  }
  w.flush();
  // Directory modes last, keeping owner rwx so the tree stays removable by the user.
  for (auto it = w.dir_modes.rbegin(); it != w.dir_modes.rend(); ++it)
    if (::fchmodat(top.get(), it->first.c_str(), (it->second & 0777) | 0700, 0) != 0)  // dirs we created: no links
      w.errors.push_back(fmt::format("{}: cannot set mode", it->first));

  nlohmann::ordered_json j;
  j["schema"] = "iotaudit-extract/1";
  j["input"] = {{"path", input.path}, {"name", input.name}, {"kind", input.kind}, {"sha256", input.sha256}};
  j["stats"] = {{"files", w.stats.files}, {"directories", w.stats.dirs}, {"symlinks", w.stats.symlinks},
                {"not_materialized", w.stats.skipped}, {"bytes", w.stats.bytes}};
  j["errors"] = w.errors;
  j["nodes"] = std::move(w.nodes);
  int fd = ::openat(top.get(), "extract.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return fail(Errc::io, "cannot write extract.json");
  std::string text = j.dump(2) + "\n";
  ssize_t n = ::write(fd, text.data(), text.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) return fail(Errc::io, "short write of extract.json");
  w.stats.errors = w.errors.size();
  return w.stats;
}

}  // namespace iotaudit::unpack
