// Wind River management filesystem (VxWorks web pages): a flat table of named, lzma-compressed
// files. Images are built here with liblzma's lzma-alone encoder in the real image's parameters
// (properties 0x5A: lc=0, lp=0, pb=2), and the real TP-Link VxWorks image is read when present.
#include <lzma.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/bytes.hpp"
#include "formats/wrmfs.hpp"
#include "unit/support/unpack_util.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit {
namespace {

using namespace test;

std::vector<std::uint8_t> lzma_alone(const std::string& text) {
  lzma_options_lzma opt{};
  EXPECT_FALSE(lzma_lzma_preset(&opt, 6));
  opt.dict_size = 1u << 23;
  opt.lc = 0;
  opt.lp = 0;
  opt.pb = 2;
  lzma_stream zs = LZMA_STREAM_INIT;
  EXPECT_EQ(lzma_alone_encoder(&zs, &opt), LZMA_OK);
  std::vector<std::uint8_t> out(text.size() + 1024);
  zs.next_in = reinterpret_cast<const std::uint8_t*>(text.data());
  zs.avail_in = text.size();
  zs.next_out = out.data();
  zs.avail_out = out.size();
  EXPECT_EQ(lzma_code(&zs, LZMA_FINISH), LZMA_STREAM_END);
  out.resize(zs.total_out);
  lzma_end(&zs);
  return out;
}

void put32be(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

struct File {
  std::string name, text;
};

// Header, table, then each file at a 4-byte aligned offset (from the magic), as in wr.fw.
std::vector<std::uint8_t> build(const std::vector<File>& files, bool compressed = true) {
  std::vector<std::uint8_t> img(formats::kWrmfsHeaderSize + files.size() * formats::kWrmfsEntrySize, 0);
  std::copy(formats::kWrmfsMagic.begin(), formats::kWrmfsMagic.end(), img.begin());
  put32be(img, 32, compressed ? 1 : 0);
  put32be(img, 36, static_cast<std::uint32_t>(files.size()));
  put32be(img, 40, 0x14034);
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::vector<std::uint8_t> data = compressed ? lzma_alone(files[i].text)
                                                : std::vector<std::uint8_t>(files[i].text.begin(), files[i].text.end());
    while (img.size() % 4) img.push_back(0);
    const std::size_t e = formats::kWrmfsHeaderSize + i * formats::kWrmfsEntrySize;
    std::copy(files[i].name.begin(), files[i].name.end(), img.begin() + static_cast<std::ptrdiff_t>(e));
    put32be(img, e + 40, static_cast<std::uint32_t>(data.size()));
    put32be(img, e + 44, static_cast<std::uint32_t>(img.size()));
    img.insert(img.end(), data.begin(), data.end());
  }
  return img;
}

std::string page(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s = "<html><body>";
  while (s.size() < n) s += "<p>item " + std::to_string(rng() % 1000) + "</p>\r\n";
  return s + "</body></html>";
}

const std::vector<File> kFiles = {{"common.js", "var str_main = parent.str_main;\n"},
                                  {"StatusRpm.htm", page(5000, 1)},
                                  {"help.css", page(300, 2)}};

TEST(Wrmfs, FilesComeOutDecodedAfterAVxWorksImage) {
  std::vector<std::uint8_t> bytes(0x1234, 0);
  std::mt19937 rng(7);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
  auto fs = build(kFiles);
  bytes.insert(bytes.end(), fs.begin(), fs.end());
  bytes.resize(bytes.size() + 3000, 0xff);
  auto t = unpack_bytes(bytes);
  NodeId region = kNoNode;
  for (NodeId r : all_regions(*t))
    if (t->at(r).format == "wrmfs") region = r;
  ASSERT_NE(region, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(region).origin.offset, 0x1234u);
  EXPECT_EQ(t->at(region).size, fs.size());
  NodeId root = fs_root_of(*t, region);
  ASSERT_NE(root, kNoNode);
  for (const auto& f : kFiles) {
    NodeId n = t->resolve(root, "/" + f.name);
    ASSERT_NE(n, kNoNode) << f.name;
    EXPECT_EQ(content_of(*t, n), f.text) << f.name;
    EXPECT_EQ(t->at(n).mode, static_cast<std::uint32_t>(S_IFREG | 0644));
  }
  EXPECT_EQ(diag_dump(*t), "");
}

TEST(Wrmfs, StoredFilesAreSlicesOfTheImage) {
  auto t = unpack_bytes(build(kFiles, /*compressed=*/false));
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u) << diag_dump(*t);
  NodeId root = fs_root_of(*t, regs[0]);
  EXPECT_EQ(content_of(*t, t->resolve(root, "/StatusRpm.htm")), kFiles[1].text);
}

