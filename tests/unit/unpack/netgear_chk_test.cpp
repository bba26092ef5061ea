// Netgear CHK images built by hand: kernel and rootfs parts found and searched, header fields,
// checksum comparison, truncation and hostile headers.
#include <gtest/gtest.h>

#include <string>

#include "formats/netgear_chk.hpp"
#include "unit/support/buffer.hpp"
#include "unit/support/compress.hpp"
#include "unit/support/unpack_util.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit {
namespace {

using namespace test;

std::string text(std::size_t n, const std::string& tag) {
  std::string s;
  while (s.size() < n) s += tag + " " + std::to_string(s.size()) + "\n";
  s.resize(n);
  return s;
}

ByteView view(const std::vector<std::uint8_t>& v) { return ByteView(v.data(), v.size()); }

struct Chk {
  std::vector<std::uint8_t> image;
  std::string kernel, rootfs;
  std::uint32_t header_len = 0, klen = 0;
};

Chk make_chk(bool good_sums = true) {
  Chk c;
  c.kernel = text(9000, "kernel");
  c.rootfs = text(12000, "rootfs");
  auto k = gzip(c.kernel), r = gzip(c.rootfs);
  std::string board = "U12H319T00_NETGEAR";
  c.header_len = static_cast<std::uint32_t>(40 + board.size());
  c.klen = static_cast<std::uint32_t>(k.size());
  Buffer b(true);
  b.u32(0, 0x2a23245e);
  b.u32(4, c.header_len);
  b.u8(8, 2);  // region
  const std::uint8_t ver[7] = {1, 0, 0, 22, 1, 0, 17};
  for (int i = 0; i < 7; ++i) b.u8(9 + static_cast<std::size_t>(i), ver[i]);
  b.u32(24, c.klen);
  b.u32(28, static_cast<std::uint32_t>(r.size()));
  b.raw(40, board);
  b.raw(c.header_len, std::string(k.begin(), k.end()));
  b.raw(c.header_len + k.size(), std::string(r.begin(), r.end()));
  auto ks = formats::netgear_checksum(ByteView(k.data(), k.size()));
  auto rs = formats::netgear_checksum(ByteView(r.data(), r.size()));
  b.u32(16, good_sums ? ks : ks ^ 1);
  b.u32(20, rs);
  auto& bytes = b.bytes();
  b.u32(32, formats::netgear_checksum(ByteView(bytes.data() + c.header_len, k.size() + r.size())));
  b.u32(36, 0);
  b.u32(36, formats::netgear_checksum(ByteView(bytes.data(), c.header_len)));  // as mkchkimg: field zero
  c.image = b.bytes();
  return c;
}

std::vector<std::string> checksum_diags(const Tree& t) {
  std::vector<std::string> out;
  for (NodeId id : all_regions(t))
    if (t.at(id).format == "netgear-chk")
      for (const auto& d : t.at(id).diagnostics)
        if (d.code == "netgear-chk.checksum") out.push_back(d.message);
  return out;
}

TEST(NetgearChk, ChecksumMatchesHandComputedValues) {
  EXPECT_EQ(formats::netgear_checksum(ByteView()), 0u);
  const std::uint8_t three[] = {1, 2, 3};
  EXPECT_EQ(formats::netgear_checksum(ByteView(three, 3)), 0x000a0006u);  // c0 = 6, c1 = 1 + 3 + 6
  std::vector<std::uint8_t> ff(70000, 0xff);  // sums overflow 16 bits and are folded
  std::uint64_t c0 = 0, c1 = 0;
  for (auto v : ff) c0 += v, c1 += c0;
  auto fold = [](std::uint64_t x) {
    x &= 0xffffffffu;
    std::uint64_t b = (x & 0xffff) + (x >> 16);
    return ((b >> 16) + b) & 0xffff;
  };
  EXPECT_EQ(formats::netgear_checksum(view(ff)), (fold(c1) << 16) | fold(c0));
}

TEST(NetgearChk, PartsHeaderAndChecksums) {
  Chk c = make_chk();
  auto t = unpack_bytes(c.image);
  NodeId r = kNoNode;
  for (NodeId id : all_regions(*t))
    if (t->at(id).format == "netgear-chk") r = id;
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(r).origin.length, c.image.size());
  EXPECT_FALSE(has_diag(*t, r, "netgear-chk.checksum")) << diag_dump(*t);
  std::string hdr;
  for (const auto& d : t->at(r).diagnostics)
    if (d.code == "netgear-chk.header") hdr = d.message;
  EXPECT_NE(hdr.find("board \"U12H319T00_NETGEAR\", version 1.0.0.22_1.0.17, region 2"), std::string::npos) << hdr;
  NodeId k = t->child(r, "kernel"), fs = t->child(r, "rootfs");
  ASSERT_NE(k, kNoNode);
  ASSERT_NE(fs, kNoNode);
  EXPECT_EQ(t->at(k).origin.offset, c.header_len);
  EXPECT_EQ(t->at(fs).origin.offset, c.header_len + c.klen);
  int found = 0;
  for (NodeId d : descendants(*t, r))
    if (t->at(d).format == "gzip") found += content_of(*t, d) == c.kernel || content_of(*t, d) == c.rootfs;
  EXPECT_EQ(found, 2) << diag_dump(*t);
  // A wrong kernel checksum is reported; everything is still extracted.
  t = unpack_bytes(make_chk(false).image);
  auto sums = checksum_diags(*t);
  ASSERT_EQ(sums.size(), 1u) << diag_dump(*t);
  EXPECT_TRUE(sums[0].starts_with("kernel checksum")) << sums[0];
  found = 0;
  for (NodeId d = 0; d < t->size(); ++d)
    if (t->at(d).format == "gzip") found += content_of(*t, d) == c.kernel || content_of(*t, d) == c.rootfs;
  EXPECT_EQ(found, 2) << diag_dump(*t);
  // A flipped rootfs byte breaks the rootfs and the image checksums; a flipped board id byte the
  // header checksum.
  auto img = c.image;
  img.back() ^= 0x40;
  t = unpack_bytes(img);
  sums = checksum_diags(*t);
  ASSERT_EQ(sums.size(), 2u) << diag_dump(*t);
  EXPECT_TRUE(sums[0].starts_with("rootfs checksum")) << sums[0];
  EXPECT_TRUE(sums[1].starts_with("image checksum")) << sums[1];
  img = c.image;
  img[45] = 'X';
  t = unpack_bytes(img);
  sums = checksum_diags(*t);
  ASSERT_EQ(sums.size(), 1u) << diag_dump(*t);
  EXPECT_TRUE(sums[0].starts_with("header checksum")) << sums[0];
}

