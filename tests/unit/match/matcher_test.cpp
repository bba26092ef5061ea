// Import and matching end to end on small feeds written here (the logic cases), and on the real
// NVD feeds in ../shared/realdata when present (real configurations).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sqlite3.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "match/cpe.hpp"
#include "match/db.hpp"
#include "match/feeds/nvd_json.hpp"
#include "match/import.hpp"
#include "match/lifecycle.hpp"
#include "match/matcher.hpp"
#include "match/version/scheme.hpp"
#include "match/vex.hpp"

namespace iotaudit::match {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("iotaudit-match-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& content) {
    std::ofstream(path / name, std::ios::binary) << content;
    return (path / name).string();
  }
};

// An NVD JSON 1.1 item with one configuration list (nodes given as JSON text).
std::string item(const std::string& id, const std::string& nodes, const std::string& description = "A flaw.",
                 double score = 7.5, const std::string& modified = "2020-01-01T00:00Z") {
  return R"J({"cve":{"CVE_data_meta":{"ID":")J" + id + R"J("},"problemtype":{"problemtype_data":[{"description":[{"lang":"en","value":"CWE-787"}]}]},"description":{"description_data":[{"lang":"en","value":")J" +
         description + R"J("}]}},"configurations":{"CVE_data_version":"4.0","nodes":)J" + nodes +
         R"J(},"impact":{"baseMetricV3":{"cvssV3":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":)J" +
         std::to_string(score) + R"J(,"baseSeverity":"HIGH"}}},"publishedDate":"2019-01-01T00:00Z","lastModifiedDate":")J" + modified + R"J("})J";
}

std::string feed(const std::vector<std::string>& items) {
  std::string s = R"J({"CVE_data_type":"CVE","CVE_data_format":"MITRE","CVE_data_timestamp":"2021-09-11T07:06Z","CVE_Items":[)J";
  for (std::size_t i = 0; i < items.size(); ++i) s += (i ? "," : "") + items[i];
  return s + "]}";
}

std::string or_node(const std::string& matches) {
  return R"J({"operator":"OR","children":[],"cpe_match":[)J" + matches + "]}";
}
std::string m(const std::string& cpe, bool vulnerable, const std::string& extra = "") {
  return R"J({"vulnerable":)J" + std::string(vulnerable ? "true" : "false") + R"J(,"cpe23Uri":")J" + cpe + "\"" +
         (extra.empty() ? "" : "," + extra) + ",\"cpe_name\":[]}";
}

Component comp(const std::string& id, const std::string& version, const std::string& cpe_vp) {
  Component c;
  c.id = id;
  c.name = id;
  c.version = version;
  if (!cpe_vp.empty()) c.cpe = "cpe:2.3:" + cpe_vp + ":" + version + ":*:*:*:*:*:*:*";
  return c;
}

// Runs SQL on a database file directly (what an older version, or damage, would have left).
void exec_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

// Everything a report says about each match, in order.
std::vector<std::string> match_keys(const std::vector<VulnMatch>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms)
    out.push_back(fmt::format("{} {} {} {} {} {} | {} | {} | {}", m.cve, m.component_ref, static_cast<int>(m.status),
                              m.confidence, m.matcher, m.justification, m.found, m.reason, m.searched));
  return out;
}

// The product index without its entries: every candidate is decided from its configurations.
const char* kWithoutEntries = "UPDATE affects SET simple = 0, entries = NULL";

const VulnMatch* find(const std::vector<VulnMatch>& ms, const std::string& cve, const std::string& comp_id) {
  for (const auto& x : ms)
    if (x.cve == cve && x.component_id == comp_id) return &x;
  return nullptr;
}

class MatchFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> items = {
        // A plain range.
        item("CVE-2099-1001", "[" + or_node(m("cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*", true,
                                               R"("versionEndExcluding":"2.78")")) + "]"),
        // An application vulnerable only when running on Linux: the kernel is a platform here.
        item("CVE-2099-1002", R"J([{"operator":"AND","children":[)J" +
                                  or_node(m("cpe:2.3:a:acme:widget:*:*:*:*:*:*:*:*", true, R"("versionEndIncluding":"1.5")")) +
                                  "," + or_node(m("cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*", false)) +
                                  R"J(],"cpe_match":[]}])J"),
        // Vulnerable only on a specific router (hardware nobody can see in firmware).
        item("CVE-2099-1003", R"J([{"operator":"AND","children":[)J" +
                                  or_node(m("cpe:2.3:a:busybox:busybox:1.19.4:*:*:*:*:*:*:*", true)) + "," +
                                  or_node(m("cpe:2.3:h:tp-link:tl-wr841n:v14:*:*:*:*:*:*:*", false)) +
                                  R"J(],"cpe_match":[]}])J"),
        // Every version.
        item("CVE-2099-1004", "[" + or_node(m("cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*", true)) + "]"),
        // OpenSSL letter releases.
        item("CVE-2099-1005", "[" + or_node(m("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", true,
                                               R"("versionStartIncluding":"1.0.2","versionEndExcluding":"1.0.2h")")) + "]"),
        // A BusyBox applet CVE.
        item("CVE-2099-1006", "[" + or_node(m("cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*", true,
                                               R"("versionEndExcluding":"1.34.0")")) + "]",
             "A use-after-free in BusyBox's awk applet leads to denial of service."),
        // Kernel: NVD says every version before 5.0; the upstream data knows better.
        item("CVE-2099-1007", "[" + or_node(m("cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", true,
                                               R"("versionEndExcluding":"5.0")")) + "]"),
        // A kernel CVE NVD matches by range and the kernel data does not know.
        item("CVE-2099-1008", "[" + or_node(m("cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", true,
                                               R"("versionStartIncluding":"4.0","versionEndExcluding":"4.15")")) + "]"),
        // Negated platform: vulnerable unless running on acme OS.
        item("CVE-2099-1009", R"J([{"operator":"AND","children":[)J" +
                                  or_node(m("cpe:2.3:a:thekelleys:dnsmasq:2.66:*:*:*:*:*:*:*", true)) +
                                  R"J(,{"operator":"OR","negate":true,"children":[],"cpe_match":[)J" +
                                  m("cpe:2.3:a:acme:widget:*:*:*:*:*:*:*:*", false) + R"J(]}],"cpe_match":[]}])J"),
        // Distribution-only configuration: never a candidate for the upstream product.
        item("CVE-2099-1010", "[" + or_node(m("cpe:2.3:o:debian:debian_linux:9.0:*:*:*:*:*:*:*", true)) + "]"),
        // Exact versions before and after an every-version entry and a range, in one configuration:
        // a precise entry (range or exact version) wins over the every-version one.
        item("CVE-2099-1014", "[" + or_node(m("cpe:2.3:a:thekelleys:dnsmasq:2.66:*:*:*:*:*:*:*", true) + "," +
                                             m("cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*", true) + "," +
                                             m("cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*", true,
                                               R"("versionEndExcluding":"2.60")") + "," +
                                             m("cpe:2.3:a:thekelleys:dnsmasq:2.70:*:*:*:*:*:*:*", true)) + "]"),
        // Two configurations of exact versions and a range; the second names the version alone.
        item("CVE-2099-1015", "[" + or_node(m("cpe:2.3:a:thekelleys:dnsmasq:2.62:*:*:*:*:*:*:*", true) + "," +
                                             m("cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*", true,
                                               R"("versionStartIncluding":"2.0","versionEndIncluding":"2.10")") +
                                             "," + m("cpe:2.3:a:thekelleys:dnsmasq:2.063:*:*:*:*:*:*:*", true)) +
                                  "," + or_node(m("cpe:2.3:a:thekelleys:dnsmasq:2.71:*:*:*:*:*:*:*", true)) + "]"),
    };
    nvd = dir.write("nvd.json", feed(items));
    kev = dir.write("kev.json", R"J({"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2025.08.25","count":1,"vulnerabilities":[{"cveID":"CVE-2099-1001","vendorProject":"Thekelleys","product":"dnsmasq","vulnerabilityName":"x","dateAdded":"2021-11-03","shortDescription":"x","requiredAction":"x","dueDate":"2022-05-03","knownRansomwareCampaignUse":"Unknown","notes":""}]})J");
    epss = dir.write("epss.csv", "#model_version:v2023.03.01,score_date:2023-06-24T00:00:00+0000\ncve,epss,percentile\nCVE-2099-1001,0.5,0.97\n");
    fixes = dir.write("stream_fixes.json", R"J({"CVE-2099-1007":{"4.14":{"cmt_id":"abc","fixed_version":"4.14.200"}},"CVE-2099-1011":{"4.14":{"cmt_id":"def","fixed_version":"4.14.190"}}})J");
    ranges = dir.write("CVEs.txt", "CVEid: (breaks) - (fixes) (versions)\n\nCVE-2099-1007: aaa - bbb (v2.6.12-rc2 to v4.20-rc1)\n"
                                   "CVE-2099-1012: ccc - ddd (v4.16-rc1 to v4.18-rc1)\nCVE-2099-1013: Vendor Specific\n");
    db_path = (dir.path / "v.db").string();
    auto db = VulnDb::open(db_path, true);
    ASSERT_TRUE(db) << db.error().message;
    auto sum = import_sources(**db, {nvd, kev, epss, fixes, ranges}, {});
    ASSERT_TRUE(sum) << sum.error().message;
    EXPECT_EQ(sum->cves, 12);
    EXPECT_EQ(sum->kev, 1);
  }

  std::vector<VulnMatch> run(const std::vector<Component>& comps, std::set<std::string> arches = {}) {
    auto db = VulnDb::open(db_path, false);
    EXPECT_TRUE(db);
    auto data = MatchData::builtin();
    EXPECT_TRUE(data) << data.error().message;
    Matcher matcher(**db, *data);
    matcher.set_kernel_arches(std::move(arches));
    return matcher.match(comps);
  }

  TempDir dir;
  std::string nvd, kev, epss, fixes, ranges, db_path;
};

