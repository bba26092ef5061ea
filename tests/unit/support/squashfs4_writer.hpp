#pragma once
// A small SquashFS 4.0 writer for tests, in either byte order: no Debian tool writes big-endian
// 4.0 images. Metadata blocks are stored uncompressed (length word bit 15), data and fragment
// blocks uncompressed (size word bit 24) or, optionally, zlib-compressed ("gzip" in squashfs
// terms). Layout as mksquashfs writes it (Linux fs/squashfs/squashfs_fs.h): superblock, data
// blocks and fragment blocks, inode table, directory table, fragment table (entries, then index),
// id table (ids, then index). The little-endian output is checked against unsquashfs and
// libsquashfs by the tests, which is what makes the big-endian output trustworthy.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace iotaudit::test::sq4 {

struct Entry {
  std::string path;  // absolute, parents first
  char kind = 'f';   // d dir, f file, l symlink, c char dev, b block dev, p fifo, s socket, h hard link
  std::uint32_t mode = 0644;
  std::uint32_t uid = 0, gid = 0;
  std::uint32_t mtime = 1200000000;
  std::string data;          // file content, symlink target, or (h) the path of the first name
  std::uint64_t zeros = 0;   // files: this many zero bytes come before `data` (sparse when allowed)
  std::uint32_t major = 0, minor = 0;
};

struct Options {
  bool big_endian = false;
  bool compress_data = false;  // zlib data and fragment blocks (stored when that does not help)
  bool fragments = true;       // file tails packed into fragment blocks
  bool sparse = true;          // all-zero full blocks written as holes (size 0)
  bool extended = false;       // extended inodes (types 8-14) for everything
  std::uint32_t block_size = 4096;
  std::uint32_t mkfs_time = 1300000000;
  std::uint32_t root_mode = 0755, root_uid = 0, root_gid = 0, root_mtime = 1250000000;
};

class Writer {
 public:
  explicit Writer(Options o) : o_(o) {}

  struct Layout {
    std::uint64_t inode_start = 0, dir_start = 0, fragment_table = 0, id_table = 0, id_block = 0,
                  bytes_used = 0;
  } layout;

