// ISO 9660 (genisoimage/xorriso), 7z (p7zip) and ar (binutils, and by hand) through libarchive.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "formats/iso9660_susp.hpp"
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
bool have(const std::string& tool) { return shell_ok("command -v " + tool + " >/dev/null 2>&1"); }

std::vector<std::uint8_t> slurp(const std::string& path) {
  std::string s = read_text(path);
  return {s.begin(), s.end()};
}

void put_u32le(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}

// Replaces the one occurrence of `from` with `to` (same length) in `b`.
bool patch(std::vector<std::uint8_t>& b, const std::string& from, const std::string& to) {
  std::string s(b.begin(), b.end());
  auto pos = s.find(from);
  if (pos == std::string::npos || from.size() != to.size()) return false;
  std::copy(to.begin(), to.end(), b.begin() + static_cast<std::ptrdiff_t>(pos));
  return true;
}
std::string utf16(const std::string& ascii, bool big_endian) {
  std::string out;
  for (char c : ascii) {
    if (big_endian) out.push_back('\0');
    out.push_back(c);
    if (!big_endian) out.push_back('\0');
  }
  return out;
}

NodeId only_root(const Tree& t, const std::string& format) {
  auto regs = regions_of(t, t.root());
  if (regs.size() != 1 || t.at(regs[0]).format != format) return kNoNode;
  return fs_root_of(t, regs[0]);
}

const std::string kShadow = "root::19000:0:99999:7:::\n";

// A small tree with a long mixed-case name (Joliet/Rock Ridge keep it; plain ISO 9660 cannot).
class SourceTree : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(work.ok());
    namespace fs = std::filesystem;
    src = work / "root";
    fs::create_directories(src + "/etc");
    fs::create_directories(src + "/bin");
    ASSERT_TRUE(write_text(src + "/etc/shadow", kShadow));
    ::chmod((src + "/etc/shadow").c_str(), 0600);
    ASSERT_TRUE(write_text(src + "/bin/busybox", "#!/bin/sh\necho hi\n"));
    ::chmod((src + "/bin/busybox").c_str(), 0755);
    fs::create_symlink("busybox", src + "/bin/sh");
    ASSERT_TRUE(write_text(src + "/etc/Long_Mixed-Case.Config.txt", "long name\n"));
    ASSERT_TRUE(write_text(src + "/etc/XXXXXXXXXXXXXXX", "pwned\n"));  // renamed by traversal tests
    big.resize(100000);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('A' + (i * 13) % 26);
    ASSERT_TRUE(write_text(src + "/big.bin", big));
  }
  TempDir work;
  std::string src, big;
};

// ---- ISO 9660 -----------------------------------------------------------------------------------

struct IsoTool {
  const char* name;
  const char* tool;
  const char* cmd;  // %s: output, then source
};

class Iso : public SourceTree, public ::testing::WithParamInterface<IsoTool> {
 protected:
  std::optional<std::vector<std::uint8_t>> build(const std::string& opts) {
    if (!have(GetParam().tool)) return std::nullopt;
    std::string out = work / "image.iso";
    std::string cmd = std::string(GetParam().cmd) + " " + opts + " -o '" + out + "' '" + src + "' >/dev/null 2>&1";
    if (!shell_ok(cmd)) return std::nullopt;
    return slurp(out);
  }
};

TEST_P(Iso, RockRidgeKeepsModesSymlinksAndContent) {
  auto img = build("-R -J");
  if (!img) GTEST_SKIP() << GetParam().tool << " not installed";
  auto t = unpack_bytes(*img);
  NodeId root = only_root(*t, "iso9660");
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  NodeId shadow = t->resolve(root, "/etc/shadow");
  ASSERT_NE(shadow, kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, shadow), kShadow);
  EXPECT_EQ(t->at(shadow).mode, static_cast<std::uint32_t>(S_IFREG | 0600));
  NodeId bb = t->resolve(root, "/bin/busybox");
  ASSERT_NE(bb, kNoNode);
  EXPECT_EQ(t->at(bb).mode, static_cast<std::uint32_t>(S_IFREG | 0755));
  NodeId sh = t->resolve(root, "/bin/sh", false);
  ASSERT_NE(sh, kNoNode);
  EXPECT_EQ(t->at(sh).type, NodeType::symlink);
  EXPECT_EQ(t->at(sh).link_target, "busybox");
  EXPECT_EQ(t->resolve(root, "/bin/sh"), bb);
  NodeId lng = t->resolve(root, "/etc/Long_Mixed-Case.Config.txt");
  ASSERT_NE(lng, kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, lng), "long name\n");
  NodeId b = t->resolve(root, "/big.bin");
  ASSERT_NE(b, kNoNode);
  EXPECT_EQ(content_of(*t, b), big);
  EXPECT_EQ(diag_dump(*t), "");
}

