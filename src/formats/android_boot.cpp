#include "formats/android_boot.hpp"

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

}  // namespace

Result<BootImage> parse_android_boot(ByteView data) {
  if (!data.starts_with("ANDROID!")) return fail(Errc::malformed, "no Android boot magic");
  Reader r(data, Endian::little);
  TRY(r.seek(8));
  BootImage b;
  TRY(r.seek(40));
  ASSIGN_OR_RETURN(b.header_version, r.u32());
  std::vector<std::pair<const char*, std::uint64_t>> sizes;
  if (b.header_version <= 2) {
    TRY(r.seek(8));
    ASSIGN_OR_RETURN(std::uint32_t kernel_size, r.u32());
    TRY(r.skip(4));
    ASSIGN_OR_RETURN(std::uint32_t ramdisk_size, r.u32());
    TRY(r.skip(4));
    ASSIGN_OR_RETURN(std::uint32_t second_size, r.u32());
    TRY(r.skip(8));  // second_addr, tags_addr
    ASSIGN_OR_RETURN(b.page_size, r.u32());
    TRY(r.skip(4));  // header_version
    ASSIGN_OR_RETURN(b.os_version, r.u32());
    ASSIGN_OR_RETURN(ByteView name, r.bytes(16));
    ASSIGN_OR_RETURN(ByteView cmdline, r.bytes(512));
    b.name = cstr(name);
    b.cmdline = cstr(cmdline);
    sizes = {{"kernel", kernel_size}, {"ramdisk", ramdisk_size}, {"second", second_size}};
    if (b.header_version >= 1) {
      TRY(r.skip(32 + 1024));  // id, extra_cmdline
      ASSIGN_OR_RETURN(std::uint32_t dtbo_size, r.u32());
      TRY(r.skip(8 + 4));      // recovery_dtbo_offset, header_size
      sizes.emplace_back("recovery_dtbo", dtbo_size);
      if (b.header_version == 2) {
        ASSIGN_OR_RETURN(std::uint32_t dtb_size, r.u32());
        sizes.emplace_back("dtb", dtb_size);
      }
    }
    if (b.page_size < 2048 || b.page_size > 65536 || (b.page_size & (b.page_size - 1)) != 0)
      return fail(Errc::malformed, "Android boot page size implausible");
  } else if (b.header_version <= 4) {
    TRY(r.seek(8));
    ASSIGN_OR_RETURN(std::uint32_t kernel_size, r.u32());
    ASSIGN_OR_RETURN(std::uint32_t ramdisk_size, r.u32());
    ASSIGN_OR_RETURN(b.os_version, r.u32());
    TRY(r.seek(44));
    ASSIGN_OR_RETURN(ByteView cmdline, r.bytes(1536));
    b.cmdline = cstr(cmdline);
    b.page_size = 4096;
    sizes = {{"kernel", kernel_size}, {"ramdisk", ramdisk_size}};
    if (b.header_version == 4) {
      ASSIGN_OR_RETURN(std::uint32_t sig, r.u32());
      sizes.emplace_back("boot_signature", sig);
    }
  } else {
    return fail(Errc::unsupported, "Android boot header version above 4");
  }
  std::uint64_t pos = b.page_size;  // the header occupies the first page
  for (const auto& [name, size] : sizes) {
    if (size > kMaxSection) return fail(Errc::malformed, "Android boot section size implausible");
    if (size > 0) b.sections.push_back({name, pos, size});
    pos += align(size, b.page_size);
  }
  if (b.sections.empty() || b.sections.front().name != std::string("kernel"))
    return fail(Errc::malformed, "Android boot image without a kernel");
  b.length = pos;
  return b;
}

}  // namespace iotaudit::formats
