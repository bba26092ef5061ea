// SquashFS 2.x/3.x images are built here by hand (Debian's mksquashfs only writes 4.0): a small
// writer lays out superblock, data blocks, one fragment block, the inode and directory tables
// and the id tables, in either byte order, with zlib or one of the vendor LZMA block encodings.
#include <lzma.h>
#include <sys/stat.h>
#include <zlib.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <random>

#include "formats/squashfs_legacy.hpp"
#include "unit/support/unpack_util.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit {
namespace {

using namespace test;

// ---- block encoders -------------------------------------------------------------------------

enum class Enc { none, zlib, lzma_alone, lzma_raw, lzma_ddwrt, lzma_props5 };

std::vector<std::uint8_t> lzma_raw_encode(const std::vector<std::uint8_t>& in, unsigned lc, unsigned lp,
                                          unsigned pb, bool eopm) {
  lzma_options_lzma opt{};
  lzma_lzma_preset(&opt, 6);
  opt.lc = lc;
  opt.lp = lp;
  opt.pb = pb;
  opt.dict_size = 1u << 16;
  lzma_filter f[2] = {{eopm ? LZMA_FILTER_LZMA1 : LZMA_FILTER_LZMA1EXT, &opt}, {LZMA_VLI_UNKNOWN, nullptr}};
  if (!eopm) {
    opt.ext_flags = 0;
    opt.ext_size_low = static_cast<std::uint32_t>(in.size());
    opt.ext_size_high = 0;
  }
  std::vector<std::uint8_t> out(in.size() * 2 + 1024);
  std::size_t pos = 0;
  if (lzma_raw_buffer_encode(f, nullptr, in.data(), in.size(), out.data(), &pos, out.size()) != LZMA_OK)
    throw std::runtime_error("lzma encode");
  out.resize(pos);
  return out;
}

std::vector<std::uint8_t> encode(Enc e, const std::vector<std::uint8_t>& in) {
  std::vector<std::uint8_t> out;
  auto le = [&](std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  auto append = [&](const std::vector<std::uint8_t>& v) { out.insert(out.end(), v.begin(), v.end()); };
  switch (e) {
    case Enc::none: return in;
    case Enc::zlib: {
      uLongf n = compressBound(static_cast<uLong>(in.size()));
      out.resize(n);
      compress2(out.data(), &n, in.data(), static_cast<uLong>(in.size()), 9);
      out.resize(n);
      return out;
    }
    case Enc::lzma_alone:  // props, dict, 64-bit size, stream without end marker
      out.push_back((2 * 5 + 0) * 9 + 3);
      le(1u << 23, 4);
      le(in.size(), 8);
      append(lzma_raw_encode(in, 3, 0, 2, false));
      return out;
    case Enc::lzma_raw:
      return lzma_raw_encode(in, 3, 0, 2, true);
    case Enc::lzma_ddwrt:  // pb, lc, lp, fb; properties vary per block in real images
      out = {1, 2, 0, 0xff};
      append(lzma_raw_encode(in, 2, 0, 1, true));
      return out;
    case Enc::lzma_props5:  // props, dict; neither size nor end marker
      out.push_back((2 * 5 + 0) * 9 + 3);
      le(1u << 19, 4);
      append(lzma_raw_encode(in, 3, 0, 2, false));
      return out;
  }
  return out;
}

// ---- packed bit-field records ----------------------------------------------------------------

struct Rec {
  std::vector<std::uint8_t> b;
  Endian e;
  Rec(std::size_t n, Endian en) : b(n, 0), e(en) {}
  void put(unsigned pos, unsigned width, std::uint64_t v) {
    for (unsigned i = 0; i < width; ++i) {
      unsigned bit;
      std::uint64_t val;
      if (e == Endian::little) {
        bit = pos + i;
        val = (v >> i) & 1;
        if (val) b[bit / 8] |= static_cast<std::uint8_t>(1u << (bit % 8));
      } else {
        bit = pos + i;
        val = (v >> (width - 1 - i)) & 1;
        if (val) b[bit / 8] |= static_cast<std::uint8_t>(0x80u >> (bit % 8));
      }
    }
  }
};

void put_int(std::vector<std::uint8_t>& out, std::uint64_t v, int n, Endian e) {
  for (int i = 0; i < n; ++i) {
    int shift = e == Endian::little ? 8 * i : 8 * (n - 1 - i);
    out.push_back(static_cast<std::uint8_t>(v >> shift));
  }
}
void set_int(std::vector<std::uint8_t>& out, std::size_t at, std::uint64_t v, int n, Endian e) {
  for (int i = 0; i < n; ++i) {
    int shift = e == Endian::little ? 8 * i : 8 * (n - 1 - i);
    out[at + i] = static_cast<std::uint8_t>(v >> shift);
  }
}

// ---- the image writer ------------------------------------------------------------------------

struct TEntry {
  std::string path;
  char kind = 'f';  // d dir, f file, l symlink, c chardev, b blockdev, p fifo, s socket, h hard link
  std::uint32_t mode = 0644;
  std::uint32_t uid = 0, gid = 0;
  std::int32_t mtime = 1200000000;
  std::string data;  // file content, symlink target, or hard-link target path
  std::uint16_t rdev = 0;
  bool sparse = false;  // store all-zero full blocks as holes
};

struct Opts {
  int major = 3;
  Endian endian = Endian::little;
  std::string magic = "hsqs";
  Enc meta = Enc::zlib;  // Enc::none stores metadata uncompressed (may span several blocks)
  Enc data = Enc::zlib;
  std::uint32_t block_size = 4096;
  bool check_data = false;
  bool fragments = true;
  std::int32_t mkfs_time = 1300000000;
};

struct WNode {
  TEntry e;
  std::map<std::string, int> children;  // name -> node index (sorted, as squashfs requires)
  std::uint64_t inode_pos = 0;          // in the uncompressed inode table
  std::uint32_t inode_number = 0;
  std::uint64_t listing_pos = 0, listing_len = 0;
  int parent = 0;
  // file layout
  std::uint64_t start_block = 0;
  std::vector<std::uint32_t> block_words;
  std::uint32_t fragment = formats::kSqlNoFragment, frag_offset = 0;
  int link_to = -1;  // hard links
};

class Writer {
 public:
  explicit Writer(Opts o) : o_(std::move(o)) {}

  std::vector<std::uint8_t> build(const std::vector<TEntry>& entries) {
    nodes_.push_back(WNode{TEntry{"/", 'd', 0755, 0, 0, 1250000000, "", 0, false}, {}, 0, 0, 0, 0, 0, 0, {}, formats::kSqlNoFragment, 0, -1});
    for (const TEntry& e : entries) add(e);
    const Endian en = o_.endian;
    const bool v3 = o_.major == 3;
    const std::uint32_t super_size = v3 ? 119 : 63;
    std::vector<std::uint8_t> img(super_size, 0);

    // Data blocks, with file tails packed into one fragment block.
    std::vector<std::uint8_t> frag;
    for (WNode& n : nodes_) {
      if (n.e.kind != 'f') continue;
      const std::string& d = n.e.data;
      n.start_block = img.size();
      std::size_t full = d.size() / o_.block_size;
      bool use_frag = o_.fragments && o_.major >= 2 && d.size() % o_.block_size != 0;
      std::size_t blocks = use_frag ? full : (d.size() + o_.block_size - 1) / o_.block_size;
      for (std::size_t i = 0; i < blocks; ++i) {
        std::vector<std::uint8_t> chunk(d.begin() + i * o_.block_size,
                                        d.begin() + std::min(d.size(), (i + 1) * o_.block_size));
        if (n.e.sparse && std::all_of(chunk.begin(), chunk.end(), [](std::uint8_t c) { return c == 0; })) {
          n.block_words.push_back(0);
          continue;
        }
        auto c = encode(o_.data, chunk);
        bool stored = o_.data == Enc::none || c.size() >= chunk.size();
        if (stored) c = chunk;
        img.insert(img.end(), c.begin(), c.end());
        n.block_words.push_back(static_cast<std::uint32_t>(c.size()) | (stored ? (o_.major == 1 ? 0x8000u : 1u << 24) : 0));
      }
      if (use_frag) {
        std::size_t tail = d.size() - full * o_.block_size;
        if (frag.size() + tail > o_.block_size) flush_fragment(img, frag);
        n.fragment = static_cast<std::uint32_t>(frag_entries_.size());
        n.frag_offset = static_cast<std::uint32_t>(frag.size());
        frag.insert(frag.end(), d.begin() + static_cast<std::ptrdiff_t>(full * o_.block_size), d.end());
      }
    }
    flush_fragment(img, frag);

    // Inode and directory positions (sizes do not depend on the references they hold).
    std::uint64_t ipos = 0, dpos = 0;
    std::uint32_t ino = 1;
    for (WNode& n : nodes_) {
      if (n.link_to >= 0) continue;
      n.inode_number = ino++;
      n.inode_pos = ipos;
      ipos += inode_size(n);
    }
    for (WNode& n : nodes_) {
      if (n.e.kind != 'd') continue;
      n.listing_pos = dpos;
      n.listing_len = 0;
      for (const auto& g : groups(n)) {
        n.listing_len += v3 ? 9 : 4;
        for (const auto& [name, c] : g) n.listing_len += (v3 ? 5 : 3) + name.size();
      }
      dpos += n.listing_len;
    }
    // Inode table.
    std::vector<std::uint8_t> itab, dtab;
    for (WNode& n : nodes_)
      if (n.link_to < 0) {
        auto r = inode_bytes(n);
        itab.insert(itab.end(), r.begin(), r.end());
      }
    for (WNode& n : nodes_) {
      if (n.e.kind != 'd') continue;
      for (const auto& g : groups(n)) {
        const WNode& first = target(g.front().second);
        Rec h(v3 ? 9 : 4, en);
        h.put(0, 8, g.size() - 1);
        h.put(8, v3 ? 32 : 24, ref_block(first.inode_pos));
        if (v3) h.put(40, 32, first.inode_number);
        dtab.insert(dtab.end(), h.b.begin(), h.b.end());
        for (const auto& [name, c] : g) {
          const WNode& t = target(c);
          Rec e(v3 ? 5 : 3, en);
          e.put(0, 13, t.inode_pos % 8192);
          e.put(13, 3, type_code(t, /*dir_entry=*/true));
          e.put(16, 8, name.size() - 1);
          if (v3)
            e.put(24, 16, static_cast<std::uint16_t>(static_cast<std::int16_t>(t.inode_number - first.inode_number)));
          dtab.insert(dtab.end(), e.b.begin(), e.b.end());
          dtab.insert(dtab.end(), name.begin(), name.end());
        }
      }
    }
    std::uint64_t inode_start = img.size();
    write_table(img, itab);
    std::uint64_t dir_start = img.size();
    write_table(img, dtab);
    std::uint64_t frag_table = 0;
    auto fragments = static_cast<std::uint32_t>(frag_entries_.size());
    if (o_.major >= 2) {
      if (fragments) {
        std::vector<std::uint8_t> fe;
        for (auto [start, word] : frag_entries_) {
          put_int(fe, start, v3 ? 8 : 4, en);
          put_int(fe, word, 4, en);
          if (v3) put_int(fe, 0, 4, en);
        }
        if (fe.size() > 8192) throw std::runtime_error("writer: one fragment table block only");
        std::uint64_t block_at = img.size();
        write_table(img, fe);
        frag_table = img.size();
        put_int(img, block_at, v3 ? 8 : 4, en);
      } else {
        frag_table = img.size();
      }
    }
    std::uint64_t uid_start = img.size();
    for (auto u : uids_) put_int(img, u, 4, en);
    std::uint64_t guid_start = img.size();
    for (auto g : gids_) put_int(img, g, 4, en);
    if (gids_.empty()) guid_start = 0;
    std::uint64_t bytes_used = img.size();

    // Superblock.
    std::copy(o_.magic.begin(), o_.magic.end(), img.begin());
    set_int(img, 4, ino - 1, 4, en);
    set_int(img, 28, o_.major, 2, en);
    set_int(img, 30, 0, 2, en);
    set_int(img, 32, o_.major == 1 ? o_.block_size : 0, 2, en);
    unsigned log = 0;
    while ((1u << log) < o_.block_size) ++log;
    set_int(img, 34, log, 2, en);
    img[36] = static_cast<std::uint8_t>((o_.meta == Enc::none ? 1 : 0) | (o_.check_data ? 4 : 0));
    img[37] = static_cast<std::uint8_t>(uids_.size());
    img[38] = static_cast<std::uint8_t>(gids_.size());
    set_int(img, 39, static_cast<std::uint32_t>(o_.mkfs_time), 4, en);
    set_int(img, 43, (ref_block(0) << 16) | nodes_[0].inode_pos, 8, en);
    set_int(img, 51, o_.block_size, 4, en);
    set_int(img, 55, fragments, 4, en);
    if (v3) {
      set_int(img, 63, bytes_used, 8, en);
      set_int(img, 71, uid_start, 8, en);
      set_int(img, 79, guid_start, 8, en);
      set_int(img, 87, inode_start, 8, en);
      set_int(img, 95, dir_start, 8, en);
      set_int(img, 103, frag_table, 8, en);
      set_int(img, 111, ~std::uint64_t{0}, 8, en);
    } else {
      set_int(img, 8, bytes_used, 4, en);
      set_int(img, 12, uid_start, 4, en);
      set_int(img, 16, guid_start, 4, en);
      set_int(img, 20, inode_start, 4, en);
      set_int(img, 24, dir_start, 4, en);
      set_int(img, 59, frag_table, 4, en);
    }
    layout = {inode_start, dir_start, frag_table, uid_start, bytes_used};
    return img;
  }

  // Uncompressed inode-table position of the inode at `path`.
  std::uint64_t inode_pos(const std::string& path) { return nodes_[static_cast<std::size_t>(find(path))].inode_pos; }

  struct Layout {
    std::uint64_t inode_start, dir_start, frag_table, uid_start, bytes_used;
  } layout{};

 private:
  void flush_fragment(std::vector<std::uint8_t>& img, std::vector<std::uint8_t>& frag) {
    if (frag.empty()) return;
    auto c = encode(o_.data, frag);
    bool stored = o_.data == Enc::none;
    frag_entries_.emplace_back(img.size(), static_cast<std::uint32_t>(c.size()) | (stored ? 1u << 24 : 0));
    img.insert(img.end(), c.begin(), c.end());
    frag.clear();
  }
  void add(const TEntry& e) {
    std::string p = e.path;
    auto slash = p.rfind('/');
    int parent = find(p.substr(0, slash == 0 ? 1 : slash));
    WNode n{};
    n.e = e;
    n.fragment = formats::kSqlNoFragment;
    n.link_to = -1;
    n.parent = parent;
    if (e.kind == 'h') n.link_to = find(e.data);
    nodes_.push_back(n);
    nodes_[static_cast<std::size_t>(parent)].children[p.substr(slash + 1)] = static_cast<int>(nodes_.size() - 1);
    id_index(uids_, e.uid);
    if (e.gid != e.uid || o_.major == 1) id_index(gids_, e.gid);
  }
  int find(const std::string& path) {
    if (path == "/" || path.empty()) return 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].e.path == path) return static_cast<int>(i);
    throw std::runtime_error("no parent " + path);
  }
  static std::uint32_t id_index(std::vector<std::uint32_t>& ids, std::uint32_t v) {
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (ids[i] == v) return static_cast<std::uint32_t>(i);
    ids.push_back(v);
    return static_cast<std::uint32_t>(ids.size() - 1);
  }
  // Directory entries under one header share the inode metadata block; at most 256 per header.
  std::vector<std::vector<std::pair<std::string, int>>> groups(const WNode& n) const {
    std::vector<std::vector<std::pair<std::string, int>>> g;
    for (const auto& [name, c] : n.children) {
      if (g.empty() || g.back().size() == 256 ||
          ref_block(target(g.back().front().second).inode_pos) != ref_block(target(c).inode_pos))
        g.emplace_back();
      g.back().emplace_back(name, c);
    }
    return g;
  }
  const WNode& target(int i) const {
    const WNode& n = nodes_[static_cast<std::size_t>(i)];
    return n.link_to >= 0 ? nodes_[static_cast<std::size_t>(n.link_to)] : n;
  }
  unsigned type_code(const WNode& n, bool dir_entry) const {
    switch (n.e.kind) {
      case 'd': return 1;
      case 'f': return !dir_entry && o_.major == 3 && n.e.data.size() > 0xffffffffull ? 9 : 2;
      case 'l': return 3;
      case 'b': return 4;
      case 'c': return 5;
      case 'p': return 6;
      default: return 7;
    }
  }
  std::uint64_t inode_size(const WNode& n) const {
    const bool v3 = o_.major == 3;
    switch (n.e.kind) {
      case 'd': return v3 ? 28 : 15;
      case 'f': {
        std::size_t blocks = block_count(n);
        return (v3 ? 32 : 24) + 4 * blocks;
      }
      case 'l': return (v3 ? 18 : 6) + n.e.data.size();
      case 'b': case 'c': return v3 ? 18 : 6;
      default: return v3 ? 16 : 4;
    }
  }
  std::size_t block_count(const WNode& n) const {
    std::size_t s = n.e.data.size();
    bool use_frag = o_.fragments && s % o_.block_size != 0;
    return use_frag ? s / o_.block_size : (s + o_.block_size - 1) / o_.block_size;
  }
  // Compressed offset (inside its table) of the metadata block holding uncompressed position p.
  std::uint64_t ref_block(std::uint64_t p) const {
    std::uint64_t k = p / 8192;
    if (o_.meta != Enc::none && k != 0) throw std::runtime_error("compressed tables must fit one block");
    return k * (8192 + 2 + (o_.check_data ? 1 : 0));
  }
  void write_table(std::vector<std::uint8_t>& img, const std::vector<std::uint8_t>& t) const {
    for (std::size_t at = 0; at < t.size() || (at == 0 && t.empty()); at += 8192) {
      std::vector<std::uint8_t> chunk(t.begin() + at, t.begin() + std::min(t.size(), at + 8192));
      std::vector<std::uint8_t> c = o_.meta == Enc::none ? chunk : encode(o_.meta, chunk);
      std::uint16_t word = static_cast<std::uint16_t>(c.size() | (o_.meta == Enc::none ? 0x8000u : 0));
      put_int(img, word, 2, o_.endian);
      if (o_.check_data) img.push_back(0xff);
      img.insert(img.end(), c.begin(), c.end());
      if (t.empty()) break;
    }
  }
  std::vector<std::uint8_t> inode_bytes(const WNode& n) {
    const Endian en = o_.endian;
    const bool v3 = o_.major == 3;
    Rec r(inode_size(n), en);
    unsigned t = type_code(n, false);
    r.put(0, 4, t);
    r.put(4, 12, n.e.mode & 07777);
    std::uint32_t ui = id_index(uids_, n.e.uid);
    r.put(16, 8, ui);
    r.put(24, 8, n.e.gid == n.e.uid ? 255 : id_index(gids_, n.e.gid));
    const std::uint64_t base = v3 ? 96 : 32;
    if (v3) {
      r.put(32, 32, static_cast<std::uint32_t>(n.e.mtime));
      r.put(64, 32, n.inode_number);
    }
    switch (n.e.kind) {
      case 'd':
        if (v3) {
          r.put(96, 32, 2);
          r.put(128, 19, n.listing_len + 3);
          r.put(147, 13, n.listing_pos % 8192);
          r.put(160, 32, 0);
          r.put(192, 32, nodes_[static_cast<std::size_t>(n.parent)].inode_number);
        } else {
          r.put(32, 19, n.listing_len);
          r.put(51, 13, n.listing_pos % 8192);
          r.put(64, 32, static_cast<std::uint32_t>(n.e.mtime));
          r.put(96, 24, 0);
        }
        break;
      case 'f': {
        std::uint64_t at;
        if (v3) {
          r.put(96, 64, n.start_block);
          r.put(160, 32, n.fragment);
          r.put(192, 32, n.frag_offset);
          r.put(224, 32, n.e.data.size());
          at = 32;
        } else {
          r.put(32, 32, static_cast<std::uint32_t>(n.e.mtime));
          r.put(64, 32, n.start_block);
          r.put(96, 32, n.fragment);
          r.put(128, 32, n.frag_offset);
          r.put(160, 32, n.e.data.size());
          at = 24;
        }
        for (std::size_t i = 0; i < n.block_words.size(); ++i) r.put(static_cast<unsigned>((at + 4 * i) * 8), 32, n.block_words[i]);
        break;
      }
      case 'l':
        if (v3) r.put(96, 32, 1);
        r.put(static_cast<unsigned>(base + (v3 ? 32 : 0)), 16, n.e.data.size());
        std::copy(n.e.data.begin(), n.e.data.end(), r.b.begin() + (v3 ? 18 : 6));
        break;
      case 'b': case 'c':
        if (v3) r.put(96, 32, 1);
        r.put(static_cast<unsigned>(base + (v3 ? 32 : 0)), 16, n.e.rdev);
        break;
      default:
        if (v3) r.put(96, 32, 1);
        break;
    }
    return r.b;
  }

