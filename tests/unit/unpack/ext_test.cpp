// ext2/ext4 images made with mke2fs -d (e2fsprogs) from a directory the test fills, then edited
// with debugfs (device nodes, high uid/gid bits, post-2038 mtimes, directory hard links).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>

#include "unit/support/temp_dir.hpp"
#include "unit/support/unpack_util.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit {
namespace {

using namespace test;

// mke2fs and debugfs live in /sbin on Debian; test runners often lack it in PATH.
const std::string kPath = "PATH=\"$PATH:/usr/sbin:/sbin\" ";

bool shell_ok(const std::string& cmd) {
  int rc = std::system((kPath + cmd).c_str());
  return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}
bool have_e2fsprogs() { return shell_ok("command -v mke2fs >/dev/null 2>&1 && command -v debugfs >/dev/null 2>&1"); }

std::string run_output(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen((kPath + cmd).c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

// Whole-file read in one call (istreambuf_iterator is slow on multi-megabyte images in debug builds).
std::vector<std::uint8_t> slurp(const std::string& path) {
  std::vector<std::uint8_t> out;
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return out;
  out.resize(size);
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    out.resize(std::fread(out.data(), 1, out.size(), f));
    std::fclose(f);
  }
  return out;
}

const std::string kPasswd = "root:x:0:0:root:/root:/bin/sh\nadmin:x:1000:1000::/home/admin:/bin/sh\n";
const std::string kShadow = "root::19000:0:99999:7:::\nadmin:$1$abc$def:19000::::::\n";
const std::string kLongTarget = "/very/long/target/" + std::string(150, 'x') + "/end";

struct ExtCase {
  const char* name;
  const char* mkfs_args;  // after mke2fs -q
  const char* size;
  const char* flavour;
};

class ExtImage : public ::testing::TestWithParam<ExtCase> {
 protected:
  void SetUp() override {
    if (!have_e2fsprogs()) GTEST_SKIP() << "mke2fs/debugfs (e2fsprogs) not installed";
    ASSERT_TRUE(work.ok());
    namespace fs = std::filesystem;
    src = work / "root";
    for (const char* d : {"", "/etc", "/bin", "/dev", "/data", "/home", "/home/admin", "/a", "/a/b"})
      fs::create_directories(src + d);
    ASSERT_TRUE(write_text(src + "/etc/passwd", kPasswd));
    ASSERT_TRUE(write_text(src + "/etc/shadow", kShadow));
    ASSERT_TRUE(write_text(src + "/etc/empty", ""));
    ASSERT_TRUE(write_text(src + "/bin/busybox", "#!/bin/sh\necho busybox\n"));
    ::chmod((src + "/etc/shadow").c_str(), 0600);
    ::chmod((src + "/bin/busybox").c_str(), 04755);
    ::chmod((src + "/home/admin").c_str(), 0700);
    ASSERT_EQ(::link((src + "/etc/passwd").c_str(), (src + "/etc/passwd.hard").c_str()), 0);
    fs::create_symlink("busybox", src + "/bin/sh");
    fs::create_symlink(kLongTarget, src + "/bin/long");
    ASSERT_EQ(::mkfifo((src + "/dev/fifo").c_str(), 0620), 0);
    ::chmod((src + "/dev/fifo").c_str(), 0620);  // past the umask
    // Sparse: 3 MiB of hole with a few bytes at each end.
    {
      std::string p = src + "/data/sparse";
      ASSERT_TRUE(write_text(p, "head"));
      fs::resize_file(p, 3u << 20);
      FILE* f = std::fopen(p.c_str(), "r+b");
      ASSERT_NE(f, nullptr);
      std::fseek(f, (3 << 20) - 4, SEEK_SET);
      std::fwrite("tail", 1, 4, f);
      std::fclose(f);
    }
    big.resize(200 * 1024 + 13);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7 + i / 1000) % 26);
    ASSERT_TRUE(write_text(src + "/data/big.bin", big));
  }

  // Builds the image, applies debugfs edits, returns its bytes.
  std::optional<std::vector<std::uint8_t>> build(const std::string& extra_mkfs = "",
                                                 const std::string& debugfs_script = kDefaultScript) {
    image = work / "fs.img";
    std::filesystem::remove(image);
    std::string cmd = std::string("mke2fs -q -F ") + GetParam().mkfs_args + " " + extra_mkfs +
                      " -E root_owner=0:0 -d '" + src + "' '" + image + "' " + GetParam().size + " >'" +
                      (work / "mke2fs.log") + "' 2>&1";
    if (!shell_ok(cmd)) return std::nullopt;
    if (!debugfs_script.empty()) {
      std::string script = work / "debugfs.cmd";
      if (!write_text(script, debugfs_script)) return std::nullopt;
      if (!shell_ok("debugfs -w -f '" + script + "' '" + image + "' >'" + (work / "debugfs.log") + "' 2>&1"))
        return std::nullopt;
    }
    return slurp(image);
  }

