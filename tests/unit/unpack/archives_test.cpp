// tar, cpio and zip archives built in memory with libarchive's writer.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "unit/support/archive_writer.hpp"
#include "unit/support/unpack_util.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit {
namespace {

using namespace test;

struct FormatCase {
  const char* name;
  ArchiveFormat format;
  const char* id;  // unpacker id
};

class ArchiveFormats : public ::testing::TestWithParam<FormatCase> {};

TEST_P(ArchiveFormats, ExtractsFilesDirsSymlinksWithMetadata) {
  Member shadow = file("etc/shadow", "root::19000:0:99999:7:::\n", 0600);
  shadow.uid = 0;
  shadow.gid = 42;
  Member home = dir("home/user", 0700);
  home.uid = 1000;
  home.gid = 1000;
  std::vector<Member> members = {dir("etc"), file("etc/passwd", "root:x:0:0::/root:/bin/sh\n"), shadow,
                                 dir("bin"), file("bin/busybox", "#!/bin/sh\n", 0755),
                                 symlink("bin/sh", "busybox"), dir("home"), home};
  auto t = unpack_bytes(make_archive(GetParam().format, members));
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u) << diag_dump(*t);
  EXPECT_EQ(t->at(regs[0]).format, GetParam().id);
  NodeId root = fs_root_of(*t, regs[0]);
  ASSERT_NE(root, kNoNode);

  NodeId s = t->resolve(root, "/etc/shadow");
  ASSERT_NE(s, kNoNode);
  EXPECT_EQ(t->at(s).type, NodeType::file);
  EXPECT_EQ(t->at(s).mode, static_cast<std::uint32_t>(S_IFREG | 0600));
  EXPECT_EQ(t->at(s).gid, 42u);
  EXPECT_EQ(content_of(*t, s), "root::19000:0:99999:7:::\n");
  EXPECT_EQ(t->at(s).mtime, 1700000000);

  NodeId bb = t->resolve(root, "/bin/busybox");
  ASSERT_NE(bb, kNoNode);
  EXPECT_EQ(content_of(*t, bb), "#!/bin/sh\n");
  EXPECT_EQ(t->at(bb).mode, static_cast<std::uint32_t>(S_IFREG | 0755));
  EXPECT_EQ(t->resolve(root, "/bin/sh"), bb);
  EXPECT_EQ(t->at(t->resolve(root, "/bin/sh", false)).link_target, "busybox");

  NodeId h = t->resolve(root, "/home/user");
  ASSERT_NE(h, kNoNode);
  EXPECT_EQ(t->at(h).type, NodeType::directory);
  EXPECT_EQ(t->at(h).mode, static_cast<std::uint32_t>(S_IFDIR | 0700));
  EXPECT_EQ(t->at(h).uid, 1000u);
  EXPECT_EQ(diag_dump(*t), "");
}

TEST_P(ArchiveFormats, TraversalMemberStaysInsideWithDiagnostic) {
  auto t = unpack_bytes(make_archive(GetParam().format,
                                     {file("ok.txt", "fine\n"), file("../../etc/evil", "pwned\n")}));
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u) << diag_dump(*t);
  NodeId root = fs_root_of(*t, regs[0]);
  ASSERT_NE(root, kNoNode);
  NodeId evil = t->resolve(root, "/etc/evil");
  ASSERT_NE(evil, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(evil).path, "/etc/evil");
  EXPECT_EQ(t->at(evil).fs_root, root);
  EXPECT_EQ(content_of(*t, evil), "pwned\n");
  EXPECT_TRUE(has_diag(*t, evil, "path.traversal")) << diag_dump(*t);
  // The honest member carries no such diagnostic.
  NodeId ok = t->resolve(root, "/ok.txt");
  ASSERT_NE(ok, kNoNode);
  EXPECT_FALSE(has_diag(*t, ok, "path.traversal"));
}

INSTANTIATE_TEST_SUITE_P(All, ArchiveFormats,
                         ::testing::Values(FormatCase{"ustar", ArchiveFormat::ustar, "tar"},
                                           FormatCase{"gnutar", ArchiveFormat::gnutar, "tar"},
                                           FormatCase{"pax", ArchiveFormat::pax, "tar"},
                                           FormatCase{"cpio_newc", ArchiveFormat::cpio_newc, "cpio"},
                                           FormatCase{"cpio_odc", ArchiveFormat::cpio_odc, "cpio"},
                                           FormatCase{"zip", ArchiveFormat::zip, "zip"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(TarArchive, HardlinkSharesContentAndOutsideTargetIsFlagged) {
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar,
                                     {file("etc/passwd", "root:x:0:0::/:/bin/sh\n"),
                                      hardlink("etc/passwd-", "etc/passwd"), hardlink("hl", "../outside")}));
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u);
  NodeId root = fs_root_of(*t, regs[0]);
  NodeId h = t->resolve(root, "/etc/passwd-");
  ASSERT_NE(h, kNoNode);
  EXPECT_EQ(t->at(h).type, NodeType::hardlink);
  EXPECT_EQ(t->at(h).link_target, "/etc/passwd");
  EXPECT_EQ(content_of(*t, h), "root:x:0:0::/:/bin/sh\n");
  NodeId out = t->resolve(root, "/hl");
  ASSERT_NE(out, kNoNode);
  EXPECT_EQ(t->at(out).type, NodeType::hardlink);
  EXPECT_EQ(t->at(out).link_target, "/outside");  // clamped inside the archive
  EXPECT_TRUE(has_diag(*t, out, "path.traversal")) << diag_dump(*t);
  EXPECT_TRUE(t->content(out)->view().empty());
}

