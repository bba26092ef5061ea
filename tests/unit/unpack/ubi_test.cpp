#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "formats/ubi.hpp"
#include "unit/support/temp_dir.hpp"
#include "unit/support/ubi_image.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

struct Geometry {
  const char* name;
  unsigned peb, min_io, sub_page;  // flash
  unsigned fs_min_io;              // UBIFS min I/O (8 on NOR)
  unsigned vid_offset, data_offset;
};

std::ostream& operator<<(std::ostream& os, const Geometry& g) { return os << g.name; }

NodeId child_named(const Tree& t, NodeId parent, const std::string& name) {
  for (NodeId c : t.at(parent).children)
    if (t.at(c).name == name) return c;
  return kNoNode;
}

class UbiImage : public ::testing::TestWithParam<Geometry> {
 protected:
  void SetUp() override {
    if (!have_mtd_utils()) GTEST_SKIP() << "mkfs.ubifs / ubinize (mtd-utils) not installed";
    ASSERT_TRUE(work.ok());
    const Geometry& g = GetParam();
    leb = g.peb - g.data_offset;
    namespace fs = std::filesystem;
    std::string src = work / "root";
    fs::create_directories(src + "/etc");
    ASSERT_TRUE(write_text(src + "/etc/hostname", "gateway\n"));
    fs::create_symlink("hostname", src + "/etc/name");
    UbifsOptions o;
    o.min_io = g.fs_min_io;
    o.leb_size = leb;
    o.max_leb_cnt = 40;
    auto fs_img = mkfs_ubifs(work, src, o);
    ASSERT_TRUE(fs_img) << read_text(work / "mkfs.ubifs.log");
    ubifs = *fs_img;
    kernel = random_bytes(2 * leb + 1234, 3);  // three LEBs, the last one partial
    ASSERT_TRUE(write_text(work / "kernel.bin", kernel));
    ini = "[kernel]\nmode=ubi\nimage=" + (work / "kernel.bin") +
          "\nvol_id=0\nvol_type=static\nvol_name=kernel\n"
          "[rootfs]\nmode=ubi\nimage=" + (work / "fs.ubifs") +
          "\nvol_id=1\nvol_type=dynamic\nvol_name=rootfs\nvol_size=" + std::to_string(30 * leb) + "\n"
          "[data]\nmode=ubi\nvol_id=2\nvol_type=dynamic\nvol_name=data\nvol_size=" + std::to_string(3 * leb) +
          "\nvol_flags=autoresize\n";
    auto u = ubinize(work, ini, g.peb, g.min_io, g.sub_page);
    ASSERT_TRUE(u) << read_text(work / "ubinize.log");
    image = *u;
  }

  // Checks the three volumes the test built.
  void expect_volumes(const Tree& t, NodeId region) {
    NodeId k = child_named(t, region, "ubi-volume:kernel");
    NodeId r = child_named(t, region, "ubi-volume:rootfs");
    NodeId d = child_named(t, region, "ubi-volume:data");
    ASSERT_NE(k, kNoNode) << diag_dump(t);
    ASSERT_NE(r, kNoNode);
    ASSERT_NE(d, kNoNode);
    EXPECT_EQ(t.at(k).type, NodeType::region);
    EXPECT_TRUE(content_of(t, k) == kernel);  // static: exact size from the VID headers
    EXPECT_EQ(t.at(k).size, kernel.size());
    std::string rc = content_of(t, r);
    EXPECT_EQ(rc.size(), 30u * leb);  // dynamic: the reserved LEBs
    ASSERT_GE(rc.size(), ubifs.size());
    EXPECT_TRUE(std::equal(ubifs.begin(), ubifs.end(), rc.begin(),
                           [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); }));
    EXPECT_EQ(rc.find_first_not_of('\xff', ubifs.size()), std::string::npos);
    std::string dc = content_of(t, d);
    EXPECT_EQ(dc.size(), 3u * leb);
    EXPECT_EQ(dc.find_first_not_of('\xff'), std::string::npos);
  }

  TempDir work;
  unsigned leb = 0;
  std::vector<std::uint8_t> ubifs, image;
  std::string kernel, ini;
};

TEST_P(UbiImage, GeometryFromHeaders) {
  const Geometry& g = GetParam();
  auto geo = formats::detect_ubi_geometry(ByteView(image.data(), image.size()));
  ASSERT_TRUE(geo) << geo.error().message;
  EXPECT_EQ(geo->peb_size, g.peb);
  EXPECT_EQ(geo->vid_hdr_offset, g.vid_offset);
  EXPECT_EQ(geo->data_offset, g.data_offset);
  EXPECT_EQ(geo->image_seq, 0x1234abcdu);
  EXPECT_EQ(geo->length(), image.size());
}

