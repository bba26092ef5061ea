// credentials.default_password and credentials.empty_password on hashes made with crypt(3).
#include <crypt.h>

#include <gtest/gtest.h>

#include <memory>

#include "analyze/analyzer.hpp"
#include "core/embedded_data.hpp"
#include "unit/support/archive_writer.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

std::string crypt_hash(const std::string& password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();
  const char* h = crypt_r(password.c_str(), setting.c_str(), data.get());
  EXPECT_NE(h, nullptr);
  EXPECT_NE(h[0], '*') << "crypt_r refused setting " << setting;
  return h ? h : "";
}

bool in_default_list(std::string_view pw) {
  auto text = embedded::file("credentials/default-passwords.txt");
  if (!text) return false;
  std::size_t i = 0;
  while (i < text->size()) {
    std::size_t j = text->find('\n', i);
    if (j == std::string_view::npos) j = text->size();
    if (text->substr(i, j - i) == pw) return true;
    i = j + 1;
  }
  return false;
}

struct Run {
  std::unique_ptr<Tree> tree;
  analyze::AnalysisResult result;
};

Run analyze_tar(const std::string& passwd, const std::string& shadow) {
  Run r;
  r.tree = unpack_bytes(make_archive(ArchiveFormat::ustar,
                                     {dir("bin"), file("etc/passwd", passwd), file("etc/shadow", shadow, 0600)}));
  auto ex = make_serial_executor();
  Limits lim;
  lim.crack_seconds = 1e6;  // results must not depend on machine speed
  analyze::Context ctx{*r.tree, *ex, lim};
  r.result = analyze::analyze(ctx);
  return r;
}

std::vector<const Finding*> findings_of(const Run& r, std::string_view check) {
  std::vector<const Finding*> out;
  for (const auto& f : r.result.findings)
    if (f.check_id == check) out.push_back(&f);
  return out;
}

const CheckRun* run_of(const Run& r, std::string_view check) {
  for (const auto& c : r.result.runs)
    if (c.check_id == check) return &c;
  return nullptr;
}

TEST(DefaultPassword, ListHoldsTheTestPasswords) {
  // The test relies on these being in data/credentials/default-passwords.txt.
  EXPECT_TRUE(in_default_list("admin"));
  EXPECT_TRUE(in_default_list("xc3511"));
  EXPECT_TRUE(in_default_list("vizxv"));
  EXPECT_FALSE(in_default_list("Tq7#mW2pLz9$vK4e"));
}

TEST(DefaultPassword, FindsListedPasswordsInMd5Sha512AndDesHashes) {
  const std::string md5 = crypt_hash("admin", "$1$Qx7bR2s9$");
  const std::string sha512 = crypt_hash("xc3511", "$6$Zp4LmQ8vNf2Kd0Wa$");
  const std::string des = crypt_hash("vizxv", "Kq");
  const std::string own_name = crypt_hash("operator", "$6$rT5yU8iO1pA3sD6f$");
  const std::string strong = crypt_hash("Tq7#mW2pLz9$vK4e", "$6$Hj3kL6zX9cV2bN5m$");
  ASSERT_TRUE(md5.starts_with("$1$"));
  ASSERT_TRUE(sha512.starts_with("$6$"));
  ASSERT_EQ(des.size(), 13u);

  auto r = analyze_tar(
      "root:x:0:0:root:/root:/bin/sh\n"
      "support:x:1:1::/:/bin/sh\n"
      "legacy:" + des + ":2:2::/:/bin/sh\n"
      "operator:x:3:3::/:/bin/sh\n"
      "secure:x:4:4::/:/bin/sh\n",
      "root:" + md5 + ":19000:0:99999:7:::\n"
      "support:" + sha512 + ":19000:0:99999:7:::\n"
      "operator:" + own_name + ":19000:0:99999:7:::\n"
      "secure:" + strong + ":19000:0:99999:7:::\n");

  auto found = findings_of(r, "credentials.default_password");
  std::map<std::string, std::string> matched;  // account -> password
  for (const Finding* f : found) {
    ASSERT_EQ(f->evidence.size(), 1u);
    const auto& e = f->evidence[0];
    matched[e.facts.at("account")] = e.facts.at("matched_password");
    EXPECT_EQ(f->severity, Severity::critical);
    // The hash itself never appears in full in the excerpt.
    EXPECT_EQ(e.excerpt.find(md5), std::string::npos);
    EXPECT_EQ(e.excerpt.find(sha512), std::string::npos);
    EXPECT_FALSE(f->fingerprint.empty());
  }
  EXPECT_EQ(matched, (std::map<std::string, std::string>{
                         {"legacy", "vizxv"}, {"operator", "operator"}, {"root", "admin"}, {"support", "xc3511"}}));
  EXPECT_EQ(matched.count("secure"), 0u);

  // Evidence points at the line holding the hash.
  for (const Finding* f : found) {
    const auto& e = f->evidence[0];
    if (e.facts.at("account") == "legacy") {
      EXPECT_EQ(e.path, "/etc/passwd");
      EXPECT_EQ(e.line, 3u);
      EXPECT_EQ(e.facts.at("hash_scheme"), "des");
    }
    if (e.facts.at("account") == "support") {
      EXPECT_EQ(e.path, "/etc/shadow");
      EXPECT_EQ(e.line, 2u);
      EXPECT_EQ(e.facts.at("hash_scheme"), "sha512");
    }
  }

  const CheckRun* run = run_of(r, "credentials.default_password");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->subjects, 5u);
  // One hash matched nothing known: that does not prove it is unique per device.
  EXPECT_FALSE(run->conclusive);
  EXPECT_FALSE(run->notes.empty());
}

