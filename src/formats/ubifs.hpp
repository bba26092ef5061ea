#pragma once
// UBIFS on-disk nodes: every node starts with a 24-byte common header (magic, CRC-32 over the rest
// of the node, sequence number, length, type). Little-endian throughout. Keys use the "simple"
// format: 32-bit inode number, then a 32-bit word holding the key type in its top 3 bits and a
// name hash or block number in the low 29.
// Reference: Linux fs/ubifs/ubifs-media.h, fs/ubifs/key.h.
#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit::formats {

inline constexpr std::uint32_t kUbifsMagic = 0x06101831;
inline constexpr std::size_t kUbifsChSize = 24;
inline constexpr std::uint32_t kUbifsBlockSize = 4096;
inline constexpr std::uint32_t kUbifsRootIno = 1;
inline constexpr std::uint32_t kUbifsMinLebSize = 15 * 1024;
inline constexpr std::uint32_t kUbifsMaxLebSize = 16u << 20;

enum class UbifsNodeType : std::uint8_t {
  ino = 0, data = 1, dent = 2, xent = 3, trun = 4, pad = 5, sb = 6, mst = 7, ref = 8, idx = 9,
  cs = 10, orph = 11, auth = 12, sig = 13,
};
enum class UbifsKeyType : std::uint8_t { ino = 0, data = 1, dent = 2, xent = 3 };
enum class UbifsCompr : std::uint16_t { none = 0, lzo = 1, zlib = 2, zstd = 3 };
// Inode types stored in directory entries.
enum class UbifsItype : std::uint8_t { reg = 0, dir = 1, lnk = 2, blk = 3, chr = 4, fifo = 5, sock = 6 };

inline constexpr std::uint32_t kUbifsXattrFl = 0x20;
inline constexpr std::uint32_t kUbifsCryptFl = 0x40;

const char* ubifs_compr_name(std::uint16_t c);

struct UbifsKey {
  std::uint32_t inum = 0;
  std::uint8_t type = 0;    // UbifsKeyType
  std::uint32_t value = 0;  // name hash (dent/xent) or block number (data)
};
UbifsKey parse_ubifs_key(ByteView key8);

// A node whose header and CRC have been checked; `raw` is the whole node (len bytes).
struct UbifsNode {
  std::uint64_t sqnum = 0;
  std::uint32_t len = 0;
  std::uint8_t type = 0;
  ByteView raw;
};
// Reads the node at the start of `data`: magic, length within data and within the bound for its
// type (checked before the CRC, so that a scan over hostile data never checksums more than a real
// node could hold), then the CRC. Index nodes have no fixed size; `max_idx_len` bounds them
// (from the superblock's fanout when known). Errc::not_found when there is no magic (empty
// flash), malformed / truncated otherwise.
Result<UbifsNode> parse_ubifs_node(ByteView data, std::uint32_t max_idx_len = kUbifsMaxLebSize);
// The largest index node a filesystem with this fanout writes (branches may carry a hash).
std::uint32_t ubifs_max_idx_len(std::uint32_t fanout, std::uint32_t leb_size);

struct UbifsSuper {
  std::uint8_t key_hash = 0, key_fmt = 0;
  std::uint32_t flags = 0;
  std::uint32_t min_io_size = 0, leb_size = 0, leb_cnt = 0, max_leb_cnt = 0;
  std::uint32_t log_lebs = 0, lpt_lebs = 0, orph_lebs = 0, jhead_cnt = 0, fanout = 0;
  std::uint32_t fmt_version = 0;
  std::uint16_t default_compr = 0;
  std::uint32_t ro_compat_version = 0;
};
inline constexpr std::uint32_t kUbifsFlgAuthentication = 0x20;
inline constexpr std::uint32_t kUbifsFlgEncryption = 0x10;
// Validates a superblock node (checked with parse_ubifs_node) field by field.
Result<UbifsSuper> parse_ubifs_super(const UbifsNode& n);

struct UbifsMaster {
  std::uint64_t highest_inum = 0, cmt_no = 0;
  std::uint32_t flags = 0;
  std::uint32_t log_lnum = 0;
  std::uint32_t root_lnum = 0, root_offs = 0, root_len = 0;
  std::uint64_t index_size = 0;
};
Result<UbifsMaster> parse_ubifs_master(const UbifsNode& n);

struct UbifsBranch {
  std::uint32_t lnum = 0, offs = 0, len = 0;
  UbifsKey key;
};
struct UbifsIndex {
  std::uint16_t level = 0;
  std::vector<UbifsBranch> branches;
};
// The branch size is derived from the node length (20 bytes, plus a hash on authenticated
// filesystems), so both variants parse.
Result<UbifsIndex> parse_ubifs_index(const UbifsNode& n);

struct UbifsInode {
  UbifsKey key;
  std::uint64_t size = 0;
  std::int64_t mtime = 0;
  std::uint32_t nlink = 0, uid = 0, gid = 0, mode = 0, flags = 0;
  std::uint16_t compr_type = 0;
  ByteView data;  // symlink target or device number
};
Result<UbifsInode> parse_ubifs_inode(const UbifsNode& n);

struct UbifsDent {
  UbifsKey key;        // parent inode number + name hash
  std::uint64_t inum = 0;  // 0: a deletion entry (journal)
  std::uint8_t itype = 0;
  std::string name;
};
Result<UbifsDent> parse_ubifs_dent(const UbifsNode& n);

struct UbifsData {
  UbifsKey key;  // inode number + block number
  std::uint32_t size = 0;  // uncompressed bytes
  std::uint16_t compr_type = 0;
  ByteView payload;
};
Result<UbifsData> parse_ubifs_data(const UbifsNode& n);

struct UbifsRef {
  std::uint32_t lnum = 0, offs = 0, jhead = 0;
};
Result<UbifsRef> parse_ubifs_ref(const UbifsNode& n);

// Decodes a device number stored in an inode (4 bytes: new_encode_dev, 8 bytes: huge_encode_dev).
bool ubifs_decode_dev(ByteView data, std::uint32_t& major, std::uint32_t& minor);

}  // namespace iotaudit::formats
