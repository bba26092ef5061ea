// Big-endian SquashFS 4.0 ("squashfs-be"). No Debian tool writes such images, so a small writer in
// the test support builds them (unit/support/squashfs4_writer.hpp). The writer is validated on its
// little-endian output, which unsquashfs lists and libsquashfs (the "squashfs" unpacker) reads;
// the big-endian output of the same tree must then come out identically through the new reader.
// The reader is byte-order neutral, so it is also run on little-endian images made by mksquashfs
// with every compressor and compared with libsquashfs.
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "formats/squashfs4.hpp"
#include "unit/support/squashfs4_writer.hpp"
#include "unit/support/squashfs_image.hpp"
#include "unit/support/temp_dir.hpp"
#include "unit/support/tools.hpp"
#include "unit/support/unpack_util.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit {
namespace {

using namespace test;
using sq4::Entry;

std::string pattern(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 20);
  return s;
}

// Every entry type and the corner cases of file data: blocks plus a fragment tail, an exact block,
// an empty file, holes before a tail and between data blocks, a hard link, device numbers whose
// minor needs more than 8 bits.
std::vector<Entry> sample_tree() {
  return {
      {"/bin", 'd', 0755, 0, 0, 1200000001},
      {"/bin/busybox", 'f', 04755, 0, 0, 1200000002, pattern(4096 * 3 + 1000, 1)},
      {"/bin/sh", 'l', 0777, 0, 0, 1200000003, "busybox"},
      {"/dev", 'd', 0755, 0, 0, 1200000004},
      {"/dev/console", 'c', 0600, 0, 5, 1200000005, "", 0, 5, 1},
      {"/dev/mtdblock0", 'b', 0640, 0, 6, 1200000006, "", 0, 31, 0},
      {"/dev/wide", 'c', 0660, 0, 6, 1200000007, "", 0, 4000, 0x12345},
      {"/dev/initctl", 'p', 0600, 0, 0, 1200000008},
      {"/dev/log", 's', 0666, 0, 0, 1200000009},
      {"/empty", 'd', 0700, 1000, 100, 1200000010},
      {"/etc", 'd', 0755, 0, 0, 1200000011},
      {"/etc/passwd", 'f', 0644, 0, 0, 1200000012, "root:x:0:0:root:/root:/bin/sh\n"},
      {"/etc/passwd.bak", 'h', 0644, 0, 0, 0, "/etc/passwd"},
      {"/etc/empty.conf", 'f', 0600, 1000, 100, 1200000013, ""},
      {"/etc/exact", 'f', 0644, 1000, 1000, 1200000014, pattern(4096, 2)},
      {"/etc/sparse", 'f', 0644, 65534, 65534, 1200000015, "tail", 4096 * 2},
      {"/etc/holey", 'f', 0640, 0, 0, 1200000016,
       std::string(4096, 'A') + std::string(4096, '\0') + std::string(5000, 'B')},
      {"/etc/" + std::string(200, 'n'), 'f', 0644, 0, 0, 1200000017, "long name\n"},
      {"/var", 'd', 01777, 0, 0, 1200000018},
      {"/var/run", 'l', 0777, 0, 0, 1200000019, "/tmp"},
  };
}

// ---- running unpackers -----------------------------------------------------------------------

struct Extracted {
  std::unique_ptr<Tree> tree;
  NodeId region = kNoNode, root = kNoNode;
  NodeId at(std::string_view path) const { return tree->resolve(root, path, /*follow_last=*/false); }
};

// Through the engine, as a scan does; picks the region of format `format`.
Extracted via_engine(std::vector<std::uint8_t> img, const std::string& format, const Limits& limits = {}) {
  Extracted x;
  x.tree = unpack_bytes(std::move(img), limits);
  for (NodeId r : all_regions(*x.tree))
    if (x.tree->at(r).format == format) {
      x.region = r;
      x.root = fs_root_of(*x.tree, r);
      break;
    }
  return x;
}

// One unpacker's unpack() alone (no probe), the way the engine calls it.
Extracted direct(const std::string& id, std::vector<std::uint8_t> img, const Limits& limits = {}) {
  Extracted x;
  x.tree = std::make_unique<Tree>();
  unpack::Budget budget(limits);
  BlobPtr blob = make_blob(std::move(img));
  Node image;
  image.name = "img";
  image.type = NodeType::image;
  image.size = blob->view().size();
  image.content = blob;
  NodeId image_id = x.tree->add(std::move(image));
  Node r;
  r.parent = image_id;
  r.name = id + "@0x0";
  r.type = NodeType::region;
  r.format = id;
  r.origin = {image_id, 0, blob->view().size(), id};
  r.content = blob;
  r.size = blob->view().size();
  x.region = x.tree->add(std::move(r));
  unpack::Context ctx{*x.tree, budget, x.region, blob, nullptr};
  auto rc = unpack::find(id)->unpack(ctx);
  if (!rc) x.tree->add_diagnostic(x.region, {Severity::medium, id + ".error", rc.error().message});
  x.tree->finalize();
  x.root = fs_root_of(*x.tree, x.region);
  return x;
}

