#pragma once
// SquashFS 4.0 on-disk structures in either byte order. Pure parsing: bytes in, typed structs out;
// reading metadata blocks and decompressing is the caller's business.
//
// Little-endian 4.0 is what mainline mksquashfs writes and what the "squashfs" unpacker reads
// through libsquashfs. Some vendor SDKs for big-endian MIPS and PowerPC boards write the same
// layout with every integer big-endian ("sqsh" magic); the kernel never read those, sasquatch
// does. The layout follows Linux fs/squashfs/squashfs_fs.h: byte-aligned little records, no bit
// fields, so one parser serves both orders.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit::formats {

inline constexpr std::uint32_t kSq4SuperSize = 96;
inline constexpr std::uint32_t kSq4MetadataSize = 8192;         // uncompressed metadata block
inline constexpr std::uint64_t kSq4NoTable = ~std::uint64_t{0};  // optional table absent
inline constexpr std::uint32_t kSq4NoFragment = 0xFFFFFFFFu;
inline constexpr std::uint32_t kSq4MaxDirCount = 256;           // entries per directory header
inline constexpr std::uint32_t kSq4InodeHeaderSize = 16;
inline constexpr std::uint32_t kSq4DirHeaderSize = 12;
inline constexpr std::uint32_t kSq4DirEntrySize = 8;            // before the name
inline constexpr std::uint32_t kSq4FragmentEntrySize = 16;

// Superblock flags (squashfs_fs.h SQUASHFS_*).
inline constexpr std::uint16_t kSq4FlagCompressorOptions = 0x0400;

struct Squashfs4Super {
  Endian endian = Endian::little;
  std::uint32_t inodes = 0;
  std::int64_t mkfs_time = 0;
  std::uint32_t block_size = 0;
  std::uint32_t fragments = 0;
  std::uint16_t compression = 0;  // 1 gzip, 2 lzma, 3 lzo, 4 xz, 5 lz4, 6 zstd
  std::uint16_t block_log = 0;
  std::uint16_t flags = 0;
  std::uint16_t no_ids = 0;
  std::uint32_t root_block = 0;   // root inode: metadata block offset inside the inode table
  std::uint32_t root_offset = 0;  // and byte offset inside that block's uncompressed data
  std::uint64_t bytes_used = 0;
  std::uint64_t id_table_start = 0;
  std::uint64_t xattr_id_table_start = kSq4NoTable;
  std::uint64_t inode_table_start = 0;
  std::uint64_t directory_table_start = 0;
  std::uint64_t fragment_table_start = kSq4NoTable;
  std::uint64_t lookup_table_start = kSq4NoTable;

  bool has_fragment_table() const { return fragments > 0 && fragment_table_start != kSq4NoTable; }
  // Index entries (64-bit block pointers) in front of the id and fragment tables.
  std::uint64_t id_index_count() const { return (std::uint64_t{no_ids} * 4 + kSq4MetadataSize - 1) / kSq4MetadataSize; }
  std::uint64_t fragment_index_count() const {
    return (std::uint64_t{fragments} * kSq4FragmentEntrySize + kSq4MetadataSize - 1) / kSq4MetadataSize;
  }
  std::string compression_name() const;
  std::string describe() const;  // "v4.0 big-endian xz, 131072-byte blocks, 12 inodes"
};

// Validates a 4.0 superblock in either byte order ("hsqs" little, "sqsh" big): version 4.0, block
// size a power of two between 4 KiB and 1 MiB matching block_log, a known compressor, the inode,
// directory and id tables ordered inside bytes_used, the root reference inside the inode table.
// Optional tables (fragments, export, xattr) that point outside bytes_used are treated as absent.
// With `allow_truncated` an image whose bytes_used exceeds `data` is accepted (the caller reads
// what is there).
Result<Squashfs4Super> parse_squashfs4_super(ByteView data, bool allow_truncated = false);

