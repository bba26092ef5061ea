// U-Boot legacy images built with mkimage (u-boot-tools): payload decoding for every compression,
// multi-file images as child regions, CRC mismatches, truncation and hostile size tables.
#include <gtest/gtest.h>

#include <string>

#include "unit/support/compress.hpp"
#include "unit/support/temp_dir.hpp"
#include "unit/support/tools.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

std::string text(std::size_t n) {
  std::string s;
  while (s.size() < n) s += "kernel text line " + std::to_string(s.size()) + " with some words\n";
  s.resize(n);
  return s;
}

struct Built {
  std::vector<std::uint8_t> image;
  std::string payload;
};

// mkimage around `payload` compressed with `tool` (empty: stored), declared as compression `comp`.
std::optional<Built> build(const TempDir& dir, const std::string& comp, const std::string& tool,
                           const std::string& type = "kernel", std::size_t size = 50000) {
  Built b;
  b.payload = text(size);
  if (!write_text(dir / "payload", b.payload)) return std::nullopt;
  std::string data = dir / "payload";
  if (!tool.empty()) {
    if (!run(tool + " < '" + data + "' > '" + (dir / "payload.c") + "'")) return std::nullopt;
    data = dir / "payload.c";
  }
  std::string img = dir / "uImage";
  if (!run("mkimage -A mips -O linux -T " + type + " -C " + comp +
           " -a 0x80000000 -e 0x80001000 -n 'Test Kernel 1.0' -d '" + data + "' '" + img + "'"))
    return std::nullopt;
  b.image = file_bytes(img);
  return b;
}

NodeId only_region(const Tree& t, std::string_view format) {
  NodeId found = kNoNode;
  for (NodeId id : regions_of(t, t.root()))
    if (t.at(id).format == format) found = id;
  return found;
}

std::string diag_message(const Tree& t, NodeId id, std::string_view code) {
  for (const auto& d : t.at(id).diagnostics)
    if (d.code == code) return d.message;
  return "";
}

TEST(UImage, StoredKernelPayloadBecomesContent) {
  if (!have_tool("mkimage")) GTEST_SKIP() << "mkimage (u-boot-tools) not installed";
  TempDir dir;
  auto b = build(dir, "none", "");
  ASSERT_TRUE(b);
  auto t = unpack_bytes(b->image);
  NodeId r = only_region(*t, "uimage");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(r).origin.length, b->image.size());
  EXPECT_EQ(content_of(*t, r), b->payload);
  std::string hdr = diag_message(*t, r, "uimage.header");
  EXPECT_NE(hdr.find("\"Test Kernel 1.0\""), std::string::npos) << hdr;
  EXPECT_NE(hdr.find("linux mips kernel"), std::string::npos) << hdr;
  EXPECT_NE(hdr.find("load 0x80000000, entry 0x80001000"), std::string::npos) << hdr;
  EXPECT_FALSE(has_diag(*t, r, "uimage.crc"));
  EXPECT_FALSE(has_diag(*t, r, "uimage.truncated"));
}

TEST(UImage, OffsetsInsideAStoredPayloadCountFromTheHeader) {
  if (!have_tool("mkimage")) GTEST_SKIP() << "mkimage (u-boot-tools) not installed";
  TempDir dir;
  // A payload of 1000 text bytes, then a gzip stream: the stream sits 64 + 1000 bytes into the
  // uImage, and that is where the report must place it (not 1000, its offset in the payload).
  std::string lead = text(1000);
  std::string inner = text(20000);
  auto gz = gzip(inner);
  std::string payload = lead + std::string(gz.begin(), gz.end()) + std::string(5000, 'x');
  ASSERT_TRUE(write_text(dir / "p", payload));
  ASSERT_TRUE(run("mkimage -A mips -O linux -T kernel -C none -a 0 -e 0 -n k -d '" + (dir / "p") + "' '" +
                  (dir / "img") + "'"));
  auto t = unpack_bytes(file_bytes(dir / "img"));
  NodeId r = only_region(*t, "uimage");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  NodeId g = kNoNode;
  for (NodeId c : regions_of(*t, r))
    if (t->at(c).format == "gzip") g = c;
  ASSERT_NE(g, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(g).origin.offset, 64u + 1000u);
  EXPECT_EQ(t->at(g).name, "gzip@0x428");
  EXPECT_EQ(content_of(*t, g), inner);
  // The unclaimed bytes before and after the stream are given in the same coordinates.
  const auto& gaps = t->at(r).gaps;
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_EQ(gaps[0].offset, 64u);
  EXPECT_EQ(gaps[0].length, 1000u);
  EXPECT_EQ(gaps[1].offset, 64u + 1000u + gz.size());
  EXPECT_EQ(gaps[1].length, 5000u);
}

