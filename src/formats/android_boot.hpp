#pragma once
// Android boot, recovery, init_boot and vendor_boot images (AOSP
// system/tools/mkbootimg/include/bootimg/bootimg.h):
//  - "ANDROID!" header versions 0-2: page size in the header; kernel, ramdisk, second stage,
//    recovery DTBO (v1+) and DTB (v2), each starting on a page boundary after the header page.
//    Old Qualcomm images kept a device-tree table size ("QCDT") in the v0 header_version field;
//    such an image is read as v0 with a trailing "dt" section.
//  - "ANDROID!" versions 3-4: 4096-byte pages; kernel, ramdisk and (v4) the boot signature.
//    init_boot images are v4 images with only a ramdisk.
//  - "VNDRBOOT" versions 3-4: page size in the header; vendor ramdisk, DTB and (v4) the vendor
//    ramdisk table and bootconfig.
// Pure parsing: only the header is read, except for the first bytes of a legacy Qualcomm "dt".
#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace iotaudit::formats {

struct BootSection {
  std::string name;  // "kernel", "ramdisk", "second", "recovery_dtbo", "dtb", "dt", "vendor_ramdisk", ...
  std::uint64_t offset = 0, size = 0;  // offset from the image's first byte
};

struct BootImage {
  bool vendor = false;     // "VNDRBOOT"
  bool legacy_dt = false;  // v0 with a Qualcomm device-tree table size in the version field
  std::uint32_t header_version = 0, page_size = 0, os_version = 0;
  std::string name, cmdline;
  std::vector<BootSection> sections;  // in file order, non-empty ones only
  std::uint64_t length = 0;           // end of the last section, page-aligned
};

// Header sizes of the versions, as bootimg.h lays them out.
constexpr std::size_t kBootHeaderV0 = 1632, kBootHeaderV1 = 1648, kBootHeaderV2 = 1660;
constexpr std::size_t kBootHeaderV3 = 1580, kBootHeaderV4 = 1584;
constexpr std::size_t kVendorBootHeaderV3 = 2112, kVendorBootHeaderV4 = 2128;

Result<BootImage> parse_android_boot(ByteView data);

}  // namespace iotaudit::formats
