#include "core/bytes.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <thread>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace iotaudit {
namespace {

ByteView view_of(const std::vector<std::uint8_t>& v) { return {v.data(), v.size()}; }

TEST(ByteView, SubReturnsExactRange) {
  std::vector<std::uint8_t> d{0, 1, 2, 3, 4, 5, 6, 7};
  ByteView v = view_of(d);
  auto s = v.sub(2, 3);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->size(), 3u);
  EXPECT_EQ(s->data(), d.data() + 2);
  EXPECT_EQ(s->data()[0], 2);
  EXPECT_EQ(s->data()[2], 4);
}

TEST(ByteView, SubAtEndWithZeroLengthIsEmptyNotError) {
  std::vector<std::uint8_t> d{1, 2, 3};
  auto s = view_of(d).sub(3, 0);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->empty());
}

TEST(ByteView, SubOutOfRangeIsTruncatedError) {
  std::vector<std::uint8_t> d{1, 2, 3, 4};
  ByteView v = view_of(d);
  EXPECT_FALSE(v.sub(0, 5));
  EXPECT_FALSE(v.sub(5, 0));
  EXPECT_FALSE(v.sub(3, 2));
  auto e = v.sub(2, 3);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Errc::truncated);
  // offset + length would wrap around in 64-bit arithmetic.
  EXPECT_FALSE(v.sub(2, std::numeric_limits<std::uint64_t>::max()));
  EXPECT_FALSE(v.sub(std::numeric_limits<std::uint64_t>::max(), 1));
  // The whole range is fine.
  auto all = v.sub(0, 4);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 4u);
}

TEST(ByteView, TailClampsAndEmptiesPastEnd) {
  std::vector<std::uint8_t> d{10, 11, 12, 13};
  ByteView v = view_of(d);
  EXPECT_EQ(v.tail(0).size(), 4u);
  EXPECT_EQ(v.tail(1).size(), 3u);
  EXPECT_EQ(v.tail(1).data()[0], 11);
  EXPECT_EQ(v.tail(3).size(), 1u);
  EXPECT_EQ(v.tail(3).data()[0], 13);
  EXPECT_TRUE(v.tail(4).empty());
  EXPECT_TRUE(v.tail(1000).empty());
  EXPECT_TRUE(v.tail(std::numeric_limits<std::uint64_t>::max()).empty());
}

TEST(ByteView, HeadClampsToSize) {
  std::vector<std::uint8_t> d{10, 11, 12, 13};
  ByteView v = view_of(d);
  EXPECT_EQ(v.head(0).size(), 0u);
  EXPECT_EQ(v.head(2).size(), 2u);
  EXPECT_EQ(v.head(2).data(), d.data());
  EXPECT_EQ(v.head(4).size(), 4u);
  EXPECT_EQ(v.head(5).size(), 4u);
  EXPECT_EQ(v.head(std::numeric_limits<std::uint64_t>::max()).size(), 4u);
}

TEST(ByteView, EmptyViewOperations) {
  ByteView v;
  EXPECT_TRUE(v.empty());
  EXPECT_TRUE(v.tail(0).empty());
  EXPECT_TRUE(v.head(10).empty());
  EXPECT_TRUE(v.sub(0, 0));
  EXPECT_FALSE(v.sub(0, 1));
  EXPECT_FALSE(v.starts_with("a"));
  EXPECT_TRUE(v.starts_with(""));
}

TEST(ByteView, StartsWithAndHasAt) {
  ByteView v(std::string_view("hsqs\0\0abc", 9));
  EXPECT_TRUE(v.starts_with("hsqs"));
  EXPECT_FALSE(v.starts_with("sqsh"));
  EXPECT_TRUE(v.has_at(6, "abc"));
  EXPECT_FALSE(v.has_at(7, "abc"));  // would run past the end
  EXPECT_FALSE(v.has_at(6, "abcd"));
  EXPECT_TRUE(v.has_at(9, ""));
  EXPECT_FALSE(v.has_at(10, ""));
  ByteView shorter(std::string_view("hs"));
  EXPECT_FALSE(shorter.starts_with("hsqs"));
}