TEST(UImage, DataAfterTheCompressedKernelIsSearchedAsATrailer) {
  if (!have_tool("mkimage") || !have_tool("lzma")) GTEST_SKIP() << "mkimage or lzma missing";
  TempDir dir;
  // An lzma'd kernel, zero padding, then a gzip'd "root filesystem", all declared as one lzma
  // kernel payload (the layout of Ralink SDK images).
  std::string kernel = text(40000), rootfs = text(30000);
  ASSERT_TRUE(write_text(dir / "k", kernel));
  ASSERT_TRUE(run("lzma < '" + (dir / "k") + "' > '" + (dir / "k.lzma") + "'"));
  auto k = file_bytes(dir / "k.lzma");
  auto r = gzip(rootfs);
  std::vector<std::uint8_t> payload = k;
  payload.resize(payload.size() + 300, 0);
  const std::size_t rootfs_at = payload.size();
  payload.insert(payload.end(), r.begin(), r.end());
  ASSERT_TRUE(write_bytes(dir / "p", payload));
  ASSERT_TRUE(run("mkimage -A mips -O linux -T kernel -C lzma -a 0 -e 0 -n k -d '" + (dir / "p") + "' '" +
                  (dir / "img") + "'"));
  auto t = unpack_bytes(file_bytes(dir / "img"));
  NodeId u = only_region(*t, "uimage");
  ASSERT_NE(u, kNoNode) << diag_dump(*t);
  EXPECT_TRUE(has_diag(*t, u, "uimage.trailer")) << diag_dump(*t);
  NodeId image = t->child(u, "image"), trailer = t->child(u, "trailer");
  ASSERT_NE(image, kNoNode) << diag_dump(*t);
  ASSERT_NE(trailer, kNoNode);
  EXPECT_EQ(content_of(*t, image), kernel);
  EXPECT_EQ(t->at(trailer).origin.offset, 64u + k.size());
  NodeId g = kNoNode;
  for (NodeId c : regions_of(*t, trailer))
    if (t->at(c).format == "gzip") g = c;
  ASSERT_NE(g, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(trailer).origin.offset + t->at(g).origin.offset, 64u + rootfs_at);
  EXPECT_EQ(content_of(*t, g), rootfs);
  // Without anything after the stream, the kernel stays the uImage's own content.
  ASSERT_TRUE(run("mkimage -A mips -O linux -T kernel -C lzma -a 0 -e 0 -n k -d '" + (dir / "k.lzma") + "' '" +
                  (dir / "img2") + "'"));
  t = unpack_bytes(file_bytes(dir / "img2"));
  u = only_region(*t, "uimage");
  ASSERT_NE(u, kNoNode);
  EXPECT_EQ(content_of(*t, u), kernel);
  EXPECT_EQ(t->child(u, "trailer"), kNoNode);
}

struct CompCase {
  const char* comp;
  const char* tool;
};

class UImageCompression : public ::testing::TestWithParam<CompCase> {};

