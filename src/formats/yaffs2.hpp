#pragma once
// YAFFS2 images as dumped from NAND or written by mkyaffs2image-style tools. The image is a
// sequence of chunks; each carries packed tags (yaffs_packedtags2.h: sequence number, object id,
// chunk id, byte count, optionally followed by an ECC of the tags) either in the out-of-band
// (spare) bytes stored after the page, or in the last 16 bytes of the page itself (inband tags).
// Chunk 0 of an object is its header (yaffs_guts.h struct yaffs_obj_hdr: type, parent, name, mode,
// owner, times, size, link alias, device number); chunks 1.. hold file data. Both byte orders;
// the geometry and the position of the tags are detected. Pure parsing; every offset is
// bounds-checked.
#include <cstdint>
#include <optional>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace iotaudit::formats {

namespace yaffs2 {
inline constexpr std::uint32_t kRoot = 1, kLostFound = 2, kUnlinked = 3, kDeleted = 4;
inline constexpr std::uint32_t kSummaryObject = 0x10;     // block summary chunks
inline constexpr std::uint32_t kCheckpointObject = 0x20;  // checkpoint data chunks
inline constexpr std::uint32_t kCheckpointSeq = 0x21;
inline constexpr std::uint32_t kMaxObjectId = 0x3ffff;
inline constexpr std::uint32_t kMaxChunkId = (1u << 28) - 1;
inline constexpr std::uint32_t kLowestSeq = 0x1000, kHighestSeq = 0xefffff00;
inline constexpr std::uint32_t kTagsSize = 16;    // yaffs_packed_tags2_tags_only
inline constexpr std::uint32_t kHeaderSize = 512;  // struct yaffs_obj_hdr
// With inband tags on 512-byte pages the last 16 bytes of a header hold the tags.
inline constexpr std::uint32_t kMinHeaderBytes = 496;
}  // namespace yaffs2

struct Yaffs2Geometry {
  std::uint32_t page = 0;     // bytes of a flash page
  std::uint32_t spare = 0;    // out-of-band bytes stored after each page; 0: inband tags
  std::uint32_t tags_at = 0;  // offset of the packed tags inside the spare area
  Endian endian = Endian::little;

  bool inband() const { return spare == 0; }
  std::uint32_t stride() const { return page + spare; }
  // File data bytes a chunk holds.
  std::uint32_t data_bytes() const { return inband() ? page - yaffs2::kTagsSize : page; }
  std::uint32_t tags_offset() const { return inband() ? page - yaffs2::kTagsSize : page + tags_at; }
};

enum class Yaffs2Kind { erased, header, data, summary, checkpoint, invalid };

struct Yaffs2Tags {
  Yaffs2Kind kind = Yaffs2Kind::invalid;
  std::uint32_t seq = 0, obj_id = 0, chunk_id = 0, n_bytes = 0;
  // Extra header info that yaffs packs into the tags of an object header.
  bool extra = false, extra_shrink = false, extra_shadows = false;
  std::uint32_t extra_type = 0, extra_parent = 0;
  std::uint32_t extra_value = 0;  // file size (low 32 bits) of a file, equiv id of a hard link
};

enum class Yaffs2Type : std::uint32_t { unknown = 0, file = 1, symlink = 2, directory = 3, hardlink = 4, special = 5 };

struct Yaffs2Header {
  Yaffs2Type type = Yaffs2Type::unknown;
  std::uint32_t parent = 0;
  std::uint16_t name_sum = 0;  // no longer used; every writer leaves it erased (0xFFFF)
  std::string name;
  std::uint32_t mode = 0, uid = 0, gid = 0, mtime = 0;
  std::uint64_t size = 0;
  std::uint32_t equiv_id = 0;
  std::string alias;
  bool alias_terminated = true;
  std::uint32_t rdev = 0;
  std::uint32_t shadows = 0;  // object this header replaces (rename over an existing name); 0: none
  bool shrink = false;        // written when the file was truncated
};

// Classifies one chunk (page plus its spare bytes, or the page alone with inband tags) by its
// tags. Chunks whose tags yaffs itself would ignore (sequence number out of range, object or chunk
// id out of range, byte count above the chunk size) are `invalid`.
Yaffs2Tags parse_yaffs2_tags(ByteView chunk, const Yaffs2Geometry& g);

// True when the spare area carries a bad-block marker (its first byte is not 0xFF). Only
// meaningful when the tags do not start at byte 0 of the spare area.
bool yaffs2_bad_block_marker(ByteView chunk, const Yaffs2Geometry& g);

// Parses an object header from the data area of a chunk. Lenient: only what makes the header
// unusable is an error (type, parent id, an unterminated name).
Result<Yaffs2Header> parse_yaffs2_header(ByteView data, Endian endian, bool inband);

// The stricter test used to recognise YAFFS2: erased name sum, printable name, mode matching the
// type, and the extra header info of the tags (when present) agreeing with the header.
bool yaffs2_header_plausible(const Yaffs2Header& h, const Yaffs2Tags& t);

// Finds the geometry under which the first chunk is an object header and the following chunks
// carry consistent tags; nullopt when none does. Reads at most 64 chunks per candidate.
std::optional<Yaffs2Geometry> detect_yaffs2(ByteView data);

// An image that holds YAFFS2 object headers at page boundaries but no tags at all (a NAND dump
// without the spare area). Object ids live only in the tags, so it cannot be read.
struct Yaffs2Tagless {
  std::uint32_t page = 0;
  Endian endian = Endian::little;
  std::uint64_t length = 0;  // up to the end of the last page holding an object header
};
std::optional<Yaffs2Tagless> detect_yaffs2_tagless(ByteView data);

}  // namespace iotaudit::formats
