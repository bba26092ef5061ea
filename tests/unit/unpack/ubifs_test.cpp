#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "formats/ubifs.hpp"
#include "unit/support/temp_dir.hpp"
#include "unit/support/ubi_image.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

const std::string kPasswd = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n";
const std::string kShadow = "root:$1$abc$def:19000:0:99999:7:::\nuser:!:19000::::::\n";

std::string pattern(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

// Offsets of every valid node of a given type in an image (8-byte aligned scan).
std::vector<std::size_t> find_nodes(const std::vector<std::uint8_t>& img, formats::UbifsNodeType type) {
  std::vector<std::size_t> out;
  ByteView v(img.data(), img.size());
  for (std::size_t off = 0; off + 24 <= img.size(); off += 8) {
    auto n = formats::parse_ubifs_node(v.tail(off));
    if (n && n->type == static_cast<std::uint8_t>(type)) out.push_back(off);
  }
  return out;
}

// The dent node whose name is `name`.
std::optional<std::size_t> find_dent(const std::vector<std::uint8_t>& img, const std::string& name) {
  ByteView v(img.data(), img.size());
  for (std::size_t off : find_nodes(img, formats::UbifsNodeType::dent)) {
    auto n = formats::parse_ubifs_node(v.tail(off));
    auto d = formats::parse_ubifs_dent(*n);
    if (d && d->name == name) return off;
  }
  return std::nullopt;
}

class UbifsImage : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (!have_mtd_utils()) GTEST_SKIP() << "mkfs.ubifs / ubinize (mtd-utils) not installed";
    ASSERT_TRUE(work.ok());
    namespace fs = std::filesystem;
    src = work / "root";
    for (const char* d : {"", "/etc", "/bin", "/usr", "/usr/bin", "/home", "/home/user", "/dev", "/data", "/data/deep/a/b"})
      fs::create_directories(src + d);
    ASSERT_TRUE(write_text(src + "/etc/passwd", kPasswd));
    ASSERT_TRUE(write_text(src + "/etc/shadow", kShadow));
    ASSERT_TRUE(write_text(src + "/etc/empty", ""));
    ASSERT_TRUE(write_text(src + "/bin/busybox", "#!/bin/sh\necho busybox\n"));
    ASSERT_TRUE(write_text(src + "/data/deep/a/b/leaf", "leaf\n"));
    ASSERT_EQ(::link((src + "/etc/passwd").c_str(), (src + "/etc/passwd.bak").c_str()), 0);
    fs::create_symlink("busybox", src + "/bin/sh");
    fs::create_symlink("../../bin/busybox", src + "/usr/bin/wget");
    fs::create_symlink(std::string(300, 'L'), src + "/data/longlink");
    ::chmod((src + "/etc/shadow").c_str(), 0600);
    ::chmod((src + "/bin/busybox").c_str(), 0755);
    ::chmod((src + "/home/user").c_str(), 0700);
    big = pattern(300 * 1024 + 17, 7);  // many 4 KiB blocks plus a partial last one
    ASSERT_TRUE(write_text(src + "/data/big.bin", big));
    // A block of zeros in the middle: mkfs.ubifs leaves it out (a hole), which must read as zeros.
    holey = pattern(4096, 1) + std::string(8192, '\0') + pattern(1000, 2);
    ASSERT_TRUE(write_text(src + "/data/holey.bin", holey));
    opts.compr = GetParam();
    opts.devtable =
        "/dev d 755 0 0 - - - - -\n"
        "/dev/console c 600 0 5 5 1 - - -\n"
        "/dev/mtdblock0 b 640 0 6 31 0 - - -\n"
        "/etc/shadow f 600 0 42 - - - - -\n"
        "/home/user d 700 1000 1001 - - - - -\n";
  }

  void expect_contents(const Tree& t, NodeId root) {
    NodeId shadow = t.resolve(root, "/etc/shadow");
    ASSERT_NE(shadow, kNoNode);
    EXPECT_EQ(t.at(shadow).type, NodeType::file);
    EXPECT_EQ(t.at(shadow).mode, static_cast<std::uint32_t>(S_IFREG | 0600));
    EXPECT_EQ(t.at(shadow).uid, 0u);
    EXPECT_EQ(t.at(shadow).gid, 42u);
    EXPECT_EQ(content_of(t, shadow), kShadow);
    EXPECT_EQ(t.at(shadow).size, kShadow.size());

    NodeId bb = t.resolve(root, "/bin/busybox");
    ASSERT_NE(bb, kNoNode);
    EXPECT_EQ(t.at(bb).mode, static_cast<std::uint32_t>(S_IFREG | 0755));
    EXPECT_EQ(content_of(t, bb), "#!/bin/sh\necho busybox\n");

    NodeId sh = t.resolve(root, "/bin/sh", false);
    ASSERT_NE(sh, kNoNode);
    EXPECT_EQ(t.at(sh).type, NodeType::symlink);
    EXPECT_EQ(t.at(sh).link_target, "busybox");
    EXPECT_EQ(t.at(sh).mode & S_IFMT, static_cast<std::uint32_t>(S_IFLNK));
    EXPECT_EQ(t.resolve(root, "/usr/bin/wget"), bb);
    NodeId ll = t.resolve(root, "/data/longlink", false);
    ASSERT_NE(ll, kNoNode);
    EXPECT_EQ(t.at(ll).link_target, std::string(300, 'L'));

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
    NodeId mtd = t.resolve(root, "/dev/mtdblock0");
    ASSERT_NE(mtd, kNoNode);
    EXPECT_EQ(t.at(mtd).type, NodeType::block_device);
    EXPECT_EQ(t.at(mtd).rdev_major, 31u);
    EXPECT_EQ(t.at(mtd).rdev_minor, 0u);
    EXPECT_EQ(t.at(mtd).mode, static_cast<std::uint32_t>(S_IFBLK | 0640));

    NodeId p1 = t.resolve(root, "/etc/passwd");
    NodeId p2 = t.resolve(root, "/etc/passwd.bak");
    ASSERT_NE(p1, kNoNode);
    ASSERT_NE(p2, kNoNode);
    const Node& a = t.at(p1);
    const Node& b = t.at(p2);
    ASSERT_TRUE((a.type == NodeType::file && b.type == NodeType::hardlink) ||
                (a.type == NodeType::hardlink && b.type == NodeType::file));
    const Node& link = a.type == NodeType::hardlink ? a : b;
    const Node& first = a.type == NodeType::hardlink ? b : a;
    EXPECT_EQ(link.link_target, first.path);
    EXPECT_EQ(content_of(t, p1), kPasswd);
    EXPECT_EQ(content_of(t, p2), kPasswd);

    NodeId empty = t.resolve(root, "/etc/empty");
    ASSERT_NE(empty, kNoNode);
    EXPECT_EQ(t.at(empty).size, 0u);
    EXPECT_EQ(content_of(t, empty), "");

    NodeId bigf = t.resolve(root, "/data/big.bin");
    ASSERT_NE(bigf, kNoNode);
    EXPECT_EQ(t.at(bigf).size, big.size());
    EXPECT_TRUE(content_of(t, bigf) == big);
    NodeId hol = t.resolve(root, "/data/holey.bin");
    ASSERT_NE(hol, kNoNode);
    EXPECT_TRUE(content_of(t, hol) == holey);
    NodeId leaf = t.resolve(root, "/data/deep/a/b/leaf");
    ASSERT_NE(leaf, kNoNode);
    EXPECT_EQ(content_of(t, leaf), "leaf\n");
  }

  std::size_t count_entries(const Tree& t, NodeId root) {
    std::size_t n = 0;
    std::vector<NodeId> stack{root};
    while (!stack.empty()) {
      NodeId id = stack.back();
      stack.pop_back();
      for (NodeId c : t.at(id).children) {
        ++n;
        stack.push_back(c);
      }
    }
    return n;
  }

  TempDir work;
  std::string src, big, holey;
  UbifsOptions opts;
};

