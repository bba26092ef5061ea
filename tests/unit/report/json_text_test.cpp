// dump_pretty writes what nlohmann's dump(2) writes, whichever parts it serialises in parallel.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include "report/json_text.hpp"
#include "report/vulns.hpp"

namespace iotaudit::report {
namespace {

using nlohmann::ordered_json;

ordered_json vulnerability(int i) {
  ordered_json v;
  v["id"] = "CVE-2024-" + std::to_string(10000 + i);
  v["ratings"] = ordered_json::array({{{"score", 7.5 + i % 3}, {"vector", "AV:N/AC:L"}}});
  v["description"] = "line one\nline two \"quoted\" \\ tab\t é ✓ \x01";
  v["empty_object"] = ordered_json::object();
  v["empty_array"] = ordered_json::array();
  v["affects"] = ordered_json::array({{{"ref", "component:linux@3.3.8"}}});
  v["nested"] = {{"a", {{"b", {{"c", ordered_json::array({1, 2, 3})}}}}}};
  v["flag"] = i % 2 == 0;
  v["nothing"] = nullptr;
  return v;
}

TEST(DumpPretty, SameTextAsDumpForSmallAndLargeArraysAtEveryLevel) {
  ordered_json doc;
  doc["bomFormat"] = "CycloneDX";
  doc["components"] = ordered_json::array();
  for (int i = 0; i < 3; ++i) doc["components"].push_back({{"name", "c" + std::to_string(i)}});
  doc["vulnerabilities"] = ordered_json::array();
  for (int i = 0; i < 500; ++i) doc["vulnerabilities"].push_back(vulnerability(i));
  // A large array two levels down, and one below the level where arrays are split.
  doc["runs"] = ordered_json::array({{{"results", doc["vulnerabilities"]}}});
  doc["deep"] = {{"a", {{"b", {{"c", doc["vulnerabilities"]}}}}}};
  doc["scalars"] = ordered_json::array();
  for (int i = 0; i < 100; ++i) doc["scalars"].push_back(i * 0.5);
  EXPECT_EQ(dump_pretty(doc), doc.dump(2));
}

TEST(DumpPretty, ScalarsAndEmptyContainers) {
  for (const auto& j : {ordered_json(), ordered_json(1), ordered_json("x\ny"), ordered_json::object(),
                        ordered_json::array(), ordered_json::parse(R"({"a":[],"b":{}})")})
    EXPECT_EQ(dump_pretty(j), j.dump(2)) << j.dump();
}

TEST(DumpPretty, InvalidUtf8ThrowsLikeDump) {
  ordered_json doc;
  doc["items"] = ordered_json::array();
  for (int i = 0; i < 100; ++i) doc["items"].push_back(i == 77 ? std::string("bad \xff byte") : std::string("ok"));
  EXPECT_THROW((void)doc.dump(2), ordered_json::type_error);
  EXPECT_THROW((void)dump_pretty(doc), ordered_json::type_error);
}

// dump(2) nested `indent` deep: every line after the first moves right.
std::string dumped_at(const ordered_json& j, std::size_t indent) {
  std::string want;
  for (char c : j.dump(2)) {
    want += c;
    if (c == '\n') want.append(indent, ' ');
  }
  return want;
}

// What dump() writes for a string, or nullopt where it refuses it (malformed UTF-8).
std::optional<std::string> dump_of(const std::string& s) {
  try {
    return ordered_json(s).dump();
  } catch (const ordered_json::type_error&) {
    return std::nullopt;
  }
}

// Writes `j` through JsonTextWriter (the test's own walk of the document). String members go
// through member() and through key() then value(), in turn: member() writes the plain short ones
// in one piece and must give the same text.
void write(JsonTextWriter& w, const ordered_json& j) {
  if (j.is_object()) {
    w.begin_object();
    bool whole = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.value().is_string() && (whole = !whole)) {
        w.member(it.key(), it.value().get_ref<const std::string&>());
        continue;
      }
      w.key(it.key());
      write(w, it.value());
    }
    w.end_object();
  } else if (j.is_array()) {
    w.begin_array();
    for (const auto& x : j) write(w, x);
    w.end_array();
  } else if (j.is_string()) {
    w.value(j.get_ref<const std::string&>());
  } else if (j.is_number_float()) {
    w.value(j.get<double>());
  } else {
    w.value(j.get<long long>());
  }
}