// Every node of a filesystem as one line of text: what must agree between two readers.
std::map<std::string, std::string> snapshot(const Tree& t, NodeId root) {
  std::map<std::string, std::string> out;
  std::vector<std::pair<NodeId, std::string>> stack{{root, "/"}};
  while (!stack.empty()) {
    auto [id, path] = stack.back();
    stack.pop_back();
    const Node& n = t.at(id);
    std::string content;
    if (n.type == NodeType::file && n.content) {
      ByteView v = n.content->view();
      std::uint64_t h = 1469598103934665603ull;  // FNV-1a
      for (std::size_t i = 0; i < v.size(); ++i) h = (h ^ v.data()[i]) * 1099511628211ull;
      content = fmt::format("{}:{:016x}", v.size(), h);
    }
    out[path] = fmt::format("type={} mode={:o} uid={} gid={} mtime={} size={} rdev={},{} link='{}' content={}",
                            static_cast<int>(n.type), n.mode, n.uid, n.gid, n.mtime, n.size, n.rdev_major,
                            n.rdev_minor, n.link_target, content);
    for (NodeId c : n.children)
      stack.emplace_back(c, path == "/" ? "/" + t.at(c).name : path + "/" + t.at(c).name);
  }
  return out;
}

std::string diff(const std::map<std::string, std::string>& a, const std::map<std::string, std::string>& b) {
  std::string s;
  for (const auto& [k, v] : a)
    if (auto it = b.find(k); it == b.end()) s += "only first:  " + k + " " + v + "\n";
    else if (it->second != v) s += "differs:     " + k + "\n   " + v + "\n   " + it->second + "\n";
  for (const auto& [k, v] : b)
    if (!a.contains(k)) s += "only second: " + k + " " + v + "\n";
  return s;
}

std::string entry_content(const Entry& e) { return std::string(e.zeros, '\0') + e.data; }

// The sample tree as extracted, checked field by field against what was written.
void expect_sample(const Extracted& x, const std::string& label) {
  const Tree& t = *x.tree;
  ASSERT_NE(x.root, kNoNode) << label << "\n" << diag_dump(t);
  SCOPED_TRACE(label);
  EXPECT_EQ(t.at(x.root).mode, S_IFDIR | 0755u);
  EXPECT_EQ(t.at(x.root).mtime, 1250000000);
  for (const Entry& e : sample_tree()) {
    NodeId id = x.at(e.path);
    ASSERT_NE(id, kNoNode) << e.path << "\n" << diag_dump(t);
    const Node& n = t.at(id);
    SCOPED_TRACE(e.path);
    if (e.kind == 'h') {
      EXPECT_EQ(n.type, NodeType::hardlink);
      EXPECT_EQ(n.link_target, e.data);
      continue;
    }
    EXPECT_EQ(n.uid, e.uid);
    EXPECT_EQ(n.gid, e.gid);
    EXPECT_EQ(n.mtime, e.mtime);
    switch (e.kind) {
      case 'd': EXPECT_EQ(n.type, NodeType::directory); EXPECT_EQ(n.mode, S_IFDIR | e.mode); break;
      case 'f':
        EXPECT_EQ(n.type, NodeType::file);
        EXPECT_EQ(n.mode, S_IFREG | e.mode);
        EXPECT_EQ(n.size, entry_content(e).size());
        EXPECT_EQ(content_of(t, id), entry_content(e));
        break;
      case 'l':
        EXPECT_EQ(n.type, NodeType::symlink);
        EXPECT_EQ(n.mode, S_IFLNK | e.mode);
        EXPECT_EQ(n.link_target, e.data);
        break;
      case 'c': case 'b':
        EXPECT_EQ(n.type, e.kind == 'c' ? NodeType::char_device : NodeType::block_device);
        EXPECT_EQ(n.mode, (e.kind == 'c' ? S_IFCHR : S_IFBLK) | e.mode);
        EXPECT_EQ(n.rdev_major, e.major);
        EXPECT_EQ(n.rdev_minor, e.minor);
        break;
      case 'p': EXPECT_EQ(n.type, NodeType::fifo); EXPECT_EQ(n.mode, S_IFIFO | e.mode); break;
      case 's': EXPECT_EQ(n.type, NodeType::socket); EXPECT_EQ(n.mode, S_IFSOCK | e.mode); break;
    }
  }
  EXPECT_EQ(t.at(x.at("/empty")).children.size(), 0u);
  EXPECT_EQ(t.at(x.at("/etc")).children.size(), 7u);
}

// ---- unsquashfs listing of the writer's little-endian output ---------------------------------

std::string perms(char kind, std::uint32_t mode) {
  std::string s = "----------";
  s[0] = kind == 'f' || kind == 'h' ? '-' : kind == 'p' ? 'p' : kind;
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i)
    if (mode & (0400u >> i)) s[static_cast<std::size_t>(1 + i)] = rwx[i];
  if (mode & 04000) s[3] = (mode & 0100) ? 's' : 'S';
  if (mode & 02000) s[6] = (mode & 0010) ? 's' : 'S';
  if (mode & 01000) s[9] = (mode & 0001) ? 't' : 'T';
  return s;
}

