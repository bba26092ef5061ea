// Android boot images by hand (v0, v2, v4, init_boot, vendor_boot v4, old Qualcomm "QCDT") and
// from mkbootimg (header versions 0, 2 and 3): sections as parts, the ramdisk's cpio found, header
// fields, truncation and hostile headers.
#include <gtest/gtest.h>

#include <string>

#include "formats/android_boot.hpp"
#include "unit/support/archive_writer.hpp"
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

std::string header_diag(const Tree& t, NodeId r) {
  for (const auto& d : t.at(r).diagnostics)
    if (d.code == "android-boot.header") return d.message;
  return {};
}

std::vector<std::uint8_t> ramdisk_cpio() {
  return gzip(make_archive(ArchiveFormat::cpio_newc,
                           {file("init", "#!/bin/sh\nexec /sbin/init\n", 0755), file("etc/fstab", "/dev/root / ext4\n")}));
}

// Appends `parts` after a header of `header` bytes, each on a `page` boundary.
std::vector<std::uint8_t> lay_out(Buffer& b, std::size_t header, std::uint32_t page,
                                  const std::vector<std::string>& parts) {
  auto al = [page](std::size_t n) { return (n + page - 1) / page * page; };
  std::size_t pos = al(header);
  for (const auto& p : parts) {
    b.raw(pos, p);
    pos += al(p.size());
  }
  b.resize(pos);
  return b.bytes();
}

std::string str(const std::vector<std::uint8_t>& v) { return std::string(v.begin(), v.end()); }

// The cpio inside the ramdisk part was unpacked and holds /init.
bool ramdisk_unpacked(const Tree& t, NodeId part) {
  for (NodeId d : descendants(t, part)) {
    if (t.at(d).format != "cpio") continue;
    NodeId root = fs_root_of(t, d);
    if (root != kNoNode && t.resolve(root, "/init") != kNoNode) return true;
  }
  return false;
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

TEST(AndroidBoot, HandBuiltV2WithDtboAndDtbAndCpioRamdisk) {
  Buffer b(false);
  const std::uint32_t page = 4096;
  std::string kernel = text(6000, "kernel"), second = text(10, "second"), dtbo = text(700, "dtbo"),
              dtb = text(900, "dtb");
  std::string ramdisk = str(ramdisk_cpio());
  b.raw(0, "ANDROID!");
  b.u32(8, static_cast<std::uint32_t>(kernel.size()));
  b.u32(16, static_cast<std::uint32_t>(ramdisk.size()));
  b.u32(24, static_cast<std::uint32_t>(second.size()));
  b.u32(36, page);
  b.u32(40, 2);
  b.raw(64, "console=ttyMSM0");
  b.raw(608, "buildvariant=user");  // extra_cmdline
  b.u32(1632, static_cast<std::uint32_t>(dtbo.size()));
  b.u32(1644, 1660);
  b.u32(1648, static_cast<std::uint32_t>(dtb.size()));
  auto img = lay_out(b, 1660, page, {kernel, ramdisk, second, dtbo, dtb});
  auto t = unpack_bytes(img);
  NodeId r = only(*t, "android-boot");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(r).origin.length, img.size());
  const std::vector<std::pair<std::string, std::string>> want = {
      {"kernel", kernel}, {"ramdisk", ramdisk}, {"second", second}, {"recovery_dtbo", dtbo}, {"dtb", dtb}};
  std::uint64_t off = page;
  for (const auto& [name, bytes] : want) {
    NodeId p = t->child(r, name);
    ASSERT_NE(p, kNoNode) << name;
    EXPECT_EQ(t->at(p).origin.offset, off) << name;
    EXPECT_EQ(content_of(*t, p), bytes) << name;
    off += (bytes.size() + page - 1) / page * page;
  }
  EXPECT_TRUE(ramdisk_unpacked(*t, t->child(r, "ramdisk"))) << diag_dump(*t);
  EXPECT_NE(header_diag(*t, r).find("header v2, page 4096, OS unset, cmdline \"console=ttyMSM0 buildvariant=user\""),
            std::string::npos)
      << header_diag(*t, r);
  EXPECT_FALSE(has_diag(*t, r, "android-boot.truncated"));
}

std::vector<std::uint8_t> make_v4(const std::string& kernel, const std::string& ramdisk, const std::string& sig) {
  Buffer b(false);
  b.raw(0, "ANDROID!");
  b.u32(8, static_cast<std::uint32_t>(kernel.size()));
  b.u32(12, static_cast<std::uint32_t>(ramdisk.size()));
  b.u32(16, (14u << 25) | (23u << 4) | 7u);  // 14.0.0, 2023-07
  b.u32(20, 1584);
  b.u32(40, 4);
  b.raw(44, "androidboot.selinux=permissive");
  b.u32(1580, static_cast<std::uint32_t>(sig.size()));
  std::vector<std::string> parts;
  for (const auto* p : {&kernel, &ramdisk, &sig})
    if (!p->empty()) parts.push_back(*p);
  return lay_out(b, 1584, 4096, parts);
}