TEST(TarArchive, DuplicateMembersAreKeptAndFlagged) {
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar,
                                     {file("etc/passwd", "first\n"), file("etc/passwd", "second\n")}));
  NodeId root = fs_root_of(*t, regions_of(*t, t->root()).at(0));
  NodeId etc = t->resolve(root, "/etc");
  ASSERT_NE(etc, kNoNode);
  ASSERT_EQ(t->at(etc).children.size(), 2u);
  int flagged = 0;
  for (NodeId c : t->at(etc).children) flagged += has_diag(*t, c, "path.duplicate") ? 1 : 0;
  EXPECT_EQ(flagged, 1);
}

TEST(TarArchive, DeviceMembersAreListed) {
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar, {dir("dev"), chardev("dev/ttyS0", 4, 64)}));
  NodeId root = fs_root_of(*t, regions_of(*t, t->root()).at(0));
  NodeId tty = t->resolve(root, "/dev/ttyS0");
  ASSERT_NE(tty, kNoNode);
  EXPECT_EQ(t->at(tty).type, NodeType::char_device);
  EXPECT_EQ(t->at(tty).rdev_major, 4u);
  EXPECT_EQ(t->at(tty).rdev_minor, 64u);
}

TEST(TarArchive, PerFileLimitTruncatesMember) {
  Limits lim;
  lim.max_node_bytes = 100000;
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar, {file("big", std::string(300000, 'A'))}), lim);
  NodeId root = fs_root_of(*t, regions_of(*t, t->root()).at(0));
  NodeId big = t->resolve(root, "/big");
  ASSERT_NE(big, kNoNode);
  EXPECT_TRUE(has_diag(*t, big, "tar.file_data")) << diag_dump(*t);
  EXPECT_LE(t->content(big)->view().size(), lim.max_node_bytes);
}

TEST(TarArchive, TruncatedArchiveKeepsEarlierMembers) {
  auto tar = make_archive(ArchiveFormat::ustar,
                          {file("a", std::string(5000, 'a')), file("b", std::string(5000, 'b')),
                           file("c", std::string(5000, 'c'))});
  tar.resize(512 + 5120 + 512 + 1000);  // cut inside the data of "b"
  auto t = unpack_bytes(tar);
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u);
  NodeId root = fs_root_of(*t, regs[0]);
  NodeId a = t->resolve(root, "/a");
  ASSERT_NE(a, kNoNode);
  EXPECT_EQ(content_of(*t, a), std::string(5000, 'a'));
  EXPECT_EQ(t->resolve(root, "/c"), kNoNode);
  EXPECT_TRUE(any_diag(*t, "tar.")) << diag_dump(*t);
}

TEST(ArchiveProbe, TarChecksumMismatchIsNotACandidate) {
  auto tar = make_archive(ArchiveFormat::ustar, {file("x", "y")});
  const auto* u = unpack::find("tar");
  ASSERT_NE(u, nullptr);
  EXPECT_TRUE(u->probe(ByteView(tar.data(), tar.size())));
  tar[0] ^= 0x01;  // the name changes, the stored checksum does not
  EXPECT_FALSE(u->probe(ByteView(tar.data(), tar.size())));
}

TEST(ArchiveProbe, CpioNonHexHeaderIsNotACandidate) {
  auto cpio = make_archive(ArchiveFormat::cpio_newc, {file("x", "y")});
  const auto* u = unpack::find("cpio");
  ASSERT_NE(u, nullptr);
  EXPECT_TRUE(u->probe(ByteView(cpio.data(), cpio.size())));
  cpio[20] = 'g';
  EXPECT_FALSE(u->probe(ByteView(cpio.data(), cpio.size())));
}

TEST(FsBuilderSanitize, ClampsDotDotAndMarksHostile) {
  bool hostile = false;
  EXPECT_EQ(unpack::FsBuilder::sanitize("etc/passwd", hostile), "/etc/passwd");
  EXPECT_FALSE(hostile);
  EXPECT_EQ(unpack::FsBuilder::sanitize("/etc//./passwd", hostile), "/etc/passwd");
  EXPECT_FALSE(hostile);
  EXPECT_EQ(unpack::FsBuilder::sanitize("a/b/../c", hostile), "/a/c");
  EXPECT_FALSE(hostile);
  EXPECT_EQ(unpack::FsBuilder::sanitize("../../etc/evil", hostile), "/etc/evil");
  EXPECT_TRUE(hostile);
  EXPECT_EQ(unpack::FsBuilder::sanitize("a/../../b", hostile), "/b");
  EXPECT_TRUE(hostile);
  EXPECT_EQ(unpack::FsBuilder::sanitize("..", hostile), "/");
  EXPECT_TRUE(hostile);
  EXPECT_EQ(unpack::FsBuilder::sanitize("", hostile), "/");
  EXPECT_FALSE(hostile);
}

}  // namespace
}  // namespace iotaudit
