// Android sparse images written by hand (RAW, FILL, DONT_CARE, CRC32 chunks) and, when the Debian
// tool is installed, by img2simg: expansion, a filesystem found inside, CRC mismatches,
// truncation, contradictory headers and a sparse bomb.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "formats/android_sparse.hpp"
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

struct Chunk {
  std::uint16_t type;
  std::uint32_t blocks;
  std::string data;
};

constexpr std::uint32_t kBlk = 4096;

std::vector<std::uint8_t> sparse(const std::vector<Chunk>& chunks, std::uint32_t total_blks = 0,
                                 std::uint32_t total_chunks = 0) {
  Buffer b(false);
  std::uint32_t blocks = 0;
  for (const auto& c : chunks) blocks += c.blocks;
  b.u32(0, 0xed26ff3a);
  b.u16(4, 1);
  b.u16(6, 0);
  b.u16(8, 28);
  b.u16(10, 12);
  b.u32(12, kBlk);
  b.u32(16, total_blks ? total_blks : blocks);
  b.u32(20, total_chunks ? total_chunks : static_cast<std::uint32_t>(chunks.size()));
  b.u32(24, 0);
  std::size_t pos = 28;
  for (const auto& c : chunks) {
    b.u16(pos, c.type);
    b.u32(pos + 4, c.blocks);
    b.u32(pos + 8, static_cast<std::uint32_t>(12 + c.data.size()));
    b.raw(pos + 12, c.data);
    pos += 12 + c.data.size();
  }
  b.resize(pos);
  return b.bytes();
}

std::string le32(std::uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

NodeId only(const Tree& t, std::string_view format) {
  for (NodeId id : all_regions(t))
    if (t.at(id).format == format) return id;
  return kNoNode;
}

TEST(AndroidSparse, ChunksExpandAndTheFilesystemInsideIsFound) {
  // Block 0: a gzip stream (stands for a filesystem); 1-2: FILL; 3-5: hole; 6: RAW text; CRC.
  std::string inner = "root filesystem bytes\n";
  for (int i = 0; i < 100; ++i) inner += "line " + std::to_string(i) + "\n";
  auto gz = gzip(inner);
  std::string b0(gz.begin(), gz.end());
  b0.resize(kBlk, '\0');
  std::string b6(kBlk, 'z');
  std::string expanded = b0 + std::string(2 * kBlk, '\0') + std::string(3 * kBlk, '\0') + b6;
  for (std::size_t k = kBlk; k < 3 * kBlk; k += 4) expanded.replace(k, 4, le32(0xdeadbeef));
  std::uint32_t crc = static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(expanded.data()), static_cast<uInt>(expanded.size())));
  auto img = sparse({{0xcac1, 1, b0}, {0xcac2, 2, le32(0xdeadbeef)}, {0xcac3, 3, ""}, {0xcac1, 1, b6},
                     {0xcac4, 0, le32(crc)}});
  auto t = unpack_bytes(img);
  NodeId r = only(*t, "android-sparse");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(r).origin.length, img.size());
  EXPECT_EQ(content_of(*t, r), expanded);
  EXPECT_FALSE(has_diag(*t, r, "android-sparse.crc")) << diag_dump(*t);
  NodeId g = only(*t, "gzip");
  ASSERT_NE(g, kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, g), inner);
  // A wrong CRC is reported, the image still expanded.
  auto bad = sparse({{0xcac1, 1, b0}, {0xcac4, 0, le32(12345)}});
  t = unpack_bytes(bad);
  r = only(*t, "android-sparse");
  ASSERT_NE(r, kNoNode);
  EXPECT_TRUE(has_diag(*t, r, "android-sparse.crc"));
  EXPECT_EQ(content_of(*t, r), b0);
}

