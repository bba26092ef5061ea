#pragma once
// Android boot and recovery images (AOSP system/tools/mkbootimg/include/bootimg/bootimg.h):
// "ANDROID!", header versions 0-2 (page size in the header; kernel, ramdisk, second stage,
// recovery DTBO and DTB, each page-aligned) and 3-4 (4096-byte pages; kernel and ramdisk).
#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace iotaudit::formats {

struct BootSection {
  std::string name;  // "kernel", "ramdisk", "second", "recovery_dtbo", "dtb"
  std::uint64_t offset = 0, size = 0;
};

struct BootImage {
  std::uint32_t header_version = 0, page_size = 0, os_version = 0;
  std::string name, cmdline;
  std::vector<BootSection> sections;  // in file order, non-empty ones only
  std::uint64_t length = 0;           // end of the last section, page-aligned
};

Result<BootImage> parse_android_boot(ByteView data);

}  // namespace iotaudit::formats