TEST_F(MatchFixture, RangeBoundsAndKevEpss) {
  auto ms = run({comp("dnsmasq", "2.66", "a:thekelleys:dnsmasq")});
  const VulnMatch* x = find(ms, "CVE-2099-1001", "dnsmasq");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->confidence, "high");
  EXPECT_TRUE(x->kev);
  EXPECT_EQ(x->kev_date_added, "2021-11-03");
  EXPECT_DOUBLE_EQ(x->epss, 0.5);
  EXPECT_DOUBLE_EQ(x->cvss3_score, 7.5);
  EXPECT_EQ(x->cwes, std::vector<std::string>{"CWE-787"});
  EXPECT_NE(x->found.find("< 2.78"), std::string::npos) << x->found;
  EXPECT_FALSE(find(run({comp("dnsmasq", "2.78", "a:thekelleys:dnsmasq")}), "CVE-2099-1001", "dnsmasq"));
  EXPECT_FALSE(find(ms, "CVE-2099-1010", "dnsmasq"));
}

TEST_F(MatchFixture, PlatformOnlyProductIsNeverReported) {
  Component kernel = comp("linux-kernel", "4.14.180", "o:linux:linux_kernel");
  auto ms = run({kernel});
  EXPECT_FALSE(find(ms, "CVE-2099-1002", "linux-kernel"));
  // The application with the kernel present: the AND holds.
  auto both = run({kernel, comp("widget", "1.4", "a:acme:widget")});
  const VulnMatch* w = find(both, "CVE-2099-1002", "widget");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->confidence, "high");
  EXPECT_FALSE(find(both, "CVE-2099-1002", "linux-kernel"));
  // Without a kernel the platform cannot be verified.
  auto alone = run({comp("widget", "1.4", "a:acme:widget")});
  ASSERT_TRUE(find(alone, "CVE-2099-1002", "widget"));
  EXPECT_EQ(find(alone, "CVE-2099-1002", "widget")->confidence, "medium");
  EXPECT_FALSE(find(run({comp("widget", "1.6", "a:acme:widget")}), "CVE-2099-1002", "widget"));
}

TEST_F(MatchFixture, HardwarePlatformLowersConfidenceAndIsNamed) {
  auto ms = run({comp("busybox", "1.19.4", "a:busybox:busybox")});
  const VulnMatch* x = find(ms, "CVE-2099-1003", "busybox");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->confidence, "medium");
  EXPECT_NE(x->reason.find("tl-wr841n"), std::string::npos) << x->reason;
  EXPECT_FALSE(find(run({comp("busybox", "1.19.5", "a:busybox:busybox")}), "CVE-2099-1003", "busybox"));
}

TEST_F(MatchFixture, EveryVersionEntryIsLowConfidence) {
  auto ms = run({comp("busybox", "1.36.1", "a:busybox:busybox")});
  const VulnMatch* x = find(ms, "CVE-2099-1004", "busybox");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->confidence, "low");
}

TEST_F(MatchFixture, OpensslLetterReleases) {
  EXPECT_TRUE(find(run({comp("openssl", "1.0.2g", "a:openssl:openssl")}), "CVE-2099-1005", "openssl"));
  EXPECT_FALSE(find(run({comp("openssl", "1.0.2k", "a:openssl:openssl")}), "CVE-2099-1005", "openssl"));
  EXPECT_FALSE(find(run({comp("openssl", "1.0.1u", "a:openssl:openssl")}), "CVE-2099-1005", "openssl"));
}

TEST_F(MatchFixture, BusyboxAppletNotCompiledInIsRuledOut) {
  Component bb = comp("busybox", "1.30.1", "a:busybox:busybox");
  bb.properties.emplace_back("busybox:applets", "ash,cat,ls,sh,wget");
  const VulnMatch* x = nullptr;
  auto ms = run({bb});
  x = find(ms, "CVE-2099-1006", "busybox");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->status, VulnStatus::not_affected);
  EXPECT_EQ(x->justification, "code_not_present");
  bb.properties[0].second = "ash,awk,cat";
  auto with_awk = run({bb});
  ASSERT_TRUE(find(with_awk, "CVE-2099-1006", "busybox"));
  EXPECT_EQ(find(with_awk, "CVE-2099-1006", "busybox")->status, VulnStatus::affected);
}

TEST_F(MatchFixture, KernelFixRangesOverrideNvd) {
  // 4.14.180: the 4.14 branch got the fix in 4.14.200, so still affected.
  auto a = run({comp("linux-kernel", "4.14.180", "o:linux:linux_kernel")});
  const VulnMatch* x = find(a, "CVE-2099-1007", "linux-kernel");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->matcher, "linux-kernel-cves");
  // 4.14.210 has the backport although NVD's coarse range (< 5.0) says otherwise.
  auto b = run({comp("linux-kernel", "4.14.210", "o:linux:linux_kernel")});
  EXPECT_FALSE(find(b, "CVE-2099-1007", "linux-kernel"));
  // NVD-only CVE still matched by its range.
  EXPECT_TRUE(find(b, "CVE-2099-1008", "linux-kernel"));
  // Known only to the kernel data (not in the NVD feed).
  EXPECT_TRUE(find(a, "CVE-2099-1011", "linux-kernel"));
  // Introduced after this version.
  EXPECT_FALSE(find(a, "CVE-2099-1012", "linux-kernel"));
  EXPECT_FALSE(find(a, "CVE-2099-1013", "linux-kernel"));
}

