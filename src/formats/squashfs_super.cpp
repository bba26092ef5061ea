#include "formats/squashfs_super.hpp"

#include <bit>

namespace iotaudit::formats {

std::string SquashfsSuper::compression_name() const {
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

Result<SquashfsSuper> parse_squashfs_super(ByteView data, bool allow_truncated) {
  SquashfsSuper s;
  if (data.starts_with("hsqs")) {
    s.endian = Endian::little;
  } else if (data.starts_with("sqsh")) {
    s.endian = Endian::big;
  } else {
    return fail(Errc::malformed, "no squashfs magic");
  }
  if (data.size() < 96) return fail(Errc::truncated, "squashfs superblock truncated");
  Reader r(data, s.endian);
  // Version sits at offset 28 in every version of the format.
  TRY(r.seek(28));
  ASSIGN_OR_RETURN(s.version_major, r.u16());
  ASSIGN_OR_RETURN(s.version_minor, r.u16());
  if (s.version_major < 1 || s.version_major > 4)
    return fail(Errc::malformed, "implausible squashfs version");
  if (s.version_major < 4) return s;  // older layouts are validated by their own readers

  TRY(r.seek(4));
  ASSIGN_OR_RETURN(s.inodes, r.u32());
  TRY(r.skip(4));  // mkfs time
  ASSIGN_OR_RETURN(s.block_size, r.u32());
  TRY(r.skip(4));  // fragment count
  ASSIGN_OR_RETURN(s.compression, r.u16());
  ASSIGN_OR_RETURN(std::uint16_t block_log, r.u16());
  TRY(r.seek(40));
  ASSIGN_OR_RETURN(s.bytes_used, r.u64());
  ASSIGN_OR_RETURN(std::uint64_t id_table, r.u64());
  TRY(r.skip(8));  // xattr table
  ASSIGN_OR_RETURN(std::uint64_t inode_table, r.u64());
  ASSIGN_OR_RETURN(std::uint64_t dir_table, r.u64());

  if (s.version_minor != 0) return fail(Errc::malformed, "squashfs 4.x minor version not 0");
  if (!std::has_single_bit(s.block_size) || s.block_size < 4096 || s.block_size > (1u << 20))
    return fail(Errc::malformed, "squashfs block size invalid");
  if (block_log > 20 || (1u << block_log) != s.block_size)
    return fail(Errc::malformed, "squashfs block_log does not match block size");
  if (s.compression < 1 || s.compression > 6)
    return fail(Errc::malformed, "squashfs compressor id unknown");
  if (s.bytes_used < 96) return fail(Errc::malformed, "squashfs bytes_used too small");
  if (inode_table >= s.bytes_used || dir_table >= s.bytes_used || inode_table > dir_table ||
      id_table >= s.bytes_used)
    return fail(Errc::malformed, "squashfs table offsets outside the filesystem");
  if (s.bytes_used > data.size() && !allow_truncated)
    return fail(Errc::truncated, "squashfs bytes_used exceeds available data");
  return s;
}

}  // namespace iotaudit::formats