TEST_P(UbifsImage, ExtractsEveryEntryType) {
  auto img = mkfs_ubifs(work, src, opts);
  ASSERT_TRUE(img) << read_text(work / "mkfs.ubifs.log");
  auto run = run_unpacker("ubifs", *img);
  ASSERT_TRUE(run.probed);
  ASSERT_TRUE(run.consumed) << run.consumed.error().message;
  const Tree& t = *run.tree;
  NodeId root = fs_root_of(t, run.region);
  ASSERT_NE(root, kNoNode);
  expect_contents(t, root);
  // Below the root: etc + 4 files, bin + 2, usr/bin/wget 3, home/user 2, dev + 2 devices,
  // data + 3 files + deep/a/b/leaf 4.
  EXPECT_EQ(count_entries(t, root), 24u) << diag_dump(t);
  EXPECT_FALSE(any_diag(t, "ubifs.index")) << diag_dump(t);
  EXPECT_FALSE(any_diag(t, "ubifs.scan"));
}

TEST_P(UbifsImage, EngineFindsRawUbifsImageAtAnOffset) {
  auto img = mkfs_ubifs(work, src, opts);
  ASSERT_TRUE(img);
  std::vector<std::uint8_t> fw(65536, 0xFF);
  fw.insert(fw.end(), img->begin(), img->end());
  auto t = unpack_bytes(fw);
  NodeId region = kNoNode;
  for (NodeId r : all_regions(*t))
    if (t->at(r).format == "ubifs") region = r;
  ASSERT_NE(region, kNoNode);
  EXPECT_EQ(t->at(region).origin.offset, 65536u);
  expect_contents(*t, fs_root_of(*t, region));
}

