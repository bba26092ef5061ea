// TP-Link v1 firmware headers (vendor images and OpenWrt factory images). Kernel, rootfs and
// bootloader become child regions; the bytes after the header become the region's content, so
// carving finds the LZMA kernel and the root filesystem.

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "core/hash.hpp"
#include "formats/tplink.hpp"
#include "unpack/codecs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

constexpr std::uint32_t kMaxLength = 256u << 20;

// MD5 of the firmware with `salt` in place of the stored digest.
bool md5_matches(ByteView fw, const formats::TplinkHeader& h, const std::array<std::uint8_t, 16>& salt) {
  const std::string md5 = md5_raw({fw.head(formats::kTplinkMd5Offset), ByteView(salt.data(), salt.size()),
                                   fw.tail(formats::kTplinkMd5Offset + 16)});
  return std::memcmp(md5.data(), h.md5.data(), 16) == 0;
}

class TplinkUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    // The version word alone (01 00 00 00) is far too common to carve on; the vendor strings
    // TP-Link and OpenWrt write follow it.
    static const Descriptor d{
        .id = "tplink",
        .description = "TP-Link firmware header v1 (kernel + rootfs [+ bootloader])",
        .magics = {{0, std::string("\x01\x00\x00\x00TP-LINK Technologies", 24)},
                   {0, std::string("\x01\x00\x00\x00OpenWrt\x00", 12)},
                   {0, std::string("\x01\x00\x00\x00LEDE\x00", 9)}},
        .references = {"OpenWrt tools/firmware-utils/src/mktplinkfw.c (struct fw_header)"},
        .limitations = {"header version 1 only (the v2 'ver. 2.0' and VxWorks IMG0 headers are "
                        "not parsed; their contents are still found by carving)"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto h, formats::parse_tplink(data));
    if (h.fw_length > kMaxLength) return fail(Errc::malformed, "TP-Link firmware length implausible");
    Probe p;
    p.length = h.fw_length;
    p.detail = fmt::format("{} {}, hw {:#010x} v{}", h.vendor, h.fw_version, h.hw_id, h.hw_rev);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(auto h, formats::parse_tplink(all));
    Tree& t = ctx.tree;
    t.add_diagnostic(ctx.region,
                     {Severity::info, "tplink.header",
                      fmt::format("vendor \"{}\", version \"{}\" ({}.{}.{}), hw id {:#010x} rev {}, kernel "
                                  "{:#x}+{:#x} load {:#010x} entry {:#010x}, rootfs {:#x}+{:#x}, boot {:#x}+{:#x}, "
                                  "{} bytes",
                                  h.vendor, h.fw_version, h.ver_hi, h.ver_mid, h.ver_lo, h.hw_id, h.hw_rev,
                                  h.kernel_ofs, h.kernel_len, h.kernel_la, h.kernel_ep, h.rootfs_ofs, h.rootfs_len,
                                  h.boot_ofs, h.boot_len, h.fw_length)});
    std::uint64_t end = std::min<std::uint64_t>(h.fw_length, all.size());
    if (h.fw_length > all.size()) {
      t.add_diagnostic(ctx.region, {Severity::high, "tplink.truncated",
                                    fmt::format("header declares {} bytes but only {} are present",
                                                h.fw_length, all.size())});
    } else {
      ByteView fw = all.head(h.fw_length);
      if (!md5_matches(fw, h, formats::kTplinkSaltNormal) && !md5_matches(fw, h, formats::kTplinkSaltBoot))
        t.add_diagnostic(ctx.region, {Severity::medium, "tplink.md5", "firmware MD5 does not match the header"});
    }
    struct Part {
      const char* name;
      std::uint64_t off, len;
    };
    // OpenWrt factory images give the rootfs offset in flash, not in the file: there the root
    // filesystem follows the kernel directly. When the file has bytes between the kernel's end and
    // the declared rootfs offset, and a container starts at the kernel's end but none at the
    // declared offset, the rootfs part starts at the kernel's end.
    std::uint64_t rootfs_ofs = h.rootfs_ofs, rootfs_len = h.rootfs_len;
    std::uint64_t kernel_end = std::uint64_t{h.kernel_ofs} + h.kernel_len;
    auto recognised_at = [&](std::uint64_t off) {
      if (off >= end) return false;
      ByteView v = all.tail(off).head(end - off);
      for (const auto& u : registry())
        for (const Magic& m : u->descriptor().magics)
          if (v.has_at(m.offset, m.bytes) && u->probe(v)) return true;
      return false;
    };
    if (h.kernel_len > 0 && kernel_end < rootfs_ofs && kernel_end < end && !recognised_at(rootfs_ofs) &&
        recognised_at(kernel_end)) {
      rootfs_len += rootfs_ofs - kernel_end;
      rootfs_ofs = kernel_end;
      t.add_diagnostic(ctx.region, {Severity::info, "tplink.rootfs_offset",
                                    fmt::format("rootfs searched from the kernel's end at {:#x} (header says {:#x})",
                                                rootfs_ofs, std::uint64_t{h.rootfs_ofs})});
    }
    for (const Part& p : {Part{"bootloader", h.boot_ofs, h.boot_len}, Part{"kernel", h.kernel_ofs, h.kernel_len},
                          Part{"rootfs", rootfs_ofs, rootfs_len}}) {
      if (p.len == 0) continue;
      if (p.off >= end) {
        t.add_diagnostic(ctx.region, {Severity::medium, "tplink.part",
                                      fmt::format("{} at {:#x} lies outside the firmware", p.name, p.off)});
        continue;
      }
      std::uint64_t have = std::min(p.len, end - p.off);
      if (add_part_region(t, ctx.budget, ctx.region, p.name, "tplink-part", p.off, have,
                          slice_blob(ctx.data, p.off, have), "tplink") == kNoNode)
        break;
    }
    std::uint64_t first = formats::kTplinkHeaderSize;
    t.set_content(ctx.region, slice_blob(ctx.data, first, end - std::min(first, end)), std::min(first, end));
    return end;
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_tplink_unpacker() { return std::make_unique<TplinkUnpacker>(); }

}  // namespace iotaudit::unpack
