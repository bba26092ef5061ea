// Device trees built with dtc and FIT images built with mkimage -f (device-tree-compiler,
// u-boot-tools): images as child regions, compression, external data, truncation, hostile trees.
#include <gtest/gtest.h>

#include <string>

#include "formats/fdt.hpp"
#include "unit/support/buffer.hpp"
#include "unit/support/compress.hpp"
#include "unit/support/temp_dir.hpp"
#include "unit/support/tools.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

std::string text(std::size_t n, const std::string& tag) {
  std::string s;
  while (s.size() < n) s += tag + " line " + std::to_string(s.size()) + "\n";
  s.resize(n);
  return s;
}

constexpr const char* kDts = R"(/dts-v1/;
/ {
  model = "Test Board";
  compatible = "test,board";
  #address-cells = <1>;
  #size-cells = <1>;
  cpus { cpu@0 { compatible = "arm,cortex-a7"; reg = <0>; }; };
  memory@40000000 { device_type = "memory"; reg = <0x40000000 0x10000000>; };
  chosen { bootargs = "console=ttyS0"; };
};
)";

NodeId region_of(const Tree& t, NodeId parent, std::string_view format) {
  for (NodeId id : regions_of(t, parent))
    if (t.at(id).format == format) return id;
  return kNoNode;
}

std::string diag_message(const Tree& t, NodeId id, std::string_view code) {
  for (const auto& d : t.at(id).diagnostics)
    if (d.code == code) return d.message;
  return "";
}

struct Fit {
  std::vector<std::uint8_t> image;
  std::string kernel, rootfs;
  std::vector<std::uint8_t> dtb;
};

std::optional<Fit> build_fit(const TempDir& dir, const std::string& mkimage_flags) {
  Fit f;
  f.kernel = text(40000, "kernel");
  f.rootfs = text(60000, "rootfs");
  if (!write_text(dir / "board.dts", kDts) ||
      !run("dtc -I dts -O dtb -o '" + (dir / "board.dtb") + "' '" + (dir / "board.dts") + "'"))
    return std::nullopt;
  f.dtb = file_bytes(dir / "board.dtb");
  if (!write_bytes(dir / "k.gz", gzip(f.kernel)) || !write_bytes(dir / "r.gz", gzip(f.rootfs)))
    return std::nullopt;
  std::string its = R"(/dts-v1/;
/ {
  description = "Test FIT";
  #address-cells = <1>;
  images {
    kernel-1 { description = "k"; data = /incbin/(")" + (dir / "k.gz") + R"("); type = "kernel"; arch = "arm";
      os = "linux"; compression = "gzip"; load = <0x40008000>; entry = <0x40008000>; };
    fdt-1 { data = /incbin/(")" + (dir / "board.dtb") + R"("); type = "flat_dt"; arch = "arm"; compression = "none"; };
    ramdisk-1 { data = /incbin/(")" + (dir / "r.gz") + R"("); type = "ramdisk"; arch = "arm"; os = "linux";
      compression = "none"; };
  };
  configurations { default = "conf-1"; conf-1 { kernel = "kernel-1"; fdt = "fdt-1"; ramdisk = "ramdisk-1"; }; };
};
)";
  if (!write_text(dir / "fit.its", its)) return std::nullopt;
  if (!run("mkimage " + mkimage_flags + " -f '" + (dir / "fit.its") + "' '" + (dir / "fit.itb") + "'"))
    return std::nullopt;
  f.image = file_bytes(dir / "fit.itb");
  return f;
}