TEST_P(UbiImage, VolumesBecomeRegionsAndUbifsReadsFromThem) {
  auto run = run_unpacker("ubi", image);
  ASSERT_TRUE(run.probed);
  ASSERT_TRUE(run.consumed) << run.consumed.error().message;
  EXPECT_EQ(*run.consumed, image.size());
  const Tree& t = *run.tree;
  expect_volumes(t, run.region);
  EXPECT_FALSE(any_diag(t, "ubi.vtbl")) << diag_dump(t);
  EXPECT_FALSE(any_diag(t, "ubi.data_crc"));

  NodeId r = child_named(t, run.region, "ubi-volume:rootfs");
  auto fs = run_unpacker("ubifs", t.content(r));
  ASSERT_TRUE(fs.probed);
  ASSERT_TRUE(fs.consumed);
  NodeId root = fs_root_of(*fs.tree, fs.region);
  NodeId host = fs.tree->resolve(root, "/etc/hostname");
  ASSERT_NE(host, kNoNode);
  EXPECT_EQ(content_of(*fs.tree, host), "gateway\n");
  EXPECT_EQ(fs.tree->resolve(root, "/etc/name"), host);
}

TEST_P(UbiImage, EngineCarvesUbiAtAnOffset) {
  std::vector<std::uint8_t> fw(3 * GetParam().peb, 0x00);
  fw.insert(fw.end(), image.begin(), image.end());
  auto t = unpack_bytes(fw);
  NodeId region = kNoNode;
  for (NodeId id : all_regions(*t))
    if (t->at(id).format == "ubi") region = id;
  ASSERT_NE(region, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(region).origin.offset, 3u * GetParam().peb);
  EXPECT_EQ(t->at(region).origin.length, image.size());
  expect_volumes(*t, region);
}

TEST_P(UbiImage, TruncationGivesPartialVolumes) {
  const Geometry& g = GetParam();
  for (std::size_t cut : {std::size_t{100}, std::size_t{g.data_offset + 10}, std::size_t{g.peb + 10},
                          std::size_t{2 * g.peb + g.data_offset + 500}, image.size() / 2, image.size() - g.peb / 2,
                          image.size() - 1}) {
    std::vector<std::uint8_t> part(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(cut));
    auto run = run_unpacker("ubi", part);
    if (!run.probed) continue;
    ASSERT_TRUE(run.consumed) << cut;
    const Tree& t = *run.tree;
    // A cut at a PEB boundary is a shorter, consistent image; anything else is reported.
    if (cut % g.peb != 0) EXPECT_FALSE(t.at(run.region).diagnostics.empty()) << "cut at " << cut;
    for (NodeId c : t.at(run.region).children) {
      EXPECT_EQ(t.at(c).type, NodeType::region);
      EXPECT_LE(t.content(c)->view().size(), 64u * g.peb);
    }
  }
}

TEST_P(UbiImage, StaticVolumeCrcMismatchIsReported) {
  const Geometry& g = GetParam();
  // The kernel volume's LEB 0 is the first PEB after the two layout PEBs in ubinize output;
  // find it by its VID header instead of assuming.
  for (std::size_t p = 0; p + g.peb <= image.size(); p += g.peb) {
    auto vid = formats::parse_ubi_vid_header(ByteView(image.data() + p + g.vid_offset, 64));
    if (vid && vid->vol_id == 0 && vid->lnum == 0) image[p + g.data_offset + 7] ^= 1;
  }
  auto run = run_unpacker("ubi", image);
  ASSERT_TRUE(run.consumed);
  NodeId k = child_named(*run.tree, run.region, "ubi-volume:kernel");
  ASSERT_NE(k, kNoNode);
  EXPECT_TRUE(has_diag(*run.tree, k, "ubi.data_crc")) << diag_dump(*run.tree);
}

TEST_P(UbiImage, NewerCopyOfALebWins) {
  const Geometry& g = GetParam();
  // Append a second copy of kernel LEB 1 with different data and a higher sequence number.
  std::size_t src_peb = 0;
  for (std::size_t p = 0; p + g.peb <= image.size(); p += g.peb) {
    auto vid = formats::parse_ubi_vid_header(ByteView(image.data() + p + g.vid_offset, 64));
    if (vid && vid->vol_id == 0 && vid->lnum == 1) src_peb = p;
  }
  ASSERT_NE(src_peb, 0u);
  std::vector<std::uint8_t> copy(image.begin() + static_cast<std::ptrdiff_t>(src_peb),
                                 image.begin() + static_cast<std::ptrdiff_t>(src_peb + g.peb));
  for (std::size_t i = 0; i < leb; ++i) copy[g.data_offset + i] = static_cast<std::uint8_t>('N');
  std::size_t v = g.vid_offset;
  copy[v + 47] = 9;  // sqnum (big-endian u64 at 40): 9
  put_be32(copy, v + 32, mtd_crc(copy.data() + g.data_offset, leb));  // data_crc
  put_be32(copy, v + 60, mtd_crc(copy.data() + v, 60));
  image.insert(image.end(), copy.begin(), copy.end());
  auto run = run_unpacker("ubi", image);
  ASSERT_TRUE(run.consumed);
  const Tree& t = *run.tree;
  NodeId k = child_named(t, run.region, "ubi-volume:kernel");
  ASSERT_NE(k, kNoNode);
  std::string kc = content_of(t, k);
  ASSERT_EQ(kc.size(), kernel.size());
  EXPECT_EQ(kc.substr(0, leb), kernel.substr(0, leb));
  EXPECT_EQ(kc.substr(leb, leb), std::string(leb, 'N'));
  EXPECT_TRUE(has_diag(t, run.region, "ubi.duplicate_leb"));
  EXPECT_FALSE(has_diag(t, k, "ubi.data_crc")) << diag_dump(t);
}