TEST_F(MatchFixture, NegatedNode) {
  EXPECT_TRUE(find(run({comp("dnsmasq", "2.66", "a:thekelleys:dnsmasq")}), "CVE-2099-1009", "dnsmasq"));
  EXPECT_FALSE(find(run({comp("dnsmasq", "2.66", "a:thekelleys:dnsmasq"), comp("widget", "1.0", "a:acme:widget")}),
                    "CVE-2099-1009", "dnsmasq"));
}

TEST_F(MatchFixture, VexSuppressesAndKeepsTheMatch) {
  auto ms = run({comp("dnsmasq", "2.66", "a:thekelleys:dnsmasq")});
  auto openvex = parse_vex(R"J({"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-2099-1001"},"products":[{"@id":"component:dnsmasq@2.66"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path","impact_statement":"DHCPv6 disabled"}]})J", "t.openvex.json");
  ASSERT_TRUE(openvex) << openvex.error().message;
  EXPECT_EQ(apply_vex(*openvex, ms), 1u);
  const VulnMatch* x = find(ms, "CVE-2099-1001", "dnsmasq");
  ASSERT_TRUE(x);
  EXPECT_TRUE(x->suppressed_by_vex);
  EXPECT_EQ(x->justification, "vulnerable_code_not_in_execute_path");
  auto cdx = parse_vex(R"J({"bomFormat":"CycloneDX","specVersion":"1.6","vulnerabilities":[{"id":"CVE-2099-1009","analysis":{"state":"false_positive"},"affects":[{"ref":"component:dnsmasq@2.66"}]}]})J", "t.cdx.json");
  ASSERT_TRUE(cdx);
  EXPECT_EQ(apply_vex(*cdx, ms), 1u);
  EXPECT_FALSE(parse_vex("{\"statements\":[{}]}", "bad.json"));
  EXPECT_FALSE(parse_vex("[1,2", "bad.json"));
}

TEST_F(MatchFixture, ReimportIsIdempotentAndNewerRecordsReplace) {
  auto db = VulnDb::open(db_path, true);
  ASSERT_TRUE(db);
  auto again = import_sources(**db, {nvd}, {});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->skipped, 1u);
  EXPECT_EQ(again->files, 0u);
  // A newer record changes the range: 2.78 now vulnerable too.
  std::string newer = dir.write(
      "nvd2.json", feed({item("CVE-2099-1001", "[" + or_node(m("cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*", true,
                                                                 R"("versionEndExcluding":"2.80")")) + "]",
                              "Updated.", 9.8, "2021-01-01T00:00Z")}));
  ASSERT_TRUE(import_sources(**db, {newer}, {}));
  db = VulnDb::open(db_path, true);  // reopen: run() opens its own connection
  EXPECT_TRUE(find(run({comp("dnsmasq", "2.78", "a:thekelleys:dnsmasq")}), "CVE-2099-1001", "dnsmasq"));
}

TEST_F(MatchFixture, BadFeedLeavesDatabaseUnchanged) {
  std::string good = feed({item("CVE-2099-2001", "[" + or_node(m("cpe:2.3:a:acme:widget:*:*:*:*:*:*:*:*", true)) + "]")});
  std::string truncated = good.substr(0, good.size() / 2);
  std::string bad = dir.write("bad.json", truncated);
  std::string ok = dir.write("ok.json", good);
  auto db = VulnDb::open(db_path, true);
  ASSERT_TRUE(db);
  auto before = (*db)->count("cve");
  auto r = import_sources(**db, {ok, bad}, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("bad.json"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("byte"), std::string::npos) << r.error().message;
  EXPECT_EQ((*db)->count("cve"), before);  // ok.json was rolled back with it
  // Truncated gzip, unknown content, a CSV with a broken quote.
  std::string gz = dir.write("cut.json.gz", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xab\xae", 12));
  EXPECT_FALSE(import_sources(**db, {gz}, {}));
  EXPECT_FALSE(import_sources(**db, {dir.write("x.json", "{\"hello\":1}")}, {}));
  EXPECT_FALSE(import_sources(**db, {dir.write("k.csv", "cveID,vendorProject,dateAdded\n\"CVE-2020-1,x")}, {}));
  EXPECT_FALSE(import_sources(**db, {(dir.path / "missing.json").string()}, {}));
  EXPECT_EQ((*db)->count("cve"), before);
}

TEST(MatchDb, RefusesForeignSqliteFiles) {
  TempDir dir;
  // A file that is not SQLite at all.
  std::string junk = dir.write("junk.db", std::string(4096, 'x'));
  EXPECT_FALSE(VulnDb::open(junk, true));
  EXPECT_FALSE(VulnDb::open((dir.path / "absent.db").string(), false));
}

TEST(MatchFeeds, SniffsEachSource) {
  EXPECT_EQ(sniff_source(R"({"CVE_data_type" : "CVE", "CVE_Items": [)", "x.json"), "nvd");
  EXPECT_EQ(sniff_source(R"({"resultsPerPage":2000,"format":"NVD_CVE","vulnerabilities":[{"cve":)", "p.json"), "nvd");
  EXPECT_EQ(sniff_source(R"({"title": "CISA Catalog", "catalogVersion": "1"})", "k.json"), "kev-json");
  EXPECT_EQ(sniff_source("cveID,vendorProject,product\n", "k.csv"), "kev-csv");
  EXPECT_EQ(sniff_source("#model_version:v1,score_date:2023\ncve,epss,percentile\n", "e.csv"), "epss-csv");
  EXPECT_EQ(sniff_source("CVEid: (breaks) - (fixes)\n", "CVEs.txt"), "kernel-cves-txt");
  EXPECT_EQ(sniff_source(R"({"dataType": "CVE_RECORD", "cveMetadata": {}})", "c.json"), "cve-json-5");
  EXPECT_EQ(sniff_source("hello", "x.txt"), "");
}

TEST(MatchFeeds, NvdApi20Page) {
  std::string page = R"J({"resultsPerPage":2,"startIndex":0,"totalResults":2,"format":"NVD_CVE","version":"2.0",
    "timestamp":"2024-05-01T00:00:00.000","vulnerabilities":[
    {"cve":{"id":"CVE-2099-5001","sourceIdentifier":"x","published":"2099-01-01T00:00:00.000","lastModified":"2099-02-01T00:00:00.000",
      "vulnStatus":"Analyzed","descriptions":[{"lang":"es","value":"Un fallo."},{"lang":"en","value":"A flaw in dnsmasq."}],
      "metrics":{"cvssMetricV31":[{"source":"other","type":"Secondary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:L","baseScore":3.3,"baseSeverity":"LOW"}},
                                  {"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N","baseScore":9.8,"baseSeverity":"CRITICAL"}}],
                 "cvssMetricV2":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"2.0","vectorString":"AV:N/AC:L/Au:N/C:P/I:P/A:P","baseScore":7.5},"baseSeverity":"HIGH"}]},
      "weaknesses":[{"source":"nvd@nist.gov","type":"Primary","description":[{"lang":"en","value":"CWE-787"}]}],
      "configurations":[{"operator":"AND","nodes":[
        {"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*","versionEndExcluding":"2.83","matchCriteriaId":"A"}]},
        {"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":false,"criteria":"cpe:2.3:h:acme:router:-:*:*:*:*:*:*:*","matchCriteriaId":"B"}]}]}]}},
    {"cve":{"id":"CVE-2099-5002","published":"2099-01-01T00:00:00.000","lastModified":"2099-02-01T00:00:00.000","vulnStatus":"Rejected",
      "descriptions":[{"lang":"en","value":"Rejected reason: duplicate."}]}}]})J";
  std::vector<CveRecord> recs;
  std::string buf = page;
  buf.resize(padded_capacity(page.size()));
  auto info = parse_nvd_json(std::string_view(buf.data(), page.size()), [&](CveRecord&& r) { recs.push_back(std::move(r)); });
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->format, "nvd-api-2.0");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].description, "A flaw in dnsmasq.");
  EXPECT_DOUBLE_EQ(recs[0].cvss3_score, 9.8);  // the Primary (NVD) score, not the secondary one
  EXPECT_EQ(recs[0].severity, "CRITICAL");
  EXPECT_DOUBLE_EQ(recs[0].cvss2_score, 7.5);
  EXPECT_EQ(recs[0].cwes, std::vector<std::string>{"CWE-787"});
  ASSERT_EQ(recs[0].configurations.size(), 1u);
  EXPECT_TRUE(recs[0].configurations[0].and_op);
  ASSERT_EQ(recs[0].configurations[0].nodes.size(), 2u);
  EXPECT_EQ(recs[0].configurations[0].nodes[0].matches[0].end_excluding, "2.83");
  EXPECT_FALSE(recs[0].configurations[0].nodes[1].matches[0].vulnerable);
  EXPECT_TRUE(recs[1].rejected);
  auto products = vulnerable_products(recs[0].configurations);
  ASSERT_EQ(products.size(), 1u);  // the router is a platform, not indexed
  EXPECT_EQ(products[0].second, "dnsmasq");
}