TEST(JsonTextWriter, WritesWhatDumpWrites) {
  ordered_json doc;
  doc["list"] = ordered_json::array();
  for (int i = 0; i < 40; ++i) {
    ordered_json v = vulnerability(i);
    v.erase("flag");
    v.erase("nothing");
    v["scores"] = ordered_json::array({0.1, 10.0, 7.5, 1e-7, 123456789.0, -2.25});
    v["count"] = -i;
    doc["list"].push_back(std::move(v));
  }
  doc["empty"] = ordered_json::object();
  for (std::size_t indent : {0u, 2u, 6u}) {
    std::string text;
    JsonTextWriter w(text, indent);
    write(w, doc);
    EXPECT_EQ(text, dumped_at(doc, indent)) << indent;
  }
}

// Nesting deep enough that a line's indentation passes the writer's 256 prepared spaces, and keys
// of every kind (plain, long, needing escapes), at several starting indents.
TEST(JsonTextWriter, DeepNestingAndAllKindsOfKeys) {
  ordered_json doc = ordered_json::array({1, "x"});
  for (int depth = 0; depth < 140; ++depth) {
    ordered_json o;
    o["k"] = depth;
    o[std::string(60, 'a')] = "long key";
    o["quote\"d\\ \n"] = ordered_json::array();
    o["\xc3\xa9t\xc3\xa9"] = ordered_json::object();
    o["plain"] = "short value";
    o["plain too"] = std::string(200, 'v');  // past what member() writes in one piece
    o["escaped"] = "tab\there";
    o["also plain"] = "";
    o["inner"] = std::move(doc);
    doc = ordered_json::array({std::move(o), 0});
  }
  for (std::size_t indent : {0u, 2u, 120u}) {
    std::string text;
    JsonTextWriter w(text, indent);
    write(w, doc);
    EXPECT_EQ(text, dumped_at(doc, indent)) << indent;
  }
}

// Every escape dump() makes, and its refusal of malformed UTF-8, on random byte strings.
TEST(JsonTextWriter, StringsEscapedAndValidatedAsDumpDoes) {
  std::mt19937 rng(20261205);
  const std::string alphabet[] = {"a", "\"", "\\", "\n", "\t", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x9c\x93",
                                  "\xf0\x9f\x98\x80", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82",
                                  "\xff", "\x80", "\xf5", "\xe0\x80\x80", "\xf0\x80\x80\x80"};
  int thrown = 0;
  for (int n = 0; n < 3000; ++n) {
    std::string s;
    int parts = static_cast<int>(rng() % 6);
    for (int k = 0; k < parts; ++k) s += alphabet[rng() % std::size(alphabet)];
    const auto want = dump_of(s);
    std::string got;
    JsonTextWriter w(got, 0);
    if (!want) {
      EXPECT_THROW(w.value(s), ordered_json::type_error) << "string " << n;
      ++thrown;
    } else {
      w.value(s);
      EXPECT_EQ(got, *want);
    }
  }
  EXPECT_GT(thrown, 500);  // both kinds of string were tried
  EXPECT_LT(thrown, 2800);
}

// Long strings: runs of plain text of every length between the special parts, so that each escape,
// multi-byte sequence and malformed byte falls at every position of the writer's 8-byte steps,
// and strings of plain text only (which take no byte-by-byte path at all).
TEST(JsonTextWriter, LongStringsMatchDumpAtEveryAlignment) {
  std::mt19937 rng(20261206);
  const std::string special[] = {"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x9c\x93",
                                 "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xe2\x82", "\xff", "\x80", " ", "~"};
  int thrown = 0, plain = 0;
  for (int n = 0; n < 4000; ++n) {
    std::string s;
    const int parts = static_cast<int>(rng() % 5);
    for (int k = 0; k <= parts; ++k) {
      s.append(rng() % 19, static_cast<char>('A' + rng() % 26));
      if (k < parts) s += special[rng() % std::size(special)];
    }
    if (parts == 0) ++plain;
    const auto want = dump_of(s);
    std::string got = "prefix,";
    JsonTextWriter w(got, 0);
    if (!want) {
      EXPECT_THROW(w.value(s), ordered_json::type_error) << "string " << n;
      EXPECT_EQ(got, "prefix,") << "string " << n;  // nothing of it left behind
      ++thrown;
    } else {
      w.value(s);
      EXPECT_EQ(got, "prefix," + *want) << "string " << n;
    }
  }
  EXPECT_GT(thrown, 300);
  EXPECT_GT(plain, 300);
}