  Opts o_;
  std::vector<WNode> nodes_;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> frag_entries_;
  std::vector<std::uint32_t> uids_, gids_;
};

std::string pattern(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 20);
  return s;
}

std::vector<TEntry> sample_tree() {
  return {
      {"/bin", 'd', 0755, 0, 0, 1200000001, "", 0, false},
      {"/bin/busybox", 'f', 04755, 0, 0, 1200000002, pattern(4096 * 3 + 1000, 1), 0, false},
      {"/bin/sh", 'l', 0777, 0, 0, 1200000003, "busybox", 0, false},
      {"/dev", 'd', 0755, 0, 0, 1200000004, "", 0, false},
      {"/dev/console", 'c', 0600, 0, 5, 1200000005, "", (5 << 8) | 1, false},
      {"/dev/mtdblock0", 'b', 0640, 0, 6, 1200000006, "", (31 << 8) | 0, false},
      {"/dev/initctl", 'p', 0600, 0, 0, 1200000007, "", 0, false},
      {"/empty", 'd', 0700, 1000, 100, 1200000008, "", 0, false},
      {"/etc", 'd', 0755, 0, 0, 1200000009, "", 0, false},
      {"/etc/passwd", 'f', 0644, 0, 0, 1200000010, "root:x:0:0:root:/root:/bin/sh\n", 0, false},
      {"/etc/passwd.bak", 'h', 0644, 0, 0, 0, "/etc/passwd", 0, false},
      {"/etc/empty.conf", 'f', 0600, 1000, 100, 1200000011, "", 0, false},
      {"/etc/exact", 'f', 0644, 1000, 1000, 1200000012, pattern(4096, 2), 0, false},
      {"/etc/sparse", 'f', 0644, 0, 0, 1200000013, std::string(4096 * 2, '\0') + "tail", 0, true},
      {"/var", 'd', 01777, 0, 0, 1200000014, "", 0, false},
      {"/var/run", 'l', 0777, 0, 0, 1200000015, "/tmp", 0, false},
  };
}

