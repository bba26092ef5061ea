#pragma once
// UBI (Unsorted Block Images) on-disk headers: the erase-counter header at the start of every
// physical eraseblock (PEB), the volume-identifier header that maps a PEB to a logical eraseblock
// (LEB) of a volume, and the volume table kept in the layout volume. All fields are big-endian
// and every header carries a CRC-32 (Linux crc32_le seeded with 0xFFFFFFFF, no final inversion).
// Reference: Linux drivers/mtd/ubi/ubi-media.h.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit::formats {

inline constexpr std::uint32_t kUbiEcMagic = 0x55424923;   // "UBI#"
inline constexpr std::uint32_t kUbiVidMagic = 0x55424921;  // "UBI!"
inline constexpr std::size_t kUbiEcHdrSize = 64;
inline constexpr std::size_t kUbiVidHdrSize = 64;
inline constexpr std::size_t kUbiVtblRecordSize = 172;
inline constexpr std::uint32_t kUbiMaxVolumes = 128;
inline constexpr std::uint32_t kUbiInternalVolStart = 0x7FFFEFFF;
inline constexpr std::uint32_t kUbiLayoutVolumeId = kUbiInternalVolStart;

// CRC-32 as UBI and UBIFS compute it: crc32_le(0xFFFFFFFF, ...), i.e. zlib's crc32 without the
// final inversion.
std::uint32_t ubi_crc32(ByteView data, std::uint32_t seed = 0xFFFFFFFFu);

struct UbiEcHeader {
  std::uint8_t version = 0;
  std::uint64_t ec = 0;
  std::uint32_t vid_hdr_offset = 0;
  std::uint32_t data_offset = 0;
  std::uint32_t image_seq = 0;
};

enum class UbiVolType : std::uint8_t { dynamic = 1, static_ = 2 };

struct UbiVidHeader {
  std::uint8_t version = 0;
  std::uint8_t vol_type = 0;  // 1 dynamic, 2 static
  std::uint8_t copy_flag = 0;
  std::uint8_t compat = 0;
  std::uint32_t vol_id = 0;
  std::uint32_t lnum = 0;
  std::uint32_t data_size = 0;
  std::uint32_t used_ebs = 0;
  std::uint32_t data_pad = 0;
  std::uint32_t data_crc = 0;
  std::uint64_t sqnum = 0;
};

struct UbiVtblRecord {
  std::uint32_t index = 0;  // position in the table = volume id
  std::uint32_t reserved_pebs = 0;
  std::uint32_t alignment = 0;
  std::uint32_t data_pad = 0;
  std::uint8_t vol_type = 0;
  std::uint8_t upd_marker = 0;
  std::uint8_t flags = 0;  // 1: autoresize
  std::string name;
};

// Header parse errors distinguish "no header here" (magic absent) from "damaged header" (magic
// present, CRC or fields wrong): a damaged header still marks a PEB of the image.
Result<UbiEcHeader> parse_ubi_ec_header(ByteView data);
Result<UbiVidHeader> parse_ubi_vid_header(ByteView data);

// Parses the volume table held in one LEB of the layout volume. Returns the used records (those
// with reserved_pebs != 0); `bad_records` counts records whose CRC or fields are wrong.
struct UbiVtbl {
  std::vector<UbiVtblRecord> volumes;
  unsigned bad_records = 0;
};
Result<UbiVtbl> parse_ubi_vtbl(ByteView leb);

// Geometry found from the first EC header: the PEB size is the distance to the next valid EC
// header (UBI headers carry no PEB size), the VID and data offsets come from the EC header.
struct UbiGeometry {
  std::uint64_t peb_size = 0;
  std::uint32_t vid_hdr_offset = 0;
  std::uint32_t data_offset = 0;
  std::uint32_t image_seq = 0;
  std::uint64_t peb_count = 0;  // PEBs that belong to this image (from offset 0)
  bool peb_size_guessed = false;  // no second EC header: the PEB is assumed to span the data
  std::uint64_t length() const { return peb_size * peb_count; }
};
// Validates the EC header at offset 0 and derives the geometry; the image is taken to end after
// the last PEB whose EC header magic is present (a PEB of another UBI image, i.e. a different
// non-zero image_seq, also ends it).
Result<UbiGeometry> detect_ubi_geometry(ByteView data);

}  // namespace iotaudit::formats
