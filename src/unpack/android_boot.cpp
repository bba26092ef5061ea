// Android boot and recovery images. Each section (kernel, ramdisk, second stage, recovery DTBO,
// DTB, boot signature) becomes a part region, searched on its own: the kernel is found as a
// kernel image, the ramdisk as a compressed cpio.
#include <fmt/format.h>

#include "formats/android_boot.hpp"
#include "unpack/codecs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

std::string os_version_text(std::uint32_t v) {
  if (v == 0) return "unset";
  // Bits 31-25 a, 24-18 b, 17-11 c: version a.b.c; bits 10-4 year - 2000, 3-0 month: patch level.
  return fmt::format("{}.{}.{}, patch level {}-{:02}", v >> 25, (v >> 18) & 0x7f, (v >> 11) & 0x7f,
                     2000 + ((v >> 4) & 0x7f), v & 0xf);
}

class AndroidBootUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "android-boot",
        .description = "Android boot/recovery image (header versions 0-4)",
        .magics = {{0, "ANDROID!"}},
        .references = {"AOSP system/tools/mkbootimg/include/bootimg/bootimg.h"},
        .limitations = {"vendor_boot images (\"VNDRBOOT\") are not recognised",
                        "the AVB signature, when present, is recorded as a part but not verified"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto b, formats::parse_android_boot(data));
    Probe p;
    p.length = b.length;
    p.detail = fmt::format("header v{}, {} sections, page {}", b.header_version, b.sections.size(), b.page_size);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(auto b, formats::parse_android_boot(all));
    Tree& t = ctx.tree;
    t.add_diagnostic(ctx.region, {Severity::info, "android-boot.header",
                                  fmt::format("header v{}, page {}, OS {}{}, cmdline \"{}\"", b.header_version,
                                              b.page_size, os_version_text(b.os_version),
                                              b.name.empty() ? "" : ", name \"" + b.name + "\"", b.cmdline)});
    if (b.length > all.size())
      t.add_diagnostic(ctx.region, {Severity::high, "android-boot.truncated",
                                    fmt::format("sections end at {} bytes but only {} are present", b.length, all.size())});
    for (const auto& s : b.sections) {
      std::uint64_t have = s.offset >= all.size() ? 0 : std::min<std::uint64_t>(s.size, all.size() - s.offset);
      if (have == 0) continue;
      if (add_part_region(t, ctx.budget, ctx.region, s.name, "android-boot-part", s.offset, have,
                          slice_blob(ctx.data, s.offset, have), "android-boot") == kNoNode)
        break;
    }
    return std::min<std::uint64_t>(b.length, all.size());
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_android_boot_unpacker() { return std::make_unique<AndroidBootUnpacker>(); }

}  // namespace iotaudit::unpack