  static inline const std::string kDefaultScript =
      "cd /dev\n"
      "mknod ttyS0 c 4 64\n"
      "sif ttyS0 mode 020620\n"
      "mknod nvme b 259 1000\n"
      "sif nvme mode 060640\n"
      "cd /\n"
      "sif /etc/shadow uid 70000\n"
      "sif /etc/shadow gid 131073\n"
      "sif /home/admin uid 1000\n"
      "sif /home/admin gid 1000\n"
      "sif /etc/passwd mtime 20400101000000\n"
      "sif /bin/busybox mtime 20200101000000\n";

  TempDir work;
  std::string src, image, big;
};

NodeId only_fs_root(const Tree& t) {
  auto regs = regions_of(t, t.root());
  if (regs.size() != 1) return kNoNode;
  if (t.at(regs[0]).format != "ext") return kNoNode;
  return fs_root_of(t, regs[0]);
}

TEST_P(ExtImage, ExtractsEveryEntryTypeWithMetadata) {
  auto img = build();
  ASSERT_TRUE(img) << read_text(work / "mke2fs.log") << read_text(work / "debugfs.log");
  auto t = unpack_bytes(*img);
  NodeId root = only_fs_root(*t);
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  auto region = regions_of(*t, t->root())[0];
  EXPECT_EQ(t->at(region).origin.length, img->size());
  EXPECT_EQ(t->at(root).mode, static_cast<std::uint32_t>(S_IFDIR | 0755));
  EXPECT_EQ(t->at(root).uid, 0u);

  NodeId passwd = t->resolve(root, "/etc/passwd");
  ASSERT_NE(passwd, kNoNode);
  EXPECT_EQ(t->at(passwd).type, NodeType::file);
  EXPECT_EQ(content_of(*t, passwd), kPasswd);
  EXPECT_EQ(t->at(passwd).mode, static_cast<std::uint32_t>(S_IFREG | 0644));
  EXPECT_EQ(t->at(passwd).mtime, 2208988800);  // 2040-01-01: needs the extra epoch bits on ext4
  NodeId bb = t->resolve(root, "/bin/busybox");
  ASSERT_NE(bb, kNoNode);
  EXPECT_EQ(t->at(bb).mtime, 1577836800);

  NodeId shadow = t->resolve(root, "/etc/shadow");
  ASSERT_NE(shadow, kNoNode);
  EXPECT_EQ(content_of(*t, shadow), kShadow);
  EXPECT_EQ(t->at(shadow).mode, static_cast<std::uint32_t>(S_IFREG | 0600));
  EXPECT_EQ(t->at(shadow).uid, 70000u);  // high 16 bits in osd2
  EXPECT_EQ(t->at(shadow).gid, 131073u);

  EXPECT_EQ(t->at(bb).mode, static_cast<std::uint32_t>(S_IFREG | 04755));
  EXPECT_EQ(content_of(*t, bb), "#!/bin/sh\necho busybox\n");
  NodeId empty = t->resolve(root, "/etc/empty");
  ASSERT_NE(empty, kNoNode);
  EXPECT_EQ(t->at(empty).size, 0u);
  EXPECT_EQ(content_of(*t, empty), "");

  NodeId sh = t->resolve(root, "/bin/sh", false);
  ASSERT_NE(sh, kNoNode);
  EXPECT_EQ(t->at(sh).type, NodeType::symlink);
  EXPECT_EQ(t->at(sh).link_target, "busybox");
  EXPECT_EQ(t->resolve(root, "/bin/sh"), bb);
  NodeId lng = t->resolve(root, "/bin/long", false);
  ASSERT_NE(lng, kNoNode);
  EXPECT_EQ(t->at(lng).type, NodeType::symlink);
  EXPECT_EQ(t->at(lng).link_target, kLongTarget);  // slow symlink: target in a data block
  EXPECT_EQ(t->at(lng).mode & S_IFMT, static_cast<std::uint32_t>(S_IFLNK));

  NodeId hard = t->resolve(root, "/etc/passwd.hard");
  ASSERT_NE(hard, kNoNode);
  // One of the two names carries the content, the other points at it.
  NodeId first = t->at(hard).type == NodeType::hardlink ? passwd : hard;
  NodeId second = first == passwd ? hard : passwd;
  EXPECT_EQ(t->at(first).type, NodeType::file);
  EXPECT_EQ(t->at(second).type, NodeType::hardlink);
  EXPECT_EQ(t->at(second).link_target, t->at(first).path);

  NodeId sparse = t->resolve(root, "/data/sparse");
  ASSERT_NE(sparse, kNoNode);
  std::string sp = content_of(*t, sparse);
  ASSERT_EQ(sp.size(), 3u << 20);
  EXPECT_EQ(sp.substr(0, 4), "head");
  EXPECT_EQ(sp.substr(sp.size() - 4), "tail");
  EXPECT_EQ(sp.find_first_not_of('\0', 4), sp.size() - 4);
  NodeId bigf = t->resolve(root, "/data/big.bin");
  ASSERT_NE(bigf, kNoNode);
  EXPECT_EQ(content_of(*t, bigf), big);

  NodeId tty = t->resolve(root, "/dev/ttyS0");
  ASSERT_NE(tty, kNoNode);
  EXPECT_EQ(t->at(tty).type, NodeType::char_device);
  EXPECT_EQ(t->at(tty).mode, static_cast<std::uint32_t>(S_IFCHR | 0620));
  EXPECT_EQ(t->at(tty).rdev_major, 4u);
  EXPECT_EQ(t->at(tty).rdev_minor, 64u);
  NodeId nvme = t->resolve(root, "/dev/nvme");
  ASSERT_NE(nvme, kNoNode);
  EXPECT_EQ(t->at(nvme).type, NodeType::block_device);
  EXPECT_EQ(t->at(nvme).rdev_major, 259u);  // new-style encoding
  EXPECT_EQ(t->at(nvme).rdev_minor, 1000u);
  NodeId fifo = t->resolve(root, "/dev/fifo");
  ASSERT_NE(fifo, kNoNode);
  EXPECT_EQ(t->at(fifo).type, NodeType::fifo);
  EXPECT_EQ(t->at(fifo).mode, static_cast<std::uint32_t>(S_IFIFO | 0620));

  NodeId home = t->resolve(root, "/home/admin");
  ASSERT_NE(home, kNoNode);
  EXPECT_EQ(t->at(home).type, NodeType::directory);
  EXPECT_EQ(t->at(home).mode, static_cast<std::uint32_t>(S_IFDIR | 0700));
  EXPECT_EQ(t->at(home).uid, 1000u);
  EXPECT_NE(t->resolve(root, "/lost+found"), kNoNode);
  EXPECT_EQ(diag_dump(*t), "");
}

