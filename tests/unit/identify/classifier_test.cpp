// Component classifiers: loading rejects malformed data with a message naming the culprit;
// scanning finds versions, honours scopes, requirements and pattern preference, and stays bounded
// on hostile blobs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "identify/classifier.hpp"
#include "unit/support/temp_dir.hpp"

namespace iotaudit {
namespace {

using identify::ClassifierSet;

ByteView bytes(const std::string& s) { return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

std::string one(const std::string& fields) {
  return R"J({"schema": "iotaudit-classifiers/1", "classifiers": [{"id": "x", "product": "X", )J" + fields + "}]}";
}

std::string load_error(const std::string& json) {
  auto s = ClassifierSet::load(json);
  return s ? std::string("loaded") : s.error().message;
}

TEST(Classifiers, LoadErrorsNameTheCulprit) {
  EXPECT_NE(load_error("not json").find("not a JSON object"), std::string::npos);
  EXPECT_NE(load_error(R"J({"schema": "other", "classifiers": []})J").find("schema"), std::string::npos);
  // A schema that is not a string is refused, not thrown (found by the catalog fuzz target in
  // the standards loader, which had the same code).
  EXPECT_NE(load_error(R"J({"schema": ["iotaudit-classifiers/1"], "classifiers": []})J").find("schema"),
            std::string::npos);
  EXPECT_NE(load_error(R"J({"schema": 1, "classifiers": []})J").find("schema"), std::string::npos);
  EXPECT_NE(load_error(one(R"J("patterns": [])J")).find("x: needs at least one pattern"), std::string::npos);
  EXPECT_NE(load_error(one(R"J("patterns": [{"regex": "X v[0-9]+"}])J")).find("x pattern 1: needs a group"),
            std::string::npos);
  // Unbounded: the version is captured in a window around the match end.
  EXPECT_NE(load_error(one(R"J("patterns": [{"regex": "X v([0-9.]+)"}])J")).find("longer than 512 bytes"),
            std::string::npos);
  EXPECT_NE(load_error(one(R"J("patterns": [{"regex": "X v([0-9]{1,3}"}])J")).find("x pattern 1"), std::string::npos);
  EXPECT_NE(load_error(one(R"J("cpe": "cpe:/a:x:x", "patterns": [{"regex": "X v([0-9]{1,3})"}])J")).find("cpe"),
            std::string::npos);
  EXPECT_NE(load_error(one(R"J("scopes": ["pdf"], "patterns": [{"regex": "X v([0-9]{1,3})"}])J")).find("unknown scope"),
            std::string::npos);
  EXPECT_NE(load_error(one(R"J("patterns": [{"regex": "X v([0-9]{1,3})", "confidence": "sure"}])J")).find("confidence"),
            std::string::npos);
  EXPECT_NE(load_error(one(R"J("requires_any": ["ab"], "patterns": [{"regex": "X v([0-9]{1,3})"}])J")).find("4 bytes"),
            std::string::npos);
  std::string dup = R"J({"schema": "iotaudit-classifiers/1", "classifiers": [
      {"id": "a", "product": "A", "patterns": [{"regex": "A([0-9]{1,2})"}]},
      {"id": "a", "product": "B", "patterns": [{"regex": "B([0-9]{1,2})"}]}]})J";
  EXPECT_NE(load_error(dup).find("duplicate id a"), std::string::npos);
  EXPECT_EQ(load_error(one(R"J("patterns": [{"regex": "X v([0-9]{1,3}\\.[0-9]{1,3})"}])J")), "loaded");
}

TEST(Classifiers, VersionScopeRequirementAndPreference) {
  auto set = ClassifierSet::load(R"J({"schema": "iotaudit-classifiers/1", "classifiers": [
    {"id": "tool", "product": "Tool", "scopes": ["elf"],
     "patterns": [{"regex": "Tool release ([0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2})"},
                  {"regex": "Tool v([0-9]{1,2}\\.[0-9]{1,2})", "confidence": "low"}]},
    {"id": "lib", "product": "Lib", "scopes": ["elf", "raw"], "requires_any": ["lib_init", "lib_free"],
     "patterns": [{"regex": "Lib ([0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2})\\x00"}]}]})J");
  ASSERT_TRUE(set) << set.error().message;
  std::string blob = std::string("\x7f" "ELF junk Tool v2.1 more Tool release 2.1.7 and ", 46) +
                     std::string("Lib 1.2.3\0 tail", 15);
  // Without a requirement literal, "Lib 1.2.3" is a mention, not the library.
  auto hits = set->scan(bytes(blob), identify::kElf);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(set->classifiers()[hits[0].classifier].id, "tool");
  EXPECT_EQ(hits[0].version, "2.1.7");  // the preferred pattern wins, wherever it sits
  EXPECT_EQ(hits[0].pattern, 0u);
  EXPECT_EQ(hits[0].offset, blob.find("Tool release"));
  EXPECT_EQ(hits[0].evidence, "Tool release 2.1.7");
  blob += "lib_free";
  hits = set->scan(bytes(blob), identify::kElf);
  ASSERT_EQ(hits.size(), 2u);
  std::set<std::string> got;
  for (const auto& h : hits) got.insert(set->classifiers()[h.classifier].id + "@" + h.version);
  EXPECT_EQ(got, (std::set<std::string>{"tool@2.1.7", "lib@1.2.3"}));
  // Scope: a raw blob is not searched for "tool".
  hits = set->scan(bytes(blob), identify::kRaw);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(set->classifiers()[hits[0].classifier].id, "lib");
  // Only the fallback pattern present: its version, with its confidence.
  hits = set->scan(bytes("xx Tool v3.4 yy"), identify::kElf);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].version, "3.4");
  EXPECT_EQ(hits[0].pattern, 1u);
  EXPECT_TRUE(set->scan(bytes(""), identify::kElf).empty());
}

