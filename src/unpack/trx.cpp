// Broadcom TRX containers (Linksys, Netgear, Asus and DD-WRT/OpenWrt images for BCM47xx and
// others). Each partition becomes a child region; the bytes after the header become the region's
// content, so carving finds the kernel stream and the root filesystem inside them.
#include <fmt/format.h>

#include "formats/trx.hpp"
#include "unpack/codecs.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

// TRX images are flash images: anything larger than this is a false positive.
constexpr std::uint32_t kMaxTrxLength = 256u << 20;

class TrxUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "trx",
        .description = "Broadcom TRX firmware container (v1, v2)",
        .magics = {{0, "HDR0"}},
        .references = {"OpenWrt tools/firmware-utils/src/trx.c, otrx.c",
                       "Broadcom shared/include/trxhdr.h"},
        .limitations = {"partitions are child regions; what they hold is found by carving the "
                        "image after the header"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto h, formats::parse_trx(data));
    if (h.length > kMaxTrxLength) return fail(Errc::malformed, "TRX length implausible");
    Probe p;
    p.length = h.length;
    p.detail = fmt::format("v{}, {} partitions{}", h.version, h.partitions.size(),
                           h.crc_checked && !h.crc_ok ? ", CRC mismatch" : "");
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ByteView all = ctx.data->view();
    ASSIGN_OR_RETURN(auto h, formats::parse_trx(all));
    Tree& t = ctx.tree;
    std::string parts;
    for (const auto& p : h.partitions)
      parts += fmt::format("{}{:#x}+{:#x}", parts.empty() ? "" : ", ", p.offset, p.length);
    t.add_diagnostic(ctx.region, {Severity::info, "trx.header",
                                  fmt::format("TRX v{}, {} bytes, flags {:#06x}, partitions {}", h.version,
                                              h.length, h.flags, parts)});
    if (!h.crc_checked)
      t.add_diagnostic(ctx.region, {Severity::high, "trx.truncated",
                                    fmt::format("header declares {} bytes but only {} are present", h.length,
                                                all.size())});
    else if (!h.crc_ok)
      t.add_diagnostic(ctx.region, {Severity::medium, "trx.crc",
                                    fmt::format("CRC {:#010x} does not match the image", h.crc)});
    for (std::size_t i = 0; i < h.partitions.size(); ++i) {
      const auto& p = h.partitions[i];
      std::uint64_t have = p.offset >= all.size() ? 0 : std::min<std::uint64_t>(p.length, all.size() - p.offset);
      if (add_part_region(t, ctx.budget, ctx.region, fmt::format("partition-{}", i), "trx-partition", p.offset,
                          have, slice_blob(ctx.data, std::min<std::uint64_t>(p.offset, all.size()), have),
                          "trx") == kNoNode)
        break;
    }
    std::uint64_t end = std::min<std::uint64_t>(h.length, all.size());
    std::uint64_t first = std::min<std::uint64_t>(h.partitions.front().offset, end);
    t.set_content(ctx.region, slice_blob(ctx.data, first, end - first), first);
    return end;
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_trx_unpacker() { return std::make_unique<TrxUnpacker>(); }

}  // namespace iotaudit::unpack