TEST_P(UbiImage, HostileLebNumberAndVolumeName) {
  const Geometry& g = GetParam();
  for (std::size_t p = 0; p + g.peb <= image.size(); p += g.peb) {
    std::size_t v = p + g.vid_offset;
    auto vid = formats::parse_ubi_vid_header(ByteView(image.data() + v, 64));
    if (!vid) continue;
    if (vid->vol_id == 2) continue;
    if (vid->vol_id == 1 && vid->lnum == 0) {
      put_be32(image, v + 12, 0x7FFFFFF0u);  // lnum far beyond the reservation
      put_be32(image, v + 60, mtd_crc(image.data() + v, 60));
    }
    if (vid->vol_id == formats::kUbiLayoutVolumeId) {
      // Rename volume 1 to "../../x" in both table copies.
      std::size_t rec = p + g.data_offset + 172;
      const char evil[] = "../../x";
      image[rec + 14] = 0;
      image[rec + 15] = 7;
      for (std::size_t i = 0; i < 128; ++i) image[rec + 16 + i] = i < 7 ? static_cast<std::uint8_t>(evil[i]) : 0;
      put_be32(image, rec + 168, mtd_crc(image.data() + rec, 168));
    }
  }
  auto run = run_unpacker("ubi", image);
  ASSERT_TRUE(run.consumed);
  const Tree& t = *run.tree;
  EXPECT_TRUE(any_diag(t, "ubi.lnum")) << diag_dump(t);
  NodeId r = child_named(t, run.region, "ubi-volume:.._.._x");
  ASSERT_NE(r, kNoNode) << diag_dump(t);
  EXPECT_EQ(t.content(r)->view().size(), 30u * leb);
  for (NodeId c : t.at(run.region).children) EXPECT_EQ(t.at(c).name.find('/'), std::string::npos);
}

TEST_P(UbiImage, DamagedFirstTableCopyUsesTheSecond) {
  const Geometry& g = GetParam();
  for (std::size_t p = 0; p + g.peb <= image.size(); p += g.peb) {
    auto vid = formats::parse_ubi_vid_header(ByteView(image.data() + p + g.vid_offset, 64));
    if (vid && vid->vol_id == formats::kUbiLayoutVolumeId && vid->lnum == 0) image[p + g.data_offset + 20] ^= 0xFF;
  }
  auto run = run_unpacker("ubi", image);
  ASSERT_TRUE(run.consumed);
  EXPECT_TRUE(has_diag(*run.tree, run.region, "ubi.vtbl"));
  expect_volumes(*run.tree, run.region);
}

INSTANTIATE_TEST_SUITE_P(Flash, UbiImage,
                         ::testing::Values(Geometry{"nand2k", 131072, 2048, 0, 2048, 2048, 4096},
                                           Geometry{"nand2k_subpage", 131072, 2048, 512, 2048, 512, 2048},
                                           Geometry{"nor64k", 65536, 1, 0, 8, 64, 128}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(UbiProbe, RejectsDamagedFirstHeaderAndGarbage) {
  const unpack::Unpacker* u = unpack::find("ubi");
  ASSERT_NE(u, nullptr);
  std::vector<std::uint8_t> h(4096, 0xFF);
  EXPECT_FALSE(u->probe(ByteView(h.data(), h.size())));
  // A valid EC header, then its CRC broken.
  h.assign(4096, 0xFF);
  const char magic[] = "UBI#";
  for (int i = 0; i < 4; ++i) h[i] = static_cast<std::uint8_t>(magic[i]);
  h[4] = 1;
  for (int i = 5; i < 60; ++i) h[i] = 0;
  put_be32(h, 16, 64);
  put_be32(h, 20, 128);
  put_be32(h, 60, mtd_crc(h.data(), 60));
  auto p = u->probe(ByteView(h.data(), h.size()));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->length, 4096u);  // a single PEB: the whole data
  h[30] ^= 1;
  EXPECT_FALSE(u->probe(ByteView(h.data(), h.size())));
  EXPECT_FALSE(u->probe(ByteView(h.data(), 40)));
}

TEST(UbiProbe, OffsetsMustBeConsistent) {
  std::vector<std::uint8_t> h(4096, 0);
  const char magic[] = "UBI#";
  for (int i = 0; i < 4; ++i) h[i] = static_cast<std::uint8_t>(magic[i]);
  h[4] = 1;
  put_be32(h, 16, 2048);
  put_be32(h, 20, 1024);  // data before the VID header
  put_be32(h, 60, mtd_crc(h.data(), 60));
  EXPECT_FALSE(formats::detect_ubi_geometry(ByteView(h.data(), h.size())));
}

}  // namespace
}  // namespace iotaudit