void expect_fit_parts(const Tree& t, const Fit& f) {
  NodeId r = region_of(t, t.root(), "fdt");
  ASSERT_NE(r, kNoNode) << diag_dump(t);
  EXPECT_EQ(t.at(r).origin.length, f.image.size());
  NodeId k = t.child(r, "kernel-1"), d = t.child(r, "fdt-1"), rd = t.child(r, "ramdisk-1");
  ASSERT_NE(k, kNoNode) << diag_dump(t);
  ASSERT_NE(d, kNoNode);
  ASSERT_NE(rd, kNoNode);
  EXPECT_EQ(t.logical_path(k), "img » fdt@0x0 » kernel-1");
  EXPECT_EQ(t.at(k).format, "kernel");
  EXPECT_TRUE(content_of(t, k) == f.kernel) << "compression = \"gzip\" is honoured";
  EXPECT_EQ(t.at(d).format, "flat_dt");
  EXPECT_EQ(content_of(t, d), std::string(f.dtb.begin(), f.dtb.end()));
  EXPECT_EQ(t.at(rd).size, gzip(f.rootfs).size());
  std::string summary = diag_message(t, r, "fdt.summary");
  EXPECT_NE(summary.find("FIT image \"Test FIT\": 3 images"), std::string::npos) << summary;
  // Carving the image data finds the gzip'd ramdisk and decodes it.
  bool rootfs_found = false;
  for (NodeId c : descendants(t, r))
    if (t.at(c).format == "gzip" && content_of(t, c) == f.rootfs) rootfs_found = true;
  EXPECT_TRUE(rootfs_found) << diag_dump(t);
}

TEST(Fit, EmbeddedImagesBecomeChildRegions) {
  if (!have_tool("mkimage") || !have_tool("dtc")) GTEST_SKIP() << "mkimage or dtc missing";
  TempDir dir;
  auto f = build_fit(dir, "");
  ASSERT_TRUE(f);
  auto t = unpack_bytes(f->image);
  expect_fit_parts(*t, *f);
  EXPECT_FALSE(any_diag(*t, "fdt.truncated"));
  EXPECT_FALSE(any_diag(*t, "fdt.malformed"));
}

TEST(Fit, ExternalDataOffsetAndPosition) {
  if (!have_tool("mkimage") || !have_tool("dtc")) GTEST_SKIP() << "mkimage or dtc missing";
  for (std::string flags : {"-E", "-E -p 0x2000"}) {
    TempDir dir;
    auto f = build_fit(dir, flags);
    ASSERT_TRUE(f) << flags;
    formats::FdtHeader h = formats::parse_fdt_header(ByteView(f->image.data(), f->image.size())).value();
    ASSERT_LT(h.totalsize, f->image.size()) << "data is stored after the tree with " << flags;
    auto t = unpack_bytes(f->image);
    expect_fit_parts(*t, *f);
  }
}

TEST(Fit, TruncatedAtManyPointsKeepsWhatIsThere) {
  if (!have_tool("mkimage") || !have_tool("dtc")) GTEST_SKIP() << "mkimage or dtc missing";
  TempDir dir;
  auto f = build_fit(dir, "");
  ASSERT_TRUE(f);
  for (std::size_t cut = 8; cut < f->image.size(); cut += f->image.size() / 37) {
    std::vector<std::uint8_t> img(f->image.begin(), f->image.begin() + static_cast<long>(cut));
    auto t = unpack_bytes(img);
    NodeId r = region_of(*t, t->root(), "fdt");
    if (r == kNoNode) continue;  // too little left to tell
    EXPECT_TRUE(has_diag(*t, r, "fdt.truncated")) << "cut " << cut << "\n" << diag_dump(*t);
    for (NodeId c : t->at(r).children) EXPECT_LE(t->at(c).origin.offset + t->at(c).origin.length, cut);
  }
}

TEST(Dtb, PlainTreeIsOneRegionWithNodeCount) {
  if (!have_tool("dtc")) GTEST_SKIP() << "dtc (device-tree-compiler) missing";
  TempDir dir;
  ASSERT_TRUE(write_text(dir / "b.dts", kDts));
  ASSERT_TRUE(run("dtc -I dts -O dtb -o '" + (dir / "b.dtb") + "' '" + (dir / "b.dts") + "'"));
  auto dtb = file_bytes(dir / "b.dtb");
  auto t = unpack_bytes(dtb);
  NodeId r = region_of(*t, t->root(), "fdt");
  ASSERT_NE(r, kNoNode);
  EXPECT_EQ(t->at(r).origin.length, dtb.size());
  EXPECT_EQ(diag_message(*t, r, "fdt.summary"), "device tree \"Test Board\": 5 nodes, 9 properties");
  EXPECT_TRUE(t->at(r).children.empty());
}