std::string utc_minute(std::uint32_t t) {
  std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

// Parses `unsquashfs -lln -UTC` (the -lls listing with numeric owners, which do not depend on the
// host's user database): path -> "perms uid/gid size-or-device date [-> target]".
std::map<std::string, std::string> parse_listing(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<std::string> tok;
    for (std::string w; ls >> w;) tok.push_back(w);
    if (tok.size() < 6) continue;
    std::size_t i = 2;
    std::string size;
    if ((tok[0][0] == 'c' || tok[0][0] == 'b') && tok[2].ends_with(",")) {  // "5,  1"
      size = tok[2] + tok[3];
      i = 4;
    } else {  // sizes, and wide device numbers printed without a space ("4000,74565")
      size = tok[2];
      i = 3;
    }
    if (tok.size() < i + 3) continue;
    std::string path = tok[i + 2];
    if (!path.starts_with("squashfs-root")) continue;
    path = path.substr(13);
    if (path.empty()) path = "/";
    std::string v = tok[0] + " " + tok[1] + " " + (tok[0][0] == 'd' ? "-" : size) + " " + tok[i] + " " + tok[i + 1];
    if (tok.size() >= i + 5 && tok[i + 3] == "->") v += " -> " + tok[i + 4];
    out[path] = v;
  }
  return out;
}

std::map<std::string, std::string> expected_listing(const sq4::Options& o) {
  std::map<std::string, std::string> out;
  out["/"] = perms('d', o.root_mode) + fmt::format(" {}/{} - ", o.root_uid, o.root_gid) + utc_minute(o.root_mtime);
  std::map<std::string, Entry> by_path;
  for (const Entry& e : sample_tree()) by_path[e.path] = e;
  for (const Entry& e0 : sample_tree()) {
    const Entry& e = e0.kind == 'h' ? by_path.at(e0.data) : e0;
    // unsquashfs -lln prints a device as (word >> 8, word & 0xff) of the 32-bit inode field,
    // which differs from the real numbers once the minor exceeds 255 (the kernel and libsquashfs
    // decode it as Linux new_encode_dev wrote it; the reader is compared with them elsewhere).
    const std::uint32_t word = (e.major << 8) | (e.minor & 0xffu) | ((e.minor & ~0xffu) << 12);
    std::string size = e.kind == 'c' || e.kind == 'b' ? fmt::format("{},{}", word >> 8, word & 0xffu)
                       : e.kind == 'd'                 ? "-"
                       : e.kind == 'f'                 ? std::to_string(entry_content(e).size())
                       : e.kind == 'l'                 ? std::to_string(e.data.size())
                                                       : "0";
    std::string v = perms(e.kind, e.mode) + fmt::format(" {}/{} {} ", e.uid, e.gid, size) + utc_minute(e.mtime);
    if (e.kind == 'l') v += " -> " + e.data;
    out[e0.path] = v;
  }
  return out;
}

// ---- writer variants ---------------------------------------------------------------------------

struct Variant {
  std::string name;
  bool compress = false, fragments = true, extended = false;
  std::uint32_t block_size = 4096;
};

sq4::Options options(const Variant& v, bool big) {
  sq4::Options o;
  o.big_endian = big;
  o.compress_data = v.compress;
  o.fragments = v.fragments;
  o.extended = v.extended;
  o.block_size = v.block_size;
  return o;
}

class SquashfsBeVariants : public ::testing::TestWithParam<Variant> {};

// The writer's little-endian image is what unsquashfs lists, and what libsquashfs extracts.
TEST_P(SquashfsBeVariants, WriterLittleEndianOutputIsReadByUnsquashfsAndLibsquashfs) {
  if (!have_tool("unsquashfs")) GTEST_SKIP() << "unsquashfs (squashfs-tools) not installed";
  const Variant& v = GetParam();
  sq4::Writer w(options(v, false));
  auto img = w.build(sample_tree());
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir / "le.sqfs";
  ASSERT_TRUE(write_bytes(path, img));
  const std::string listing = dir / "listing.txt";
  ASSERT_TRUE(run("unsquashfs -lln -UTC '" + path + "' > '" + listing + "'")) << read_text(listing);
  auto got = parse_listing(read_text(listing));
  auto want = expected_listing(options(v, false));
  EXPECT_EQ(got, want) << diff(want, got) << read_text(listing);

  // unsquashfs extracts the same bytes (devices may need privileges; only files are compared).
  (void)run("unsquashfs -no-xattrs -d '" + (dir / "out") + "' '" + path + "'");
  for (const Entry& e : sample_tree()) {
    if (e.kind != 'f') continue;
    EXPECT_EQ(read_text(dir / ("out" + e.path)), entry_content(e)) << e.path;
  }

  auto le = via_engine(img, "squashfs");
  EXPECT_FALSE(any_diag(*le.tree, "squashfs.")) << diag_dump(*le.tree);
  expect_sample(le, v.name + " libsquashfs");
}

