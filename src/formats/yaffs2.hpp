#pragma once
// YAFFS2 images as dumped from NAND or written by mkyaffs2image: chunks of `page` data bytes, each
// followed by `spare` out-of-band bytes holding the packed tags (sequence number, object id,
// chunk id, byte count; yaffs_packed_tags2.h). Chunk 0 of an object is its header
// (yaffs_guts.h struct yaffs_obj_hdr: type, parent, name, mode, owner, times, size, link alias,
// device number); chunks 1.. hold file data. Both byte orders; geometry and the tags' position in
// the spare area are detected. Pure parsing; every offset is bounds-checked.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace iotaudit::formats {

struct Yaffs2Geometry {
  std::uint32_t page = 0, spare = 0;
  std::uint32_t tags_at = 0;  // offset of the packed tags inside the spare area
  Endian endian = Endian::little;
  std::uint32_t chunk() const { return page + spare; }
};

struct Yaffs2Tags {
  std::uint32_t seq = 0, obj_id = 0, chunk_id = 0, n_bytes = 0;
  bool header = false;         // chunk 0 of an object (the "extra header info" flag, or chunk id 0)
  std::uint32_t extra_type = 0;  // object type carried in the tags of a header chunk
  bool erased = false;
};

enum class Yaffs2Type : std::uint32_t { unknown = 0, file = 1, symlink = 2, directory = 3, hardlink = 4, special = 5 };

struct Yaffs2Header {
  Yaffs2Type type = Yaffs2Type::unknown;
  std::uint32_t parent = 0;
  std::string name;
  std::uint32_t mode = 0, uid = 0, gid = 0, mtime = 0;
  std::uint64_t size = 0;
  std::int32_t equiv_id = 0;
  std::string alias;
  std::uint32_t rdev = 0;
  bool shrink = false;
};

Yaffs2Tags parse_yaffs2_tags(ByteView spare, const Yaffs2Geometry& g);
// Parses an object header from a chunk's data area; errors when it is not one.
Result<Yaffs2Header> parse_yaffs2_header(ByteView page, Endian endian);

// Finds the geometry whose first chunks hold consistent object headers; nullopt when none does.
std::optional<Yaffs2Geometry> detect_yaffs2(ByteView data);

}  // namespace iotaudit::formats