// CVE JSON 5 records (written here in the cvelistV5 shape): imported, matched by their CPE names
// or vendor/product, and never replacing NVD's record of the same CVE.
TEST_F(MatchFixture, CveJson5Records) {
  TempDir d2;
  std::string rec1 = R"J({"dataType":"CVE_RECORD","dataVersion":"5.1",
    "cveMetadata":{"cveId":"CVE-2099-6001","state":"PUBLISHED","datePublished":"2099-03-01T00:00:00.000Z","dateUpdated":"2099-03-02T00:00:00.000Z"},
    "containers":{"cna":{"providerMetadata":{"orgId":"x"},
      "descriptions":[{"lang":"en","value":"A flaw in Acme Widget."}],
      "affected":[{"vendor":"Acme","product":"Widget","defaultStatus":"unaffected",
                   "versions":[{"version":"1.0","lessThan":"1.6","status":"affected","versionType":"semver"},
                               {"version":"abc123","lessThan":"def456","status":"affected","versionType":"git"},
                               {"version":"2.0","status":"unaffected"}]}],
      "problemTypes":[{"descriptions":[{"lang":"en","cweId":"CWE-416","description":"CWE-416 Use After Free","type":"CWE"}]}],
      "metrics":[{"cvssV3_1":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":9.8,"baseSeverity":"CRITICAL"}}]},
     "adp":[{"providerMetadata":{"orgId":"y"},
      "affected":[{"vendor":"thekelleys","product":"dnsmasq","cpes":["cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*"],
                   "defaultStatus":"unknown","versions":[{"version":"2.50","status":"affected"}]}]}]}})J";
  // The same CVE as the fixture's NVD record CVE-2099-1001, newer: NVD's record must stay.
  std::string rec2 = R"J({"dataType":"CVE_RECORD","dataVersion":"5.1",
    "cveMetadata":{"cveId":"CVE-2099-1001","state":"PUBLISHED","datePublished":"2099-03-01T00:00:00.000Z","dateUpdated":"2100-01-01T00:00:00.000Z"},
    "containers":{"cna":{"descriptions":[{"lang":"en","value":"CNA text."}],
      "affected":[{"vendor":"thekelleys","product":"dnsmasq","versions":[{"version":"0","lessThan":"2.10","status":"affected"}]}]}}})J";
  std::filesystem::create_directories(d2.path / "cves" / "2099" / "6xxx");
  std::ofstream(d2.path / "cves" / "2099" / "6xxx" / "CVE-2099-6001.json") << rec1;
  std::filesystem::create_directories(d2.path / "cves" / "2099" / "1xxx");
  std::ofstream(d2.path / "cves" / "2099" / "1xxx" / "CVE-2099-1001.json") << rec2;
  std::ofstream(d2.path / "cves" / "delta.json") << R"({"fetchTime":"2099-03-02"})";  // not a record: skipped
  auto db = VulnDb::open(db_path, true);
  ASSERT_TRUE(db);
  auto sum = import_sources(**db, {d2.path.string()}, {});
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->cves, 2);
  EXPECT_EQ(sum->not_feeds, 1u);
  db->reset();
  auto w = run({comp("widget", "1.4", "a:acme:widget")});
  ASSERT_TRUE(find(w, "CVE-2099-6001", "widget"));
  EXPECT_DOUBLE_EQ(find(w, "CVE-2099-6001", "widget")->cvss3_score, 9.8);
  EXPECT_EQ(find(w, "CVE-2099-6001", "widget")->cwes, std::vector<std::string>{"CWE-416"});
  EXPECT_FALSE(find(run({comp("widget", "1.6", "a:acme:widget")}), "CVE-2099-6001", "widget"));
  EXPECT_TRUE(find(run({comp("dnsmasq", "2.50", "a:thekelleys:dnsmasq")}), "CVE-2099-6001", "dnsmasq"));
  // NVD's CVE-2099-1001 (< 2.78) still decides, not the CNA's "< 2.10".
  auto d = run({comp("dnsmasq", "2.66", "a:thekelleys:dnsmasq")});
  ASSERT_TRUE(find(d, "CVE-2099-1001", "dnsmasq"));
  EXPECT_EQ(find(d, "CVE-2099-1001", "dnsmasq")->description, "A flaw.");
}

TEST(MatchFeeds, KernelCvesTxtLines) {
  auto r = parse_kernel_cves_txt("CVEid: (breaks) - (fixes) (versions)\n\nCVE-2006-3635: a - b (v2.6.12-rc2 to v2.6.26-rc5)\n"
                                 "CVE-2004-0230: (n/a) - c (unk to v3.6-rc1)\nCVE-2003-1604: a - a (CVE Caused by Backporting)\n"
                                 "CVE-2012-4220: Vendor Specific\n");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].introduced, "v2.6.12-rc2");
  EXPECT_EQ((*r)[0].fixed, "v2.6.26-rc5");
  EXPECT_EQ((*r)[1].introduced, "");
  EXPECT_EQ((*r)[2].note, "CVE Caused by Backporting");
  EXPECT_EQ((*r)[3].note, "Vendor Specific");
  EXPECT_FALSE(parse_kernel_cves_txt("garbage line\n"));
}