TEST_P(UbifsImage, DamagedIndexFallsBackToScan) {
  auto img = mkfs_ubifs(work, src, opts);
  ASSERT_TRUE(img);
  // Break every index node's CRC: the master still points at the root, which no longer reads.
  auto idx = find_nodes(*img, formats::UbifsNodeType::idx);
  ASSERT_FALSE(idx.empty());
  for (std::size_t off : idx) (*img)[off + 30] ^= 0x55;
  auto run = run_unpacker("ubifs", *img);
  ASSERT_TRUE(run.consumed);
  const Tree& t = *run.tree;
  EXPECT_TRUE(has_diag(t, run.region, "ubifs.index")) << diag_dump(t);
  EXPECT_TRUE(has_diag(t, run.region, "ubifs.scan"));
  expect_contents(t, fs_root_of(t, run.region));
}

TEST_P(UbifsImage, MissingMasterFallsBackToScan) {
  auto img = mkfs_ubifs(work, src, opts);
  ASSERT_TRUE(img);
  for (std::size_t off : find_nodes(*img, formats::UbifsNodeType::mst)) (*img)[off] = 0;  // magic gone
  auto run = run_unpacker("ubifs", *img);
  ASSERT_TRUE(run.consumed);
  EXPECT_TRUE(has_diag(*run.tree, run.region, "ubifs.master"));
  expect_contents(*run.tree, fs_root_of(*run.tree, run.region));
}

