// Android boot images from mkbootimg (header versions 0, 2 and 3) and by hand: sections as parts,
// the ramdisk's cpio found, header fields, truncation and hostile headers.
#include <gtest/gtest.h>

#include <string>

#include "formats/android_boot.hpp"
#include "unit/support/buffer.hpp"
#include "unit/support/compress.hpp"
#include "unit/support/temp_dir.hpp"
#include "unit/support/tools.hpp"
#include "unit/support/unpack_util.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit {
namespace {

using namespace test;

std::string text(std::size_t n, const std::string& tag) {
  std::string s;
  while (s.size() < n) s += tag + " " + std::to_string(s.size()) + "\n";
  s.resize(n);
  return s;
}

NodeId only(const Tree& t, std::string_view format) {
  for (NodeId id : all_regions(t))
    if (t.at(id).format == format) return id;
  return kNoNode;
}

// A v0 image by hand: 2048-byte pages, kernel, gzip'd "ramdisk", second stage.
std::vector<std::uint8_t> make_v0(const std::string& kernel, const std::vector<std::uint8_t>& ramdisk) {
  Buffer b(false);
  const std::uint32_t page = 2048;
  b.raw(0, "ANDROID!");
  b.u32(8, static_cast<std::uint32_t>(kernel.size()));
  b.u32(16, static_cast<std::uint32_t>(ramdisk.size()));
  b.u32(24, 100);  // second
  b.u32(36, page);
  b.u32(44, (11u << 25) | (0u << 18) | (0u << 11) | (21u << 4) | 5u);  // 11.0.0, 2021-05
  b.raw(48, "testboard");
  b.raw(64, "console=ttyS0 androidboot.hardware=test");
  auto al = [page](std::size_t n) { return (n + page - 1) / page * page; };
  std::size_t pos = page;
  b.raw(pos, kernel);
  pos += al(kernel.size());
  b.raw(pos, std::string(ramdisk.begin(), ramdisk.end()));
  pos += al(ramdisk.size());
  b.raw(pos, std::string(100, 's'));
  pos += al(100);
  b.resize(pos);
  return b.bytes();
}

TEST(AndroidBoot, HandBuiltV0SectionsAndHeader) {
  std::string kernel = text(5000, "kernel"), ramdisk_text = text(8000, "ramdisk");
  auto img = make_v0(kernel, gzip(ramdisk_text));
  auto t = unpack_bytes(img);
  NodeId r = only(*t, "android-boot");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(r).origin.length, img.size());
  NodeId k = t->child(r, "kernel"), rd = t->child(r, "ramdisk"), sec = t->child(r, "second");
  ASSERT_NE(k, kNoNode);
  ASSERT_NE(rd, kNoNode);
  ASSERT_NE(sec, kNoNode);
  EXPECT_EQ(t->at(k).origin.offset, 2048u);
  EXPECT_EQ(t->at(rd).origin.offset, 2048u + 6144u);
  EXPECT_EQ(content_of(*t, k), kernel);
  NodeId g = only(*t, "gzip");
  ASSERT_NE(g, kNoNode);
  EXPECT_EQ(content_of(*t, g), ramdisk_text);
  std::string hdr;
  for (const auto& d : t->at(r).diagnostics)
    if (d.code == "android-boot.header") hdr = d.message;
  EXPECT_NE(hdr.find("header v0, page 2048, OS 11.0.0, patch level 2021-05, name \"testboard\""), std::string::npos) << hdr;
  EXPECT_NE(hdr.find("androidboot.hardware=test"), std::string::npos);
}

TEST(AndroidBoot, TruncatedAndHostile) {
  auto img = make_v0(text(5000, "k"), gzip(text(3000, "r")));
  std::vector<std::uint8_t> part(img.begin(), img.begin() + 4000);
  auto t = unpack_bytes(part);
  NodeId r = only(*t, "android-boot");
  ASSERT_NE(r, kNoNode);
  EXPECT_TRUE(has_diag(*t, r, "android-boot.truncated"));
  EXPECT_EQ(t->child(r, "ramdisk"), kNoNode);  // cut off entirely
  const unpack::Unpacker* u = unpack::find("android-boot");
  auto bad = img;
  bad[36] = 0x10;  // page size 0x810: not a power of two
  EXPECT_FALSE(u->probe(ByteView(bad.data(), bad.size())));
  bad = img;
  bad[40] = 9;  // header version 9
  EXPECT_FALSE(u->probe(ByteView(bad.data(), bad.size())));
  bad = img;
  bad[11] = 0x7f;  // kernel of 2 GiB
  EXPECT_FALSE(u->probe(ByteView(bad.data(), bad.size())));
  std::vector<std::uint8_t> magic{'A', 'N', 'D', 'R', 'O', 'I', 'D', '!', 0, 0};
  EXPECT_FALSE(u->probe(ByteView(magic.data(), magic.size())));
}

TEST(AndroidBoot, MkbootimgHeaderVersions) {
  if (!have_tool("mkbootimg")) GTEST_SKIP() << "mkbootimg not installed";
  TempDir dir;
  std::string kernel = text(7000, "kernel"), ramdisk_text = text(9000, "ramdisk");
  ASSERT_TRUE(write_text(dir / "kernel", kernel));
  ASSERT_TRUE(write_bytes(dir / "ramdisk", gzip(ramdisk_text)));
  ASSERT_TRUE(write_text(dir / "dtb", text(3000, "dtb")));
  for (int v : {0, 2, 3}) {  // Debian's mkbootimg writes versions 0 to 3
    std::string cmd = "mkbootimg --kernel '" + (dir / "kernel") + "' --ramdisk '" + (dir / "ramdisk") +
                      "' --header_version " + std::to_string(v) + " --os_version 12.0.0 --os_patch_level 2023-02" +
                      (v == 2 ? " --dtb '" + (dir / "dtb") + "'" : "") + " -o '" + (dir / "boot.img") + "'";
    ASSERT_TRUE(run(cmd)) << cmd;
    auto t = unpack_bytes(file_bytes(dir / "boot.img"));
    NodeId r = only(*t, "android-boot");
    ASSERT_NE(r, kNoNode) << v << diag_dump(*t);
    NodeId k = t->child(r, "kernel");
    ASSERT_NE(k, kNoNode) << v;
    EXPECT_EQ(content_of(*t, k), kernel) << v;
    NodeId g = only(*t, "gzip");
    ASSERT_NE(g, kNoNode) << v;
    EXPECT_EQ(content_of(*t, g), ramdisk_text) << v;
    if (v == 2) {
      NodeId d = t->child(r, "dtb");
      ASSERT_NE(d, kNoNode);
      EXPECT_EQ(content_of(*t, d), text(3000, "dtb"));
    }
    std::string hdr;
    for (const auto& dg : t->at(r).diagnostics)
      if (dg.code == "android-boot.header") hdr = dg.message;
    EXPECT_NE(hdr.find("OS 12.0.0, patch level 2023-02"), std::string::npos) << v << hdr;
  }
}

}  // namespace
}  // namespace iotaudit
