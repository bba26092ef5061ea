#pragma once
// TP-Link firmware header, version 1 (TL-MR3020, TL-WR703N/740N/841N v1-v8 ... and OpenWrt
// factory images for them): 512 bytes, big-endian, vendor and version strings, hardware id,
// an MD5 over the whole firmware computed with a salt in place of the stored digest, and the
// offsets and lengths of kernel, rootfs and (in images that carry one) the bootloader.
// Reference: OpenWrt tools/firmware-utils/src/mktplinkfw.c (struct fw_header).
#include <array>
#include <cstdint>
#include <string>

#include "core/bytes.hpp"

namespace iotaudit::formats {

inline constexpr std::uint64_t kTplinkHeaderSize = 0x200;

struct TplinkHeader {
  std::uint32_t version = 0;
  std::string vendor, fw_version;
  std::uint32_t hw_id = 0, hw_rev = 0;
  std::array<std::uint8_t, 16> md5{};
  std::uint32_t kernel_la = 0, kernel_ep = 0, fw_length = 0;
  std::uint32_t kernel_ofs = 0, kernel_len = 0, rootfs_ofs = 0, rootfs_len = 0, boot_ofs = 0, boot_len = 0;
  std::uint16_t ver_hi = 0, ver_mid = 0, ver_lo = 0;
};

// MD5 salts mktplinkfw writes into the digest field before hashing (md5salt_normal, md5salt_boot).
inline constexpr std::array<std::uint8_t, 16> kTplinkSaltNormal = {
    0xdc, 0xd7, 0x3a, 0xa5, 0xc3, 0x95, 0x98, 0xfb, 0xdd, 0xf9, 0xe7, 0xf4, 0x0e, 0xae, 0x47, 0x38};
inline constexpr std::array<std::uint8_t, 16> kTplinkSaltBoot = {
    0x8c, 0xef, 0x33, 0x5b, 0xd5, 0xc5, 0xce, 0xfa, 0xa7, 0x9c, 0x28, 0xda, 0xb2, 0xe9, 0x0f, 0x42};
inline constexpr std::uint64_t kTplinkMd5Offset = 0x4c;

// Parses a version-1 header at the start of `data`: version 0x01000000, printable vendor and
// version strings, fw_length at least the header, kernel inside fw_length.
Result<TplinkHeader> parse_tplink(ByteView data);

}  // namespace iotaudit::formats