// The same tree written big-endian comes out of squashfs-be exactly as libsquashfs reads the
// little-endian one.
TEST_P(SquashfsBeVariants, BigEndianImageMatchesLibsquashfsOnTheLittleEndianTwin) {
  const Variant& v = GetParam();
  auto le_img = sq4::Writer(options(v, false)).build(sample_tree());
  auto be_img = sq4::Writer(options(v, true)).build(sample_tree());
  ASSERT_EQ(le_img.size(), be_img.size());
  auto le = via_engine(le_img, "squashfs");
  auto be = via_engine(be_img, "squashfs-be");
  ASSERT_NE(le.root, kNoNode) << diag_dump(*le.tree);
  ASSERT_NE(be.root, kNoNode) << diag_dump(*be.tree);
  expect_sample(be, v.name + " squashfs-be");
  EXPECT_FALSE(any_diag(*be.tree, "squashfs-be.")) << diag_dump(*be.tree);
  EXPECT_FALSE(any_diag(*be.tree, "squashfs.unsupported")) << diag_dump(*be.tree);
  auto a = snapshot(*le.tree, le.root), b = snapshot(*be.tree, be.root);
  EXPECT_EQ(a.size(), sample_tree().size() + 1);
  EXPECT_EQ(a, b) << diff(a, b);
  // The region covers the image, and its probe states the extent.
  EXPECT_EQ(be.tree->at(be.region).size, be_img.size());
  // The reader is byte-order neutral: on the little-endian twin it agrees as well.
  auto le_direct = direct("squashfs-be", le_img);
  ASSERT_NE(le_direct.root, kNoNode) << diag_dump(*le_direct.tree);
  EXPECT_EQ(a, snapshot(*le_direct.tree, le_direct.root));
}

INSTANTIATE_TEST_SUITE_P(All, SquashfsBeVariants,
                         ::testing::Values(Variant{"stored"}, Variant{"gzip", true},
                                           Variant{"gzip_no_fragments", true, false},
                                           Variant{"extended_inodes", false, true, true},
                                           Variant{"gzip_64k_blocks", true, true, false, 65536}),
                         [](const auto& info) { return info.param.name; });

TEST(SquashfsBe, ManyEntriesSpanSeveralMetadataBlocks) {
  std::vector<Entry> entries{{"/d", 'd', 0755, 0, 0, 1}};
  for (int i = 0; i < 700; ++i)
    entries.push_back({fmt::format("/d/file{:04}", i), 'f', 0644, static_cast<std::uint32_t>(i % 3), 7,
                       static_cast<std::uint32_t>(1000 + i), fmt::format("content {}\n", i)});
  sq4::Options o;
  o.big_endian = true;
  sq4::Writer w(o);
  auto img = w.build(entries);
  ASSERT_GT(w.layout.dir_start - w.layout.inode_start, 2u * 8192);  // several inode blocks
  ASSERT_GT(w.layout.fragment_table - w.layout.dir_start, 8192u);   // and directory blocks
  auto x = via_engine(img, "squashfs-be");
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  EXPECT_FALSE(any_diag(*x.tree, "squashfs-be.")) << diag_dump(*x.tree);
  EXPECT_EQ(x.tree->at(x.at("/d")).children.size(), 700u);
  for (int i : {0, 1, 255, 256, 350, 699}) {
    NodeId id = x.at(fmt::format("/d/file{:04}", i));
    ASSERT_NE(id, kNoNode) << i;
    EXPECT_EQ(content_of(*x.tree, id), fmt::format("content {}\n", i));
    EXPECT_EQ(x.tree->at(id).uid, static_cast<std::uint32_t>(i % 3));
    EXPECT_EQ(x.tree->at(id).mtime, 1000 + i);
  }
}