TEST_P(Iso, JolietOnlyKeepsLongNames) {
  auto img = build("-J");
  if (!img) GTEST_SKIP() << GetParam().tool << " not installed";
  auto t = unpack_bytes(*img);
  NodeId root = only_root(*t, "iso9660");
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  NodeId lng = t->resolve(root, "/etc/Long_Mixed-Case.Config.txt");
  ASSERT_NE(lng, kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, lng), "long name\n");
  ASSERT_NE(t->resolve(root, "/etc/shadow"), kNoNode);
  EXPECT_EQ(content_of(*t, t->resolve(root, "/etc/shadow")), kShadow);
}

TEST_P(Iso, ProbeAndCarvingAtAnOffset) {
  auto img = build("-R -J");
  if (!img) GTEST_SKIP() << GetParam().tool << " not installed";
  const unpack::Unpacker* u = unpack::find("iso9660");
  ASSERT_NE(u, nullptr);
  auto p = u->probe(ByteView(img->data(), img->size()));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->length, img->size());

  std::vector<std::uint8_t> blob(0x20000, 0xff);
  blob.insert(blob.end(), img->begin(), img->end());
  blob.resize(blob.size() + 4096, 0);
  auto t = unpack_bytes(blob);
  NodeId region = kNoNode;
  for (NodeId r : regions_of(*t, t->root()))
    if (t->at(r).format == "iso9660") region = r;
  ASSERT_NE(region, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(region).origin.offset, 0x20000u);
  EXPECT_EQ(t->at(region).origin.length, img->size());
  NodeId root = fs_root_of(*t, region);
  ASSERT_NE(root, kNoNode);
  ASSERT_NE(t->resolve(root, "/etc/shadow"), kNoNode);
}

TEST_P(Iso, TruncatedImageIsReportedWithoutCrashing) {
  auto img = build("-R -J");
  if (!img) GTEST_SKIP() << GetParam().tool << " not installed";
  unsigned found = 0;
  for (std::size_t cut : {0x8001ul + 5, 0x8800ul, 0x9000ul, 0xA000ul, img->size() / 2, img->size() - 2048,
                          img->size() - 1}) {
    if (cut >= img->size()) continue;
    std::vector<std::uint8_t> part(img->begin(), img->begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);
    for (NodeId r : regions_of(*t, t->root())) {
      if (t->at(r).format != "iso9660") continue;
      ++found;
      EXPECT_TRUE(has_diag(*t, r, "iso9660.truncated")) << cut;
    }
  }
  EXPECT_GE(found, 4u);  // every cut past the primary descriptor is still recognised
}

TEST_P(Iso, TraversalNameStaysInsideWithDiagnostic) {
  auto img = build("-R -J");
  if (!img) GTEST_SKIP() << GetParam().tool << " not installed";
  // Rock Ridge NM (ASCII) and Joliet (UCS-2 big-endian) copies of the name.
  ASSERT_TRUE(patch(*img, "XXXXXXXXXXXXXXX", "../../../etc/ev"));
  ASSERT_TRUE(patch(*img, utf16("XXXXXXXXXXXXXXX", true), utf16("../../../etc/ev", true)));
  auto t = unpack_bytes(*img);
  NodeId root = only_root(*t, "iso9660");
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  NodeId evil = t->resolve(root, "/etc/ev");
  ASSERT_NE(evil, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(evil).fs_root, root);
  EXPECT_EQ(content_of(*t, evil), "pwned\n");
  EXPECT_TRUE(has_diag(*t, evil, "path.traversal")) << diag_dump(*t);
}