TEST(Classifiers, HostileBlobsStayBounded) {
  auto set = ClassifierSet::load(one(R"J("patterns": [{"regex": "X v([0-9]{1,4}\\.[0-9]{1,4})"}])J"));
  ASSERT_TRUE(set);
  // 8 MiB of version-like strings: one hit, from the first.
  std::string blob;
  for (int i = 0; blob.size() < (8u << 20); ++i) blob += "X v" + std::to_string(i % 1000) + "." + std::to_string(i) + " ";
  auto hits = set->scan(bytes(blob), identify::kElf);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].version, "0.0");
  // A match at the very end and at the very start of the blob.
  hits = set->scan(bytes("X v1.2"), identify::kElf);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].version, "1.2");
  // Versions that are not versions.
  EXPECT_EQ(identify::normalize_version("1.2."), "1.2");
  EXPECT_EQ(identify::normalize_version("v1.2"), "");
  EXPECT_EQ(identify::normalize_version(""), "");
  EXPECT_EQ(identify::normalize_version(std::string("1.2\x01", 4)), "");
}

TEST(Classifiers, VersionFromTheFileNameOnlyForContentIdentifiedLibraries) {
  auto set = ClassifierSet::load(one(
      R"J("version_from_name": "libx\\.so\\.([0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3})", "patterns": [{"regex": "x_init_all\\x00"}])J"));
  ASSERT_TRUE(set) << set.error().message;
  const auto& c = set->classifiers()[0];
  EXPECT_EQ(identify::version_from_name(c, "libx.so.1.2.0"), "1.2.0");
  EXPECT_EQ(identify::version_from_name(c, "libx.so.1"), "");
  EXPECT_EQ(identify::version_from_name(c, "dropbear"), "");
  auto hits = set->scan(bytes(std::string("..x_init_all\0..", 15)), identify::kElf);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].version, "");  // the caller supplies it from the name, or drops the hit
  EXPECT_NE(load_error(one(R"J("version_from_name": "libx\\.so", "patterns": [{"regex": "x_init_all"}])J"))
                .find("one group"),
            std::string::npos);
}

