// lzma-alone, bzip2, zstd, lz4 (frame and legacy) and lzop streams made with the Debian tools:
// decoded content, compressed length consumed, truncation keeping a prefix, and the ratio limit.
#include <gtest/gtest.h>

#include <string>

#include "unit/support/temp_dir.hpp"
#include "unit/support/tools.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

std::string text(std::size_t n) {
  std::string s;
  while (s.size() < n) s += "stream line " + std::to_string(s.size()) + " of configuration text\n";
  s.resize(n);
  return s;
}

struct StreamCase {
  const char* format;   // region format expected
  const char* command;  // compresses stdin to stdout
};

std::optional<std::vector<std::uint8_t>> compress(const TempDir& dir, const std::string& cmd, const std::string& data) {
  if (!write_text(dir / "in", data)) return std::nullopt;
  if (!run(cmd + " < '" + (dir / "in") + "' > '" + (dir / "out") + "'")) return std::nullopt;
  return file_bytes(dir / "out");
}

class Streams : public ::testing::TestWithParam<StreamCase> {
 protected:
  void SetUp() override {
    std::string cmd = GetParam().command;
    if (!have_tool(cmd.substr(0, cmd.find(' ')))) GTEST_SKIP() << cmd << " not installed";
  }
};

NodeId region_of(const Tree& t, std::string_view format) {
  for (NodeId id : regions_of(t, t.root()))
    if (t.at(id).format == format) return id;
  return kNoNode;
}

TEST_P(Streams, DecodesAtAnOffsetAndRecordsConsumedLength) {
  TempDir dir;
  const std::string payload = text(300000);
  auto c = compress(dir, GetParam().command, payload);
  ASSERT_TRUE(c);
  std::vector<std::uint8_t> blob(1000, 0x11);
  blob.insert(blob.end(), c->begin(), c->end());
  blob.insert(blob.end(), 700, 0xAA);
  auto t = unpack_bytes(blob);
  NodeId r = region_of(*t, GetParam().format);
  ASSERT_NE(r, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(r).origin.offset, 1000u);
  if (std::string(GetParam().format) != "lz4" || c->at(0) == 0x04)  // legacy lz4 has no end marker
    EXPECT_EQ(t->at(r).origin.length, c->size());
  EXPECT_TRUE(content_of(*t, r) == payload) << diag_dump(*t);
  EXPECT_EQ(t->at(r).diagnostics.size(), 0u) << diag_dump(*t);
}

TEST_P(Streams, TruncatedStreamKeepsPrefix) {
  TempDir dir;
  const std::string payload = text(2'000'000);
  auto c = compress(dir, GetParam().command, payload);
  ASSERT_TRUE(c);
  for (std::size_t cut : {c->size() * 3 / 4, c->size() - 3}) {
    std::vector<std::uint8_t> part(c->begin(), c->begin() + static_cast<long>(cut));
    auto t = unpack_bytes(part);
    NodeId r = region_of(*t, GetParam().format);
    ASSERT_NE(r, kNoNode) << "cut " << cut;
    std::string out = content_of(*t, r);
    EXPECT_TRUE(payload.starts_with(out)) << "cut " << cut;
    // Cutting only the trailer (checksum, end mark) can leave every data byte decodable.
    if (cut < c->size() - 16) EXPECT_LT(out.size(), payload.size());
    EXPECT_FALSE(t->at(r).diagnostics.empty()) << "a cut stream says so (cut " << cut << ")";
  }
}

TEST_P(Streams, ExpansionRatioLimitCutsBombs) {
  TempDir dir;
  const std::string zeros(64u << 20, '\0');
  auto c = compress(dir, GetParam().command, zeros);
  ASSERT_TRUE(c);
  Limits l;
  l.ratio_floor_bytes = 1u << 20;
  l.max_expansion_ratio = 50;
  auto t = unpack_bytes(*c, l);
  NodeId r = region_of(*t, GetParam().format);
  ASSERT_NE(r, kNoNode);
  EXPECT_TRUE(has_diag(*t, r, "limit.ratio")) << diag_dump(*t);
  EXPECT_LT(t->at(r).size, zeros.size());
}

INSTANTIATE_TEST_SUITE_P(All, Streams,
                         ::testing::Values(StreamCase{"lzma", "lzma -c"}, StreamCase{"bzip2", "bzip2 -c"},
                                           StreamCase{"zstd", "zstd -q -c"}, StreamCase{"lz4", "lz4 -q -c"},
                                           StreamCase{"lz4", "lz4 -l -q -c"}, StreamCase{"lzop", "lzop -c"}),
                         [](const auto& info) {
                           std::string n = info.param.command;
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

TEST(LzmaAlone, ImplausibleHeadersAreRejected) {
  // Properties byte 0x5d and an 8 MiB dictionary (the carving magic), then garbage.
  std::vector<std::uint8_t> blob = {0x5d, 0x00, 0x00, 0x80, 0x00};
  for (int i = 0; i < 4000; ++i) blob.push_back(static_cast<std::uint8_t>(i * 7919 % 251));
  auto t = unpack_bytes(blob);
  EXPECT_EQ(region_of(*t, "lzma"), kNoNode) << diag_dump(*t);
}

}  // namespace
}  // namespace iotaudit