  std::vector<std::uint8_t> build(const std::vector<Entry>& entries) {
    nodes_.clear();
    frag_entries_.clear();
    ids_.clear();
    Node root;
    root.e = Entry{"/", 'd', o_.root_mode, o_.root_uid, o_.root_gid, o_.root_mtime, "", 0, 0, 0};
    nodes_.push_back(root);
    id_index(o_.root_uid);
    id_index(o_.root_gid);
    for (const Entry& e : entries) add(e);

    std::vector<std::uint8_t> img(96, 0);
    write_data(img);

    // Inode numbers 1..N (hard links share theirs), then table positions: inode sizes do not
    // depend on the references they hold.
    std::uint32_t ino = 0;
    for (Node& n : nodes_)
      if (n.link_to < 0) n.inode_number = ++ino;
    inode_count_ = ino;
    std::uint64_t ipos = 0, dpos = 0;
    for (Node& n : nodes_) {
      if (n.link_to >= 0) continue;
      n.inode_pos = ipos;
      ipos += inode_size(n);
    }
    for (Node& n : nodes_) {
      if (n.e.kind != 'd') continue;
      n.listing_pos = dpos;
      n.listing_len = 0;
      for (const auto& g : groups(n)) {
        n.listing_len += 12;
        for (const auto& [name, c] : g) n.listing_len += 8 + name.size();
      }
      dpos += n.listing_len;
    }
    std::vector<std::uint8_t> itab, dtab;
    for (const Node& n : nodes_)
      if (n.link_to < 0) append(itab, inode_bytes(n));
    for (const Node& n : nodes_) {
      if (n.e.kind != 'd') continue;
      for (const auto& g : groups(n)) {
        const Node& first = target(g.front().second);
        put(dtab, g.size() - 1, 4);
        put(dtab, ref_block(first.inode_pos), 4);
        put(dtab, first.inode_number, 4);
        for (const auto& [name, c] : g) {
          const Node& t = target(c);
          put(dtab, t.inode_pos % 8192, 2);
          put(dtab, static_cast<std::uint16_t>(static_cast<std::int16_t>(t.inode_number - first.inode_number)), 2);
          put(dtab, basic_type(t.e.kind), 2);
          put(dtab, name.size() - 1, 2);
          dtab.insert(dtab.end(), name.begin(), name.end());
        }
      }
    }
    layout.inode_start = img.size();
    write_table(img, itab);
    layout.dir_start = img.size();
    write_table(img, dtab);

    // Fragment table: 16-byte entries in metadata blocks, then the index of those blocks.
    std::vector<std::uint8_t> fe;
    for (const auto& [start, word] : frag_entries_) {
      put(fe, start, 8);
      put(fe, word, 4);
      put(fe, 0, 4);
    }
    std::vector<std::uint64_t> frag_blocks = write_table(img, fe);
    layout.fragment_table = img.size();
    for (auto b : frag_blocks) put(img, b, 8);

    // Id table, likewise.
    std::vector<std::uint8_t> it;
    for (auto id : ids_) put(it, id, 4);
    std::vector<std::uint64_t> id_blocks = write_table(img, it);
    layout.id_block = id_blocks.empty() ? 0 : id_blocks.front();
    layout.id_table = img.size();
    for (auto b : id_blocks) put(img, b, 8);
    layout.bytes_used = img.size();

    // Superblock.
    std::vector<std::uint8_t> sb;
    const char* magic = o_.big_endian ? "sqsh" : "hsqs";
    sb.insert(sb.end(), magic, magic + 4);
    put(sb, ino, 4);
    put(sb, o_.mkfs_time, 4);
    put(sb, o_.block_size, 4);
    put(sb, frag_entries_.size(), 4);
    put(sb, 1, 2);  // gzip
    unsigned log = 0;
    while ((1u << log) < o_.block_size) ++log;
    put(sb, log, 2);
    // Uncompressed inodes (0x1), data (0x2 unless compressing), fragments (0x8); no xattrs (0x200).
    put(sb, 0x1 | 0x200 | (o_.compress_data ? 0 : 0x2 | 0x8) | (o_.fragments ? 0 : 0x10), 2);
    put(sb, ids_.size(), 2);
    put(sb, 4, 2);
    put(sb, 0, 2);
    put(sb, (ref_block(nodes_[0].inode_pos) << 16) | (nodes_[0].inode_pos % 8192), 8);
    put(sb, layout.bytes_used, 8);
    put(sb, layout.id_table, 8);
    put(sb, ~std::uint64_t{0}, 8);  // xattr id table: none
    put(sb, layout.inode_start, 8);
    put(sb, layout.dir_start, 8);
    put(sb, layout.fragment_table, 8);
    put(sb, ~std::uint64_t{0}, 8);  // export table: none
    std::copy(sb.begin(), sb.end(), img.begin());
    return img;
  }

  // Image offset of the first byte of the inode of `path` (inside an uncompressed block).
  std::uint64_t inode_offset(const std::string& path) const { return table_offset(layout.inode_start, target(find(path)).inode_pos); }
  // Image offset of the first directory header of the directory `path`.
  std::uint64_t listing_offset(const std::string& path) const {
    return table_offset(layout.dir_start, nodes_[static_cast<std::size_t>(find(path))].listing_pos);
  }
  // The inode reference (block << 16 | offset) of `path`.
  std::uint64_t inode_ref(const std::string& path) const {
    const Node& n = target(find(path));
    return (ref_block(n.inode_pos) << 16) | (n.inode_pos % 8192);
  }
  std::uint32_t inode_number(const std::string& path) const { return target(find(path)).inode_number; }
  std::uint64_t start_block(const std::string& path) const { return target(find(path)).start_block; }
  std::uint32_t block_word(const std::string& path, std::size_t i) const { return target(find(path)).block_words.at(i); }

