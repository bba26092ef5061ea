#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <random>

#include "unit/support/compress.hpp"
#include "unit/support/squashfs_image.hpp"
#include "unit/support/temp_dir.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

const std::string kPasswd = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n";
const std::string kShadow = "root:$1$abc$def:19000:0:99999:7:::\nuser:!:19000::::::\n";

std::string pattern(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);  // compressible but not trivial
  return s;
}

// A small root filesystem with every entry type the unpacker must keep.
class SquashfsImage : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_mksquashfs()) GTEST_SKIP() << "mksquashfs (squashfs-tools) not installed";
    ASSERT_TRUE(work.ok());
    namespace fs = std::filesystem;
    src = work / "root";
    for (const char* d : {"", "/etc", "/bin", "/usr", "/usr/bin", "/home", "/home/user", "/dev", "/data"})
      fs::create_directories(src + d);
    ASSERT_TRUE(write_text(src + "/etc/passwd", kPasswd));
    ASSERT_TRUE(write_text(src + "/etc/shadow", kShadow));
    ASSERT_TRUE(write_text(src + "/etc/empty", ""));
    ASSERT_TRUE(write_text(src + "/bin/busybox", "#!/bin/sh\necho busybox\n"));
    ASSERT_EQ(::link((src + "/etc/passwd").c_str(), (src + "/etc/passwd.bak").c_str()), 0);
    fs::create_symlink("busybox", src + "/bin/sh");
    fs::create_symlink("../../bin/busybox", src + "/usr/bin/wget");
    fs::create_symlink("/etc/passwd", src + "/data/abs");
    big = pattern(300 * 1024 + 17, 7);  // several 128 KiB blocks plus a tail fragment
    ASSERT_TRUE(write_text(src + "/data/big.bin", big));
    pseudo =
        "etc/shadow m 600 0 42\n"
        "etc/passwd m 644 0 0\n"
        "bin/busybox m 755 0 0\n"
        "home/user m 700 1000 1001\n"
        "dev/console c 600 0 5 5 1\n";
  }

  std::optional<std::vector<std::uint8_t>> build(const std::string& extra = "") {
    return mksquashfs(work, src, pseudo, extra);
  }

  // Checks the extracted tree against what SetUp() put in.
  void expect_contents(const Tree& t, NodeId root) {
    NodeId shadow = t.resolve(root, "/etc/shadow");
    ASSERT_NE(shadow, kNoNode);
    EXPECT_EQ(t.at(shadow).type, NodeType::file);
    EXPECT_EQ(t.at(shadow).mode, static_cast<std::uint32_t>(S_IFREG | 0600));
    EXPECT_EQ(t.at(shadow).uid, 0u);
    EXPECT_EQ(t.at(shadow).gid, 42u);
    EXPECT_EQ(content_of(t, shadow), kShadow);
    EXPECT_EQ(t.at(shadow).size, kShadow.size());
    EXPECT_EQ(t.at(shadow).path, "/etc/shadow");

    NodeId bb = t.resolve(root, "/bin/busybox");
    ASSERT_NE(bb, kNoNode);
    EXPECT_EQ(t.at(bb).mode, static_cast<std::uint32_t>(S_IFREG | 0755));
    EXPECT_EQ(t.at(bb).mtime, 1700000000);

    NodeId sh = t.resolve(root, "/bin/sh", false);
    ASSERT_NE(sh, kNoNode);
    EXPECT_EQ(t.at(sh).type, NodeType::symlink);
    EXPECT_EQ(t.at(sh).link_target, "busybox");
    EXPECT_EQ(t.at(sh).mode & S_IFMT, static_cast<std::uint32_t>(S_IFLNK));
    EXPECT_EQ(t.resolve(root, "/bin/sh"), bb);
    EXPECT_EQ(t.resolve(root, "/usr/bin/wget"), bb);
    NodeId abs = t.resolve(root, "/data/abs", false);
    ASSERT_NE(abs, kNoNode);
    EXPECT_EQ(t.at(abs).link_target, "/etc/passwd");

    NodeId home = t.resolve(root, "/home/user");
    ASSERT_NE(home, kNoNode);
    EXPECT_EQ(t.at(home).type, NodeType::directory);
    EXPECT_EQ(t.at(home).mode, static_cast<std::uint32_t>(S_IFDIR | 0700));
    EXPECT_EQ(t.at(home).uid, 1000u);
    EXPECT_EQ(t.at(home).gid, 1001u);

    NodeId console = t.resolve(root, "/dev/console");
    ASSERT_NE(console, kNoNode);
    EXPECT_EQ(t.at(console).type, NodeType::char_device);
    EXPECT_EQ(t.at(console).rdev_major, 5u);
    EXPECT_EQ(t.at(console).rdev_minor, 1u);
    EXPECT_EQ(t.at(console).mode, static_cast<std::uint32_t>(S_IFCHR | 0600));

    // Two names, one inode: the first name seen holds the bytes, the other is a hardlink to it.
    NodeId p1 = t.resolve(root, "/etc/passwd");
    NodeId p2 = t.resolve(root, "/etc/passwd.bak");
    ASSERT_NE(p1, kNoNode);
    ASSERT_NE(p2, kNoNode);
    const Node& a = t.at(p1);
    const Node& b = t.at(p2);
    ASSERT_TRUE((a.type == NodeType::file && b.type == NodeType::hardlink) ||
                (a.type == NodeType::hardlink && b.type == NodeType::file))
        << to_string(a.type) << " / " << to_string(b.type);
    const Node& link = a.type == NodeType::hardlink ? a : b;
    const Node& first = a.type == NodeType::hardlink ? b : a;
    EXPECT_EQ(link.link_target, first.path);
    EXPECT_EQ(content_of(t, p1), kPasswd);
    EXPECT_EQ(content_of(t, p2), kPasswd);

    NodeId empty = t.resolve(root, "/etc/empty");
    ASSERT_NE(empty, kNoNode);
    EXPECT_EQ(t.at(empty).size, 0u);
    EXPECT_TRUE(t.content(empty)->view().empty());

    NodeId bigf = t.resolve(root, "/data/big.bin");
    ASSERT_NE(bigf, kNoNode);
    EXPECT_EQ(t.at(bigf).size, big.size());
    EXPECT_TRUE(content_of(t, bigf) == big) << "multi-block file content differs";
  }

  TempDir work;
  std::string src, pseudo, big;
};

