#include "formats/yaffs2.hpp"

#include <array>

namespace iotaudit::formats {
namespace {

constexpr std::uint32_t kHeaderFlag = 0x80000000u;
constexpr std::uint32_t kAllExtraFlags = 0xf0000000u;
constexpr std::uint32_t kTypeShift = 28;
constexpr std::uint32_t kMaxObjectId = 0x3ffff;  // YAFFS_MAX_OBJECT_ID

std::uint32_t load32(const std::uint8_t* p, Endian e) {
  return e == Endian::little ? (std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
                                std::uint32_t{p[3]} << 24)
                             : (std::uint32_t{p[3]} | std::uint32_t{p[2]} << 8 | std::uint32_t{p[1]} << 16 |
                                std::uint32_t{p[0]} << 24);
}

bool mode_matches(Yaffs2Type t, std::uint32_t mode) {
  std::uint32_t fmt = mode & 0170000;
  switch (t) {
    case Yaffs2Type::file: return fmt == 0100000 || fmt == 0;
    case Yaffs2Type::directory: return fmt == 0040000 || fmt == 0;
    case Yaffs2Type::symlink: return fmt == 0120000 || fmt == 0;
    case Yaffs2Type::hardlink: return true;  // the mode of a hard link object is not used
    case Yaffs2Type::special:
      return fmt == 0020000 || fmt == 0060000 || fmt == 0010000 || fmt == 0140000;
    default: return false;
  }
}

}  // namespace

Yaffs2Tags parse_yaffs2_tags(ByteView spare, const Yaffs2Geometry& g) {
  Yaffs2Tags t;
  if (spare.size() < g.tags_at + 16) {
    t.erased = true;
    return t;
  }
  const std::uint8_t* p = spare.data() + g.tags_at;
  t.seq = load32(p, g.endian);
  t.obj_id = load32(p + 4, g.endian);
  t.chunk_id = load32(p + 8, g.endian);
  t.n_bytes = load32(p + 12, g.endian);
  t.erased = t.seq == 0xffffffffu || t.seq == 0 || (t.obj_id == 0xffffffffu && t.chunk_id == 0xffffffffu);
  if ((t.chunk_id & kHeaderFlag) != 0) {
    t.header = true;
    t.extra_type = t.obj_id >> kTypeShift;
    t.obj_id &= ~kAllExtraFlags;
    t.chunk_id = 0;
  } else if (t.chunk_id == 0) {
    t.header = true;
  }
  return t;
}

Result<Yaffs2Header> parse_yaffs2_header(ByteView page, Endian endian) {
  if (page.size() < 512) return fail(Errc::truncated, "YAFFS2 chunk smaller than an object header");
  Reader r(page, endian);
  Yaffs2Header h;
  ASSIGN_OR_RETURN(std::uint32_t type, r.u32());
  if (type < 1 || type > 5) return fail(Errc::malformed, "YAFFS2 object type out of range");
  h.type = static_cast<Yaffs2Type>(type);
  ASSIGN_OR_RETURN(h.parent, r.u32());
  if (h.parent == 0 || h.parent > kMaxObjectId) return fail(Errc::malformed, "YAFFS2 parent id out of range");
  TRY(r.skip(2));  // sum_no_longer_used
  ASSIGN_OR_RETURN(ByteView name, r.bytes(256));
  std::size_t len = 0;
  while (len < name.size() && name.data()[len] != 0) ++len;
  if (len == name.size()) return fail(Errc::malformed, "YAFFS2 name not terminated");
  for (std::size_t i = 0; i < len; ++i)
    if (name.data()[i] < 0x20 || name.data()[i] == 0x7f) return fail(Errc::malformed, "YAFFS2 name not text");
  h.name.assign(reinterpret_cast<const char*>(name.data()), len);
  TRY(r.seek(268));
  ASSIGN_OR_RETURN(h.mode, r.u32());
  ASSIGN_OR_RETURN(h.uid, r.u32());
  ASSIGN_OR_RETURN(h.gid, r.u32());
  TRY(r.skip(4));  // atime
  ASSIGN_OR_RETURN(h.mtime, r.u32());
  TRY(r.skip(4));  // ctime
  ASSIGN_OR_RETURN(std::uint32_t size_low, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t equiv, r.u32());
  h.equiv_id = static_cast<std::int32_t>(equiv);
  ASSIGN_OR_RETURN(ByteView alias, r.bytes(160));
  std::size_t alen = 0;
  while (alen < alias.size() && alias.data()[alen] != 0) ++alen;
  h.alias.assign(reinterpret_cast<const char*>(alias.data()), alen);
  ASSIGN_OR_RETURN(h.rdev, r.u32());
  TRY(r.seek(496));
  ASSIGN_OR_RETURN(std::uint32_t size_high, r.u32());
  TRY(r.seek(508));
  ASSIGN_OR_RETURN(std::uint32_t is_shrink, r.u32());
  h.shrink = is_shrink == 1;
  // Old images leave size_high erased (all ones).
  h.size = size_high == 0xffffffffu ? size_low : (std::uint64_t{size_high} << 32) | size_low;
  if (!mode_matches(h.type, h.mode)) return fail(Errc::malformed, "YAFFS2 mode contradicts the object type");
  return h;
}

std::optional<Yaffs2Geometry> detect_yaffs2(ByteView data) {
  static constexpr std::array<std::pair<std::uint32_t, std::uint32_t>, 5> kGeometries{
      {{2048, 64}, {4096, 128}, {4096, 224}, {8192, 448}, {512, 16}}};
  for (auto [page, spare] : kGeometries) {
    for (Endian e : {Endian::little, Endian::big}) {
      for (std::uint32_t at : {0u, 2u}) {
        Yaffs2Geometry g{page, spare, at, e};
        if (spare < at + 16) continue;
        const std::uint64_t n = std::min<std::uint64_t>(data.size() / g.chunk(), 64);
        unsigned headers = 0, valid = 0, bad = 0;
        for (std::uint64_t i = 0; i < n && bad == 0; ++i) {
          ByteView chunk = data.sub(i * g.chunk(), g.chunk()).value_or(ByteView{});
          Yaffs2Tags t = parse_yaffs2_tags(chunk.tail(page), g);
          if (t.erased) continue;
          if (t.obj_id == 0 || t.obj_id > kMaxObjectId) {
            ++bad;
            break;
          }
          if (t.header) {
            auto h = parse_yaffs2_header(chunk.head(page), e);
            if (!h || (t.extra_type != 0 && t.extra_type != static_cast<std::uint32_t>(h->type))) {
              ++bad;
              break;
            }
            ++headers;
          } else if (t.n_bytes > page || t.chunk_id > (1u << 24)) {
            ++bad;
            break;
          }
          ++valid;
        }
        if (bad == 0 && headers >= 1 && valid >= 2) return g;
      }
    }
  }
  return std::nullopt;
}

}  // namespace iotaudit::formats