 private:
  struct Node {
    Entry e;
    std::map<std::string, int> children;  // name -> node index, sorted as squashfs requires
    int parent = 0;
    int link_to = -1;  // hard links: the node holding the inode
    unsigned nlink = 1;
    std::uint32_t inode_number = 0;
    std::uint64_t inode_pos = 0;  // in the uncompressed inode table
    std::uint64_t listing_pos = 0, listing_len = 0;
    std::uint64_t start_block = 0;
    std::vector<std::uint32_t> block_words;
    std::uint32_t fragment = 0xFFFFFFFFu, frag_offset = 0;
  };

  void put(std::vector<std::uint8_t>& out, std::uint64_t v, int n) const {
    for (int i = 0; i < n; ++i) {
      int shift = o_.big_endian ? 8 * (n - 1 - i) : 8 * i;
      out.push_back(static_cast<std::uint8_t>(v >> shift));
    }
  }
  static void append(std::vector<std::uint8_t>& out, const std::vector<std::uint8_t>& v) {
    out.insert(out.end(), v.begin(), v.end());
  }

  void add(const Entry& e) {
    auto slash = e.path.rfind('/');
    if (slash == std::string::npos) throw std::runtime_error("writer: relative path " + e.path);
    Node n;
    n.e = e;
    n.parent = find(e.path.substr(0, slash == 0 ? 1 : slash));
    if (e.kind == 'h') {
      n.link_to = find(e.data);
      ++nodes_[static_cast<std::size_t>(n.link_to)].nlink;
    }
    nodes_.push_back(n);
    nodes_[static_cast<std::size_t>(n.parent)].children[e.path.substr(slash + 1)] = static_cast<int>(nodes_.size() - 1);
    if (e.kind == 'd') ++nodes_[static_cast<std::size_t>(n.parent)].nlink;
    id_index(e.uid);
    id_index(e.gid);
  }
  int find(const std::string& path) const {
    if (path == "/" || path.empty()) return 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].e.path == path) return static_cast<int>(i);
    throw std::runtime_error("writer: no entry " + path);
  }
  const Node& target(int i) const {
    const Node& n = nodes_[static_cast<std::size_t>(i)];
    return n.link_to >= 0 ? nodes_[static_cast<std::size_t>(n.link_to)] : n;
  }
  std::uint32_t id_index(std::uint32_t v) {
    for (std::size_t i = 0; i < ids_.size(); ++i)
      if (ids_[i] == v) return static_cast<std::uint32_t>(i);
    ids_.push_back(v);
    return static_cast<std::uint32_t>(ids_.size() - 1);
  }

  std::vector<std::uint8_t> zlib(const std::vector<std::uint8_t>& in) const {
    uLongf n = compressBound(static_cast<uLong>(in.size()));
    std::vector<std::uint8_t> out(n);
    if (compress2(out.data(), &n, in.data(), static_cast<uLong>(in.size()), 9) != Z_OK)
      throw std::runtime_error("writer: compress2");
    out.resize(n);
    return out;
  }
  // Appends a data or fragment block; returns its size word.
  std::uint32_t write_block(std::vector<std::uint8_t>& img, const std::vector<std::uint8_t>& chunk) const {
    if (o_.compress_data) {
      auto c = zlib(chunk);
      if (c.size() < chunk.size()) {
        append(img, c);
        return static_cast<std::uint32_t>(c.size());
      }
    }
    append(img, chunk);
    return static_cast<std::uint32_t>(chunk.size()) | (1u << 24);
  }

  void write_data(std::vector<std::uint8_t>& img) {
    std::vector<std::uint8_t> frag;
    auto flush = [&] {
      if (frag.empty()) return;
      std::uint64_t at = img.size();
      frag_entries_.emplace_back(at, write_block(img, frag));
      frag.clear();
    };
    const std::uint64_t bs = o_.block_size;
    for (Node& n : nodes_) {
      if (n.e.kind != 'f') continue;
      const std::uint64_t size = n.e.zeros + n.e.data.size();
      auto byte_at = [&](std::uint64_t i) -> std::uint8_t {
        return i < n.e.zeros ? 0 : static_cast<std::uint8_t>(n.e.data[static_cast<std::size_t>(i - n.e.zeros)]);
      };
      n.start_block = img.size();
      const bool tail_frag = o_.fragments && size % bs != 0;
      const std::uint64_t blocks = tail_frag ? size / bs : (size + bs - 1) / bs;
      for (std::uint64_t b = 0; b < blocks; ++b) {
        const std::uint64_t lo = b * bs, hi = std::min(size, lo + bs);
        if (o_.sparse && hi - lo == bs && hi <= n.e.zeros) {
          n.block_words.push_back(0);
          continue;
        }
        std::vector<std::uint8_t> chunk;
        for (std::uint64_t i = lo; i < hi; ++i) chunk.push_back(byte_at(i));
        if (o_.sparse && hi - lo == bs && std::all_of(chunk.begin(), chunk.end(), [](auto c) { return c == 0; })) {
          n.block_words.push_back(0);
          continue;
        }
        n.block_words.push_back(write_block(img, chunk));
      }
      if (tail_frag) {
        const std::uint64_t tail = size - blocks * bs;
        if (frag.size() + tail > bs) flush();
        n.fragment = static_cast<std::uint32_t>(frag_entries_.size());
        n.frag_offset = static_cast<std::uint32_t>(frag.size());
        for (std::uint64_t i = blocks * bs; i < size; ++i) frag.push_back(byte_at(i));
      }
    }
    flush();
  }

  // Directory entries under one header share the metadata block of their inodes and an inode
  // number base they differ from by at most 32767; at most 256 per header.
  std::vector<std::vector<std::pair<std::string, int>>> groups(const Node& n) const {
    std::vector<std::vector<std::pair<std::string, int>>> g;
    for (const auto& [name, c] : n.children) {
      if (g.empty() || g.back().size() == 256 ||
          ref_block(target(g.back().front().second).inode_pos) != ref_block(target(c).inode_pos) ||
          std::abs(static_cast<long>(target(c).inode_number) -
                   static_cast<long>(target(g.back().front().second).inode_number)) > 32767)
        g.emplace_back();
      g.back().emplace_back(name, c);
    }
    return g;
  }

  static unsigned basic_type(char kind) {
    switch (kind) {
      case 'd': return 1;
      case 'f': return 2;
      case 'l': return 3;
      case 'b': return 4;
      case 'c': return 5;
      case 'p': return 6;
      default: return 7;
    }
  }
  // Files use the extended inode when they need it (several names, holes) or when asked.
  bool extended(const Node& n) const {
    if (o_.extended) return true;
    if (n.e.kind != 'f') return false;
    return n.nlink > 1 || std::count(n.block_words.begin(), n.block_words.end(), 0u) > 0;
  }
  std::uint64_t inode_size(const Node& n) const {
    const bool x = extended(n);
    switch (n.e.kind) {
      case 'd': return x ? 40 : 32;
      case 'f': return (x ? 56 : 32) + 4 * n.block_words.size();
      case 'l': return 24 + n.e.data.size() + (x ? 4 : 0);
      case 'b': case 'c': return x ? 28 : 24;
      default: return x ? 24 : 20;
    }
  }
  // Offset (inside its table) of the uncompressed metadata block holding position p.
  static std::uint64_t ref_block(std::uint64_t p) { return p / 8192 * (8192 + 2); }
  static std::uint64_t table_offset(std::uint64_t start, std::uint64_t p) { return start + ref_block(p) + 2 + p % 8192; }

  // Writes `t` as uncompressed metadata blocks; returns the image offset of each block.
  // An empty table is no block at all.
  std::vector<std::uint64_t> write_table(std::vector<std::uint8_t>& img, const std::vector<std::uint8_t>& t) const {
    std::vector<std::uint64_t> at;
    for (std::size_t pos = 0; pos < t.size(); pos += 8192) {
      const std::size_t n = std::min<std::size_t>(8192, t.size() - pos);
      at.push_back(img.size());
      put(img, 0x8000u | n, 2);
      img.insert(img.end(), t.begin() + static_cast<std::ptrdiff_t>(pos),
                 t.begin() + static_cast<std::ptrdiff_t>(pos + n));
    }
    return at;
  }

  std::vector<std::uint8_t> inode_bytes(const Node& n) const {
    std::vector<std::uint8_t> r;
    const bool x = extended(n);
    const unsigned type = basic_type(n.e.kind) + (x ? 7 : 0);
    std::vector<std::uint32_t> ids = ids_;
    auto idx = [&](std::uint32_t v) {
      return static_cast<std::uint32_t>(std::find(ids.begin(), ids.end(), v) - ids.begin());
    };
    put(r, type, 2);
    put(r, n.e.mode & 07777, 2);
    put(r, idx(n.e.uid), 2);
    put(r, idx(n.e.gid), 2);
    put(r, n.e.mtime, 4);
    put(r, n.inode_number, 4);
    const std::uint32_t parent = n.inode_number == 1 ? inode_count_ + 1
                                                     : target(n.parent).inode_number;
    const std::uint32_t rdev = (n.e.minor & 0xffu) | (n.e.major << 8) | ((n.e.minor & ~0xffu) << 12);
    switch (n.e.kind) {
      case 'd':
        if (x) {
          put(r, n.nlink + 1, 4);
          put(r, n.listing_len + 3, 4);
          put(r, ref_block(n.listing_pos), 4);
          put(r, parent, 4);
          put(r, 0, 2);  // no directory index
          put(r, n.listing_pos % 8192, 2);
          put(r, 0xFFFFFFFFu, 4);  // no xattr
        } else {
          put(r, ref_block(n.listing_pos), 4);
          put(r, n.nlink + 1, 4);
          put(r, n.listing_len + 3, 2);
          put(r, n.listing_pos % 8192, 2);
          put(r, parent, 4);
        }
        break;
      case 'f': {
        const std::uint64_t size = n.e.zeros + n.e.data.size();
        if (x) {
          std::uint64_t sparse = 0;
          for (auto w : n.block_words)
            if (w == 0) sparse += o_.block_size;
          put(r, n.start_block, 8);
          put(r, size, 8);
          put(r, sparse, 8);
          put(r, n.nlink, 4);
          put(r, n.fragment, 4);
          put(r, n.frag_offset, 4);
          put(r, 0xFFFFFFFFu, 4);
        } else {
          put(r, n.start_block, 4);
          put(r, n.fragment, 4);
          put(r, n.frag_offset, 4);
          put(r, size, 4);
        }
        for (auto w : n.block_words) put(r, w, 4);
        break;
      }
      case 'l':
        put(r, n.nlink, 4);
        put(r, n.e.data.size(), 4);
        r.insert(r.end(), n.e.data.begin(), n.e.data.end());
        if (x) put(r, 0xFFFFFFFFu, 4);
        break;
      case 'b': case 'c':
        put(r, n.nlink, 4);
        put(r, rdev, 4);
        if (x) put(r, 0xFFFFFFFFu, 4);
        break;
      default:
        put(r, n.nlink, 4);
        if (x) put(r, 0xFFFFFFFFu, 4);
        break;
    }
    return r;
  }

  Options o_;
  std::vector<Node> nodes_;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> frag_entries_;
  std::vector<std::uint32_t> ids_;
  std::uint32_t inode_count_ = 0;
};

}  // namespace iotaudit::test::sq4