TEST_F(SquashfsImage, ExtractsEntriesWithMetadata) {
  auto img = build();
  ASSERT_TRUE(img) << read_text(work / "mksquashfs.log");
  auto t = unpack_bytes(*img);
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u);
  const Node& r = t->at(regs[0]);
  EXPECT_EQ(r.name, "squashfs@0x0");
  EXPECT_EQ(r.format, "squashfs");
  EXPECT_EQ(r.origin.offset, 0u);
  NodeId root = fs_root_of(*t, regs[0]);
  ASSERT_NE(root, kNoNode);
  expect_contents(*t, root);
  EXPECT_EQ(t->logical_path(t->resolve(root, "/etc/shadow")), "img \xC2\xBB squashfs@0x0 \xC2\xBB /etc/shadow");
  EXPECT_EQ(diag_dump(*t), "");  // a clean image yields no diagnostics
}

class SquashfsCompressor : public SquashfsImage, public ::testing::WithParamInterface<const char*> {};

TEST_P(SquashfsCompressor, EveryCompressorExtractsTheSameTree) {
  auto img = build(std::string("-comp ") + GetParam());
  if (!img) GTEST_SKIP() << "mksquashfs cannot write " << GetParam() << ": " << read_text(work / "mksquashfs.log");
  auto t = unpack_bytes(*img);
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u) << diag_dump(*t);
  NodeId root = fs_root_of(*t, regs[0]);
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  expect_contents(*t, root);
  EXPECT_EQ(diag_dump(*t), "");
}

INSTANTIATE_TEST_SUITE_P(All, SquashfsCompressor, ::testing::Values("gzip", "xz", "lzo", "lz4", "zstd"),
                         [](const auto& info) { return std::string(info.param); });

TEST_F(SquashfsImage, CarvedAtOffsetAfterRandomBytesAndPadding) {
  auto img = build();
  ASSERT_TRUE(img);
  std::mt19937 rng(1234);
  std::vector<std::uint8_t> blob(40000);
  for (auto& b : blob) b = static_cast<std::uint8_t>(rng());
  blob.resize(0x10000, 0xff);  // erased-flash padding up to the partition boundary
  blob.insert(blob.end(), img->begin(), img->end());
  for (int i = 0; i < 5000; ++i) blob.push_back(static_cast<std::uint8_t>(rng()));

  auto t = unpack_bytes(blob);
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u) << diag_dump(*t);
  const Node& r = t->at(regs[0]);
  EXPECT_EQ(r.name, "squashfs@0x10000");
  EXPECT_EQ(r.origin.offset, 0x10000u);
  // The region covers exactly the filesystem (bytes_used from the superblock).
  std::uint64_t bytes_used = 0;
  for (int i = 7; i >= 0; --i) bytes_used = (bytes_used << 8) | (*img)[40 + static_cast<std::size_t>(i)];
  EXPECT_EQ(r.origin.length, bytes_used);
  EXPECT_EQ(r.size, bytes_used);
  NodeId root = fs_root_of(*t, regs[0]);
  ASSERT_NE(root, kNoNode);
  expect_contents(*t, root);
}

