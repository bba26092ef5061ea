// YAFFS2 images written by a small writer in this test (no Debian package writes YAFFS2): both
// byte orders, 2048+64 and 4096+128 geometries, tags at spare offset 0 and 2, files over several
// chunks, symlinks, hard links, devices, a rewritten chunk (the newer sequence wins), deleted
// objects, orphans, truncation, and random data.
#include <gtest/gtest.h>

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
};

class Writer {
 public:
  explicit Writer(Geo g) : g_(g), b_(g.big) {}

  // An object header chunk; returns nothing, ids are the caller's.
  void header(std::uint32_t id, std::uint32_t type, std::uint32_t parent, const std::string& name,
              std::uint32_t mode, std::uint64_t size = 0, const std::string& alias = "", std::uint32_t equiv = 0,
              std::uint32_t rdev = 0, std::uint32_t seq = 0x1000) {
    std::size_t base = begin_chunk();
    b_.u32(base + 0, type);
    b_.u32(base + 4, parent);
    b_.u16(base + 8, 0xffff);
    b_.raw(base + 10, name);
    b_.u8(base + 10 + name.size(), 0);
    b_.u32(base + 268, mode);
    b_.u32(base + 272, 1000);
    b_.u32(base + 276, 100);
    b_.u32(base + 284, 1700000000);
    b_.u32(base + 292, static_cast<std::uint32_t>(size));
    b_.u32(base + 296, equiv);
    b_.raw(base + 300, alias);
    b_.u8(base + 300 + alias.size(), 0);
    b_.u32(base + 460, rdev);
    b_.u32(base + 496, static_cast<std::uint32_t>(size >> 32));
    // Packed tags2 with the extra header info: type in the top bits of obj_id, parent in chunk_id.
    tags(base, seq, id | (type << 28), 0x80000000u | parent, type == 1 ? static_cast<std::uint32_t>(size) : 0);
  }

  void data(std::uint32_t id, std::uint32_t chunk_id, const std::string& bytes, std::uint32_t seq = 0x1000) {
    std::size_t base = begin_chunk();
    b_.raw(base, bytes);
    tags(base, seq, id, chunk_id, static_cast<std::uint32_t>(bytes.size()));
  }

  void erased() {
    std::size_t base = b_.size();
    b_.resize(base + g_.page + g_.spare);
    for (std::size_t i = 0; i < g_.page + g_.spare; ++i) b_.u8(base + i, 0xff);
  }

  void file(std::uint32_t id, std::uint32_t parent, const std::string& name, const std::string& content,
            std::uint32_t mode = 0100644) {
    header(id, 1, parent, name, mode, content.size());
    for (std::size_t c = 0; c * g_.page < content.size(); ++c) data(id, static_cast<std::uint32_t>(c + 1), content.substr(c * g_.page, g_.page));
  }

  std::vector<std::uint8_t> bytes() { return b_.bytes(); }

 private:
  std::size_t begin_chunk() {
    std::size_t base = b_.size();
    b_.resize(base + g_.page + g_.spare);
    for (std::size_t i = 0; i < g_.page + g_.spare; ++i) b_.u8(base + i, 0xff);
    return base;
  }
  void tags(std::size_t base, std::uint32_t seq, std::uint32_t obj, std::uint32_t chunk, std::uint32_t n) {
    std::size_t t = base + g_.page + g_.tags_at;
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

std::map<std::string, NodeId> by_path(const Tree& t, NodeId root) {
  std::map<std::string, NodeId> m;
  for (NodeId d : descendants(t, root)) m[t.at(d).path] = d;
  return m;
}

class Yaffs2Geo : public ::testing::TestWithParam<Geo> {};

TEST_P(Yaffs2Geo, TreeTypesMetadataAndContents) {
  Geo g = GetParam();
  Writer w(g);
  std::string big = text(g.page * 2 + 123, "busybox");
  w.header(10, 3, 1, "etc", 040755);
  w.header(11, 3, 1, "bin", 040755);
  w.file(20, 10, "passwd", "root:x:0:0:root:/root:/bin/sh\n");
  w.file(21, 11, "busybox", big, 0104755);
  w.header(22, 2, 11, "sh", 0120777, 0, "busybox");
  w.header(23, 4, 11, "ash", 0100755, 0, "", 21);
  w.header(24, 3, 1, "dev", 040755);
  w.header(25, 5, 24, "console", 020600, 0, "", 0, (5u << 8) | 1u);
  w.erased();
  auto img = w.bytes();
  auto t = unpack_bytes(img);
  NodeId r = kNoNode;
  for (NodeId id : all_regions(*t))
    if (t->at(id).format == "yaffs2") r = id;
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(r).origin.length, img.size() - (g.page + g.spare));  // the erased chunk is not claimed
  NodeId root = fs_root_of(*t, r);
  ASSERT_NE(root, kNoNode);
  auto m = by_path(*t, root);
  ASSERT_TRUE(m.contains("/etc/passwd")) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, m["/etc/passwd"]), "root:x:0:0:root:/root:/bin/sh\n");
  EXPECT_EQ(content_of(*t, m["/bin/busybox"]), big);
  EXPECT_EQ(t->at(m["/bin/busybox"]).mode & 07777, 04755u);
  EXPECT_EQ(t->at(m["/bin/busybox"]).uid, 1000u);
  EXPECT_EQ(t->at(m["/bin/busybox"]).gid, 100u);
  EXPECT_EQ(t->at(m["/bin/busybox"]).mtime, 1700000000);
  EXPECT_EQ(t->at(m["/bin/sh"]).type, NodeType::symlink);
  EXPECT_EQ(t->at(m["/bin/sh"]).link_target, "busybox");
  EXPECT_EQ(t->at(m["/bin/ash"]).type, NodeType::hardlink);
  EXPECT_EQ(t->at(m["/bin/ash"]).link_target, "/bin/busybox");
  EXPECT_EQ(t->at(m["/dev/console"]).type, NodeType::char_device);
  EXPECT_EQ(t->at(m["/dev/console"]).rdev_major, 5u);
  EXPECT_EQ(t->at(m["/dev/console"]).rdev_minor, 1u);
  EXPECT_EQ(diag_dump(*t), "") << "no diagnostics expected";
}