TEST_P(UImageCompression, PayloadIsDecoded) {
  const CompCase& c = GetParam();
  std::string tool_name = std::string(c.tool).substr(0, std::string(c.tool).find(' '));
  if (!have_tool("mkimage") || !have_tool(tool_name)) GTEST_SKIP() << "mkimage or " << tool_name << " missing";
  TempDir dir;
  auto b = build(dir, c.comp, c.tool, "kernel", 200000);
  ASSERT_TRUE(b);
  auto t = unpack_bytes(b->image);
  NodeId r = only_region(*t, "uimage");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(r).size, b->payload.size()) << diag_dump(*t);
  EXPECT_TRUE(content_of(*t, r) == b->payload) << diag_dump(*t);
  EXPECT_NE(diag_message(*t, r, "uimage.header").find(std::string("compression ") + c.comp), std::string::npos);
  EXPECT_FALSE(has_diag(*t, r, "uimage.partial")) << diag_dump(*t);
  EXPECT_FALSE(has_diag(*t, r, "uimage.truncated")) << diag_dump(*t);
}

INSTANTIATE_TEST_SUITE_P(All, UImageCompression,
                         ::testing::Values(CompCase{"gzip", "gzip -9 -c"}, CompCase{"bzip2", "bzip2 -c"},
                                           CompCase{"lzma", "lzma -c"}, CompCase{"lzo", "lzop -c"},
                                           CompCase{"lz4", "lz4 -c"}, CompCase{"zstd", "zstd -c"}),
                         [](const auto& info) { return std::string(info.param.comp); });

TEST(UImage, TruncatedCompressedPayloadKeepsPrefix) {
  if (!have_tool("mkimage")) GTEST_SKIP() << "mkimage (u-boot-tools) not installed";
  TempDir dir;
  auto b = build(dir, "gzip", "gzip -1 -c", "kernel", 300000);
  ASSERT_TRUE(b);
  for (std::size_t cut : {b->image.size() / 2, b->image.size() - 9, b->image.size() * 3 / 4}) {
    std::vector<std::uint8_t> img(b->image.begin(), b->image.begin() + static_cast<long>(cut));
    auto t = unpack_bytes(img);
    NodeId r = only_region(*t, "uimage");
    ASSERT_NE(r, kNoNode) << "cut " << cut;
    EXPECT_TRUE(has_diag(*t, r, "uimage.truncated")) << diag_dump(*t);
    std::string out = content_of(*t, r);
    EXPECT_GT(out.size(), 0u);
    EXPECT_TRUE(b->payload.starts_with(out)) << "cut " << cut;
  }
}

TEST(UImage, TruncationAtEveryRegionKeepsStoredPrefix) {
  if (!have_tool("mkimage")) GTEST_SKIP() << "mkimage (u-boot-tools) not installed";
  TempDir dir;
  auto b = build(dir, "none", "", "kernel", 4000);
  ASSERT_TRUE(b);
  for (std::size_t cut = 0; cut < b->image.size(); cut += 97) {
    std::vector<std::uint8_t> img(b->image.begin(), b->image.begin() + static_cast<long>(cut));
    auto t = unpack_bytes(img);
    NodeId r = only_region(*t, "uimage");
    if (cut < 64) {
      EXPECT_EQ(r, kNoNode) << "a header cut short is not a uImage (cut " << cut << ")";
      continue;
    }
    ASSERT_NE(r, kNoNode) << "cut " << cut;
    EXPECT_TRUE(has_diag(*t, r, "uimage.truncated"));
    EXPECT_EQ(content_of(*t, r), b->payload.substr(0, cut - 64));
  }
}

TEST(UImage, DataCrcMismatchIsDiagnosedButExtracted) {
  if (!have_tool("mkimage")) GTEST_SKIP() << "mkimage (u-boot-tools) not installed";
  TempDir dir;
  auto b = build(dir, "none", "");
  ASSERT_TRUE(b);
  b->image[100] ^= 0x20;
  auto t = unpack_bytes(b->image);
  NodeId r = only_region(*t, "uimage");
  ASSERT_NE(r, kNoNode);
  EXPECT_NE(diag_message(*t, r, "uimage.crc").find("data CRC"), std::string::npos) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, r).size(), b->payload.size());
}