TEST_P(UbifsImage, TruncationKeepsPartialResults) {
  auto img = mkfs_ubifs(work, src, opts);
  ASSERT_TRUE(img);
  std::size_t full = 0;
  {
    auto run = run_unpacker("ubifs", *img);
    full = count_entries(*run.tree, fs_root_of(*run.tree, run.region));
  }
  bool saw_partial = false;
  for (std::size_t cut : {std::size_t{4096}, std::size_t{126976}, std::size_t{126976 * 2 + 100}, img->size() / 2,
                          img->size() - 126976, img->size() - 1000, img->size() - 1}) {
    if (cut >= img->size()) continue;
    std::vector<std::uint8_t> part(img->begin(), img->begin() + static_cast<std::ptrdiff_t>(cut));
    auto run = run_unpacker("ubifs", part);
    if (!run.probed) continue;
    const Tree& t = *run.tree;
    NodeId root = fs_root_of(t, run.region);
    if (root == kNoNode) continue;
    std::size_t n = count_entries(t, root);
    EXPECT_LE(n, full);
    if (n > 0 && n < full) {
      saw_partial = true;
      EXPECT_FALSE(t.at(run.region).diagnostics.empty()) << "cut at " << cut;
    }
  }
  (void)saw_partial;  // whether a given cut loses entries depends on where mkfs placed them
}

INSTANTIATE_TEST_SUITE_P(Compression, UbifsImage, ::testing::Values("none", "lzo", "zlib", "zstd"));

class UbifsHostile : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_mtd_utils()) GTEST_SKIP() << "mkfs.ubifs / ubinize (mtd-utils) not installed";
    ASSERT_TRUE(work.ok());
    namespace fs = std::filesystem;
    src = work / "root";
    fs::create_directories(src + "/d1/d2");
    ASSERT_TRUE(write_text(src + "/d1/d2/xx", "secret\n"));
    ASSERT_TRUE(write_text(src + "/d1/a_b", "slash\n"));
    ASSERT_TRUE(write_text(src + "/top", "top\n"));
    fs::create_directories(src + "/d1/d2/loop");
    UbifsOptions o;
    o.compr = "none";
    auto i = mkfs_ubifs(work, src, o);
    ASSERT_TRUE(i);
    img = *i;
  }
  TempDir work;
  std::string src;
  std::vector<std::uint8_t> img;
};

TEST_F(UbifsHostile, TraversalNamesAreRefused) {
  auto xx = find_dent(img, "xx");
  auto ab = find_dent(img, "a_b");
  ASSERT_TRUE(xx && ab);
  img[*xx + 56] = '.';
  img[*xx + 57] = '.';
  fix_ubifs_crc(img, *xx);
  img[*ab + 57] = '/';
  fix_ubifs_crc(img, *ab);
  auto run = run_unpacker("ubifs", img);
  ASSERT_TRUE(run.consumed);
  const Tree& t = *run.tree;
  NodeId root = fs_root_of(t, run.region);
  EXPECT_TRUE(any_diag(t, "path.traversal")) << diag_dump(t);
  EXPECT_EQ(t.resolve(root, "/d1/d2/.."), t.resolve(root, "/d1"));  // nothing named ".." was added
  EXPECT_EQ(t.resolve(root, "/d1/a"), kNoNode);
  EXPECT_NE(t.resolve(root, "/top"), kNoNode);
  for (NodeId id = 0; id < t.size(); ++id)
    if (t.at(id).fs_root == root) EXPECT_TRUE(t.at(id).path.starts_with("/")) << t.at(id).path;
}

TEST_F(UbifsHostile, DirectoryCycleIsNotFollowed) {
  // Point d1/d2/loop at the inode of d1: a directory graph cycle.
  auto d1 = find_dent(img, "d1");
  auto loop = find_dent(img, "loop");
  ASSERT_TRUE(d1 && loop);
  std::uint32_t d1_inum = get_le32(img, *d1 + 40);
  put_le32(img, *loop + 40, d1_inum);
  fix_ubifs_crc(img, *loop);
  auto run = run_unpacker("ubifs", img);
  ASSERT_TRUE(run.consumed);
  const Tree& t = *run.tree;
  EXPECT_TRUE(any_diag(t, "ubifs.cycle")) << diag_dump(t);
  EXPECT_NE(t.resolve(fs_root_of(t, run.region), "/d1/d2/xx"), kNoNode);
  EXPECT_LT(t.size(), 50u);
}

