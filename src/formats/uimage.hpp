#pragma once
// U-Boot legacy image ("uImage") header: 64 bytes, big-endian, magic 0x27051956, followed by the
// payload. Multi-file images (type 4) start the payload with a table of big-endian u32 sizes
// ended by 0; each file follows, padded to 4 bytes. Reference: U-Boot include/image.h
// (struct legacy_img_hdr / image_header_t), common/image-legacy.c image_multi_getimg().
#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace iotaudit::formats {

inline constexpr std::uint32_t kUImageMagic = 0x27051956;
inline constexpr std::uint64_t kUImageHeaderSize = 64;
inline constexpr std::uint8_t kUImageTypeMulti = 4;

struct UImageHeader {
  std::uint32_t header_crc = 0, time = 0, size = 0, load = 0, entry = 0, data_crc = 0;
  std::uint8_t os = 0, arch = 0, type = 0, comp = 0;
  std::string name;                // up to 32 bytes, NUL-terminated when shorter
  bool header_crc_ok = false;      // CRC32 of the 64 bytes with the CRC field zeroed
  std::string os_name() const;     // "linux", "vxworks", ... or "os 42"
  std::string arch_name() const;   // "arm", "mips", ...
  std::string type_name() const;   // "kernel", "ramdisk", "multi", "firmware", "script", ...
  std::string comp_name() const;   // "none", "gzip", ...
};

// Parses the header at the start of `data`. Fails on a wrong magic or fewer than 64 bytes; a
// CRC mismatch is reported through header_crc_ok, not as an error.
Result<UImageHeader> parse_uimage_header(ByteView data);

struct UImagePart {
  std::uint64_t offset = 0;  // from the start of the payload (after the 64-byte header)
  std::uint64_t size = 0;    // as declared; may run past the payload when the image is cut
};

// Reads the size table of a multi-file payload. At most `max_parts` entries; the table must end
// with a 0 inside `payload`. Offsets are 4-byte aligned as U-Boot lays them out.
Result<std::vector<UImagePart>> parse_uimage_multi(ByteView payload, std::size_t max_parts = 256);

}  // namespace iotaudit::formats