// Little-endian images from mksquashfs, every compressor, compressed metadata, directory indexes:
// squashfs-be's reader on them must agree with libsquashfs, which validates its block decoders.
TEST(SquashfsBe, ReaderAgreesWithLibsquashfsOnMksquashfsImagesForEveryCompressor) {
  if (!have_mksquashfs()) GTEST_SKIP() << "mksquashfs not installed";
  TempDir work;
  ASSERT_TRUE(work.ok());
  namespace fs = std::filesystem;
  const std::string src = work / "root";
  fs::create_directories(src + "/etc");
  fs::create_directories(src + "/bin");
  fs::create_directories(src + "/many/sub");
  ASSERT_TRUE(write_text(src + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"));
  ASSERT_TRUE(write_text(src + "/bin/busybox", pattern(200 * 1024 + 33, 5)));
  ASSERT_EQ(::link((src + "/etc/passwd").c_str(), (src + "/etc/passwd.bak").c_str()), 0);
  fs::create_symlink("busybox", src + "/bin/sh");
  ASSERT_EQ(::mkfifo((src + "/bin/fifo").c_str(), 0600), 0);
  for (int i = 0; i < 400; ++i)
    ASSERT_TRUE(write_text(src + fmt::format("/many/entry-with-a-longish-name-{:04}", i), pattern(i * 7 % 300, i)));
  ASSERT_TRUE(run("truncate -s 300000 '" + src + "/many/sub/sparse' && printf end >> '" + src + "/many/sub/sparse'"));
  const std::string pseudo = "dev d 755 0 0\ndev/console c 600 0 5 5 1\ndev/wide b 640 0 6 300 70000\n";
  for (const std::string comp : {"gzip", "lzma", "lzo", "xz -Xbcj x86", "lz4 -Xhc", "zstd"}) {
    SCOPED_TRACE(comp);
    auto img = mksquashfs(work, src, pseudo, "-comp " + comp + " -b 65536");
    ASSERT_TRUE(img.has_value()) << read_text(work / "mksquashfs.log");
    auto lib = via_engine(*img, "squashfs");
    ASSERT_NE(lib.root, kNoNode) << diag_dump(*lib.tree);
    auto ours = direct("squashfs-be", *img);
    ASSERT_NE(ours.root, kNoNode) << diag_dump(*ours.tree);
    EXPECT_FALSE(any_diag(*ours.tree, "squashfs-be.")) << diag_dump(*ours.tree);
    auto a = snapshot(*lib.tree, lib.root), b = snapshot(*ours.tree, ours.root);
    EXPECT_GT(a.size(), 400u);
    EXPECT_EQ(a, b) << diff(a, b);
    EXPECT_EQ(ours.tree->at(ours.at("/etc/passwd.bak")).type, NodeType::hardlink);
    EXPECT_EQ(ours.tree->at(ours.at("/many/sub/sparse")).size, 300003u);
  }
}

// ---- probe order -------------------------------------------------------------------------------

TEST(SquashfsBe, ProbesHandBigEndianToSquashfsBeAndLittleEndianToSquashfs) {
  sq4::Options o;
  o.big_endian = true;
  auto be = sq4::Writer(o).build(sample_tree());
  o.big_endian = false;
  auto le = sq4::Writer(o).build(sample_tree());
  ByteView bv(be.data(), be.size()), lv(le.data(), le.size());
  const auto* sq = unpack::find("squashfs");
  const auto* sbe = unpack::find("squashfs-be");
  const auto* legacy = unpack::find("squashfs-legacy");
  ASSERT_NE(sbe, nullptr);
  auto declined = sq->probe(bv);
  ASSERT_FALSE(declined);
  EXPECT_NE(declined.error().message.find("squashfs-be"), std::string::npos) << declined.error().message;
  EXPECT_FALSE(legacy->probe(bv));
  auto p = sbe->probe(bv);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->length, be.size());
  EXPECT_FALSE(p->unsupported.has_value());
  EXPECT_NE(p->detail.find("big-endian"), std::string::npos) << p->detail;

  auto le_declined = sbe->probe(lv);
  ASSERT_FALSE(le_declined);
  EXPECT_NE(le_declined.error().message.find("read by squashfs"), std::string::npos);
  EXPECT_TRUE(sq->probe(lv));

  // Through the engine: one region each, of the right format.
  auto tb = unpack_bytes(be);
  ASSERT_EQ(all_regions(*tb).size(), 1u) << diag_dump(*tb);
  EXPECT_EQ(tb->at(all_regions(*tb).front()).format, "squashfs-be");
  auto tl = unpack_bytes(le);
  ASSERT_EQ(all_regions(*tl).size(), 1u) << diag_dump(*tl);
  EXPECT_EQ(tl->at(all_regions(*tl).front()).format, "squashfs");
}

TEST(SquashfsBe, CarvedFromTheMiddleOfABlob) {
  sq4::Options o;
  o.big_endian = true;
  o.compress_data = true;
  auto fs = sq4::Writer(o).build(sample_tree());
  std::vector<std::uint8_t> blob(0x1000, 0xff);
  blob.insert(blob.end(), fs.begin(), fs.end());
  blob.resize(blob.size() + 0x2000, 0xff);
  auto x = via_engine(blob, "squashfs-be");
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  EXPECT_EQ(x.tree->at(x.region).origin.offset, 0x1000u);
  EXPECT_EQ(x.tree->at(x.region).size, fs.size());
  EXPECT_EQ(content_of(*x.tree, x.at("/bin/busybox")), pattern(4096 * 3 + 1000, 1));
}

TEST(SquashfsBe, RandomDataIsNotProbed) {
  const auto* u = unpack::find("squashfs-be");
  std::mt19937 rng(42);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::uint8_t> b(512);
    for (auto& c : b) c = static_cast<std::uint8_t>(rng());
    std::copy_n("sqsh", 4, b.begin());
    if (i % 2) {  // a 4.0 version field does not make the rest plausible
      b[28] = 0;
      b[29] = 4;
      b[30] = b[31] = 0;
    }
    accepted += u->probe(ByteView(b.data(), b.size())) ? 1 : 0;
  }
  EXPECT_EQ(accepted, 0);
  std::vector<std::uint8_t> noise(256 * 1024);
  for (auto& c : noise) c = static_cast<std::uint8_t>(rng());
  auto t = unpack_bytes(noise);
  for (NodeId r : all_regions(*t)) EXPECT_NE(t->at(r).format, "squashfs-be");
}

