#include "model/tree.hpp"

#include <gtest/gtest.h>

#include <string>

namespace iotaudit {
namespace {

// A small filesystem built by hand: every entry gets the path and fs_root a real unpacker sets.
class FsFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    Node r;
    r.type = NodeType::directory;
    r.path = "/";
    root = tree.add(std::move(r));
    tree.mut(root).fs_root = root;
  }

  NodeId add(NodeId parent, const std::string& name, NodeType type, const std::string& target = "") {
    Node n;
    n.parent = parent;
    n.name = name;
    n.type = type;
    const std::string& pp = tree.at(parent).path;
    n.path = (pp == "/" ? "" : pp) + "/" + name;
    n.fs_root = root;
    n.link_target = target;
    return tree.add(std::move(n));
  }
  NodeId dir(NodeId parent, const std::string& name) { return add(parent, name, NodeType::directory); }
  NodeId file(NodeId parent, const std::string& name) { return add(parent, name, NodeType::file); }
  NodeId link(NodeId parent, const std::string& name, const std::string& target) {
    return add(parent, name, NodeType::symlink, target);
  }

  Tree tree;
  NodeId root = kNoNode;
};

TEST(SplitPath, DropsEmptyAndDotKeepsDotDot) {
  auto p = split_path("/a//b/./c/../d/");
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0], "a");
  EXPECT_EQ(p[1], "b");
  EXPECT_EQ(p[2], "c");
  EXPECT_EQ(p[3], "..");
  EXPECT_EQ(p[4], "d");
  EXPECT_TRUE(split_path("/").empty());
  EXPECT_TRUE(split_path("").empty());
  EXPECT_TRUE(split_path("./.").empty());
  EXPECT_EQ(split_path("...").size(), 1u);
}

TEST_F(FsFixture, ResolvePlainPaths) {
  NodeId etc = dir(root, "etc");
  NodeId passwd = file(etc, "passwd");
  EXPECT_EQ(tree.resolve(root, "/etc/passwd"), passwd);
  EXPECT_EQ(tree.resolve(root, "etc/passwd"), passwd);
  EXPECT_EQ(tree.resolve(root, "//etc/./passwd"), passwd);
  EXPECT_EQ(tree.resolve(root, "/etc"), etc);
  EXPECT_EQ(tree.resolve(root, "/"), root);
  EXPECT_EQ(tree.resolve(root, ""), root);
  EXPECT_EQ(tree.resolve(root, "/etc/shadow"), kNoNode);
  EXPECT_EQ(tree.resolve(root, "/etc/passwd/x"), kNoNode);  // a file is not a directory
}

TEST_F(FsFixture, ResolveDotDotAtRootStaysAtRoot) {
  NodeId etc = dir(root, "etc");
  NodeId passwd = file(etc, "passwd");
  EXPECT_EQ(tree.resolve(root, ".."), root);
  EXPECT_EQ(tree.resolve(root, "/../../.."), root);
  EXPECT_EQ(tree.resolve(root, "/../../etc/passwd"), passwd);
  EXPECT_EQ(tree.resolve(root, "/etc/../../../etc/passwd"), passwd);
  EXPECT_EQ(tree.resolve(root, "/etc/../etc/../etc"), etc);
}

TEST_F(FsFixture, ResolveRelativeSymlinkInSameDirectory) {
  NodeId bin = dir(root, "bin");
  NodeId busybox = file(bin, "busybox");
  NodeId sh = link(bin, "sh", "busybox");
  EXPECT_EQ(tree.resolve(root, "/bin/sh"), busybox);
  EXPECT_EQ(tree.resolve(root, "/bin/sh", /*follow_last=*/false), sh);
}

TEST_F(FsFixture, ResolveRelativeSymlinkClimbingUp) {
  NodeId bin = dir(root, "bin");
  NodeId busybox = file(bin, "busybox");
  NodeId usr = dir(root, "usr");
  NodeId ubin = dir(usr, "bin");
  link(ubin, "wget", "../../bin/busybox");
  EXPECT_EQ(tree.resolve(root, "/usr/bin/wget"), busybox);
  // Too many ".." in a link target clamp at the root, as inside a chroot.
  link(ubin, "far", "../../../../../../bin/busybox");
  EXPECT_EQ(tree.resolve(root, "/usr/bin/far"), busybox);
}