// ---- helpers over the extracted tree ---------------------------------------------------------

struct Extracted {
  std::unique_ptr<Tree> tree;
  NodeId region = kNoNode, root = kNoNode;
  NodeId at(std::string_view path) const { return tree->resolve(root, path, /*follow_last=*/false); }
};

Extracted extract(std::vector<std::uint8_t> img, const Limits& limits = {}) {
  Extracted x;
  x.tree = unpack_bytes(std::move(img), limits);
  for (NodeId r : all_regions(*x.tree))
    if (x.tree->at(r).format == "squashfs-legacy") {
      x.region = r;
      x.root = fs_root_of(*x.tree, r);
      break;
    }
  return x;
}

void expect_sample(const Extracted& x, const std::string& label) {
  const Tree& t = *x.tree;
  ASSERT_NE(x.root, kNoNode) << label << "\n" << diag_dump(t);
  EXPECT_FALSE(any_diag(t, "squashfs-legacy.partial")) << label << "\n" << diag_dump(t);
  const std::vector<TEntry> want = sample_tree();
  for (const TEntry& e : want) {
    NodeId id = x.at(e.path);
    ASSERT_NE(id, kNoNode) << label << " " << e.path << "\n" << diag_dump(t);
    const Node& n = t.at(id);
    SCOPED_TRACE(label + " " + e.path);
    switch (e.kind) {
      case 'd': EXPECT_EQ(n.type, NodeType::directory); EXPECT_EQ(n.mode, S_IFDIR | e.mode); break;
      case 'f':
        EXPECT_EQ(n.type, NodeType::file);
        EXPECT_EQ(n.mode, S_IFREG | e.mode);
        EXPECT_EQ(n.size, e.data.size());
        EXPECT_EQ(content_of(t, id), e.data);
        break;
      case 'l':
        EXPECT_EQ(n.type, NodeType::symlink);
        EXPECT_EQ(n.link_target, e.data);
        break;
      case 'c': case 'b':
        EXPECT_EQ(n.type, e.kind == 'c' ? NodeType::char_device : NodeType::block_device);
        EXPECT_EQ(n.rdev_major, e.rdev >> 8u);
        EXPECT_EQ(n.rdev_minor, e.rdev & 0xffu);
        break;
      case 'p': EXPECT_EQ(n.type, NodeType::fifo); EXPECT_EQ(n.mode, S_IFIFO | e.mode); break;
      case 'h':
        EXPECT_EQ(n.type, NodeType::hardlink);
        EXPECT_EQ(n.link_target, e.data);
        continue;
    }
    EXPECT_EQ(n.uid, e.uid);
    EXPECT_EQ(n.gid, e.gid);
  }
  // v3 keeps mtimes for every inode; root metadata comes from the root inode.
  EXPECT_EQ(t.at(x.root).mode, S_IFDIR | 0755u);
  EXPECT_EQ(t.at(x.at("/etc/passwd")).mtime, 1200000010);
}