// ---- damaged and hostile images ------------------------------------------------------------------

TEST(SquashfsBe, TruncationGivesPartialResultsAndDiagnostics) {
  sq4::Options o;
  o.big_endian = true;
  sq4::Writer w(o);
  auto img = w.build(sample_tree());
  for (std::size_t cut = 4; cut < img.size(); cut += 37) {
    SCOPED_TRACE(cut);
    std::vector<std::uint8_t> part(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(cut));
    auto x = via_engine(part, "squashfs-be");
    if (cut < formats::kSq4SuperSize) {
      EXPECT_EQ(x.region, kNoNode);
      continue;
    }
    ASSERT_NE(x.region, kNoNode) << diag_dump(*x.tree);
    EXPECT_TRUE(has_diag(*x.tree, x.region, "squashfs-be.truncated")) << diag_dump(*x.tree);
  }
  // Cut at the id table's index: every file and its content is there, owners are not.
  std::vector<std::uint8_t> part(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(w.layout.id_table));
  auto x = via_engine(part, "squashfs-be");
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  EXPECT_EQ(content_of(*x.tree, x.at("/etc/passwd")), "root:x:0:0:root:/root:/bin/sh\n");
  EXPECT_EQ(content_of(*x.tree, x.at("/bin/busybox")), pattern(4096 * 3 + 1000, 1));
  EXPECT_TRUE(any_diag(*x.tree, "squashfs-be.id_table")) << diag_dump(*x.tree);
  // Cut inside the directory table: the root listing survives, later listings do not.
  std::vector<std::uint8_t> mid(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(w.listing_offset("/etc") + 4));
  auto y = via_engine(mid, "squashfs-be");
  ASSERT_NE(y.root, kNoNode) << diag_dump(*y.tree);
  EXPECT_NE(y.at("/bin"), kNoNode);
  EXPECT_TRUE(any_diag(*y.tree, "squashfs-be.directory")) << diag_dump(*y.tree);
  EXPECT_TRUE(any_diag(*y.tree, "squashfs-be.partial"));
}

// Every byte of the superblock and the metadata tables damaged in turn: never a crash, and a
// bounded tree.
TEST(SquashfsBe, DamageAnywhereInTheMetadataIsSurvived) {
  sq4::Options o;
  o.big_endian = true;
  o.compress_data = true;
  sq4::Writer w(o);
  auto img = w.build(sample_tree());
  std::vector<std::size_t> spots;
  for (std::size_t i = 0; i < formats::kSq4SuperSize; ++i) spots.push_back(i);
  for (std::size_t i = w.layout.inode_start; i < img.size(); ++i) spots.push_back(i);
  for (std::size_t i = w.start_block("/bin/busybox"); i < w.layout.inode_start; i += 97) spots.push_back(i);
  for (std::size_t at : spots) {
    for (std::uint8_t x : {std::uint8_t{0xff}, std::uint8_t{0x80}}) {
      auto bad = img;
      bad[at] ^= x;
      auto r = direct("squashfs-be", bad);
      ASSERT_LT(r.tree->size(), 200u) << at;
    }
  }
}

class SquashfsBeHostile : public ::testing::Test {
 protected:
  void SetUp() override {
    sq4::Options o;
    o.big_endian = true;
    w = std::make_unique<sq4::Writer>(o);
    img = w->build({{"/a", 'd', 0755, 0, 0, 1},
                    {"/a/xx", 'f', 0644, 0, 0, 1, "data"},
                    {"/a/yy", 'l', 0777, 0, 0, 1, "xx"},
                    {"/b", 'f', 0644, 0, 0, 1, "bee"},
                    {"/c", 'f', 0644, 0, 0, 1, pattern(5000, 9)}});
  }
  void set(std::uint64_t at, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) img[at + static_cast<std::uint64_t>(i)] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
  }
  Extracted extract(const Limits& lim = {}) { return via_engine(img, "squashfs-be", lim); }
  std::unique_ptr<sq4::Writer> w;
  std::vector<std::uint8_t> img;
};

TEST_F(SquashfsBeHostile, DirectoryCycleIsNotFollowed) {
  // The first entry of /a ("xx") is pointed at /a's own inode: /a/xx would contain itself.
  const std::uint64_t entry = w->listing_offset("/a") + formats::kSq4DirHeaderSize;
  set(entry, w->inode_ref("/a") & 0xffff, 2);
  set(entry + 4, 1, 2);
  auto x = extract();
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  EXPECT_TRUE(any_diag(*x.tree, "squashfs-be.cycle")) << diag_dump(*x.tree);
  EXPECT_LT(x.tree->size(), 30u);
  EXPECT_EQ(content_of(*x.tree, x.at("/b")), "bee");
  // And at the root's inode.
  set(entry, w->inode_ref("/") & 0xffff, 2);
  auto y = extract();
  EXPECT_TRUE(any_diag(*y.tree, "squashfs-be.cycle")) << diag_dump(*y.tree);
  EXPECT_LT(y.tree->size(), 30u);
}

