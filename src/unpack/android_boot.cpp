// Android boot, recovery, init_boot and vendor_boot images. Each section (kernel, ramdisk, second
// stage, recovery DTBO, DTB, boot signature, vendor ramdisk, ...) becomes a part region, searched
// on its own: the kernel is found as a kernel image, the ramdisk as a compressed cpio.
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
        .description = "Android boot/recovery/init_boot image (header versions 0-4) and vendor_boot image (3-4)",
        .magics = {{0, "ANDROID!"}, {0, "VNDRBOOT"}},
        .references = {"AOSP system/tools/mkbootimg/include/bootimg/bootimg.h",
                       "AOSP system/tools/mkbootimg/unpack_bootimg.py"},
        .limitations = {"the AVB signature, when present, is kept as a part but not verified",
                        "the header's SHA-1 id (versions 0-2) is not verified",
                        "a v4 vendor ramdisk table is kept as a part; its fragments are found by carving the "
                        "vendor ramdisk rather than split by the table",
                        "old Qualcomm images with a device-tree table size in the version field are recognised "
                        "only when the table starts with \"QCDT\" or a flattened device tree"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto b, formats::parse_android_boot(data));
    Probe p;
    p.length = b.length;
    p.detail = fmt::format("{}header v{}, {} sections, page {}", b.vendor ? "vendor_boot " : "",
                           b.header_version, b.sections.size(), b.page_size);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(auto b, formats::parse_android_boot(all));
    Tree& t = ctx.tree;
    t.add_diagnostic(ctx.region, {Severity::info, "android-boot.header",
                                  fmt::format("{}header v{}{}, page {}{}{}, cmdline \"{}\"",
                                              b.vendor ? "vendor_boot " : "", b.header_version,
                                              b.legacy_dt ? " (Qualcomm device-tree table)" : "", b.page_size,
                                              b.vendor ? "" : ", OS " + os_version_text(b.os_version),
                                              b.name.empty() ? "" : ", name \"" + b.name + "\"", b.cmdline)});
    if (b.length > all.size())
      t.add_diagnostic(ctx.region, {Severity::high, "android-boot.truncated",
                                    fmt::format("sections end at {} bytes but only {} are present", b.length, all.size())});
    for (const auto& s : b.sections) {
      std::uint64_t have = s.offset >= all.size() ? 0 : std::min<std::uint64_t>(s.size, all.size() - s.offset);
      if (have == 0) continue;  // cut off entirely: the truncation diagnostic says so
      if (have < s.size)
        t.add_diagnostic(ctx.region, {Severity::medium, "android-boot.partial",
                                      fmt::format("{} cut after {} of {} bytes", s.name, have, s.size)});
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
