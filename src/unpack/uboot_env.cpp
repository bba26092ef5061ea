// U-Boot environment blocks. The format has no magic, so carving keys on the variable names that
// start nearly every saved environment (U-Boot's "env export" writes them sorted, and default
// environments start with bootargs/bootcmd/bootdelay/baudrate), placed right after the 4-byte CRC
// or the CRC and flags byte; the probe then demands a text-shaped block whose CRC matches one
// block size. The variables are recorded as an info diagnostic and as the region's content
// ("name=value" lines).
#include <fmt/format.h>

#include "formats/uboot_env.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {
namespace {

constexpr std::size_t kSummaryMax = 8192;

std::vector<Magic> env_magics() {
  static const char* const kNames[] = {
      "addmisc=", "arch=", "autoload=", "baudrate=", "board=", "board_name=", "bootargs=", "bootcmd=",
      "bootdelay=", "bootfile=", "bootm_size=", "console=", "ethact=", "ethaddr=", "ethprime=",
      "fdt_high=", "fdtcontroladdr=", "fileaddr=", "filesize=", "initrd_high=", "ipaddr=", "kernel_addr=",
      "loadaddr=", "mtdids=", "mtdparts=", "netmask=", "preboot=", "serverip=", "stderr=", "stdin=",
      "stdout=", "bootcount=", "silent=", "updatefw="};
  std::vector<Magic> out;
  for (const char* n : kNames) {
    out.push_back({4, n});
    out.push_back({5, n});
  }
  return out;
}

class UbootEnvUnpacker final : public Unpacker {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor d{
        .id = "uboot-env",
        .description = "U-Boot environment block (CRC32 + NUL-separated name=value variables)",
        .magics = env_magics(),
        .references = {"U-Boot include/env_internal.h (env_t)", "U-Boot tools/env/fw_env.c"},
        .limitations = {"carved only when the first variable has a common name (bootargs, bootcmd, "
                        "baudrate, ethaddr, ...); block sizes are multiples of 256 bytes up to 256 KiB"},
        .filesystem = false};
    return d;
  }

  Result<Probe> probe(ByteView data) const override {
    ASSIGN_OR_RETURN(auto env, formats::parse_uboot_env(data, 0));
    Probe p;
    p.length = env.size;
    p.detail = fmt::format("{} bytes{}, CRC {}", env.size, env.redundant ? ", redundant" : "",
                           env.crc_endian == Endian::little ? "little-endian" : "big-endian");
    return p;
  }

  Result<std::uint64_t> unpack(Context& ctx) const override {
    ASSIGN_OR_RETURN(auto env, formats::parse_uboot_env(ctx.data->view()));
    std::string text, summary;
    for (const auto& [k, v] : env.vars) {
      text += k + "=" + v + "\n";
      if (summary.size() < kSummaryMax) summary += fmt::format("{}{}={}", summary.empty() ? "" : "; ", k, v);
    }
    if (summary.size() > kSummaryMax) summary = summary.substr(0, kSummaryMax) + "...";
    ctx.tree.add_diagnostic(ctx.region,
                            {Severity::info, "uboot-env.vars",
                             fmt::format("{} variables ({} bytes{}, CRC {}): {}", env.vars.size(), env.size,
                                         env.redundant ? fmt::format(", redundant, flags {}", env.flags) : "",
                                         env.crc_endian == Endian::little ? "LE" : "BE", summary)});
    if (env.malformed > 0)
      ctx.tree.add_diagnostic(ctx.region, {Severity::low, "uboot-env.malformed",
                                           fmt::format("{} entries without '='", env.malformed)});
    if (env.vars_truncated)
      ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.env_vars",
                                           fmt::format("more than {} variables; the rest not recorded", env.vars.size())});
    if (!ctx.budget.take_bytes(text.size())) {
      ctx.tree.add_diagnostic(ctx.region, {Severity::high, "limit.total_bytes", "total output limit reached"});
      text.clear();
    }
    ctx.tree.set_content(ctx.region, make_blob(std::string_view(text)));
    return env.size;
  }
};

}  // namespace

std::unique_ptr<Unpacker> make_uboot_env_unpacker() { return std::make_unique<UbootEnvUnpacker>(); }

}  // namespace iotaudit::unpack