// The 2-byte length word in front of every metadata block: bit 15 set = stored uncompressed.
struct Sq4MetaHeader {
  std::uint32_t size = 0;  // stored bytes following the header
  bool compressed = true;
};
// Fails for a length of 0 or above 8 KiB (a metadata block never holds more).
Result<Sq4MetaHeader> parse_sq4_meta_header(ByteView at, Endian e);

enum class Sq4Kind { directory, file, symlink, block_device, char_device, fifo, socket };

struct Sq4Inode {
  std::uint16_t raw_type = 0;  // 1-7 basic, 8-14 extended
  Sq4Kind kind = Sq4Kind::file;
  std::uint32_t mode = 0;      // permission bits (12 bits)
  std::uint16_t uid_index = 0, gid_index = 0;
  std::int64_t mtime = 0;
  std::uint32_t inode_number = 0;
  std::uint32_t nlink = 1;
  // directory
  std::uint32_t dir_block = 0;          // metadata block offset inside the directory table
  std::uint32_t dir_offset = 0;         // byte offset inside its uncompressed data
  std::uint32_t dir_listing_bytes = 0;  // headers + entries (the stored size less 3)
  std::uint32_t parent_inode = 0;
  // regular file
  std::uint64_t start_block = 0;  // absolute offset of the first data block
  std::uint64_t file_size = 0;
  std::uint32_t fragment = kSq4NoFragment, fragment_offset = 0;
  std::uint64_t block_count = 0;  // block-list entries that follow the fixed part
  std::uint64_t tail_bytes = 0;   // bytes held in the fragment (0 without one)
  // symlink
  std::uint32_t target_size = 0;  // target bytes that follow the fixed part
  // device
  std::uint32_t rdev = 0;
  std::uint32_t rdev_major() const { return (rdev >> 8) & 0xfffu; }
  std::uint32_t rdev_minor() const { return (rdev & 0xffu) | ((rdev >> 12) & 0xfff00u); }
  std::uint32_t fixed_bytes = 0;  // bytes of the inode before its variable part
};

// Size of the fixed part of an inode of `type` (header included), 0 for an unknown type.
std::uint32_t sq4_inode_fixed_size(std::uint16_t type);
// The type word of the inode header at the start of `at`.
Result<std::uint16_t> sq4_inode_type(ByteView at, Endian e);
// Parses the fixed part of the inode at the start of `at`; the variable part (block list, symlink
// target, directory index) is described by the result and read separately.
Result<Sq4Inode> parse_sq4_inode(ByteView at, const Squashfs4Super& sb);

struct Sq4Block {
  std::uint32_t size = 0;  // stored bytes; 0 = a hole (block of zeros)
  bool compressed = true;
};
// Decodes a data block or fragment size word: bit 24 = stored uncompressed, low 24 bits = size.
Sq4Block sq4_block(std::uint32_t word);
// Parses `count` block-list entries at the start of `at`; fails when they do not fit.
Result<std::vector<Sq4Block>> parse_sq4_block_list(ByteView at, std::uint64_t count, Endian e);

struct Sq4DirHeader {
  std::uint32_t count = 0;  // entries that follow (1-256)
  std::uint32_t start_block = 0;
  std::uint32_t inode_number = 0;
};
Result<Sq4DirHeader> parse_sq4_dir_header(ByteView at, Endian e);

struct Sq4DirEntry {
  std::uint32_t offset = 0;  // inode offset inside the header's metadata block
  std::int32_t inode_delta = 0;
  std::uint16_t type = 0;
  std::uint32_t name_size = 0;  // bytes of the name that follow the entry
};
Result<Sq4DirEntry> parse_sq4_dir_entry(ByteView at, Endian e);

struct Sq4Fragment {
  std::uint64_t start = 0;
  Sq4Block block;
};
Result<Sq4Fragment> parse_sq4_fragment(ByteView at, Endian e);

}  // namespace iotaudit::formats