TEST(AndroidSparse, ContradictionsAreNotSparseImagesAndTruncationIsReported) {
  const unpack::Unpacker* u = unpack::find("android-sparse");
  ASSERT_NE(u, nullptr);
  auto view = [](const std::vector<std::uint8_t>& v) { return ByteView(v.data(), v.size()); };
  // RAW size disagrees with its block count; chunks beyond the declared total; unknown type.
  EXPECT_FALSE(u->probe(view(sparse({{0xcac1, 2, std::string(kBlk, 'a')}}))));
  EXPECT_FALSE(u->probe(view(sparse({{0xcac3, 10, ""}}, 5))));
  EXPECT_FALSE(u->probe(view(sparse({{0xcac9, 1, ""}}))));
  // A bare magic.
  std::vector<std::uint8_t> magic{0x3a, 0xff, 0x26, 0xed, 1, 0, 0, 0};
  EXPECT_FALSE(u->probe(view(magic)));
  // Cut inside the second chunk: expanded as far as it goes, reported.
  auto img = sparse({{0xcac1, 1, std::string(kBlk, 'a')}, {0xcac1, 1, std::string(kBlk, 'b')}});
  {
    // Not even one whole chunk header: not an image (and no crash).
    std::vector<std::uint8_t> part(img.begin(), img.begin() + 30);
    auto t = unpack_bytes(part);
    EXPECT_EQ(only(*t, "android-sparse"), kNoNode);
  }
  for (std::size_t cut : {std::size_t{28 + 12 + 100}, img.size() - 100}) {
    std::vector<std::uint8_t> part(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);
    NodeId r = only(*t, "android-sparse");
    ASSERT_NE(r, kNoNode) << cut << diag_dump(*t);
    EXPECT_TRUE(has_diag(*t, r, "android-sparse.truncated")) << cut;
  }
}

TEST(AndroidSparse, SparseBombIsRefusedBeforeAllocation) {
  // 12 + 28 + 16 bytes that claim 2^31 blocks of 4 KiB of FILL (8 TiB).
  auto bomb = sparse({{0xcac2, 0x7fffffff, le32(0x41414141)}});
  auto t = unpack_bytes(bomb);
  NodeId r = only(*t, "android-sparse");
  ASSERT_NE(r, kNoNode);
  EXPECT_TRUE(has_diag(*t, r, "limit.node_bytes")) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, r), "");
  // Under the per-node cap but far above the expansion ratio.
  Limits lim;
  lim.ratio_floor_bytes = 1 << 20;
  auto ratio = sparse({{0xcac2, 4096, le32(0x41414141)}});  // 16 MiB from 56 bytes
  t = unpack_bytes(ratio, lim);
  r = only(*t, "android-sparse");
  ASSERT_NE(r, kNoNode);
  EXPECT_TRUE(has_diag(*t, r, "limit.ratio")) << diag_dump(*t);
}

TEST(AndroidSparse, Img2simgOutputExpandsToTheOriginal) {
  if (!have_tool("img2simg")) GTEST_SKIP() << "img2simg (android-sdk-libsparse-utils) not installed";
  TempDir dir;
  std::string raw(64 * kBlk, '\0');
  for (std::size_t i = 0; i < 8 * kBlk; ++i) raw[i] = static_cast<char>('a' + i % 26);
  for (std::size_t i = 40 * kBlk; i < 41 * kBlk; i += 4) raw.replace(i, 4, "FILL");
  ASSERT_TRUE(write_text(dir / "raw.img", raw));
  ASSERT_TRUE(run("img2simg '" + (dir / "raw.img") + "' '" + (dir / "sparse.img") + "'"));
  auto t = unpack_bytes(file_bytes(dir / "sparse.img"));
  NodeId r = only(*t, "android-sparse");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, r), raw);
}

TEST(AndroidSparse, ChunkCountLies) {
  const std::string a(kBlk, 'a'), b(kBlk, 'b');
  // More chunks declared than present: the two there are expanded, the lie is reported.
  auto img = sparse({{0xcac1, 1, a}, {0xcac1, 1, b}}, 4, 1000);
  auto t = unpack_bytes(img);
  NodeId r = only(*t, "android-sparse");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_TRUE(has_diag(*t, r, "android-sparse.truncated")) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, r), a + b + std::string(2 * kBlk, '\0'));
  // Fewer declared than present: only the declared one belongs to the image; the blocks the
  // header promised beyond it are zero and reported.
  img = sparse({{0xcac1, 1, a}, {0xcac1, 1, b}}, 0, 1);
  t = unpack_bytes(img);
  r = only(*t, "android-sparse");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(r).origin.length, 28u + 12 + kBlk);
  EXPECT_TRUE(has_diag(*t, r, "android-sparse.short")) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, r), a + std::string(kBlk, '\0'));
  // A contradictory chunk after good ones: the good ones are kept, the stop is reported.
  img = sparse({{0xcac1, 1, a}, {0xcac2, 1, le32(0x01020304)}, {0xcac9, 1, ""}, {0xcac1, 1, b}});
  t = unpack_bytes(img);
  r = only(*t, "android-sparse");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_TRUE(has_diag(*t, r, "android-sparse.chunk")) << diag_dump(*t);
  EXPECT_EQ(t->at(r).origin.length, 28u + 12 + kBlk + 12 + 4);
  std::string fill;
  for (std::uint32_t k = 0; k < kBlk; k += 4) fill += le32(0x01020304);
  EXPECT_EQ(content_of(*t, r).substr(0, 2 * kBlk), a + fill);
  // A later chunk claiming more blocks than the image has.
  img = sparse({{0xcac1, 1, a}, {0xcac3, 100, ""}}, 2);
  t = unpack_bytes(img);
  r = only(*t, "android-sparse");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_TRUE(has_diag(*t, r, "android-sparse.chunk")) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, r), a + std::string(kBlk, '\0'));
}