TEST(Reader, LittleEndianReads) {
  std::vector<std::uint8_t> d{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                              0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  Reader r(view_of(d), Endian::little);
  EXPECT_EQ(*r.u8(), 0x01u);
  EXPECT_EQ(*r.u16(), 0x0302u);
  EXPECT_EQ(*r.u32(), 0x07060504u);
  EXPECT_EQ(*r.u64(), 0x0f0e0d0c0b0a0908ull);
  EXPECT_EQ(r.pos(), 15u);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(Reader, BigEndianReads) {
  std::vector<std::uint8_t> d{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                              0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  Reader r(view_of(d), Endian::big);
  EXPECT_EQ(*r.u8(), 0x01u);
  EXPECT_EQ(*r.u16(), 0x0203u);
  EXPECT_EQ(*r.u32(), 0x04050607u);
  EXPECT_EQ(*r.u64(), 0x08090a0b0c0d0e0full);
}

TEST(Reader, HighBitBytesDoNotSignExtend) {
  std::vector<std::uint8_t> d{0xff, 0x80, 0x80, 0xff};
  Reader le(view_of(d), Endian::little);
  EXPECT_EQ(*le.u32(), 0xff8080ffu);
  Reader be(view_of(d), Endian::big);
  EXPECT_EQ(*be.u16(), 0xff80u);
  EXPECT_EQ(*be.u16(), 0x80ffu);
}

TEST(Reader, SwitchingEndianMidStream) {
  std::vector<std::uint8_t> d{0x12, 0x34, 0x12, 0x34};
  Reader r(view_of(d));
  EXPECT_EQ(r.endian(), Endian::little);
  EXPECT_EQ(*r.u16(), 0x3412u);
  r.set_endian(Endian::big);
  EXPECT_EQ(*r.u16(), 0x1234u);
}

TEST(Reader, TruncatedReadFailsAndDoesNotAdvance) {
  std::vector<std::uint8_t> d{1, 2, 3};
  Reader r(view_of(d));
  auto v = r.u32();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::truncated);
  EXPECT_EQ(r.pos(), 0u);
  EXPECT_EQ(*r.u16(), 0x0201u);
  EXPECT_FALSE(r.u16());
  EXPECT_EQ(r.pos(), 2u);
  EXPECT_EQ(*r.u8(), 3u);
  EXPECT_FALSE(r.u8());
  EXPECT_FALSE(r.u64());
}

TEST(Reader, SeekToEndAllowedPastEndRejected) {
  std::vector<std::uint8_t> d(10, 0);
  Reader r(view_of(d));
  EXPECT_TRUE(r.seek(10));
  EXPECT_EQ(r.remaining(), 0u);
  auto bad = r.seek(11);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::truncated);
  EXPECT_EQ(r.pos(), 10u);  // failed seek leaves position unchanged
  EXPECT_FALSE(r.seek(std::numeric_limits<std::uint64_t>::max()));
  EXPECT_TRUE(r.seek(3));
  EXPECT_EQ(r.pos(), 3u);
}

TEST(Reader, SkipPastEndRejected) {
  std::vector<std::uint8_t> d(10, 0);
  Reader r(view_of(d));
  EXPECT_TRUE(r.skip(4));
  EXPECT_EQ(r.pos(), 4u);
  EXPECT_FALSE(r.skip(7));
  EXPECT_EQ(r.pos(), 4u);
  EXPECT_FALSE(r.skip(std::numeric_limits<std::uint64_t>::max()));
  EXPECT_EQ(r.pos(), 4u);
  EXPECT_TRUE(r.skip(6));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.skip(0));
  EXPECT_FALSE(r.skip(1));
}

TEST(Reader, BytesReturnsSubViewAndChecksBounds) {
  std::vector<std::uint8_t> d{1, 2, 3, 4, 5};
  Reader r(view_of(d));
  ASSERT_TRUE(r.skip(1));
  auto b = r.bytes(3);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->size(), 3u);
  EXPECT_EQ(b->data(), d.data() + 1);
  EXPECT_EQ(r.pos(), 4u);
  EXPECT_FALSE(r.bytes(2));
  EXPECT_EQ(r.pos(), 4u);
  EXPECT_FALSE(r.bytes(std::numeric_limits<std::uint64_t>::max()));
}

