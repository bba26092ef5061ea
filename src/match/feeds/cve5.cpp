#include "match/feeds/cve5.hpp"

#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace iotaudit::match {

namespace {

using nlohmann::json;

std::string str(const json& j, const char* k) {
  return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : "";
}

// A CPE attribute from free text: lower case, spaces to underscores, CPE special characters escaped.
std::string cpe_attr(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isspace(u)) out += '_';
    else if (std::isalnum(u) || c == '_' || c == '-' || c == '.') out += static_cast<char>(std::tolower(u));
    else {
      out += '\\';
      out += c;
    }
  }
  return out;
}

bool usable_version(const std::string& v) {
  return !v.empty() && v != "*" && v != "0" && v != "unspecified" && v != "n/a" && v != "-";
}

void add_metrics(const json& metrics, CveRecord& r) {
  if (!metrics.is_array()) return;
  for (const auto& m : metrics) {
    for (const char* key : {"cvssV3_1", "cvssV3_0"})
      if (m.contains(key) && m[key].is_object() && r.cvss3_score < 0) {
        const auto& c = m[key];
        r.cvss3_vector = str(c, "vectorString");
        if (c.contains("baseScore") && c["baseScore"].is_number()) r.cvss3_score = c["baseScore"].get<double>();
        r.severity = str(c, "baseSeverity");
        r.cvss3_version = key[6] == '1' ? "3.1" : "3.0";
      }
    if (m.contains("cvssV2_0") && m["cvssV2_0"].is_object() && r.cvss2_score < 0) {
      const auto& c = m["cvssV2_0"];
      r.cvss2_vector = str(c, "vectorString");
      if (c.contains("baseScore") && c["baseScore"].is_number()) r.cvss2_score = c["baseScore"].get<double>();
    }
  }
}

void add_affected(const json& affected, CveRecord& r) {
  if (!affected.is_array()) return;
  for (const auto& a : affected) {
    if (!a.is_object()) continue;
    std::vector<std::string> names;
    if (a.contains("cpes") && a["cpes"].is_array())
      for (const auto& c : a["cpes"])
        if (c.is_string() && c.get<std::string>().rfind("cpe:2.3:", 0) == 0) names.push_back(c.get<std::string>());
    if (names.empty()) {
      std::string vendor = str(a, "vendor"), product = str(a, "product");
      if (vendor.empty() || product.empty() || vendor == "n/a" || product == "n/a") continue;
      names.push_back(fmt::format("cpe:2.3:a:{}:{}:*:*:*:*:*:*:*:*", cpe_attr(vendor), cpe_attr(product)));
    }
    // "cpe:2.3:a:v:p:1.2:*..." -> the name with its version attribute replaced.
    auto with_version = [](const std::string& cpe, const std::string& version) {
      std::size_t pos = 0;
      for (int field = 0; field < 5 && pos != std::string::npos; ++field) pos = cpe.find(':', pos + 1);
      if (pos == std::string::npos) return cpe;
      std::size_t end = cpe.find(':', pos + 1);
      return cpe.substr(0, pos + 1) + cpe_attr(version) + (end == std::string::npos ? "" : cpe.substr(end));
    };
    ConfigNode node;
    bool any = false;
    if (a.contains("versions") && a["versions"].is_array()) {
      for (const auto& v : a["versions"]) {
        if (str(v, "status") != "affected") continue;
        std::string type = str(v, "versionType");
        if (type == "git") continue;  // commit ids are not versions
        std::string version = str(v, "version"), lt = str(v, "lessThan"), le = str(v, "lessThanOrEqual");
        for (const auto& name : names) {
          CpeMatch m;
          m.vulnerable = true;
          if (!lt.empty() || !le.empty()) {
            m.criteria = with_version(name, "*");
            if (usable_version(version)) m.start_including = version;
            if (!lt.empty() && lt != "*") m.end_excluding = lt;
            if (!le.empty() && le != "*") m.end_including = le;
            if (m.end_excluding.empty() && m.end_including.empty() && m.start_including.empty()) continue;
          } else if (usable_version(version)) {
            m.criteria = with_version(name, version);
          } else {
            continue;
          }
          node.matches.push_back(std::move(m));
          any = true;
        }
      }
    }
    if (!any && str(a, "defaultStatus") == "affected" && !(a.contains("versions") && a["versions"].is_array() &&
                                                             !a["versions"].empty()))
      for (const auto& name : names) node.matches.push_back({with_version(name, "*"), true, "", "", "", ""});
    if (node.matches.empty()) continue;
    Configuration c;
    c.nodes.push_back(std::move(node));
    r.configurations.push_back(std::move(c));
  }
}

CveRecord from_record(const json& j) {
  CveRecord r;
  const auto& meta = j.at("cveMetadata");
  r.id = str(meta, "cveId");
  r.published = str(meta, "datePublished");
  r.modified = str(meta, "dateUpdated");
  if (r.modified.empty()) r.modified = r.published;
  r.rejected = str(meta, "state") == "REJECTED";
  const auto& containers = j.at("containers");
  std::vector<const json*> parts;
  if (containers.contains("cna")) parts.push_back(&containers["cna"]);
  if (containers.contains("adp") && containers["adp"].is_array())
    for (const auto& a : containers["adp"]) parts.push_back(&a);
  for (const json* p : parts) {
    if (r.description.empty() && p->contains("descriptions") && (*p)["descriptions"].is_array())
      for (const auto& d : (*p)["descriptions"])
        if (str(d, "lang").rfind("en", 0) == 0) {
          r.description = str(d, "value");
          break;
        }
    if (p->contains("problemTypes") && (*p)["problemTypes"].is_array())
      for (const auto& pt : (*p)["problemTypes"])
        if (pt.contains("descriptions") && pt["descriptions"].is_array())
          for (const auto& d : pt["descriptions"])
            if (auto cwe = str(d, "cweId"); !cwe.empty()) {
              bool dup = false;
              for (const auto& c : r.cwes) dup = dup || c == cwe;
              if (!dup) r.cwes.push_back(cwe);
            }
    if (p->contains("metrics")) add_metrics((*p)["metrics"], r);
    if (p->contains("affected")) add_affected((*p)["affected"], r);
  }
  if (r.severity.empty() && r.cvss3_score >= 0) {
    double s = r.cvss3_score;
    r.severity = s == 0 ? "NONE" : s < 4 ? "LOW" : s < 7 ? "MEDIUM" : s < 9 ? "HIGH" : "CRITICAL";
  }
  return r;
}

}  // namespace

Result<std::size_t> parse_cve5_json(std::string_view text, const std::function<void(CveRecord&&)>& sink) {
  std::size_t n = 0;
  try {
    auto j = json::parse(text);
    auto one = [&](const json& rec) {
      if (!rec.is_object() || str(rec, "dataType") != "CVE_RECORD")
        throw std::runtime_error(fmt::format("record {} is not a CVE_RECORD", n + 1));
      CveRecord r = from_record(rec);
      if (r.id.rfind("CVE-", 0) != 0) throw std::runtime_error(fmt::format("record {} has no cveMetadata.cveId", n + 1));
      ++n;
      sink(std::move(r));
    };
    if (j.is_array()) {
      for (const auto& rec : j) one(rec);
    } else {
      one(j);
    }
  } catch (const std::exception& e) {
    return fail(Errc::malformed, fmt::format("CVE JSON 5: {}", e.what()));
  }
  return n;
}

}  // namespace iotaudit::match