// The root's "." record of a Rock Ridge image names a continuation area (genisoimage puts the ER
// entry there). Pointing that area's first entry back at the area itself sends libarchive 3.6
// into an endless loop (found by the iso9660 fuzz target); the image must be recognised, read
// without Rock Ridge, and reported.
TEST_P(Iso, SelfReferencingRockRidgeContinuationIsReadWithoutRockRidge) {
  auto img = build("-R");
  if (!img) GTEST_SKIP() << GetParam().tool << " not installed";
  auto clean = formats::check_susp_continuations(ByteView(img->data(), img->size()));
  ASSERT_TRUE(clean) << clean.error().message;
  EXPECT_FALSE(clean->loop) << clean->detail;
  EXPECT_TRUE(clean->complete);
  EXPECT_GE(clean->records, 8u);
  // The first CE entry anywhere in the root directory's first sector.
  auto le32 = [&](std::size_t at) { return load_endian<std::uint32_t>(img->data() + at, Endian::little); };
  std::size_t root = std::size_t{le32(0x8000 + 156 + 2)} * 2048;
  std::size_t ce = 0;
  for (std::size_t q = root; q + 28 <= root + 2048 && !ce; ++q)
    if ((*img)[q] == 'C' && (*img)[q + 1] == 'E' && (*img)[q + 2] == 28 && (*img)[q + 3] == 1) ce = q;
  if (!ce) GTEST_SKIP() << GetParam().tool << " wrote no continuation area";
  EXPECT_EQ(clean->continuations, 1u);
  std::size_t area = std::size_t{le32(ce + 4)} * 2048 + le32(ce + 12);
  ASSERT_LE(area + 28, img->size());
  std::copy(img->begin() + static_cast<std::ptrdiff_t>(ce), img->begin() + static_cast<std::ptrdiff_t>(ce + 28),
            img->begin() + static_cast<std::ptrdiff_t>(area));
  auto looped = formats::check_susp_continuations(ByteView(img->data(), img->size()));
  ASSERT_TRUE(looped);
  EXPECT_TRUE(looped->loop);
  EXPECT_NE(looped->detail.find("already read"), std::string::npos) << looped->detail;
  auto t = unpack_bytes(*img);
  NodeId r = only_root(*t, "iso9660");
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_NE(diag_dump(*t).find("iso9660.rock_ridge_loop"), std::string::npos) << diag_dump(*t);
  // ISO 9660 names only: the Rock Ridge name "shadow" is gone, the content is not.
  NodeId shadow = t->resolve(r, "/ETC/SHADOW");
  ASSERT_NE(shadow, kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, shadow), kShadow);
  EXPECT_EQ(t->resolve(r, "/etc/shadow"), kNoNode);
}