TEST_P(ExtImage, ProbeDescribesTheFilesystem) {
  auto img = build();
  ASSERT_TRUE(img);
  const unpack::Unpacker* u = unpack::find("ext");
  ASSERT_NE(u, nullptr);
  auto p = u->probe(ByteView(img->data(), img->size()));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->length, img->size());
  EXPECT_NE(p->detail.find(GetParam().flavour), std::string::npos) << p->detail;
  EXPECT_FALSE(p->unsupported);
}

TEST_P(ExtImage, CarvedAtAnOffsetInsideABlob) {
  auto img = build();
  ASSERT_TRUE(img);
  std::vector<std::uint8_t> blob(0x30000, 0xff);
  blob.insert(blob.end(), img->begin(), img->end());
  blob.resize(blob.size() + 0x1000, 0xff);
  auto t = unpack_bytes(blob);
  NodeId found = kNoNode;
  for (NodeId r : regions_of(*t, t->root()))
    if (t->at(r).format == "ext") found = r;
  ASSERT_NE(found, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(found).origin.offset, 0x30000u);
  EXPECT_EQ(t->at(found).origin.length, img->size());
  NodeId root = fs_root_of(*t, found);
  ASSERT_NE(root, kNoNode);
  NodeId shadow = t->resolve(root, "/etc/shadow");
  ASSERT_NE(shadow, kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, shadow), kShadow);
}

