#pragma once
// cramfs superblock, inodes, directories and the block pointer table of file data.
// Inodes are three 32-bit words of bitfields whose bit order follows the byte order of the
// machine that wrote them: little-endian images put the first field in the low bits, big-endian
// ones in the high bits.
// Reference: Linux include/uapi/linux/cramfs_fs.h, fs/cramfs/inode.c; util-linux
// disk-utils/{cramfs.h,cramfs_common.c,fsck.cramfs.c}.
#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit::formats {

inline constexpr std::uint32_t kCramfsMagic = 0x28cd3d45;
inline constexpr std::uint32_t kCramfsSuperSize = 76;  // 64-byte header + root inode
inline constexpr std::uint32_t kCramfsInodeSize = 12;
inline constexpr std::uint32_t kCramfsCrcOffset = 32;

namespace cramfs_flag {
inline constexpr std::uint32_t kFsidV2 = 0x00000001;  // size/crc/blocks/files are valid
inline constexpr std::uint32_t kSortedDirs = 0x00000002;
inline constexpr std::uint32_t kHoles = 0x00000100;
inline constexpr std::uint32_t kWrongSignature = 0x00000200;
inline constexpr std::uint32_t kShiftedRootOffset = 0x00000400;
inline constexpr std::uint32_t kExtBlockPointers = 0x00000800;
// What the kernel mounts (CRAMFS_SUPPORTED_FLAGS): the low byte is reserved for compatible
// features.
inline constexpr std::uint32_t kSupported =
    0x000000ff | kHoles | kWrongSignature | kShiftedRootOffset | kExtBlockPointers;
}  // namespace cramfs_flag

// Block pointer flags, meaningful only with kExtBlockPointers.
inline constexpr std::uint32_t kCramfsBlkUncompressed = 1u << 31;
inline constexpr std::uint32_t kCramfsBlkDirect = 1u << 30;
inline constexpr std::uint32_t kCramfsBlkFlags = kCramfsBlkUncompressed | kCramfsBlkDirect;

struct CramfsInode {
  std::uint32_t mode = 0;     // 16 bits: st_mode
  std::uint32_t uid = 0;      // 16 bits
  std::uint32_t size = 0;     // 24 bits: file size, or the device number of a device node
  std::uint32_t gid = 0;      // 8 bits
  std::uint32_t namelen = 0;  // bytes (stored in 4-byte units, 6 bits)
  std::uint64_t offset = 0;   // bytes (stored in 4-byte units, 26 bits); 0 = no data
};

struct CramfsSuper {
  Endian endian = Endian::little;
  std::uint32_t size = 0, flags = 0, future = 0;
  std::uint32_t crc = 0, edition = 0, blocks = 0, files = 0;
  std::string name;
  CramfsInode root;
  [[nodiscard]] bool v2() const { return flags & cramfs_flag::kFsidV2; }
};

// Validates the superblock at the start of `data`: magic (either byte order), the
// "Compressed ROMFS" signature, a directory root inode, and with the version-2 fsid a size of
// at least the superblock. The declared size may exceed `data` (a cut-short image); callers
// compare it themselves. Unknown flags are reported by `unsupported_flags`.
Result<CramfsSuper> parse_cramfs_super(ByteView data);
[[nodiscard]] inline std::uint32_t cramfs_unsupported_flags(const CramfsSuper& s) {
  return s.flags & ~cramfs_flag::kSupported;
}

Result<CramfsInode> parse_cramfs_inode(ByteView data, std::uint64_t offset, Endian endian);

// The standard (zlib) CRC-32 of the image with the superblock's crc field taken as zero.
std::uint32_t cramfs_crc(ByteView image);

struct CramfsDirEntry {
  CramfsInode inode;
  std::string name;          // NUL padding removed
  std::uint64_t entry_offset = 0;
};

// Lists a directory: `dir.size` bytes of entries at `dir.offset`. Stops with an error at the
// first entry that does not fit or has an empty name; entries read so far are in `out`.
Status parse_cramfs_dir(ByteView image, const CramfsInode& dir, Endian endian,
                        std::vector<CramfsDirEntry>& out);

// Where block `index` of a file's data lies. `blocks` = ceil(size / block_size). Pointer flags
// (direct and uncompressed blocks) are honoured as the kernel does, unconditionally: plain images
// never reach 1 GiB, so those bits are clear.
struct CramfsBlock {
  std::uint64_t start = 0, length = 0;  // length 0: a hole (all zeros)
  bool uncompressed = false;
};
Result<CramfsBlock> cramfs_block(ByteView image, const CramfsInode& inode, std::uint32_t index,
                                 std::uint32_t blocks, std::uint32_t block_size, Endian endian);

}  // namespace iotaudit::formats
