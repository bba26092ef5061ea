// OSV records: parsing (with the schema's required fields and hostile shapes), range evaluation as
// the OSV schema defines it, CVSS scores computed from vectors (checked against NVD's own scores in
// the real 2017 feed when present), and import plus matching end to end.
#include <gtest/gtest.h>

#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "match/cvss.hpp"
#include "match/db.hpp"
#include "match/feeds/nvd_json.hpp"
#include "match/feeds/osv.hpp"
#include "match/import.hpp"
#include "match/matcher.hpp"
#include "match/osv_match.hpp"
#include "unit/support/temp_dir.hpp"

namespace iotaudit::match {
namespace {

namespace fs = std::filesystem;

struct TempDir : test::TempDir {
  fs::path path{test::TempDir::path()};
  std::string write(const std::string& name, const std::string& content) {
    test::write_text((path / name).string(), content);
    return (path / name).string();
  }
};

// A distribution advisory in the shape osv.dev publishes for Debian (one affected entry per
// release, ECOSYSTEM ranges, the CVE under "upstream").
const char* kDebianRecord = R"J({
  "schema_version": "1.6.0",
  "id": "DEBIAN-CVE-2022-28391",
  "modified": "2024-09-18T03:20:00Z",
  "published": "2022-04-03T21:15:08Z",
  "upstream": ["CVE-2022-28391"],
  "details": "BusyBox through 1.35.0 allows remote attackers to execute arbitrary code if netstat is used to print a DNS PTR record's value to a VT compatible terminal.",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"}],
  "affected": [
    {"package": {"name": "busybox", "ecosystem": "Debian:11", "purl": "pkg:deb/debian/busybox?arch=source"},
     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.30.1-6+deb11u1"}]}]},
    {"package": {"name": "busybox", "ecosystem": "Debian:12", "purl": "pkg:deb/debian/busybox?arch=source"},
     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.35.0-4+b3"}]}]},
    {"package": {"name": "busybox", "ecosystem": "Debian:13", "purl": "pkg:deb/debian/busybox?arch=source"},
     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.36.1-1"}]}]}
  ]
})J";

OsvRecord parse_one(const std::string& text) {
  OsvRecord out;
  auto n = parse_osv_json(text, [&](OsvRecord&& r) { out = std::move(r); });
  EXPECT_TRUE(n) << (n ? "" : n.error().message);
  return out;
}

TEST(OsvParse, DistributionAdvisory) {
  OsvRecord r = parse_one(kDebianRecord);
  EXPECT_EQ(r.id, "DEBIAN-CVE-2022-28391");
  EXPECT_EQ(r.modified, "2024-09-18T03:20:00Z");
  ASSERT_EQ(r.affected.size(), 3u);
  EXPECT_EQ(r.affected[1].ecosystem, "Debian:12");
  EXPECT_EQ(r.affected[1].name, "busybox");
  ASSERT_EQ(r.affected[1].ranges.size(), 1u);
  ASSERT_EQ(r.affected[1].ranges[0].events.size(), 2u);
  EXPECT_EQ(r.affected[1].ranges[0].events[1].kind, "fixed");
  EXPECT_EQ(r.affected[1].ranges[0].events[1].version, "1:1.35.0-4+b3");
  EXPECT_EQ(r.cvss3_vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H");
  EXPECT_EQ(osv_cve_ids(r), std::vector<std::string>{"CVE-2022-28391"});
  EXPECT_EQ(osv_ecosystem_key("Debian:12"), "debian");
  EXPECT_EQ(osv_ecosystem_key("Alpine:v3.18"), "alpine");
  // Packed for the database and back.
  auto back = unpack_osv_affected(pack_osv_affected(r.affected[2]));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->ecosystem, "Debian:13");
  EXPECT_EQ(back->ranges[0].events[1].version, "1:1.36.1-1");
}

TEST(OsvParse, ArraysAndAliases) {
  std::size_t n = 0;
  std::vector<std::string> ids;
  auto res = parse_osv_json(R"J([{"id":"GHSA-xxxx-yyyy-zzzz","modified":"2023-01-01T00:00:00Z","aliases":["CVE-2023-0001","CVE-2023-0001","not-a-cve"]},
                                  {"id":"CVE-2023-0002","modified":"2023-01-02T00:00:00Z","withdrawn":"2023-02-01T00:00:00Z"}])J",
                            [&](OsvRecord&& r) {
                              ++n;
                              for (const auto& c : osv_cve_ids(r)) ids.push_back(c);
                            });
  ASSERT_TRUE(res);
  EXPECT_EQ(*res, 2u);
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(ids, (std::vector<std::string>{"CVE-2023-0001", "CVE-2023-0002"}));
}

TEST(OsvParse, MalformedRecordsAreRefusedWithTheirId) {
  auto err = [](const std::string& text, const OsvLimits& lim = {}) {
    auto r = parse_osv_json(text, [](OsvRecord&&) {}, lim);
    return r ? std::string() : r.error().message;
  };
  EXPECT_NE(err(R"({"id":"X-1"})").find("modified"), std::string::npos);
  EXPECT_NE(err(R"({"modified":"2020"})").find("no usable id"), std::string::npos);
  EXPECT_NE(err(R"({"id":"X-2","modified":"m","affected":{}})").find("X-2"), std::string::npos);
  EXPECT_NE(err(R"({"id":"X-3","modified":"m","affected":[{"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]})")
                .find("exactly one key"),
            std::string::npos);
  EXPECT_NE(err(R"({"id":"X-4","modified":"m","affected":[{"ranges":[{"type":"ECOSYSTEM","events":[{"broken":"1"}]}]}]})")
                .find("unknown event"),
            std::string::npos);
  EXPECT_NE(err(R"({"id":"X-5","modified":"m","affected":[{"ranges":[{"events":[]}]}]})").find("without a type"),
            std::string::npos);
  EXPECT_NE(err(R"({"id":"X-6","modified":"m","affected":[{"ranges":[{"type":"SEMVER","events":[{"introduced":5}]}]}]})")
                .find("version string"),
            std::string::npos);
  OsvLimits tiny;
  tiny.max_events = 2;
  EXPECT_NE(err(R"({"id":"X-7","modified":"m","affected":[{"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1"},{"introduced":"2"}]}]}]})",
                tiny)
                .find("more than 2 events"),
            std::string::npos);
  EXPECT_NE(err(R"({"id":"X-8","modified":"m")").find("OSV"), std::string::npos);  // truncated
  EXPECT_NE(err("[1]").find("not an object"), std::string::npos);
}

