#pragma once
// romfs: the Linux read-only "ROM filesystem" (genromfs). Big-endian only, no compression, no
// ownership or timestamps. A superblock ("-rom1fs-", full size, checksum, volume name) is followed
// by 16-byte aligned file headers chained by `next` offsets; a directory's `spec` points at the
// header of its first entry, a hard link's at its target's header.
// Reference: Linux Documentation/filesystems/romfs.rst; fs/romfs/storage.c, super.c.
#include <cstdint>
#include <string>

#include "core/bytes.hpp"

namespace iotaudit::formats {

inline constexpr std::uint32_t kRomfsAlign = 16;
inline constexpr std::uint32_t kRomfsMaxName = 1024;  // the format has no limit; Linux uses 128

enum class RomfsType : std::uint8_t {
  hardlink = 0,
  directory = 1,
  regular = 2,
  symlink = 3,
  block_device = 4,
  char_device = 5,
  socket = 6,
  fifo = 7,
};

struct RomfsSuper {
  std::uint32_t full_size = 0;     // bytes of the filesystem
  bool checksum_ok = false;        // sum of the first min(512, full_size) bytes as BE words is 0
  bool checksum_checked = false;   // false when fewer than those bytes are present
  std::string volume;
  std::uint32_t first_header = 0;  // offset of the root directory's first entry
};

struct RomfsHeader {
  std::uint32_t offset = 0;
  std::uint32_t next = 0;          // next header in the same directory; 0 ends the list
  RomfsType type = RomfsType::hardlink;
  bool exec = false;
  std::uint32_t spec = 0;          // dir: first entry; hard link: target; device: major<<16|minor
  std::uint32_t size = 0;          // bytes of data (regular files, symlink targets)
  bool checksum_ok = false;        // header plus padded name sum to 0
  std::string name;
  std::uint32_t data_offset = 0;   // first data byte: after the name padded to 16 bytes
};

// Sum of big-endian 32-bit words (a trailing partial word is zero-padded), as romfs checks.
std::uint32_t romfs_checksum(ByteView data);

// Validates the superblock at the start of `data`. A full size beyond `data` is accepted (the
// caller reports the image as truncated); the superblock and volume name must be present.
Result<RomfsSuper> parse_romfs_super(ByteView data);

// The file header at `offset` of the filesystem `fs` (already cut to its full size): aligned,
// inside `fs`, name NUL-terminated within kRomfsMaxName bytes.
Result<RomfsHeader> parse_romfs_header(ByteView fs, std::uint32_t offset);

}  // namespace iotaudit::formats
