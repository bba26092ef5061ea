// TRX, TP-Link v1, U-Boot environment and ARM zImage headers built by hand (no Debian tool writes
// them): partitions as child regions, CRC/MD5 mismatches, truncation, both CRC byte orders.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <string>

#include "unit/support/buffer.hpp"
#include "unit/support/compress.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

std::string text(std::size_t n, const std::string& tag) {
  std::string s;
  while (s.size() < n) s += tag + " " + std::to_string(s.size()) + "\n";
  s.resize(n);
  return s;
}

NodeId region_of(const Tree& t, NodeId parent, std::string_view format) {
  for (NodeId id : regions_of(t, parent))
    if (t.at(id).format == format) return id;
  return kNoNode;
}

std::string diag_message(const Tree& t, NodeId id, std::string_view code) {
  for (const auto& d : t.at(id).diagnostics)
    if (d.code == code) return d.message;
  return "";
}

// TRX v1 with a gzip'd "kernel" and a second gzip'd "rootfs" partition.
struct Trx {
  std::vector<std::uint8_t> image;
  std::string kernel, rootfs;
  std::uint32_t p1 = 0;
};

Trx make_trx(unsigned version = 1) {
  Trx t;
  t.kernel = text(20000, "kernel");
  t.rootfs = text(30000, "rootfs");
  auto k = gzip(t.kernel), r = gzip(t.rootfs);
  std::uint32_t hdr = version == 1 ? 28 : 32;
  Buffer b(false);
  b.raw(0, "HDR0");
  b.u16(14, static_cast<std::uint16_t>(version));
  b.u32(16, hdr);
  t.p1 = static_cast<std::uint32_t>((hdr + k.size() + 0xfff) & ~0xfffu);
  b.u32(20, t.p1);
  b.raw(hdr, std::string(k.begin(), k.end()));
  b.resize(t.p1);
  b.raw(t.p1, std::string(r.begin(), r.end()));
  b.resize((b.size() + 0xfff) & ~std::size_t{0xfff});
  b.u32(4, static_cast<std::uint32_t>(b.size()));
  auto& v = b.bytes();
  b.u32(8, ~static_cast<std::uint32_t>(crc32(0, v.data() + 12, static_cast<uInt>(v.size() - 12))));
  t.image = v;
  return t;
}

TEST(Trx, PartitionsAreChildRegionsAndCarved) {
  for (unsigned version : {1u, 2u}) {
    Trx trx = make_trx(version);
    auto t = unpack_bytes(trx.image);
    NodeId r = region_of(*t, t->root(), "trx");
    ASSERT_NE(r, kNoNode) << diag_dump(*t);
    EXPECT_EQ(t->at(r).origin.length, trx.image.size());
    NodeId p0 = t->child(r, "partition-0"), p1 = t->child(r, "partition-1");
    ASSERT_NE(p0, kNoNode);
    ASSERT_NE(p1, kNoNode);
    EXPECT_EQ(t->at(p0).origin.offset, version == 1 ? 28u : 32u);
    EXPECT_EQ(t->at(p1).origin.offset, trx.p1);
    EXPECT_EQ(t->at(p1).size, trx.image.size() - trx.p1);
    EXPECT_FALSE(has_diag(*t, r, "trx.crc")) << diag_dump(*t);
    int found = 0;
    for (NodeId c : descendants(*t, r))
      if (t->at(c).format == "gzip") found += content_of(*t, c) == trx.kernel || content_of(*t, c) == trx.rootfs;
    EXPECT_EQ(found, 2) << diag_dump(*t);
  }
}