TEST(MatchLifecycle, EndOfLifeAndAge) {
  auto data = LifecycleData::builtin();
  ASSERT_TRUE(data) << data.error().message;
  LifecycleOptions opt;
  opt.today = "2026-12-04";
  std::vector<Component> comps = {comp("openssl", "1.0.2k", "a:openssl:openssl"),
                                  comp("openssl", "3.5.1", "a:openssl:openssl"),
                                  comp("linux-kernel", "3.3.8", "o:linux:linux_kernel"),
                                  comp("linux-kernel", "6.1.100", "o:linux:linux_kernel"),
                                  comp("busybox", "1.19.4", "a:busybox:busybox"),
                                  comp("u-boot", "2013.07", "a:denx:u-boot"),
                                  comp("u-boot", "2025.01", "a:denx:u-boot")};
  auto notes = evaluate_lifecycle(comps, *data, opt);
  auto has = [&](const std::string& ref, const std::string& kind) {
    for (const auto& n : notes)
      if (n.component_ref == ref && n.kind == kind) return true;
    return false;
  };
  EXPECT_TRUE(has("component:openssl@1.0.2k", "end-of-life"));
  EXPECT_FALSE(has("component:openssl@3.5.1", "end-of-life"));
  EXPECT_TRUE(has("component:linux-kernel@3.3.8", "end-of-life"));
  EXPECT_FALSE(has("component:linux-kernel@6.1.100", "end-of-life"));
  EXPECT_TRUE(has("component:busybox@1.19.4", "outdated"));
  EXPECT_TRUE(has("component:u-boot@2013.07", "outdated"));
  EXPECT_FALSE(has("component:u-boot@2025.01", "outdated"));
  EXPECT_EQ(notes.size(), 4u);  // the two end-of-life notes, BusyBox and the old U-Boot
}

TEST(MatchCpe, AttributesAsViews) {
  const char* c = "cpe:2.3:a:foo\\:bar:baz:1.0\\.2:rc1:*:*:*:*:*:*";
  EXPECT_EQ(cpe_attributes(c, 1, 2), "foo\\:bar:baz");  // an escaped colon does not split
  EXPECT_EQ(cpe_attributes(c, 3, 3), "1.0\\.2");
  EXPECT_EQ(cpe_attributes(c, 4, 4), "rc1");
  EXPECT_EQ(cpe_attributes("cpe:2.3:a:v:p", 2, 2), "p");  // the last attribute ends the name
  EXPECT_EQ(cpe_attributes("cpe:2.3:a:v:p", 3, 3), "");
  EXPECT_EQ(cpe_attributes("cpe:/a:v:p", 1, 1), "");
  auto parsed = parse_cpe(c);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->vendor(), "foo\\:bar");
}

TEST(MatchDescription, FixPerReleaseSeries) {
  const char* d = "OpenSSL before 0.9.8s and 1.x before 1.0.0f, when RFC 3779 support is enabled, allows ...";
  EXPECT_EQ(description_fix_for_series(d, "0.9.8zh", Scheme::openssl), "0.9.8s");
  EXPECT_EQ(description_fix_for_series(d, "1.0.0e", Scheme::openssl), "1.0.0f");
  EXPECT_EQ(description_fix_for_series(d, "1.0.1u", Scheme::openssl), "");  // no statement for 1.0.1
  const char* e = "The dtls1_reassemble_fragment function in OpenSSL before 0.9.8za, 1.0.0 before 1.0.0m, and 1.0.1 "
                  "before 1.0.1h does not properly validate fragment lengths.";
  EXPECT_EQ(description_fix_for_series(e, "1.0.1g", Scheme::openssl), "1.0.1h");
  EXPECT_EQ(description_fix_for_series(e, "3.0.2", Scheme::openssl), "");
  // One series only: no more precise than the CPE range.
  EXPECT_EQ(description_fix_for_series("Stack-based buffer overflow in dnsmasq before 2.78 allows ...", "2.66",
                                       Scheme::generic), "");
}

TEST_F(MatchFixture, FeaturesIntroducedLaterRuleOut) {
  TempDir d2;
  std::string feedp = d2.write(
      "f.json", feed({item("CVE-2099-3001", "[" + or_node(m("cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*", true,
                                                            R"("versionEndIncluding":"2.78")")) + "]",
                           "A vulnerability was found in the implementation of DNSSEC in Dnsmasq up to and including 2.78."),
                      item("CVE-2099-3002", "[" + or_node(m("cpe:2.3:a:denx:u-boot:*:*:*:*:*:*:*:*", true,
                                                            R"("versionEndExcluding":"2021.04")")) + "]",
                           "The data does not fit the buffer in U-Boot.")}));
  auto db = VulnDb::open(db_path, true);
  ASSERT_TRUE(db);
  ASSERT_TRUE(import_sources(**db, {feedp}, {}));
  auto old = run({comp("dnsmasq", "2.66", "a:thekelleys:dnsmasq")});
  ASSERT_TRUE(find(old, "CVE-2099-3001", "dnsmasq"));
  EXPECT_EQ(find(old, "CVE-2099-3001", "dnsmasq")->status, VulnStatus::not_affected);
  EXPECT_NE(find(old, "CVE-2099-3001", "dnsmasq")->reason.find("2.69"), std::string::npos);
  auto newer = run({comp("dnsmasq", "2.75", "a:thekelleys:dnsmasq")});
  EXPECT_EQ(find(newer, "CVE-2099-3001", "dnsmasq")->status, VulnStatus::affected);
  // A feature upstream never had.
  TempDir d3;
  std::string f3 = d3.write("g.json", feed({item("CVE-2099-3003", "[" + or_node(m("cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:*:*:*:*:*:*:*:*", true,
                                                                                 R"("versionEndExcluding":"2013.59")")) + "]",
                                                  "dropbear before 2013.59 with GSSAPI leaks whether a username is valid.")}));
  ASSERT_TRUE(import_sources(**db, {f3}, {}));
  auto gss = run({comp("dropbear", "2012.55", "a:dropbear_ssh_project:dropbear_ssh")});
  ASSERT_TRUE(find(gss, "CVE-2099-3003", "dropbear"));
  EXPECT_EQ(find(gss, "CVE-2099-3003", "dropbear")->status, VulnStatus::not_affected);
  // "fit" in lower case is English, not the FIT image format.
  auto uboot = run({comp("u-boot", "1.1.4", "a:denx:u-boot")});
  ASSERT_TRUE(find(uboot, "CVE-2099-3002", "u-boot"));
  EXPECT_EQ(find(uboot, "CVE-2099-3002", "u-boot")->status, VulnStatus::affected);
}

// Every feature rule names a product of the data, has words and a basis, and a first version that
// is a version under that product's scheme.
TEST(MatchData, FeatureRulesAreWellFormed) {
  auto data = MatchData::builtin();
  ASSERT_TRUE(data);
  ASSERT_FALSE(data->features.empty());
  for (const auto& f : data->features) {
    auto p = data->products.find(f.component);
    ASSERT_NE(p, data->products.end()) << f.component;
    EXPECT_FALSE(f.words.empty()) << f.component;
    for (const auto& w : f.words) EXPECT_FALSE(w.empty()) << f.component;
    EXPECT_FALSE(f.basis.empty()) << f.component;
    if (f.never) {
      EXPECT_TRUE(f.since.empty()) << f.component;
    } else {
      EXPECT_TRUE(plausible_version(p->second.scheme, f.since)) << f.component << " " << f.since;
    }
  }
}

