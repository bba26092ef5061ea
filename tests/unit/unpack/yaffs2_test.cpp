// YAFFS2 images written by a small writer in this test (no Debian package writes YAFFS2): both
// byte orders; 2048+64, 4096+128 and 4096+224 geometries with the tags at spare offset 0 and 2;
// inband tags; kernel-style tags with extra header info and mkyaffs2image-style tags without;
// files over several chunks, symlinks, hard links, devices, nested directories; rewritten chunks
// and headers (the newer sequence number wins), shrink headers, deleted and shadowed objects,
// orphans, cycles, hostile names, bad blocks, truncation, carving, and data that is not YAFFS2.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "formats/yaffs2.hpp"
#include "unit/support/buffer.hpp"
#include "unit/support/unpack_util.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit {
namespace {

using namespace test;

struct Geo {
  std::uint32_t page, spare, tags_at;
  bool big;
  std::string label;
  bool inband() const { return spare == 0; }
  std::uint32_t stride() const { return page + spare; }
  std::uint32_t data_bytes() const { return inband() ? page - 16 : page; }
};

struct Hdr {
  std::uint64_t size = 0;
  std::string alias;
  std::uint32_t equiv = 0, rdev = 0;
  std::uint32_t seq = 0x1000;
  bool extra = true;  // kernel-style extra header info in the tags
  bool shrink = false;
  std::uint32_t shadows = 0;
  std::uint32_t uid = 1000, gid = 100, mtime = 1700000000;
};

// Writes chunks the way yaffs lays them out: the page, then the spare area with the packed tags
// (sequence number, object id, chunk id, byte count), or the tags in the page's last 16 bytes.
class Writer {
 public:
  explicit Writer(Geo g) : g_(std::move(g)), b_(g_.big) {}

  std::size_t chunks() const { return b_.size() / g_.stride(); }

  void header(std::uint32_t id, std::uint32_t type, std::uint32_t parent, const std::string& name,
              std::uint32_t mode, const Hdr& o = {}) {
    std::size_t base = begin_chunk();
    b_.u32(base + 0, type);
    b_.u32(base + 4, parent);
    b_.u16(base + 8, 0xffff);
    for (std::size_t i = 0; i < 256; ++i) b_.u8(base + 10 + i, 0);
    b_.raw(base + 10, name);
    b_.u32(base + 268, mode);
    b_.u32(base + 272, o.uid);
    b_.u32(base + 276, o.gid);
    b_.u32(base + 280, o.mtime);
    b_.u32(base + 284, o.mtime);
    b_.u32(base + 288, o.mtime);
    b_.u32(base + 292, static_cast<std::uint32_t>(o.size));
    b_.u32(base + 296, o.equiv);
    for (std::size_t i = 0; i < 160; ++i) b_.u8(base + 300 + i, 0);
    b_.raw(base + 300, o.alias);
    b_.u32(base + 460, o.rdev);
    b_.u32(base + 488, o.shadows);
    b_.u32(base + 492, o.shrink ? 1 : 0);
    if (!g_.inband()) {
      b_.u32(base + 496, static_cast<std::uint32_t>(o.size >> 32));
      b_.u32(base + 504, o.shadows);
      b_.u32(base + 508, o.shrink ? 1 : 0);
    }
    if (o.extra) {
      std::uint32_t chunk = 0x80000000u | parent | (o.shrink ? 0x40000000u : 0) | (o.shadows ? 0x20000000u : 0);
      std::uint32_t n = type == 1 ? static_cast<std::uint32_t>(o.size) : type == 4 ? o.equiv : 0;
      tags(base, o.seq, id | (type << 28), chunk, n);
    } else {
      tags(base, o.seq, id, 0, 0xffff);  // as mkyaffs2image writes headers
    }
  }

  void data(std::uint32_t id, std::uint32_t chunk_id, const std::string& bytes, std::uint32_t seq = 0x1000) {
    std::size_t base = begin_chunk();
    b_.raw(base, bytes.substr(0, g_.data_bytes()));
    tags(base, seq, id, chunk_id, static_cast<std::uint32_t>(std::min<std::size_t>(bytes.size(), g_.data_bytes())));
  }

  // A chunk with arbitrary tags and a junk page.
  void raw_tags(std::uint32_t seq, std::uint32_t obj, std::uint32_t chunk, std::uint32_t n) {
    std::size_t base = begin_chunk();
    b_.raw(base, std::string(64, 'J'));
    tags(base, seq, obj, chunk, n);
  }

  void erased() { begin_chunk(); }