TEST(Trx, CrcMismatchAndTruncation) {
  Trx trx = make_trx();
  auto bad = trx.image;
  bad[bad.size() - 1] ^= 1;
  auto t = unpack_bytes(bad);
  NodeId r = region_of(*t, t->root(), "trx");
  ASSERT_NE(r, kNoNode);
  EXPECT_TRUE(has_diag(*t, r, "trx.crc"));
  for (std::size_t cut = 28; cut < trx.image.size(); cut += 3001) {
    std::vector<std::uint8_t> img(trx.image.begin(), trx.image.begin() + static_cast<long>(cut));
    t = unpack_bytes(img);
    r = region_of(*t, t->root(), "trx");
    ASSERT_NE(r, kNoNode) << cut;
    EXPECT_TRUE(has_diag(*t, r, "trx.truncated"));
    for (NodeId c : regions_of(*t, r)) EXPECT_LE(t->at(c).origin.offset + t->at(c).size, cut + 200000);
  }
}

TEST(Trx, HostileOffsetsAreRejected) {
  Trx trx = make_trx();
  auto img = trx.image;
  img[20] = 0x10;  // second partition before the first
  img[21] = img[22] = img[23] = 0;
  auto t = unpack_bytes(img);
  EXPECT_EQ(region_of(*t, t->root(), "trx"), kNoNode);
  img = trx.image;
  img[16] = img[17] = img[18] = img[19] = 0xff;  // first partition beyond the image
  t = unpack_bytes(img);
  EXPECT_EQ(region_of(*t, t->root(), "trx"), kNoNode);
}

std::array<std::uint8_t, 16> md5(const std::vector<std::uint8_t>& v) {
  std::array<std::uint8_t, 16> out{};
  unsigned len = 0;
  EVP_Digest(v.data(), v.size(), out.data(), &len, EVP_md5(), nullptr);
  return out;
}

// TP-Link v1 image: header, lzma-less "kernel" (gzip) at 0x200, rootfs (gzip) at 0x10000.
std::vector<std::uint8_t> make_tplink(const std::string& kernel, const std::string& rootfs, bool good_md5 = true) {
  auto k = gzip(kernel), r = gzip(rootfs);
  Buffer b(true);
  b.u32(0, 0x01000000);
  b.raw(4, "TP-LINK Technologies");
  b.raw(28, "ver. 1.0");
  b.u32(0x40, 0x30200001);
  b.u32(0x44, 1);
  b.u32(0x74, 0x80002000);
  b.u32(0x78, 0x801d5b20);
  b.u32(0x80, 0x200);
  b.u32(0x84, static_cast<std::uint32_t>(k.size()));
  b.u32(0x88, 0x10000);
  b.u32(0x8c, static_cast<std::uint32_t>(r.size()));
  b.u16(0x98, 3);
  b.u16(0x9a, 17);
  b.u16(0x9c, 2);
  b.raw(0x200, std::string(k.begin(), k.end()));
  b.resize(0x10000);
  b.raw(0x10000, std::string(r.begin(), r.end()));
  b.resize(0x20000);
  b.u32(0x7c, 0x20000);
  static const std::uint8_t salt[16] = {0xdc, 0xd7, 0x3a, 0xa5, 0xc3, 0x95, 0x98, 0xfb,
                                        0xdd, 0xf9, 0xe7, 0xf4, 0x0e, 0xae, 0x47, 0x38};
  for (int i = 0; i < 16; ++i) b.u8(0x4c + static_cast<std::size_t>(i), salt[i]);
  auto digest = md5(b.bytes());
  for (int i = 0; i < 16; ++i) b.u8(0x4c + static_cast<std::size_t>(i), static_cast<std::uint8_t>(digest[static_cast<std::size_t>(i)] ^ (good_md5 ? 0 : 1)));
  return b.bytes();
}