// A tree written by hand: header, then a structure block the test controls.
std::vector<std::uint8_t> hand_tree(const std::vector<std::uint32_t>& tokens, const std::string& strings) {
  Buffer b(true);
  std::uint32_t off_struct = 0x38, size_struct = static_cast<std::uint32_t>(tokens.size() * 4);
  std::uint32_t off_strings = off_struct + size_struct;
  std::uint32_t total = off_strings + static_cast<std::uint32_t>(strings.size());
  b.u32(0, 0xd00dfeed);
  b.u32(4, total);
  b.u32(8, off_struct);
  b.u32(12, off_strings);
  b.u32(16, 0x28);  // memory reservation map: one empty entry (16 bytes)
  b.u32(20, 17);
  b.u32(24, 16);
  b.u32(32, static_cast<std::uint32_t>(strings.size()));
  b.u32(36, size_struct);
  for (std::size_t i = 0; i < tokens.size(); ++i) b.u32(off_struct + 4 * i, tokens[i]);
  b.raw(off_strings, strings);
  return b.bytes();
}

TEST(Dtb, HostileStructuresAreDiagnosed) {
  // Property name offset far outside the strings block.
  auto bad_name = hand_tree({1, 0, 3, 4, 0x7fffffff, 0x41414141, 2, 9}, std::string("model\0", 6));
  auto t = unpack_bytes(bad_name);
  NodeId r = region_of(*t, t->root(), "fdt");
  ASSERT_NE(r, kNoNode);
  EXPECT_NE(diag_message(*t, r, "fdt.malformed").find("strings block"), std::string::npos) << diag_dump(*t);

  // Property length beyond the block.
  auto bad_len = hand_tree({1, 0, 3, 0x10000000, 0, 2, 9}, std::string("model\0", 6));
  t = unpack_bytes(bad_len);
  r = region_of(*t, t->root(), "fdt");
  ASSERT_NE(r, kNoNode);
  EXPECT_TRUE(has_diag(*t, r, "fdt.malformed")) << diag_dump(*t);

  // Nesting far deeper than the limit.
  std::vector<std::uint32_t> deep{1, 0};
  for (int i = 0; i < 500; ++i) {
    deep.push_back(1);
    deep.push_back(0x61000000);  // name "a"
  }
  deep.push_back(9);
  t = unpack_bytes(hand_tree(deep, ""));
  r = region_of(*t, t->root(), "fdt");
  ASSERT_NE(r, kNoNode);
  EXPECT_NE(diag_message(*t, r, "fdt.malformed").find("deeper"), std::string::npos) << diag_dump(*t);

  // Unknown token.
  t = unpack_bytes(hand_tree({1, 0, 7, 2, 9}, ""));
  r = region_of(*t, t->root(), "fdt");
  ASSERT_NE(r, kNoNode);
  EXPECT_NE(diag_message(*t, r, "fdt.malformed").find("unknown structure token"), std::string::npos);
}

TEST(Dtb, FitImageDataOutsideTheFileIsTruncation) {
  // /images/x with data-position far beyond the end.
  std::string strings("data-position\0data-size\0", 24);
  auto tree = hand_tree({1, 0, 1, 0x696d6167, 0x65730000, 1, 0x78000000, 3, 4, 0, 0x7ffffff0, 3, 4, 14, 0x100, 2, 2, 2, 9},
                        strings);
  auto t = unpack_bytes(tree);
  NodeId r = region_of(*t, t->root(), "fdt");
  ASSERT_NE(r, kNoNode);
  EXPECT_TRUE(has_diag(*t, r, "fdt.truncated")) << diag_dump(*t);
  NodeId x = t->child(r, "x");
  ASSERT_NE(x, kNoNode);
  EXPECT_EQ(t->at(x).size, 0u);
}

}  // namespace
}  // namespace iotaudit
