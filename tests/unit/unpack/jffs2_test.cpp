#include <lzma.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <lzo/lzo1x.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "formats/jffs2.hpp"
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
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

bool have_tool(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

NodeId only_region(const Tree& t, std::string_view format) {
  NodeId found = kNoNode;
  for (NodeId r : all_regions(t))
    if (t.at(r).format == format) {
      if (found != kNoNode) return kNoNode;
      found = r;
    }
  return found;
}

// Counts the data nodes of each compression type (to prove a test exercised a decompressor).
std::map<std::uint8_t, int> compressors_used(const std::vector<std::uint8_t>& img) {
  std::map<std::uint8_t, int> out;
  ByteView v(img.data(), img.size());
  auto e = formats::jffs2_endian(v);
  if (!e) return out;
  formats::Jffs2Scanner sc(v, *e);
  while (auto h = sc.next()) {
    if (h->nodetype != formats::jffs2_node::kInode) continue;
    auto n = formats::parse_jffs2_inode(*v.sub(h->offset, h->totlen), *e, h->offset);
    if (n && n->dsize > 0) ++out[n->compr];
  }
  return out;
}

// A directory tree with every kind of entry, turned into images by mkfs.jffs2 (mtd-utils).
class Jffs2Image : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_tool("mkfs.jffs2")) GTEST_SKIP() << "mkfs.jffs2 (mtd-utils) not installed";
    ASSERT_TRUE(work.ok());
    namespace fs = std::filesystem;
    src = work / "root";
    for (const char* d : {"", "/etc", "/bin", "/usr", "/usr/bin", "/home", "/home/user", "/dev", "/data", "/empty"})
      fs::create_directories(src + d);
    ASSERT_TRUE(write_text(src + "/etc/passwd", kPasswd));
    ASSERT_TRUE(write_text(src + "/etc/shadow", kShadow));
    ASSERT_TRUE(write_text(src + "/etc/empty", ""));
    ASSERT_TRUE(write_text(src + "/bin/busybox", "#!/bin/sh\necho busybox\n"));
    ::chmod((src + "/bin/busybox").c_str(), 0755);
    ::chmod((src + "/etc/passwd").c_str(), 0644);
    ASSERT_EQ(::link((src + "/etc/passwd").c_str(), (src + "/etc/passwd.bak").c_str()), 0);
    fs::create_symlink("busybox", src + "/bin/sh");
    fs::create_symlink("../../bin/busybox", src + "/usr/bin/wget");
    fs::create_symlink("/etc/passwd", src + "/data/abs");
    // Many 4 KiB data nodes, compressible and not.
    big = pattern(300 * 1024 + 17, 7) + random_bytes(20 * 1024 + 3, 8);
    ASSERT_TRUE(write_text(src + "/data/big.bin", big));
    ASSERT_TRUE(write_text(src + "/data/zeros", std::string(10000, '\0')));
    devtable =
        "/etc/shadow f 600 0 42 - - - - -\n"
        "/home/user d 700 1000 1001 - - - - -\n"
        "/dev/console c 600 0 0 5 1 - - -\n"
        "/dev/mtdblock0 b 640 0 6 31 0 - - -\n";
  }

  std::optional<std::vector<std::uint8_t>> build(const std::string& opts) {
    std::string image = work / "image.jffs2";
    std::filesystem::remove(image);
    std::string dt = work / "devtable.txt";
    if (!write_text(dt, devtable)) return std::nullopt;
    std::string cmd = "mkfs.jffs2 -d '" + src + "' -o '" + image + "' -D '" + dt + "' " + opts + " >'" +
                      (work / "mkfs.log") + "' 2>&1";
    int rc = std::system(cmd.c_str());
    if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) return std::nullopt;
    return read_bytes(image);
  }

  void expect_contents(const Tree& t, NodeId root) {
    auto get = [&](const char* p) {
      NodeId id = t.resolve(root, p, false);
      EXPECT_NE(id, kNoNode) << p;
      return id;
    };
    NodeId shadow = get("/etc/shadow");
    if (shadow == kNoNode) return;
    EXPECT_EQ(t.at(shadow).type, NodeType::file);
    EXPECT_EQ(t.at(shadow).mode, static_cast<std::uint32_t>(S_IFREG | 0600));
    EXPECT_EQ(t.at(shadow).uid, 0u);
    EXPECT_EQ(t.at(shadow).gid, 42u);
    EXPECT_EQ(t.at(shadow).size, kShadow.size());
    EXPECT_EQ(content_of(t, shadow), kShadow);

    NodeId bb = get("/bin/busybox");
    EXPECT_EQ(t.at(bb).mode, static_cast<std::uint32_t>(S_IFREG | 0755));
    NodeId sh = get("/bin/sh");
    EXPECT_EQ(t.at(sh).type, NodeType::symlink);
    EXPECT_EQ(t.at(sh).link_target, "busybox");
    EXPECT_EQ(t.at(sh).mode & S_IFMT, static_cast<std::uint32_t>(S_IFLNK));
    EXPECT_EQ(t.at(get("/usr/bin/wget")).link_target, "../../bin/busybox");
    EXPECT_EQ(t.at(get("/data/abs")).link_target, "/etc/passwd");

    NodeId home = get("/home/user");
    EXPECT_EQ(t.at(home).type, NodeType::directory);
    EXPECT_EQ(t.at(home).mode, static_cast<std::uint32_t>(S_IFDIR | 0700));
    EXPECT_EQ(t.at(home).uid, 1000u);
    EXPECT_EQ(t.at(home).gid, 1001u);
    EXPECT_EQ(t.at(get("/empty")).type, NodeType::directory);

    NodeId console = get("/dev/console");
    EXPECT_EQ(t.at(console).type, NodeType::char_device);
    EXPECT_EQ(t.at(console).mode, static_cast<std::uint32_t>(S_IFCHR | 0600));
    EXPECT_EQ(t.at(console).rdev_major, 5u);
    EXPECT_EQ(t.at(console).rdev_minor, 1u);
    NodeId mtd = get("/dev/mtdblock0");
    EXPECT_EQ(t.at(mtd).type, NodeType::block_device);
    EXPECT_EQ(t.at(mtd).mode, static_cast<std::uint32_t>(S_IFBLK | 0640));
    EXPECT_EQ(t.at(mtd).gid, 6u);
    EXPECT_EQ(t.at(mtd).rdev_major, 31u);
    EXPECT_EQ(t.at(mtd).rdev_minor, 0u);

    NodeId p1 = get("/etc/passwd"), p2 = get("/etc/passwd.bak");
    const Node& a = t.at(p1);
    const Node& b = t.at(p2);
    ASSERT_TRUE((a.type == NodeType::file && b.type == NodeType::hardlink) ||
                (a.type == NodeType::hardlink && b.type == NodeType::file));
    const Node& link = a.type == NodeType::hardlink ? a : b;
    const Node& first = a.type == NodeType::hardlink ? b : a;
    EXPECT_EQ(link.link_target, first.path);
    EXPECT_EQ(content_of(t, first.id), kPasswd);

    NodeId empty = get("/etc/empty");
    EXPECT_EQ(t.at(empty).size, 0u);
    EXPECT_TRUE(t.content(empty)->view().empty());
    NodeId zeros = get("/data/zeros");
    EXPECT_EQ(content_of(t, zeros), std::string(10000, '\0'));
    NodeId bigf = get("/data/big.bin");
    EXPECT_EQ(t.at(bigf).size, big.size());
    EXPECT_TRUE(content_of(t, bigf) == big) << "multi-node file content differs";
  }

  TempDir work;
  std::string src, devtable, big;
};

