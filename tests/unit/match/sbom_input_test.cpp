// Components read back from CycloneDX SBOMs: iotaudit's own, other tools' shapes, and documents
// that are not SBOMs or not JSON.
#include <gtest/gtest.h>

#include <string>

#include "match/sbom_input.hpp"

namespace iotaudit::match {
namespace {

const char* kSbom = R"({
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "metadata": {"component": {"name": "fw.bin", "properties": [
    {"name": "iotaudit:elf_machines", "value": "MIPS,,ARM"}]}},
  "components": [
    {"bom-ref": "component:busybox@1.35.0", "type": "application", "name": "busybox", "version": "1.35.0",
     "description": "BusyBox", "publisher": "busybox.net",
     "cpe": "cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*", "purl": "pkg:generic/busybox@1.35.0",
     "properties": [{"name": "iotaudit:confidence", "value": "medium"},
                    {"name": "iotaudit:busybox:applets", "value": "ash,telnetd"},
                    {"name": "other:thing", "value": "x"}],
     "evidence": {"occurrences": [{"location": ""}, {"location": "/bin/busybox"}, {"location": "/bin/sh"}]},
     "components": [{"name": "libbb", "version": "1.35.0", "description": "not \"BusyBox\" \u00e9"}]},
    {"name": "no-version"},
    {"name": "openssl", "version": "1.0.2k", "evidence": "not an object"},
    "a string",
    {"name": 7, "version": "1.0"}
  ]
})";

TEST(SbomInput, ReadsComponentsPropertiesAndEvidence) {
  auto r = read_cyclonedx_components(kSbom);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->components.size(), 3u);
  const Component& bb = r->components[0];
  EXPECT_EQ(bb.id, "busybox");
  EXPECT_EQ(bb.version, "1.35.0");
  EXPECT_EQ(bb.name, "BusyBox");
  EXPECT_EQ(bb.vendor, "busybox.net");
  EXPECT_EQ(bb.cpe, "cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*");
  EXPECT_EQ(bb.purl, "pkg:generic/busybox@1.35.0");
  EXPECT_EQ(bb.confidence, "medium");
  ASSERT_EQ(bb.properties.size(), 1u);  // iotaudit's own properties, without the prefix
  EXPECT_EQ(bb.properties[0].first, "busybox:applets");
  EXPECT_EQ(bb.properties[0].second, "ash,telnetd");
  ASSERT_EQ(bb.occurrences.size(), 1u);  // the first location that is not empty
  EXPECT_EQ(bb.occurrences[0].path, "/bin/busybox");
  EXPECT_EQ(r->locations.at("component:busybox@1.35.0"), "/bin/busybox");
  // Nested components follow their parent; escapes are decoded.
  EXPECT_EQ(r->components[1].id, "libbb");
  EXPECT_EQ(r->components[1].name, "not \"BusyBox\" \xc3\xa9");
  EXPECT_EQ(r->components[1].confidence, "high");
  EXPECT_EQ(r->components[2].id, "openssl");
  EXPECT_TRUE(r->components[2].occurrences.empty());
  EXPECT_EQ(r->components[2].name, "openssl");  // no description: the name
  // Without a name or version (a number is not a name): counted, not read.
  EXPECT_EQ(r->skipped, 2u);
  EXPECT_EQ(r->elf_machines, (std::vector<std::string>{"MIPS", "ARM"}));
}

TEST(SbomInput, RefusesWhatIsNotACycloneDxJsonSbom) {
  auto not_json = read_cyclonedx_components(R"({"bomFormat": "CycloneDX", "components": [)");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().code, Errc::malformed);
  EXPECT_NE(not_json.error().message.find("not valid JSON"), std::string::npos);
  auto spdx = read_cyclonedx_components(R"({"spdxVersion": "SPDX-2.3"})");
  ASSERT_FALSE(spdx);
  EXPECT_EQ(spdx.error().code, Errc::unsupported);
  auto old = read_cyclonedx_components(R"({"bomFormat": "CycloneDX", "specVersion": "1.2"})");
  ASSERT_FALSE(old);
  EXPECT_NE(old.error().message.find("'1.2'"), std::string::npos);
  EXPECT_FALSE(read_cyclonedx_components("[]"));
  EXPECT_FALSE(read_cyclonedx_components(""));
  // Components that are not an array: none read, no error.
  auto odd = read_cyclonedx_components(R"({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": 7})");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->components.empty());
}

TEST(SbomInput, NestingIsBounded) {
  // 40 levels of nested components: the first 33 are read, the rest ignored, nothing overflows.
  std::string doc = R"({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": )";
  for (int i = 0; i < 40; ++i) doc += R"([{"name": "c", "version": "1", "components": )";
  doc += "[]";
  for (int i = 0; i < 40; ++i) doc += "}]";
  doc += "}";
  auto r = read_cyclonedx_components(doc);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->components.size(), 33u);
}

}  // namespace
}  // namespace iotaudit::match