TEST(CycloneDxVulnerabilities, TextIsTheDocumentDumped) {
  std::vector<VulnMatch> ms(3);
  for (std::size_t i = 0; i < ms.size(); ++i) {
    VulnMatch& m = ms[i];
    m.cve = i == 2 ? "CVE-2020-0001" : "CVE-2020-000" + std::to_string(i);
    m.component_ref = "component:c@1." + std::to_string(i);
    m.cvss3_score = 9.8;
    m.cvss3_vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    m.cvss3_version = "3.1";
    m.severity = "CRITICAL";
    m.cvss2_score = i == 1 ? -1 : 10.0;
    m.cvss2_vector = "AV:N/AC:L/Au:N/C:C/I:C/A:C";
    m.cwes = {"CWE-787", "NVD-CWE-Other"};
    m.description = "A \"flaw\"\nin c.";
    m.published = "2020-01-02T03:04Z";
    m.matcher = "nvd-cpe";
    m.confidence = "high";
    m.status = i == 2 ? VulnStatus::not_affected : VulnStatus::affected;
    m.justification = i == 2 ? "code_not_present" : "";
    m.reason = "in range";
    m.kev = i == 0;
    m.kev_date_added = "2021-11-03";
    m.epss = i == 0 ? 0.5 : -1;
    m.epss_percentile = 0.97;
  }
  ordered_json j = ordered_json::parse(cyclonedx_vulnerabilities_text(ms, 0));
  ASSERT_EQ(j.size(), 3u);  // the ruled-out entry of CVE-2020-0001 is its own entry
  EXPECT_EQ(j[2]["bom-ref"], "vuln:CVE-2020-0001#2");
  EXPECT_EQ(j[0]["ratings"].size(), 2u);
  EXPECT_EQ(j[1]["ratings"].size(), 1u);
  EXPECT_EQ(j[0]["cwes"], ordered_json::array({787}));
  EXPECT_EQ(j[2]["analysis"]["state"], "not_affected");
  EXPECT_EQ(cyclonedx_vulnerabilities_text(ms, 0), j.dump(2));
  // In a document: the array where the slot is, members before and after it untouched, and a
  // string that looks like the slot left alone.
  ordered_json doc, want;
  for (auto* d : {&doc, &want}) {
    (*d)["bomFormat"] = "CycloneDX";
    (*d)["note"] = std::string(kVulnerabilitiesSlot);
  }
  doc["vulnerabilities"] = kVulnerabilitiesSlot;
  want["vulnerabilities"] = j;
  for (auto* d : {&doc, &want}) (*d)["after"] = ordered_json::array({1, 2});
  EXPECT_EQ(dump_cyclonedx(doc, ms), want.dump(2));
  doc["vulnerabilities"] = kVulnerabilitiesSlot;
  want["vulnerabilities"] = ordered_json::array();
  EXPECT_EQ(dump_cyclonedx(doc, {}), want.dump(2));
  EXPECT_EQ(cyclonedx_vulnerabilities_text({}, 2), "[]");
  // In two steps, the frame written before the matches are known: the same text, the trailer after it.
  doc["vulnerabilities"] = kVulnerabilitiesSlot;
  want["vulnerabilities"] = j;
  CycloneDxFrame frame = cyclonedx_frame(doc);
  EXPECT_TRUE(frame.slot);
  EXPECT_EQ(dump_cyclonedx(frame, ms, "\n"), want.dump(2) + "\n");
  EXPECT_EQ(dump_cyclonedx(frame, ms), dump_cyclonedx(doc, ms));
  // Without a slot: the document alone, whatever the matches.
  doc.erase("vulnerabilities");
  frame = cyclonedx_frame(doc);
  EXPECT_FALSE(frame.slot);
  EXPECT_EQ(dump_cyclonedx(frame, ms, "\n"), doc.dump(2) + "\n");
}

}  // namespace
}  // namespace iotaudit::report

