#pragma once
// SquashFS superblock (all versions share the magic and the version field position), parsed into
// a domain struct for carving validation and for telling supported from unsupported variants.
// Reference: squashfs-tools squashfs_fs.h; Linux fs/squashfs/squashfs_fs.h.
#include <cstdint>
#include <string>

#include "core/bytes.hpp"

namespace iotaudit::formats {

struct SquashfsSuper {
  Endian endian = Endian::little;
  std::uint16_t version_major = 0, version_minor = 0;
  std::uint32_t inodes = 0;
  std::uint32_t block_size = 0;
  std::uint16_t compression = 0;  // v4: 1 gzip, 2 lzma, 3 lzo, 4 xz, 5 lz4, 6 zstd
  std::uint64_t bytes_used = 0;   // 0 when the version does not record it in a known place
  std::string compression_name() const;
};

inline constexpr std::uint32_t kSquashfsMagicLe = 0x73717368;  // "hsqs" on disk

// Validates the superblock at the start of `data`. A v4 superblock is checked field by field
// (block size power of two between 4 KiB and 1 MiB matching block_log, known compressor, bytes
// used within the data); older versions only by magic and version, since their layouts vary.
// With `allow_truncated`, a v4 superblock that passes every other check but declares more bytes
// than `data` holds is accepted: the image was cut short, and the caller reads what is there.
Result<SquashfsSuper> parse_squashfs_super(ByteView data, bool allow_truncated = false);

}  // namespace iotaudit::formats