TEST_F(FsFixture, ResolveAbsoluteSymlinkIsConfinedToFilesystem) {
  NodeId etc = dir(root, "etc");
  NodeId var = dir(root, "var");
  NodeId real = file(var, "passwd");
  link(etc, "passwd", "/var/passwd");
  EXPECT_EQ(tree.resolve(root, "/etc/passwd"), real);
  // Resolution starting in a nested directory restarts at this filesystem's root.
  NodeId deep = dir(var, "deep");
  link(deep, "p", "/var/./passwd");
  EXPECT_EQ(tree.resolve(root, "var/deep/p"), real);
}

TEST_F(FsFixture, ResolveSymlinkedDirectoryInMiddleOfPath) {
  NodeId usr = dir(root, "usr");
  NodeId ulib = dir(usr, "lib");
  NodeId libc = file(ulib, "libc.so");
  link(root, "lib", "usr/lib");
  EXPECT_EQ(tree.resolve(root, "/lib/libc.so"), libc);
  EXPECT_EQ(tree.resolve(root, "/lib"), ulib);
  // ".." after a followed directory link goes to the parent of the link's target (/usr).
  NodeId uetc = dir(usr, "etc");
  EXPECT_EQ(tree.resolve(root, "/lib/../etc"), uetc);
}

TEST_F(FsFixture, ResolveSymlinkLoopsReturnNoNode) {
  link(root, "a", "b");
  link(root, "b", "a");
  link(root, "self", "self");
  link(root, "grow", "grow/grow");
  link(root, "absloop", "/absloop/x");
  NodeId d = dir(root, "d");
  link(d, "up", "../d/up");
  EXPECT_EQ(tree.resolve(root, "/a"), kNoNode);
  EXPECT_EQ(tree.resolve(root, "/b/x"), kNoNode);
  EXPECT_EQ(tree.resolve(root, "/self"), kNoNode);
  EXPECT_EQ(tree.resolve(root, "/grow"), kNoNode);
  EXPECT_EQ(tree.resolve(root, "/absloop"), kNoNode);
  EXPECT_EQ(tree.resolve(root, "/d/up"), kNoNode);
  // Not following the last component stops before the loop.
  EXPECT_NE(tree.resolve(root, "/a", false), kNoNode);
}

TEST_F(FsFixture, ResolveRespectsHopLimit) {
  NodeId target = file(root, "t");
  link(root, "l1", "t");
  link(root, "l2", "l1");
  link(root, "l3", "l2");
  EXPECT_EQ(tree.resolve(root, "/l3", true, 3), target);
  EXPECT_EQ(tree.resolve(root, "/l3", true, 2), kNoNode);
}

TEST_F(FsFixture, ResolveDanglingLinkIsNoNode) {
  link(root, "dangling", "/nowhere");
  EXPECT_EQ(tree.resolve(root, "/dangling"), kNoNode);
}

TEST_F(FsFixture, CanonicalPlainAndMissingComponents) {
  NodeId etc = dir(root, "etc");
  file(etc, "passwd");
  EXPECT_EQ(tree.canonical(root, kNoNode, "/etc/passwd"), "/etc/passwd");
  EXPECT_EQ(tree.canonical(root, kNoNode, "/"), "/");
  EXPECT_EQ(tree.canonical(root, kNoNode, "/etc/missing/x"), "/etc/missing/x");
  EXPECT_EQ(tree.canonical(root, kNoNode, "/etc/missing/../passwd"), "/etc/passwd");
  EXPECT_EQ(tree.canonical(root, kNoNode, "/missing/../../../etc"), "/etc");
}