TEST_F(UbifsHostile, IndexCycleAndBadLebNumbers) {
  auto idx = find_nodes(img, formats::UbifsNodeType::idx);
  ASSERT_FALSE(idx.empty());
  ByteView v(img.data(), img.size());
  // Make every branch of every level>0 index node point at the node itself (cycle), and every
  // level-0 branch at a LEB far beyond the filesystem.
  for (std::size_t off : idx) {
    auto n = formats::parse_ubifs_node(v.tail(off));
    ASSERT_TRUE(n);
    std::uint16_t cnt = static_cast<std::uint16_t>(img[off + 24] | (img[off + 25] << 8));
    std::uint16_t level = static_cast<std::uint16_t>(img[off + 26] | (img[off + 27] << 8));
    std::size_t bsz = (n->len - 28) / cnt;
    for (std::size_t b = 0; b < cnt; ++b) {
      std::size_t at = off + 28 + b * bsz;
      if (level > 0) {
        put_le32(img, at, static_cast<std::uint32_t>(off / 126976));
        put_le32(img, at + 4, static_cast<std::uint32_t>(off % 126976));
        put_le32(img, at + 8, n->len);
      } else {
        put_le32(img, at, 0xFFFFFFF0u);
      }
    }
    fix_ubifs_crc(img, off);
  }
  auto run = run_unpacker("ubifs", img);
  ASSERT_TRUE(run.consumed);
  const Tree& t = *run.tree;
  EXPECT_TRUE(has_diag(t, run.region, "ubifs.index")) << diag_dump(t);
  // The scan still recovers the files.
  EXPECT_NE(t.resolve(fs_root_of(t, run.region), "/d1/d2/xx"), kNoNode);
}

TEST_F(UbifsHostile, HugeInodeSizeIsBounded) {
  // An inode claiming an enormous size with no data: the per-node cap applies.
  ByteView v(img.data(), img.size());
  bool changed = false;
  for (std::size_t off : find_nodes(img, formats::UbifsNodeType::ino)) {
    auto n = formats::parse_ubifs_node(v.tail(off));
    auto in = formats::parse_ubifs_inode(*n);
    if (in && S_ISREG(in->mode) && in->size == 4) {  // "top\n"
      for (int i = 0; i < 8; ++i) img[off + 48 + i] = i == 5 ? 0x01 : 0;  // 2^40
      fix_ubifs_crc(img, off);
      changed = true;
    }
  }
  ASSERT_TRUE(changed);
  Limits l;
  l.max_node_bytes = 1 << 20;
  auto run = run_unpacker("ubifs", img, l);
  ASSERT_TRUE(run.consumed);
  const Tree& t = *run.tree;
  NodeId top = t.resolve(fs_root_of(t, run.region), "/top");
  ASSERT_NE(top, kNoNode);
  EXPECT_EQ(t.at(top).size, 1ULL << 40);
  EXPECT_LE(t.content(top)->view().size(), 1u << 20);
  EXPECT_TRUE(content_of(t, top).starts_with("top\n"));
  EXPECT_TRUE(any_diag(t, "ubifs.file_data") || any_diag(t, "limit.")) << diag_dump(t);
}

TEST(UbifsProbe, RejectsGarbageAndOtherNodes) {
  const unpack::Unpacker* u = unpack::find("ubifs");
  ASSERT_NE(u, nullptr);
  std::vector<std::uint8_t> junk(8192, 0xFF);
  EXPECT_FALSE(u->probe(ByteView(junk.data(), junk.size())));
  junk[0] = 0x31, junk[1] = 0x18, junk[2] = 0x10, junk[3] = 0x06;
  EXPECT_FALSE(u->probe(ByteView(junk.data(), junk.size())));
  EXPECT_FALSE(u->probe(ByteView(junk.data(), 10)));
}

}  // namespace
}  // namespace iotaudit