struct Variant {
  const char* name;
  const char* opts;
  std::uint8_t compr;  // a compressor that must appear in the image
};

class Jffs2Variants : public Jffs2Image, public ::testing::WithParamInterface<Variant> {};

TEST_P(Jffs2Variants, ExtractsEveryEntryWithMetadata) {
  const Variant& v = GetParam();
  auto img = build(v.opts);
  ASSERT_TRUE(img) << read_text(work / "mkfs.log");
  auto used = compressors_used(*img);
  EXPECT_GT(used[v.compr], 0) << "image does not use compressor " << int(v.compr);
  auto t = unpack_bytes(*img);
  NodeId region = only_region(*t, "jffs2");
  ASSERT_NE(region, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(region).origin.offset, 0u);
  NodeId root = fs_root_of(*t, region);
  ASSERT_NE(root, kNoNode);
  expect_contents(*t, root);
  EXPECT_EQ(diag_dump(*t), "");
}

INSTANTIATE_TEST_SUITE_P(
    All, Jffs2Variants,
    ::testing::Values(Variant{"le_default", "-l", 6}, Variant{"be_default", "-b", 6},
                      Variant{"le_none", "-l -x zlib -x rtime", 0}, Variant{"be_none", "-b -x zlib -x rtime", 0},
                      Variant{"le_rtime", "-l -x zlib", 2}, Variant{"be_rtime", "-b -x zlib", 2},
                      Variant{"le_lzo", "-l -X lzo -x zlib -x rtime", 7}, Variant{"be_lzo", "-b -X lzo -x zlib -x rtime", 7},
                      Variant{"le_small_blocks_padded", "-l -e 0x4000 -p", 6},
                      Variant{"be_no_cleanmarkers", "-b -n -e 0x2000", 6},
                      Variant{"le_size_mode", "-l -m size -X lzo", 6}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(Jffs2Image, CarvedFromFlashDumpWithExtentOfLastNode) {
  auto img = build("-l -e 0x4000 -p");
  ASSERT_TRUE(img) << read_text(work / "mkfs.log");
  // The last node ends before the 0xFF padding.
  std::size_t last = img->size();
  while (last > 0 && (*img)[last - 1] == 0xFF) --last;
  std::string pre = random_bytes(0x7000, 3);
  std::vector<std::uint8_t> blob(pre.begin(), pre.end());
  blob.resize(0x10000, 0xFF);
  blob.insert(blob.end(), img->begin(), img->end());
  std::string post = random_bytes(100000, 4);  // a following partition of other data
  blob.insert(blob.end(), post.begin(), post.end());
  auto t = unpack_bytes(blob);
  NodeId region = only_region(*t, "jffs2");
  ASSERT_NE(region, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(region).name, "jffs2@0x10000");
  std::uint64_t len = t->at(region).origin.length;
  EXPECT_GE(len, last);
  EXPECT_LE(len, (last + 3) & ~std::size_t{3});
  NodeId root = fs_root_of(*t, region);
  ASSERT_NE(root, kNoNode);
  expect_contents(*t, root);
}

TEST_F(Jffs2Image, TruncatedImagesKeepEarlierFilesAndSayTheyAreCut) {
  auto img = build("-b");
  ASSERT_TRUE(img) << read_text(work / "mkfs.log");
  int truncated_diags = 0;
  for (int i = 1; i <= 24; ++i) {
    std::size_t cut = img->size() * static_cast<std::size_t>(i) / 25 + static_cast<std::size_t>(i);
    std::vector<std::uint8_t> part(img->begin(), img->begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);
    NodeId region = only_region(*t, "jffs2");
    ASSERT_NE(region, kNoNode) << "cut at " << cut;
    ASSERT_NE(fs_root_of(*t, region), kNoNode);
    if (has_diag(*t, region, "jffs2.truncated")) ++truncated_diags;
    EXPECT_LE(t->at(region).origin.length, cut);
  }
  EXPECT_GT(truncated_diags, 12);  // most cuts land inside a node
  // Near the end everything before the cut is there: the small files come first in the log.
  std::vector<std::uint8_t> part(img->begin(), img->end() - 100);
  auto t = unpack_bytes(part);
  NodeId root = fs_root_of(*t, only_region(*t, "jffs2"));
  ASSERT_NE(root, kNoNode);
  EXPECT_NE(t->resolve(root, "/etc/shadow"), kNoNode);
}

TEST_F(Jffs2Image, CorruptedBytesNeverCrash) {
  auto img = build("-l -e 0x2000");
  ASSERT_TRUE(img);
  std::mt19937 rng(99);
  for (int round = 0; round < 40; ++round) {
    auto bad = *img;
    for (int k = 0; k < 1 + round; ++k) bad[rng() % bad.size()] = static_cast<std::uint8_t>(rng());
    auto t = unpack_bytes(bad);
    ASSERT_NE(t->root(), kNoNode);
  }
}

// ---- Hand-built images: what mkfs.jffs2 never writes but a used or hostile flash holds. ----

class NodeWriter {
 public:
  explicit NodeWriter(Endian e) : e_(e) {}
  std::vector<std::uint8_t> bytes;

  void dirent(std::uint32_t pino, std::uint32_t version, std::uint32_t ino, std::string_view name,
              std::uint8_t dtype) {
    std::vector<std::uint8_t> n;
    header(n, formats::jffs2_node::kDirent, 40 + static_cast<std::uint32_t>(name.size()));
    put32(n, pino);
    put32(n, version);
    put32(n, ino);
    put32(n, 1700000000);
    n.push_back(static_cast<std::uint8_t>(name.size()));
    n.push_back(dtype);
    n.push_back(0);
    n.push_back(0);
    put32(n, crc(n.data(), 32));
    put32(n, crc(reinterpret_cast<const std::uint8_t*>(name.data()), name.size()));
    n.insert(n.end(), name.begin(), name.end());
    append(n);
  }

  struct Inode {
    std::uint32_t ino = 2, version = 1, mode = S_IFREG | 0644, uid = 0, gid = 0, isize = 0, offset = 0;
    std::uint8_t compr = 0;
    std::uint32_t dsize = 0;  // defaults to data size
    std::vector<std::uint8_t> data;
  };
  void inode(const Inode& in) {
    std::vector<std::uint8_t> n;
    header(n, formats::jffs2_node::kInode, 68 + static_cast<std::uint32_t>(in.data.size()));
    put32(n, in.ino);
    put32(n, in.version);
    put32(n, in.mode);
    put16(n, static_cast<std::uint16_t>(in.uid));
    put16(n, static_cast<std::uint16_t>(in.gid));
    put32(n, in.isize);
    for (int i = 0; i < 3; ++i) put32(n, 1700000000);
    put32(n, in.offset);
    put32(n, static_cast<std::uint32_t>(in.data.size()));
    put32(n, in.dsize ? in.dsize : static_cast<std::uint32_t>(in.data.size()));
    n.push_back(in.compr);
    n.push_back(0);
    put16(n, 0);
    put32(n, crc(in.data.data(), in.data.size()));
    put32(n, crc(n.data(), 60));
    n.insert(n.end(), in.data.begin(), in.data.end());
    append(n);
  }
  // A file with one uncompressed data node.
  void file(std::uint32_t ino, std::string_view content, std::uint32_t version = 1) {
    Inode in;
    in.ino = ino;
    in.version = version;
    in.isize = static_cast<std::uint32_t>(content.size());
    in.data.assign(content.begin(), content.end());
    inode(in);
  }
  void dir(std::uint32_t ino, std::uint32_t mode = S_IFDIR | 0755) {
    Inode in;
    in.ino = ino;
    in.mode = mode;
    inode(in);
  }
  std::size_t size() const { return bytes.size(); }

 private:
  static std::uint32_t crc(const std::uint8_t* p, std::size_t n) { return formats::jffs2_crc32(ByteView(p, n)); }
  void put16(std::vector<std::uint8_t>& v, std::uint16_t x) {
    if (e_ == Endian::little) v.insert(v.end(), {std::uint8_t(x), std::uint8_t(x >> 8)});
    else v.insert(v.end(), {std::uint8_t(x >> 8), std::uint8_t(x)});
  }
  void put32(std::vector<std::uint8_t>& v, std::uint32_t x) {
    if (e_ == Endian::little) {
      put16(v, std::uint16_t(x));
      put16(v, std::uint16_t(x >> 16));
    } else {
      put16(v, std::uint16_t(x >> 16));
      put16(v, std::uint16_t(x));
    }
  }
  void header(std::vector<std::uint8_t>& n, std::uint16_t type, std::uint32_t totlen) {
    put16(n, formats::kJffs2Magic);
    put16(n, type);
    put32(n, totlen);
    put32(n, crc(n.data(), 8));
  }
  void append(std::vector<std::uint8_t>& n) {
    bytes.insert(bytes.end(), n.begin(), n.end());
    while (bytes.size() % 4) bytes.push_back(0xFF);
  }
  Endian e_;
};

constexpr std::uint8_t kDtDir = 4, kDtReg = 8, kDtLnk = 10, kDtChr = 2;

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

class Jffs2Handmade : public ::testing::TestWithParam<Endian> {
 protected:
  std::unique_ptr<Tree> unpack(const NodeWriter& w, const Limits& limits = {}) {
    auto t = unpack_bytes(w.bytes, limits);
    region = only_region(*t, "jffs2");
    root = region == kNoNode ? kNoNode : fs_root_of(*t, region);
    return t;
  }
  NodeId region = kNoNode, root = kNoNode;
};

TEST_P(Jffs2Handmade, NewestVersionWinsForEntriesAndData) {
  NodeWriter w(GetParam());
  w.dirent(1, 1, 2, "a", kDtReg);
  w.file(2, "old content");
  NodeWriter::Inode v2;  // rewrites the start and shortens the file
  v2.ino = 2;
  v2.version = 2;
  v2.mode = S_IFREG | 0600;
  v2.isize = 9;
  v2.data = bytes_of("NEW");
  w.inode(v2);
  w.dirent(1, 1, 3, "gone", kDtReg);
  w.file(3, "deleted later");
  w.dirent(1, 2, 0, "gone", kDtReg);  // unlink: newer dirent with inode 0
  w.dirent(1, 5, 5, "renamed", kDtReg);
  w.dirent(1, 4, 4, "renamed", kDtReg);  // older version written later in the log: loses
  w.file(4, "four");
  w.file(5, "five");
  auto t = unpack(w);
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  NodeId a = t->resolve(root, "/a");
  ASSERT_NE(a, kNoNode);
  EXPECT_EQ(content_of(*t, a), "NEW conte");
  EXPECT_EQ(t->at(a).mode, static_cast<std::uint32_t>(S_IFREG | 0600));
  EXPECT_EQ(t->resolve(root, "/gone"), kNoNode);
  NodeId r = t->resolve(root, "/renamed");
  ASSERT_NE(r, kNoNode);
  EXPECT_EQ(content_of(*t, r), "five");
  EXPECT_EQ(diag_dump(*t), "");
}

TEST_P(Jffs2Handmade, OverlappingFragmentsAndHoles) {
  NodeWriter w(GetParam());
  w.dirent(1, 1, 2, "f", kDtReg);
  NodeWriter::Inode n;
  n.ino = 2;
  n.isize = 30;
  n.version = 1;
  n.data = bytes_of("AAAAAAAAAAAA");  // [0,12)
  w.inode(n);
  n.version = 3;
  n.offset = 4;
  n.data = bytes_of("BBBB");  // [4,8)
  w.inode(n);
  n.version = 2;
  n.offset = 2;
  n.data = bytes_of("CCCCCCCC");  // [2,10), under the newer BBBB
  w.inode(n);
  n.version = 4;
  n.offset = 20;
  n.data = bytes_of("DD");  // [20,22); [12,20) and [22,30) are never written: holes
  w.inode(n);
  n.version = 5;
  n.offset = 9;
  n.compr = static_cast<std::uint8_t>(formats::Jffs2Compr::zero);
  n.data.clear();
  n.dsize = 2;  // an explicit hole node over [9,11)
  w.inode(n);
  auto t = unpack(w);
  ASSERT_NE(root, kNoNode);
  NodeId f = t->resolve(root, "/f");
  ASSERT_NE(f, kNoNode);
  std::string want = "AACCBBBBC";
  want += std::string(2, '\0') + "A" + std::string(8, '\0') + "DD" + std::string(8, '\0');
  EXPECT_EQ(content_of(*t, f), want);
  EXPECT_EQ(t->at(f).size, 30u);
}

TEST_P(Jffs2Handmade, HardLinksSymlinksAndDevices) {
  NodeWriter w(GetParam());
  w.dirent(1, 1, 2, "file", kDtReg);
  w.dirent(1, 2, 2, "link1", kDtReg);
  w.dirent(1, 3, 2, "link2", kDtReg);
  w.file(2, "shared");
  w.dirent(1, 4, 3, "sym", kDtLnk);
  NodeWriter::Inode s;
  s.ino = 3;
  s.mode = S_IFLNK | 0777;
  s.isize = 11;
  s.data = bytes_of("/etc/passwd");
  w.inode(s);
  w.dirent(1, 5, 4, "old", kDtChr);
  NodeWriter::Inode d;
  d.ino = 4;
  d.mode = S_IFCHR | 0600;
  d.data = GetParam() == Endian::little ? std::vector<std::uint8_t>{0x07, 0x04} : std::vector<std::uint8_t>{0x04, 0x07};
  w.inode(d);  // old 16-bit dev_t 4:7
  // The kernel writes new_encode_dev() values, 32 bits: 300:70000 (mkfs.jffs2 cannot).
  w.dirent(1, 6, 5, "wide", kDtChr);
  d.ino = 5;
  std::uint32_t devno = (70000u & 0xFF) | (300u << 8) | ((70000u & ~0xFFu) << 12);
  d.data = GetParam() == Endian::little
               ? std::vector<std::uint8_t>{std::uint8_t(devno), std::uint8_t(devno >> 8), std::uint8_t(devno >> 16),
                                           std::uint8_t(devno >> 24)}
               : std::vector<std::uint8_t>{std::uint8_t(devno >> 24), std::uint8_t(devno >> 16), std::uint8_t(devno >> 8),
                                           std::uint8_t(devno)};
  w.inode(d);
  auto t = unpack(w);
  ASSERT_NE(root, kNoNode);
  NodeId f = t->resolve(root, "/file");
  ASSERT_NE(f, kNoNode);
  EXPECT_EQ(t->at(f).type, NodeType::file);
  EXPECT_EQ(content_of(*t, f), "shared");
  for (const char* p : {"/link1", "/link2"}) {
    NodeId l = t->resolve(root, p, false);
    ASSERT_NE(l, kNoNode);
    EXPECT_EQ(t->at(l).type, NodeType::hardlink);
    EXPECT_EQ(t->at(l).link_target, "/file");
    EXPECT_EQ(t->at(l).size, 6u);
  }
  NodeId sym = t->resolve(root, "/sym", false);
  ASSERT_NE(sym, kNoNode);
  EXPECT_EQ(t->at(sym).type, NodeType::symlink);
  EXPECT_EQ(t->at(sym).link_target, "/etc/passwd");
  NodeId dev = t->resolve(root, "/old");
  ASSERT_NE(dev, kNoNode);
  EXPECT_EQ(t->at(dev).rdev_major, 4u);
  EXPECT_EQ(t->at(dev).rdev_minor, 7u);
  NodeId wide = t->resolve(root, "/wide");
  ASSERT_NE(wide, kNoNode);
  EXPECT_EQ(t->at(wide).type, NodeType::char_device);
  EXPECT_EQ(t->at(wide).rdev_major, 300u);
  EXPECT_EQ(t->at(wide).rdev_minor, 70000u);
}

TEST_P(Jffs2Handmade, CyclesAndSharedDirectoriesAreNotFollowed) {
  NodeWriter w(GetParam());
  w.dirent(1, 1, 2, "d", kDtDir);
  w.dir(2);
  w.dirent(2, 2, 2, "self", kDtDir);  // d/self -> d
  w.dirent(2, 3, 1, "root", kDtDir);  // d/root -> /
  w.dirent(2, 4, 3, "e", kDtDir);
  w.dir(3);
  w.dirent(3, 5, 2, "back", kDtDir);  // d/e/back -> d
  w.dirent(1, 6, 3, "alias", kDtDir);  // a second name for d/e
  w.dirent(3, 7, 4, "x", kDtReg);
  w.file(4, "x");
  auto t = unpack(w);
  ASSERT_NE(root, kNoNode);
  EXPECT_TRUE(any_diag(*t, "jffs2.cycle")) << diag_dump(*t);
  // Exactly one of /alias and /d/e holds the directory's contents.
  int xs = (t->resolve(root, "/d/e/x") != kNoNode) + (t->resolve(root, "/alias/x") != kNoNode);
  EXPECT_EQ(xs, 1);
  EXPECT_EQ(t->resolve(root, "/d/self"), kNoNode);
  EXPECT_EQ(t->resolve(root, "/d/root"), kNoNode);
  EXPECT_LT(t->size(), 20u);
}

TEST_P(Jffs2Handmade, HostileNamesStayInside) {
  NodeWriter w(GetParam());
  w.dirent(1, 1, 2, "..", kDtReg);
  w.dirent(1, 2, 3, "../../etc/evil", kDtReg);
  w.dirent(1, 3, 4, std::string("nul\0byte", 8), kDtReg);
  w.dirent(1, 4, 5, "", kDtReg);
  w.dirent(1, 5, 6, "ok", kDtReg);
  for (std::uint32_t i = 2; i <= 6; ++i) w.file(i, "x");
  auto t = unpack(w);
  ASSERT_NE(root, kNoNode);
  EXPECT_TRUE(has_diag(*t, root, "path.traversal")) << diag_dump(*t);
  EXPECT_NE(t->resolve(root, "/ok"), kNoNode);
  for (NodeId id = 0; id < t->size(); ++id) {
    const Node& n = t->at(id);
    if (n.fs_root != root) continue;
    EXPECT_EQ(n.path.find(".."), std::string::npos) << n.path;
  }
  EXPECT_EQ(t->at(root).children.size(), 1u);
}

TEST_P(Jffs2Handmade, BadCrcsAndObsoleteNodesAreIgnored) {
  NodeWriter w(GetParam());
  w.dirent(1, 1, 2, "f", kDtReg);
  w.file(2, "good", 1);
  std::size_t bad_at = w.size();
  w.file(2, "evil", 2);  // its data CRC is broken below
  std::size_t obsolete_at = w.size();
  w.file(2, "gone", 3);  // marked obsolete below
  w.bytes[bad_at + 68] ^= 0x20;
  // Clear the accurate bit of the node type in place, as the kernel does.
  std::size_t type_byte = obsolete_at + (GetParam() == Endian::little ? 3 : 2);
  w.bytes[type_byte] &= static_cast<std::uint8_t>(~0x20);
  auto t = unpack(w);
  ASSERT_NE(root, kNoNode);
  NodeId f = t->resolve(root, "/f");
  ASSERT_NE(f, kNoNode);
  EXPECT_EQ(content_of(*t, f), "good");
  EXPECT_TRUE(has_diag(*t, region, "jffs2.crc")) << diag_dump(*t);
}

TEST_P(Jffs2Handmade, EveryCompressorDecodes) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "line " + std::to_string(i % 7) + " of some configuration\n";
  text.resize(4096);
  NodeWriter w(GetParam());
  auto add = [&](std::uint32_t ino, const char* name, std::uint8_t compr, std::vector<std::uint8_t> data) {
    w.dirent(1, ino, ino, name, kDtReg);
    NodeWriter::Inode n;
    n.ino = ino;
    n.isize = static_cast<std::uint32_t>(text.size());
    n.dsize = static_cast<std::uint32_t>(text.size());
    n.compr = compr;
    n.data = std::move(data);
    w.inode(n);
  };
  // zlib with header, and raw deflate (accepted by the kernel too).
  for (int raw = 0; raw < 2; ++raw) {
    z_stream zs{};
    ASSERT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, raw ? -MAX_WBITS : MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::vector<std::uint8_t> out(8192);
    zs.next_in = reinterpret_cast<Bytef*>(text.data());
    zs.avail_in = static_cast<uInt>(text.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    add(raw ? 3 : 2, raw ? "deflate" : "zlib", 6, out);
  }
  {
    ASSERT_EQ(lzo_init(), LZO_E_OK);
    std::vector<std::uint8_t> out(text.size() + text.size() / 16 + 64 + 3);
    std::vector<std::uint8_t> wrk(LZO1X_1_MEM_COMPRESS);
    lzo_uint len = out.size();
    ASSERT_EQ(lzo1x_1_compress(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data(), &len,
                               wrk.data()),
              LZO_E_OK);
    out.resize(len);
    add(4, "lzo", 7, out);
  }
  {
    // OpenWrt's parameters: lc=0 lp=0 pb=0, 8 KiB dictionary, no header in the node.
    lzma_options_lzma opt{};
    ASSERT_FALSE(lzma_lzma_preset(&opt, 6));
    opt.dict_size = 0x2000;
    opt.lc = 0;
    opt.lp = 0;
    opt.pb = 0;
    lzma_stream zs = LZMA_STREAM_INIT;
    ASSERT_EQ(lzma_alone_encoder(&zs, &opt), LZMA_OK);
    std::vector<std::uint8_t> out(16384);
    zs.next_in = reinterpret_cast<const std::uint8_t*>(text.data());
    zs.avail_in = text.size();
    zs.next_out = out.data();
    zs.avail_out = out.size();
    ASSERT_EQ(lzma_code(&zs, LZMA_FINISH), LZMA_STREAM_END);
    out.resize(zs.total_out);
    lzma_end(&zs);
    out.erase(out.begin(), out.begin() + 13);  // the .lzma header
    add(5, "lzma", 8, out);
  }
  {
    // rtime: one literal then repeats of it ("aaaa..."), then literals each with run 0.
    std::vector<std::uint8_t> out;
    std::string s = "aaaaaaaaaaxyz";
    out = {'a', 9, 'x', 0, 'y', 0, 'z', 0};
    w.dirent(1, 6, 6, "rtime", kDtReg);
    NodeWriter::Inode n;
    n.ino = 6;
    n.isize = static_cast<std::uint32_t>(s.size());
    n.dsize = n.isize;
    n.compr = 2;
    n.data = out;
    w.inode(n);
  }
  auto t = unpack(w);
  ASSERT_NE(root, kNoNode);
  for (const char* p : {"/zlib", "/deflate", "/lzo", "/lzma"}) {
    NodeId f = t->resolve(root, p);
    ASSERT_NE(f, kNoNode) << p;
    EXPECT_TRUE(content_of(*t, f) == text) << p;
  }
  NodeId r = t->resolve(root, "/rtime");
  ASSERT_NE(r, kNoNode);
  EXPECT_EQ(content_of(*t, r), "aaaaaaaaaaxyz");
  EXPECT_EQ(diag_dump(*t), "");
}

TEST_P(Jffs2Handmade, CorruptCompressedDataIsDiagnosed) {
  NodeWriter w(GetParam());
  w.dirent(1, 1, 2, "f", kDtReg);
  NodeWriter::Inode n;
  n.ino = 2;
  n.isize = 100;
  n.dsize = 100;
  n.compr = 6;
  n.data = bytes_of("this is not zlib data");
  w.inode(n);
  w.dirent(1, 2, 3, "r", kDtReg);
  n.ino = 3;
  n.compr = 2;
  n.data = {'a', 200};  // an rtime run past dsize
  w.inode(n);
  w.dirent(1, 3, 4, "rubin", kDtReg);
  n.ino = 4;
  n.compr = 5;
  n.data = {1, 2, 3};
  w.inode(n);
  auto t = unpack(w);
  ASSERT_NE(root, kNoNode);
  NodeId f = t->resolve(root, "/f");
  ASSERT_NE(f, kNoNode);
  EXPECT_EQ(t->at(f).size, 100u);
  EXPECT_TRUE(has_diag(*t, f, "jffs2.data"));
  EXPECT_TRUE(has_diag(*t, t->resolve(root, "/r"), "jffs2.data"));
  EXPECT_TRUE(has_diag(*t, t->resolve(root, "/rubin"), "jffs2.unsupported"));
}

TEST_P(Jffs2Handmade, HugeHolesAndOversizedNodesRespectLimits) {
  NodeWriter w(GetParam());
  w.dirent(1, 1, 2, "bomb", kDtReg);
  NodeWriter::Inode n;
  n.ino = 2;
  n.isize = 0xF0000000u;
  n.compr = static_cast<std::uint8_t>(formats::Jffs2Compr::zero);
  n.dsize = 0xF0000000u;
  w.inode(n);
  w.dirent(1, 2, 3, "fat", kDtReg);
  n.ino = 3;
  n.isize = 1u << 20;
  n.compr = 0;
  n.dsize = 1u << 20;  // a non-hole node claiming 1 MiB: more than any page
  n.data = bytes_of("tiny");
  w.inode(n);
  Limits lim;
  lim.max_node_bytes = 1 << 20;
  auto t = unpack(w, lim);
  ASSERT_NE(root, kNoNode);
  NodeId b = t->resolve(root, "/bomb");
  ASSERT_NE(b, kNoNode);
  EXPECT_TRUE(has_diag(*t, b, "limit.")) << diag_dump(*t);
  EXPECT_LE(t->content(b)->view().size(), 1u << 20);
  EXPECT_TRUE(has_diag(*t, region, "jffs2.node_size")) << diag_dump(*t);
}

TEST_P(Jffs2Handmade, ManyDirentsForOneNameStayBounded) {
  NodeWriter w(GetParam());
  for (std::uint32_t v = 1; v <= 3000; ++v) w.dirent(1, v, v % 2 ? 2 : 0, "flip", kDtReg);
  w.file(2, "x");
  auto t = unpack(w);
  ASSERT_NE(root, kNoNode);
  EXPECT_EQ(t->resolve(root, "/flip"), kNoNode);  // version 3000 is an unlink
}

INSTANTIATE_TEST_SUITE_P(BothEndians, Jffs2Handmade, ::testing::Values(Endian::little, Endian::big),
                         [](const auto& info) { return info.param == Endian::little ? "le" : "be"; });

TEST(Jffs2Format, CrcIsTheKernelVariant) {
  const std::string s = "123456789";
  ByteView v(s);
  // crc32_le(0, ...) without inversion, which is ~zlib's crc32 seeded with ~0.
  EXPECT_EQ(formats::jffs2_crc32(v), ~static_cast<std::uint32_t>(crc32(0xFFFFFFFFu, v.data(), 9)));
  EXPECT_NE(formats::jffs2_crc32(v), static_cast<std::uint32_t>(crc32(0, v.data(), 9)));
}

TEST(Jffs2Format, ProbeNeedsAValidFirstHeader) {
  const unpack::Unpacker* u = unpack::find("jffs2");
  ASSERT_NE(u, nullptr);
  NodeWriter w(Endian::big);
  w.dirent(1, 1, 2, "f", kDtReg);
  w.file(2, "abc");
  auto p = u->probe(ByteView(w.bytes.data(), w.bytes.size()));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->length, w.bytes.size());
  auto bad = w.bytes;
  bad[8] ^= 1;  // header CRC
  EXPECT_FALSE(u->probe(ByteView(bad.data(), bad.size())));
  std::vector<std::uint8_t> magic_only{0x19, 0x85, 0xe0, 0x01, 0, 0, 0, 40, 0, 0, 0, 0};
  EXPECT_FALSE(u->probe(ByteView(magic_only.data(), magic_only.size())));
}

TEST(Jffs2Format, LoneCleanmarkerIsNotAFilesystemButAnErasedPartitionIs) {
  const unpack::Unpacker* u = unpack::find("jffs2");
  ASSERT_NE(u, nullptr);
  // The constant cleanmarker that flash tools (OpenWrt's mtd) embed: 85 19 03 20 0c 00 00 00 + CRC.
  std::vector<std::uint8_t> cm{0x85, 0x19, 0x03, 0x20, 0x0c, 0x00, 0x00, 0x00};
  std::uint32_t c = formats::jffs2_crc32(ByteView(cm.data(), cm.size()));
  for (int i = 0; i < 4; ++i) cm.push_back(static_cast<std::uint8_t>(c >> (8 * i)));
  std::vector<std::uint8_t> program(cm);
  program.resize(64, 0x00);  // followed by unrelated code
  EXPECT_FALSE(u->probe(ByteView(program.data(), program.size())));
  // A formatted, empty partition: a cleanmarker at the start of every 8 KiB erase block.
  std::vector<std::uint8_t> erased(4 * 8192, 0xFF);
  for (std::size_t b = 0; b < 4; ++b) std::copy(cm.begin(), cm.end(), erased.begin() + static_cast<std::ptrdiff_t>(b * 8192));
  auto p = u->probe(ByteView(erased.data(), erased.size()));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->length, 3 * 8192u + 12);
  auto t = unpack_bytes(erased);
  NodeId region = only_region(*t, "jffs2");
  ASSERT_NE(region, kNoNode);
  NodeId root = fs_root_of(*t, region);
  ASSERT_NE(root, kNoNode);
  EXPECT_TRUE(t->at(root).children.empty());
  EXPECT_EQ(diag_dump(*t), "");
}

}  // namespace
}  // namespace iotaudit