// ---- tests ------------------------------------------------------------------------------------

struct Variant {
  std::string name;
  int major;
  Endian endian;
  std::string magic;
  Enc meta, data;
  bool check_data = false;
};

class LegacyVariants : public ::testing::TestWithParam<Variant> {};

TEST_P(LegacyVariants, ExtractsEveryEntryWithMetadata) {
  const Variant& v = GetParam();
  Opts o;
  o.major = v.major;
  o.endian = v.endian;
  o.magic = v.magic;
  o.meta = v.meta;
  o.data = v.data;
  o.check_data = v.check_data;
  Writer w(o);
  auto img = w.build(sample_tree());
  const auto* u = unpack::find("squashfs-legacy");
  ASSERT_NE(u, nullptr);
  auto p = u->probe(ByteView(img.data(), img.size()));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->length, img.size());
  auto x = extract(img);
  if (v.major == 2) {
    // 2.x stores no mtime for links, devices and fifos (they take mkfs_time).
    ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
    EXPECT_EQ(x.tree->at(x.at("/dev/console")).mtime, o.mkfs_time);
  }
  expect_sample(x, v.name);
}

INSTANTIATE_TEST_SUITE_P(
    All, LegacyVariants,
    ::testing::Values(Variant{"v3_le_zlib", 3, Endian::little, "hsqs", Enc::zlib, Enc::zlib},
                      Variant{"v3_be_zlib", 3, Endian::big, "sqsh", Enc::zlib, Enc::zlib},
                      Variant{"v3_le_stored_check", 3, Endian::little, "hsqs", Enc::none, Enc::none, true},
                      Variant{"v3_le_lzma_alone_shsq", 3, Endian::little, "shsq", Enc::lzma_alone, Enc::lzma_alone},
                      Variant{"v3_le_lzma_raw_hsqt", 3, Endian::little, "hsqt", Enc::lzma_raw, Enc::lzma_raw},
                      Variant{"v3_be_lzma_raw_tqsh", 3, Endian::big, "tqsh", Enc::lzma_raw, Enc::lzma_raw},
                      Variant{"v3_be_lzma_ddwrt_tqsh", 3, Endian::big, "tqsh", Enc::lzma_ddwrt, Enc::lzma_ddwrt},
                      Variant{"v3_be_lzma_props5_qshs", 3, Endian::big, "qshs", Enc::lzma_props5, Enc::lzma_props5},
                      Variant{"v2_le_zlib", 2, Endian::little, "hsqs", Enc::zlib, Enc::zlib},
                      Variant{"v2_be_props5_stored_meta", 2, Endian::big, "sqsh", Enc::none, Enc::lzma_props5}),
    [](const auto& info) { return info.param.name; });

