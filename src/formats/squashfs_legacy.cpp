#include "formats/squashfs_legacy.hpp"

#include <bit>

#include <fmt/format.h>

namespace iotaudit::formats {

std::uint64_t sql_bits(ByteView rec, unsigned pos, unsigned width, Endian e) {
  if (width == 0 || width > 64 || (pos + width - 1) / 8 >= rec.size()) return 0;  // callers check sizes first
  const std::uint8_t* p = rec.data();
  std::uint64_t v = 0;
  // Bit by bit: fields straddle bytes at any bit position, and records are short.
  for (unsigned i = 0; i < width; ++i) {
    const unsigned bit = pos + i;
    if (e == Endian::little)
      v |= static_cast<std::uint64_t>((p[bit / 8] >> (bit % 8)) & 1u) << i;
    else
      v = (v << 1) | ((p[bit / 8] >> (7 - bit % 8)) & 1u);
  }
  return v;
}

std::string SquashfsLegacySuper::describe() const {
  return fmt::format("v{}.{} {}-endian '{}'", major, minor, endian == Endian::little ? "little" : "big", magic);
}

namespace {

// Standard magics fix the byte order; the vendor ones are told apart by the version field.
bool known_magic(std::string_view m) {
  return m == "hsqs" || m == "sqsh" || m == "hsqt" || m == "tqsh" || m == "shsq" || m == "qshs";
}

}  // namespace

Result<SquashfsLegacySuper> parse_squashfs_legacy_super(ByteView data, bool allow_truncated) {
  if (data.size() < 4) return fail(Errc::truncated, "squashfs superblock truncated");
  SquashfsLegacySuper s;
  s.magic = std::string(data.head(4).as_chars());
  if (!known_magic(s.magic)) return fail(Errc::malformed, "no squashfs magic");
  if (data.size() < 63) return fail(Errc::truncated, "squashfs superblock truncated");
  auto version_at = [&](Endian e) { return load_endian<std::uint16_t>(data.data() + 28, e); };
  if (s.magic == "hsqs") {
    s.endian = Endian::little;
  } else if (s.magic == "sqsh") {
    s.endian = Endian::big;
  } else {
    std::uint16_t le = version_at(Endian::little);
    s.endian = (le >= 1 && le <= 3) ? Endian::little : Endian::big;
  }
  Reader r(data, s.endian);
  TRY(r.seek(4));
  ASSIGN_OR_RETURN(s.inodes, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t bytes_used_2, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t uid_start_2, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t guid_start_2, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t inode_table_start_2, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t directory_table_start_2, r.u32());
  ASSIGN_OR_RETURN(s.major, r.u16());
  ASSIGN_OR_RETURN(s.minor, r.u16());
  if (s.major < 1 || s.major > 3) return fail(Errc::malformed, "not a squashfs 1.x-3.x superblock");
  if ((s.major == 1 && s.minor != 0) || s.minor > 1)
    return fail(Errc::malformed, fmt::format("unknown squashfs minor version {}.{}", s.major, s.minor));
  ASSIGN_OR_RETURN(std::uint16_t block_size_1, r.u16());
  ASSIGN_OR_RETURN(s.block_log, r.u16());
  ASSIGN_OR_RETURN(s.flags, r.u8());
  ASSIGN_OR_RETURN(s.no_uids, r.u8());
  ASSIGN_OR_RETURN(s.no_guids, r.u8());
  ASSIGN_OR_RETURN(std::uint32_t mkfs, r.u32());
  s.mkfs_time = static_cast<std::int32_t>(mkfs);
  ASSIGN_OR_RETURN(std::uint64_t root, r.u64());
  s.root_block = static_cast<std::uint32_t>(root >> 16);
  s.root_offset = static_cast<std::uint32_t>(root & 0xffff);
  ASSIGN_OR_RETURN(std::uint32_t block_size, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t fragments, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t fragment_table_start_2, r.u32());

  if (s.major == 3) {
    if (data.size() < 119) return fail(Errc::truncated, "squashfs 3.x superblock truncated");
    s.super_size = 119;
    ASSIGN_OR_RETURN(s.bytes_used, r.u64());
    ASSIGN_OR_RETURN(s.uid_start, r.u64());
    ASSIGN_OR_RETURN(s.guid_start, r.u64());
    ASSIGN_OR_RETURN(s.inode_table_start, r.u64());
    ASSIGN_OR_RETURN(s.directory_table_start, r.u64());
    ASSIGN_OR_RETURN(s.fragment_table_start, r.u64());
    ASSIGN_OR_RETURN(s.lookup_table_start, r.u64());
    // 3.0 left this field unused; mksquashfs 3.0 wrote 0 or all-ones there.
    if (s.minor == 0 || s.lookup_table_start == 0) s.lookup_table_start = kSqlNoTable;
    s.block_size = block_size;
    s.fragments = fragments;
  } else {
    s.super_size = 63;
    s.bytes_used = bytes_used_2;
    s.uid_start = uid_start_2;
    s.guid_start = guid_start_2;
    s.inode_table_start = inode_table_start_2;
    s.directory_table_start = directory_table_start_2;
    if (s.major == 2) {
      s.block_size = block_size;
      s.fragments = fragments;
      s.fragment_table_start = fragment_table_start_2;
    } else {
      s.block_size = block_size_1;  // 1.x: 16-bit field, no fragments
      s.fragments = 0;
    }
  }

  if (!std::has_single_bit(s.block_size) || s.block_size < 512 || s.block_size > (1u << 20))
    return fail(Errc::malformed, "squashfs block size invalid");
  if (s.block_log > 20 || (1u << s.block_log) != s.block_size)
    return fail(Errc::malformed, "squashfs block_log does not match block size");
  if (s.bytes_used < s.super_size) return fail(Errc::malformed, "squashfs bytes_used too small");
  if (s.inode_table_start < s.super_size || s.inode_table_start >= s.directory_table_start ||
      s.directory_table_start > s.bytes_used)
    return fail(Errc::malformed, "squashfs inode/directory table offsets out of order");
  if (s.no_uids == 0) return fail(Errc::malformed, "squashfs uid count is zero");
  if (s.uid_start < s.directory_table_start || s.uid_start + 4ull * s.no_uids > s.bytes_used)
    return fail(Errc::malformed, "squashfs uid table outside the filesystem");
  if (s.no_guids > 0 &&
      (s.guid_start < s.directory_table_start || s.guid_start + 4ull * s.no_guids > s.bytes_used))
    return fail(Errc::malformed, "squashfs gid table outside the filesystem");
  if (s.has_fragments() && (s.fragment_table_start < s.directory_table_start || s.fragment_table_start >= s.bytes_used))
    return fail(Errc::malformed, "squashfs fragment table outside the filesystem");
  if (s.lookup_table_start != kSqlNoTable && s.lookup_table_start >= s.bytes_used)
    s.lookup_table_start = kSqlNoTable;  // only an NFS aid; not worth refusing the image
  if (s.root_offset >= kSqlMetadataSize || s.root_block >= s.directory_table_start - s.inode_table_start)
    return fail(Errc::malformed, "squashfs root inode reference outside the inode table");
  if (s.bytes_used > data.size() && !allow_truncated)
    return fail(Errc::truncated, "squashfs bytes_used exceeds available data");
  return s;
}

Result<SqlMetaHeader> parse_sql_meta_header(ByteView at, const SquashfsLegacySuper& sb) {
  Reader r(at, sb.endian);
  ASSIGN_OR_RETURN(std::uint16_t word, r.u16());
  SqlMetaHeader h;
  h.compressed = (word & 0x8000u) == 0;
  h.size = word & 0x7fffu;
  if (h.size == 0) h.size = 0x8000u;  // SQUASHFS_COMPRESSED_SIZE: an empty length means 32 KiB
  h.header_bytes = sb.check_data() ? 3 : 2;
  if (sb.check_data()) TRY(r.skip(1));
  return h;
}

namespace {

struct Rec {
  ByteView v;
  Endian e;
  std::uint64_t operator()(unsigned pos, unsigned width) const { return sql_bits(v, pos, width, e); }
};

Status need(ByteView at, std::uint64_t n, const char* what) {
  if (at.size() < n) return fail(Errc::truncated, fmt::format("{} inode truncated", what));
  return {};
}

SqlKind kind_of(unsigned t) {
  switch (t) {
    case 1: case 8: return SqlKind::directory;
    case 2: case 9: return SqlKind::file;
    case 3: return SqlKind::symlink;
    case 4: return SqlKind::block_device;
    case 5: return SqlKind::char_device;
    case 6: return SqlKind::fifo;
    default: return SqlKind::socket;
  }
}

void set_blocks(SqlInode& in, const SquashfsLegacySuper& sb) {
  const std::uint64_t bs = sb.block_size;
  if (sb.major == 1 || in.fragment == kSqlNoFragment) {
    in.fragment = kSqlNoFragment;
    in.block_count = in.file_size / bs + (in.file_size % bs != 0 ? 1 : 0);
    in.tail_bytes = 0;
  } else {
    in.block_count = in.file_size / bs;
    in.tail_bytes = in.file_size % bs;
  }
}

Status read_symlink(SqlInode& in, ByteView at, std::uint32_t fixed, std::uint32_t len) {
  auto t = at.sub(fixed, len);
  if (!t) return fail(Errc::truncated, "symlink target truncated");
  in.target = std::string(t->as_chars());
  in.header_bytes = fixed + len;
  return {};
}

Result<SqlInode> parse_v1(ByteView at, const SquashfsLegacySuper& sb) {
  TRY(need(at, 3, "1.x"));
  Rec b{at, sb.endian};
  SqlInode in;
  unsigned t = static_cast<unsigned>(b(0, 4));
  in.raw_type = static_cast<std::uint8_t>(t);
  in.mode = static_cast<std::uint32_t>(b(4, 12));
  unsigned uid4 = static_cast<unsigned>(b(16, 4)), guid4 = static_cast<unsigned>(b(20, 4));
  in.gid_index = guid4;
  in.gid_from_uid = guid4 == 15;
  if (t == 0) {
    // IPC inode: the sub-type says fifo or socket, and `offset` holds the uid's high bits.
    TRY(need(at, 4, "1.x ipc"));
    in.kind = b(24, 4) == 7 ? SqlKind::socket : SqlKind::fifo;
    in.uid_index = static_cast<std::uint32_t>(b(28, 4) * 16 + uid4);
    in.header_bytes = 4;
    return in;
  }
  // 1.x folds the uid's high bits into the type: 15 type codes = 3 uid banks of 5 types.
  unsigned kind = (t - 1) % 5 + 1;
  in.uid_index = (t - 1) / 5 * 16 + uid4;
  in.kind = kind_of(kind);
  switch (kind) {
    case 1:
      TRY(need(at, 14, "1.x directory"));
      in.dir_listing_bytes = static_cast<std::uint32_t>(b(24, 19));
      in.dir_offset = static_cast<std::uint32_t>(b(43, 13));
      in.mtime = static_cast<std::int32_t>(b(56, 32));
      in.dir_block = static_cast<std::uint32_t>(b(88, 24));
      in.header_bytes = 14;
      break;
    case 2:
      TRY(need(at, 15, "1.x file"));
      in.mtime = static_cast<std::int32_t>(b(24, 32));
      in.start_block = b(56, 32);
      in.file_size = b(88, 32);
      in.header_bytes = 15;
      set_blocks(in, sb);
      break;
    case 3:
      TRY(need(at, 5, "1.x symlink"));
      TRY(read_symlink(in, at, 5, static_cast<std::uint32_t>(b(24, 16))));
      break;
    default:  // block and character devices
      TRY(need(at, 5, "1.x device"));
      in.rdev = static_cast<std::uint32_t>(b(24, 16));
      in.header_bytes = 5;
      break;
  }
  return in;
}

Result<SqlInode> parse_v2(ByteView at, const SquashfsLegacySuper& sb) {
  TRY(need(at, 4, "2.x"));
  Rec b{at, sb.endian};
  SqlInode in;
  unsigned t = static_cast<unsigned>(b(0, 4));
  if (t < 1 || t > 8) return fail(Errc::malformed, fmt::format("invalid 2.x inode type {}", t));
  in.raw_type = static_cast<std::uint8_t>(t);
  in.kind = kind_of(t);
  in.mode = static_cast<std::uint32_t>(b(4, 12));
  in.uid_index = static_cast<std::uint32_t>(b(16, 8));
  in.gid_index = static_cast<std::uint32_t>(b(24, 8));
  in.gid_from_uid = in.gid_index == 255;
  switch (t) {
    case 1:
      TRY(need(at, 15, "2.x directory"));
      in.dir_listing_bytes = static_cast<std::uint32_t>(b(32, 19));
      in.dir_offset = static_cast<std::uint32_t>(b(51, 13));
      in.mtime = static_cast<std::int32_t>(b(64, 32));
      in.dir_block = static_cast<std::uint32_t>(b(96, 24));
      in.header_bytes = 15;
      break;
    case 8:
      TRY(need(at, 18, "2.x long directory"));
      in.dir_listing_bytes = static_cast<std::uint32_t>(b(32, 27));
      in.dir_offset = static_cast<std::uint32_t>(b(59, 13));
      in.mtime = static_cast<std::int32_t>(b(72, 32));
      in.dir_block = static_cast<std::uint32_t>(b(104, 24));
      in.header_bytes = 18;
      break;
    case 2:
      TRY(need(at, 24, "2.x file"));
      in.mtime = static_cast<std::int32_t>(b(32, 32));
      in.start_block = b(64, 32);
      in.fragment = static_cast<std::uint32_t>(b(96, 32));
      in.fragment_offset = static_cast<std::uint32_t>(b(128, 32));
      in.file_size = b(160, 32);
      in.header_bytes = 24;
      set_blocks(in, sb);
      break;
    case 3:
      TRY(need(at, 6, "2.x symlink"));
      TRY(read_symlink(in, at, 6, static_cast<std::uint32_t>(b(32, 16))));
      break;
    case 4: case 5:
      TRY(need(at, 6, "2.x device"));
      in.rdev = static_cast<std::uint32_t>(b(32, 16));
      in.header_bytes = 6;
      break;
    default:
      in.header_bytes = 4;
      break;
  }
  return in;
}

Result<SqlInode> parse_v3(ByteView at, const SquashfsLegacySuper& sb) {
  TRY(need(at, 12, "3.x"));
  Rec b{at, sb.endian};
  SqlInode in;
  unsigned t = static_cast<unsigned>(b(0, 4));
  if (t < 1 || t > 9) return fail(Errc::malformed, fmt::format("invalid 3.x inode type {}", t));
  in.raw_type = static_cast<std::uint8_t>(t);
  in.kind = kind_of(t);
  in.mode = static_cast<std::uint32_t>(b(4, 12));
  in.uid_index = static_cast<std::uint32_t>(b(16, 8));
  in.gid_index = static_cast<std::uint32_t>(b(24, 8));
  in.gid_from_uid = in.gid_index == 255;
  in.mtime = static_cast<std::int32_t>(b(32, 32));
  in.inode_number = static_cast<std::uint32_t>(b(64, 32));
  switch (t) {
    case 1: {
      TRY(need(at, 28, "3.x directory"));
      auto size = static_cast<std::uint32_t>(b(128, 19));
      // The stored size counts 3 bytes for the implicit "." and ".." entries.
      in.dir_listing_bytes = size >= 3 ? size - 3 : 0;
      in.dir_offset = static_cast<std::uint32_t>(b(147, 13));
      in.dir_block = static_cast<std::uint32_t>(b(160, 32));
      in.header_bytes = 28;
      break;
    }
    case 8: {
      TRY(need(at, 31, "3.x long directory"));
      auto size = static_cast<std::uint32_t>(b(128, 27));
      in.dir_listing_bytes = size >= 3 ? size - 3 : 0;
      in.dir_offset = static_cast<std::uint32_t>(b(155, 13));
      in.dir_block = static_cast<std::uint32_t>(b(168, 32));
      in.header_bytes = 31;
      break;
    }
    case 2:
      TRY(need(at, 32, "3.x file"));
      in.start_block = b(96, 64);
      in.fragment = static_cast<std::uint32_t>(b(160, 32));
      in.fragment_offset = static_cast<std::uint32_t>(b(192, 32));
      in.file_size = b(224, 32);
      in.header_bytes = 32;
      set_blocks(in, sb);
      break;
    case 9:
      TRY(need(at, 40, "3.x long file"));
      in.start_block = b(128, 64);
      in.fragment = static_cast<std::uint32_t>(b(192, 32));
      in.fragment_offset = static_cast<std::uint32_t>(b(224, 32));
      in.file_size = b(256, 64);
      if (in.file_size >> 62) return fail(Errc::malformed, "3.x file size implausible");
      in.header_bytes = 40;
      set_blocks(in, sb);
      break;
    case 3:
      TRY(need(at, 18, "3.x symlink"));
      TRY(read_symlink(in, at, 18, static_cast<std::uint32_t>(b(128, 16))));
      break;
    case 4: case 5:
      TRY(need(at, 18, "3.x device"));
      in.rdev = static_cast<std::uint32_t>(b(128, 16));
      in.header_bytes = 18;
      break;
    default:
      TRY(need(at, 16, "3.x ipc"));
      in.header_bytes = 16;
      break;
  }
  return in;
}

}  // namespace

Result<SqlInode> parse_sql_inode(ByteView at, const SquashfsLegacySuper& sb) {
  switch (sb.major) {
    case 1: return parse_v1(at, sb);
    case 2: return parse_v2(at, sb);
    default: return parse_v3(at, sb);
  }
}

Result<std::vector<SqlBlock>> parse_sql_block_list(ByteView at, std::uint64_t count, const SquashfsLegacySuper& sb) {
  const unsigned w = sb.block_entry_bytes();
  if (count > at.size() / w) return fail(Errc::truncated, "block list extends beyond the inode table");
  std::vector<SqlBlock> out;
  out.reserve(static_cast<std::size_t>(count));
  Reader r(at, sb.endian);
  for (std::uint64_t i = 0; i < count; ++i) {
    SqlBlock b;
    if (w == 2) {
      ASSIGN_OR_RETURN(std::uint16_t v, r.u16());
      b.compressed = (v & 0x8000u) == 0;
      b.size = v & 0x7fffu;
    } else {
      ASSIGN_OR_RETURN(std::uint32_t v, r.u32());
      b.compressed = (v & (1u << 24)) == 0;
      b.size = v & 0xffffffu;
    }
    out.push_back(b);
  }
  return out;
}

SqlDirListing parse_sql_directory(ByteView at, std::uint64_t size, const SquashfsLegacySuper& sb) {
  SqlDirListing out;
  const bool v3 = sb.major == 3;
  const unsigned hdr_len = v3 ? 9 : 4, ent_len = v3 ? 5 : 3;
  std::uint64_t pos = 0;
  while (pos < size) {
    auto h = at.sub(pos, hdr_len);
    if (!h || pos + hdr_len > size) {
      out.error = Error{Errc::truncated, "directory header truncated"};
      return out;
    }
    Rec hb{*h, sb.endian};
    std::uint32_t count = static_cast<std::uint32_t>(hb(0, 8)) + 1;
    auto start = static_cast<std::uint32_t>(v3 ? hb(8, 32) : hb(8, 24));
    pos += hdr_len;
    // count is 8 bits, so at most kSqlMaxDirCount entries follow each header.
    for (std::uint32_t i = 0; i < count; ++i) {
      auto e = at.sub(pos, ent_len);
      if (!e || pos + ent_len > size) {
        out.error = Error{Errc::truncated, "directory entry truncated"};
        return out;
      }
      Rec eb{*e, sb.endian};
      SqlDirEntry d;
      d.inode_offset = static_cast<std::uint32_t>(eb(0, 13));
      d.type = static_cast<std::uint32_t>(eb(13, 3));
      auto name_len = static_cast<std::uint32_t>(eb(16, 8)) + 1;
      d.inode_block = start;
      pos += ent_len;
      auto n = at.sub(pos, name_len);
      if (!n || pos + name_len > size) {
        out.error = Error{Errc::truncated, "directory entry name truncated"};
        return out;
      }
      d.name = std::string(n->as_chars());
      pos += name_len;
      out.entries.push_back(std::move(d));
    }
  }
  return out;
}

Result<SqlFragment> parse_sql_fragment(ByteView at, const SquashfsLegacySuper& sb) {
  Reader r(at, sb.endian);
  SqlFragment f;
  std::uint32_t size = 0;
  if (sb.major == 2) {
    ASSIGN_OR_RETURN(std::uint32_t start, r.u32());
    f.start = start;
    ASSIGN_OR_RETURN(size, r.u32());
  } else {
    ASSIGN_OR_RETURN(f.start, r.u64());
    ASSIGN_OR_RETURN(size, r.u32());
  }
  f.compressed = (size & (1u << 24)) == 0;
  f.size = size & 0xffffffu;
  return f;
}

}  // namespace iotaudit::formats
