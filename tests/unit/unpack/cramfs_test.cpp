#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "formats/cramfs.hpp"
#include "unit/support/temp_dir.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;
namespace fs = std::filesystem;

const std::string kShadow = "root:$1$abc$def:19000:0:99999:7:::\nuser:!:19000::::::\n";

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string pattern(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

bool have_tool(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

bool run(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
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

std::uint32_t rd32(const std::vector<std::uint8_t>& b, std::size_t off, Endian e) {
  return load_endian<std::uint32_t>(b.data() + off, e);
}
void wr32(std::vector<std::uint8_t>& b, std::size_t off, std::uint32_t v, Endian e) {
  for (int i = 0; i < 4; ++i) {
    int shift = e == Endian::little ? 8 * i : 8 * (3 - i);
    b[off + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> shift);
  }
}
// Rewrites the data offset (bytes) of the inode at `inode_at`.
void set_offset(std::vector<std::uint8_t>& b, std::size_t inode_at, std::uint64_t offset, Endian e) {
  std::uint32_t w = rd32(b, inode_at + 8, e);
  auto units = static_cast<std::uint32_t>(offset / 4);
  w = e == Endian::little ? (w & 0x3F) | (units << 6) : (w & 0xFC000000u) | units;
  wr32(b, inode_at + 8, w, e);
}
void fix_crc(std::vector<std::uint8_t>& b, Endian e) {
  wr32(b, formats::kCramfsCrcOffset, formats::cramfs_crc(ByteView(b.data(), b.size())), e);
}

std::vector<formats::CramfsDirEntry> root_entries(const std::vector<std::uint8_t>& img) {
  ByteView v(img.data(), img.size());
  auto s = formats::parse_cramfs_super(v);
  std::vector<formats::CramfsDirEntry> out;
  if (s) (void)formats::parse_cramfs_dir(v, s->root, s->endian, out);
  return out;
}

// A directory tree turned into images by mkfs.cramfs (util-linux) and checked against the source
// and against what fsck.cramfs --extract (util-linux) makes of the same image.
class CramfsImage : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_tool("mkfs.cramfs")) GTEST_SKIP() << "mkfs.cramfs (util-linux) not installed";
    ASSERT_TRUE(work.ok());
    src = work / "root";
    for (const char* d : {"", "/etc", "/bin", "/usr/bin", "/home/user", "/dev", "/data", "/empty"})
      fs::create_directories(src + d);
    ASSERT_TRUE(write_text(src + "/etc/shadow", kShadow));
    ::chmod((src + "/etc/shadow").c_str(), 0600);
    ASSERT_TRUE(write_text(src + "/etc/empty", ""));
    ASSERT_TRUE(write_text(src + "/bin/busybox", "#!/bin/sh\necho busybox\n"));
    ::chmod((src + "/bin/busybox").c_str(), 04755);
    ASSERT_TRUE(write_text(src + "/bin/copy", "#!/bin/sh\necho busybox\n"));  // de-duplicated data
    fs::create_symlink("busybox", src + "/bin/sh");
    fs::create_symlink("../../bin/busybox", src + "/usr/bin/wget");
    big = pattern(100 * 1024 + 5, 3) + random_bytes(9000, 4);
    ASSERT_TRUE(write_text(src + "/data/big.bin", big));
    // A sparse file: mkfs.cramfs -z stores its zero pages as holes.
    sparse = std::string(5 * 4096, '\0') + "tail";
    {
      std::ofstream f(src + "/data/sparse", std::ios::binary);
      f.seekp(5 * 4096);
      f << "tail";
    }
    ::chmod((src + "/home/user").c_str(), 0700);
    root = ::geteuid() == 0;
    if (root) {
      ASSERT_EQ(::chown((src + "/etc/shadow").c_str(), 0, 42), 0);
      ASSERT_EQ(::chown((src + "/home/user").c_str(), 1000, 101), 0);
      ASSERT_EQ(::mknod((src + "/dev/console").c_str(), S_IFCHR | 0600, makedev(5, 1)), 0);
      ASSERT_EQ(::mknod((src + "/dev/mtdblock2").c_str(), S_IFBLK | 0640, makedev(31, 2)), 0);
      ASSERT_EQ(::mkfifo((src + "/dev/fifo").c_str(), 0644), 0);
    }
  }

  std::optional<std::vector<std::uint8_t>> build(const std::string& opts) {
    std::string image = work / "image.cramfs";
    fs::remove(image);
    if (!run("mkfs.cramfs " + opts + " '" + src + "' '" + image + "' >'" + (work / "mkfs.log") + "' 2>&1"))
      return std::nullopt;
    return read_bytes(image);
  }

  void expect_contents(const Tree& t, NodeId r) {
    auto get = [&](const char* p) {
      NodeId id = t.resolve(r, p, false);
      EXPECT_NE(id, kNoNode) << p;
      return id;
    };
    NodeId shadow = get("/etc/shadow");
    if (shadow == kNoNode) return;
    EXPECT_EQ(t.at(shadow).mode, static_cast<std::uint32_t>(S_IFREG | 0600));
    EXPECT_EQ(content_of(t, shadow), kShadow);
    NodeId bb = get("/bin/busybox");
    EXPECT_EQ(t.at(bb).mode, static_cast<std::uint32_t>(S_IFREG | 04755));
    EXPECT_EQ(content_of(t, get("/bin/copy")), "#!/bin/sh\necho busybox\n");
    EXPECT_EQ(t.at(get("/bin/sh")).link_target, "busybox");
    EXPECT_EQ(t.at(get("/bin/sh")).type, NodeType::symlink);
    EXPECT_EQ(t.at(get("/usr/bin/wget")).link_target, "../../bin/busybox");
    NodeId home = get("/home/user");
    EXPECT_EQ(t.at(home).mode, static_cast<std::uint32_t>(S_IFDIR | 0700));
    EXPECT_EQ(t.at(get("/empty")).type, NodeType::directory);
    EXPECT_EQ(t.at(get("/etc/empty")).size, 0u);
    NodeId bigf = get("/data/big.bin");
    EXPECT_EQ(t.at(bigf).size, big.size());
    EXPECT_TRUE(content_of(t, bigf) == big);
    EXPECT_TRUE(content_of(t, get("/data/sparse")) == sparse);
    if (root) {
      EXPECT_EQ(t.at(shadow).gid, 42u);
      EXPECT_EQ(t.at(home).uid, 1000u);
      EXPECT_EQ(t.at(home).gid, 101u);
      NodeId console = get("/dev/console");
      EXPECT_EQ(t.at(console).type, NodeType::char_device);
      EXPECT_EQ(t.at(console).mode, static_cast<std::uint32_t>(S_IFCHR | 0600));
      EXPECT_EQ(t.at(console).rdev_major, 5u);
      EXPECT_EQ(t.at(console).rdev_minor, 1u);
      NodeId mtd = get("/dev/mtdblock2");
      EXPECT_EQ(t.at(mtd).type, NodeType::block_device);
      EXPECT_EQ(t.at(mtd).rdev_major, 31u);
      EXPECT_EQ(t.at(mtd).rdev_minor, 2u);
      EXPECT_EQ(t.at(get("/dev/fifo")).type, NodeType::fifo);
    }
  }

  // Every entry fsck.cramfs extracts exists in the tree with the same type, permissions, size,
  // content and link target, and nothing more.
  void expect_same_as_fsck(const Tree& t, NodeId r, const std::vector<std::uint8_t>& img, const char* opts) {
    if (!have_tool("fsck.cramfs") || opts == nullptr) return;
    std::string image = work / "check.cramfs";
    {
      std::ofstream f(image, std::ios::binary);
      f.write(reinterpret_cast<const char*>(img.data()), static_cast<std::streamsize>(img.size()));
    }
    std::string out = work / "fsck-out";
    fs::remove_all(out);
    ASSERT_TRUE(run("fsck.cramfs " + std::string(opts) + " --extract='" + out + "' '" + image + "' >/dev/null 2>&1"));
    std::size_t count = 0;
    for (auto it = fs::recursive_directory_iterator(out); it != fs::recursive_directory_iterator(); ++it) {
      std::string rel = "/" + it->path().lexically_relative(out).string();
      struct stat st {};
      ASSERT_EQ(::lstat(it->path().c_str(), &st), 0);
      NodeId id = t.resolve(r, rel, false);
      ASSERT_NE(id, kNoNode) << rel;
      ++count;
      const Node& n = t.at(id);
      EXPECT_EQ(n.mode & 07777, st.st_mode & 07777) << rel;
      EXPECT_EQ(n.mode & S_IFMT, st.st_mode & S_IFMT) << rel;
      if (S_ISREG(st.st_mode)) {
        EXPECT_EQ(n.size, static_cast<std::uint64_t>(st.st_size)) << rel;
        std::string want = read_text(it->path().string());
        EXPECT_TRUE(content_of(t, id) == want) << rel;
      }
      if (S_ISLNK(st.st_mode)) EXPECT_EQ(n.link_target, fs::read_symlink(it->path()).string()) << rel;
      if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        EXPECT_EQ(n.rdev_major, major(st.st_rdev)) << rel;
        EXPECT_EQ(n.rdev_minor, minor(st.st_rdev)) << rel;
      }
    }
    std::size_t ours = 0;
    for (NodeId id = 0; id < t.size(); ++id)
      if (t.at(id).fs_root == r && id != r) ++ours;
    EXPECT_EQ(ours, count);
  }

  TempDir work;
  std::string src, big, sparse;
  bool root = false;
};