OsvAffected entry(const std::string& eco, const std::string& type, std::vector<OsvEvent> events,
                  std::vector<std::string> versions = {}) {
  OsvAffected a;
  a.ecosystem = eco;
  a.name = "pkg";
  if (!type.empty()) a.ranges.push_back({type, std::move(events)});
  a.versions = std::move(versions);
  return a;
}

bool affected(const std::vector<OsvAffected>& e, const std::string& v) {
  auto d = osv_decide(e, v);
  return d && d->affected;
}

TEST(OsvDecide, RangesAsTheSchemaDefinesThem) {
  // Two vulnerable stretches: [1.0, 1.2) and [2.0, 2.1].
  auto a = entry("npm", "SEMVER", {{"introduced", "1.0.0"}, {"fixed", "1.2.0"}, {"introduced", "2.0.0"},
                                   {"last_affected", "2.1.0"}});
  EXPECT_FALSE(affected({a}, "0.9.0"));
  EXPECT_TRUE(affected({a}, "1.0.0"));
  EXPECT_TRUE(affected({a}, "1.1.9"));
  EXPECT_FALSE(affected({a}, "1.2.0"));
  EXPECT_FALSE(affected({a}, "1.5.0"));
  EXPECT_TRUE(affected({a}, "2.1.0"));   // last_affected is inclusive
  EXPECT_FALSE(affected({a}, "2.1.1"));
  // Events in any order in the record.
  auto b = entry("npm", "SEMVER", {{"fixed", "3.0.0"}, {"introduced", "0"}});
  EXPECT_TRUE(affected({b}, "2.9.9"));
  EXPECT_FALSE(affected({b}, "3.0.0"));
  // Debian versions: epochs, revisions, binary rebuilds and tildes in Debian's order.
  auto d = entry("Debian:12", "ECOSYSTEM", {{"introduced", "0"}, {"fixed", "1:1.35.0-4+b3"}});
  EXPECT_TRUE(affected({d}, "1:1.35.0-4"));
  EXPECT_TRUE(affected({d}, "1:1.35.0-4+b2"));
  EXPECT_FALSE(affected({d}, "1:1.35.0-4+b3"));
  EXPECT_FALSE(affected({d}, "1:1.36.1-1"));
  EXPECT_TRUE(affected({d}, "1:1.35.0~rc1-1"));
  EXPECT_TRUE(affected({d}, "1.99-1"));  // no epoch sorts before epoch 1
  // Explicit version lists.
  auto v = entry("PyPI", "", {}, {"1.0", "1.1"});
  EXPECT_TRUE(affected({v}, "1.1"));
  EXPECT_FALSE(affected({v}, "1.2"));
  // Commit ranges decide nothing.
  auto g = entry("OSS-Fuzz", "GIT", {{"introduced", "abc123"}, {"fixed", "def456"}});
  EXPECT_FALSE(osv_decide({g}, "1.0").has_value());
  // The package's own release decides; without it, every release listed must agree.
  auto d11 = entry("Debian:11", "ECOSYSTEM", {{"introduced", "0"}, {"fixed", "1:1.30.1-6+deb11u1"}});
  EXPECT_TRUE(affected({d11, d}, "1:1.30.1-6"));
  EXPECT_FALSE(affected({d11, d}, "1:1.35.0-1"));  // past the bullseye fix: not every release agrees
  auto by12 = osv_decide({d11, d}, "1:1.35.0-1", "12");
  ASSERT_TRUE(by12);
  EXPECT_TRUE(by12->affected);
  EXPECT_EQ(by12->found, "Debian:12 pkg: introduced 0, fixed 1:1.35.0-4+b3");
  EXPECT_FALSE(osv_decide({d11, d}, "1:1.35.0-1", "11")->affected);
  EXPECT_FALSE(osv_decide({d11, d}, "1:1.35.0-1", "13")->affected);  // no entry for 13: both must agree
  auto u = entry("Ubuntu:22.04:LTS", "ECOSYSTEM", {{"introduced", "0"}, {"fixed", "1:1.30.1-7ubuntu3.1"}});
  EXPECT_TRUE(osv_decide({u}, "1:1.30.1-7ubuntu3", "22.04")->affected);
}