INSTANTIATE_TEST_SUITE_P(All, Yaffs2Geo,
                         ::testing::Values(Geo{2048, 64, 0, false}, Geo{2048, 64, 2, false}, Geo{2048, 64, 0, true},
                                           Geo{4096, 128, 0, false}, Geo{4096, 128, 2, true}));

TEST(Yaffs2, NewestCopyWinsDeletedAndOrphansAreHandled) {
  Geo g{2048, 64, 0, false};
  Writer w(g);
  w.file(20, 1, "config", std::string(100, 'o'));
  w.data(20, 1, std::string(100, 'n'), 0x2000);           // rewritten later: newer sequence
  w.header(21, 1, 4, "gone", 0100644, 5);                 // moved to the deleted directory
  w.data(21, 1, "gone!");
  w.header(22, 1, 999, "lost", 0100644, 4);               // parent never written
  w.data(22, 1, "lost");
  w.header(30, 3, 31, "a", 040755);                       // a cycle: 30 in 31 in 30
  w.header(31, 3, 30, "b", 040755);
  w.header(23, 1, 1, "short", 0100644, 3000);             // second data chunk missing
  w.data(23, 1, std::string(2048, 's'));
  auto t = unpack_bytes(w.bytes());
  NodeId r = kNoNode;
  for (NodeId id : all_regions(*t))
    if (t->at(id).format == "yaffs2") r = id;
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  auto m = by_path(*t, fs_root_of(*t, r));
  EXPECT_EQ(content_of(*t, m["/config"]), std::string(100, 'n'));
  EXPECT_FALSE(m.contains("/gone"));
  EXPECT_TRUE(has_diag(*t, r, "yaffs2.deleted"));
  EXPECT_TRUE(has_diag(*t, r, "yaffs2.orphan"));
  EXPECT_TRUE(m.contains("/lost+found/orphan-22-lost")) << diag_dump(*t);
  ASSERT_TRUE(m.contains("/short"));
  EXPECT_EQ(content_of(*t, m["/short"]), std::string(2048, 's') + std::string(952, '\0'));
  EXPECT_TRUE(has_diag(*t, m["/short"], "yaffs2.content"));
}

TEST(Yaffs2, TruncationAndRandomData) {
  Geo g{2048, 64, 0, false};
  Writer w(g);
  w.header(10, 3, 1, "etc", 040755);
  w.file(20, 10, "big", text(5000, "x"));
  auto img = w.bytes();
  for (std::size_t cut : {std::size_t{2112 + 2112 + 100}, img.size() - 1, img.size() - 2112}) {
    std::vector<std::uint8_t> part(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);  // partial output, never a crash
    (void)t;
  }
  const unpack::Unpacker* u = unpack::find("yaffs2");
  ASSERT_NE(u, nullptr);
  std::vector<std::uint8_t> junk(64 * 2112);
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 17);
  EXPECT_FALSE(u->probe(ByteView(junk.data(), junk.size())));
  // A lone header-like chunk is not a filesystem.
  Writer one(g);
  one.header(10, 3, 1, "etc", 040755);
  auto single = one.bytes();
  EXPECT_FALSE(u->probe(ByteView(single.data(), single.size())));
}

}  // namespace
}  // namespace iotaudit
