#include "unpack/engine.hpp"

#include <gtest/gtest.h>

#include <random>

#include "unit/support/archive_writer.hpp"
#include "unit/support/compress.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t x = rng();
    for (std::size_t k = 0; k < 8 && i + k < n; ++k) v[i + k] = static_cast<std::uint8_t>(x >> (8 * k));
  }
  return v;
}

void plant(std::vector<std::uint8_t>& v, std::size_t at, std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) v[at + i] = static_cast<std::uint8_t>(s[i]);
}

TEST(EngineCarving, RandomDataYieldsNoRegions) {
  auto t = unpack_bytes(random_bytes(4u << 20, 20240601));
  EXPECT_EQ(t->size(), 1u) << "false carve: " << (t->size() > 1 ? t->at(1).name : "");
  EXPECT_TRUE(all_regions(*t).empty());
  EXPECT_TRUE(t->at(t->root()).diagnostics.empty()) << diag_dump(*t);
}

TEST(EngineCarving, PlantedMagicsInRandomDataAreRejectedByProbes) {
  // Every signature the registry knows, planted many times with random bytes after it: the probes
  // (superblock checks, header checksums, a dry-run inflate) must refuse all of them.
  auto v = random_bytes(1u << 20, 7);
  std::mt19937 rng(11);
  const std::vector<std::string> magics = {"hsqs", "sqsh", std::string("\x1f\x8b\x08", 3),
                                           std::string("\xfd" "7zXZ\x00", 6), "070701", "070702",
                                           "070707", "PK\x03\x04"};
  for (int i = 0; i < 400; ++i) {
    const std::string& m = magics[static_cast<std::size_t>(i) % magics.size()];
    plant(v, 1024 + rng() % (v.size() - 4096), m);
  }
  for (int i = 0; i < 50; ++i) plant(v, 1024 + rng() % (v.size() - 4096), "ustar");
  auto t = unpack_bytes(v);
  EXPECT_TRUE(all_regions(*t).empty()) << "false carve: " << (t->size() > 1 ? t->at(1).name : "");
}

TEST(EngineCarving, ContainersAtOffsetsAreFoundInOrder) {
  auto v = random_bytes(3 * 65536, 3);
  auto gz = gzip(std::string_view("first payload, some text that inflates\n"));
  auto tar = make_archive(ArchiveFormat::ustar, {file("etc/hostname", "router\n")});
  std::copy(gz.begin(), gz.end(), v.begin() + 0x1000);
  ASSERT_LT(0x8000 + tar.size(), v.size());
  std::copy(tar.begin(), tar.end(), v.begin() + 0x8000);
  auto t = unpack_bytes(v);
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 2u) << diag_dump(*t);
  EXPECT_EQ(t->at(regs[0]).name, "gzip@0x1000");
  EXPECT_EQ(t->at(regs[0]).origin.offset, 0x1000u);
  EXPECT_EQ(t->at(regs[0]).origin.length, gz.size());
  EXPECT_EQ(content_of(*t, regs[0]), "first payload, some text that inflates\n");
  EXPECT_EQ(t->at(regs[1]).name, "tar@0x8000");
  NodeId root = fs_root_of(*t, regs[1]);
  ASSERT_NE(root, kNoNode);
  NodeId host = t->resolve(root, "/etc/hostname");
  ASSERT_NE(host, kNoNode);
  EXPECT_EQ(content_of(*t, host), "router\n");
}

// An archive followed directly by another container: the archive's extent must end where the
// archive ends, or the carver would skip what follows it.
class ArchiveThenGzip : public ::testing::TestWithParam<ArchiveFormat> {};

TEST_P(ArchiveThenGzip, ContainerAfterArchiveIsFound) {
  auto arc = make_archive(GetParam(), {file("etc/hostname", "router\n"), file("etc/motd", "hello\n")});
  auto gz = gzip(std::string_view("after the archive\n"));
  std::vector<std::uint8_t> v(512, 0xEE);  // something before, so the archive is carved at an offset
  v.insert(v.end(), arc.begin(), arc.end());
  const std::size_t gz_at = (v.size() + 511) / 512 * 512 + 1024;
  v.resize(gz_at, 0);
  v.insert(v.end(), gz.begin(), gz.end());
  v.resize(v.size() + 20000, 0);
  auto t = unpack_bytes(v);
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 2u) << diag_dump(*t);
  EXPECT_EQ(t->at(regs[0]).origin.offset, 512u);
  EXPECT_LE(t->at(regs[0]).origin.length, gz_at - 512);
  EXPECT_EQ(t->at(regs[1]).format, "gzip");
  EXPECT_EQ(t->at(regs[1]).origin.offset, gz_at);
  EXPECT_EQ(content_of(*t, regs[1]), "after the archive\n");
}