// NVD's record of CVE-2010-0742 names OpenSSL 0.9.7f among the vulnerable versions, but CMS, the
// code concerned, first shipped in 0.9.8h; CVE-2012-0884 concerns CMS and PKCS #7, which 0.9.7f has.
TEST_F(MatchFixture, FeatureWordsOfSeveralWordsAndPaths) {
  TempDir d2;
  std::string feedp = d2.write(
      "c.json",
      feed({item("CVE-2099-3011", "[" + or_node(m("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", true,
                                                  R"("versionEndExcluding":"0.9.8o")")) + "]",
                 "The Cryptographic Message Syntax (CMS) implementation in crypto/cms/cms_asn1.c in OpenSSL before "
                 "0.9.8o does not properly handle structures that contain OriginatorInfo."),
            item("CVE-2099-3013", "[" + or_node(m("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", true,
                                                  R"("versionEndExcluding":"0.9.8u")")) + "]",
                 "The implementation of Cryptographic Message Syntax (CMS) and PKCS #7 in OpenSSL before 0.9.8u "
                 "does not properly restrict certain oracle behavior."),
            item("CVE-2099-3012", "[" + or_node(m("cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*", true,
                                                  R"("versionEndExcluding":"2.78")")) + "]",
                 "Integer underflow in dnsmasq before 2.78, when the --add-mac, --add-cpe-id or --add-subnet option "
                 "is specified, allows remote attackers to cause a denial of service.")}));
  auto db = VulnDb::open(db_path, true);
  ASSERT_TRUE(db);
  ASSERT_TRUE(import_sources(**db, {feedp}, {}));
  auto status = [&](const char* id, const char* version, const char* cpe, const char* cve) -> std::string {
    auto res = run({comp(id, version, cpe)});
    const VulnMatch* vm = find(res, cve, id);
    if (vm == nullptr) return "none";
    return vm->status == VulnStatus::affected ? "affected" : "not_affected";
  };
  EXPECT_EQ(status("openssl", "0.9.7f", "a:openssl:openssl", "CVE-2099-3011"), "not_affected");
  EXPECT_EQ(status("openssl", "0.9.8h", "a:openssl:openssl", "CVE-2099-3011"), "affected");
  // Also about PKCS #7, which 0.9.7f has: left alone.
  EXPECT_EQ(status("openssl", "0.9.7f", "a:openssl:openssl", "CVE-2099-3013"), "affected");
  EXPECT_EQ(status("dnsmasq", "2.45", "a:thekelleys:dnsmasq", "CVE-2099-3012"), "not_affected");
  EXPECT_EQ(status("dnsmasq", "2.56", "a:thekelleys:dnsmasq", "CVE-2099-3012"), "affected");
}

TEST_F(MatchFixture, KernelCodeOfAnotherArchitectureRulesOut) {
  TempDir d2;
  std::string feedp = d2.write(
      "a.json", feed({item("CVE-2099-4001", "[" + or_node(m("cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", true,
                                                            R"("versionEndExcluding":"4.8")")) + "]",
                           "The __get_user_asm_ex macro in arch/x86/include/asm/uaccess.h in the Linux kernel leaks.")}));
  auto db = VulnDb::open(db_path, true);
  ASSERT_TRUE(db);
  ASSERT_TRUE(import_sources(**db, {feedp}, {}));
  Component k = comp("linux-kernel", "2.6.36", "o:linux:linux_kernel");
  auto mips = run({k}, {"mips"});
  ASSERT_TRUE(find(mips, "CVE-2099-4001", "linux-kernel"));
  EXPECT_EQ(find(mips, "CVE-2099-4001", "linux-kernel")->status, VulnStatus::not_affected);
  EXPECT_EQ(find(run({k}, {"x86"}), "CVE-2099-4001", "linux-kernel")->status, VulnStatus::affected);
  EXPECT_EQ(find(run({k}), "CVE-2099-4001", "linux-kernel")->status, VulnStatus::affected);  // unknown: kept
  EXPECT_EQ(kernel_arch_dir("AArch64"), "arm64");
  EXPECT_EQ(kernel_arch_dir("other"), "");
}

// One Matcher over many SBOMs (iotaudit match --output-dir) keeps what it read between calls;
// each call must answer exactly as a fresh Matcher does, whatever came before it: other versions
// of the same product, kernels of other branches, the platform present or not.
TEST_F(MatchFixture, MatcherReusedAcrossCallsAnswersLikeAFreshOne) {
  auto db = VulnDb::open(db_path, false);
  ASSERT_TRUE(db);
  auto data = MatchData::builtin();
  ASSERT_TRUE(data);
  Matcher shared(**db, *data);
  auto key = [](const std::vector<VulnMatch>& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms)
      out.push_back(fmt::format("{} {} {} {} {} {}", m.cve, m.component_ref, static_cast<int>(m.status), m.confidence,
                                m.matcher, m.reason));
    return out;
  };
  // The kernel's candidate list is first made for a 4.9 kernel: CVE-2099-1011, which only the
  // fix data knows, and only by its fix on 4.14, must still be a candidate for the 4.14 kernels.
  const std::vector<std::vector<Component>> sboms = {
      {comp("linux-kernel", "4.9.10", "o:linux:linux_kernel")},
      {comp("linux-kernel", "4.14.180", "o:linux:linux_kernel"), comp("widget", "1.4", "a:acme:widget")},
      {comp("dnsmasq", "2.66", "a:thekelleys:dnsmasq")},
      {comp("linux-kernel", "4.17.2", "o:linux:linux_kernel")},
      {comp("widget", "1.4", "a:acme:widget")},
      {comp("dnsmasq", "2.78", "a:thekelleys:dnsmasq"), comp("linux-kernel", "4.14.180", "o:linux:linux_kernel")},
      {comp("linux-kernel", "4.14.195", "o:linux:linux_kernel")},
  };
  std::size_t total = 0;
  for (std::size_t i = 0; i < sboms.size(); ++i) {
    auto ms = shared.match(sboms[i]);
    auto again = key(ms);
    EXPECT_EQ(again, key(run(sboms[i]))) << "SBOM " << i;
    if (i == 1) EXPECT_TRUE(find(ms, "CVE-2099-1011", "linux-kernel"));
    total += again.size();
  }
  EXPECT_GT(total, 6u);  // the comparison is about real matches
}

// KEV and the kernel fix data loaded, and records read, on a second connection in parallel with the
// first: the same answers as one connection doing everything, for fresh and reused Matchers.
TEST_F(MatchFixture, SecondConnectionAnswersLikeOne) {
  auto db = VulnDb::open(db_path, false);
  ASSERT_TRUE(db);
  auto data = MatchData::builtin();
  ASSERT_TRUE(data);
  Matcher two(**db, *data), one(**db, *data), early(**db, *data);
  one.set_second_connection(false);
  early.open_second_connection_early();  // opened before the first match, on another thread
  auto keys = [](const std::vector<VulnMatch>& ms) {
    std::vector<std::string> out = match_keys(ms);
    for (std::size_t i = 0; i < ms.size(); ++i)  // and what comes from the records, KEV and EPSS
      out[i] += fmt::format(" | {} {} {} {} {} {} {}", ms[i].description, ms[i].published, ms[i].cvss3_score,
                            ms[i].kev, ms[i].kev_date_added, ms[i].epss, fmt::join(ms[i].cwes, ","));
    return out;
  };
  const std::vector<std::vector<Component>> sboms = {
      {comp("linux-kernel", "4.14.180", "o:linux:linux_kernel"), comp("dnsmasq", "2.66", "a:thekelleys:dnsmasq"),
       comp("busybox", "1.19.4", "a:busybox:busybox")},
      {comp("linux-kernel", "4.17.2", "o:linux:linux_kernel"), comp("openssl", "1.0.2g", "a:openssl:openssl")},
      {comp("dnsmasq", "2.78", "a:thekelleys:dnsmasq")},
      {comp("linux-kernel", "4.14.195", "o:linux:linux_kernel"), comp("linux-kernel", "4.10", "o:linux:linux_kernel")},
  };
  std::size_t total = 0;
  for (std::size_t i = 0; i < sboms.size(); ++i) {
    auto a = keys(two.match(sboms[i]));
    EXPECT_EQ(a, keys(one.match(sboms[i]))) << "SBOM " << i;
    EXPECT_EQ(a, keys(early.match(sboms[i]))) << "SBOM " << i;
    total += a.size();
  }
  EXPECT_TRUE(two.second_connection_open());
  EXPECT_TRUE(early.second_connection_open());
  EXPECT_FALSE(one.second_connection_open());
  one.open_second_connection_early();  // not allowed: stays closed
  EXPECT_FALSE(one.second_connection_open());
  EXPECT_GT(total, 8u);
  // Without a file to open a second time, the first connection does all the reading.
  auto mem = VulnDb::open(":memory:", true);
  ASSERT_TRUE(mem) << mem.error().message;
  Matcher alone(**mem, *data);
  alone.open_second_connection_early();
  EXPECT_TRUE(alone.match(sboms[0]).empty());
  EXPECT_FALSE(alone.second_connection_open());
  Matcher unused(**db, *data);  // opened early, never matched: destroyed cleanly
  unused.open_second_connection_early();
}