TEST_F(SquashfsBeHostile, HugeFileSizeIsBoundedByLimits) {
  Limits lim;
  lim.max_node_bytes = 1 << 20;
  const std::uint64_t b = w->inode_offset("/b");
  ASSERT_EQ(img[b + 31], 3);  // the stored size of "bee"
  set(b + 28, 0xffffff00u, 4);
  auto x = extract(lim);
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  NodeId id = x.at("/b");
  ASSERT_NE(id, kNoNode);
  EXPECT_LE(x.tree->content(id)->view().size(), 1u << 20);
  EXPECT_FALSE(x.tree->at(id).diagnostics.empty());
  EXPECT_EQ(content_of(*x.tree, x.at("/c")), pattern(5000, 9));
}

TEST_F(SquashfsBeHostile, HugeDirectorySizeIsCutShortAndSiblingsSurvive) {
  const std::uint64_t a = w->inode_offset("/a");
  set(a + 24, 0xffff, 2);  // basic directory: listing size
  auto x = extract();
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  EXPECT_TRUE(has_diag(*x.tree, x.at("/a"), "squashfs-be.directory")) << diag_dump(*x.tree);
  EXPECT_EQ(content_of(*x.tree, x.at("/a/xx")), "data");
  EXPECT_EQ(content_of(*x.tree, x.at("/b")), "bee");
}

TEST_F(SquashfsBeHostile, HostileDirectoryHeaderCount) {
  set(w->listing_offset("/"), 0x7fffffff, 4);
  auto x = extract();
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  EXPECT_TRUE(has_diag(*x.tree, x.root, "squashfs-be.directory")) << diag_dump(*x.tree);
  EXPECT_LT(x.tree->size(), 10u);
}

TEST_F(SquashfsBeHostile, HostileFragmentAndIdCounts) {
  set(16, 0xffffffffu, 4);  // fragments
  set(26, 2, 2);            // ids: one more than stored
  auto x = extract();
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  EXPECT_TRUE(any_diag(*x.tree, "squashfs-be.fragment_table")) << diag_dump(*x.tree);
  EXPECT_TRUE(any_diag(*x.tree, "squashfs-be.id_table")) << diag_dump(*x.tree);
  // The real fragment entries are still where the index says.
  EXPECT_EQ(content_of(*x.tree, x.at("/b")), "bee");
  EXPECT_EQ(content_of(*x.tree, x.at("/c")), pattern(5000, 9));
  // An id count whose index cannot fit is no squashfs at all.
  set(26, 0xffff, 2);
  EXPECT_FALSE(unpack::find("squashfs-be")->probe(ByteView(img.data(), img.size())));
}

TEST_F(SquashfsBeHostile, BadInodesAreReportedAndSiblingsSurvive) {
  set(w->inode_offset("/a/yy") + 20, 0xffffffffu, 4);  // symlink target size
  set(w->inode_offset("/a/xx"), 99, 2);                  // inode type
  const std::uint64_t c = w->inode_offset("/c");
  set(c + 32, 0x00ffffffu, 4);  // first block of /c: 16 MiB stored
  auto x = extract();
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  EXPECT_TRUE(has_diag(*x.tree, x.at("/a"), "squashfs-be.inode")) << diag_dump(*x.tree);
  EXPECT_EQ(x.at("/a/xx"), kNoNode);
  ASSERT_NE(x.at("/a/yy"), kNoNode);
  EXPECT_TRUE(has_diag(*x.tree, x.at("/a/yy"), "squashfs-be.inode")) << diag_dump(*x.tree);
  EXPECT_TRUE(has_diag(*x.tree, x.at("/c"), "squashfs-be.file_data")) << diag_dump(*x.tree);
  EXPECT_EQ(content_of(*x.tree, x.at("/b")), "bee");
  EXPECT_TRUE(has_diag(*x.tree, x.region, "squashfs-be.partial"));
}

TEST_F(SquashfsBeHostile, TraversalNamesStayInsideTheTree) {
  auto at = std::search(img.begin() + static_cast<std::ptrdiff_t>(w->listing_offset("/a")), img.end(),
                        std::begin("xx"), std::begin("xx") + 2);
  ASSERT_NE(at, img.end());
  at[0] = '.';
  at[1] = '.';
  auto x = extract();
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  EXPECT_TRUE(any_diag(*x.tree, "path.traversal")) << diag_dump(*x.tree);
  for (NodeId id = 0; id < x.tree->size(); ++id) {
    const Node& n = x.tree->at(id);
    if (n.fs_root == x.root) EXPECT_EQ(n.path.find(".."), std::string::npos) << n.path;
  }
}

