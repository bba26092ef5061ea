// Netgear CHK images (.chk files of Netgear routers and access points). The kernel and the root
// filesystem become part regions, searched on their own; the header fields are recorded and the
// checksums compared with what mkchkimg would compute.
#include <fmt/format.h>

#include "formats/netgear_chk.hpp"
#include "unpack/codecs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

class NetgearChkUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "netgear-chk",
        .description = "Netgear CHK firmware header (kernel + root filesystem)",
        .magics = {{0, std::string("\x2a\x23\x24\x5e", 4)}},
        .references = {"OpenWrt tools/firmware-utils/src/mkchkimg.c"},
        .limitations = {"the header, kernel, rootfs and image checksums are compared with the mkchkimg "
                        "algorithm; a mismatch is reported at low severity, because vendor tools are not known "
                        "to all agree with it",
                        "the parts are not interpreted here: a TRX or uImage inside the kernel part is found by "
                        "searching the part"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto h, formats::parse_netgear_chk(data));
    Probe p;
    p.length = std::uint64_t{h.header_len} + h.kernel_len + h.rootfs_len;
    p.detail = fmt::format("board {}, kernel {} bytes, rootfs {} bytes", h.board_id, h.kernel_len, h.rootfs_len);
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(auto h, formats::parse_netgear_chk(all));
    Tree& t = ctx.tree;
    t.add_diagnostic(ctx.region, {Severity::info, "netgear-chk.header",
                                  fmt::format("board \"{}\"{}{}, kernel {} bytes, rootfs {} bytes", h.board_id,
                                              h.version.empty() ? "" : ", version " + h.version,
                                              h.region ? fmt::format(", region {}", h.region) : "", h.kernel_len,
                                              h.rootfs_len)});
    const std::uint64_t end = std::uint64_t{h.header_len} + h.kernel_len + h.rootfs_len;
    if (end > all.size())
      t.add_diagnostic(ctx.region, {Severity::high, "netgear-chk.truncated",
                                    fmt::format("header declares {} bytes but only {} are present", end, all.size())});
    if (h.computed_header_chksum != h.header_chksum)
      t.add_diagnostic(ctx.region, {Severity::low, "netgear-chk.checksum",
                                    fmt::format("header checksum {:#010x} differs from the computed {:#010x}",
                                                h.header_chksum, h.computed_header_chksum)});
    struct Part {
      const char* name;
      std::uint64_t off, len;
      std::uint32_t sum;
    };
    formats::NetgearChecksum whole;  // the image checksum covers kernel and rootfs together
    bool complete = true;
    for (const Part& p : {Part{"kernel", h.header_len, h.kernel_len, h.kernel_chksum},
                          Part{"rootfs", std::uint64_t{h.header_len} + h.kernel_len, h.rootfs_len, h.rootfs_chksum}}) {
      if (p.len == 0) continue;
      std::uint64_t have = p.off >= all.size() ? 0 : std::min<std::uint64_t>(p.len, all.size() - p.off);
      if (have < p.len) complete = false;
      if (have == 0) continue;  // cut off entirely: the truncation diagnostic says so
      ByteView bytes = all.tail(p.off).head(have);
      if (have == p.len) {
        const std::uint32_t got = formats::netgear_checksum(bytes);
        whole.add(bytes);
        if (got != p.sum)
          t.add_diagnostic(ctx.region, {Severity::low, "netgear-chk.checksum",
                                        fmt::format("{} checksum {:#010x} differs from the computed {:#010x}", p.name,
                                                    p.sum, got)});
      }
      if (add_part_region(t, ctx.budget, ctx.region, p.name, "netgear-chk-part", p.off, have,
                          slice_blob(ctx.data, p.off, have), "netgear-chk") == kNoNode)
        break;
    }
    if (complete && whole.finish() != h.image_chksum)
      t.add_diagnostic(ctx.region, {Severity::low, "netgear-chk.checksum",
                                    fmt::format("image checksum {:#010x} differs from the computed {:#010x}",
                                                h.image_chksum, whole.finish())});
    return std::min<std::uint64_t>(end, all.size());
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_netgear_chk_unpacker() { return std::make_unique<NetgearChkUnpacker>(); }

}  // namespace iotaudit::unpack
