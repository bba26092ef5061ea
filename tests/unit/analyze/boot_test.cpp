// Bootloader environments on raw images built in memory: the default environment compiled into a
// U-Boot binary, an environment partition with a valid CRC, stop keys, and kernel command lines.
#include <gtest/gtest.h>

#include <cstring>

#include "analyze/analyzer.hpp"
#include "formats/crc32.hpp"
#include "unit/support/analyze_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

void put(std::vector<std::uint8_t>& img, std::size_t at, std::string_view s) {
  ASSERT_LE(at + s.size(), img.size());
  for (std::size_t i = 0; i < s.size(); ++i) img[at + i] = static_cast<std::uint8_t>(s[i]);
}

// A stand-in bootloader: a version banner and NUL-separated default variables.
std::vector<std::uint8_t> bootloader(std::string_view vars) {
  std::vector<std::uint8_t> img(0x4000, 0x00);
  put(img, 0x100, "U-Boot 2020.01 (Jan 01 2020 - 00:00:00 +0000)");  // the buffer is zero-filled
  put(img, 0x801, vars);
  return img;
}

// A 4 KiB environment partition: CRC32 (little-endian) over the rest, then the variables.
void env_partition(std::vector<std::uint8_t>& img, std::size_t at, std::string_view vars) {
  std::vector<std::uint8_t> block(0x1000, 0x00);
  std::memcpy(block.data() + 4, vars.data(), vars.size());
  std::uint32_t crc = formats::crc32(ByteView(block.data() + 4, block.size() - 4));
  for (int i = 0; i < 4; ++i) block[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (8 * i));
  if (img.size() < at + block.size()) img.resize(at + block.size(), 0xff);
  std::memcpy(img.data() + at, block.data(), block.size());
}

Analyzed analyze_image(std::vector<std::uint8_t> img) { return analyze_bytes(std::move(img)); }

std::vector<const Finding*> of(const Analyzed& r, std::string_view check) { return findings_of(r, check); }

TEST(BootEnv, DefaultEnvironmentInTheBootloader) {
  using namespace std::string_view_literals;
  auto r = analyze_image(bootloader("bootcmd=bootm 0x9f020000\0bootdelay=3\0baudrate=115200\0\0"sv));
  ASSERT_EQ(r.result.facts.boot_envs.size(), 1u);
  const auto& e = r.result.facts.boot_envs[0];
  EXPECT_EQ(e.origin, "bootloader default environment");
  EXPECT_EQ(e.offset, 0x801u);
  ASSERT_EQ(e.vars.size(), 3u);
  EXPECT_EQ(e.vars[1], (std::pair<std::string, std::string>{"bootdelay", "3"}));
  auto f = of(r, "boot.console_interrupt");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->severity, Severity::medium);
  EXPECT_EQ(f[0]->evidence[0].excerpt, "bootdelay=3");
}

TEST(BootEnv, StopKeyOrNoDelayIsNotAFinding) {
  using namespace std::string_view_literals;
  auto keyed = analyze_image(bootloader("bootcmd=bootm\0bootdelay=3\0bootstopkeysha256=0123abcd\0\0"sv));
  EXPECT_TRUE(of(keyed, "boot.console_interrupt").empty());
  auto nodelay = analyze_image(bootloader("bootcmd=bootm\0bootdelay=-2\0\0"sv));
  EXPECT_TRUE(of(nodelay, "boot.console_interrupt").empty());
  EXPECT_EQ(nodelay.result.facts.boot_envs.size(), 1u);
  // Text that merely mentions bootcmd= inside other strings is not an environment.
  auto prose = analyze_image(bootloader("see bootcmd=foo in the manual\0\0"sv));
  EXPECT_TRUE(prose.result.facts.boot_envs.empty());
}

TEST(BootEnv, PartitionWithShellCommandLine) {
  using namespace std::string_view_literals;
  std::vector<std::uint8_t> img(0x10000, 0xff);
  env_partition(img, 0x8000, "bootargs=console=ttyS0,115200 init=/bin/sh\0bootdelay=-1\0bootcmd=bootm\0\0"sv);
  auto r = analyze_image(std::move(img));
  ASSERT_FALSE(r.result.facts.boot_envs.empty());
  EXPECT_EQ(r.result.facts.boot_envs[0].origin, "environment partition");
  auto c = of(r, "boot.console_interrupt");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->severity, Severity::high);  // -1: waits at the prompt forever
  auto k = of(r, "boot.kernel_cmdline");
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0]->severity, Severity::critical);
  EXPECT_NE(k[0]->description.find("init=/bin/sh"), std::string::npos);
}

TEST(BootEnv, VerifiedBootEvidence) {
  using namespace std::string_view_literals;
  // A bootloader and nothing that verifies: the absence is reported (low) and the run stays
  // inconclusive, since ROM secure boot cannot be seen.
  auto plain = analyze_image(bootloader("bootcmd=bootm\0bootdelay=-2\0\0"sv));
  auto f = of(plain, "boot.verified_boot");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->severity, Severity::low);
  // dm-verity on the kernel command line is evidence.
  std::vector<std::uint8_t> img(0x10000, 0xff);
  env_partition(img, 0x8000, "bootargs=root=/dev/dm-0 dm-mod.create=\"vroot,,,ro,0 1 verity 1\"\0bootdelay=-2\0bootcmd=bootm\0\0"sv);
  auto verity = analyze_image(std::move(img));
  EXPECT_TRUE(of(verity, "boot.verified_boot").empty());
  bool noted = false;
  for (const auto& run : verity.result.runs)
    if (run.check_id == "boot.verified_boot") noted = run.conclusive && !run.notes.empty();
  EXPECT_TRUE(noted);
}

}  // namespace
}  // namespace iotaudit
