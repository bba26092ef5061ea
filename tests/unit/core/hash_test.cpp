#include "core/hash.hpp"

#include <gtest/gtest.h>

namespace iotaudit {
namespace {

ByteView view(std::string_view s) { return ByteView(s); }

TEST(Hash, DigestsOfKnownInputs) {
  // FIPS 180-2 and RFC 1321 test vectors.
  EXPECT_EQ(sha256_hex(view("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha1_hex(view("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(md5_hex(view("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_hex(view("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(sha256_raw(view("abc")).size(), 32u);
}

TEST(Hash, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(base64(view("")), "");
  EXPECT_EQ(base64(view("f")), "Zg==");
  EXPECT_EQ(base64(view("fo")), "Zm8=");
  EXPECT_EQ(base64(view("foo")), "Zm9v");
  EXPECT_EQ(base64(view("foob")), "Zm9vYg==");
  EXPECT_EQ(base64(view("fooba")), "Zm9vYmE=");
  EXPECT_EQ(base64(view("foobar")), "Zm9vYmFy");
  const std::uint8_t high[] = {0xff, 0xfe, 0xfd};
  EXPECT_EQ(base64(ByteView(high, 3)), "//79");
}

}  // namespace
}  // namespace iotaudit