TEST_F(MatchFixture, ProductIndexAnswersLikeTheConfigurations) {
  const std::vector<Component> comps = {
      comp("linux-kernel", "4.14.180", "o:linux:linux_kernel"), comp("widget", "1.4", "a:acme:widget"),
      comp("dnsmasq", "2.66", "a:thekelleys:dnsmasq"),          comp("busybox", "1.19.4", "a:busybox:busybox"),
      comp("openssl", "1.0.2g", "a:openssl:openssl"),            comp("linux-kernel", "4.10", "o:linux:linux_kernel")};
  auto indexed = match_keys(run(comps));
  exec_sql(db_path, kWithoutEntries);
  EXPECT_EQ(match_keys(run(comps)), indexed);
  EXPECT_GT(indexed.size(), 6u);
}

// A configuration's entries are weighed the same whether a product's entries are read straight
// from the index (one component), decoded and sorted once for several components of the same
// product, or taken from the full configurations.
TEST_F(MatchFixture, ExactVersionsAndRangesInOneConfiguration) {
  struct Case {
    std::string version, cve, found, confidence;  // found empty: no match
  };
  const std::vector<Case> cases = {
      {"2.66", "CVE-2099-1014", "cpe:2.3:a:thekelleys:dnsmasq:2.66:*:*:*:*:*:*:* version 2.66", "high"},
      {"2.70", "CVE-2099-1014", "cpe:2.3:a:thekelleys:dnsmasq:2.70:*:*:*:*:*:*:* version 2.70", "high"},
      {"2.67", "CVE-2099-1014", "cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:* every version", "low"},
      {"2.50", "CVE-2099-1014", "cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:* versions < 2.60", "high"},
      {"2.63", "CVE-2099-1015", "cpe:2.3:a:thekelleys:dnsmasq:2.063:*:*:*:*:*:*:* version 2.063", "high"},
      {"2.5", "CVE-2099-1015", "cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:* versions >= 2.0, <= 2.10", "high"},
      {"2.71", "CVE-2099-1015", "cpe:2.3:a:thekelleys:dnsmasq:2.71:*:*:*:*:*:*:* version 2.71", "high"},
      {"2.64", "CVE-2099-1015", "", ""},
  };
  std::vector<Component> all;
  for (const auto& c : cases) all.push_back(comp("dnsmasq", c.version, "a:thekelleys:dnsmasq"));
  auto check = [&](const std::vector<VulnMatch>& ms, const Case& c, const char* how) {
    const VulnMatch* x = nullptr;
    for (const auto& mm : ms)
      if (mm.cve == c.cve && mm.component_version == c.version) x = &mm;
    if (c.found.empty()) {
      EXPECT_FALSE(x) << how << " " << c.version;
      return;
    }
    ASSERT_TRUE(x) << how << " " << c.version;
    EXPECT_EQ(x->found, c.found) << how;
    EXPECT_EQ(x->confidence, c.confidence) << how << " " << c.version;
  };
  auto together = run(all);
  for (const auto& c : cases) {
    check(run({comp("dnsmasq", c.version, "a:thekelleys:dnsmasq")}), c, "alone");
    check(together, c, "together");
  }
  exec_sql(db_path, kWithoutEntries);
  auto configured = run(all);
  for (const auto& c : cases) check(configured, c, "from the configurations");
}

// Index entries that do not decode (a damaged or hostile database file) are not trusted: those
// candidates are decided from their configurations, with the same result.
// Both where a product's entries are read for one component and where several components of the
// product share them (decoded once, before the candidates are decided).
TEST_F(MatchFixture, UndecodableIndexEntriesFallBackToTheConfigurations) {
  const std::vector<Component> alone = {
      comp("linux-kernel", "4.14.180", "o:linux:linux_kernel"), comp("widget", "1.4", "a:acme:widget"),
      comp("dnsmasq", "2.66", "a:thekelleys:dnsmasq"),          comp("busybox", "1.19.4", "a:busybox:busybox"),
      comp("openssl", "1.0.2g", "a:openssl:openssl")};
  std::vector<Component> shared = alone;
  for (const auto& [id, version, vp] : {std::tuple{"dnsmasq", "2.50", "a:thekelleys:dnsmasq"},
                                        std::tuple{"dnsmasq", "2.70", "a:thekelleys:dnsmasq"},
                                        std::tuple{"linux-kernel", "4.10", "o:linux:linux_kernel"},
                                        std::tuple{"busybox", "1.30.1", "a:busybox:busybox"}})
    shared.push_back(comp(id, version, vp));
  auto indexed_alone = match_keys(run(alone));
  auto indexed_shared = match_keys(run(shared));
  exec_sql(db_path, "UPDATE affects SET entries = X'ff01ff' WHERE simple = 1 AND cve % 2 = 0");
  exec_sql(db_path, "UPDATE affects SET entries = substr(entries, 1, length(entries) - 1) WHERE simple = 1 AND "
                    "cve % 2 = 1 AND length(entries) > 1");
  EXPECT_EQ(match_keys(run(alone)), indexed_alone);
  EXPECT_EQ(match_keys(run(shared)), indexed_shared);
  EXPECT_GT(indexed_alone.size(), 5u);
  EXPECT_GT(indexed_shared.size(), indexed_alone.size());
}

// A database written before the product index carried entries (schema 1) is refused for reading
// with the way out named, and converted in place by opening it for writing.
TEST_F(MatchFixture, Schema1DatabaseIsUpgraded) {
  const std::vector<Component> comps = {comp("dnsmasq", "2.66", "a:thekelleys:dnsmasq"),
                                        comp("linux-kernel", "4.14.180", "o:linux:linux_kernel"),
                                        comp("busybox", "1.19.4", "a:busybox:busybox")};
  auto before = match_keys(run(comps));
  exec_sql(db_path,
           "CREATE TABLE a1(vendor TEXT NOT NULL, product TEXT NOT NULL, cve INTEGER NOT NULL);"
           "INSERT INTO a1 SELECT vendor, product, cve FROM affects; DROP TABLE affects; ALTER TABLE a1 RENAME TO "
           "affects; CREATE INDEX affects_cve ON affects(cve); PRAGMA user_version = 1;");
  auto old = VulnDb::open(db_path, false);
  ASSERT_FALSE(old);
  EXPECT_NE(old.error().message.find("iotaudit db upgrade"), std::string::npos) << old.error().message;
  {
    auto up = VulnDb::open(db_path, true);
    ASSERT_TRUE(up) << up.error().message;
  }
  EXPECT_EQ(match_keys(run(comps)), before);
  EXPECT_GE(before.size(), 3u);
}

