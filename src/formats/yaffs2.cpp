#include "formats/yaffs2.hpp"

#include <array>
#include <numeric>
#include <utility>

namespace iotaudit::formats {
namespace {

using namespace yaffs2;

// Flags in the chunk id of a header's tags (yaffs_packedtags2.c).
constexpr std::uint32_t kExtraHeaderInfo = 0x80000000u;
constexpr std::uint32_t kExtraShrink = 0x40000000u;
constexpr std::uint32_t kExtraShadows = 0x20000000u;
constexpr std::uint32_t kAllExtraFlags = 0xf0000000u;
constexpr std::uint32_t kTypeShift = 28;

// Chunks read per candidate geometry while detecting.
constexpr std::uint64_t kProbeChunks = 64;

bool mode_matches(Yaffs2Type t, std::uint32_t mode) {
  const std::uint32_t fmt = mode & 0170000;
  switch (t) {
    case Yaffs2Type::file: return fmt == 0100000 || fmt == 0;
    case Yaffs2Type::directory: return fmt == 0040000 || fmt == 0;
    case Yaffs2Type::symlink: return fmt == 0120000 || fmt == 0;
    case Yaffs2Type::hardlink: return true;  // a hard link object's mode is not used
    case Yaffs2Type::special: return fmt == 0020000 || fmt == 0060000 || fmt == 0010000 || fmt == 0140000;
    default: return false;
  }
}

bool in_object_range(std::uint32_t id) { return id >= 1 && id <= kMaxObjectId; }

}  // namespace

Yaffs2Tags parse_yaffs2_tags(ByteView chunk, const Yaffs2Geometry& g) {
  Yaffs2Tags t;
  auto raw = chunk.sub(g.tags_offset(), kTagsSize);
  if (!raw) return t;
  const std::uint8_t* p = raw->data();
  t.seq = load_endian<std::uint32_t>(p, g.endian);
  const std::uint32_t obj = load_endian<std::uint32_t>(p + 4, g.endian);
  const std::uint32_t chunk_id = load_endian<std::uint32_t>(p + 8, g.endian);
  t.n_bytes = load_endian<std::uint32_t>(p + 12, g.endian);
  if (t.seq == 0xffffffffu) {  // never written
    t.kind = Yaffs2Kind::erased;
    return t;
  }
  if (t.seq == kCheckpointSeq) {  // checkpoint blocks: a mount-time cache, no file data
    t.obj_id = obj;
    t.chunk_id = chunk_id;
    t.kind = Yaffs2Kind::checkpoint;
    return t;
  }
  if (t.seq < kLowestSeq || t.seq > kHighestSeq) return t;
  if ((chunk_id & kExtraHeaderInfo) != 0) {
    t.extra = true;
    t.extra_parent = chunk_id & ~kAllExtraFlags;
    t.extra_shrink = (chunk_id & kExtraShrink) != 0;
    t.extra_shadows = (chunk_id & kExtraShadows) != 0;
    t.extra_type = obj >> kTypeShift;
    t.extra_value = t.n_bytes;
    t.obj_id = obj & ~kAllExtraFlags;
    t.chunk_id = 0;
    t.n_bytes = 0;
  } else {
    t.obj_id = obj;
    t.chunk_id = chunk_id;
  }
  if (t.obj_id == kSummaryObject) {
    t.kind = Yaffs2Kind::summary;
    return t;
  }
  if (!in_object_range(t.obj_id)) return t;
  if (t.chunk_id == 0) {
    // Headers of the pseudo directories for unlinked and deleted objects are never written.
    if (t.obj_id == kUnlinked || t.obj_id == kDeleted) return t;
    if (t.extra && (t.extra_type < 1 || t.extra_type > 5 || !in_object_range(t.extra_parent))) return t;
    t.kind = Yaffs2Kind::header;
    return t;
  }
  if (t.chunk_id > kMaxChunkId || t.n_bytes > g.data_bytes() || t.obj_id <= kDeleted) return t;
  t.kind = Yaffs2Kind::data;
  return t;
}

bool yaffs2_bad_block_marker(ByteView chunk, const Yaffs2Geometry& g) {
  if (g.inband() || g.tags_at == 0) return false;
  auto b = chunk.sub(g.page, 1);
  return b && b->data()[0] != 0xff;
}

Result<Yaffs2Header> parse_yaffs2_header(ByteView data, Endian endian, bool inband) {
  if (data.size() < (inband ? kMinHeaderBytes : kHeaderSize))
    return fail(Errc::truncated, "YAFFS2 chunk smaller than an object header");
  Reader r(data, endian);
  Yaffs2Header h;
  ASSIGN_OR_RETURN(std::uint32_t type, r.u32());
  if (type < 1 || type > 5) return fail(Errc::malformed, "YAFFS2 object type out of range");
  h.type = static_cast<Yaffs2Type>(type);
  ASSIGN_OR_RETURN(h.parent, r.u32());
  if (!in_object_range(h.parent)) return fail(Errc::malformed, "YAFFS2 parent id out of range");
  ASSIGN_OR_RETURN(h.name_sum, r.u16());
  ASSIGN_OR_RETURN(ByteView name, r.bytes(256));
  std::size_t len = 0;
  while (len < name.size() && name.data()[len] != 0) ++len;
  if (len == name.size()) return fail(Errc::malformed, "YAFFS2 name not terminated");
  h.name.assign(reinterpret_cast<const char*>(name.data()), len);
  TRY(r.seek(268));
  ASSIGN_OR_RETURN(h.mode, r.u32());
  ASSIGN_OR_RETURN(h.uid, r.u32());
  ASSIGN_OR_RETURN(h.gid, r.u32());
  TRY(r.skip(4));  // atime
  ASSIGN_OR_RETURN(h.mtime, r.u32());
  TRY(r.skip(4));  // ctime
  ASSIGN_OR_RETURN(std::uint32_t size_low, r.u32());
  ASSIGN_OR_RETURN(h.equiv_id, r.u32());
  ASSIGN_OR_RETURN(ByteView alias, r.bytes(160));
  std::size_t alen = 0;
  while (alen < alias.size() && alias.data()[alen] != 0) ++alen;
  h.alias_terminated = alen < alias.size();
  h.alias.assign(reinterpret_cast<const char*>(alias.data()), alen);
  ASSIGN_OR_RETURN(h.rdev, r.u32());
  TRY(r.seek(488));
  ASSIGN_OR_RETURN(std::uint32_t inband_shadows, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t inband_shrink, r.u32());
  // With inband tags on small pages the fields from offset 496 on are overwritten by the tags;
  // yaffs keeps copies of the shadow and shrink fields above for that case.
  std::uint32_t size_high = 0xffffffffu, shadows = inband_shadows, shrink = inband_shrink;
  if (data.size() >= kHeaderSize) {
    ASSIGN_OR_RETURN(size_high, r.u32());
    TRY(r.seek(504));
    ASSIGN_OR_RETURN(std::uint32_t oob_shadows, r.u32());
    ASSIGN_OR_RETURN(std::uint32_t oob_shrink, r.u32());
    if (!inband) {
      shadows = oob_shadows;
      shrink = oob_shrink;
    }
  }
  // shadows_obj is a signed field: only positive object ids name a shadowed object.
  h.shadows = (shadows & 0x80000000u) == 0 && in_object_range(shadows) ? shadows : 0;
  h.shrink = shrink != 0;
  // Old images leave the high word of the size erased (all ones).
  h.size = size_high == 0xffffffffu ? size_low : (std::uint64_t{size_high} << 32) | size_low;
  return h;
}

bool yaffs2_header_plausible(const Yaffs2Header& h, const Yaffs2Tags& t) {
  if (h.name_sum != 0xffff) return false;
  if (h.name.empty()) {
    // Only the root and lost+found directories are nameless; both live in the root.
    if (h.type != Yaffs2Type::directory || h.parent != kRoot) return false;
  }
  for (char c : h.name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '/') return false;
  }
  if (!mode_matches(h.type, h.mode)) return false;
  if (t.obj_id != 0 && t.obj_id == h.parent && t.obj_id != kRoot) return false;
  if (t.extra) {
    if (t.extra_type != static_cast<std::uint32_t>(h.type) || t.extra_parent != h.parent) return false;
    if (h.type == Yaffs2Type::file && t.extra_value != static_cast<std::uint32_t>(h.size)) return false;
    if (h.type == Yaffs2Type::hardlink && t.extra_value != h.equiv_id) return false;
  }
  return true;
}