TEST(AndroidBoot, HandBuiltV4AndInitBoot) {
  std::string kernel = text(5000, "kernel"), ramdisk = str(ramdisk_cpio()), sig = text(300, "avb");
  auto img = make_v4(kernel, ramdisk, sig);
  auto t = unpack_bytes(img);
  NodeId r = only(*t, "android-boot");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(r).origin.length, img.size());
  ASSERT_NE(t->child(r, "kernel"), kNoNode);
  EXPECT_EQ(t->at(t->child(r, "kernel")).origin.offset, 4096u);
  EXPECT_EQ(content_of(*t, t->child(r, "kernel")), kernel);
  ASSERT_NE(t->child(r, "boot_signature"), kNoNode);
  EXPECT_EQ(content_of(*t, t->child(r, "boot_signature")), sig);
  EXPECT_TRUE(ramdisk_unpacked(*t, t->child(r, "ramdisk"))) << diag_dump(*t);
  EXPECT_NE(header_diag(*t, r).find("header v4, page 4096, OS 14.0.0, patch level 2023-07, cmdline "
                                    "\"androidboot.selinux=permissive\""),
            std::string::npos)
      << header_diag(*t, r);
  // init_boot: a v4 image with a ramdisk and no kernel.
  img = make_v4("", ramdisk, "");
  t = unpack_bytes(img);
  r = only(*t, "android-boot");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->child(r, "kernel"), kNoNode);
  ASSERT_NE(t->child(r, "ramdisk"), kNoNode);
  EXPECT_EQ(t->at(t->child(r, "ramdisk")).origin.offset, 4096u);
  EXPECT_TRUE(ramdisk_unpacked(*t, t->child(r, "ramdisk"))) << diag_dump(*t);
  // Nothing at all is not an image; a header size beyond the page is hostile.
  const unpack::Unpacker* u = unpack::find("android-boot");
  img = make_v4("", "", "");
  EXPECT_FALSE(u->probe(ByteView(img.data(), img.size())));
  img = make_v4(kernel, ramdisk, "");
  img[21] = 0x20;  // header_size 0x2000 + 0x630
  EXPECT_FALSE(u->probe(ByteView(img.data(), img.size())));
}

TEST(AndroidBoot, HandBuiltVendorBootV4) {
  Buffer b(false);
  const std::uint32_t page = 2048;
  std::string ramdisk = str(ramdisk_cpio()), dtb = text(3000, "dtb"), table = text(108, "table"),
              bootconfig = "androidboot.hardware=test\n";
  b.raw(0, "VNDRBOOT");
  b.u32(8, 4);
  b.u32(12, page);
  b.u32(24, static_cast<std::uint32_t>(ramdisk.size()));
  b.raw(28, "console=ttyS1");
  b.raw(2080, "vendorboard");
  b.u32(2096, 2128);
  b.u32(2100, static_cast<std::uint32_t>(dtb.size()));
  b.u32(2112, static_cast<std::uint32_t>(table.size()));
  b.u32(2116, 1);
  b.u32(2120, 108);
  b.u32(2124, static_cast<std::uint32_t>(bootconfig.size()));
  auto img = lay_out(b, 2128, page, {ramdisk, dtb, table, bootconfig});
  auto t = unpack_bytes(img);
  NodeId r = only(*t, "android-boot");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(r).origin.length, img.size());
  NodeId vr = t->child(r, "vendor_ramdisk");
  ASSERT_NE(vr, kNoNode);
  EXPECT_EQ(t->at(vr).origin.offset, 4096u);  // a 2128-byte header takes two 2048-byte pages
  EXPECT_TRUE(ramdisk_unpacked(*t, vr)) << diag_dump(*t);
  ASSERT_NE(t->child(r, "dtb"), kNoNode);
  EXPECT_EQ(content_of(*t, t->child(r, "dtb")), dtb);
  ASSERT_NE(t->child(r, "bootconfig"), kNoNode);
  EXPECT_EQ(content_of(*t, t->child(r, "bootconfig")), bootconfig);
  ASSERT_NE(t->child(r, "vendor_ramdisk_table"), kNoNode);
  EXPECT_NE(header_diag(*t, r).find("vendor_boot header v4, page 2048, name \"vendorboard\", cmdline \"console=ttyS1\""),
            std::string::npos)
      << header_diag(*t, r);
  const unpack::Unpacker* u = unpack::find("android-boot");
  auto bad = img;
  bad[8] = 2;  // vendor_boot has no version 2
  EXPECT_FALSE(u->probe(ByteView(bad.data(), bad.size())));
  bad = img;
  bad[2097] = 0;  // header_size 2128 -> 80
  EXPECT_FALSE(u->probe(ByteView(bad.data(), bad.size())));
}