TEST_F(SquashfsImage, TruncatedImageYieldsDiagnosticsNotACrash) {
  auto img = build();
  ASSERT_TRUE(img);
  std::size_t n = 0;  // bytes_used: the image file itself is padded to a multiple of 4 KiB
  for (int i = 7; i >= 0; --i) n = (n << 8) | (*img)[40 + static_cast<std::size_t>(i)];
  // A gzip member before the filesystem shows that what precedes a truncated container is still
  // extracted.
  auto gz = gzip(std::string_view("firmware header text, decoded before the filesystem\n"));
  for (std::size_t cut : {n / 2, n * 9 / 10, std::size_t{96 + 8}, n - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(n));
    std::vector<std::uint8_t> blob = gz;
    blob.resize(4096, 0);
    blob.insert(blob.end(), img->begin(), img->begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(blob);
    auto regs = regions_of(*t, t->root());
    ASSERT_EQ(regs.size(), 2u) << diag_dump(*t);
    EXPECT_EQ(t->at(regs[0]).format, "gzip");
    EXPECT_EQ(content_of(*t, regs[0]), "firmware header text, decoded before the filesystem\n");
    const Node& sq = t->at(regs[1]);
    EXPECT_EQ(sq.format, "squashfs");
    EXPECT_EQ(sq.origin.offset, 4096u);
    EXPECT_TRUE(has_diag(*t, regs[1], "squashfs.truncated")) << diag_dump(*t);
    // Whatever was read stays inside the region's filesystem; nothing is invented.
    for (NodeId id = 0; id < t->size(); ++id) {
      if (t->at(id).type != NodeType::file || t->at(id).fs_root == kNoNode) continue;
      const std::string& p = t->at(id).path;
      if (p == "/etc/passwd") EXPECT_EQ(content_of(*t, id), kPasswd);
      if (p == "/etc/shadow") EXPECT_EQ(content_of(*t, id), kShadow);
    }
    if (cut == n - 1) {
      // Only the id table at the very end is lost: the directory tree and file data are read.
      NodeId root = fs_root_of(*t, regs[1]);
      ASSERT_NE(root, kNoNode);
      NodeId passwd = t->resolve(root, "/etc/passwd");
      ASSERT_NE(passwd, kNoNode) << diag_dump(*t);
      EXPECT_EQ(content_of(*t, passwd), kPasswd);
      EXPECT_NE(t->resolve(root, "/data/big.bin"), kNoNode);
    }
  }
}

TEST_F(SquashfsImage, CorruptedBytesNeverCrash) {
  auto img = build();
  ASSERT_TRUE(img);
  std::mt19937 rng(99);
  for (int round = 0; round < 24; ++round) {
    auto copy = *img;
    // Flip bytes anywhere after the superblock: tables, data and metadata blocks.
    for (int k = 0; k < 8; ++k) copy[96 + rng() % (copy.size() - 96)] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    auto t = unpack_bytes(copy);
    ASSERT_GE(t->size(), 1u);
  }
}

}  // namespace
}  // namespace iotaudit

namespace iotaudit {
namespace {

// Contents are read in work units on several threads: runs of files sharing a fragment block,
// and block-aligned pieces of large files. Every file must come out whole and identical to a
// serial read, whatever the thread count.
TEST(SquashfsParallel, PiecesAndFragmentRunsReassembleExactly) {
  if (!test::have_mksquashfs()) GTEST_SKIP() << "mksquashfs (squashfs-tools) not installed";
  test::TempDir work;
  ASSERT_TRUE(work.ok());
  namespace fs = std::filesystem;
  const std::string src = work / "root";
  fs::create_directories(src + "/small");
  fs::create_directories(src + "/large");
  std::map<std::string, std::string> want;
  for (int i = 0; i < 300; ++i) {  // tails packed together into shared fragment blocks
    std::string p = fmt::format("/small/f{:03}", i);
    want[p] = pattern(100 + static_cast<std::size_t>(i) * 37, static_cast<unsigned>(i));
  }
  want["/large/a.bin"] = pattern((5u << 20) + 12345, 1001);  // split into 1 MiB pieces, tail in a fragment
  want["/large/b.bin"] = pattern((3u << 20) + 1, 1002);
  want["/large/exact.bin"] = pattern(3u << 20, 1003);        // ends on a block boundary
  for (const auto& [p, data] : want) ASSERT_TRUE(test::write_text(src + p, data));
  auto img = test::mksquashfs(work, src, "", "-comp gzip -b 131072");
  ASSERT_TRUE(img) << test::read_text(work / "mksquashfs.log");
  for (unsigned threads : {1u, 2u, 3u}) {
    SCOPED_TRACE(threads);
    auto ex = threads == 1 ? make_serial_executor() : make_tbb_executor(threads);
    unpack::Engine engine(Limits{}, *ex);
    auto t = engine.unpack_blob(make_blob(*img), "img");
    auto regs = test::regions_of(*t, t->root());
    ASSERT_EQ(regs.size(), 1u) << test::diag_dump(*t);
    NodeId root = test::fs_root_of(*t, regs[0]);
    ASSERT_NE(root, kNoNode);
    for (const auto& [p, data] : want) {
      NodeId n = t->resolve(root, p);
      ASSERT_NE(n, kNoNode) << p;
      EXPECT_TRUE(test::content_of(*t, n) == data) << p;
    }
    EXPECT_EQ(test::diag_dump(*t), "");
  }
}

}  // namespace
}  // namespace iotaudit