struct Variant {
  const char* name;
  const char* opts;
  Endian endian;
  const char* fsck_opts;  // nullptr: fsck.cramfs cannot read it (it refuses the holes flag)
};

class CramfsVariants : public CramfsImage, public ::testing::WithParamInterface<Variant> {};

TEST_P(CramfsVariants, ExtractsEveryEntryLikeFsckCramfs) {
  auto img = build(GetParam().opts);
  ASSERT_TRUE(img) << read_text(work / "mkfs.log");
  ASSERT_EQ(rd32(*img, 0, GetParam().endian), formats::kCramfsMagic);
  auto t = unpack_bytes(*img);
  NodeId region = only_region(*t, "cramfs");
  ASSERT_NE(region, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(region).origin.length, rd32(*img, 4, GetParam().endian));
  NodeId r = fs_root_of(*t, region);
  ASSERT_NE(r, kNoNode);
  expect_contents(*t, r);
  expect_same_as_fsck(*t, r, *img, GetParam().fsck_opts);
  for (NodeId id = 0; id < t->size(); ++id)
    for (const auto& d : t->at(id).diagnostics)
      EXPECT_EQ(d.code, "cramfs.block_size") << d.message;  // informational only
}

INSTANTIATE_TEST_SUITE_P(All, CramfsVariants,
                         ::testing::Values(Variant{"little", "-N little", Endian::little, ""},
                                           Variant{"big", "-N big", Endian::big, ""},
                                           Variant{"little_holes", "-N little -z", Endian::little, nullptr},
                                           Variant{"big_holes", "-N big -z", Endian::big, nullptr},
                                           Variant{"little_8k_blocks", "-N little -b 8192", Endian::little, "-b 8192"},
                                           Variant{"big_16k_blocks", "-N big -b 16384", Endian::big, "-b 16384"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(CramfsImage, HolesAreStoredAsEmptyBlocks) {
  auto img = build("-N little -z");
  ASSERT_TRUE(img) << read_text(work / "mkfs.log");
  auto plain = build("-N little");
  ASSERT_TRUE(plain);
  EXPECT_LT(img->size(), plain->size() + 4096);
  ByteView v(img->data(), img->size());
  auto s = formats::parse_cramfs_super(v);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->flags & formats::cramfs_flag::kHoles);
}

TEST_F(CramfsImage, CarvedFromABlobWithTheExtentOfItsSize) {
  auto img = build("-N big");
  ASSERT_TRUE(img);
  std::string pre = random_bytes(3000, 5), post = random_bytes(5000, 6);
  std::vector<std::uint8_t> blob(pre.begin(), pre.end());
  blob.resize(0x1000, 0xFF);
  blob.insert(blob.end(), img->begin(), img->end());
  blob.insert(blob.end(), post.begin(), post.end());
  auto t = unpack_bytes(blob);
  NodeId region = only_region(*t, "cramfs");
  ASSERT_NE(region, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(region).name, "cramfs@0x1000");
  EXPECT_EQ(t->at(region).origin.length, img->size());
  expect_contents(*t, fs_root_of(*t, region));
}

TEST_F(CramfsImage, TruncatedImagesGivePartialTreesAndDiagnostics) {
  auto img = build("-N little");
  ASSERT_TRUE(img);
  int partial = 0;
  for (int i = 1; i <= 20; ++i) {
    std::size_t cut = img->size() * static_cast<std::size_t>(i) / 21;
    std::vector<std::uint8_t> part(img->begin(), img->begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);
    NodeId region = only_region(*t, "cramfs");
    if (region == kNoNode) continue;  // cut inside the root directory: no longer a cramfs
    ASSERT_NE(fs_root_of(*t, region), kNoNode);
    EXPECT_TRUE(has_diag(*t, region, "cramfs.truncated")) << "cut at " << cut;
    if (!t->at(fs_root_of(*t, region)).children.empty()) ++partial;
  }
  EXPECT_GT(partial, 15);
}

TEST_F(CramfsImage, CrcMismatchIsReported) {
  auto img = build("-N little");
  ASSERT_TRUE(img);
  auto bad = *img;
  bad[bad.size() - 10] ^= 0x55;
  auto t = unpack_bytes(bad);
  NodeId region = only_region(*t, "cramfs");
  ASSERT_NE(region, kNoNode);
  EXPECT_TRUE(has_diag(*t, region, "cramfs.crc")) << diag_dump(*t);
  auto clean = unpack_bytes(*img);
  EXPECT_FALSE(any_diag(*clean, "cramfs.crc"));
}

TEST_F(CramfsImage, DirectoryCyclesAreNotFollowed) {
  for (Endian e : {Endian::little, Endian::big}) {
    auto img = build(e == Endian::little ? "-N little" : "-N big");
    ASSERT_TRUE(img);
    auto s = formats::parse_cramfs_super(ByteView(img->data(), img->size()));
    ASSERT_TRUE(s);
    // /etc now points at the root directory's entries: /etc/etc/etc/... without the guard.
    for (const auto& de : root_entries(*img))
      if (de.name == "etc") set_offset(*img, de.entry_offset, s->root.offset, e);
    fix_crc(*img, e);
    auto t = unpack_bytes(*img);
    NodeId region = only_region(*t, "cramfs");
    ASSERT_NE(region, kNoNode);
    EXPECT_TRUE(any_diag(*t, "cramfs.cycle")) << diag_dump(*t);
    EXPECT_LT(t->size(), 200u);
    EXPECT_EQ(diag_dump(*t).find("cramfs.crc"), std::string::npos);
  }
}

TEST_F(CramfsImage, HostileNamesAndPointersStayContained) {
  auto img = build("-N little");
  ASSERT_TRUE(img);
  auto entries = root_entries(*img);
  for (const auto& de : entries) {
    std::size_t name_at = de.entry_offset + 12;
    if (de.name == "bin") {  // "bin\0" -> "..\0\0"
      (*img)[name_at] = '.';
      (*img)[name_at + 1] = '.';
      (*img)[name_at + 2] = 0;
    }
    if (de.name == "data") set_offset(*img, de.entry_offset, 0x3FFFFFC, Endian::little);  // far beyond
  }
  auto t = unpack_bytes(*img);
  NodeId region = only_region(*t, "cramfs");
  ASSERT_NE(region, kNoNode);
  NodeId r = fs_root_of(*t, region);
  EXPECT_TRUE(has_diag(*t, r, "path.traversal")) << diag_dump(*t);
  EXPECT_EQ(t->resolve(r, "/bin/busybox"), kNoNode);
  NodeId data = t->resolve(r, "/data");
  ASSERT_NE(data, kNoNode);
  EXPECT_TRUE(has_diag(*t, data, "cramfs.truncated")) << diag_dump(*t);
  EXPECT_NE(t->resolve(r, "/etc/shadow"), kNoNode);
}

TEST_F(CramfsImage, CorruptedBytesNeverCrash) {
  auto img = build("-N big");
  ASSERT_TRUE(img);
  std::mt19937 rng(7);
  for (int round = 0; round < 40; ++round) {
    auto bad = *img;
    for (int k = 0; k < 1 + round; ++k) bad[76 + rng() % (bad.size() - 76)] = static_cast<std::uint8_t>(rng());
    auto t = unpack_bytes(bad);
    ASSERT_NE(t->root(), kNoNode);
  }
}

TEST(CramfsFormat, ProbeValidatesTheSuperblock) {
  const unpack::Unpacker* u = unpack::find("cramfs");
  ASSERT_NE(u, nullptr);
  std::vector<std::uint8_t> sb(76, 0);
  wr32(sb, 0, formats::kCramfsMagic, Endian::little);
  wr32(sb, 4, 76, Endian::little);
  wr32(sb, 8, formats::cramfs_flag::kFsidV2, Endian::little);
  std::string sig = "Compressed ROMFS";
  std::copy(sig.begin(), sig.end(), sb.begin() + 16);
  wr32(sb, 64, S_IFDIR | 0755, Endian::little);
  auto p = u->probe(ByteView(sb.data(), sb.size()));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->length, 76u);
  EXPECT_FALSE(p->unsupported);
  auto nosig = sb;
  nosig[20] = 'x';
  EXPECT_FALSE(u->probe(ByteView(nosig.data(), nosig.size())));
  auto file_root = sb;
  wr32(file_root, 64, S_IFREG | 0644, Endian::little);
  EXPECT_FALSE(u->probe(ByteView(file_root.data(), file_root.size())));
  auto flags = sb;
  wr32(flags, 8, 0x10000 | formats::cramfs_flag::kFsidV2, Endian::little);
  auto pf = u->probe(ByteView(flags.data(), flags.size()));
  ASSERT_TRUE(pf);
  EXPECT_TRUE(pf->unsupported);
  auto tiny = sb;
  wr32(tiny, 4, 10, Endian::little);
  EXPECT_FALSE(u->probe(ByteView(tiny.data(), tiny.size())));
}

}  // namespace
}  // namespace iotaudit