TEST_F(SquashfsBeHostile, ClashingInodeNumbersAreReadAsSeparateFiles) {
  // /c takes /b's inode number: not a hard link (a different inode), both contents are kept.
  set(w->inode_offset("/c") + 12, w->inode_number("/b"), 4);
  auto x = extract();
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  EXPECT_EQ(x.tree->at(x.at("/c")).type, NodeType::file);
  EXPECT_EQ(content_of(*x.tree, x.at("/c")), pattern(5000, 9));
  EXPECT_TRUE(has_diag(*x.tree, x.at("/c"), "squashfs-be.inode_number")) << diag_dump(*x.tree);
}

// A few KiB declaring gigabytes of holes: the expansion ratio stops the reader before it
// allocates them (as tests/unit/unpack/squashfs_bomb_test.cpp for little-endian images).
TEST(SquashfsBe, SparseFilesAreCutByTheExpansionRatio) {
  sq4::Options o;
  o.big_endian = true;
  o.block_size = 1 << 20;
  std::vector<Entry> bomb;
  for (const char* name : {"/a", "/b", "/c"}) bomb.push_back({name, 'f', 0644, 0, 0, 1, "", 1ull << 30});
  auto img = sq4::Writer(o).build(bomb);
  ASSERT_LT(img.size(), 64u * 1024);
  Limits limits;
  limits.ratio_floor_bytes = 1 << 20;
  auto x = via_engine(img, "squashfs-be", limits);
  ASSERT_NE(x.root, kNoNode) << diag_dump(*x.tree);
  EXPECT_TRUE(has_diag(*x.tree, x.region, "limit.ratio")) << diag_dump(*x.tree);
  std::uint64_t content = 0;
  for (NodeId id = 0; id < x.tree->size(); ++id)
    if (x.tree->at(id).type == NodeType::file && x.tree->at(id).content) content += x.tree->at(id).content->view().size();
  EXPECT_LT(content, std::uint64_t{512} << 20) << "the reader materialised the sparse gigabytes";
  EXPECT_EQ(x.tree->at(x.at("/a")).size, 1ull << 30);  // the declared size is still reported
}

TEST(SquashfsBe, FormatParsersRejectNonsense) {
  using namespace formats;
  std::vector<std::uint8_t> junk(200, 0);
  std::copy_n("sqsh", 4, junk.begin());
  EXPECT_FALSE(parse_squashfs4_super(ByteView(junk.data(), junk.size())));
  EXPECT_FALSE(parse_squashfs4_super(ByteView(junk.data(), 10)));
  const std::uint8_t zero_len[2] = {0x80, 0x00}, too_long[2] = {0x20, 0x01}, ok[2] = {0x9f, 0xff};
  EXPECT_FALSE(parse_sq4_meta_header(ByteView(zero_len, 2), Endian::big));
  EXPECT_FALSE(parse_sq4_meta_header(ByteView(too_long, 2), Endian::big));
  auto h = parse_sq4_meta_header(ByteView(ok, 2), Endian::big);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->size, 0x1fffu);
  EXPECT_FALSE(h->compressed);
  EXPECT_EQ(sq4_inode_fixed_size(15), 0u);
  const std::uint8_t entry[8] = {0x20, 0x00, 0, 0, 0, 2, 0, 0};  // inode offset 8192
  EXPECT_FALSE(parse_sq4_dir_entry(ByteView(entry, 8), Endian::big));
  const std::uint8_t header[12] = {0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1};  // 257 entries
  EXPECT_FALSE(parse_sq4_dir_header(ByteView(header, 12), Endian::big));
  auto blk = sq4_block(0x01000123u);
  EXPECT_FALSE(blk.compressed);
  EXPECT_EQ(blk.size, 0x123u);
}

// Writes the fuzz seeds when asked (IOTAUDIT_WRITE_SEEDS=<dir>); otherwise a no-op.
TEST(SquashfsBe, WriteFuzzSeeds) {
  const char* dir = std::getenv("IOTAUDIT_WRITE_SEEDS");
  if (dir == nullptr) GTEST_SKIP() << "set IOTAUDIT_WRITE_SEEDS to write seeds";
  std::vector<Entry> small{{"/etc", 'd', 0755, 0, 0, 1},
                           {"/etc/passwd", 'f', 0644, 0, 0, 2, "root:x:0:0::/root:/bin/sh\n"},
                           {"/etc/passwd-", 'h', 0644, 0, 0, 0, "/etc/passwd"},
                           {"/big", 'f', 0644, 1, 2, 3, pattern(5000, 3)},
                           {"/hole", 'f', 0600, 0, 0, 4, "x", 4096},
                           {"/sh", 'l', 0777, 0, 0, 5, "busybox"},
                           {"/null", 'c', 0666, 0, 0, 6, "", 0, 1, 3},
                           {"/fifo", 'p', 0600, 0, 0, 7}};
  for (auto [name, compress, extended] : {std::tuple{"stored", false, false}, std::tuple{"gzip_extended", true, true}}) {
    sq4::Options o;
    o.big_endian = true;
    o.compress_data = compress;
    o.extended = extended;
    auto img = sq4::Writer(o).build(small);
    std::ofstream(std::string(dir) + "/be_" + name + ".bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(img.data()), static_cast<std::streamsize>(img.size()));
  }
}

}  // namespace
}  // namespace iotaudit