std::optional<Yaffs2Geometry> detect_yaffs2(ByteView data) {
  // Page + spare sizes of common NAND parts; then inband tags (no spare), smallest page first.
  static constexpr std::array<std::pair<std::uint32_t, std::uint32_t>, 16> kGeometries{{
      {2048, 64}, {4096, 128}, {4096, 224}, {4096, 256}, {2048, 128}, {8192, 448}, {8192, 512}, {8192, 640},
      {16384, 1280}, {1024, 32}, {512, 0}, {1024, 0}, {2048, 0}, {4096, 0}, {8192, 0}, {16384, 0}}};
  std::optional<Yaffs2Geometry> best;
  std::uint64_t best_valid = 0;
  for (auto [page, spare] : kGeometries) {
    for (Endian e : {Endian::little, Endian::big}) {
      for (std::uint32_t at : {0u, 2u}) {
        if (spare == 0 && at != 0) continue;
        if (spare != 0 && spare < at + kTagsSize) continue;
        const Yaffs2Geometry g{page, spare, at, e};
        if (data.size() < 2ull * g.stride()) continue;
        // With inband tags every multiple of the page size also lands on tags; the smallest page
        // that fits is the right one.
        if (g.inband() && best && best->inband()) continue;
        // The first chunk must be an object header whose tags agree with it.
        ByteView first = data.head(g.stride());
        Yaffs2Tags t0 = parse_yaffs2_tags(first, g);
        if (t0.kind != Yaffs2Kind::header) continue;
        auto h0 = parse_yaffs2_header(first.head(g.data_bytes()), e, g.inband());
        if (!h0 || !yaffs2_header_plausible(*h0, t0)) continue;
        // Then the following chunks up to the first one with implausible tags.
        const std::uint64_t n = std::min<std::uint64_t>(data.size() / g.stride(), kProbeChunks);
        std::uint64_t valid = 1, headers = 1, own_data = 0;
        for (std::uint64_t i = 1; i < n; ++i) {
          ByteView c = data.sub(i * g.stride(), g.stride()).value_or(ByteView{});
          Yaffs2Tags t = parse_yaffs2_tags(c, g);
          if (t.kind == Yaffs2Kind::erased) continue;
          if (t.kind == Yaffs2Kind::invalid) {
            if (yaffs2_bad_block_marker(c, g)) continue;  // a bad block's garbage
            break;
          }
          if (t.kind == Yaffs2Kind::header) {
            auto h = parse_yaffs2_header(c.head(g.data_bytes()), e, g.inband());
            if (!h || !yaffs2_header_plausible(*h, t)) break;
            ++headers;
          } else if (t.kind == Yaffs2Kind::data && t.obj_id == t0.obj_id) {
            ++own_data;
          }
          ++valid;
        }
        // One header-like chunk alone, or followed by chunks that belong to nothing it names,
        // is not a filesystem.
        if (valid < 2 || (headers < 2 && own_data == 0)) continue;
        if (valid > best_valid) {
          best_valid = valid;
          best = g;
        }
      }
    }
  }
  return best;
}

