#include "formats/passwd.hpp"

#include <gtest/gtest.h>

namespace iotaudit::formats {
namespace {

TEST(ParsePasswd, ReadsAllSevenFields) {
  auto p = parse_passwd("root:x:0:0:root user:/root:/bin/ash\nnobody:*:65534:65533:nobody:/var:/bin/false\n");
  EXPECT_TRUE(p.issues.empty());
  ASSERT_EQ(p.entries.size(), 2u);
  const auto& r = p.entries[0];
  EXPECT_EQ(r.name, "root");
  EXPECT_EQ(r.password, "x");
  EXPECT_EQ(r.uid, 0u);
  EXPECT_EQ(r.gid, 0u);
  EXPECT_EQ(r.gecos, "root user");
  EXPECT_EQ(r.home, "/root");
  EXPECT_EQ(r.shell, "/bin/ash");
  EXPECT_EQ(r.line, 1u);
  const auto& n = p.entries[1];
  EXPECT_EQ(n.name, "nobody");
  EXPECT_EQ(n.password, "*");
  EXPECT_EQ(n.uid, 65534u);
  EXPECT_EQ(n.gid, 65533u);
  EXPECT_EQ(n.shell, "/bin/false");
  EXPECT_EQ(n.line, 2u);
}

TEST(ParsePasswd, SkipsCommentsBlankAndNisLinesButCountsThem) {
  auto p = parse_passwd("# comment:x:0:0::/:/bin/sh\n\n+@netgroup\n-baduser\nadmin:x:1000:1000::/home/admin:/bin/sh\n");
  EXPECT_TRUE(p.issues.empty());
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(p.entries[0].name, "admin");
  EXPECT_EQ(p.entries[0].line, 5u);  // line numbers count skipped lines too
}

TEST(ParsePasswd, HandlesCrlfLineEndings) {
  auto p = parse_passwd("root:x:0:0:root:/root:/bin/sh\r\nuser::1:1:u:/home/u:/bin/ash\r\n");
  EXPECT_TRUE(p.issues.empty());
  ASSERT_EQ(p.entries.size(), 2u);
  EXPECT_EQ(p.entries[0].shell, "/bin/sh");  // no trailing '\r'
  EXPECT_EQ(p.entries[1].password, "");
  EXPECT_EQ(p.entries[1].shell, "/bin/ash");
}

TEST(ParsePasswd, LastLineWithoutNewline) {
  auto p = parse_passwd("a:x:1:1::/:/bin/sh\nb:x:2:2::/:/bin/sh");
  ASSERT_EQ(p.entries.size(), 2u);
  EXPECT_EQ(p.entries[1].name, "b");
  EXPECT_EQ(p.entries[1].shell, "/bin/sh");
}

TEST(ParsePasswd, ShortLinesAreIssues) {
  auto p = parse_passwd("short:x:1\nfour:x:5:6\nok:x:7:8:g:/h:/s\n");
  // "short" has 3 fields: unusable. "four" has uid and gid: kept, with an issue.
  ASSERT_EQ(p.issues.size(), 2u);
  EXPECT_EQ(p.issues[0].line, 1u);
  EXPECT_EQ(p.issues[1].line, 2u);
  ASSERT_EQ(p.entries.size(), 2u);
  EXPECT_EQ(p.entries[0].name, "four");
  EXPECT_EQ(p.entries[0].uid, 5u);
  EXPECT_EQ(p.entries[0].gid, 6u);
  EXPECT_EQ(p.entries[0].shell, "");
  EXPECT_EQ(p.entries[1].name, "ok");
}

TEST(ParsePasswd, NonNumericUidIsIssueAndNeverReportedAsRoot) {
  auto p = parse_passwd("evil:x:abc:0::/:/bin/sh\nneg:x:-1:0::/:/bin/sh\nhalf:x:12abc:0::/:/bin/sh\n"
                        "gid:x:5:zz::/:/bin/sh\ngood:x:1000:100::/:/bin/sh\n");
  ASSERT_EQ(p.issues.size(), 4u);
  EXPECT_EQ(p.issues[0].line, 1u);
  EXPECT_EQ(p.issues[1].line, 2u);
  EXPECT_EQ(p.issues[2].line, 3u);
  EXPECT_EQ(p.issues[3].line, 4u);
  for (const auto& is : p.issues) EXPECT_NE(is.message.find("non-numeric"), std::string::npos) << is.message;
  // A line whose uid or gid is not a number is not a usable account (glibc's parser rejects
  // "abc" and "12abc"); above all it must not turn into an account with uid or gid 0.
  bool good = false;
  for (const auto& e : p.entries) {
    EXPECT_NE(e.name, "evil");
    EXPECT_NE(e.name, "half");
    if (e.name == "neg") EXPECT_NE(e.uid, 0u);
    if (e.name == "gid") EXPECT_NE(e.gid, 0u);
    if (e.name == "good") {
      good = true;
      EXPECT_EQ(e.uid, 1000u);
      EXPECT_EQ(e.gid, 100u);
    }
  }
  EXPECT_TRUE(good);
}

TEST(ParsePasswd, UidOverflowIsIssue) {
  auto p = parse_passwd("big:x:4294967296:0::/:/bin/sh\nmax:x:4294967295:0::/:/bin/sh\n");
  ASSERT_EQ(p.issues.size(), 1u);
  EXPECT_EQ(p.issues[0].line, 1u);
  for (const auto& e : p.entries)
    if (e.name == "big") EXPECT_NE(e.uid, 0u);  // not wrapped around to root
  ASSERT_FALSE(p.entries.empty());
  EXPECT_EQ(p.entries.back().name, "max");
  EXPECT_EQ(p.entries.back().uid, 4294967295u);
}

TEST(ParsePasswd, EmptyUserNameIsIssue) {
  auto p = parse_passwd(":x:0:0::/:/bin/sh\n");
  EXPECT_TRUE(p.entries.empty());
  ASSERT_EQ(p.issues.size(), 1u);
  EXPECT_EQ(p.issues[0].line, 1u);
}

TEST(ParsePasswd, EmptyAndGarbageInput) {
  EXPECT_TRUE(parse_passwd("").entries.empty());
  EXPECT_TRUE(parse_passwd("").issues.empty());
  auto g = parse_passwd(std::string_view("\x7f" "ELF\x01\x02\x00\x00", 8));
  EXPECT_TRUE(g.entries.empty());
  EXPECT_EQ(g.issues.size(), 1u);
}

TEST(ParseShadow, ReadsNameAndPassword) {
  auto s = parse_shadow("root:$1$abc$def:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n");
  EXPECT_TRUE(s.issues.empty());
  ASSERT_EQ(s.entries.size(), 2u);
  EXPECT_EQ(s.entries[0].name, "root");
  EXPECT_EQ(s.entries[0].password, "$1$abc$def");
  EXPECT_EQ(s.entries[0].line, 1u);
  EXPECT_EQ(s.entries[1].name, "bin");
  EXPECT_EQ(s.entries[1].password, "*");
}

TEST(ParseShadow, CommentsCrlfAndShortLines) {
  auto s = parse_shadow("# header\r\nroot::19000:0:99999:7:::\r\nlonely\r\nshort:!\r\n:nohash:1:2:3:4:5:6:\r\n");
  ASSERT_EQ(s.entries.size(), 2u);
  EXPECT_EQ(s.entries[0].name, "root");
  EXPECT_EQ(s.entries[0].password, "");
  EXPECT_EQ(s.entries[0].line, 2u);
  EXPECT_EQ(s.entries[1].name, "short");
  EXPECT_EQ(s.entries[1].password, "!");  // no '\r' kept
  EXPECT_EQ(s.entries[1].line, 4u);
  // "lonely" (1 field), "short" (2 of 9 fields) and the empty name are reported.
  ASSERT_EQ(s.issues.size(), 3u);
  EXPECT_EQ(s.issues[0].line, 3u);
  EXPECT_EQ(s.issues[1].line, 4u);
  EXPECT_EQ(s.issues[2].line, 5u);
}

TEST(HashScheme, RecognisesCryptPrefixes) {
  EXPECT_EQ(hash_scheme("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"), "md5");
  EXPECT_EQ(hash_scheme("$5$rounds=5000$salt$abc"), "sha256");
  EXPECT_EQ(hash_scheme("$6$salt$IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSuDDl3aCI6WouIL9AjRbLCelDCy.g."), "sha512");
  EXPECT_EQ(hash_scheme("$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"), "bcrypt");
  EXPECT_EQ(hash_scheme("$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"), "bcrypt");
  EXPECT_EQ(hash_scheme("$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"), "bcrypt");
  EXPECT_EQ(hash_scheme("$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7"), "yescrypt");
  EXPECT_EQ(hash_scheme("$gy$j9T$abc$def"), "gost-yescrypt");
}

TEST(HashScheme, TraditionalDes) {
  EXPECT_EQ(hash_scheme("abJnggxhB/yWI"), "des");
  EXPECT_EQ(hash_scheme("./0123456789"), "unknown");    // 12 characters
  EXPECT_EQ(hash_scheme("./0123456789A"), "des");       // 13 of [./0-9A-Za-z]
  EXPECT_EQ(hash_scheme("ab!nggxhB/yWI"), "unknown");   // '!' is not in the alphabet
  EXPECT_EQ(hash_scheme("abJnggxhB/yWIx"), "unknown");  // 14 characters
}

TEST(HashScheme, Unknown) {
  EXPECT_EQ(hash_scheme(""), "unknown");
  EXPECT_EQ(hash_scheme("x"), "unknown");
  EXPECT_EQ(hash_scheme("*"), "unknown");
  EXPECT_EQ(hash_scheme("!$6$salt$hash"), "unknown");
  EXPECT_EQ(hash_scheme("$9$whatever"), "unknown");
  EXPECT_EQ(hash_scheme("$2x"), "unknown");
}

}  // namespace
}  // namespace iotaudit::formats