TEST(Reader, FixedStringStopsAtNulAndConsumesWholeField) {
  std::string raw("root\0\0\0\0next", 12);
  Reader r{ByteView(std::string_view(raw))};
  auto s = r.fixed_string(8);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, "root");
  EXPECT_EQ(r.pos(), 8u);
  auto t = r.fixed_string(4);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, "next");  // no NUL: the whole field
  EXPECT_FALSE(r.fixed_string(1));
}

TEST(Reader, FixedStringTruncatedIsError) {
  std::string raw("abc");
  Reader r{ByteView(std::string_view(raw))};
  auto s = r.fixed_string(4);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::truncated);
  EXPECT_EQ(r.pos(), 0u);
  auto empty = r.fixed_string(0);
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, "");
}

TEST(Reader, FixedStringLeadingNulIsEmpty) {
  std::string raw("\0abc", 4);
  Reader r{ByteView(std::string_view(raw))};
  EXPECT_EQ(*r.fixed_string(4), "");
}

TEST(Blob, SliceSharesParentBytesAndClamps) {
  BlobPtr parent = make_blob(std::string_view("0123456789"));
  BlobPtr s = slice_blob(parent, 3, 4);
  EXPECT_EQ(s->view().as_chars(), "3456");
  EXPECT_EQ(s->view().data(), parent->view().data() + 3);
  EXPECT_EQ(slice_blob(parent, 8, 100)->view().as_chars(), "89");
  EXPECT_TRUE(slice_blob(parent, 11, 1)->view().empty());
  // The slice keeps the parent alive.
  std::weak_ptr<const Blob> weak = parent;
  parent.reset();
  EXPECT_FALSE(weak.expired());
  EXPECT_EQ(s->view().as_chars(), "3456");
}

// Whole files as text: a regular file of any size, an empty one, one that is not there, and a
// FIFO, whose size is 0 and whose bytes arrive later.
TEST(ReadFile, RegularEmptyMissingAndFifo) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("iotaudit-readfile-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string big(300000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + 1);
  std::ofstream(dir / "big", std::ios::binary).write(big.data(), static_cast<std::streamsize>(big.size()));
  std::ofstream(dir / "empty").close();
  std::string out = "stale";
  ASSERT_TRUE(read_file((dir / "big").string(), out));
  EXPECT_EQ(out, big);
  ASSERT_TRUE(read_file((dir / "empty").string(), out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(read_file((dir / "missing").string(), out));
  const std::string fifo = (dir / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] { std::ofstream(fifo, std::ios::binary) << "through a pipe"; });
  ASSERT_TRUE(read_file(fifo, out));
  writer.join();
  EXPECT_EQ(out, "through a pipe");
  fs::remove_all(dir);
}

// Pieces written one after the other: more of them than one writev() takes, empty ones among
// them, a file that was longer before (truncated), and the failures: a directory that is not
// there, and a full device (where the system has /dev/full).
TEST(WriteFilePieces, InOrderTruncatedAndFailures) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("iotaudit-writepieces-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::vector<std::string> storage;
  for (int i = 0; i < 5000; ++i) storage.push_back(i % 7 == 0 ? std::string() : std::string(i % 300, 'a' + i % 26));
  std::vector<std::string_view> pieces(storage.begin(), storage.end());
  std::string joined;
  for (auto p : pieces) joined += p;
  const std::string path = (dir / "out").string();
  std::ofstream(path) << std::string(joined.size() + 1000, 'x');  // longer than what replaces it
  ASSERT_TRUE(write_file_pieces(path, pieces));
  std::string back;
  ASSERT_TRUE(read_file(path, back));
  EXPECT_EQ(back, joined);
  const std::vector<std::string_view> none;
  ASSERT_TRUE(write_file_pieces(path, none));
  ASSERT_TRUE(read_file(path, back));
  EXPECT_TRUE(back.empty());
  EXPECT_FALSE(write_file_pieces((dir / "missing" / "out").string(), pieces));
  if (::access("/dev/full", W_OK) == 0) EXPECT_FALSE(write_file_pieces("/dev/full", pieces));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace iotaudit