TEST_F(FsFixture, CanonicalNeverClimbsAboveRoot) {
  NodeId etc = dir(root, "etc");
  file(etc, "passwd");
  EXPECT_EQ(tree.canonical(root, kNoNode, "../../../../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(tree.canonical(root, etc, "../../../../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(tree.canonical(root, etc, "../.."), "/");
}

TEST_F(FsFixture, CanonicalRelativeToDirectory) {
  NodeId usr = dir(root, "usr");
  NodeId ubin = dir(usr, "bin");
  NodeId bin = dir(root, "bin");
  file(bin, "busybox");
  EXPECT_EQ(tree.canonical(root, ubin, "../../bin/busybox"), "/bin/busybox");
  EXPECT_EQ(tree.canonical(root, ubin, "x"), "/usr/bin/x");
  EXPECT_EQ(tree.canonical(root, ubin, "/bin"), "/bin");  // absolute ignores from_dir
}

TEST_F(FsFixture, CanonicalThroughSymlinkToDotDotChains) {
  // Links whose targets climb: each is clamped at this filesystem's root.
  NodeId a = dir(root, "a");
  NodeId b = dir(a, "b");
  link(b, "up", "..");               // /a/b/up -> /a
  link(a, "top", "../../../../..");  // /a/top -> /
  link(root, "r", "..");             // /r -> / (the root's parent is the root)
  NodeId etc = dir(root, "etc");
  file(etc, "shadow");
  EXPECT_EQ(tree.canonical(root, kNoNode, "/a/b/up"), "/a");
  EXPECT_EQ(tree.canonical(root, kNoNode, "/a/b/up/top"), "/");
  EXPECT_EQ(tree.canonical(root, kNoNode, "/a/b/up/top/a/top/r/r/r/etc/shadow"), "/etc/shadow");
  EXPECT_EQ(tree.canonical(root, kNoNode, "/r/r/r/../../.."), "/");
  EXPECT_EQ(tree.canonical(root, b, "up/top/../../.."), "/");
  EXPECT_EQ(tree.canonical(root, b, "up/top/../../../etc/shadow"), "/etc/shadow");
  // The link's own target, as materialize() computes it for a link in /a/b.
  NodeId esc = link(b, "esc", "../../../../etc/passwd");
  EXPECT_EQ(tree.canonical(root, tree.at(esc).parent, tree.at(esc).link_target), "/etc/passwd");
}

TEST_F(FsFixture, CanonicalAbsoluteLinkRestartsAtRoot) {
  NodeId etc = dir(root, "etc");
  NodeId var = dir(root, "var");
  file(var, "passwd");
  link(etc, "passwd", "/var/passwd");
  link(etc, "abs_escape", "/../../../var");
  EXPECT_EQ(tree.canonical(root, kNoNode, "/etc/passwd"), "/var/passwd");
  EXPECT_EQ(tree.canonical(root, etc, "abs_escape/passwd"), "/var/passwd");
}

TEST_F(FsFixture, CanonicalLoopTerminates) {
  link(root, "a", "b");
  link(root, "b", "a");
  link(root, "grow", "grow/grow");
  std::string c = tree.canonical(root, kNoNode, "/a");
  EXPECT_TRUE(c == "/a" || c == "/b") << c;
  std::string g = tree.canonical(root, kNoNode, "/grow/../..");
  EXPECT_EQ(g.find(".."), std::string::npos) << g;
  EXPECT_EQ(g.front(), '/');
}

TEST_F(FsFixture, PathWithinPrefixedRoot) {
  NodeId pre = dir(root, "squashfs-root");
  NodeId etc = dir(pre, "etc");
  NodeId passwd = file(etc, "passwd");
  NodeId other = file(root, "squashfs-rootx");
  EXPECT_EQ(tree.path_within(pre, passwd), "/etc/passwd");
  EXPECT_EQ(tree.path_within(root, passwd), "/squashfs-root/etc/passwd");
  // Only whole components count as the prefix.
  EXPECT_EQ(tree.path_within(pre, other), "/squashfs-rootx");
}

TEST_F(FsFixture, FinalizeSortsChildrenByName) {
  NodeId z = file(root, "zz");
  NodeId a = file(root, "aa");
  NodeId m = file(root, "mm");
  tree.finalize();
  const auto& ch = tree.at(root).children;
  ASSERT_EQ(ch.size(), 3u);
  EXPECT_EQ(ch[0], a);
  EXPECT_EQ(ch[1], m);
  EXPECT_EQ(ch[2], z);
  EXPECT_EQ(tree.child(root, "mm"), m);
  EXPECT_EQ(tree.child(root, "nope"), kNoNode);
}

TEST_F(FsFixture, HardlinkContentIsTheFirstNamesContent) {
  NodeId etc = dir(root, "etc");
  NodeId f = file(etc, "passwd");
  tree.set_content(f, make_blob(std::string_view("root:x:0:0::/root:/bin/sh\n")));
  NodeId h = add(root, "copy", NodeType::hardlink, "/etc/passwd");
  EXPECT_EQ(tree.content(h)->view().as_chars(), "root:x:0:0::/root:/bin/sh\n");
  // A hardlink to nothing, or to itself, has no bytes (and does not recurse forever).
  NodeId none = add(root, "none", NodeType::hardlink, "/missing");
  EXPECT_TRUE(tree.content(none)->view().empty());
  NodeId self = add(root, "self", NodeType::hardlink, "/self");
  EXPECT_TRUE(tree.content(self)->view().empty());
}

TEST(TreeLogicalPath, ImageRegionFilesystemEntry) {
  Tree t;
  Node img;
  img.name = "img";
  img.type = NodeType::image;
  NodeId image = t.add(std::move(img));

  Node reg;
  reg.parent = image;
  reg.name = "squashfs@0x20";
  reg.type = NodeType::region;
  NodeId region = t.add(std::move(reg));

  Node r;
  r.parent = region;
  r.type = NodeType::directory;
  r.path = "/";
  NodeId root = t.add(std::move(r));
  t.mut(root).fs_root = root;

  Node etc;
  etc.parent = root;
  etc.name = "etc";
  etc.type = NodeType::directory;
  etc.path = "/etc";
  etc.fs_root = root;
  NodeId etc_id = t.add(std::move(etc));

  Node sh;
  sh.parent = etc_id;
  sh.name = "shadow";
  sh.path = "/etc/shadow";
  sh.fs_root = root;
  NodeId shadow = t.add(std::move(sh));

  EXPECT_EQ(t.logical_path(shadow), "img \xC2\xBB squashfs@0x20 \xC2\xBB /etc/shadow");
  EXPECT_EQ(t.logical_path(region), "img \xC2\xBB squashfs@0x20");
  EXPECT_EQ(t.logical_path(image), "img");
  // The filesystem root itself has no name: it is shown as its region.
  EXPECT_EQ(t.logical_path(root), "img \xC2\xBB squashfs@0x20");

  // A stream decoded from a file inside the filesystem continues the chain.
  Node gz;
  gz.parent = shadow;
  gz.name = "gzip@0x0";
  gz.type = NodeType::region;
  NodeId gzr = t.add(std::move(gz));
  EXPECT_EQ(t.logical_path(gzr), "img \xC2\xBB squashfs@0x20 \xC2\xBB /etc/shadow \xC2\xBB gzip@0x0");
}

TEST(TreeBasics, AddAssignsSequentialIdsAndLinksChildren) {
  Tree t;
  EXPECT_EQ(t.root(), kNoNode);
  EXPECT_EQ(t.size(), 0u);
  Node a;
  a.name = "a";
  NodeId ia = t.add(std::move(a));
  Node b;
  b.name = "b";
  b.parent = ia;
  NodeId ib = t.add(std::move(b));
  EXPECT_EQ(ia, 0u);
  EXPECT_EQ(ib, 1u);
  EXPECT_EQ(t.root(), 0u);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.at(ib).id, ib);
  ASSERT_EQ(t.at(ia).children.size(), 1u);
  EXPECT_EQ(t.at(ia).children[0], ib);
  t.add_diagnostic(ib, {Severity::high, "x.y", "msg"});
  ASSERT_EQ(t.at(ib).diagnostics.size(), 1u);
  EXPECT_EQ(t.at(ib).diagnostics[0].code, "x.y");
}

TEST(TreeBasics, ManyNodesAcrossChunks) {
  Tree t;
  Node r;
  r.name = "r";
  NodeId root = t.add(std::move(r));
  for (int i = 0; i < 10000; ++i) {
    Node n;
    n.parent = root;
    n.name = std::to_string(i);
    ASSERT_EQ(t.add(std::move(n)), static_cast<NodeId>(i + 1));
  }
  EXPECT_EQ(t.size(), 10001u);
  EXPECT_EQ(t.at(9000).name, "8999");
  EXPECT_EQ(t.at(root).children.size(), 10000u);
}

}  // namespace
}  // namespace iotaudit
