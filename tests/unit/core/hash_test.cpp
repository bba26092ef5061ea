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

TEST(Hash, MultiBlockInputsAndPartsDigestLikeTheWhole) {
  // FIPS 180-2: two blocks, and one million 'a' (many blocks, one update call).
  EXPECT_EQ(sha256_hex(view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  EXPECT_EQ(sha256_hex(view(million)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(sha1_hex(view(million)), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  // Parts, empty ones included, digest like their concatenation (TP-Link's salted MD5 is built so).
  const std::string whole = "The quick brown fox jumps over the lazy dog";
  for (std::size_t cut = 0; cut <= whole.size(); cut += 7) {
    const std::string_view w = whole;
    EXPECT_EQ(md5_raw({view(w.substr(0, cut)), view(""), view(w.substr(cut))}), md5_raw({view(w)})) << cut;
    EXPECT_EQ(sha256_raw({view(w.substr(0, cut)), view(w.substr(cut))}), sha256_raw(view(w))) << cut;
    EXPECT_EQ(sha1_raw({view(w.substr(0, cut)), view(w.substr(cut))}), sha1_raw({view(w)})) << cut;
  }
  EXPECT_EQ(md5_hex(view(whole)), "9e107d9d372bb6826bd81d3542a419d6");
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