TEST(AndroidSparse, TruncatedInsideTheHeaderAndAtChunkBoundaries) {
  auto img = sparse({{0xcac1, 1, std::string(kBlk, 'a')}, {0xcac3, 2, ""}, {0xcac1, 1, std::string(kBlk, 'b')}});
  for (std::size_t cut : {std::size_t{3}, std::size_t{12}, std::size_t{27}, std::size_t{28}, std::size_t{39}}) {
    std::vector<std::uint8_t> part(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);
    EXPECT_EQ(only(*t, "android-sparse"), kNoNode) << cut;
  }
  // Cut right after the first and after the second chunk: the rest is declared but missing.
  for (std::size_t cut : {std::size_t{28 + 12 + kBlk}, std::size_t{28 + 12 + kBlk + 12}}) {
    std::vector<std::uint8_t> part(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);
    NodeId r = only(*t, "android-sparse");
    ASSERT_NE(r, kNoNode) << cut;
    EXPECT_TRUE(has_diag(*t, r, "android-sparse.truncated")) << cut;
    EXPECT_EQ(content_of(*t, r), std::string(kBlk, 'a') + std::string(3 * kBlk, '\0')) << cut;
  }
}

TEST(AndroidSparse, OneTebibyteFillAndHoleBombs) {
  // 1 TiB of FILL in 2^28 blocks of 4 KiB, from 56 bytes; then the same as a DONT_CARE hole.
  for (std::uint16_t type : {std::uint16_t{0xcac2}, std::uint16_t{0xcac3}}) {
    auto bomb = sparse({{type, 1u << 28, type == 0xcac2 ? le32(0x41414141) : ""}});
    ASSERT_LE(bomb.size(), 56u);
    auto t = unpack_bytes(bomb);
    NodeId r = only(*t, "android-sparse");
    ASSERT_NE(r, kNoNode) << type;
    EXPECT_TRUE(has_diag(*t, r, "limit.node_bytes")) << diag_dump(*t);
    EXPECT_EQ(content_of(*t, r), "");
    std::string hdr;
    for (const auto& d : t->at(r).diagnostics)
      if (d.code == "android-sparse.header") hdr = d.message;
    EXPECT_NE(hdr.find("1099511627776 bytes"), std::string::npos) << hdr;
  }
  // Under every per-node limit, but above the total budget.
  Limits lim;
  lim.max_total_bytes = 1 << 20;
  auto img = sparse({{0xcac3, 512, ""}});  // 2 MiB
  auto t = unpack_bytes(img, lim);
  NodeId r = only(*t, "android-sparse");
  ASSERT_NE(r, kNoNode);
  EXPECT_TRUE(has_diag(*t, r, "limit.total_bytes")) << diag_dump(*t);
}

TEST(AndroidSparse, CpioFilesystemInsideIsUnpacked) {
  auto cpio = make_archive(ArchiveFormat::cpio_newc, {file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
                                                      file("bin/busybox", std::string(5000, 'B'), 0755)});
  std::string raw(cpio.begin(), cpio.end());
  const std::uint32_t blocks = static_cast<std::uint32_t>((raw.size() + kBlk - 1) / kBlk);
  raw.resize(std::size_t{blocks} * kBlk, '\0');
  auto img = sparse({{0xcac3, 2, ""}, {0xcac1, blocks, raw}, {0xcac3, 3, ""}});
  auto t = unpack_bytes(img);
  NodeId r = only(*t, "android-sparse");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  NodeId c = kNoNode;
  for (NodeId d : descendants(*t, r))
    if (t->at(d).format == "cpio") c = d;
  ASSERT_NE(c, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(c).origin.offset, 2u * kBlk);
  NodeId root = fs_root_of(*t, c);
  ASSERT_NE(root, kNoNode);
  NodeId pw = t->resolve(root, "/etc/passwd");
  ASSERT_NE(pw, kNoNode);
  EXPECT_EQ(content_of(*t, pw), "root:x:0:0:root:/root:/bin/sh\n");
}

}  // namespace
}  // namespace iotaudit
