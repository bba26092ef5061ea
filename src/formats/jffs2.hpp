#pragma once
// JFFS2 on-flash node layout: the common node header, directory entries and inode (data) nodes,
// the kernel's CRC variant and the "rtime" compressor, which is JFFS2's own. Pure parsing: the
// reconstruction of files from nodes lives in the unpacker.
// Reference: Linux include/uapi/linux/jffs2.h, fs/jffs2/{scan.c,readinode.c,compr_rtime.c}.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit::formats {

inline constexpr std::uint16_t kJffs2Magic = 0x1985;
inline constexpr std::uint16_t kJffs2OldMagic = 0x1984;  // pre-release JFFS2; never mounted
inline constexpr std::uint32_t kJffs2HeaderSize = 12;
inline constexpr std::uint32_t kJffs2DirentSize = 40;  // fixed part, name follows
inline constexpr std::uint32_t kJffs2InodeSize = 68;   // fixed part, data follows

// Node type values with the "accurate" bit (0x2000) set. The kernel marks a node obsolete on NOR
// flash by clearing that bit in place, which leaves the header CRC computed over the original.
namespace jffs2_node {
inline constexpr std::uint16_t kAccurate = 0x2000;
inline constexpr std::uint16_t kDirent = 0xE001;
inline constexpr std::uint16_t kInode = 0xE002;
inline constexpr std::uint16_t kCleanmarker = 0x2003;
inline constexpr std::uint16_t kPadding = 0x2004;
inline constexpr std::uint16_t kSummary = 0x2006;
inline constexpr std::uint16_t kXattr = 0xE008;
inline constexpr std::uint16_t kXref = 0xE009;
}  // namespace jffs2_node

enum class Jffs2Compr : std::uint8_t {
  none = 0x00,
  zero = 0x01,  // a hole: dsize zero bytes, no data
  rtime = 0x02,
  rubinmips = 0x03,
  copy = 0x04,
  dynrubin = 0x05,
  zlib = 0x06,
  lzo = 0x07,
  lzma = 0x08,  // OpenWrt/vendor kernels only (not mainline)
};
const char* jffs2_compr_name(std::uint8_t compr);

// JFFS2 checksums are the kernel's crc32_le with seed 0 and no pre- or post-inversion, i.e.
// ~zlib_crc32(0xFFFFFFFF) - not the value zlib's crc32(0, ...) gives.
std::uint32_t jffs2_crc32(ByteView data);

// Endianness of the node header at the start of `data` (from how the 0x1985 magic is stored).
std::optional<Endian> jffs2_endian(ByteView data);

struct Jffs2Header {
  std::uint64_t offset = 0;      // of the node inside the scanned data
  std::uint16_t nodetype = 0;    // as stored (obsolete nodes have the accurate bit cleared)
  std::uint32_t totlen = 0;      // whole node including header
  bool obsolete = false;
};

// Validates the 12-byte node header at `offset`: magic in `endian`, header CRC (tried both as
// stored and with the accurate bit restored, for obsolete nodes), totlen >= 12 and within data.
Result<Jffs2Header> parse_jffs2_header(ByteView data, std::uint64_t offset, Endian endian);

struct Jffs2Dirent {
  std::uint64_t offset = 0;
  std::uint32_t pino = 0, version = 0, ino = 0, mctime = 0;
  std::uint8_t type = 0;  // DT_* of the target
  std::string name;
};

struct Jffs2Inode {
  std::uint64_t offset = 0;
  std::uint32_t ino = 0, version = 0, mode = 0;
  std::uint16_t uid = 0, gid = 0;
  std::uint32_t isize = 0, atime = 0, mtime = 0, ctime = 0;
  std::uint32_t data_offset = 0;  // where in the file this node's data goes
  std::uint32_t csize = 0, dsize = 0;
  std::uint8_t compr = 0, usercompr = 0;
  std::uint16_t flags = 0;
  ByteView data;  // csize compressed bytes (view into the image)
};

// `node` is the whole node (totlen bytes). Checks node CRC and name CRC / data CRC; a CRC
// mismatch is Errc::malformed with a message naming which CRC failed.
Result<Jffs2Dirent> parse_jffs2_dirent(ByteView node, Endian endian, std::uint64_t offset);
Result<Jffs2Inode> parse_jffs2_inode(ByteView node, Endian endian, std::uint64_t offset);

// JFFS2's "rtime" decompressor, bounded: fails instead of reading past `in` or writing past
// `out_size` bytes.
Result<std::vector<std::uint8_t>> jffs2_rtime_decompress(ByteView in, std::uint32_t out_size);

// Walks a JFFS2 image node by node the way the kernel's scan does: nodes start 4-byte aligned;
// erased flash (0xFF) and words that are not a valid header are skipped. The walk stops at the
// end of the data or after `max_garbage` consecutive bytes that are neither erased flash nor a
// valid node (the end of the filesystem when something else follows it in a flash dump).
class Jffs2Scanner {
 public:
  Jffs2Scanner(ByteView data, Endian endian, std::uint64_t max_garbage = 64 * 1024)
      : data_(data), endian_(endian), max_garbage_(max_garbage) {}
  std::optional<Jffs2Header> next();
  // End of the last valid node seen (4-byte aligned, clamped to the data), or of the data when
  // the image is cut inside a node.
  [[nodiscard]] std::uint64_t end() const { return end_; }
  // Words with the magic whose header failed validation (corruption indicators).
  [[nodiscard]] std::uint64_t bad_headers() const { return bad_headers_; }
  // Bytes of non-erased data between nodes that were skipped.
  [[nodiscard]] std::uint64_t skipped_bytes() const { return skipped_; }
  [[nodiscard]] bool stopped_on_garbage() const { return stopped_on_garbage_; }
  // The last header found is valid but its node runs past the end of the data (a cut image);
  // end() is then the end of the data.
  [[nodiscard]] bool truncated_tail() const { return truncated_tail_; }

 private:
  ByteView data_;
  Endian endian_;
  std::uint64_t max_garbage_;
  std::uint64_t pos_ = 0, end_ = 0, bad_headers_ = 0, skipped_ = 0;
  bool stopped_on_garbage_ = false, truncated_tail_ = false, done_ = false;
};

}  // namespace iotaudit::formats