TEST(Classifiers, CompiledDatabaseCacheIsUsedAndDamageFallsBackToCompiling) {
  test::TempDir dir;
  const std::string json = one(R"J("patterns": [{"regex": "X v([0-9]{1,4}\\.[0-9]{1,4})"}])J");
  auto scan_once = [&](const std::string& cache) {
    auto set = ClassifierSet::load(json, cache);
    EXPECT_TRUE(set) << (set ? "" : set.error().message);
    if (!set) return std::string("load failed");
    auto hits = set->scan(bytes("... X v4.5 ..."), identify::kElf);
    return hits.size() == 1 ? hits[0].version : std::string("no hit");
  };
  EXPECT_EQ(scan_once(dir.path()), "4.5");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].extension(), ".hsdb");
  EXPECT_EQ(scan_once(dir.path()), "4.5");  // read back from the cache
  // A damaged cache file is ignored (and replaced).
  for (std::size_t cut : {0u, 3u, 10u, 200u}) {
    std::filesystem::resize_file(files[0], cut);
    EXPECT_EQ(scan_once(dir.path()), "4.5") << cut;
  }
  {
    std::ofstream f(files[0], std::ios::binary | std::ios::trunc);
    f << "IAHS1\n" << std::string(64, '\xff');
  }
  EXPECT_EQ(scan_once(dir.path()), "4.5");
}

TEST(Classifiers, BuiltinSetLoadsAndCoversTheCommonEmbeddedProducts) {
  const auto& set = ClassifierSet::builtin();
  ASSERT_GE(set.classifiers().size(), 60u);
  std::set<std::string> ids;
  for (const auto& c : set.classifiers()) {
    ids.insert(c.id);
    EXPECT_FALSE(c.purl.empty()) << c.id;
  }
  for (const char* want : {"busybox", "dropbear", "openssh", "openssl", "wolfssl", "mbedtls", "uclibc", "uclibc-ng",
                           "musl", "glibc", "linux-kernel", "u-boot", "dnsmasq", "lighttpd", "hostapd", "curl", "zlib"})
    EXPECT_TRUE(ids.contains(want)) << want;
  // Real banners from embedded firmware.
  struct Case {
    std::string text;
    unsigned scope;
    std::string id, version;
  };
  for (const Case& k : std::vector<Case>{
           {"BusyBox v1.19.4 (2015-09-17 13:13:22 CST) multi-call binary.", identify::kElf, "busybox", "1.19.4"},
           {"SSH-2.0-dropbear_2019.78\r\n", identify::kElf, "dropbear", "2019.78"},
           {std::string("OpenSSL 1.0.2k  26 Jan 2017\0cryptlib.c", 38), identify::kElf, "openssl", "1.0.2k"},
           {"Linux version 2.6.36.4brcmarm (root@build) (gcc version 4.5.3) #1 SMP PREEMPT", identify::kRaw,
            "linux-kernel", "2.6.36.4"},
           {"U-Boot 1.1.4 (Sep 21 2015 - 17:19:01)", identify::kRaw, "u-boot", "1.1.4"},
           {"dnsmasq-2.80\0", identify::kElf, "dnsmasq", "2.80"},
           {"lighttpd/1.4.45", identify::kElf, "lighttpd", "1.4.45"},
           {" deflate 1.2.11 Copyright 1995-2017 Jean-loup Gailly and Mark Adler ", identify::kElf, "zlib", "1.2.11"},
       }) {
    auto hits = set.scan(bytes(k.text), k.scope);
    ASSERT_EQ(hits.size(), 1u) << k.text;
    EXPECT_EQ(set.classifiers()[hits[0].classifier].id, k.id) << k.text;
    EXPECT_EQ(hits[0].version, k.version) << k.text;
  }
  // A program that merely mentions the OpenSSL it was built against is not OpenSSL: neither without
  // the release date of the library's own version text, nor with it (nginx prints "built with
  // OpenSSL 3.0.9 30 May 2023") when none of the library's own source file names is there.
  EXPECT_TRUE(set.scan(bytes("compiled against OpenSSL 1.1.1 headers"), identify::kElf).empty());
  EXPECT_TRUE(set.scan(bytes("nginx version: nginx/1.25.1\nbuilt with OpenSSL 3.0.9 30 May 2023"), identify::kElf).size() == 1);
}

}  // namespace
}  // namespace iotaudit