TEST(SquashfsLegacy, ManyFilesSpanSeveralMetadataBlocks) {
  Opts o;
  o.meta = Enc::none;
  o.check_data = true;
  o.endian = Endian::big;
  o.magic = "sqsh";
  std::vector<TEntry> entries{{"/d", 'd', 0755, 0, 0, 1, "", 0, false}};
  for (int i = 0; i < 700; ++i)
    entries.push_back({fmt::format("/d/file{:04}", i), 'f', 0644, static_cast<std::uint32_t>(i % 3), 0, 1,
                       fmt::format("content {}\n", i), 0, false});
  Writer w(o);
  auto img = w.build(entries);
  ASSERT_GT(w.layout.dir_start - w.layout.inode_start, 2u * 8192);  // several inode blocks
  auto x = extract(img);
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  for (int i : {0, 1, 350, 699}) {
    NodeId id = x.at(fmt::format("/d/file{:04}", i));
    ASSERT_NE(id, kNoNode) << i << diag_dump(*x.tree);
    EXPECT_EQ(content_of(*x.tree, id), fmt::format("content {}\n", i));
    EXPECT_EQ(x.tree->at(id).uid, static_cast<std::uint32_t>(i % 3));
  }
  EXPECT_EQ(x.tree->at(x.at("/d")).children.size(), 700u);
}