TEST(Tplink, KernelAndRootfsRegions) {
  std::string kernel = text(30000, "kernel"), rootfs = text(50000, "rootfs");
  auto img = make_tplink(kernel, rootfs);
  auto t = unpack_bytes(img);
  NodeId r = region_of(*t, t->root(), "tplink");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(r).origin.length, 0x20000u);
  EXPECT_FALSE(has_diag(*t, r, "tplink.md5")) << diag_dump(*t);
  std::string hdr = diag_message(*t, r, "tplink.header");
  EXPECT_NE(hdr.find("vendor \"TP-LINK Technologies\", version \"ver. 1.0\" (3.17.2), hw id 0x30200001"),
            std::string::npos) << hdr;
  NodeId k = t->child(r, "kernel"), fs = t->child(r, "rootfs");
  ASSERT_NE(k, kNoNode);
  ASSERT_NE(fs, kNoNode);
  EXPECT_EQ(t->at(k).origin.offset, 0x200u);
  EXPECT_EQ(t->at(fs).origin.offset, 0x10000u);
  EXPECT_EQ(t->at(fs).size, gzip(rootfs).size());
  int found = 0;
  for (NodeId c : descendants(*t, r))
    if (t->at(c).format == "gzip") found += content_of(*t, c) == kernel || content_of(*t, c) == rootfs;
  EXPECT_EQ(found, 2) << diag_dump(*t);
}

TEST(Tplink, Md5MismatchAndTruncation) {
  auto img = make_tplink(text(3000, "k"), text(3000, "r"), false);
  auto t = unpack_bytes(img);
  NodeId r = region_of(*t, t->root(), "tplink");
  ASSERT_NE(r, kNoNode);
  EXPECT_TRUE(has_diag(*t, r, "tplink.md5"));
  img = make_tplink(text(3000, "k"), text(3000, "r"));
  for (std::size_t cut : {std::size_t{0x200}, std::size_t{0x400}, std::size_t{0x10010}, std::size_t{0x1ffff}}) {
    std::vector<std::uint8_t> part(img.begin(), img.begin() + static_cast<long>(cut));
    t = unpack_bytes(part);
    r = region_of(*t, t->root(), "tplink");
    ASSERT_NE(r, kNoNode) << cut;
    EXPECT_TRUE(has_diag(*t, r, "tplink.truncated"));
    for (NodeId c : regions_of(*t, r)) EXPECT_LE(t->at(c).origin.offset + t->at(c).origin.length, cut);
  }
}

TEST(Tplink, PartCoveringItsOwnHeaderIsNotFoundAgainInside) {
  // Images that carry a bootloader name it at offset 0: the part starts with the TP-Link header
  // itself. It must be one container, not a chain of itself down to the depth limit.
  auto img = make_tplink(text(3000, "k"), text(3000, "r"));
  Buffer b(true);
  b.bytes() = img;
  b.u32(0x90, 0);       // boot offset
  b.u32(0x94, 0x1000);  // boot length: header and kernel start
  auto t = unpack_bytes(b.bytes());
  NodeId r = region_of(*t, t->root(), "tplink");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  NodeId boot = t->child(r, "bootloader");
  ASSERT_NE(boot, kNoNode) << diag_dump(*t);
  int tplinks = 0;
  for (NodeId c : descendants(*t, t->root())) tplinks += t->at(c).format == "tplink";
  EXPECT_EQ(tplinks, 1) << diag_dump(*t);
  EXPECT_FALSE(any_diag(*t, "limit.depth")) << diag_dump(*t);
}

// An environment block of `size` bytes: CRC, optional flags byte, variables, zero fill.
std::vector<std::uint8_t> make_env(const std::vector<std::string>& vars, std::size_t size, bool big, bool redundant) {
  Buffer b(big);
  b.resize(size);
  std::size_t pos = redundant ? 5 : 4;
  if (redundant) b.u8(4, 1);
  for (const auto& v : vars) {
    b.raw(pos, v);
    pos += v.size() + 1;
  }
  auto& bytes = b.bytes();
  std::size_t hdr = redundant ? 5 : 4;
  b.u32(0, static_cast<std::uint32_t>(crc32(0, bytes.data() + hdr, static_cast<uInt>(size - hdr))));
  return bytes;
}