  void file(std::uint32_t id, std::uint32_t parent, const std::string& name, const std::string& content,
            std::uint32_t mode = 0100644, Hdr o = {}) {
    o.size = content.size();
    header(id, 1, parent, name, mode, o);
    for (std::size_t c = 0; c * g_.data_bytes() < content.size(); ++c)
      data(id, static_cast<std::uint32_t>(c + 1), content.substr(c * g_.data_bytes(), g_.data_bytes()), o.seq);
  }

  // Sets the first spare byte of a chunk (the bad-block marker position).
  void mark_bad(std::size_t chunk) { b_.u8(chunk * g_.stride() + g_.page, 0x00); }

  std::vector<std::uint8_t> bytes() { return b_.bytes(); }

 private:
  std::size_t begin_chunk() {
    std::size_t base = b_.size();
    b_.resize(base + g_.stride());
    for (std::size_t i = 0; i < g_.stride(); ++i) b_.u8(base + i, 0xff);
    return base;
  }
  void tags(std::size_t base, std::uint32_t seq, std::uint32_t obj, std::uint32_t chunk, std::uint32_t n) {
    std::size_t t = base + (g_.inband() ? g_.page - 16 : g_.page + g_.tags_at);
    b_.u32(t, seq);
    b_.u32(t + 4, obj);
    b_.u32(t + 8, chunk);
    b_.u32(t + 12, n);
  }
  Geo g_;
  Buffer b_;
};

std::string text(std::size_t n, const std::string& tag) {
  std::string s;
  while (s.size() < n) s += tag + " " + std::to_string(s.size()) + "\n";
  s.resize(n);
  return s;
}

struct Unpacked {
  std::unique_ptr<Tree> tree;
  NodeId region = kNoNode;
  std::map<std::string, NodeId> paths;
  const Node& at(const std::string& p) const { return tree->at(paths.at(p)); }
  std::string content(const std::string& p) const { return content_of(*tree, paths.at(p)); }
  bool has(const std::string& p) const { return paths.contains(p); }
  bool diag(const std::string& code) const { return has_diag(*tree, region, code); }
};

Unpacked run(std::vector<std::uint8_t> img, const Limits& limits = {}) {
  Unpacked u;
  u.tree = unpack_bytes(std::move(img), limits);
  for (NodeId id : all_regions(*u.tree))
    if (u.tree->at(id).format == "yaffs2" && u.region == kNoNode) u.region = id;
  if (u.region == kNoNode) return u;
  NodeId root = fs_root_of(*u.tree, u.region);
  if (root == kNoNode) return u;
  u.paths["/"] = root;
  for (NodeId d : descendants(*u.tree, root)) u.paths[u.tree->at(d).path] = d;
  return u;
}

const unpack::Unpacker& yaffs2() {
  const unpack::Unpacker* u = unpack::find("yaffs2");
  EXPECT_NE(u, nullptr);
  return *u;
}

const Geo kLarge{2048, 64, 0, false, "2048+64 le @0"};

class Yaffs2Geo : public ::testing::TestWithParam<Geo> {};

TEST_P(Yaffs2Geo, TreeTypesMetadataAndContents) {
  const Geo& g = GetParam();
  Writer w(g);
  std::string big = text(g.data_bytes() * 2 + 123, "busybox");
  w.header(10, 3, 1, "etc", 040755);
  w.header(11, 3, 1, "bin", 040755);
  w.header(12, 3, 10, "init.d", 040700);
  w.file(20, 10, "passwd", "root:x:0:0:root:/root:/bin/sh\n");
  w.file(21, 11, "busybox", big, 0104755);
  w.file(26, 12, "rcS", "#!/bin/sh\nmount -a\n", 0100755);
  w.header(22, 2, 11, "sh", 0120777, {.alias = "busybox"});
  w.header(23, 4, 11, "ash", 0100755, {.equiv = 21});
  w.header(24, 3, 1, "dev", 040755);
  w.header(25, 5, 24, "console", 020600, {.rdev = (5u << 8) | 1u});
  w.header(27, 5, 24, "mtdblock3", 060640, {.rdev = (31u << 8) | 3u});
  w.header(28, 5, 24, "initctl", 010600);
  w.erased();
  auto img = w.bytes();

  auto probe = yaffs2().probe(ByteView(img.data(), img.size()));
  ASSERT_TRUE(probe) << probe.error().message;
  EXPECT_EQ(probe->length, img.size() - g.stride());  // the erased chunk is not claimed
  EXPECT_NE(probe->detail.find(std::to_string(g.page)), std::string::npos) << probe->detail;
  EXPECT_NE(probe->detail.find(g.big ? "big" : "little"), std::string::npos) << probe->detail;
  EXPECT_NE(probe->detail.find(g.inband() ? "inband" : "+" + std::to_string(g.spare)), std::string::npos)
      << probe->detail;

  auto u = run(img);
  ASSERT_NE(u.region, kNoNode) << diag_dump(*u.tree);
  EXPECT_EQ(u.tree->at(u.region).origin.length, img.size() - g.stride());
  ASSERT_TRUE(u.has("/etc/passwd")) << diag_dump(*u.tree);
  EXPECT_EQ(u.content("/etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  EXPECT_EQ(u.content("/etc/init.d/rcS"), "#!/bin/sh\nmount -a\n");
  EXPECT_EQ(u.at("/etc/init.d").mode & 07777, 0700u);
  EXPECT_EQ(u.at("/etc/init.d").type, NodeType::directory);
  EXPECT_EQ(u.content("/bin/busybox"), big);
  EXPECT_EQ(u.at("/bin/busybox").size, big.size());
  EXPECT_EQ(u.at("/bin/busybox").mode, 0104755u);
  EXPECT_EQ(u.at("/bin/busybox").uid, 1000u);
  EXPECT_EQ(u.at("/bin/busybox").gid, 100u);
  EXPECT_EQ(u.at("/bin/busybox").mtime, 1700000000);
  EXPECT_EQ(u.at("/bin/sh").type, NodeType::symlink);
  EXPECT_EQ(u.at("/bin/sh").link_target, "busybox");
  EXPECT_EQ(u.at("/bin/ash").type, NodeType::hardlink);
  EXPECT_EQ(u.at("/bin/ash").link_target, "/bin/busybox");
  EXPECT_EQ(u.content("/bin/ash"), big);
  EXPECT_EQ(u.at("/dev/console").type, NodeType::char_device);
  EXPECT_EQ(u.at("/dev/console").rdev_major, 5u);
  EXPECT_EQ(u.at("/dev/console").rdev_minor, 1u);
  EXPECT_EQ(u.at("/dev/mtdblock3").type, NodeType::block_device);
  EXPECT_EQ(u.at("/dev/mtdblock3").rdev_major, 31u);
  EXPECT_EQ(u.at("/dev/mtdblock3").rdev_minor, 3u);
  EXPECT_EQ(u.at("/dev/initctl").type, NodeType::fifo);
  EXPECT_EQ(u.paths.size(), 13u);  // the root and 12 objects, nothing invented
  EXPECT_EQ(diag_dump(*u.tree), "") << "no diagnostics expected";
}

INSTANTIATE_TEST_SUITE_P(All, Yaffs2Geo,
                         ::testing::Values(Geo{2048, 64, 0, false, "le_2k_at0"}, Geo{2048, 64, 2, false, "le_2k_at2"},
                                           Geo{2048, 64, 0, true, "be_2k_at0"}, Geo{2048, 64, 2, true, "be_2k_at2"},
                                           Geo{4096, 128, 0, false, "le_4k_at0"}, Geo{4096, 128, 2, true, "be_4k_at2"},
                                           Geo{4096, 224, 2, false, "le_4k224_at2"},
                                           Geo{2048, 0, 0, false, "le_2k_inband"}, Geo{4096, 0, 0, true, "be_4k_inband"}),
                         [](const auto& info) { return info.param.label; });

TEST(Yaffs2, MkyaffsStyleTagsAndRootHeader) {
  // mkyaffs2image/yaffs2utils tags: no extra header info (chunk id 0, byte count 0xffff), one
  // sequence number for everything; yaffs2utils also writes the root directory's header.
  Writer w(Geo{2048, 64, 2, true, ""});
  w.header(1, 3, 1, "", 040700, {.extra = false});
  w.header(257, 3, 1, "www", 040755, {.extra = false});
  Hdr f{.extra = false};
  w.file(258, 257, "index.html", text(3000, "<p>"), 0100644, f);
  w.header(259, 2, 1, "w", 0120777, {.alias = "www", .extra = false});
  auto u = run(w.bytes());
  ASSERT_NE(u.region, kNoNode);
  EXPECT_EQ(u.at("/").mode, 040700u);
  EXPECT_EQ(u.at("/").uid, 1000u);
  EXPECT_EQ(u.content("/www/index.html"), text(3000, "<p>"));
  EXPECT_EQ(u.at("/w").link_target, "www");
  EXPECT_EQ(diag_dump(*u.tree), "");
}

TEST(Yaffs2, InbandPageSizeIsTheSmallestThatFits) {
  // Without extra header info in the tags, every multiple of the page size also lands on tags of
  // headers; the geometry must still be the real page size.
  Writer w(Geo{2048, 0, 0, false, ""});
  for (std::uint32_t i = 0; i < 70; ++i)
    w.file(300 + i, 1, "f" + std::to_string(i), std::string(100 + i, 'a' + static_cast<char>(i % 26)), 0100644,
           {.extra = false});
  auto img = w.bytes();
  auto probe = yaffs2().probe(ByteView(img.data(), img.size()));
  ASSERT_TRUE(probe);
  EXPECT_NE(probe->detail.find("2048-byte pages with inband tags"), std::string::npos) << probe->detail;
  auto u = run(img);
  ASSERT_NE(u.region, kNoNode);
  EXPECT_EQ(u.paths.size(), 71u);
  EXPECT_EQ(u.content("/f69"), std::string(169, 'a' + 69 % 26));
}

TEST(Yaffs2, FoundWhateverTheFirstObjectIs) {
  // Images start with whatever object the writer met first: a symlink, a device, a file.
  for (bool big : {false, true}) {
    Writer w(Geo{2048, 64, 0, big, ""});
    w.header(10, 2, 1, "bin", 0120777, {.alias = "usr/bin"});
    w.header(11, 5, 1, "console", 020600, {.rdev = (5u << 8) | 1u});
    w.header(12, 3, 1, "", 040755);  // a nameless directory: kept as obj12
    w.file(13, 12, "f", "f");
    auto u = run(w.bytes());
    ASSERT_NE(u.region, kNoNode) << big;
    EXPECT_EQ(u.at("/bin").link_target, "usr/bin");
    EXPECT_EQ(u.at("/console").type, NodeType::char_device);
    EXPECT_EQ(u.content("/obj12/f"), "f");
    EXPECT_TRUE(u.diag("yaffs2.name"));
    Writer d(Geo{2048, 64, 0, big, ""});
    d.header(11, 5, 1, "console", 020600, {.rdev = (5u << 8) | 1u});
    d.file(13, 1, "f", "f");
    EXPECT_TRUE(run(d.bytes()).has("/console")) << big;
  }
}

TEST(Yaffs2, NewestCopyWins) {
  Writer w(kLarge);
  w.header(10, 3, 1, "etc", 040755);
  // A rewritten data chunk: the copy with the higher sequence number wins even when it comes
  // first in the image; with equal sequence numbers the later one wins.
  w.data(20, 1, std::string(100, 'N'), 0x2000);
  w.file(20, 10, "config", std::string(100, 'o'));
  w.file(21, 10, "motd", std::string(10, 'a'));
  w.data(21, 1, std::string(10, 'b'));
  // A header rewritten later (chmod and rename) with a newer sequence number.
  w.header(21, 1, 10, "issue", 0100600, {.size = 10, .seq = 0x3000});
  auto u = run(w.bytes());
  ASSERT_NE(u.region, kNoNode);
  EXPECT_EQ(u.content("/etc/config"), std::string(100, 'N'));
  EXPECT_FALSE(u.has("/etc/motd"));
  ASSERT_TRUE(u.has("/etc/issue")) << diag_dump(*u.tree);
  EXPECT_EQ(u.content("/etc/issue"), std::string(10, 'b'));
  EXPECT_EQ(u.at("/etc/issue").mode, 0100600u);
  EXPECT_EQ(diag_dump(*u.tree), "");
}

TEST(Yaffs2, ShrinkHeadersAndDataAfterTheHeader) {
  const Geo g = kLarge;
  Writer w(g);
  w.header(10, 3, 1, "var", 040755);
  // 3 chunks; then truncated to 100 bytes (a shrink header); then extended to 3 chunks again
  // without writing data: the old chunks 2 and 3 must not come back.
  w.file(20, 10, "log", std::string(3 * g.page, 'x'));
  w.header(20, 1, 10, "log", 0100644, {.size = 100, .seq = 0x1001, .shrink = true});
  w.header(20, 1, 10, "log", 0100644, {.size = 3 * g.page, .seq = 0x1002});
  // A file whose newest header says 100 bytes, and a data chunk written after it: yaffs counts
  // the data (the header is rewritten later, or power was lost before that).
  w.file(21, 10, "grow", std::string(100, 'g'));
  w.data(21, 2, std::string(50, 'h'), 0x1003);
  auto u = run(w.bytes());
  ASSERT_NE(u.region, kNoNode);
  std::string want = std::string(g.page, 'x') + std::string(2 * g.page, '\0');
  EXPECT_EQ(u.content("/var/log"), want);
  EXPECT_TRUE(has_diag(*u.tree, u.paths.at("/var/log"), "yaffs2.missing_data"));
  EXPECT_TRUE(u.diag("yaffs2.stale"));
  EXPECT_EQ(u.at("/var/grow").size, g.page + 50);
  EXPECT_EQ(u.content("/var/grow"), std::string(100, 'g') + std::string(g.page - 100, '\0') + std::string(50, 'h'));
}

TEST(Yaffs2, DeletedUnlinkedAndShadowedObjects) {
  Writer w(kLarge);
  w.header(10, 3, 1, "etc", 040755);
  w.file(20, 10, "keep", "keep");
  w.file(21, 4, "gone", "gone!");                           // written into the deleted directory
  w.file(22, 10, "removed", "removed");                     // deleted later: moved to "unlinked"
  w.header(22, 1, 3, "unlinked", 0100644, {.seq = 0x1001});
  w.header(30, 3, 10, "old", 040755);                       // a directory deleted with a member
  w.file(31, 30, "member", "member");
  w.header(30, 3, 4, "deleted", 040755, {.seq = 0x1001});
  // Rename of "new" over "config": the new header shadows object 23, which is then gone.
  w.file(23, 10, "config", "old config");
  w.file(24, 10, "config", "new config", 0100644, {.seq = 0x1002, .shadows = 23});
  auto u = run(w.bytes());
  ASSERT_NE(u.region, kNoNode);
  EXPECT_EQ(u.content("/etc/keep"), "keep");
  EXPECT_FALSE(u.has("/gone"));
  EXPECT_FALSE(u.has("/etc/removed"));
  EXPECT_FALSE(u.has("/etc/old"));
  EXPECT_FALSE(u.has("/etc/old/member"));
  EXPECT_EQ(u.content("/etc/config"), "new config");
  EXPECT_FALSE(any_diag(*u.tree, "path.duplicate")) << diag_dump(*u.tree);
  EXPECT_TRUE(u.diag("yaffs2.deleted"));
  EXPECT_TRUE(u.diag("yaffs2.shadowed"));
  // Neither deleted content nor the deleted objects' names appear anywhere.
  for (const auto& [path, id] : u.paths) {
    EXPECT_EQ(path.find("gone"), std::string::npos);
    EXPECT_EQ(path.find("member"), std::string::npos);
  }
}

TEST(Yaffs2, OrphansCyclesAndHeaderlessData) {
  Writer w(kLarge);
  w.file(20, 1, "config", "c");
  w.file(22, 999, "lost", "lost");                 // parent never written
  w.header(30, 3, 31, "a", 040755);                // a cycle: 30 in 31 in 30
  w.header(31, 3, 30, "b", 040755);
  w.file(32, 30, "inside", "inside the cycle");
  w.file(33, 20, "under-a-file", "x");             // parent is a file
  w.data(40, 1, "data of an object without a header");
  auto u = run(w.bytes());
  ASSERT_NE(u.region, kNoNode);
  EXPECT_EQ(u.content("/config"), "c");
  EXPECT_EQ(u.content("/lost+found/lost"), "lost") << diag_dump(*u.tree);
  EXPECT_EQ(u.content("/lost+found/under-a-file"), "x");
  EXPECT_EQ(u.content("/lost+found/obj40"), "data of an object without a header");
  EXPECT_TRUE(has_diag(*u.tree, u.paths.at("/lost+found/obj40"), "yaffs2.headerless"));
  // The cycle is broken at one of its directories; the file inside it is kept below it.
  std::string inside;
  for (const auto& [path, id] : u.paths)
    if (path.ends_with("/inside")) inside = path;
  ASSERT_FALSE(inside.empty()) << diag_dump(*u.tree);
  EXPECT_TRUE(inside.starts_with("/lost+found/")) << inside;
  EXPECT_EQ(u.content(inside), "inside the cycle");
  EXPECT_TRUE(u.diag("yaffs2.orphan"));
  EXPECT_TRUE(u.diag("yaffs2.cycle"));
  EXPECT_TRUE(u.diag("yaffs2.headerless"));
}

TEST(Yaffs2, HostileNamesDuplicatesAndIds) {
  Writer w(kLarge);
  w.header(10, 3, 1, "etc", 040755);
  w.file(20, 10, "..", "dotdot");                 // a name that would climb out
  w.raw_tags(0x1000, 21, 0x0fffffff, 10);         // chunk id far past the file's size (older)
  w.file(21, 10, "twin", "first");
  w.file(22, 10, "twin", "second");               // two live objects with one name
  w.raw_tags(0x1000, 0x40000, 1, 10);             // object id beyond YAFFS_MAX_OBJECT_ID
  w.raw_tags(0x10, 21, 1, 10);                    // sequence number below the lowest valid one
  w.raw_tags(0x1000, 21, 2, 5000);                // byte count above the chunk size
  w.header(23, 1, 10, "huge", 0100644, {.size = std::uint64_t{1} << 40});
  Limits lim;
  lim.max_node_bytes = 1 << 20;
  auto u = run(w.bytes(), lim);
  ASSERT_NE(u.region, kNoNode);
  EXPECT_EQ(u.content("/etc/obj20"), "dotdot") << diag_dump(*u.tree);
  EXPECT_TRUE(any_diag(*u.tree, "path.traversal"));
  EXPECT_TRUE(any_diag(*u.tree, "path.duplicate"));
  EXPECT_TRUE(u.content("/etc/twin") == "first" || u.content("/etc/twin") == "second");
  EXPECT_TRUE(u.diag("yaffs2.tags"));
  EXPECT_TRUE(u.diag("yaffs2.stale"));  // the chunk far past the end is ignored
  EXPECT_EQ(u.at("/etc/huge").size, std::uint64_t{1} << 40);
  EXPECT_LE(u.content("/etc/huge").size(), lim.max_node_bytes);
  EXPECT_TRUE(any_diag(*u.tree, "limit."));
}

TEST(Yaffs2, BadBlocksAreSkippedWhole) {
  // NAND dump: 8-page erase blocks would be unusual, so use 64; each block has its own sequence
  // number. Block 1 holds a newer copy of the file's data but is marked bad: yaffs skips it.
  const Geo g{2048, 64, 2, false, ""};
  Writer w(g);
  w.header(10, 3, 1, "etc", 040755, {.seq = 0x1001});
  w.file(20, 10, "config", "good", 0100644, {.seq = 0x1001});
  while (w.chunks() < 64) w.erased();
  w.data(20, 1, "from the bad block", 0x1002);
  w.mark_bad(64);
  while (w.chunks() < 128) w.erased();
  w.header(11, 3, 1, "var", 040755, {.seq = 0x1003});
  auto u = run(w.bytes());
  ASSERT_NE(u.region, kNoNode);
  EXPECT_EQ(u.content("/etc/config"), "good");
  EXPECT_TRUE(u.has("/var"));
  EXPECT_TRUE(u.diag("yaffs2.bad_block")) << diag_dump(*u.tree);

  // A layout that uses the first spare byte for something else: set in every chunk, it cannot
  // mark bad blocks, and nothing is dropped.
  Writer all(g);
  all.header(10, 3, 1, "etc", 040755, {.seq = 0x1001});
  all.file(20, 10, "config", "good", 0100644, {.seq = 0x1001});
  while (all.chunks() < 64) all.erased();
  all.header(11, 3, 1, "var", 040755, {.seq = 0x1002});
  all.file(21, 11, "log", "log", 0100644, {.seq = 0x1002});
  for (std::size_t c = 0; c < all.chunks(); ++c) all.mark_bad(c);
  auto v = run(all.bytes());
  ASSERT_NE(v.region, kNoNode);
  ASSERT_TRUE(v.has("/etc/config") && v.has("/var/log")) << diag_dump(*v.tree);
  EXPECT_EQ(v.content("/etc/config"), "good");
  EXPECT_EQ(v.content("/var/log"), "log");
  EXPECT_TRUE(v.diag("yaffs2.bad_block")) << diag_dump(*v.tree);
}

TEST(Yaffs2, MetadataChunksAreNotFiles) {
  Writer w(kLarge);
  w.header(10, 3, 1, "etc", 040755);
  w.file(20, 10, "a", "a");
  w.raw_tags(0x21, 0x20, 1, 2048);   // checkpoint data
  w.raw_tags(0x1000, 0x10, 1, 100);  // block summary
  auto u = run(w.bytes());
  ASSERT_NE(u.region, kNoNode);
  EXPECT_EQ(u.content("/etc/a"), "a");
  EXPECT_TRUE(u.diag("yaffs2.metadata"));
  EXPECT_FALSE(u.diag("yaffs2.tags"));
  EXPECT_EQ(u.paths.size(), 3u);
}

TEST(Yaffs2, TruncatedImages) {
  const Geo g = kLarge;
  Writer w(g);
  w.header(10, 3, 1, "etc", 040755);
  w.file(20, 10, "big", text(5000, "x"));
  w.file(21, 10, "small", "small");
  auto img = w.bytes();
  const std::size_t s = g.stride();
  for (std::size_t cut : {s + 10, 2 * s + 100, 3 * s, 3 * s + 2048 + 3, 4 * s + 1000, img.size() - 1}) {
    std::vector<std::uint8_t> part(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(cut));
    auto u = run(part);
    if (cut < 2 * s) {
      EXPECT_EQ(u.region, kNoNode) << cut;  // one chunk is not enough to recognise YAFFS2
      continue;
    }
    ASSERT_NE(u.region, kNoNode) << cut;
    ASSERT_TRUE(u.has("/etc/big")) << cut;
    std::string big = u.content("/etc/big");
    EXPECT_EQ(big.size(), 5000u) << cut;
    EXPECT_EQ(big.substr(0, std::min<std::size_t>(2048, (cut / s - 2) * 2048)),
              text(5000, "x").substr(0, std::min<std::size_t>(2048, (cut / s - 2) * 2048)));
    if (cut / s < 5) EXPECT_TRUE(has_diag(*u.tree, u.paths.at("/etc/big"), "yaffs2.missing_data")) << cut;
    if (cut % s != 0) EXPECT_TRUE(u.diag("yaffs2.truncated")) << cut;
    EXPECT_EQ(u.has("/etc/small"), cut >= 6 * s) << cut;
  }
}

TEST(Yaffs2, CarvedFromALargerImage) {
  Writer w(Geo{2048, 64, 0, true, ""});
  w.header(10, 3, 1, "etc", 040755);
  w.file(20, 10, "hosts", "127.0.0.1 localhost\n");
  auto fs = w.bytes();
  std::vector<std::uint8_t> img(0x10000, 0);
  for (std::size_t i = 0; i < img.size(); ++i) img[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 13);
  img.insert(img.end(), fs.begin(), fs.end());
  for (std::size_t i = 0; i < 0x8000; ++i) img.push_back(static_cast<std::uint8_t>((i * 40503u) >> 7));
  auto u = run(img);
  ASSERT_NE(u.region, kNoNode) << diag_dump(*u.tree);
  EXPECT_EQ(u.tree->at(u.region).origin.offset, 0x10000u);
  EXPECT_EQ(u.tree->at(u.region).origin.length, fs.size());
  EXPECT_EQ(u.content("/etc/hosts"), "127.0.0.1 localhost\n");
}

TEST(Yaffs2, NotYaffs2) {
  const auto& u = yaffs2();
  std::vector<std::uint8_t> junk(64 * 2112);
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 17);
  EXPECT_FALSE(u.probe(ByteView(junk.data(), junk.size())));
  // A lone header-like chunk is not a filesystem, with or without erased chunks after it.
  Writer one(kLarge);
  one.header(10, 3, 1, "etc", 040755);
  auto single = one.bytes();
  EXPECT_FALSE(u.probe(ByteView(single.data(), single.size())));
  one.erased();
  one.erased();
  single = one.bytes();
  EXPECT_FALSE(u.probe(ByteView(single.data(), single.size())));
  // A header followed by junk.
  single.resize(kLarge.stride());
  single.insert(single.end(), junk.begin(), junk.end());
  EXPECT_FALSE(u.probe(ByteView(single.data(), single.size())));
  // A directory header with a regular file's mode.
  Writer bad(kLarge);
  bad.header(10, 3, 1, "etc", 0100644);  // a directory with a regular file's mode
  bad.file(20, 10, "a", "a");
  auto b = bad.bytes();
  EXPECT_FALSE(u.probe(ByteView(b.data(), b.size())));
  // The magic bytes followed by zeros.
  std::vector<std::uint8_t> zeros(8192, 0);
  const std::uint8_t magic[] = {1, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff};
  std::copy(std::begin(magic), std::end(magic), zeros.begin());
  EXPECT_FALSE(u.probe(ByteView(zeros.data(), zeros.size())));
}

TEST(Yaffs2, DumpWithoutSpareIsUnsupported) {
  // The data areas of a YAFFS2 image without its spare bytes: headers at page boundaries, no tags.
  Writer w(kLarge);
  w.header(10, 3, 1, "etc", 040755);
  w.file(20, 10, "passwd", std::string(3000, 'p'));
  w.header(11, 3, 1, "bin", 040755);
  auto oob = w.bytes();
  std::vector<std::uint8_t> img;
  for (std::size_t c = 0; c < oob.size() / kLarge.stride(); ++c)
    img.insert(img.end(), oob.begin() + static_cast<std::ptrdiff_t>(c * kLarge.stride()),
               oob.begin() + static_cast<std::ptrdiff_t>(c * kLarge.stride() + kLarge.page));
  auto probe = yaffs2().probe(ByteView(img.data(), img.size()));
  ASSERT_TRUE(probe);
  ASSERT_TRUE(probe->unsupported.has_value());
  EXPECT_EQ(probe->length, img.size());
  EXPECT_NE(probe->detail.find("2048"), std::string::npos) << probe->detail;
  auto u = run(img);
  ASSERT_NE(u.region, kNoNode);
  EXPECT_TRUE(u.diag("yaffs2.unsupported")) << diag_dump(*u.tree);
}

TEST(Yaffs2, TagsParser) {
  using formats::Yaffs2Kind;
  const formats::Yaffs2Geometry g{2048, 64, 2, Endian::big};
  std::vector<std::uint8_t> chunk(g.stride(), 0xff);
  Buffer b(true);
  b.resize(16);
  auto put = [&](std::uint32_t seq, std::uint32_t obj, std::uint32_t id, std::uint32_t n) {
    b.u32(0, seq);
    b.u32(4, obj);
    b.u32(8, id);
    b.u32(12, n);
    std::copy(b.bytes().begin(), b.bytes().end(), chunk.begin() + 2048 + 2);
    return formats::parse_yaffs2_tags(ByteView(chunk.data(), chunk.size()), g);
  };
  EXPECT_EQ(formats::parse_yaffs2_tags(ByteView(chunk.data(), chunk.size()), g).kind, Yaffs2Kind::erased);
  auto h = put(0x1234, 300 | (5u << 28), 0x80000000u | 0x40000000u | 0x20000000u | 77, 9);
  EXPECT_EQ(h.kind, Yaffs2Kind::header);
  EXPECT_EQ(h.obj_id, 300u);
  EXPECT_EQ(h.chunk_id, 0u);
  EXPECT_TRUE(h.extra && h.extra_shrink && h.extra_shadows);
  EXPECT_EQ(h.extra_type, 5u);
  EXPECT_EQ(h.extra_parent, 77u);
  EXPECT_EQ(h.extra_value, 9u);
  EXPECT_EQ(put(0x1234, 300 | (7u << 28), 0x80000000u | 1, 0).kind, Yaffs2Kind::invalid);  // type 7
  EXPECT_EQ(put(0x1234, 300, 0, 0xffff).kind, Yaffs2Kind::header);
  EXPECT_EQ(put(0x1234, 300, 3, 2048).kind, Yaffs2Kind::data);
  EXPECT_EQ(put(0x1234, 300, 3, 2049).kind, Yaffs2Kind::invalid);
  EXPECT_EQ(put(0x1234, 3, 0, 0).kind, Yaffs2Kind::invalid);  // the unlinked pseudo directory
  EXPECT_EQ(put(0xffff0000u, 300, 1, 1).kind, Yaffs2Kind::invalid);  // a block that failed to be marked bad
  EXPECT_EQ(put(0x21, 5, 1, 2048).kind, Yaffs2Kind::checkpoint);
  EXPECT_EQ(put(0x1234, 0x10, 1, 100).kind, Yaffs2Kind::summary);
  EXPECT_FALSE(formats::yaffs2_bad_block_marker(ByteView(chunk.data(), chunk.size()), g));
  chunk[2048] = 0;
  EXPECT_TRUE(formats::yaffs2_bad_block_marker(ByteView(chunk.data(), chunk.size()), g));
  EXPECT_FALSE(formats::yaffs2_bad_block_marker(ByteView(chunk.data(), chunk.size()),
                                                formats::Yaffs2Geometry{2048, 64, 0, Endian::big}));
}

// Writes the fuzz seeds when asked (IOTAUDIT_WRITE_SEEDS=<dir>); otherwise a no-op.
TEST(Yaffs2, WriteFuzzSeeds) {
  const char* dir = std::getenv("IOTAUDIT_WRITE_SEEDS");
  if (dir == nullptr) GTEST_SKIP() << "set IOTAUDIT_WRITE_SEEDS to write seeds";
  auto save = [&](const std::string& name, const std::vector<std::uint8_t>& img) {
    std::ofstream(std::string(dir) + "/" + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(img.data()), static_cast<std::streamsize>(img.size()));
  };
  // Small pages keep the seeds at a few KiB: 1024+32 with spare tags, and 512-byte inband pages.
  for (const Geo& g : {Geo{1024, 32, 2, false, "le_1k32.yaffs2"}, Geo{512, 0, 0, true, "be_512_inband.yaffs2"}}) {
    Writer w(g);
    w.header(10, 3, 1, "etc", 040755);
    w.file(20, 10, "passwd", "root:x:0:0::/root:/bin/sh\n");
    w.file(21, 1, "big", text(g.data_bytes() + 100, "b"), 0100755);
    w.header(22, 2, 1, "sh", 0120777, {.alias = "big"});
    w.header(23, 4, 10, "link", 0100644, {.equiv = 20});
    w.header(24, 5, 1, "null", 020666, {.rdev = 0x0103});
    w.data(20, 1, "toor:x:0:0::/root:/bin/sh\n", 0x1001);
    w.header(21, 1, 1, "big", 0100755, {.size = 10, .seq = 0x1001, .shrink = true});
    if (g.inband()) {
      w.file(25, 99, "orphan", "o");
      w.header(26, 1, 4, "deleted", 0100644);
    }
    save(g.label, w.bytes());
  }
}

}  // namespace
}  // namespace iotaudit
