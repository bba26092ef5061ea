#include "formats/squashfs_super.hpp"

#include <gtest/gtest.h>

#include "unit/support/buffer.hpp"
#include "unpack/unpacker.hpp"

namespace iotaudit::formats {
namespace {

using test::Buffer;

// A plausible v4 superblock (field offsets from squashfs_fs.h) followed by `total - 96` bytes.
Buffer v4_super(bool big = false, std::size_t total = 8192) {
  Buffer b(big);
  b.resize(total);
  b.raw(0, big ? "sqsh" : "hsqs");
  b.u32(4, 17);         // inodes
  b.u32(8, 1700000000); // mkfs time
  b.u32(12, 131072);    // block size
  b.u32(16, 1);         // fragments
  b.u16(20, 4);         // xz
  b.u16(22, 17);        // block_log
  b.u16(24, 0);         // flags
  b.u16(26, 1);         // id count
  b.u16(28, 4);         // major
  b.u16(30, 0);         // minor
  b.u64(32, 0);         // root inode ref
  b.u64(40, 4000);      // bytes used
  b.u64(48, 3900);      // id table
  b.u64(56, ~0ull);     // xattr table: none
  b.u64(64, 96);        // inode table
  b.u64(72, 2000);      // directory table
  b.u64(80, 3800);      // fragment table
  b.u64(88, ~0ull);     // export table: none
  return b;
}

ByteView view(Buffer& b) { return {b.bytes().data(), b.size()}; }

TEST(SquashfsSuper, AcceptsValidLittleEndianV4) {
  auto b = v4_super();
  auto s = parse_squashfs_super(view(b));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->endian, Endian::little);
  EXPECT_EQ(s->version_major, 4);
  EXPECT_EQ(s->version_minor, 0);
  EXPECT_EQ(s->inodes, 17u);
  EXPECT_EQ(s->block_size, 131072u);
  EXPECT_EQ(s->compression, 4);
  EXPECT_EQ(s->compression_name(), "xz");
  EXPECT_EQ(s->bytes_used, 4000u);
}

TEST(SquashfsSuper, AcceptsBytesUsedExactlyAtEndOfData) {
  auto b = v4_super(false, 4000);
  EXPECT_TRUE(parse_squashfs_super(view(b)));
}

TEST(SquashfsSuper, EveryBlockSizeFrom4KTo1MWithMatchingLog) {
  for (unsigned log = 12; log <= 20; ++log) {
    auto b = v4_super();
    b.u32(12, 1u << log);
    b.u16(22, static_cast<std::uint16_t>(log));
    EXPECT_TRUE(parse_squashfs_super(view(b))) << "block_log " << log;
  }
}

TEST(SquashfsSuper, RejectsWrongBlockLog) {
  auto b = v4_super();
  b.u16(22, 16);  // says 64 KiB, block size says 128 KiB
  auto s = parse_squashfs_super(view(b));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::malformed);
  b.u16(22, 40);  // a shift this large must not be undefined behaviour either
  EXPECT_FALSE(parse_squashfs_super(view(b)));
}

TEST(SquashfsSuper, RejectsBadBlockSize) {
  for (std::uint32_t bs : {0u, 2048u, 100000u, 2u << 20}) {
    auto b = v4_super();
    b.u32(12, bs);
    EXPECT_FALSE(parse_squashfs_super(view(b))) << bs;
  }
}

TEST(SquashfsSuper, RejectsUnknownCompressor) {
  for (std::uint16_t c : {0, 7, 0xffff}) {
    auto b = v4_super();
    b.u16(20, c);
    auto s = parse_squashfs_super(view(b));
    ASSERT_FALSE(s) << c;
    EXPECT_EQ(s.error().code, Errc::malformed);
  }
}

TEST(SquashfsSuper, RejectsBytesUsedBeyondData) {
  auto b = v4_super(false, 3999);  // bytes_used says 4000
  auto s = parse_squashfs_super(view(b));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::truncated);
}

TEST(SquashfsSuper, TruncatedImageAcceptedOnlyWhenAskedFor) {
  auto b = v4_super(false, 3000);  // bytes_used says 4000
  EXPECT_FALSE(parse_squashfs_super(view(b)));
  auto s = parse_squashfs_super(view(b), /*allow_truncated=*/true);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->bytes_used, 4000u);
  // Every other check still applies to a truncated image.
  b.u16(22, 16);
  EXPECT_FALSE(parse_squashfs_super(view(b), true));
  auto c = v4_super();
  EXPECT_FALSE(parse_squashfs_super(ByteView(c.bytes().data(), 95), true));  // the superblock is cut
}