TEST(DefaultPassword, StrongPasswordAloneIsNotReported) {
  const std::string strong = crypt_hash("Tq7#mW2pLz9$vK4e", "$1$Vb8nM3qR$");
  auto r = analyze_tar("root:x:0:0::/root:/bin/sh\n", "root:" + strong + ":19000:0:99999:7:::\n");
  EXPECT_TRUE(findings_of(r, "credentials.default_password").empty());
  const CheckRun* run = run_of(r, "credentials.default_password");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->subjects, 1u);
  EXPECT_FALSE(run->conclusive);
}

TEST(DefaultPassword, LockedAndEmptyAccountsAreNotCracked) {
  const std::string md5 = crypt_hash("admin", "$1$Qx7bR2s9$");
  auto r = analyze_tar("a:x:1:1::/:/bin/sh\nb:x:2:2::/:/bin/sh\n",
                       "a:!" + md5 + ":1:0:99999:7:::\nb::1:0:99999:7:::\n");
  EXPECT_TRUE(findings_of(r, "credentials.default_password").empty());
  EXPECT_EQ(run_of(r, "credentials.default_password")->subjects, 0u);
}

TEST(EmptyPassword, ReportsEmptyFieldsOnly) {
  const std::string md5 = crypt_hash("admin", "$1$Qx7bR2s9$");
  auto r = analyze_tar(
      "root::0:0::/root:/bin/sh\n"
      "ftp::50:50::/srv:/bin/false\n"
      "user:x:1000:1000::/home/user:/bin/sh\n"
      "locked:x:1001:1001::/:/bin/sh\n"
      "hashed:x:1002:1002::/:/bin/sh\n",
      "user::19000:0:99999:7:::\n"
      "locked:!:19000:0:99999:7:::\n"
      "hashed:" + md5 + ":19000:0:99999:7:::\n");
  auto found = findings_of(r, "credentials.empty_password");
  std::map<std::string, Severity> sev;
  for (const Finding* f : found) sev[f->evidence.at(0).facts.at("account")] = f->severity;
  EXPECT_EQ(sev, (std::map<std::string, Severity>{
                     {"ftp", Severity::high}, {"root", Severity::critical}, {"user", Severity::critical}}));
  for (const Finding* f : found) {
    const auto& e = f->evidence.at(0);
    if (e.facts.at("account") == "user") {
      EXPECT_EQ(e.path, "/etc/shadow");
      EXPECT_EQ(e.line, 1u);
    }
    if (e.facts.at("account") == "root") {
      EXPECT_EQ(e.path, "/etc/passwd");
      EXPECT_EQ(e.line, 1u);
    }
  }
  const CheckRun* run = run_of(r, "credentials.empty_password");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->subjects, 5u);
  EXPECT_TRUE(run->conclusive);
}

TEST(EmptyPassword, NoAccountsNoSubjects) {
  auto r = analyze_tar("", "");
  EXPECT_TRUE(findings_of(r, "credentials.empty_password").empty());
  EXPECT_EQ(run_of(r, "credentials.empty_password")->subjects, 0u);
}

TEST(Censor, KeepsPrefixOnly) {
  EXPECT_EQ(analyze::censor("abcdefghijkl", 4), "abcd********");
  EXPECT_EQ(analyze::censor("abc", 4), "***");
  EXPECT_EQ(analyze::censor("$6$saltsaltsaltsalt$hash", 6).substr(0, 6), "$6$sal");
  EXPECT_EQ(analyze::censor("$6$saltsaltsaltsalt$hash", 6).find("hash"), std::string::npos);
}

}  // namespace
}  // namespace iotaudit