// Contents are read by parallel workers: the same tree, contents and diagnostics as one thread,
// with LZMA data (each worker's decoder starts from the encoding the metadata taught), many small
// files sharing fragment blocks, large multi-block files and a hard link.
TEST(SquashfsLegacy, ParallelReadersGiveTheSerialResult) {
  // Compressed metadata (one block in the test writer: fewer files) seeds the workers' decoders;
  // stored metadata leaves each worker to learn the encoding from the data blocks.
  struct Config {
    Enc meta, data;
    int files;
  };
  for (Config cfg : {Config{Enc::lzma_raw, Enc::lzma_raw, 80}, Config{Enc::none, Enc::lzma_props5, 300},
                     Config{Enc::none, Enc::zlib, 300}}) {
    Opts o;
    o.meta = cfg.meta;
    o.data = cfg.data;
    std::vector<TEntry> entries{{"/d", 'd', 0755, 0, 0, 1, "", 0, false}};
    for (int i = 0; i < cfg.files; ++i) {
      std::string body;
      // Sizes from a few bytes (fragment tails) to several blocks; text that compresses.
      for (int k = 0; k < (i % 7 == 0 ? 2000 : 3 + i % 40); ++k) body += fmt::format("line {} of file {}\n", k, i);
      entries.push_back({fmt::format("/d/f{:03}", i), 'f', 0644, 0, 0, 1, body, 0, false});
    }
    entries.push_back({"/d/hard", 'h', 0644, 0, 0, 1, "/d/f007", 0, false});
    Writer w(o);
    auto img = w.build(entries);
    auto run = [&](Executor& ex) {
      unpack::Engine engine(Limits{}, ex);
      return engine.unpack_blob(make_blob(std::vector<std::uint8_t>(img)), "img");
    };
    auto serial_ex = make_serial_executor();
    auto parallel_ex = make_tbb_executor(4);
    auto a = run(*serial_ex);
    auto b = run(*parallel_ex);
    ASSERT_EQ(a->size(), b->size());
    std::uint64_t bytes = 0;
    for (NodeId id = 0; id < a->size(); ++id) {
      const Node& x = a->at(id);
      const Node& y = b->at(id);
      ASSERT_EQ(x.name, y.name);
      EXPECT_EQ(x.type, y.type) << x.name;
      EXPECT_EQ(x.size, y.size) << x.name;
      ASSERT_EQ(content_of(*a, id), content_of(*b, id)) << x.name;
      EXPECT_EQ(x.diagnostics.size(), y.diagnostics.size()) << x.name;
      if (x.type == NodeType::file) bytes += content_of(*a, id).size();
    }
    EXPECT_GT(bytes, 256u << 10);  // enough that the workers run in parallel (256 KiB and up)
    Extracted x;
    x.tree = std::move(b);
    for (NodeId r : all_regions(*x.tree))
      if (x.tree->at(r).format == "squashfs-legacy") x.root = fs_root_of(*x.tree, x.region = r);
    ASSERT_NE(x.root, kNoNode);
    EXPECT_EQ(content_of(*x.tree, x.at("/d/f063")), entries[64].data);
    EXPECT_EQ(content_of(*x.tree, x.at("/d/f070")), entries[71].data);
  }
}

