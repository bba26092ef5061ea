#pragma once
// SquashFS 1.x, 2.x and 3.x on-disk structures (both byte orders, and the vendor magics used by
// the LZMA-patched builds of DD-WRT, Broadcom and Ralink SDKs). Pure parsing: bytes in, typed
// structs out. Decompression of metadata and data blocks is the caller's business.
//
// Layouts follow squashfs-tools' squashfs_compat.h and unsquash-{1,2,3}.c: every structure is a
// packed bit-field record. A little-endian image stores it LSB-first (GCC's x86 layout); a
// big-endian image stores the same field sequence MSB-first (what the SQUASHFS_SWAP macros undo).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit::formats {

inline constexpr std::uint32_t kSqlMetadataSize = 8192;        // uncompressed metadata block
inline constexpr std::uint64_t kSqlNoTable = ~std::uint64_t{0};  // v3 lookup table "absent"
inline constexpr std::uint32_t kSqlNoFragment = 0xFFFFFFFFu;
inline constexpr std::uint32_t kSqlMaxDirCount = 256;          // entries per directory header

// Reads a `width`-bit field at bit `pos` of a packed record (width <= 64). The record must hold
// the bytes the field touches; callers check the record length first.
std::uint64_t sql_bits(ByteView rec, unsigned pos, unsigned width, Endian e);

struct SquashfsLegacySuper {
  Endian endian = Endian::little;
  std::string magic;  // the four bytes as stored ("hsqs", "sqsh", "hsqt", "tqsh", "shsq", "qshs")
  std::uint16_t major = 0, minor = 0;
  std::uint32_t inodes = 0;
  std::uint32_t block_size = 0;
  std::uint16_t block_log = 0;
  std::uint8_t flags = 0, no_uids = 0, no_guids = 0;
  std::int64_t mkfs_time = 0;
  std::uint32_t root_block = 0;   // root inode: metadata block offset inside the inode table
  std::uint32_t root_offset = 0;  // and byte offset inside that block's uncompressed data
  std::uint32_t fragments = 0;
  std::uint64_t bytes_used = 0;
  std::uint64_t uid_start = 0, guid_start = 0;
  std::uint64_t inode_table_start = 0, directory_table_start = 0;
  std::uint64_t fragment_table_start = 0;  // v2/v3 only
  std::uint64_t lookup_table_start = kSqlNoTable;  // v3.1 NFS export table
  std::uint32_t super_size = 0;  // 63 bytes (v1/v2) or 119 (v3)

  // Metadata blocks carry a marker byte after their length when the "check data" flag is set.
  bool check_data() const { return (flags & 0x04) != 0; }
  bool inodes_uncompressed() const { return (flags & 0x01) != 0; }
  bool data_uncompressed() const { return (flags & 0x02) != 0; }
  // Block-list entries: v1 16-bit (bit 15 = stored uncompressed), v2/v3 32-bit (bit 24).
  unsigned block_entry_bytes() const { return major == 1 ? 2 : 4; }
  // Fragment table: entry 8 bytes (v2) or 16 (v3); index entries 4 (v2) or 8 bytes (v3).
  unsigned fragment_entry_bytes() const { return major == 2 ? 8 : 16; }
  unsigned fragment_index_bytes() const { return major == 2 ? 4 : 8; }
  bool has_fragments() const { return major >= 2 && fragments > 0; }
  std::string describe() const;  // "v3.0 little-endian 'hsqt'"
};

// Validates the superblock at the start of `data`: known magic, version 1.0, 2.0-2.1 or 3.0-3.1,
// block size a power of two matching block_log, table offsets ordered inside bytes_used, id
// counts plausible. With `allow_truncated` an image whose bytes_used exceeds `data` is accepted
// (the caller reads what is there).
Result<SquashfsLegacySuper> parse_squashfs_legacy_super(ByteView data, bool allow_truncated = false);

// The 2-byte length word in front of every metadata block (top bit set = stored uncompressed;
// a zero length means 32768), plus the marker byte when check_data() is set.
struct SqlMetaHeader {
  std::uint32_t size = 0;
  bool compressed = true;
  std::uint32_t header_bytes = 2;
};
Result<SqlMetaHeader> parse_sql_meta_header(ByteView at, const SquashfsLegacySuper& sb);

enum class SqlKind { directory, file, symlink, block_device, char_device, fifo, socket };

struct SqlInode {
  SqlKind kind = SqlKind::file;
  std::uint8_t raw_type = 0;
  std::uint32_t mode = 0;  // permission bits only (12 bits)
  std::uint32_t uid_index = 0, gid_index = 0;
  bool gid_from_uid = false;  // gid index "none": the gid equals the uid (v1: 15, v2/v3: 255)
  std::optional<std::int64_t> mtime;  // v1/v2 devices, links and IPC inodes take mkfs_time
  std::uint32_t inode_number = 0;      // v3 only
  // directory
  std::uint32_t dir_listing_bytes = 0;  // bytes of directory headers + entries
  std::uint32_t dir_block = 0, dir_offset = 0;
  // regular file
  std::uint64_t start_block = 0;  // absolute offset of the first data block in the image
  std::uint32_t fragment = kSqlNoFragment, fragment_offset = 0;
  std::uint64_t file_size = 0;
  std::uint64_t block_count = 0;  // block-list entries that follow the inode
  std::uint64_t tail_bytes = 0;   // bytes held in the fragment (0 without one)
  // symlink target / device number
  std::string target;
  std::uint32_t rdev = 0;
  std::uint32_t header_bytes = 0;  // bytes of the inode before its block list
};

// Parses the inode at the start of `at` (uncompressed inode-table bytes).
Result<SqlInode> parse_sql_inode(ByteView at, const SquashfsLegacySuper& sb);

struct SqlBlock {
  std::uint32_t size = 0;  // stored bytes; 0 = a hole (block of zeros)
  bool compressed = true;
};
// Parses `count` block-list entries at the start of `at`; fails when they do not fit.
Result<std::vector<SqlBlock>> parse_sql_block_list(ByteView at, std::uint64_t count, const SquashfsLegacySuper& sb);

struct SqlDirEntry {
  std::string name;  // as stored (may contain '/', "..": the caller sanitises)
  std::uint32_t type = 0;
  std::uint32_t inode_block = 0, inode_offset = 0;
};
struct SqlDirListing {
  std::vector<SqlDirEntry> entries;
  std::optional<Error> error;  // set when the listing stops early; entries hold what was read
};
// Parses `size` bytes of directory listing at the start of `at` (uncompressed directory-table
// bytes).
SqlDirListing parse_sql_directory(ByteView at, std::uint64_t size, const SquashfsLegacySuper& sb);

struct SqlFragment {
  std::uint64_t start = 0;
  std::uint32_t size = 0;
  bool compressed = true;
};
Result<SqlFragment> parse_sql_fragment(ByteView at, const SquashfsLegacySuper& sb);

}  // namespace iotaudit::formats
