// dump_pretty writes what nlohmann's dump(2) writes, whichever parts it serialises in parallel.
#include <gtest/gtest.h>

#include <string>

#include "report/json_text.hpp"

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

}  // namespace
}  // namespace iotaudit::report
