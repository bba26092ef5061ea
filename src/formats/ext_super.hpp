#pragma once
// ext2/ext3/ext4 superblock (1024 bytes at offset 1024 of the filesystem, always little-endian),
// parsed for carving validation: the magic alone is two bytes, so every geometry field that
// libext2fs would reject is checked here before the library is asked to open anything.
// Reference: Linux Documentation/filesystems/ext4/super.rst; e2fsprogs lib/ext2fs/ext2_fs.h.
#include <cstdint>
#include <string>

#include "core/bytes.hpp"

namespace iotaudit::formats {

inline constexpr std::uint64_t kExtSuperOffset = 1024;
inline constexpr std::uint16_t kExtMagic = 0xEF53;

// Feature bits used by the unpacker (ext2_fs.h names).
inline constexpr std::uint32_t kExtCompatHasJournal = 0x0004;
inline constexpr std::uint32_t kExtIncompatFiletype = 0x0002;
inline constexpr std::uint32_t kExtIncompatRecover = 0x0004;
inline constexpr std::uint32_t kExtIncompatJournalDev = 0x0008;
inline constexpr std::uint32_t kExtIncompatMetaBg = 0x0010;
inline constexpr std::uint32_t kExtIncompatExtents = 0x0040;
inline constexpr std::uint32_t kExtIncompat64bit = 0x0080;
inline constexpr std::uint32_t kExtIncompatFlexBg = 0x0200;
inline constexpr std::uint32_t kExtIncompatInlineData = 0x8000;
inline constexpr std::uint32_t kExtIncompatEncrypt = 0x10000;
inline constexpr std::uint32_t kExtRoCompatHugeFile = 0x0008;
inline constexpr std::uint32_t kExtRoCompatGdtCsum = 0x0010;
inline constexpr std::uint32_t kExtRoCompatMetadataCsum = 0x0400;
inline constexpr std::uint32_t kExtRoCompatBigalloc = 0x0200;

struct ExtSuper {
  std::uint32_t inodes_count = 0;
  std::uint64_t blocks_count = 0;
  std::uint32_t first_data_block = 0;
  std::uint32_t log_block_size = 0;  // block size = 1024 << log_block_size
  std::uint32_t blocks_per_group = 0;
  std::uint32_t inodes_per_group = 0;
  std::uint16_t state = 0, errors = 0;
  std::uint32_t rev_level = 0;
  std::uint16_t inode_size = 128;
  std::uint32_t feature_compat = 0, feature_incompat = 0, feature_ro_compat = 0;
  std::uint16_t desc_size = 32;
  std::string volume_name;

  std::uint32_t block_size() const { return 1024u << log_block_size; }
  std::uint64_t groups() const;
  // Bytes the filesystem occupies: blocks_count * block size.
  std::uint64_t bytes() const { return blocks_count * block_size(); }
  bool needs_recovery() const { return (feature_incompat & kExtIncompatRecover) != 0; }
  bool has_journal() const { return (feature_compat & kExtCompatHasJournal) != 0; }
  // "ext2", "ext3" or "ext4", as mkfs/blkid would name it from the feature set.
  std::string flavour() const;
};

// Validates the superblock of a filesystem starting at the beginning of `data`. With
// `allow_truncated`, a superblock whose declared size exceeds `data` is accepted (the caller
// reads what is there and reports the image as cut short); the superblock itself and the group
// descriptor table must still be present.
Result<ExtSuper> parse_ext_super(ByteView data, bool allow_truncated = false);

}  // namespace iotaudit::formats