INSTANTIATE_TEST_SUITE_P(All, ArchiveThenGzip,
                         ::testing::Values(ArchiveFormat::ustar, ArchiveFormat::cpio_newc, ArchiveFormat::zip),
                         [](const auto& info) {
                           switch (info.param) {
                             case ArchiveFormat::ustar: return std::string("tar");
                             case ArchiveFormat::cpio_newc: return std::string("cpio");
                             default: return std::string("zip");
                           }
                         });

TEST(EngineCarving, EmptyInputHasOnlyTheImage) {
  auto t = unpack_bytes({});
  EXPECT_EQ(t->size(), 1u);
  EXPECT_EQ(t->at(0).type, NodeType::image);
  EXPECT_EQ(t->at(0).name, "img");
}

// gzip(gzip(...gzip(payload))) with `levels` layers.
std::vector<std::uint8_t> nested_gzip(unsigned levels) {
  std::string payload;
  for (int i = 0; i < 50; ++i) payload += "innermost payload line " + std::to_string(i) + "\n";
  std::vector<std::uint8_t> v(payload.begin(), payload.end());
  for (unsigned i = 0; i < levels; ++i) v = gzip(v);
  return v;
}

unsigned depth_of(const Tree& t, NodeId id) {
  unsigned d = 0;
  for (NodeId p = t.at(id).parent; p != kNoNode; p = t.at(p).parent) ++d;
  return d;
}

TEST(EngineLimits, NestingWithinMaxDepthIsFullyDecoded) {
  Limits lim;
  lim.max_depth = 5;
  auto t = unpack_bytes(nested_gzip(5), lim);
  auto regs = all_regions(*t);
  ASSERT_EQ(regs.size(), 5u) << diag_dump(*t);
  EXPECT_FALSE(any_diag(*t, "limit.")) << diag_dump(*t);
  NodeId innermost = regs.back();
  EXPECT_EQ(depth_of(*t, innermost), 5u);
  EXPECT_TRUE(content_of(*t, innermost).starts_with("innermost payload line 0\n"));
}

TEST(EngineLimits, NestingBeyondMaxDepthYieldsLimitDepth) {
  Limits lim;
  lim.max_depth = 3;
  auto t = unpack_bytes(nested_gzip(6), lim);
  auto regs = all_regions(*t);
  // Three levels are decoded; the fourth container is recorded but not extracted.
  ASSERT_EQ(regs.size(), 4u) << diag_dump(*t);
  NodeId last = regs.back();
  EXPECT_EQ(depth_of(*t, last), 4u);
  EXPECT_TRUE(has_diag(*t, last, "limit.depth")) << diag_dump(*t);
  // Not decoded: its bytes are still the gzip stream of the next layer.
  EXPECT_TRUE(content_of(*t, last).starts_with(std::string("\x1f\x8b\x08", 3)));
  for (NodeId r : regs)
    if (r != last) EXPECT_FALSE(has_diag(*t, r, "limit.")) << t->logical_path(r);
}

TEST(EngineLimits, NodeLimitStopsExtraction) {
  std::vector<Member> members;
  for (int i = 0; i < 200; ++i) members.push_back(file("f" + std::to_string(i), "x"));
  Limits lim;
  lim.max_nodes = 50;
  auto t = unpack_bytes(make_archive(ArchiveFormat::ustar, members), lim);
  EXPECT_TRUE(any_diag(*t, "limit.nodes")) << diag_dump(*t);
  EXPECT_LE(t->size(), 60u);
}

TEST(EngineExecutors, TbbAndSerialBuildTheSameTree) {
  // Many small containers: the parallel engine must find exactly what the serial one finds.
  std::vector<std::uint8_t> v;
  for (int i = 0; i < 40; ++i) {
    auto gz = gzip("member " + std::to_string(i) + " " + std::string(100, static_cast<char>('a' + i % 26)));
    v.resize((v.size() + 511) / 512 * 512);
    v.insert(v.end(), gz.begin(), gz.end());
  }
  auto serial = unpack_bytes(v);
  auto tbb = make_tbb_executor(4);
  unpack::Engine engine(Limits{}, *tbb);
  auto parallel = engine.unpack_blob(make_blob(v), "img");
  ASSERT_EQ(serial->size(), parallel->size());
  ASSERT_EQ(regions_of(*serial, 0).size(), 40u);
  for (NodeId id = 0; id < serial->size(); ++id) {
    EXPECT_EQ(serial->logical_path(id), parallel->logical_path(id));
    EXPECT_EQ(content_of(*serial, id), content_of(*parallel, id));
  }
}

}  // namespace
}  // namespace iotaudit