INSTANTIATE_TEST_SUITE_P(Tools, Iso,
                         ::testing::Values(IsoTool{"genisoimage", "genisoimage", "genisoimage -quiet"},
                                           IsoTool{"xorriso", "xorriso", "xorriso -as mkisofs -quiet"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(IsoProbe, RejectsDescriptorWithDisagreeingBothEndianFields) {
  std::vector<std::uint8_t> b(0x9000, 0);
  b[0x8000] = 1;
  std::copy_n("CD001", 5, b.begin() + 0x8001);
  b[0x8006] = 1;
  put_u32le(b, 0x8050, 100);  // volume space size LE; the BE copy stays 0
  b[0x8080] = 0x00;
  b[0x8081] = 0x08;
  b[0x8082] = 0x08;
  b[0x8083] = 0x00;
  b[0x809C] = 34;
  EXPECT_FALSE(unpack::find("iso9660")->probe(ByteView(b.data(), b.size())));
  b[0x8054 + 3] = 100;  // BE copy now agrees
  auto p = unpack::find("iso9660")->probe(ByteView(b.data(), b.size()));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->length, 100u * 2048);
}

// ---- 7z -----------------------------------------------------------------------------------------

class SevenZip : public SourceTree {
 protected:
  std::optional<std::vector<std::uint8_t>> build(const std::string& opts) {
    if (!have("7z")) return std::nullopt;
    std::string out = work / "a.7z";
    if (!shell_ok("cd '" + src + "' && 7z a -bd -snl " + opts + " '" + out + "' . >/dev/null 2>&1")) return std::nullopt;
    return slurp(out);
  }
};

TEST_F(SevenZip, ExtractsFilesSymlinksAndModes) {
  auto img = build("");
  if (!img) GTEST_SKIP() << "7z (p7zip-full) not installed";
  auto t = unpack_bytes(*img);
  NodeId root = only_root(*t, "7z");
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  NodeId shadow = t->resolve(root, "/etc/shadow");
  ASSERT_NE(shadow, kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, shadow), kShadow);
  EXPECT_EQ(t->at(shadow).mode, static_cast<std::uint32_t>(S_IFREG | 0600));
  NodeId sh = t->resolve(root, "/bin/sh", false);
  ASSERT_NE(sh, kNoNode);
  EXPECT_EQ(t->at(sh).type, NodeType::symlink);
  EXPECT_EQ(t->at(sh).link_target, "busybox");
  NodeId b = t->resolve(root, "/big.bin");
  ASSERT_NE(b, kNoNode);
  EXPECT_EQ(content_of(*t, b), big);
  EXPECT_EQ(diag_dump(*t), "");
}

TEST_F(SevenZip, TruncatedAndCorruptedArchivesAreDiagnosed) {
  auto img = build("");
  if (!img) GTEST_SKIP() << "7z (p7zip-full) not installed";
  const unpack::Unpacker* u = unpack::find("7z");
  ASSERT_NE(u, nullptr);
  auto p = u->probe(ByteView(img->data(), img->size()));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->length, img->size());
  for (std::size_t cut : {32ul, 100ul, img->size() / 2, img->size() - 10, img->size() - 1}) {
    std::vector<std::uint8_t> part(img->begin(), img->begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);
    auto regs = all_regions(*t);
    ASSERT_FALSE(regs.empty()) << cut;
    EXPECT_TRUE(has_diag(*t, regs[0], "7z.truncated")) << cut << "\n" << diag_dump(*t);
  }
  auto bad = *img;
  bad[12] ^= 1;  // start header CRC no longer matches
  EXPECT_FALSE(u->probe(ByteView(bad.data(), bad.size())));
}

TEST_F(SevenZip, TraversalNameStaysInsideWithDiagnostic) {
  auto img = build("-mhc=off -m0=copy");  // header uncompressed: the UTF-16LE name can be edited
  if (!img) GTEST_SKIP() << "7z (p7zip-full) not installed";
  ASSERT_TRUE(patch(*img, utf16("etc/XXXXXXXXXXXXXXX", false), utf16("../../../etc/evilxx", false)));
  // Re-seal: end-header CRC in the start header, then the start header's own CRC.
  std::uint64_t off = 0, size = 0;
  for (int i = 7; i >= 0; --i) off = (off << 8) | (*img)[12 + static_cast<std::size_t>(i)];
  for (int i = 7; i >= 0; --i) size = (size << 8) | (*img)[20 + static_cast<std::size_t>(i)];
  ASSERT_LE(32 + off + size, img->size());
  put_u32le(*img, 28, static_cast<std::uint32_t>(crc32(0L, img->data() + 32 + off, static_cast<uInt>(size))));
  put_u32le(*img, 8, static_cast<std::uint32_t>(crc32(0L, img->data() + 12, 20)));
  auto t = unpack_bytes(*img);
  NodeId root = only_root(*t, "7z");
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  NodeId evil = t->resolve(root, "/etc/evilxx");
  ASSERT_NE(evil, kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, evil), "pwned\n");
  EXPECT_TRUE(has_diag(*t, evil, "path.traversal")) << diag_dump(*t);
}

// ---- ar -----------------------------------------------------------------------------------------