TEST(AndroidBoot, QualcommDeviceTreeTableInTheVersionField) {
  std::string kernel = text(3000, "kernel"), ramdisk = str(ramdisk_cpio());
  std::string qcdt = "QCDT" + text(2500, "dt");
  Buffer b(false);
  const std::uint32_t page = 2048;
  b.raw(0, "ANDROID!");
  b.u32(8, static_cast<std::uint32_t>(kernel.size()));
  b.u32(16, static_cast<std::uint32_t>(ramdisk.size()));
  b.u32(36, page);
  b.u32(40, static_cast<std::uint32_t>(qcdt.size()));
  auto img = lay_out(b, 1632, page, {kernel, ramdisk, qcdt});
  auto t = unpack_bytes(img);
  NodeId r = only(*t, "android-boot");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(r).origin.length, img.size());
  ASSERT_NE(t->child(r, "dt"), kNoNode);
  EXPECT_EQ(content_of(*t, t->child(r, "dt")), qcdt);
  EXPECT_NE(header_diag(*t, r).find("header v0 (Qualcomm device-tree table)"), std::string::npos) << header_diag(*t, r);
  // The same version field without a table where it would be: not an image.
  auto off = 2048 + 2048 * ((kernel.size() + 2047) / 2048) + 2048 * ((ramdisk.size() + 2047) / 2048);
  img[off] = 'X';  // "QCDT" becomes "XCDT"
  const unpack::Unpacker* u = unpack::find("android-boot");
  EXPECT_FALSE(u->probe(ByteView(img.data(), img.size())));
}

TEST(AndroidBoot, TruncatedAtSeveralPoints) {
  std::string kernel = text(5000, "k");
  auto ramdisk = ramdisk_cpio();
  auto img = make_v0(kernel, ramdisk);
  const std::size_t rd_at = 2048 + 6144;
  // Inside the header: no image (the header is incomplete), no crash.
  for (std::size_t cut : {std::size_t{8}, std::size_t{44}, std::size_t{600}, std::size_t{1631}}) {
    std::vector<std::uint8_t> part(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);
    EXPECT_EQ(only(*t, "android-boot"), kNoNode) << cut;
  }
  // Header complete, sections cut: what is there is kept, and said to be cut.
  for (std::size_t cut : {std::size_t{2048}, std::size_t{4000}, rd_at + 10, img.size() - 2000}) {
    std::vector<std::uint8_t> part(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);
    NodeId r = only(*t, "android-boot");
    ASSERT_NE(r, kNoNode) << cut;
    EXPECT_TRUE(has_diag(*t, r, "android-boot.truncated")) << cut;
    for (NodeId p : regions_of(*t, r)) EXPECT_LE(t->at(p).origin.offset + t->at(p).origin.length, cut) << cut;
    NodeId k = t->child(r, "kernel");
    if (cut <= 2048) {
      EXPECT_EQ(k, kNoNode);
    } else {
      ASSERT_NE(k, kNoNode) << cut;
      EXPECT_EQ(content_of(*t, k), kernel.substr(0, cut - 2048)) << cut;
    }
    if (cut > 2048 && cut < 2048 + kernel.size()) EXPECT_TRUE(has_diag(*t, r, "android-boot.partial")) << cut;
  }
}

TEST(AndroidBoot, MkbootimgVendorBoot) {
  if (!have_tool("mkbootimg")) GTEST_SKIP() << "mkbootimg not installed";
  TempDir dir;
  auto vr = ramdisk_cpio();
  std::string dtb = text(3000, "dtb");
  ASSERT_TRUE(write_bytes(dir / "vendor_ramdisk", vr));
  ASSERT_TRUE(write_text(dir / "dtb", dtb));
  for (int v : {3, 4}) {  // Debian's mkbootimg writes the v3 layout under either number
    std::string cmd = "mkbootimg --header_version " + std::to_string(v) + " --vendor_boot '" + (dir / "vb.img") +
                      "' --vendor_ramdisk '" + (dir / "vendor_ramdisk") + "' --dtb '" + (dir / "dtb") +
                      "' --vendor_cmdline 'console=ttyS2' --board vboard --pagesize 4096 >/dev/null 2>&1";
    ASSERT_TRUE(run(cmd)) << cmd;
    auto img = file_bytes(dir / "vb.img");
    auto t = unpack_bytes(img);
    NodeId r = only(*t, "android-boot");
    ASSERT_NE(r, kNoNode) << v << diag_dump(*t);
    EXPECT_EQ(t->at(r).origin.length, img.size()) << v;
    NodeId p = t->child(r, "vendor_ramdisk");
    ASSERT_NE(p, kNoNode) << v;
    EXPECT_EQ(t->at(p).origin.offset, 4096u);
    EXPECT_TRUE(ramdisk_unpacked(*t, p)) << v << diag_dump(*t);
    ASSERT_NE(t->child(r, "dtb"), kNoNode) << v;
    EXPECT_EQ(content_of(*t, t->child(r, "dtb")), dtb) << v;
    EXPECT_NE(header_diag(*t, r).find("vendor_boot header v" + std::to_string(v) +
                                      ", page 4096, name \"vboard\", cmdline \"console=ttyS2\""),
              std::string::npos)
        << header_diag(*t, r);
  }
}

}  // namespace
}  // namespace iotaudit