TEST(Wrmfs, TruncationKeepsTheFilesBeforeTheCut) {
  auto img = build(kFiles);
  auto fs = formats::parse_wrmfs(ByteView(img.data(), img.size()));
  ASSERT_TRUE(fs);
  const std::size_t cut = fs->entries[1].offset + fs->entries[1].size / 2;
  img.resize(cut);
  auto t = unpack_bytes(img);
  auto regs = regions_of(*t, t->root());
  ASSERT_EQ(regs.size(), 1u) << diag_dump(*t);
  NodeId root = fs_root_of(*t, regs[0]);
  EXPECT_EQ(content_of(*t, t->resolve(root, "/common.js")), kFiles[0].text);
  EXPECT_TRUE(has_diag(*t, regs[0], "wrmfs.truncated")) << diag_dump(*t);
  EXPECT_TRUE(has_diag(*t, regs[0], "wrmfs.partial")) << diag_dump(*t);
  NodeId status = t->resolve(root, "/StatusRpm.htm");
  ASSERT_NE(status, kNoNode);  // listed, with what could be decoded and why it stops
  EXPECT_LT(content_of(*t, status).size(), kFiles[1].text.size());
  EXPECT_FALSE(t->at(status).diagnostics.empty());
}

TEST(Wrmfs, HostileTablesAreRefusedOrContained) {
  auto base = build(kFiles);
  {  // a count whose table cannot fit
    auto b = base;
    put32be(b, 36, 0x10000);
    EXPECT_FALSE(formats::parse_wrmfs(ByteView(b.data(), b.size())));
  }
  {  // an entry pointing into the table
    auto b = base;
    put32be(b, formats::kWrmfsHeaderSize + 44, 8);
    EXPECT_FALSE(unpack::find("wrmfs")->probe(ByteView(b.data(), b.size())));
  }
  {  // a name that climbs out is kept inside, with a diagnostic
    auto img = build({{"../../etc/passwd", "root::0:0::/:/bin/sh\n"}, {"ok.htm", "<html></html>"}});
    auto t = unpack_bytes(img);
    auto regs = regions_of(*t, t->root());
    ASSERT_EQ(regs.size(), 1u) << diag_dump(*t);
    NodeId root = fs_root_of(*t, regs[0]);
    EXPECT_NE(t->resolve(root, "/etc/passwd"), kNoNode);
    EXPECT_TRUE(any_diag(*t, "path.traversal")) << diag_dump(*t);
  }
  {  // every byte of the header and table damaged in turn: never a crash, a bounded tree
    for (std::size_t at = 0; at < formats::kWrmfsHeaderSize + 3 * formats::kWrmfsEntrySize; ++at) {
      auto b = base;
      b[at] ^= 0xA5;
      auto t = unpack_bytes(b);
      EXPECT_LT(t->size(), 50u) << at;
    }
  }
}

TEST(Wrmfs, RealTpLinkVxWorksImage) {
  std::filesystem::path p = std::filesystem::path(IOTAUDIT_SHARED_DIR) / "realdata/firmware/tplink-vxworks-fact-test/wr.fw";
  if (!std::filesystem::exists(p)) GTEST_SKIP() << "no " << p;
  std::ifstream in(p, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto t = unpack_bytes(bytes);
  NodeId region = kNoNode;
  for (NodeId r : all_regions(*t))
    if (t->at(r).format == "wrmfs") region = r;
  ASSERT_NE(region, kNoNode) << diag_dump(*t);
  EXPECT_EQ(t->at(region).origin.offset, 0x12dc74u);
  NodeId root = fs_root_of(*t, region);
  EXPECT_EQ(t->at(root).children.size(), 185u);
  EXPECT_TRUE(content_of(*t, t->resolve(root, "/common.js")).starts_with("//setTagStr(document,'ntw_common_js')"));
  for (NodeId c : t->at(root).children) EXPECT_TRUE(t->at(c).diagnostics.empty()) << t->at(c).name;
}

TEST(Wrmfs, WriteFuzzSeeds) {
  const char* dir = std::getenv("IOTAUDIT_WRITE_SEEDS");
  if (dir == nullptr) GTEST_SKIP() << "set IOTAUDIT_WRITE_SEEDS to write seeds";
  auto write = [&](const std::string& name, const std::vector<std::uint8_t>& b) {
    std::ofstream(std::string(dir) + "/" + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  };
  write("lzma_three_files.bin", build(kFiles));
  write("stored_three_files.bin", build(kFiles, false));
  auto cut = build(kFiles);
  cut.resize(cut.size() - 100);
  write("lzma_truncated.bin", cut);
}

}  // namespace
}  // namespace iotaudit
