// gzip and xz streams: decoding, truncation, and decompression bombs against Limits.
#include <lzma.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "analyze/analyzer.hpp"
#include "unit/support/compress.hpp"
#include "unit/support/unpack_util.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit {
namespace {

using namespace test;

std::vector<std::uint8_t> xz(std::string_view data) {
  std::vector<std::uint8_t> out(lzma_stream_buffer_bound(data.size()));
  std::size_t pos = 0;
  lzma_ret rc = lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr,
                                        reinterpret_cast<const std::uint8_t*>(data.data()), data.size(),
                                        out.data(), &pos, out.size());
  EXPECT_EQ(rc, LZMA_OK);
  out.resize(pos);
  return out;
}

std::string text(std::size_t n) {
  std::string s;
  while (s.size() < n) s += "line " + std::to_string(s.size()) + " of some configuration text\n";
  s.resize(n);
  return s;
}

bool all_zero(ByteView v) {
  return std::all_of(v.data(), v.data() + v.size(), [](std::uint8_t b) { return b == 0; });
}

TEST(GzipStream, DecodesAndRecordsConsumedLength) {
  const std::string payload = text(100000);
  auto gz = gzip(payload);
  auto blob = gz;
  blob.insert(blob.end(), 300, 0xAA);  // trailing bytes after the member are not part of it
  auto t = unpack_bytes(blob);
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u);
  const Node& r = t->at(regs[0]);
  EXPECT_EQ(r.format, "gzip");
  EXPECT_EQ(r.origin.length, gz.size());
  EXPECT_EQ(r.size, payload.size());
  EXPECT_TRUE(content_of(*t, regs[0]) == payload);
  EXPECT_EQ(diag_dump(*t), "");
}

TEST(GzipStream, TruncatedStreamKeepsPartialOutput) {
  const std::string payload = text(200000);
  auto gz = gzip(payload, 1);
  gz.resize(gz.size() / 2);
  auto t = unpack_bytes(gz);
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_TRUE(has_diag(*t, regs[0], "gzip.partial")) << diag_dump(*t);
  std::string out = content_of(*t, regs[0]);
  EXPECT_GT(out.size(), 0u);
  EXPECT_LT(out.size(), payload.size());
  EXPECT_TRUE(payload.starts_with(out)) << "partial output must be a prefix of the real data";
}

TEST(XzStream, DecodesAndRecordsConsumedLength) {
  const std::string payload = text(70000);
  auto x = xz(payload);
  auto blob = x;
  blob.insert(blob.end(), 100, 0x55);
  auto t = unpack_bytes(blob);
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u) << diag_dump(*t);
  EXPECT_EQ(t->at(regs[0]).format, "xz");
  EXPECT_EQ(t->at(regs[0]).origin.length, x.size());
  EXPECT_TRUE(content_of(*t, regs[0]) == payload);
}

TEST(XzStream, CorruptHeaderCrcIsNotACandidate) {
  auto x = xz(text(1000));
  x[7] ^= 0xff;  // stream header CRC32
  auto t = unpack_bytes(x);
  EXPECT_TRUE(regions_of(*t, t->root()).empty());
}

class Bomb : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { bomb_ = new std::vector<std::uint8_t>(gzip_zeros(300ull << 20)); }
  static void TearDownTestSuite() {
    delete bomb_;
    bomb_ = nullptr;
  }
  static std::vector<std::uint8_t>* bomb_;
};
std::vector<std::uint8_t>* Bomb::bomb_ = nullptr;

TEST_F(Bomb, PerNodeLimitCutsOutput) {
  ASSERT_LT(bomb_->size(), 1u << 20);  // ~1000:1
  Limits lim;
  // Small caps keep the decoded output (which is carved in turn) cheap to scan.
  lim.max_node_bytes = 8ull << 20;
  auto t = unpack_bytes(*bomb_, lim);
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_TRUE(has_diag(*t, regs[0], "limit.node_bytes")) << diag_dump(*t);
  ByteView out = t->content(regs[0])->view();
  EXPECT_GT(out.size(), 0u);
  EXPECT_LE(out.size(), lim.max_node_bytes) << "the per-node cap was exceeded";
  EXPECT_TRUE(all_zero(out));
  EXPECT_LE(t->at(regs[0]).size, lim.max_node_bytes);
}

TEST_F(Bomb, ExpansionRatioCutsOutputWithDefaultLimits) {
  Limits lim;  // 300 MiB is below the default per-node cap; the ratio is what stops it
  lim.ratio_floor_bytes = 8ull << 20;
  auto t = unpack_bytes(*bomb_, lim);
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_TRUE(has_diag(*t, regs[0], "limit.ratio")) << diag_dump(*t);
  ByteView out = t->content(regs[0])->view();
  EXPECT_LT(out.size(), 2 * lim.ratio_floor_bytes);  // stopped soon after the floor, not at 300 MiB
  EXPECT_GE(out.size(), lim.ratio_floor_bytes);  // never enforced below the floor
}

TEST_F(Bomb, TotalBytesLimitDiscardsStream) {
  Limits lim;
  lim.max_node_bytes = 16ull << 20;
  lim.max_total_bytes = 4ull << 20;
  auto t = unpack_bytes(*bomb_, lim);
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_TRUE(has_diag(*t, regs[0], "limit.total_bytes")) << diag_dump(*t);
  EXPECT_LE(t->content(regs[0])->view().size(), lim.max_total_bytes);
}

TEST_F(Bomb, LimitBecomesAFinding) {
  Limits lim;
  lim.max_node_bytes = 4ull << 20;
  auto t = unpack_bytes(*bomb_, lim);
  auto ex = make_serial_executor();
  analyze::Context ctx{*t, *ex, lim};
  const auto* check = analyze::find_check("unpack.limit_reached");
  ASSERT_NE(check, nullptr);
  Facts facts;
  auto out = check->run(ctx, facts);
  ASSERT_EQ(out.findings.size(), 1u);
  const Finding& f = out.findings[0];
  EXPECT_EQ(f.check_id, "unpack.limit_reached");
  ASSERT_EQ(f.evidence.size(), 1u);
  EXPECT_EQ(f.evidence[0].facts.at("diagnostic"), "limit.node_bytes");
  EXPECT_EQ(f.evidence[0].logical_path, "img \xC2\xBB gzip@0x0");
}

TEST(StreamProbe, GzipProbeRejectsGarbageAfterMagic) {
  const auto* u = unpack::find("gzip");
  ASSERT_NE(u, nullptr);
  std::string s("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  s += std::string(64, '\xff');
  EXPECT_FALSE(u->probe(ByteView(std::string_view(s))));
  std::string reserved("\x1f\x8b\x08\xe0", 4);  // reserved flag bits set
  reserved += std::string(64, '\0');
  EXPECT_FALSE(u->probe(ByteView(std::string_view(reserved))));
  EXPECT_FALSE(u->probe(ByteView(std::string_view("\x1f\x8b\x08", 3))));
  auto good = gzip(std::string_view("hello"));
  EXPECT_TRUE(u->probe(ByteView(good.data(), good.size())));
}

}  // namespace
}  // namespace iotaudit