TEST(UbootEnv, FoundInsideFlashBothEndiannessesAndRedundant) {
  std::vector<std::string> vars = {"bootargs=console=ttyS0,115200 root=/dev/mtdblock2", "bootcmd=bootm 0x9f020000",
                                   "ethaddr=00:11:22:33:44:55", "ipaddr=192.168.0.1"};
  for (bool big : {false, true})
    for (bool redundant : {false, true})
      for (std::size_t size : {std::size_t{0x1000}, std::size_t{0x10000}, std::size_t{0x1f000}}) {
        std::vector<std::uint8_t> flash(0x30000, 0xff);
        auto env = make_env(vars, size, big, redundant);
        std::copy(env.begin(), env.end(), flash.begin() + 0x10000);
        auto t = unpack_bytes(flash);
        NodeId r = region_of(*t, t->root(), "uboot-env");
        ASSERT_NE(r, kNoNode) << big << redundant << size;
        EXPECT_EQ(t->at(r).origin.offset, 0x10000u);
        EXPECT_EQ(t->at(r).origin.length, size);
        EXPECT_EQ(content_of(*t, r),
                  "bootargs=console=ttyS0,115200 root=/dev/mtdblock2\nbootcmd=bootm 0x9f020000\n"
                  "ethaddr=00:11:22:33:44:55\nipaddr=192.168.0.1\n");
        std::string msg = diag_message(*t, r, "uboot-env.vars");
        EXPECT_NE(msg.find("4 variables"), std::string::npos) << msg;
        EXPECT_NE(msg.find(big ? "CRC BE" : "CRC LE"), std::string::npos) << msg;
        EXPECT_EQ(msg.find("redundant") != std::string::npos, redundant) << msg;
      }
}

TEST(UbootEnv, BadCrcOrTruncatedIsNotAnEnvironment) {
  auto env = make_env({"bootcmd=run x", "x=y"}, 0x1000, false, false);
  auto bad = env;
  bad[100] = 'Z';
  auto t = unpack_bytes(bad);
  EXPECT_EQ(region_of(*t, t->root(), "uboot-env"), kNoNode);
  std::vector<std::uint8_t> cut(env.begin(), env.begin() + 0x800);
  t = unpack_bytes(cut);
  EXPECT_EQ(region_of(*t, t->root(), "uboot-env"), kNoNode);
  // Default environment text in a bootloader binary (no CRC in front) is not one either.
  std::vector<std::uint8_t> text_only(0x2000, 0);
  std::string s("\x12\x34\x56\x78" "bootcmd=bootm\0bootargs=x\0\0", 30);
  std::copy(s.begin(), s.end(), text_only.begin() + 0x100);
  t = unpack_bytes(text_only);
  EXPECT_EQ(region_of(*t, t->root(), "uboot-env"), kNoNode);
}

TEST(ZImage, HeaderRecordedAndPayloadCarvedBothEndians) {
  for (bool big : {false, true}) {
    std::string kernel = text(80000, "vmlinux");
    auto gz = gzip(kernel);
    Buffer b(big);
    for (std::size_t i = 0; i < 0x24; i += 4) b.u32(i, 0xe1a00000);  // mov r0, r0
    b.u32(0x24, 0x016f2818);
    b.u32(0x28, 0);
    b.raw(0x200, std::string(gz.begin(), gz.end()));
    b.resize(b.size() + 100);
    b.u32(0x2c, static_cast<std::uint32_t>(b.size()));
    auto img = b.bytes();
    img.resize(img.size() + 500, 0xff);  // what follows the kernel is not part of it
    auto t = unpack_bytes(img);
    NodeId z = region_of(*t, t->root(), "zimage");
    ASSERT_NE(z, kNoNode) << big << diag_dump(*t);
    EXPECT_EQ(t->at(z).origin.length, b.size());
    NodeId g = region_of(*t, z, "gzip");
    ASSERT_NE(g, kNoNode) << diag_dump(*t);
    EXPECT_EQ(t->at(g).origin.offset, 0x200u);  // from the zImage's first byte
    EXPECT_TRUE(content_of(*t, g) == kernel);
    std::string hdr = diag_message(*t, z, "zimage.header");
    EXPECT_NE(hdr.find("end 0x"), std::string::npos);
    EXPECT_EQ(hdr.find("big-endian") != std::string::npos, big) << hdr;
  }
}

}  // namespace
}  // namespace iotaudit