namespace iotaudit::report {
TEST(CycloneDxVulnerabilities, OneEntryPerCveAndStatusInOrderOfFirstAppearance) {
  // A affected by c1, B by c1, A by c2, A ruled out for c3, B ruled out for two reasons, A by c4.
  struct Spec {
    const char* cve;
    const char* component;
    bool affected;
    const char* reason;
  };
  const Spec specs[] = {{"CVE-2021-0001", "component:c1@1", true, "in range"},
                        {"CVE-2021-0002", "component:c1@1", true, "in range"},
                        {"CVE-2021-0001", "component:c2@1", true, "in range"},
                        {"CVE-2021-0001", "component:c3@1", false, "fixed on its branch"},
                        {"CVE-2021-0002", "component:c3@1", false, "fixed on its branch"},
                        {"CVE-2021-0002", "component:c5@1", false, "another reason"},
                        {"CVE-2021-0001", "component:c4@1", true, "in range"}};
  std::vector<VulnMatch> ms;
  for (const auto& sp : specs) {
    VulnMatch& m = ms.emplace_back();
    m.cve = sp.cve;
    m.component_ref = sp.component;
    m.status = sp.affected ? VulnStatus::affected : VulnStatus::not_affected;
    m.justification = sp.affected ? "" : "code_not_present";
    m.reason = sp.reason;
  }
  ordered_json j = ordered_json::parse(cyclonedx_vulnerabilities_text(ms, 0));
  auto refs_of = [](const ordered_json& v) {
    std::vector<std::string> out;
    for (const auto& a : v["affects"]) out.push_back(a["ref"]);
    return out;
  };
  ASSERT_EQ(j.size(), 5u);
  EXPECT_EQ(j[0]["bom-ref"], "vuln:CVE-2021-0001");
  EXPECT_EQ(refs_of(j[0]), (std::vector<std::string>{"component:c1@1", "component:c2@1", "component:c4@1"}));
  EXPECT_EQ(j[1]["bom-ref"], "vuln:CVE-2021-0002");
  EXPECT_EQ(refs_of(j[1]), std::vector<std::string>{"component:c1@1"});
  EXPECT_EQ(j[2]["bom-ref"], "vuln:CVE-2021-0001#2");
  EXPECT_EQ(j[2]["analysis"]["detail"], "fixed on its branch");
  EXPECT_EQ(refs_of(j[2]), std::vector<std::string>{"component:c3@1"});
  EXPECT_EQ(j[3]["bom-ref"], "vuln:CVE-2021-0002#2");
  EXPECT_EQ(j[4]["bom-ref"], "vuln:CVE-2021-0002#3");
  EXPECT_EQ(j[4]["analysis"]["detail"], "another reason");
  EXPECT_EQ(refs_of(j[4]), std::vector<std::string>{"component:c5@1"});
}

namespace {

using nlohmann::ordered_json;

// What `iotaudit match` wrote before the frame came from simdjson: the document parsed by
// nlohmann, the slot set, dumped.
std::string frame_by_nlohmann(const std::string& text) {
  auto doc = ordered_json::parse(text);
  doc["vulnerabilities"] = kVulnerabilitiesSlot;
  CycloneDxFrame f = cyclonedx_frame(doc);
  return f.head + "|" + f.tail;
}

std::string frame_by_simdjson(const std::string& text) {
  auto f = cyclonedx_frame_of_text(text);
  if (!f) return "error: " + f.error().message;
  EXPECT_TRUE(f->slot);
  return f->head + "|" + f->tail;
}

TEST(CycloneDxFrameOfText, SameTextAsTheDocumentDumped) {
  const std::vector<std::string> docs = {
      R"({})",
      R"({"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1"}], "after": [1, 2]})",
      R"({"a": 1, "vulnerabilities": null, "b": {"c": [], "d": {}, "e": [[], [{}]]}})",
      // numbers as nlohmann prints them: integers, negative, unsigned beyond int64, doubles
      R"({"n": [0, -0, 1, -1, 9223372036854775807, -9223372036854775808, 18446744073709551615,
              1.0, 1.5, -2.25, 1e2, 1E-7, 123456.789, 1e300, 5e-324, 0.1, 100.0, 3.0e10]})",
      R"({"s": ["", "tab\there", "quote\" backslash\\ slash\/", "\u0001\u001f\u007f", "\u00e9\u4e2d\ud83d\ude00",
              "line\nbreak"], "t": true, "f": false, "z": null})",
      // a repeated key keeps its first place and its last value, as ordered_json's parse does
      R"({"k": 1, "other": 2, "k": {"x": 1, "x": 2, "y": 3}, "vulnerabilities": 1, "vulnerabilities": 2})",
      "  {\"spaced\" :\n[ 1 ,2 ] }  \n",
  };
  for (const auto& d : docs) EXPECT_EQ(frame_by_simdjson(d), frame_by_nlohmann(d)) << d;
}