// One GNU-style member header: name (16, '/'-terminated), mtime, uid, gid, octal mode, size, "`\n".
std::string ar_member(const std::string& name, const std::string& data, unsigned uid = 0, unsigned mode = 0100644) {
  char h[61];
  std::snprintf(h, sizeof h, "%-16s%-12u%-6u%-6u%-8o%-10zu`\n", name.c_str(), 1700000000u, uid, 0u, mode,
                data.size());
  std::string m(h, 60);
  m += data;
  if (m.size() % 2) m += '\n';
  return m;
}

TEST(Ar, HandWrittenGnuArchiveWithLongNamesAndTraversal) {
  std::string longnames = "a_very_long_member_name.txt/\n";
  std::string a = "!<arch>\n";
  a += ar_member("//", longnames);
  a += ar_member("short.txt/", "short\n", 1000, 0100755);
  a += ar_member("/0", "long\n");
  a += ar_member("../../x/", "pwned\n");
  std::vector<std::uint8_t> bytes(a.begin(), a.end());
  auto p = unpack::find("ar")->probe(ByteView(bytes.data(), bytes.size()));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->length, bytes.size());
  auto t = unpack_bytes(bytes);
  NodeId root = only_root(*t, "ar");
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  NodeId s = t->resolve(root, "/short.txt");
  ASSERT_NE(s, kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, s), "short\n");
  EXPECT_EQ(t->at(s).uid, 1000u);
  EXPECT_EQ(t->at(s).mode, 0100755u);
  EXPECT_EQ(t->at(s).mtime, 1700000000);
  NodeId l = t->resolve(root, "/a_very_long_member_name.txt");
  ASSERT_NE(l, kNoNode) << diag_dump(*t);
  EXPECT_EQ(content_of(*t, l), "long\n");
  NodeId x = t->resolve(root, "/x");
  ASSERT_NE(x, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(x).fs_root, root);
  EXPECT_TRUE(has_diag(*t, x, "path.traversal")) << diag_dump(*t);
}

TEST(Ar, BinutilsArchiveAndTruncation) {
  if (!have("ar")) GTEST_SKIP() << "ar (binutils) not installed";
  TempDir work;
  ASSERT_TRUE(work.ok());
  ASSERT_TRUE(write_text(work / "one.txt", "first member\n"));
  ASSERT_TRUE(write_text(work / "two.bin", std::string(3001, 'z')));
  ASSERT_TRUE(shell_ok("cd '" + work.path() + "' && ar rc lib.a one.txt two.bin >/dev/null 2>&1"));
  auto img = slurp(work / "lib.a");
  auto t = unpack_bytes(img);
  NodeId root = only_root(*t, "ar");
  ASSERT_NE(root, kNoNode) << diag_dump(*t);
  ASSERT_NE(t->resolve(root, "/one.txt"), kNoNode);
  EXPECT_EQ(content_of(*t, t->resolve(root, "/one.txt")), "first member\n");
  ASSERT_NE(t->resolve(root, "/two.bin"), kNoNode);
  EXPECT_EQ(content_of(*t, t->resolve(root, "/two.bin")), std::string(3001, 'z'));

  std::vector<std::uint8_t> part(img.begin(), img.end() - 1000);
  auto tt = unpack_bytes(part);
  NodeId r2 = only_root(*tt, "ar");
  ASSERT_NE(r2, kNoNode) << diag_dump(*tt);
  EXPECT_TRUE(has_diag(*tt, regions_of(*tt, tt->root())[0], "ar.truncated")) << diag_dump(*tt);
  ASSERT_NE(tt->resolve(r2, "/one.txt"), kNoNode);
  EXPECT_EQ(content_of(*tt, tt->resolve(r2, "/one.txt")), "first member\n");
}

TEST(Ar, ProbeRejectsBadMemberHeader) {
  std::string a = "!<arch>\nthis is not a member header at all, just text that goes on....";
  std::vector<std::uint8_t> bytes(a.begin(), a.end());
  EXPECT_FALSE(unpack::find("ar")->probe(ByteView(bytes.data(), bytes.size())));
}

}  // namespace
}  // namespace iotaudit