TEST(OsvCvss, KnownVectors) {
  EXPECT_DOUBLE_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
  EXPECT_DOUBLE_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"), 8.8);
  EXPECT_DOUBLE_EQ(cvss3_base_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"), 7.8);
  EXPECT_DOUBLE_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), 6.1);
  EXPECT_DOUBLE_EQ(cvss3_base_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"), 0.0);
  EXPECT_DOUBLE_EQ(cvss2_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), 7.5);
  EXPECT_DOUBLE_EQ(cvss2_base_score("AV:N/AC:M/Au:N/C:N/I:P/A:N"), 4.3);
  // Malformed vectors are refused, never guessed.
  for (const char* bad : {"", "CVSS:3.1/", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                          "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:4.0/AV:N", "AV:N/AC:L/Au:N/C:P/I:P",
                          "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/"})
    EXPECT_LT(cvss3_base_score(bad), 0) << bad;
  EXPECT_LT(cvss2_base_score("AV:N/AC:L/Au:N/C:P/I:P"), 0);
}

// Every CVSS vector in NVD's 2017 feed scores as NVD scored it.
TEST(OsvCvss, AgreesWithNvdOnTheRealFeed) {
  fs::path feed = fs::path(IOTAUDIT_SHARED_DIR) / "realdata/vulndata/nvd-json-1.1-feeds/nvdcve-1.1-2017.json.gz";
  if (!fs::exists(feed)) GTEST_SKIP() << "no " << feed;
  gzFile gz = gzopen(feed.c_str(), "rb");
  ASSERT_NE(gz, nullptr);
  std::string text;
  char buf[1 << 16];
  for (int n; (n = gzread(gz, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  gzclose(gz);
  std::size_t size = text.size();
  text.resize(size + 64);
  std::size_t v3 = 0, v2 = 0;
  std::vector<std::string> wrong;
  auto info = parse_nvd_json(std::string_view(text.data(), size), [&](CveRecord&& r) {
    if (!r.cvss3_vector.empty()) {
      ++v3;
      if (std::abs(cvss3_base_score(r.cvss3_vector) - r.cvss3_score) > 1e-9 && wrong.size() < 5)
        wrong.push_back(r.id + " " + r.cvss3_vector);
    }
    if (!r.cvss2_vector.empty()) {
      ++v2;
      if (std::abs(cvss2_base_score(r.cvss2_vector) - r.cvss2_score) > 1e-9 && wrong.size() < 5)
        wrong.push_back(r.id + " " + r.cvss2_vector);
    }
  });
  ASSERT_TRUE(info);
  EXPECT_GT(v3, 10000u);
  EXPECT_GT(v2, 10000u);
  EXPECT_TRUE(wrong.empty()) << wrong.front();
}

// An NVD record of the same CVE (with a CPE configuration), and the Debian advisory.
std::string nvd_feed() {
  return R"J({"CVE_data_type":"CVE","CVE_data_format":"MITRE","CVE_data_timestamp":"2022-09-11T07:06Z","CVE_Items":[
{"cve":{"CVE_data_meta":{"ID":"CVE-2022-28391"},"problemtype":{"problemtype_data":[{"description":[{"lang":"en","value":"CWE-94"}]}]},"description":{"description_data":[{"lang":"en","value":"BusyBox through 1.35.0 allows remote attackers to execute arbitrary code (NVD text)."}]}},
 "configurations":{"CVE_data_version":"4.0","nodes":[{"operator":"OR","children":[],"cpe_match":[{"vulnerable":true,"cpe23Uri":"cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*","versionEndIncluding":"1.35.0","cpe_name":[]}]}]},
 "impact":{"baseMetricV3":{"cvssV3":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H","baseScore":8.8,"baseSeverity":"HIGH"}}},
 "publishedDate":"2022-04-03T21:15Z","lastModifiedDate":"2022-08-19T12:28Z"}]})J";
}

Component package(const std::string& id, const std::string& version, const std::string& prop, const std::string& purl = "") {
  Component c;
  c.id = id;
  c.name = id;
  c.version = version;
  c.purl = purl;
  if (!prop.empty()) c.properties.emplace_back("package", prop);
  return c;
}

const VulnMatch* find(const std::vector<VulnMatch>& ms, const std::string& cve, const std::string& comp) {
  for (const auto& m : ms)
    if (m.cve == cve && m.component_id == comp) return &m;
  return nullptr;
}

TEST(OsvMatch, ImportAndMatchDistributionPackages) {
  TempDir dir;
  std::string osv = dir.write("DEBIAN-CVE-2022-28391.json", kDebianRecord);
  // A record only OSV has (no NVD record), for a package found through a purl.
  std::string own = dir.write("DEBIAN-CVE-2099-0001.json", R"J({"id":"DEBIAN-CVE-2099-0001","modified":"2024-01-01T00:00:00Z",
    "upstream":["CVE-2099-0001"],"summary":"openssl: a test flaw","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    "affected":[{"package":{"name":"openssl","ecosystem":"Debian:12"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]})J");
  // Withdrawn: affects nothing.
  std::string gone = dir.write("DEBIAN-CVE-2099-0002.json", R"J({"id":"DEBIAN-CVE-2099-0002","modified":"2024-01-01T00:00:00Z","withdrawn":"2024-02-01T00:00:00Z",
    "upstream":["CVE-2099-0002"],"affected":[{"package":{"name":"openssl","ecosystem":"Debian:12"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]})J");
  std::string db_path = (dir.path / "v.db").string();
  {
    auto db = VulnDb::open(db_path, true);
    ASSERT_TRUE(db);
    auto sum = import_sources(**db, {dir.write("nvd.json", nvd_feed()), osv, own, gone}, {});
    ASSERT_TRUE(sum) << sum.error().message;
    EXPECT_EQ(sum->osv, 3);
    // NVD's record of the CVE stays the record; the OSV-only CVE gets the OSV details.
    auto nvd = (*db)->cve_by_id("CVE-2022-28391");
    ASSERT_TRUE(nvd);
    EXPECT_NE(nvd->description.find("NVD text"), std::string::npos);
    auto only = (*db)->cve_by_id("CVE-2099-0001");
    ASSERT_TRUE(only);
    EXPECT_EQ(only->description, "openssl: a test flaw");
    EXPECT_DOUBLE_EQ(only->cvss3_score, 9.8);
    EXPECT_EQ(only->severity, "CRITICAL");
  }
  auto db = VulnDb::open(db_path, false);
  ASSERT_TRUE(db);
  auto data = MatchData::builtin();
  ASSERT_TRUE(data);
  Matcher matcher(**db, *data);
  // Debian 12's BusyBox before the fix, identified through the package database.
  Component bb = package("busybox", "1.35.0", "debian:12/busybox@1:1.35.0-4+b2");
  bb.cpe = "cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*";
  // Fixed package: the NVD range still says 1.35.0 is affected, OSV agrees nothing; the CPE
  // match stands alone.
  Component bb_fixed = package("busybox", "1.35.0", "debian:12/busybox@1:1.35.0-4+b3");
  bb_fixed.id = "busybox-fixed";
  Component ssl = package("libssl3", "3.0.11-1~deb12u2", "", "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12");
  Component ssl_new = package("libssl3-new", "3.0.13-1~deb12u1", "", "pkg:deb/debian/openssl@3.0.13-1~deb12u1");
  auto ms = matcher.match({bb, bb_fixed, ssl, ssl_new});
  const VulnMatch* m = find(ms, "CVE-2022-28391", "busybox");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->matcher, "nvd-cpe");  // one match, corroborated
  EXPECT_NE(m->reason.find("OSV DEBIAN-CVE-2022-28391"), std::string::npos) << m->reason;
  EXPECT_EQ(find(ms, "CVE-2022-28391", "busybox-fixed"), nullptr);
  const VulnMatch* o = find(ms, "CVE-2099-0001", "libssl3");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->matcher, "osv");
  EXPECT_EQ(o->confidence, "high");
  EXPECT_NE(o->found.find("fixed 3.0.13-1~deb12u1"), std::string::npos) << o->found;
  EXPECT_NE(o->searched.find("openssl 3.0.11-1~deb12u2 (purl)"), std::string::npos) << o->searched;
  EXPECT_DOUBLE_EQ(o->cvss3_score, 9.8);
  EXPECT_EQ(find(ms, "CVE-2099-0001", "libssl3-new"), nullptr);
  EXPECT_EQ(find(ms, "CVE-2099-0002", "libssl3"), nullptr);  // withdrawn
}

TEST(OsvMatch, OlderRecordDoesNotReplaceNewerAndReimportIsIdempotent) {
  TempDir dir;
  std::string db_path = (dir.path / "v.db").string();
  auto rec = [](const std::string& modified, const std::string& fixed) {
    return R"J({"id":"ALPINE-CVE-2099-0003","modified":")J" + modified + R"J(","upstream":["CVE-2099-0003"],
      "affected":[{"package":{"name":"busybox","ecosystem":"Alpine:v3.18"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":")J" +
           fixed + R"J("}]}]}]})J";
  };
  auto db = VulnDb::open(db_path, true);
  ASSERT_TRUE(db);
  ASSERT_TRUE(import_sources(**db, {dir.write("new.json", rec("2024-05-01T00:00:00Z", "1.36.1-r2"))}, {}));
  auto sum = import_sources(**db, {dir.write("old.json", rec("2023-05-01T00:00:00Z", "1.36.1-r0"))}, {});
  ASSERT_TRUE(sum);
  EXPECT_EQ(sum->osv, 0);  // the stored record is newer
  auto rows = (*db)->osv_for_package("alpine", "busybox");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows[0].data.find("1.36.1-r2"), std::string::npos);
  auto again = import_sources(**db, {(dir.path / "new.json").string()}, {});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->skipped, 1u);
  EXPECT_EQ((*db)->osv_for_package("alpine", "busybox").size(), 1u);
}