TEST(SquashfsLegacy, SquashfsUnpackerDeclinesOldVersionsAndLegacyClaimsThem) {
  Writer w(Opts{});
  auto img = w.build(sample_tree());
  ByteView v(img.data(), img.size());
  EXPECT_FALSE(unpack::find("squashfs")->probe(v));
  EXPECT_TRUE(unpack::find("squashfs-legacy")->probe(v));
  // A 4.0 superblock is not for this unpacker.
  auto v4 = img;
  set_int(v4, 28, 4, 2, Endian::little);
  EXPECT_FALSE(unpack::find("squashfs-legacy")->probe(ByteView(v4.data(), v4.size())));
}

TEST(SquashfsLegacy, CarvedFromTheMiddleOfABlob) {
  Opts o;
  o.magic = "hsqt";
  o.meta = o.data = Enc::lzma_raw;
  Writer w(o);
  auto fs = w.build(sample_tree());
  std::vector<std::uint8_t> blob(0x1000, 0xff);
  blob.insert(blob.end(), fs.begin(), fs.end());
  blob.resize(blob.size() + 0x800, 0xff);
  auto tree = unpack_bytes(blob);
  NodeId region = kNoNode;
  for (NodeId r : all_regions(*tree))
    if (tree->at(r).format == "squashfs-legacy") region = r;
  ASSERT_NE(region, kNoNode) << diag_dump(*tree);
  EXPECT_EQ(tree->at(region).origin.offset, 0x1000u);
  EXPECT_EQ(tree->at(region).size, fs.size());
  NodeId root = fs_root_of(*tree, region);
  NodeId bb = tree->resolve(root, "/bin/busybox");
  ASSERT_NE(bb, kNoNode);
  EXPECT_EQ(content_of(*tree, bb), pattern(4096 * 3 + 1000, 1));
}

TEST(SquashfsLegacy, TruncationGivesPartialResultsAndDiagnostics) {
  Opts o;
  o.meta = Enc::none;  // tables stay readable when data is cut
  Writer w(o);
  auto img = w.build(sample_tree());
  for (std::size_t cut = 4; cut < img.size(); cut += 7) {
    std::vector<std::uint8_t> part(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(cut));
    auto x = extract(part);
    if (cut < 119) continue;  // no superblock: nothing to claim
    ASSERT_NE(x.region, kNoNode) << cut;
    EXPECT_TRUE(has_diag(*x.tree, x.region, "squashfs-legacy.truncated")) << cut << diag_dump(*x.tree);
  }
  // Cut inside the data blocks: every table is lost (they follow the data), so nothing but the
  // region and its diagnostics; cut after the tables but before the id tables: files extracted.
  std::vector<std::uint8_t> part(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(w.layout.uid_start));
  auto x = extract(part);
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  NodeId pw = x.at("/etc/passwd");
  ASSERT_NE(pw, kNoNode);
  EXPECT_EQ(content_of(*x.tree, pw), "root:x:0:0:root:/root:/bin/sh\n");
  EXPECT_TRUE(any_diag(*x.tree, "squashfs-legacy.id_table")) << diag_dump(*x.tree);
}

TEST(SquashfsLegacy, CorruptDataBlockKeepsOtherFiles) {
  Writer w(Opts{});
  auto img = w.build(sample_tree());
  // Flip the first data block (busybox's first block starts right after the superblock).
  for (std::size_t i = 119; i < 139; ++i) img[i] ^= 0x5a;
  auto x = extract(img);
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  NodeId bb = x.at("/bin/busybox");
  ASSERT_NE(bb, kNoNode);
  EXPECT_TRUE(has_diag(*x.tree, bb, "squashfs-legacy.file_data")) << diag_dump(*x.tree);
  EXPECT_EQ(content_of(*x.tree, x.at("/etc/passwd")), "root:x:0:0:root:/root:/bin/sh\n");
  EXPECT_TRUE(any_diag(*x.tree, "squashfs-legacy.partial"));
}

// Hostile directory listings: patched in place in an uncompressed directory table.
class SquashfsLegacyHostile : public ::testing::Test {
 protected:
  void SetUp() override {
    Opts o;
    o.meta = Enc::none;
    Writer w(o);
    img = w.build({{"/a", 'd', 0755, 0, 0, 1, "", 0, false},
                   {"/a/xx", 'f', 0644, 0, 0, 1, "data", 0, false},
                   {"/b", 'f', 0644, 0, 0, 1, "bee", 0, false}});
    layout = w.layout;
    b_inode = layout.inode_start + 2 + w.inode_pos("/b");
  }
  std::size_t find(std::string_view s, std::size_t from) const {
    auto it = std::search(img.begin() + static_cast<std::ptrdiff_t>(from), img.end(), s.begin(), s.end());
    return it == img.end() ? std::string::npos : static_cast<std::size_t>(it - img.begin());
  }
  std::vector<std::uint8_t> img;
  Writer::Layout layout{};
  std::uint64_t b_inode = 0;
};

TEST_F(SquashfsLegacyHostile, TraversalNamesStayInsideTheTree) {
  std::size_t at = find("xx", layout.dir_start);
  ASSERT_NE(at, std::string::npos);
  img[at] = '.';
  img[at + 1] = '.';
  std::size_t b = find("b", layout.dir_start + 12);
  ASSERT_NE(b, std::string::npos);
  auto x = extract(img);
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  EXPECT_TRUE(any_diag(*x.tree, "path.traversal")) << diag_dump(*x.tree);
  for (NodeId id = 0; id < x.tree->size(); ++id) {
    const Node& n = x.tree->at(id);
    if (n.fs_root == x.root) EXPECT_EQ(n.path.find(".."), std::string::npos) << n.path;
  }
}

