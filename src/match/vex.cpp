#include "match/vex.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace iotaudit::match {

namespace {

std::string str(const nlohmann::json& j, const char* k) {
  return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : "";
}

// CycloneDX analysis.state -> OpenVEX status vocabulary.
std::string status_from_cdx(const std::string& state) {
  if (state == "not_affected" || state == "false_positive") return "not_affected";
  if (state == "resolved" || state == "resolved_with_pedigree") return "fixed";
  if (state == "exploitable") return "affected";
  if (state == "in_triage") return "under_investigation";
  return state;
}

bool suppresses(const std::string& status) { return status == "not_affected" || status == "fixed"; }

}  // namespace

Result<std::vector<VexStatement>> parse_vex(std::string_view text, const std::string& source) {
  std::vector<VexStatement> out;
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_object()) return fail(Errc::malformed, fmt::format("{}: not a JSON object", source));
    if (j.contains("statements")) {  // OpenVEX
      std::size_t i = 0;
      for (const auto& s : j["statements"]) {
        ++i;
        VexStatement v;
        v.source = source;
        const auto& vul = s.at("vulnerability");
        v.cve = vul.is_string() ? vul.get<std::string>() : str(vul, "name");
        v.status = str(s, "status");
        v.justification = str(s, "justification");
        v.detail = str(s, "impact_statement");
        if (v.detail.empty()) v.detail = str(s, "status_notes");
        if (s.contains("products"))
          for (const auto& p : s["products"]) {
            if (p.is_string()) v.products.push_back(p.get<std::string>());
            else {
              if (auto id = str(p, "@id"); !id.empty()) v.products.push_back(id);
              if (p.contains("identifiers"))
                for (const auto& [k, val] : p["identifiers"].items())
                  if (val.is_string()) v.products.push_back(val.get<std::string>());
            }
          }
        if (v.cve.empty() || v.status.empty())
          return fail(Errc::malformed, fmt::format("{}: statement {} has no vulnerability or status", source, i));
        out.push_back(std::move(v));
      }
    } else if (j.contains("vulnerabilities") && str(j, "bomFormat") == "CycloneDX") {
      std::size_t i = 0;
      for (const auto& vul : j["vulnerabilities"]) {
        ++i;
        if (!vul.contains("analysis")) continue;  // a plain vulnerability listing states nothing
        VexStatement v;
        v.source = source;
        v.cve = str(vul, "id");
        const auto& a = vul["analysis"];
        v.status = status_from_cdx(str(a, "state"));
        v.justification = str(a, "justification");
        v.detail = str(a, "detail");
        if (vul.contains("affects"))
          for (const auto& af : vul["affects"])
            if (auto ref = str(af, "ref"); !ref.empty()) v.products.push_back(ref);
        if (v.cve.empty() || v.status.empty())
          return fail(Errc::malformed, fmt::format("{}: vulnerability {} has no id or analysis.state", source, i));
        out.push_back(std::move(v));
      }
    } else {
      return fail(Errc::unsupported, fmt::format("{}: neither OpenVEX (statements) nor CycloneDX VEX "
                                                 "(bomFormat CycloneDX with vulnerabilities)", source));
    }
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::malformed, fmt::format("{}: {}", source, e.what()));
  }
  return out;
}

Result<std::vector<VexStatement>> load_vex_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::io, fmt::format("cannot read VEX file {}", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_vex(ss.str(), std::filesystem::path(path).filename().string());
}

std::size_t apply_vex(const std::vector<VexStatement>& statements, std::vector<VulnMatch>& matches) {
  std::size_t n = 0;
  for (auto& m : matches) {
    for (const auto& s : statements) {
      if (s.cve != m.cve || !suppresses(s.status)) continue;
      bool applies = s.products.empty();
      std::string short_ref = m.component_id + "@" + m.component_version;
      for (const auto& p : s.products) {
        // A PURL without a version names every version.
        bool purl_any = !m.component_purl.empty() && p.find('@') == std::string::npos &&
                        m.component_purl.rfind(p + "@", 0) == 0;
        applies = applies || p == m.component_ref || p == short_ref || (!m.component_purl.empty() && p == m.component_purl) ||
                  (!m.component_cpe.empty() && p == m.component_cpe) || purl_any;
      }
      if (!applies) continue;
      m.suppressed_by_vex = true;
      m.status = VulnStatus::not_affected;
      m.justification = s.justification.empty() ? s.status : s.justification;
      m.vex_source = s.source;
      m.vex_detail = s.detail;
      m.reason = fmt::format("VEX {}: {}{}{}", s.source, s.status, s.justification.empty() ? "" : " (" + s.justification + ")",
                             s.detail.empty() ? "" : ": " + s.detail);
      ++n;
      break;
    }
  }
  return n;
}

}  // namespace iotaudit::match