TEST(OsvMatch, PackageIdentities) {
  Component c = package("x", "1", "debian:12/busybox@1:1.35.0-4", "pkg:deb/ubuntu/busy%2Bbox@1%3A2.0-1?arch=amd64");
  auto ids = package_identities(c);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0].eco_key, "debian");
  EXPECT_EQ(ids[0].release, "12");
  EXPECT_EQ(ids[0].version, "1:1.35.0-4");
  EXPECT_EQ(ids[1].release, "");
  EXPECT_EQ(ids[1].eco_key, "ubuntu");
  EXPECT_EQ(ids[1].name, "busy+box");
  EXPECT_EQ(ids[1].version, "1:2.0-1");
  EXPECT_TRUE(package_identities(package("y", "1", "", "pkg:generic/busybox@1.35.0")).empty());
  auto syft = package_identities(package("w", "1", "", "pkg:apk/alpine/busybox@1.36.1-r2?arch=x86_64&distro=alpine-3.18.4"));
  ASSERT_EQ(syft.size(), 1u);
  EXPECT_EQ(syft[0].eco_key, "alpine");
  EXPECT_EQ(syft[0].release, "v3.18");
  auto deb = package_identities(package("v", "1", "", "pkg:deb/debian/openssl@3.0.11-1?arch=amd64&distro=debian-12"));
  ASSERT_EQ(deb.size(), 1u);
  EXPECT_EQ(deb[0].release, "12");
  EXPECT_TRUE(package_identities(package("z", "1", "broken-property")).empty());
}

}  // namespace
}  // namespace iotaudit::match
