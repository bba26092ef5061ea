// The smaller feed parsers (CISA KEV JSON and CSV, EPSS CSV, linux-kernel-cves files, CVE JSON 5,
// OSV with its range evaluation), CVSS vectors, VEX documents, CPE names and the version schemes
// on arbitrary bytes, and CycloneDX SBOMs read back for `iotaudit match`.
#include <cstdint>
#include <string>

#include "match/cpe.hpp"
#include "match/cvss.hpp"
#include "match/feeds/cve5.hpp"
#include "match/feeds/osv.hpp"
#include "match/import.hpp"
#include "match/osv_match.hpp"
#include "match/sbom_input.hpp"
#include "match/version/scheme.hpp"
#include "report/vulns.hpp"
#include "match/vex.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace iotaudit::match;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)sniff_source(text.substr(0, 8192), "x");
  (void)parse_kev_json(text);
  (void)parse_kev_csv(text);
  std::string date;
  (void)parse_epss_csv(text, &date);
  (void)parse_kernel_stream_fixes(text);
  (void)parse_kernel_cves_txt(text);
  (void)parse_vex(text, "fuzz");
  if (auto sbom = read_cyclonedx_components(text))
    for (const auto& c : sbom->components)
      if (c.id.empty() || c.version.empty()) __builtin_trap();
  // The SBOM's own text for the report: a slot whenever the text is a JSON object.
  if (auto frame = iotaudit::report::cyclonedx_frame_of_text(text); frame && !frame->slot) __builtin_trap();
  (void)parse_cve5_json(text, [](CveRecord&& r) {
    if (r.id.rfind("CVE-", 0) != 0) __builtin_trap();
  });
  (void)parse_osv_json(text, [](OsvRecord&& r) {
    if (r.id.empty() || r.modified.empty()) __builtin_trap();
    for (const auto& a : r.affected) {
      auto back = unpack_osv_affected(pack_osv_affected(a));
      if (!back || back->ranges.size() != a.ranges.size() || back->versions != a.versions) __builtin_trap();
    }
    for (const char* v : {"0", "1.2.3", "1:1.35.0-4+b2"}) {
      auto d = osv_decide(r.affected, v);
      auto e = osv_decide(r.affected, v, "12");
      (void)d;
      (void)e;
    }
  });
  for (double s : {cvss3_base_score(text), cvss2_base_score(text)})
    if (!(s == -1 || (s >= 0 && s <= 10))) __builtin_trap();
  if (auto c = parse_cpe(text)) {
    if (c->vendor().empty() || c->product().empty()) __builtin_trap();
  }
  // Version schemes: reflexive and antisymmetric on two halves of the input.
  std::string_view a = text.substr(0, size / 2), b = text.substr(size / 2);
  for (Scheme s : {Scheme::generic, Scheme::openssl, Scheme::kernel, Scheme::debian, Scheme::semver}) {
    int ab = compare_versions(s, a, b), ba = compare_versions(s, b, a);
    if ((ab > 0) != (ba < 0) || (ab < 0) != (ba > 0)) __builtin_trap();
    if (compare_versions(s, a, a) != 0) __builtin_trap();
    (void)plausible_version(s, a);
  }
  return 0;
}