TEST(SquashfsSuper, RejectsTablesOutsideTheFilesystem) {
  {
    auto b = v4_super();
    b.u64(64, 5000);  // inode table after bytes_used
    EXPECT_FALSE(parse_squashfs_super(view(b)));
  }
  {
    auto b = v4_super();
    b.u64(64, 2500);  // inode table after directory table
    EXPECT_FALSE(parse_squashfs_super(view(b)));
  }
  {
    auto b = v4_super();
    b.u64(48, 4000);  // id table at bytes_used
    EXPECT_FALSE(parse_squashfs_super(view(b)));
  }
  {
    auto b = v4_super();
    b.u64(40, 50);  // smaller than the superblock
    EXPECT_FALSE(parse_squashfs_super(view(b)));
  }
}

TEST(SquashfsSuper, RejectsNonZeroMinorAndImplausibleVersions) {
  auto b = v4_super();
  b.u16(30, 1);
  EXPECT_FALSE(parse_squashfs_super(view(b)));
  for (std::uint16_t major : {0, 5, 0x0400}) {
    auto c = v4_super();
    c.u16(28, major);
    EXPECT_FALSE(parse_squashfs_super(view(c))) << major;
  }
}

TEST(SquashfsSuper, RejectsMissingMagicAndTruncatedSuperblock) {
  auto b = v4_super();
  b.raw(0, "hsqt");
  EXPECT_FALSE(parse_squashfs_super(view(b)));
  auto c = v4_super(false, 8192);
  for (std::size_t n : {std::size_t{4}, std::size_t{30}, std::size_t{95}}) {
    auto s = parse_squashfs_super(ByteView(c.bytes().data(), n));
    ASSERT_FALSE(s) << n;
    EXPECT_EQ(s.error().code, Errc::truncated) << n;
  }
  EXPECT_FALSE(parse_squashfs_super(ByteView(std::string_view("hsq"))));
  EXPECT_FALSE(parse_squashfs_super(ByteView()));
}

TEST(SquashfsSuper, BigEndianV4IsParsedAsBigEndian) {
  auto b = v4_super(/*big=*/true);
  auto s = parse_squashfs_super(view(b));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->endian, Endian::big);
  EXPECT_EQ(s->version_major, 4);
  EXPECT_EQ(s->block_size, 131072u);
  // Read with the wrong byte order, the same bytes are no valid superblock.
  b.raw(0, "hsqs");
  EXPECT_FALSE(parse_squashfs_super(view(b)));
}

TEST(SquashfsSuper, Version3IsReportedWithoutV4Validation) {
  Buffer b;
  b.resize(4096);
  b.raw(0, "hsqs");
  b.u16(28, 3);
  b.u16(30, 1);
  auto s = parse_squashfs_super(view(b));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->version_major, 3);
  EXPECT_EQ(s->version_minor, 1);
}

// The squashfs unpacker's probe: what the carving engine uses to accept or refuse a candidate.
TEST(SquashfsProbe, V4LittleEndianAcceptedWithLength) {
  const auto* u = unpack::find("squashfs");
  ASSERT_NE(u, nullptr);
  auto b = v4_super();
  auto p = u->probe(view(b));
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->unsupported.has_value());
  EXPECT_EQ(p->length, 4000u);
}

TEST(SquashfsProbe, TruncatedImageIsACandidate) {
  auto b = v4_super(false, 1000);
  auto p = unpack::find("squashfs")->probe(view(b));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->length, 4000u);
  EXPECT_FALSE(p->unsupported.has_value());
}

// libsquashfs reads little-endian 4.0 only: big-endian 4.0 is declined (probe error) so that the
// engine offers it to the squashfs-be unpacker, and 1.x-3.x to squashfs-legacy.
TEST(SquashfsProbe, BigEndianAndVersion3AreDeclined) {
  const auto* u = unpack::find("squashfs");
  ASSERT_NE(u, nullptr);
  auto be = v4_super(true);
  auto p = u->probe(view(be));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("squashfs-be"), std::string::npos) << p.error().message;

  Buffer v3;
  v3.resize(4096);
  v3.raw(0, "hsqs");
  v3.u16(28, 3);
  auto q = u->probe(view(v3));
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().message.find("3.0"), std::string::npos) << q.error().message;

  Buffer v3be(true);
  v3be.resize(4096);
  v3be.raw(0, "sqsh");
  v3be.u16(28, 3);
  EXPECT_FALSE(u->probe(view(v3be)));
}

TEST(SquashfsProbe, EveryV4CompressorIsAccepted) {
  for (std::uint16_t c = 1; c <= 6; ++c) {
    auto b = v4_super();
    b.u16(20, c);
    auto p = unpack::find("squashfs")->probe(view(b));
    ASSERT_TRUE(p) << c;
    EXPECT_FALSE(p->unsupported.has_value()) << c;
  }
}

}  // namespace
}  // namespace iotaudit::formats