std::optional<Yaffs2Tagless> detect_yaffs2_tagless(ByteView data) {
  // Headers sit at multiples of the page size; the page size is the largest common one that
  // divides every header offset found in the first 64 largest pages.
  static constexpr std::array<std::uint32_t, 5> kPages{16384, 8192, 4096, 2048, 512};
  constexpr std::uint64_t kStep = 512;
  for (Endian e : {Endian::little, Endian::big}) {
    auto header_at = [&](std::uint64_t off) {
      auto h = parse_yaffs2_header(data.tail(off).head(kHeaderSize), e, false);
      return h && yaffs2_header_plausible(*h, Yaffs2Tags{});
    };
    if (!header_at(0)) continue;
    const std::uint64_t n = std::min<std::uint64_t>(data.size() / kStep, kProbeChunks * (kPages[0] / kStep));
    std::uint64_t common = 0;
    for (std::uint64_t i = 1; i < n; ++i)
      if (header_at(i * kStep)) common = std::gcd(common, i * kStep);
    if (common == 0) continue;
    for (std::uint32_t page : kPages) {
      if (common % page != 0) continue;
      Yaffs2Tagless t{page, e, page};
      const std::uint64_t pages = data.size() / page;
      for (std::uint64_t i = 1; i < pages; ++i)
        if (header_at(i * page)) t.length = (i + 1) * page;
      return t;
    }
  }
  return std::nullopt;
}

}  // namespace iotaudit::formats