TEST(CycloneDxFrameOfText, RandomDocumentsMatch) {
  std::mt19937 rng(1205);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::function<ordered_json(int)> gen = [&](int depth) -> ordered_json {
    switch (depth > 4 ? pick(5) : pick(7)) {
      case 0: return ordered_json(static_cast<std::int64_t>(rng()) - (1LL << 31));
      case 1: return ordered_json(std::ldexp(static_cast<double>(rng()), pick(80) - 40));
      case 2: {
        std::string s;
        for (int i = pick(12); i > 0; --i) s += static_cast<char>(pick(2) ? 'a' + pick(26) : pick(0x80));
        return ordered_json(s);
      }
      case 3: return ordered_json(pick(2) == 0);
      case 4: return ordered_json(nullptr);
      case 5: {
        ordered_json a = ordered_json::array();
        for (int i = pick(6); i > 0; --i) a.push_back(gen(depth + 1));
        return a;
      }
      default: {
        ordered_json o = ordered_json::object();
        for (int i = pick(6); i > 0; --i) o[std::string(1, static_cast<char>('a' + pick(8)))] = gen(depth + 1);
        return o;
      }
    }
  };
  for (int n = 0; n < 300; ++n) {
    ordered_json doc = ordered_json::object();
    for (int i = pick(8); i > 0; --i) doc[pick(5) ? std::string(1, static_cast<char>('a' + pick(8))) : "vulnerabilities"] = gen(1);
    std::string text = doc.dump(pick(2) ? -1 : 2);
    ASSERT_EQ(frame_by_simdjson(text), frame_by_nlohmann(text)) << text;
  }
}

TEST(AppendArray, SizeIsTheLengthWritten) {
  for (std::size_t indent : {0u, 2u, 6u}) {
    for (const std::vector<std::string>& parts :
         {std::vector<std::string>{}, {"1"}, {"{\n  \"a\": 1\n}", "[]", "\"x\""}}) {
      std::string out = "prefix";
      append_array(out, parts, indent);
      EXPECT_EQ(out.size() - 6, array_text_size(parts, indent)) << indent << " " << parts.size();
    }
  }
}

TEST(CycloneDxFrameOfText, ManyRepeatsOfOneKey) {
  // 50,000 members named "a" in one object: the last value, at the first place, as nlohmann has it.
  std::string doc = R"({"x": {)";
  for (int i = 0; i < 50000; ++i) doc += fmt::format(R"({}"a": {})", i ? ", " : "", i);
  doc += R"(, "b": true}})";
  EXPECT_EQ(frame_by_simdjson(doc), frame_by_nlohmann(doc));
  EXPECT_NE(frame_by_simdjson(doc).find("\"a\": 49999,\n    \"b\": true"), std::string::npos);
}

TEST(CycloneDxFrameOfText, RefusesWhatIsNotAJsonObject) {
  for (std::string bad : {"", "[1, 2]", "\"text\"", "{\"a\": ", "{\"a\": 1} x", "{\"s\": \"\xff\"}"}) {
    auto f = cyclonedx_frame_of_text(bad);
    EXPECT_FALSE(f) << bad;
    if (!f) EXPECT_EQ(f.error().code, Errc::malformed);
  }
  std::string deep = "{\"a\": " + std::string(600, '[') + std::string(600, ']') + "}";
  EXPECT_FALSE(cyclonedx_frame_of_text(deep));
}

}  // namespace
}  // namespace iotaudit::report
