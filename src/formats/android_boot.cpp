#include "formats/android_boot.hpp"

#include <utility>

namespace iotaudit::formats {
namespace {

constexpr std::uint64_t kMaxSection = 512ull << 20;

std::string cstr(ByteView v) {
  std::string s;
  for (std::size_t i = 0; i < v.size() && v.data()[i] != 0; ++i) {
    std::uint8_t c = v.data()[i];
    s.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  return s;
}

std::uint64_t align(std::uint64_t v, std::uint64_t page) { return (v + page - 1) / page * page; }

bool plausible_page(std::uint32_t p) { return p >= 2048 && p <= 65536 && (p & (p - 1)) == 0; }

using Sizes = std::vector<std::pair<const char*, std::uint64_t>>;

// Lays the sections out after `header_bytes` of header, each on a page boundary.
Status lay_out(BootImage& b, std::uint64_t header_bytes, const Sizes& sizes) {
  std::uint64_t pos = align(header_bytes, b.page_size);
  for (const auto& [name, size] : sizes) {
    if (size > kMaxSection) return fail(Errc::malformed, "Android boot section size implausible");
    if (size > 0) b.sections.push_back({name, pos, size});
    pos += align(size, b.page_size);
  }
  if (b.sections.empty()) return fail(Errc::malformed, "Android boot image without any section");
  b.length = pos;
  return {};
}

Result<BootImage> parse_v0_to_v2(ByteView data) {
  Reader r(data, Endian::little);
  BootImage b;
  TRY(r.seek(8));
  ASSIGN_OR_RETURN(std::uint32_t kernel_size, r.u32());
  TRY(r.skip(4));  // kernel_addr
  ASSIGN_OR_RETURN(std::uint32_t ramdisk_size, r.u32());
  TRY(r.skip(4));  // ramdisk_addr
  ASSIGN_OR_RETURN(std::uint32_t second_size, r.u32());
  TRY(r.skip(8));  // second_addr, tags_addr
  ASSIGN_OR_RETURN(b.page_size, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t version, r.u32());
  ASSIGN_OR_RETURN(b.os_version, r.u32());
  ASSIGN_OR_RETURN(ByteView name, r.bytes(16));
  ASSIGN_OR_RETURN(ByteView cmdline, r.bytes(512));
  TRY(r.skip(32));  // id (a digest)
  ASSIGN_OR_RETURN(ByteView extra_cmdline, r.bytes(1024));
  if (!plausible_page(b.page_size)) return fail(Errc::malformed, "Android boot page size implausible");
  b.name = cstr(name);
  b.cmdline = cstr(cmdline);
  if (std::string extra = cstr(extra_cmdline); !extra.empty()) b.cmdline += (b.cmdline.empty() ? "" : " ") + extra;
  Sizes sizes = {{"kernel", kernel_size}, {"ramdisk", ramdisk_size}, {"second", second_size}};
  std::uint64_t header_bytes = kBootHeaderV0;
  if (version > 4) {
    // Qualcomm's v0 variant: the field holds the size of a device-tree table placed after the
    // second stage. Accepted only when that table is there and starts like one.
    b.legacy_dt = true;
    std::uint64_t at = b.page_size;
    for (const auto& s : sizes) at += align(s.second, b.page_size);  // sizes are 32-bit: no overflow
    sizes.emplace_back("dt", version);
    ByteView dt = data.tail(at);
    if (!dt.starts_with("QCDT") && !dt.starts_with("\xd0\x0d\xfe\xed"))
      return fail(Errc::unsupported, "Android boot header version above 4 without a Qualcomm device-tree table");
  } else {
    b.header_version = version;
    if (version >= 1) {
      ASSIGN_OR_RETURN(std::uint32_t dtbo_size, r.u32());
      TRY(r.skip(8 + 4));  // recovery_dtbo_offset, header_size
      sizes.emplace_back("recovery_dtbo", dtbo_size);
      header_bytes = kBootHeaderV1;
    }
    if (version >= 2) {
      ASSIGN_OR_RETURN(std::uint32_t dtb_size, r.u32());
      sizes.emplace_back("dtb", dtb_size);
      header_bytes = kBootHeaderV2;
    }
  }
  TRY(lay_out(b, header_bytes, sizes));
  return b;
}

Result<BootImage> parse_v3_v4(ByteView data) {
  Reader r(data, Endian::little);
  BootImage b;
  TRY(r.seek(8));
  ASSIGN_OR_RETURN(std::uint32_t kernel_size, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t ramdisk_size, r.u32());
  ASSIGN_OR_RETURN(b.os_version, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t header_size, r.u32());
  TRY(r.skip(16));  // reserved
  ASSIGN_OR_RETURN(b.header_version, r.u32());
  ASSIGN_OR_RETURN(ByteView cmdline, r.bytes(1536));
  b.cmdline = cstr(cmdline);
  b.page_size = 4096;  // fixed from version 3 on
  Sizes sizes = {{"kernel", kernel_size}, {"ramdisk", ramdisk_size}};
  if (b.header_version == 4) {
    ASSIGN_OR_RETURN(std::uint32_t sig, r.u32());
    sizes.emplace_back("boot_signature", sig);
  }
  const std::size_t fixed = b.header_version == 4 ? kBootHeaderV4 : kBootHeaderV3;
  if (header_size != 0 && (header_size < fixed || header_size > b.page_size))
    return fail(Errc::malformed, "Android boot header size implausible");
  TRY(lay_out(b, b.page_size, sizes));
  return b;
}

Result<BootImage> parse_vendor(ByteView data) {
  Reader r(data, Endian::little);
  BootImage b;
  b.vendor = true;
  TRY(r.seek(8));
  ASSIGN_OR_RETURN(b.header_version, r.u32());
  if (b.header_version < 3 || b.header_version > 4)
    return fail(Errc::unsupported, "Android vendor_boot header version other than 3 or 4");
  ASSIGN_OR_RETURN(b.page_size, r.u32());
  TRY(r.skip(8));  // kernel_addr, ramdisk_addr
  ASSIGN_OR_RETURN(std::uint32_t ramdisk_size, r.u32());
  ASSIGN_OR_RETURN(ByteView cmdline, r.bytes(2048));
  TRY(r.skip(4));  // tags_addr
  ASSIGN_OR_RETURN(ByteView name, r.bytes(16));
  ASSIGN_OR_RETURN(std::uint32_t header_size, r.u32());
  ASSIGN_OR_RETURN(std::uint32_t dtb_size, r.u32());
  TRY(r.skip(8));  // dtb_addr
  if (!plausible_page(b.page_size)) return fail(Errc::malformed, "Android vendor_boot page size implausible");
  b.cmdline = cstr(cmdline);
  b.name = cstr(name);
  Sizes sizes = {{"vendor_ramdisk", ramdisk_size}, {"dtb", dtb_size}};
  if (b.header_version == 4) {
    ASSIGN_OR_RETURN(std::uint32_t table_size, r.u32());
    TRY(r.skip(8));  // entry count, entry size
    ASSIGN_OR_RETURN(std::uint32_t bootconfig_size, r.u32());
    sizes.emplace_back("vendor_ramdisk_table", table_size);
    sizes.emplace_back("bootconfig", bootconfig_size);
  }
  // mkbootimg of Android 11 wrote 2108 (the v3 header without its last 4 bytes), for v4 too.
  if (header_size < kVendorBootHeaderV3 - 4 || header_size > 65536)
    return fail(Errc::malformed, "Android vendor_boot header size implausible");
  TRY(lay_out(b, header_size, sizes));
  return b;
}

}  // namespace

Result<BootImage> parse_android_boot(ByteView data) {
  if (data.starts_with("VNDRBOOT")) return parse_vendor(data);
  if (!data.starts_with("ANDROID!")) return fail(Errc::malformed, "no Android boot magic");
  Reader r(data, Endian::little);
  TRY(r.seek(40));
  ASSIGN_OR_RETURN(std::uint32_t version, r.u32());
  if (version == 3 || version == 4) return parse_v3_v4(data);
  return parse_v0_to_v2(data);
}

}  // namespace iotaudit::formats
