// romfs images made with genromfs, plus hand-made hostile images (cycles, bad offsets).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "formats/romfs.hpp"
#include "unit/support/buffer.hpp"
#include "unit/support/temp_dir.hpp"
#include "unit/support/unpack_util.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit {
namespace {

using namespace test;

bool shell_ok(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

NodeId only_root(const Tree& t) {
  auto regs = regions_of(t, t.root());
  if (regs.size() != 1 || t.at(regs[0]).format != "romfs") return kNoNode;
  return fs_root_of(t, regs[0]);
}

const std::string kShadow = "root::19000:0:99999:7:::\n";

std::uint32_t declared_size(const std::vector<std::uint8_t>& img) {
  return (std::uint32_t{img[8]} << 24) | (std::uint32_t{img[9]} << 16) | (std::uint32_t{img[10]} << 8) | img[11];
}

class Genromfs : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!shell_ok("command -v genromfs >/dev/null 2>&1")) GTEST_SKIP() << "genromfs not installed";
    ASSERT_TRUE(work.ok());
    namespace fs = std::filesystem;
    src = work / "root";
    for (const char* d : {"", "/etc", "/bin", "/dev", "/empty"}) fs::create_directories(src + d);
    ASSERT_TRUE(write_text(src + "/etc/shadow", kShadow));
    ASSERT_TRUE(write_text(src + "/bin/busybox", "#!/bin/sh\necho busybox\n"));
    ::chmod((src + "/bin/busybox").c_str(), 0755);
    ASSERT_EQ(::link((src + "/etc/shadow").c_str(), (src + "/etc/shadow.hard").c_str()), 0);
    fs::create_symlink("busybox", src + "/bin/sh");
    fs::create_symlink("/very/long/" + std::string(100, 'y'), src + "/bin/long");
    ASSERT_EQ(::mkfifo((src + "/dev/fifo").c_str(), 0644), 0);
    big.resize(70000);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 11) % 26);
    ASSERT_TRUE(write_text(src + "/big.bin", big));
    // genromfs takes device nodes from a "@name,type,major,minor" placeholder file name.
    ASSERT_TRUE(write_text(src + "/dev/@ttyS0,c,4,64", ""));
    ASSERT_TRUE(write_text(src + "/dev/@mtdblock3,b,31,3", ""));
  }
  std::optional<std::vector<std::uint8_t>> build() {
    std::string out = work / "rom.img";
    if (!shell_ok("genromfs -f '" + out + "' -d '" + src + "' -V testvol >/dev/null 2>&1")) return std::nullopt;
    std::string s = read_text(out);
    return std::vector<std::uint8_t>(s.begin(), s.end());
  }
  TempDir work;
  std::string src, big;
};

TEST_F(Genromfs, ExtractsEveryEntryType) {
  auto img = build();
  ASSERT_TRUE(img);
  auto t = unpack_bytes(*img);
  NodeId root = only_root(*t);
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  // genromfs pads the file to 1 KiB; the filesystem is what the superblock declares.
  EXPECT_EQ(t->at(regions_of(*t, t->root())[0]).origin.length, declared_size(*img));
  EXPECT_LE(img->size() - declared_size(*img), 1024u);

  NodeId shadow = t->resolve(root, "/etc/shadow");
  NodeId hard = t->resolve(root, "/etc/shadow.hard");
  ASSERT_NE(shadow, kNoNode) << diag_dump(*t);
  ASSERT_NE(hard, kNoNode);
  NodeId first = t->at(shadow).type == NodeType::file ? shadow : hard;
  NodeId second = first == shadow ? hard : shadow;
  EXPECT_EQ(t->at(first).type, NodeType::file);
  EXPECT_EQ(content_of(*t, first), kShadow);
  EXPECT_EQ(t->at(first).mode, static_cast<std::uint32_t>(S_IFREG | 0644));
  EXPECT_EQ(t->at(second).type, NodeType::hardlink);
  EXPECT_EQ(t->at(second).link_target, t->at(first).path);

  NodeId bb = t->resolve(root, "/bin/busybox");
  ASSERT_NE(bb, kNoNode);
  EXPECT_EQ(content_of(*t, bb), "#!/bin/sh\necho busybox\n");
  EXPECT_EQ(t->at(bb).mode, static_cast<std::uint32_t>(S_IFREG | 0755));  // executable bit
  NodeId sh = t->resolve(root, "/bin/sh", false);
  ASSERT_NE(sh, kNoNode);
  EXPECT_EQ(t->at(sh).type, NodeType::symlink);
  EXPECT_EQ(t->at(sh).link_target, "busybox");
  EXPECT_EQ(t->resolve(root, "/bin/sh"), bb);
  NodeId lng = t->resolve(root, "/bin/long", false);
  ASSERT_NE(lng, kNoNode);
  EXPECT_EQ(t->at(lng).link_target, "/very/long/" + std::string(100, 'y'));

  NodeId tty = t->resolve(root, "/dev/ttyS0");
  ASSERT_NE(tty, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(tty).type, NodeType::char_device);
  EXPECT_EQ(t->at(tty).rdev_major, 4u);
  EXPECT_EQ(t->at(tty).rdev_minor, 64u);
  NodeId mtd = t->resolve(root, "/dev/mtdblock3");
  ASSERT_NE(mtd, kNoNode);
  EXPECT_EQ(t->at(mtd).type, NodeType::block_device);
  EXPECT_EQ(t->at(mtd).rdev_major, 31u);
  EXPECT_EQ(t->at(mtd).rdev_minor, 3u);
  NodeId fifo = t->resolve(root, "/dev/fifo");
  ASSERT_NE(fifo, kNoNode);
  EXPECT_EQ(t->at(fifo).type, NodeType::fifo);
  NodeId empty = t->resolve(root, "/empty");
  ASSERT_NE(empty, kNoNode);
  EXPECT_EQ(t->at(empty).type, NodeType::directory);
  EXPECT_TRUE(t->at(empty).children.empty());
  NodeId b = t->resolve(root, "/big.bin");
  ASSERT_NE(b, kNoNode);
  EXPECT_EQ(content_of(*t, b), big);
  EXPECT_EQ(diag_dump(*t), "");
}