TEST_P(ExtImage, TruncatedImageGivesPartialResultsAndDiagnostics) {
  auto img = build();
  ASSERT_TRUE(img);
  std::size_t partial_with_files = 0;
  for (std::size_t cut : {1000ul, 1100ul, 2048ul, 4096ul, 8192ul, 20000ul, 65536ul, 150000ul, 400000ul,
                          img->size() / 4, img->size() / 2, img->size() - 4096, img->size() - 1}) {
    if (cut >= img->size()) continue;
    std::vector<std::uint8_t> part(img->begin(), img->begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);  // must not crash or hang
    for (NodeId r : regions_of(*t, t->root())) {
      if (t->at(r).format != "ext") continue;
      EXPECT_TRUE(has_diag(*t, r, "ext.truncated")) << "cut at " << cut << "\n" << diag_dump(*t);
      NodeId root = fs_root_of(*t, r);
      if (root != kNoNode && t->at(root).children.size() > 1) ++partial_with_files;
    }
  }
  EXPECT_GE(partial_with_files, 2u);
}

TEST_P(ExtImage, DirectoryHardLinkCycleIsNotFollowed) {
  // debugfs "link" adds a second name for /a inside /a/b: a loop no kernel would create.
  auto img = build("", kDefaultScript + "link /a /a/b/loop\n");
  ASSERT_TRUE(img);
  auto t = unpack_bytes(*img);
  NodeId root = only_fs_root(*t);
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  NodeId loop = t->resolve(root, "/a/b/loop", false);
  ASSERT_NE(loop, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(loop).type, NodeType::directory);
  EXPECT_TRUE(has_diag(*t, loop, "ext.cycle")) << diag_dump(*t);
  EXPECT_EQ(t->resolve(root, "/a/b/loop/b"), kNoNode);
}

TEST_P(ExtImage, InodeOutsideTheTableIsADiagnostic) {
  auto img = build();
  ASSERT_TRUE(img);
  // The directory entry of /etc/empty (name_len 5, file type 1) made to name inode 99999, beyond
  // s_inodes_count. On ext4 this also breaks the block checksum, which is reported separately.
  std::string s(img->begin(), img->end());
  auto pos = s.find(std::string("\x05\x01" "empty", 7));
  ASSERT_NE(pos, std::string::npos);
  ASSERT_GE(pos, 6u);
  (*img)[pos - 6] = 0x9f;  // 99999 = 0x0001869f, little-endian
  (*img)[pos - 5] = 0x86;
  (*img)[pos - 4] = 0x01;
  (*img)[pos - 3] = 0x00;
  auto t = unpack_bytes(*img);
  NodeId root = only_fs_root(*t);
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->resolve(root, "/etc/empty", false), kNoNode);
  EXPECT_TRUE(has_diag(*t, t->resolve(root, "/etc"), "ext.inode")) << diag_dump(*t);
  ASSERT_NE(t->resolve(root, "/etc/passwd"), kNoNode);
  EXPECT_EQ(content_of(*t, t->resolve(root, "/etc/passwd")), kPasswd);
}

INSTANTIATE_TEST_SUITE_P(Flavours, ExtImage,
                         ::testing::Values(ExtCase{"ext2_1k", "-t ext2 -b 1024 -N 128", "8M", "ext2"},
                                           ExtCase{"ext4_4k", "-t ext4 -b 4096 -N 128", "8M", "ext4"},
                                           ExtCase{"ext4_1k_journal", "-t ext4 -b 1024 -N 128 -J size=1", "8M",
                                                   "ext4"},
                                           ExtCase{"ext3_1k", "-t ext3 -b 1024 -N 128 -J size=1", "8M", "ext3"}),
                         [](const auto& info) { return std::string(info.param.name); });

// ext4-only features and hostile edits on a single ext4 image.
class Ext4Only : public ExtImage {};

TEST_P(Ext4Only, InlineDataFilesDirsAndSymlinks) {
  namespace fs = std::filesystem;
  fs::create_directories(src + "/inl");
  ASSERT_TRUE(write_text(src + "/inl/tiny", "inline!"));
  fs::create_symlink(std::string(70, 'L'), src + "/inl/mid");  // > 60 bytes: inline data symlink
  auto img = build("-O inline_data -I 256");
  ASSERT_TRUE(img) << read_text(work / "mke2fs.log");
  auto t = unpack_bytes(*img);
  NodeId root = only_fs_root(*t);
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  ASSERT_NE(t->resolve(root, "/inl/tiny"), kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, t->resolve(root, "/inl/tiny")), "inline!");
  NodeId mid = t->resolve(root, "/inl/mid", false);
  ASSERT_NE(mid, kNoNode);
  EXPECT_EQ(t->at(mid).link_target, std::string(70, 'L'));
  ASSERT_NE(t->resolve(root, "/bin/sh", false), kNoNode);
  EXPECT_EQ(t->at(t->resolve(root, "/bin/sh", false)).link_target, "busybox");
  EXPECT_EQ(diag_dump(*t), "");
}

