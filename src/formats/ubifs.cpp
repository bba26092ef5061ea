#include "formats/ubifs.hpp"

#include <fmt/format.h>

#include "formats/ubi.hpp"

namespace iotaudit::formats {
namespace {

constexpr std::size_t kSbNodeSize = 4096;
constexpr std::size_t kMstNodeSize = 512;
constexpr std::size_t kIdxNodeSize = 28;
constexpr std::size_t kBranchSize = 12 + 8;  // lnum, offs, len + simple-format key
constexpr std::size_t kInoNodeSize = 160;
constexpr std::size_t kDentNodeSize = 56;
constexpr std::size_t kDataNodeSize = 48;
constexpr std::size_t kRefNodeSize = 64;
constexpr std::uint32_t kMaxNameLen = 255;
constexpr std::uint32_t kMaxInoData = 4096;

Status want_type(const UbifsNode& n, UbifsNodeType t, std::size_t min_len, const char* what) {
  if (n.type != static_cast<std::uint8_t>(t)) return fail(Errc::malformed, fmt::format("not a {} node", what));
  if (n.raw.size() < min_len) return fail(Errc::malformed, fmt::format("{} node too short", what));
  return {};
}

bool pow2(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace

const char* ubifs_compr_name(std::uint16_t c) {
  switch (c) {
    case 0: return "none";
    case 1: return "lzo";
    case 2: return "zlib";
    case 3: return "zstd";
    default: return "unknown";
  }
}

UbifsKey parse_ubifs_key(ByteView key8) {
  UbifsKey k;
  Reader r(key8, Endian::little);
  auto inum = r.u32();
  auto w = r.u32();
  if (!inum || !w) return k;
  k.inum = *inum;
  k.type = static_cast<std::uint8_t>(*w >> 29);
  k.value = *w & 0x1FFFFFFFu;
  return k;
}

std::uint32_t ubifs_max_idx_len(std::uint32_t fanout, std::uint32_t leb_size) {
  std::uint64_t v = kIdxNodeSize + std::uint64_t{fanout} * (kBranchSize + 64);
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(v, leb_size));
}

Result<UbifsNode> parse_ubifs_node(ByteView data, std::uint32_t max_idx_len) {
  Reader r(data, Endian::little);
  ASSIGN_OR_RETURN(std::uint32_t magic, r.u32());
  if (magic != kUbifsMagic) return fail(Errc::not_found, "no UBIFS node magic");
  ASSIGN_OR_RETURN(std::uint32_t crc, r.u32());
  UbifsNode n;
  ASSIGN_OR_RETURN(n.sqnum, r.u64());
  ASSIGN_OR_RETURN(n.len, r.u32());
  ASSIGN_OR_RETURN(n.type, r.u8());
  std::uint32_t max_len = kUbifsMaxLebSize;
  switch (static_cast<UbifsNodeType>(n.type)) {
    case UbifsNodeType::ino: max_len = kInoNodeSize + kMaxInoData; break;
    case UbifsNodeType::data: max_len = kDataNodeSize + kUbifsBlockSize; break;
    case UbifsNodeType::dent:
    case UbifsNodeType::xent: max_len = kDentNodeSize + kMaxNameLen + 1; break;
    case UbifsNodeType::sb: max_len = kSbNodeSize; break;
    case UbifsNodeType::mst: max_len = kMstNodeSize; break;
    case UbifsNodeType::ref: max_len = kRefNodeSize; break;
    case UbifsNodeType::trun: max_len = 56; break;
    case UbifsNodeType::cs: max_len = 32; break;
    case UbifsNodeType::idx: max_len = max_idx_len; break;
    default: max_len = std::min<std::uint32_t>(max_idx_len, kUbifsMaxLebSize); break;
  }
  if (n.len < kUbifsChSize || n.len > max_len)
    return fail(Errc::malformed, fmt::format("UBIFS node length {} impossible for type {}", n.len, n.type));
  auto raw = data.sub(0, n.len);
  if (!raw) return fail(Errc::truncated, "UBIFS node extends beyond the LEB");
  n.raw = *raw;
  if (ubi_crc32(n.raw.tail(8)) != crc) return fail(Errc::malformed, "UBIFS node CRC mismatch");
  if (n.type > static_cast<std::uint8_t>(UbifsNodeType::sig))
    return fail(Errc::malformed, fmt::format("UBIFS node type {} unknown", n.type));
  return n;
}

Result<UbifsSuper> parse_ubifs_super(const UbifsNode& n) {
  TRY(want_type(n, UbifsNodeType::sb, kSbNodeSize, "superblock"));
  Reader r(n.raw, Endian::little);
  TRY(r.seek(26));
  UbifsSuper s;
  ASSIGN_OR_RETURN(s.key_hash, r.u8());
  ASSIGN_OR_RETURN(s.key_fmt, r.u8());
  ASSIGN_OR_RETURN(s.flags, r.u32());
  ASSIGN_OR_RETURN(s.min_io_size, r.u32());
  ASSIGN_OR_RETURN(s.leb_size, r.u32());
  ASSIGN_OR_RETURN(s.leb_cnt, r.u32());
  ASSIGN_OR_RETURN(s.max_leb_cnt, r.u32());
  TRY(r.skip(8));  // max_bud_bytes
  ASSIGN_OR_RETURN(s.log_lebs, r.u32());
  ASSIGN_OR_RETURN(s.lpt_lebs, r.u32());
  ASSIGN_OR_RETURN(s.orph_lebs, r.u32());
  ASSIGN_OR_RETURN(s.jhead_cnt, r.u32());
  ASSIGN_OR_RETURN(s.fanout, r.u32());
  TRY(r.skip(4));  // lsave_cnt
  ASSIGN_OR_RETURN(s.fmt_version, r.u32());
  ASSIGN_OR_RETURN(s.default_compr, r.u16());
  TRY(r.seek(124));
  ASSIGN_OR_RETURN(s.ro_compat_version, r.u32());
  if (s.leb_size < kUbifsMinLebSize || s.leb_size > kUbifsMaxLebSize || s.leb_size % 8 != 0)
    return fail(Errc::malformed, fmt::format("UBIFS LEB size {} impossible", s.leb_size));
  if (!pow2(s.min_io_size) || s.min_io_size > s.leb_size)
    return fail(Errc::malformed, fmt::format("UBIFS min I/O size {} impossible", s.min_io_size));
  if (s.leb_cnt < 3 || s.leb_cnt > s.max_leb_cnt || s.max_leb_cnt > (1u << 24))
    return fail(Errc::malformed, fmt::format("UBIFS LEB count {} / {} impossible", s.leb_cnt, s.max_leb_cnt));
  if (s.fmt_version < 1 || s.fmt_version > 5)
    return fail(Errc::unsupported, fmt::format("UBIFS format version {}", s.fmt_version));
  if (s.key_fmt != 0) return fail(Errc::unsupported, fmt::format("UBIFS key format {}", s.key_fmt));
  if (s.fanout < 3 || s.fanout > 65536) return fail(Errc::malformed, fmt::format("UBIFS fanout {} impossible", s.fanout));
  return s;
}

Result<UbifsMaster> parse_ubifs_master(const UbifsNode& n) {
  TRY(want_type(n, UbifsNodeType::mst, kMstNodeSize, "master"));
  Reader r(n.raw, Endian::little);
  TRY(r.seek(kUbifsChSize));
  UbifsMaster m;
  ASSIGN_OR_RETURN(m.highest_inum, r.u64());
  ASSIGN_OR_RETURN(m.cmt_no, r.u64());
  ASSIGN_OR_RETURN(m.flags, r.u32());
  ASSIGN_OR_RETURN(m.log_lnum, r.u32());
  ASSIGN_OR_RETURN(m.root_lnum, r.u32());
  ASSIGN_OR_RETURN(m.root_offs, r.u32());
  ASSIGN_OR_RETURN(m.root_len, r.u32());
  TRY(r.skip(12));  // gc_lnum, ihead_lnum, ihead_offs
  ASSIGN_OR_RETURN(m.index_size, r.u64());
  return m;
}

Result<UbifsIndex> parse_ubifs_index(const UbifsNode& n) {
  TRY(want_type(n, UbifsNodeType::idx, kIdxNodeSize, "index"));
  Reader r(n.raw, Endian::little);
  TRY(r.seek(kUbifsChSize));
  ASSIGN_OR_RETURN(std::uint16_t child_cnt, r.u16());
  UbifsIndex ix;
  ASSIGN_OR_RETURN(ix.level, r.u16());
  if (child_cnt == 0) return fail(Errc::malformed, "index node without branches");
  std::uint64_t body = n.raw.size() - kIdxNodeSize;
  if (body % child_cnt != 0 || body / child_cnt < kBranchSize)
    return fail(Errc::malformed, fmt::format("index node of {} bytes cannot hold {} branches", n.raw.size(), child_cnt));
  std::uint64_t bsz = body / child_cnt;
  ix.branches.reserve(child_cnt);
  for (std::uint32_t i = 0; i < child_cnt; ++i) {
    ASSIGN_OR_RETURN(ByteView b, n.raw.sub(kIdxNodeSize + i * bsz, bsz));
    Reader br(b, Endian::little);
    UbifsBranch br_;
    ASSIGN_OR_RETURN(br_.lnum, br.u32());
    ASSIGN_OR_RETURN(br_.offs, br.u32());
    ASSIGN_OR_RETURN(br_.len, br.u32());
    ASSIGN_OR_RETURN(ByteView key, br.bytes(8));
    br_.key = parse_ubifs_key(key);
    ix.branches.push_back(br_);
  }
  return ix;
}

Result<UbifsInode> parse_ubifs_inode(const UbifsNode& n) {
  TRY(want_type(n, UbifsNodeType::ino, kInoNodeSize, "inode"));
  Reader r(n.raw, Endian::little);
  TRY(r.seek(kUbifsChSize));
  UbifsInode in;
  ASSIGN_OR_RETURN(ByteView key, r.bytes(16));
  in.key = parse_ubifs_key(key);
  if (in.key.type != static_cast<std::uint8_t>(UbifsKeyType::ino))
    return fail(Errc::malformed, "inode node with a non-inode key");
  TRY(r.seek(48));
  ASSIGN_OR_RETURN(in.size, r.u64());
  TRY(r.seek(72));
  ASSIGN_OR_RETURN(std::uint64_t mtime, r.u64());
  in.mtime = static_cast<std::int64_t>(mtime);
  TRY(r.seek(92));
  ASSIGN_OR_RETURN(in.nlink, r.u32());
  ASSIGN_OR_RETURN(in.uid, r.u32());
  ASSIGN_OR_RETURN(in.gid, r.u32());
  ASSIGN_OR_RETURN(in.mode, r.u32());
  ASSIGN_OR_RETURN(in.flags, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t data_len, r.u32());
  TRY(r.seek(132));
  ASSIGN_OR_RETURN(in.compr_type, r.u16());
  if (data_len > kMaxInoData || data_len != n.raw.size() - kInoNodeSize)
    return fail(Errc::malformed, fmt::format("inode data length {} does not match the node", data_len));
  ASSIGN_OR_RETURN(in.data, n.raw.sub(kInoNodeSize, data_len));
  return in;
}

Result<UbifsDent> parse_ubifs_dent(const UbifsNode& n) {
  if (n.type != static_cast<std::uint8_t>(UbifsNodeType::dent) &&
      n.type != static_cast<std::uint8_t>(UbifsNodeType::xent))
    return fail(Errc::malformed, "not a directory entry node");
  if (n.raw.size() < kDentNodeSize) return fail(Errc::malformed, "directory entry node too short");
  Reader r(n.raw, Endian::little);
  TRY(r.seek(kUbifsChSize));
  UbifsDent d;
  ASSIGN_OR_RETURN(ByteView key, r.bytes(16));
  d.key = parse_ubifs_key(key);
  ASSIGN_OR_RETURN(d.inum, r.u64());
  TRY(r.skip(1));
  ASSIGN_OR_RETURN(d.itype, r.u8());
  ASSIGN_OR_RETURN(std::uint16_t nlen, r.u16());
  if (nlen == 0 || nlen > kMaxNameLen || n.raw.size() < kDentNodeSize + nlen)
    return fail(Errc::malformed, fmt::format("directory entry name length {} impossible", nlen));
  ASSIGN_OR_RETURN(ByteView name, n.raw.sub(kDentNodeSize, nlen));
  d.name = std::string(name.as_chars());
  if (d.itype > static_cast<std::uint8_t>(UbifsItype::sock))
    return fail(Errc::malformed, fmt::format("directory entry type {} unknown", d.itype));
  return d;
}

Result<UbifsData> parse_ubifs_data(const UbifsNode& n) {
  TRY(want_type(n, UbifsNodeType::data, kDataNodeSize, "data"));
  Reader r(n.raw, Endian::little);
  TRY(r.seek(kUbifsChSize));
  UbifsData d;
  ASSIGN_OR_RETURN(ByteView key, r.bytes(16));
  d.key = parse_ubifs_key(key);
  if (d.key.type != static_cast<std::uint8_t>(UbifsKeyType::data))
    return fail(Errc::malformed, "data node with a non-data key");
  ASSIGN_OR_RETURN(d.size, r.u32());
  ASSIGN_OR_RETURN(d.compr_type, r.u16());
  if (d.size > kUbifsBlockSize) return fail(Errc::malformed, fmt::format("data node of {} bytes", d.size));
  d.payload = n.raw.tail(kDataNodeSize);
  return d;
}

Result<UbifsRef> parse_ubifs_ref(const UbifsNode& n) {
  TRY(want_type(n, UbifsNodeType::ref, kRefNodeSize, "reference"));
  Reader r(n.raw, Endian::little);
  TRY(r.seek(kUbifsChSize));
  UbifsRef ref;
  ASSIGN_OR_RETURN(ref.lnum, r.u32());
  ASSIGN_OR_RETURN(ref.offs, r.u32());
  ASSIGN_OR_RETURN(ref.jhead, r.u32());
  return ref;
}

bool ubifs_decode_dev(ByteView data, std::uint32_t& major, std::uint32_t& minor) {
  // 4 bytes: new_encode_dev(); 8 bytes: huge_encode_dev(), the same encoding widened.
  if (data.size() != 4 && data.size() != 8) return false;
  Reader r(data, Endian::little);
  auto dev = r.u32();
  if (!dev) return false;
  major = (*dev & 0xFFF00u) >> 8;
  minor = (*dev & 0xFFu) | ((*dev >> 12) & 0xFFF00u);
  return true;
}

}  // namespace iotaudit::formats