TEST_F(SquashfsLegacyHostile, DirectoryCycleIsNotFollowed) {
  // Point the entry "xx" in /a at the inode of /a itself: /a/xx is then a directory containing
  // itself. The root's entry "a" names /a's inode: copy its 13-bit offset into "xx"'s entry.
  std::size_t a_name = find("a", layout.dir_start + 9 + 5);
  std::size_t xx_name = find("xx", layout.dir_start);
  ASSERT_NE(a_name, std::string::npos);
  ASSERT_NE(xx_name, std::string::npos);
  // Entry record (5 bytes, v3) precedes its name; offset and type are in the first two bytes.
  img[xx_name - 5] = img[a_name - 5];
  img[xx_name - 4] = img[a_name - 4];
  auto x = extract(img);
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  EXPECT_TRUE(any_diag(*x.tree, "squashfs-legacy.cycle")) << diag_dump(*x.tree);
  EXPECT_LT(x.tree->size(), 50u);
}

TEST_F(SquashfsLegacyHostile, BadInodeReferenceIsReportedAndSiblingsSurvive) {
  std::size_t xx_name = find("xx", layout.dir_start);
  ASSERT_NE(xx_name, std::string::npos);
  img[xx_name - 5] = 0xff;  // inode offset far beyond the inode table
  img[xx_name - 4] |= 0x1f;
  auto x = extract(img);
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  EXPECT_TRUE(any_diag(*x.tree, "squashfs-legacy.inode")) << diag_dump(*x.tree);
  EXPECT_EQ(content_of(*x.tree, x.at("/b")), "bee");
}

TEST_F(SquashfsLegacyHostile, HugeFileSizeIsBoundedByLimits) {
  // /b's inode: a 32-bit file size of almost 4 GiB with no block list behind it.
  Limits lim;
  lim.max_node_bytes = 1 << 20;
  ASSERT_EQ(img[b_inode + 28], 3);  // the stored size of "bee"
  set_int(img, b_inode + 28, 0xffffff00u, 4, Endian::little);
  auto x = extract(img, lim);
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  NodeId b = x.at("/b");
  ASSERT_NE(b, kNoNode);
  EXPECT_LE(x.tree->content(b)->view().size(), 1u << 20);
  EXPECT_FALSE(x.tree->at(b).diagnostics.empty());
}

TEST(SquashfsLegacy, FormatParsersRejectNonsense) {
  using namespace formats;
  std::vector<std::uint8_t> junk(200, 0);
  std::copy_n("hsqs", 4, junk.begin());
  EXPECT_FALSE(parse_squashfs_legacy_super(ByteView(junk.data(), junk.size())));
  EXPECT_FALSE(parse_squashfs_legacy_super(ByteView(junk.data(), 10)));
  // Bit-field reader in both byte orders: a 13-bit field at bit 3.
  std::uint8_t le[3] = {0xf8, 0xff, 0x00}, be[3] = {0x1f, 0xff, 0xc0};
  EXPECT_EQ(sql_bits(ByteView(le, 3), 3, 13, Endian::little), 0x1fffu);
  EXPECT_EQ(sql_bits(ByteView(be, 3), 3, 13, Endian::big), 0x1fffu);
  EXPECT_EQ(sql_bits(ByteView(be, 3), 3, 13 + 16, Endian::big), 0u);  // beyond the record
}

// Writes the fuzz seeds when asked (IOTAUDIT_WRITE_SEEDS=<dir>); otherwise a no-op.
TEST(SquashfsLegacy, WriteFuzzSeeds) {
  const char* dir = std::getenv("IOTAUDIT_WRITE_SEEDS");
  if (dir == nullptr) GTEST_SKIP() << "set IOTAUDIT_WRITE_SEEDS to write seeds";
  std::vector<TEntry> small{{"/etc", 'd', 0755, 0, 0, 1, "", 0, false},
                            {"/etc/passwd", 'f', 0644, 0, 0, 1, "root:x:0:0::/root:/bin/sh\n", 0, false},
                            {"/big", 'f', 0644, 1, 2, 1, pattern(5000, 3), 0, false},
                            {"/sh", 'l', 0777, 0, 0, 1, "busybox", 0, false},
                            {"/null", 'c', 0666, 0, 0, 1, "", 0x0103, false}};
  for (const Variant& v : {Variant{"v3_le_zlib", 3, Endian::little, "hsqs", Enc::zlib, Enc::zlib},
                           Variant{"v3_be_stored", 3, Endian::big, "sqsh", Enc::none, Enc::none, true},
                           Variant{"v3_le_lzma_alone", 3, Endian::little, "shsq", Enc::lzma_alone, Enc::lzma_alone},
                           Variant{"v3_le_lzma_raw", 3, Endian::little, "hsqt", Enc::lzma_raw, Enc::lzma_raw},
                           Variant{"v3_be_ddwrt", 3, Endian::big, "tqsh", Enc::lzma_ddwrt, Enc::lzma_ddwrt},
                           Variant{"v2_be_props5", 2, Endian::big, "sqsh", Enc::none, Enc::lzma_props5},
                           Variant{"v2_le_zlib", 2, Endian::little, "hsqs", Enc::zlib, Enc::zlib}}) {
    Opts o;
    o.major = v.major;
    o.endian = v.endian;
    o.magic = v.magic;
    o.meta = v.meta;
    o.data = v.data;
    o.check_data = v.check_data;
    o.block_size = 4096;
    Writer w(o);
    auto img = w.build(small);
    std::ofstream(std::string(dir) + "/" + v.name + ".bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(img.data()), static_cast<std::streamsize>(img.size()));
  }
}

}  // namespace
}  // namespace iotaudit