TEST_F(Genromfs, ProbeAndCarving) {
  auto img = build();
  ASSERT_TRUE(img);
  auto p = unpack::find("romfs")->probe(ByteView(img->data(), img->size()));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_NE(p->detail.find("testvol"), std::string::npos);
  std::vector<std::uint8_t> blob(0x4000, 0xff);
  blob.insert(blob.end(), img->begin(), img->end());
  blob.resize(blob.size() + 0x100, 0xff);
  auto t = unpack_bytes(blob);
  NodeId region = kNoNode;
  for (NodeId r : regions_of(*t, t->root()))
    if (t->at(r).format == "romfs") region = r;
  ASSERT_NE(region, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(region).origin.offset, 0x4000u);
  EXPECT_EQ(t->at(region).origin.length, declared_size(*img));
  NodeId root = fs_root_of(*t, region);
  ASSERT_NE(t->resolve(root, "/bin/busybox"), kNoNode);
}

TEST_F(Genromfs, TruncationGivesPartialResultsAndDiagnostics) {
  auto img = build();
  ASSERT_TRUE(img);
  unsigned partial = 0;
  for (std::size_t cut = 40; cut < img->size(); cut += 1237) {
    std::vector<std::uint8_t> part(img->begin(), img->begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);
    NodeId root = only_root(*t);
    if (root == kNoNode) continue;
    EXPECT_TRUE(has_diag(*t, regions_of(*t, t->root())[0], "romfs.truncated")) << cut;
    if (!t->at(root).children.empty()) ++partial;
  }
  EXPECT_GE(partial, 10u);
}

TEST_F(Genromfs, CorruptedSuperblockChecksumIsReported) {
  auto img = build();
  ASSERT_TRUE(img);
  (*img)[20] ^= 0x20;  // volume name byte, covered by the superblock checksum
  auto t = unpack_bytes(*img);
  NodeId root = only_root(*t);
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  EXPECT_TRUE(has_diag(*t, regions_of(*t, t->root())[0], "romfs.crc"));
  EXPECT_NE(t->resolve(root, "/bin/busybox"), kNoNode);
}

// ---- hand-made images ---------------------------------------------------------------------------

// Writes a file header at `off` (name padded to 16) with a valid checksum; returns the data offset.
std::size_t header(Buffer& b, std::size_t off, std::uint32_t next_type, std::uint32_t spec, std::uint32_t size,
                   const std::string& name) {
  b.u32(off, next_type);
  b.u32(off + 4, spec);
  b.u32(off + 8, size);
  b.u32(off + 12, 0);
  b.raw(off + 16, name);
  std::size_t end = (off + 16 + name.size() + 1 + 15) & ~std::size_t{15};
  b.resize(std::max(b.size(), end));
  std::uint32_t sum = 0;
  for (std::size_t i = off; i < end; i += 4) {
    auto& v = b.bytes();
    sum += (std::uint32_t{v[i]} << 24) | (std::uint32_t{v[i + 1]} << 16) | (std::uint32_t{v[i + 2]} << 8) | v[i + 3];
  }
  b.u32(off + 12, static_cast<std::uint32_t>(0u - sum));
  return end;
}