TEST(MatchDb, ProductEntriesGiveBackTheirCriteria) {
  auto entry = [](std::string crit, std::string end_excl = "") {
    CpeMatch x;
    x.criteria = std::move(crit);
    x.vulnerable = true;
    x.end_excluding = std::move(end_excl);
    return x;
  };
  ConfigNode n1;
  n1.matches = {entry("cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", "4.9"),
                entry("cpe:2.3:a:acme:other:1.0:*:*:*:*:*:*:*"),
                entry("cpe:2.3:o:linux:linux_kernel:2.6.12:rc2:*:*:*:*:*:*"),
                entry("cpe:2.3:o:linux:linux_kernel:1.0\\:beta:*:*:*:*:*:*:*"),
                entry("cpe:2.3:o:linux:linux_kernel:3.0:*:*:*:*:*:arm:*"),
                entry("cpe:2.3:o:linux:linux_kernel:3.1:*:*:*:*:*:*:x\\:*"),
                entry("cpe:2.3:o:linux:linux_kernel")};
  Configuration simple_cfg;
  simple_cfg.nodes = {n1};
  // A platform configuration naming only acme:other as vulnerable: the kernel stays simple.
  Configuration platform;
  platform.and_op = true;
  ConfigNode p1, p2;
  p1.matches = {entry("cpe:2.3:a:acme:other:2.0:*:*:*:*:*:*:*")};
  p2.matches = {entry("cpe:2.3:h:acme:box:-:*:*:*:*:*:*:*")};
  p2.matches[0].vulnerable = false;
  platform.nodes = {p1, p2};
  auto products = affected_products({simple_cfg, platform});
  ASSERT_EQ(products.size(), 2u);
  const AffectedProduct& kernel = products[0].product == "linux_kernel" ? products[0] : products[1];
  const AffectedProduct& other = products[0].product == "linux_kernel" ? products[1] : products[0];
  ASSERT_TRUE(kernel.simple);
  EXPECT_FALSE(other.simple);  // named as vulnerable by the AND configuration
  EXPECT_TRUE(other.entries.empty());
  ASSERT_TRUE(ProductEntryReader::valid(kernel.entries));
  ProductEntryReader reader(kernel.entries);
  ProductEntry e;
  std::vector<std::uint32_t> ordinals;
  std::vector<std::string> seen;
  while (reader.next(e)) {
    std::string crit = e.criteria("linux", "linux_kernel");
    seen.push_back(crit);
    ordinals.push_back(e.ordinal);
    EXPECT_EQ(e.config, 0u);
    std::string_view ver, upd;
    e.version_update(ver, upd);
    EXPECT_EQ(ver, cpe_attributes(crit, 3, 3)) << crit;
    EXPECT_EQ(upd, cpe_attributes(crit, 4, 4)) << crit;
  }
  EXPECT_TRUE(reader.ok());
  EXPECT_EQ(seen, (std::vector<std::string>{n1.matches[0].criteria, n1.matches[2].criteria, n1.matches[3].criteria,
                                            n1.matches[4].criteria, n1.matches[5].criteria, n1.matches[6].criteria}));
  EXPECT_EQ(ordinals, (std::vector<std::uint32_t>{0, 2, 3, 4, 5, 6}));
  EXPECT_LT(kernel.entries.size(), 140u);  // names and trailing ANY attributes are not stored
  // Damaged entries are refused, never read past.
  for (std::size_t cut = 0; cut < kernel.entries.size(); ++cut)
    EXPECT_FALSE(ProductEntryReader::valid(kernel.entries.substr(0, cut))) << cut;
  EXPECT_FALSE(ProductEntryReader::valid(kernel.entries + "x"));
}

// Real NVD configurations (../shared/realdata): skips when the data is absent.
TEST(MatchRealNvd, Feed2017) {
  fs::path feed2017 = fs::path(IOTAUDIT_SHARED_DIR) / "realdata/vulndata/nvd-json-1.1-feeds/nvdcve-1.1-2017.json.gz";
  if (!fs::exists(feed2017)) GTEST_SKIP() << "no " << feed2017;
  TempDir dir;
  std::string dbp = (dir.path / "v.db").string();
  {
    auto db = VulnDb::open(dbp, true);
    ASSERT_TRUE(db);
    auto sum = import_sources(**db, {feed2017.string()}, {});
    ASSERT_TRUE(sum) << sum.error().message;
    EXPECT_GT(sum->cves, 10000);
  }
  auto db = VulnDb::open(dbp, false);
  ASSERT_TRUE(db);
  auto data = MatchData::builtin();
  ASSERT_TRUE(data);
  Matcher matcher(**db, *data);
  // CVE-2017-14491: dnsmasq before 2.78 (its first configuration; the others list distributions).
  auto a = matcher.match({comp("dnsmasq", "2.66", "a:thekelleys:dnsmasq")});
  ASSERT_TRUE(find(a, "CVE-2017-14491", "dnsmasq"));
  EXPECT_EQ(find(a, "CVE-2017-14491", "dnsmasq")->confidence, "high");
  EXPECT_FALSE(find(matcher.match({comp("dnsmasq", "2.78", "a:thekelleys:dnsmasq")}), "CVE-2017-14491", "dnsmasq"));
  // CVE-2017-16544: BusyBox through 1.27.2 (versionEndIncluding).
  EXPECT_TRUE(find(matcher.match({comp("busybox", "1.27.2", "a:busybox:busybox")}), "CVE-2017-16544", "busybox"));
  EXPECT_FALSE(find(matcher.match({comp("busybox", "1.28.0", "a:busybox:busybox")}), "CVE-2017-16544", "busybox"));
  // CVE-2017-0309: NVIDIA GPU driver AND running on Linux: the kernel is only the platform.
  auto k = matcher.match({comp("linux-kernel", "3.3.8", "o:linux:linux_kernel")});
  EXPECT_FALSE(find(k, "CVE-2017-0309", "linux-kernel"));
  EXPECT_GT(k.size(), 50u);
  // The product index decides as the full configurations do, on every real record of the year.
  const std::vector<Component> image = {
      comp("linux-kernel", "3.3.8", "o:linux:linux_kernel"), comp("linux-kernel", "2.6.36", "o:linux:linux_kernel"),
      comp("busybox", "1.19.4", "a:busybox:busybox"),          comp("dnsmasq", "2.62", "a:thekelleys:dnsmasq"),
      comp("openssl", "1.0.1e", "a:openssl:openssl"),          comp("dropbear", "2012.55", "a:matt_johnston:dropbear_ssh_server"),
      comp("libupnp", "1.6.19", "a:libupnp_project:libupnp"), comp("curl", "7.29.0", "a:haxx:curl")};
  auto indexed = match_keys(Matcher(**db, *data).match(image));
  db->reset();
  exec_sql(dbp, kWithoutEntries);
  auto again = VulnDb::open(dbp, false);
  ASSERT_TRUE(again);
  EXPECT_EQ(match_keys(Matcher(**again, *data).match(image)), indexed);
  EXPECT_GT(indexed.size(), 100u);
}

}  // namespace
}  // namespace iotaudit::match