TEST(NetgearChk, MkchkimgFillerIsNoVersion) {
  Chk c = make_chk();
  for (int i = 9; i < 16; ++i) c.image[static_cast<std::size_t>(i)] = 99;
  auto h = formats::parse_netgear_chk(view(c.image));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->version, "");
  EXPECT_EQ(h->region, 2);
  EXPECT_EQ(h->board_id, "U12H319T00_NETGEAR");
}

TEST(NetgearChk, TruncatedAndHostileHeaders) {
  Chk c = make_chk();
  // Inside the header: no image, no crash.
  for (std::size_t cut : {std::size_t{6}, std::size_t{30}, std::size_t{c.header_len - 1}}) {
    std::vector<std::uint8_t> part(c.image.begin(), c.image.begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);
    for (NodeId id : all_regions(*t)) EXPECT_NE(t->at(id).format, "netgear-chk") << cut;
  }
  // Header complete: what is there becomes parts, the cut is reported.
  for (std::size_t cut : {std::size_t{c.header_len}, std::size_t{c.header_len + 10}, std::size_t{c.header_len + c.klen},
                          c.image.size() - 50}) {
    std::vector<std::uint8_t> part(c.image.begin(), c.image.begin() + static_cast<std::ptrdiff_t>(cut));
    auto t = unpack_bytes(part);
    NodeId r = kNoNode;
    for (NodeId id : all_regions(*t))
      if (t->at(id).format == "netgear-chk") r = id;
    ASSERT_NE(r, kNoNode) << cut;
    EXPECT_TRUE(has_diag(*t, r, "netgear-chk.truncated")) << cut;
    for (NodeId p : regions_of(*t, r)) EXPECT_LE(t->at(p).origin.offset + t->at(p).origin.length, cut);
    EXPECT_EQ(t->child(r, "kernel") != kNoNode, cut > c.header_len) << cut;
    EXPECT_EQ(t->child(r, "rootfs") != kNoNode, cut > c.header_len + c.klen) << cut;
    if (cut >= c.header_len + c.klen) {
      ASSERT_NE(t->child(r, "kernel"), kNoNode);
      EXPECT_EQ(t->at(t->child(r, "kernel")).origin.length, c.klen);
      EXPECT_TRUE(checksum_diags(*t).empty()) << cut << diag_dump(*t);  // the whole kernel is there and right
    }
  }
  const unpack::Unpacker* u = unpack::find("netgear-chk");
  ASSERT_NE(u, nullptr);
  auto bad = c.image;
  bad[7] = 8;  // header length 8: shorter than the fixed part
  EXPECT_FALSE(u->probe(view(bad)));
  bad = c.image;
  bad[40] = 0x01;  // board id not text
  EXPECT_FALSE(u->probe(view(bad)));
  bad = c.image;
  for (int i = 24; i < 32; ++i) bad[static_cast<std::size_t>(i)] = 0xff;  // 8 GiB of parts
  EXPECT_FALSE(u->probe(view(bad)));
  std::vector<std::uint8_t> magic{0x2a, 0x23, 0x24, 0x5e, 0, 0};
  EXPECT_FALSE(u->probe(view(magic)));
}

}  // namespace
}  // namespace iotaudit