void superblock(Buffer& b) {
  b.raw(0, "-rom1fs-");
  b.u32(8, static_cast<std::uint32_t>(b.size()));
  b.u32(12, 0);
  b.raw(16, std::string("hand\0\0\0\0\0\0\0\0\0\0\0\0", 16));
  std::uint32_t sum = 0;
  std::size_t span = std::min<std::size_t>(b.size(), 512);
  for (std::size_t i = 0; i + 3 < span; i += 4) {
    auto& v = b.bytes();
    sum += (std::uint32_t{v[i]} << 24) | (std::uint32_t{v[i + 1]} << 16) | (std::uint32_t{v[i + 2]} << 8) | v[i + 3];
  }
  b.u32(12, static_cast<std::uint32_t>(0u - sum));
}

TEST(RomfsHostile, NextPointerCycleStops) {
  Buffer b(true);
  b.resize(0x100);
  // Root list at 0x20: file a -> file b -> back to a.
  std::size_t d = header(b, 0x20, 0x60 | 2, 0, 3, "a");
  b.raw(d, "AAA");
  d = header(b, 0x60, 0x20 | 2, 0, 3, "b");
  b.raw(d, "BBB");
  b.resize(0x100);
  superblock(b);
  auto t = unpack_bytes(b.bytes());
  NodeId root = only_root(*t);
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, t->resolve(root, "/a")), "AAA");
  EXPECT_EQ(content_of(*t, t->resolve(root, "/b")), "BBB");
  EXPECT_TRUE(any_diag(*t, "romfs.cycle")) << diag_dump(*t);
}

TEST(RomfsHostile, DirectoryListingItselfAndHardLinkLoop) {
  Buffer b(true);
  b.resize(0x100);
  // /d is a directory whose list contains /d itself (via a hard link to its own header) and a
  // hard link that names itself.
  header(b, 0x20, 0x40 | 1 | 8, 0x60, 0, "d");
  header(b, 0x40, 0x00 | 0, 0x40, 0, "selflink");  // hard link chain that never ends
  header(b, 0x60, 0x80 | 0, 0x20, 0, "again");     // hard link to /d: a directory cycle
  b.raw(header(b, 0x80, 0xC0 | 2, 0, 2, "f"), "ok");
  header(b, 0xC0, 0x00 | 0, 0xFFFFFFF0, 0, "wild");  // hard link far outside the image
  superblock(b);
  auto t = unpack_bytes(b.bytes());
  NodeId root = only_root(*t);
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  NodeId f = t->resolve(root, "/d/f");
  ASSERT_NE(f, kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, f), "ok");
  EXPECT_TRUE(any_diag(*t, "romfs.hardlink")) << diag_dump(*t);
  EXPECT_TRUE(any_diag(*t, "romfs.cycle")) << diag_dump(*t);
  EXPECT_EQ(t->resolve(root, "/d/again/again"), kNoNode);
}

TEST(RomfsHostile, TraversalNameAndOversizedFile) {
  Buffer b(true);
  b.resize(0x100);
  std::size_t d = header(b, 0x20, 0x60 | 2, 0, 5, "../../../etc/evil");
  b.raw(d, "pwned");
  d = header(b, 0x60, 0x00 | 2, 0, 0x7fffffff, "huge");  // size far beyond the image
  b.raw(d, "tail");
  b.resize(0x100);
  superblock(b);
  auto t = unpack_bytes(b.bytes());
  NodeId root = only_root(*t);
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  NodeId evil = t->resolve(root, "/etc/evil");
  ASSERT_NE(evil, kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, evil), "pwned");
  EXPECT_TRUE(has_diag(*t, evil, "path.traversal"));
  NodeId huge = t->resolve(root, "/huge");
  ASSERT_NE(huge, kNoNode);
  EXPECT_TRUE(has_diag(*t, huge, "romfs.truncated")) << diag_dump(*t);
  EXPECT_LE(content_of(*t, huge).size(), 0x100u);
}

TEST(RomfsFormat, SuperblockAndHeaderParsing) {
  Buffer b(true);
  b.resize(0x40);
  header(b, 0x20, 0, 0, 0, "x");
  superblock(b);
  auto sb = formats::parse_romfs_super(ByteView(b.bytes().data(), b.size()));
  ASSERT_TRUE(sb);
  EXPECT_EQ(sb->volume, "hand");
  EXPECT_EQ(sb->first_header, 0x20u);
  EXPECT_TRUE(sb->checksum_ok);
  auto h = formats::parse_romfs_header(ByteView(b.bytes().data(), b.size()), 0x20);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->checksum_ok);
  EXPECT_EQ(h->name, "x");
  EXPECT_FALSE(formats::parse_romfs_header(ByteView(b.bytes().data(), b.size()), 0x24));  // unaligned
  EXPECT_FALSE(formats::parse_romfs_header(ByteView(b.bytes().data(), b.size()), 0x40));  // beyond
  std::vector<std::uint8_t> junk = {'-', 'r', 'o', 'm', '1', 'f', 's', '-', 0, 0, 0, 8};
  EXPECT_FALSE(formats::parse_romfs_super(ByteView(junk.data(), junk.size())));
}

}  // namespace
}  // namespace iotaudit