TEST(UImage, HeaderCrcMismatchIsDiagnosedButExtracted) {
  if (!have_tool("mkimage")) GTEST_SKIP() << "mkimage (u-boot-tools) not installed";
  TempDir dir;
  auto b = build(dir, "none", "");
  ASSERT_TRUE(b);
  b->image[32] = 'X';  // first byte of the name
  auto t = unpack_bytes(b->image);
  NodeId r = only_region(*t, "uimage");
  ASSERT_NE(r, kNoNode);
  EXPECT_NE(diag_message(*t, r, "uimage.crc").find("header CRC"), std::string::npos) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, r), b->payload);
}

TEST(UImage, GarbageAfterMagicIsNotAnImage) {
  std::vector<std::uint8_t> img = {0x27, 0x05, 0x19, 0x56};
  for (int i = 0; i < 200; ++i) img.push_back(static_cast<std::uint8_t>(i * 37 + 11));
  auto t = unpack_bytes(img);
  EXPECT_EQ(only_region(*t, "uimage"), kNoNode);
}

TEST(UImage, MultiFileImageGivesChildRegionsAndCarvesParts) {
  if (!have_tool("mkimage")) GTEST_SKIP() << "mkimage (u-boot-tools) not installed";
  TempDir dir;
  std::string kernel = text(5001);  // odd size: the next file starts 4-byte aligned
  std::string rootfs_text = text(30000);
  auto rootfs = gzip(rootfs_text);
  ASSERT_TRUE(write_text(dir / "k", kernel));
  ASSERT_TRUE(write_bytes(dir / "r", rootfs));
  ASSERT_TRUE(run("mkimage -A arm -O linux -T multi -C none -a 0 -e 0 -n multi -d '" + (dir / "k") + ":" +
                  (dir / "r") + "' '" + (dir / "img") + "'"));
  auto img = file_bytes(dir / "img");
  auto t = unpack_bytes(img);
  NodeId r = only_region(*t, "uimage");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  NodeId part0 = t->child(r, "image-0"), part1 = t->child(r, "image-1");
  ASSERT_NE(part0, kNoNode) << diag_dump(*t);
  ASSERT_NE(part1, kNoNode);
  EXPECT_EQ(t->at(part0).type, NodeType::region);
  EXPECT_EQ(content_of(*t, part0), kernel);
  EXPECT_EQ(t->at(part0).origin.offset, 64u + 12u);  // header, two sizes and the terminator
  EXPECT_EQ(t->at(part1).origin.offset, 64u + 12u + 5004u);
  EXPECT_EQ(t->at(part1).size, rootfs.size());
  // The gzip'd file is found by carving the files and decoded.
  bool found = false;
  for (NodeId c : descendants(*t, r))
    if (t->at(c).format == "gzip") found = content_of(*t, c) == rootfs_text;
  EXPECT_TRUE(found) << diag_dump(*t);
}

TEST(UImage, MultiFileHostileSizeTable) {
  if (!have_tool("mkimage")) GTEST_SKIP() << "mkimage (u-boot-tools) not installed";
  TempDir dir;
  ASSERT_TRUE(write_text(dir / "k", text(1000)));
  ASSERT_TRUE(run("mkimage -A arm -O linux -T multi -C none -a 0 -e 0 -n multi -d '" + (dir / "k") + "' '" +
                  (dir / "img") + "'"));
  auto img = file_bytes(dir / "img");
  // Size of file 0 claims 4 GiB; the header CRC is now wrong as well.
  img[64] = img[65] = img[66] = img[67] = 0xff;
  auto t = unpack_bytes(img);
  NodeId r = only_region(*t, "uimage");
  ASSERT_NE(r, kNoNode);
  EXPECT_TRUE(has_diag(*t, r, "uimage.truncated")) << diag_dump(*t);
  NodeId p = t->child(r, "image-0");
  ASSERT_NE(p, kNoNode);
  EXPECT_LE(t->at(p).size, img.size());
}

}  // namespace
}  // namespace iotaudit
