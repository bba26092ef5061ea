#include "formats/squashfs4.hpp"

#include <bit>

#include <fmt/format.h>

namespace iotaudit::formats {

std::string Squashfs4Super::compression_name() const {
  switch (compression) {
    case 1: return "gzip";
    case 2: return "lzma";
    case 3: return "lzo";
    case 4: return "xz";
    case 5: return "lz4";
    case 6: return "zstd";
    default: return "unknown";
  }
}

std::string Squashfs4Super::describe() const {
  return fmt::format("v4.0 {}-endian {}, {}-byte blocks, {} inodes", endian == Endian::little ? "little" : "big",
                     compression_name(), block_size, inodes);
}

Result<Squashfs4Super> parse_squashfs4_super(ByteView data, bool allow_truncated) {
  Squashfs4Super s;
  if (data.starts_with("hsqs")) {
    s.endian = Endian::little;
  } else if (data.starts_with("sqsh")) {
    s.endian = Endian::big;
  } else {
    return fail(Errc::malformed, "no squashfs magic");
  }
  if (data.size() < kSq4SuperSize) return fail(Errc::truncated, "squashfs superblock truncated");
  Reader r(data, s.endian);
  TRY(r.seek(4));
  ASSIGN_OR_RETURN(s.inodes, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t mkfs, r.u32());
  s.mkfs_time = mkfs;
  ASSIGN_OR_RETURN(s.block_size, r.u32());
  ASSIGN_OR_RETURN(s.fragments, r.u32());
  ASSIGN_OR_RETURN(s.compression, r.u16());
  ASSIGN_OR_RETURN(s.block_log, r.u16());
  ASSIGN_OR_RETURN(s.flags, r.u16());
  ASSIGN_OR_RETURN(s.no_ids, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t major, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t minor, r.u16());
  ASSIGN_OR_RETURN(std::uint64_t root, r.u64());
  ASSIGN_OR_RETURN(s.bytes_used, r.u64());
  ASSIGN_OR_RETURN(s.id_table_start, r.u64());
  ASSIGN_OR_RETURN(s.xattr_id_table_start, r.u64());
  ASSIGN_OR_RETURN(s.inode_table_start, r.u64());
  ASSIGN_OR_RETURN(s.directory_table_start, r.u64());
  ASSIGN_OR_RETURN(s.fragment_table_start, r.u64());
  ASSIGN_OR_RETURN(s.lookup_table_start, r.u64());

  if (major != 4 || minor != 0) return fail(Errc::malformed, fmt::format("not a squashfs 4.0 superblock ({}.{})", major, minor));
  if (!std::has_single_bit(s.block_size) || s.block_size < 4096 || s.block_size > (1u << 20))
    return fail(Errc::malformed, "squashfs block size invalid");
  if (s.block_log > 20 || (1u << s.block_log) != s.block_size)
    return fail(Errc::malformed, "squashfs block_log does not match block size");
  if (s.compression < 1 || s.compression > 6) return fail(Errc::malformed, "squashfs compressor id unknown");
  if (s.bytes_used < kSq4SuperSize || s.bytes_used > (std::uint64_t{1} << 48))
    return fail(Errc::malformed, "squashfs bytes_used implausible");
  if (s.inode_table_start < kSq4SuperSize || s.inode_table_start >= s.directory_table_start ||
      s.directory_table_start >= s.bytes_used)
    return fail(Errc::malformed, "squashfs inode/directory table offsets out of order");
  if (s.no_ids == 0) return fail(Errc::malformed, "squashfs id count is zero");
  if (s.id_table_start <= s.directory_table_start || s.id_table_start >= s.bytes_used ||
      s.id_index_count() * 8 > s.bytes_used - s.id_table_start)
    return fail(Errc::malformed, "squashfs id table outside the filesystem");
  s.root_block = static_cast<std::uint32_t>((root >> 16) & 0xffffffffu);
  s.root_offset = static_cast<std::uint32_t>(root & 0xffff);
  if ((root >> 48) != 0 || s.root_offset >= kSq4MetadataSize ||
      s.root_block >= s.directory_table_start - s.inode_table_start)
    return fail(Errc::malformed, "squashfs root inode reference outside the inode table");
  // Optional tables: an implausible pointer only loses what the table serves.
  auto optional_table = [&](std::uint64_t& v) {
    if (v != kSq4NoTable && (v <= s.directory_table_start || v >= s.bytes_used)) v = kSq4NoTable;
  };
  optional_table(s.fragment_table_start);
  optional_table(s.lookup_table_start);
  optional_table(s.xattr_id_table_start);
  if (s.bytes_used > data.size() && !allow_truncated)
    return fail(Errc::truncated, "squashfs bytes_used exceeds available data");
  return s;
}

Result<Sq4MetaHeader> parse_sq4_meta_header(ByteView at, Endian e) {
  Reader r(at, e);
  ASSIGN_OR_RETURN(std::uint16_t word, r.u16());
  Sq4MetaHeader h;
  h.compressed = (word & 0x8000u) == 0;
  h.size = word & 0x7fffu;
  if (h.size == 0 || h.size > kSq4MetadataSize)
    return fail(Errc::malformed, fmt::format("metadata block length {} out of range", h.size));
  return h;
}

std::uint32_t sq4_inode_fixed_size(std::uint16_t type) {
  switch (type) {
    case 1: return 32;   // directory
    case 2: return 32;   // regular file
    case 3: return 24;   // symlink
    case 4: case 5: return 24;   // block, character device
    case 6: case 7: return 20;   // fifo, socket
    case 8: return 40;   // extended directory
    case 9: return 56;   // extended file
    case 10: return 24;  // extended symlink (xattr index follows the target)
    case 11: case 12: return 28;
    case 13: case 14: return 24;
    default: return 0;
  }
}

Result<std::uint16_t> sq4_inode_type(ByteView at, Endian e) {
  Reader r(at, e);
  return r.u16();
}

namespace {

Sq4Kind kind_of(std::uint16_t t) {
  switch (t) {
    case 1: case 8: return Sq4Kind::directory;
    case 2: case 9: return Sq4Kind::file;
    case 3: case 10: return Sq4Kind::symlink;
    case 4: case 11: return Sq4Kind::block_device;
    case 5: case 12: return Sq4Kind::char_device;
    case 6: case 13: return Sq4Kind::fifo;
    default: return Sq4Kind::socket;
  }
}

void set_blocks(Sq4Inode& in, const Squashfs4Super& sb) {
  const std::uint64_t bs = sb.block_size;
  if (in.fragment == kSq4NoFragment) {
    in.block_count = in.file_size / bs + (in.file_size % bs != 0 ? 1 : 0);
    in.tail_bytes = 0;
  } else {
    in.block_count = in.file_size / bs;
    in.tail_bytes = in.file_size % bs;
  }
}

}  // namespace

Result<Sq4Inode> parse_sq4_inode(ByteView at, const Squashfs4Super& sb) {
  Reader r(at, sb.endian);
  Sq4Inode in;
  ASSIGN_OR_RETURN(in.raw_type, r.u16());
  in.fixed_bytes = sq4_inode_fixed_size(in.raw_type);
  if (in.fixed_bytes == 0) return fail(Errc::malformed, fmt::format("invalid inode type {}", in.raw_type));
  if (at.size() < in.fixed_bytes) return fail(Errc::truncated, fmt::format("inode of type {} truncated", in.raw_type));
  in.kind = kind_of(in.raw_type);
  ASSIGN_OR_RETURN(std::uint16_t mode, r.u16());
  in.mode = mode & 07777u;
  ASSIGN_OR_RETURN(in.uid_index, r.u16());
  ASSIGN_OR_RETURN(in.gid_index, r.u16());
  ASSIGN_OR_RETURN(std::uint32_t mtime, r.u32());
  in.mtime = mtime;
  ASSIGN_OR_RETURN(in.inode_number, r.u32());
  switch (in.raw_type) {
    case 1: {
      ASSIGN_OR_RETURN(in.dir_block, r.u32());
      ASSIGN_OR_RETURN(in.nlink, r.u32());
      ASSIGN_OR_RETURN(std::uint16_t size, r.u16());
      ASSIGN_OR_RETURN(std::uint16_t offset, r.u16());
      ASSIGN_OR_RETURN(in.parent_inode, r.u32());
      // The stored size counts 3 bytes for the implicit "." and ".." entries.
      in.dir_listing_bytes = size >= 3 ? size - 3u : 0;
      in.dir_offset = offset;
      break;
    }
    case 8: {
      ASSIGN_OR_RETURN(in.nlink, r.u32());
      ASSIGN_OR_RETURN(std::uint32_t size, r.u32());
      ASSIGN_OR_RETURN(in.dir_block, r.u32());
      ASSIGN_OR_RETURN(in.parent_inode, r.u32());
      TRY(r.skip(2));  // directory index count: only a lookup aid
      ASSIGN_OR_RETURN(std::uint16_t offset, r.u16());
      in.dir_listing_bytes = size >= 3 ? size - 3u : 0;
      in.dir_offset = offset;
      break;
    }
    case 2: {
      ASSIGN_OR_RETURN(std::uint32_t start, r.u32());
      ASSIGN_OR_RETURN(in.fragment, r.u32());
      ASSIGN_OR_RETURN(in.fragment_offset, r.u32());
      ASSIGN_OR_RETURN(std::uint32_t size, r.u32());
      in.start_block = start;
      in.file_size = size;
      set_blocks(in, sb);
      break;
    }
    case 9: {
      ASSIGN_OR_RETURN(in.start_block, r.u64());
      ASSIGN_OR_RETURN(in.file_size, r.u64());
      TRY(r.skip(8));  // bytes saved by sparse blocks
      ASSIGN_OR_RETURN(in.nlink, r.u32());
      ASSIGN_OR_RETURN(in.fragment, r.u32());
      ASSIGN_OR_RETURN(in.fragment_offset, r.u32());
      if (in.file_size >> 62) return fail(Errc::malformed, "file size implausible");
      set_blocks(in, sb);
      break;
    }
    case 3: case 10: {
      ASSIGN_OR_RETURN(in.nlink, r.u32());
      ASSIGN_OR_RETURN(in.target_size, r.u32());
      break;
    }
    case 4: case 5: case 11: case 12: {
      ASSIGN_OR_RETURN(in.nlink, r.u32());
      ASSIGN_OR_RETURN(in.rdev, r.u32());
      break;
    }
    default: {
      ASSIGN_OR_RETURN(in.nlink, r.u32());
      break;
    }
  }
  return in;
}

Sq4Block sq4_block(std::uint32_t word) {
  return Sq4Block{word & 0xffffffu, (word & (1u << 24)) == 0};
}

Result<std::vector<Sq4Block>> parse_sq4_block_list(ByteView at, std::uint64_t count, Endian e) {
  if (count > at.size() / 4) return fail(Errc::truncated, "block list extends beyond the data given");
  std::vector<Sq4Block> out;
  out.reserve(static_cast<std::size_t>(count));
  Reader r(at, e);
  for (std::uint64_t i = 0; i < count; ++i) {
    ASSIGN_OR_RETURN(std::uint32_t v, r.u32());
    out.push_back(sq4_block(v));
  }
  return out;
}

Result<Sq4DirHeader> parse_sq4_dir_header(ByteView at, Endian e) {
  Reader r(at, e);
  Sq4DirHeader h;
  ASSIGN_OR_RETURN(std::uint32_t count, r.u32());
  ASSIGN_OR_RETURN(h.start_block, r.u32());
  ASSIGN_OR_RETURN(h.inode_number, r.u32());
  if (count >= kSq4MaxDirCount)
    return fail(Errc::malformed, fmt::format("directory header claims {} entries (at most {})", count + 1ull, kSq4MaxDirCount));
  h.count = count + 1;
  return h;
}

Result<Sq4DirEntry> parse_sq4_dir_entry(ByteView at, Endian e) {
  Reader r(at, e);
  Sq4DirEntry d;
  ASSIGN_OR_RETURN(std::uint16_t offset, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t delta, r.u16());
  ASSIGN_OR_RETURN(d.type, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t size, r.u16());
  d.offset = offset;
  d.inode_delta = static_cast<std::int16_t>(delta);
  d.name_size = size + 1u;
  if (d.offset >= kSq4MetadataSize) return fail(Errc::malformed, fmt::format("directory entry inode offset {} out of range", d.offset));
  if (d.type < 1 || d.type > 14) return fail(Errc::malformed, fmt::format("directory entry type {} invalid", d.type));
  if (d.name_size > 256) return fail(Errc::malformed, fmt::format("directory entry name of {} bytes", d.name_size));
  return d;
}

Result<Sq4Fragment> parse_sq4_fragment(ByteView at, Endian e) {
  Reader r(at, e);
  Sq4Fragment f;
  ASSIGN_OR_RETURN(f.start, r.u64());
  ASSIGN_OR_RETURN(std::uint32_t size, r.u32());
  f.block = sq4_block(size);
  return f;
}

}  // namespace iotaudit::formats