TEST_P(Ext4Only, NeedsRecoveryIsReported) {
  auto img = build("", kDefaultScript + "feature needs_recovery\n");
  ASSERT_TRUE(img);
  auto t = unpack_bytes(*img);
  NodeId root = only_fs_root(*t);
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  EXPECT_TRUE(any_diag(*t, "ext4.needs_recovery")) << diag_dump(*t);
  ASSERT_NE(t->resolve(root, "/etc/shadow"), kNoNode);
  EXPECT_EQ(content_of(*t, t->resolve(root, "/etc/shadow")), kShadow);
}

TEST_P(Ext4Only, BadInodeChecksumIsReportedAndContentStillRead) {
  auto img = build();
  ASSERT_TRUE(img);
  // "Inode 12 is part of block group 0\n\tlocated at block 35, offset 0x0400"
  std::string where = run_output("debugfs -R 'imap /etc/shadow' '" + image + "' 2>/dev/null");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(where, m, std::regex("block (\\d+), offset (0x[0-9a-f]+)"))) << where;
  std::size_t at = std::stoul(m[1]) * 4096 + std::stoul(m[2], nullptr, 16);
  ASSERT_LT(at + 0x10, img->size());
  (*img)[at + 0x0C] ^= 0x01;  // i_atime: not used, but covered by the checksum
  auto t = unpack_bytes(*img);
  NodeId root = only_fs_root(*t);
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  NodeId shadow = t->resolve(root, "/etc/shadow");
  ASSERT_NE(shadow, kNoNode) << diag_dump(*t);
  EXPECT_TRUE(has_diag(*t, shadow, "ext.checksum")) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, shadow), kShadow);
}

INSTANTIATE_TEST_SUITE_P(Ext4, Ext4Only,
                         ::testing::Values(ExtCase{"ext4_4k", "-t ext4 -b 4096 -N 128", "8M", "ext4"}),
                         [](const auto& info) { return std::string(info.param.name); });

// ext2 has no checksums: names can be edited in place.
TEST(ExtHostile, TraversalNameStaysInsideWithDiagnostic) {
  if (!have_e2fsprogs()) GTEST_SKIP() << "e2fsprogs not installed";
  TempDir work;
  ASSERT_TRUE(work.ok());
  std::string src = work / "root";
  std::filesystem::create_directories(src + "/d");
  ASSERT_TRUE(write_text(src + "/d/XXXXXXXXXXXXXXXXXXXXXXX", "evil\n"));  // 23 chars, renamed below
  std::string image = work / "fs.img";
  ASSERT_TRUE(shell_ok("mke2fs -q -F -t ext2 -b 1024 -N 32 -E root_owner=0:0 -d '" + src + "' '" + image +
                  "' 1M >/dev/null 2>&1"));
  auto img = slurp(image);
  std::string s(img.begin(), img.end());
  auto pos = s.find("XXXXXXXXXXXXXXXXXXXXXXX");
  ASSERT_NE(pos, std::string::npos);
  const std::string hostile = "../../../etc/evil_shado";  // same length
  std::copy(hostile.begin(), hostile.end(), img.begin() + static_cast<std::ptrdiff_t>(pos));
  auto t = unpack_bytes(img);
  NodeId root = only_fs_root(*t);
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  NodeId evil = t->resolve(root, "/etc/evil_shado");
  ASSERT_NE(evil, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(evil).fs_root, root);
  EXPECT_EQ(content_of(*t, evil), "evil\n");
  EXPECT_TRUE(any_diag(*t, "path.traversal")) << diag_dump(*t);
}

TEST(ExtHostile, ProbeRejectsMagicInRandomBytes) {
  std::vector<std::uint8_t> junk(8192, 0x5a);
  junk[1080] = 0x53;
  junk[1081] = 0xEF;
  junk[1082] = 0x01;
  junk[1083] = 0x00;
  const unpack::Unpacker* u = unpack::find("ext");
  ASSERT_NE(u, nullptr);
  EXPECT_FALSE(u->probe(ByteView(junk.data(), junk.size())));
  auto t = unpack_bytes(junk);
  EXPECT_TRUE(regions_of(*t, t->root()).empty()) << diag_dump(*t);
}

}  // namespace
}  // namespace iotaudit
