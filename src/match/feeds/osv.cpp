#include "match/feeds/osv.hpp"

#include <cctype>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "match/cvss.hpp"

namespace iotaudit::match {

namespace {

using nlohmann::json;

std::string str(const json& j, const char* k) {
  return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : "";
}

[[noreturn]] void bad(const std::string& what) { throw std::runtime_error(what); }

template <typename T>
void check_limit(const std::vector<T>& v, std::size_t limit, const char* what, const std::string& id) {
  if (v.size() >= limit) bad(fmt::format("{}: more than {} {}", id, limit, what));
}

OsvRange parse_range(const json& r, const OsvLimits& lim, const std::string& id) {
  OsvRange out;
  out.type = str(r, "type");
  if (out.type.empty()) bad(fmt::format("{}: a range without a type", id));
  if (!r.contains("events") || !r["events"].is_array()) bad(fmt::format("{}: a {} range without events", id, out.type));
  for (const auto& e : r["events"]) {
    if (!e.is_object() || e.size() != 1) bad(fmt::format("{}: an event must have exactly one key", id));
    auto first = e.begin();  // (a structured binding over items() would outlive its proxy)
    const std::string& key = first.key();
    const json& value = first.value();
    if (key != "introduced" && key != "fixed" && key != "last_affected" && key != "limit")
      bad(fmt::format("{}: unknown event '{}'", id, key));
    if (!value.is_string() || value.get<std::string>().empty())
      bad(fmt::format("{}: event '{}' needs a version string", id, key));
    check_limit(out.events, lim.max_events, "events in a range", id);
    out.events.push_back({key, value.get<std::string>()});
  }
  return out;
}

OsvRecord from_record(const json& j, const OsvLimits& lim, std::size_t index) {
  if (!j.is_object()) bad(fmt::format("record {} is not an object", index));
  OsvRecord r;
  r.id = str(j, "id");
  if (r.id.empty() || r.id.size() > 128) bad(fmt::format("record {} has no usable id", index));
  r.modified = str(j, "modified");
  if (r.modified.empty()) bad(fmt::format("{}: no 'modified' date (the OSV schema requires one)", r.id));
  r.published = str(j, "published");
  r.withdrawn = str(j, "withdrawn");
  r.summary = str(j, "summary");
  r.details = str(j, "details");
  if (j.contains("aliases") && j["aliases"].is_array())
    for (const auto& a : j["aliases"])
      if (a.is_string() && r.aliases.size() < 256) r.aliases.push_back(a.get<std::string>());
  if (j.contains("upstream") && j["upstream"].is_array())
    for (const auto& a : j["upstream"])
      if (a.is_string() && r.upstream.size() < 256) r.upstream.push_back(a.get<std::string>());
  if (j.contains("severity") && j["severity"].is_array())
    for (const auto& s : j["severity"]) {
      std::string type = str(s, "type"), score = str(s, "score");
      if ((type == "CVSS_V3" || type == "CVSS_V31") && r.cvss3_vector.empty() && cvss3_base_score(score) >= 0)
        r.cvss3_vector = score;
      else if (type == "CVSS_V2" && r.cvss2_vector.empty() && cvss2_base_score(score) >= 0)
        r.cvss2_vector = score;
    }
  if (j.contains("database_specific") && j["database_specific"].is_object()) {
    const auto& ds = j["database_specific"];
    if (ds.contains("cwe_ids") && ds["cwe_ids"].is_array())
      for (const auto& c : ds["cwe_ids"])
        if (c.is_string() && r.cwes.size() < 64) r.cwes.push_back(c.get<std::string>());
  }
  if (j.contains("affected")) {
    if (!j["affected"].is_array()) bad(fmt::format("{}: 'affected' is not an array", r.id));
    for (const auto& a : j["affected"]) {
      if (!a.is_object()) bad(fmt::format("{}: an affected entry is not an object", r.id));
      check_limit(r.affected, lim.max_affected, "affected entries", r.id);
      OsvAffected out;
      if (a.contains("package") && a["package"].is_object()) {
        out.ecosystem = str(a["package"], "ecosystem");
        out.name = str(a["package"], "name");
        out.purl = str(a["package"], "purl");
      }
      if (a.contains("ranges")) {
        if (!a["ranges"].is_array()) bad(fmt::format("{}: 'ranges' is not an array", r.id));
        for (const auto& rg : a["ranges"]) {
          check_limit(out.ranges, lim.max_ranges, "ranges in an affected entry", r.id);
          out.ranges.push_back(parse_range(rg, lim, r.id));
        }
      }
      if (a.contains("versions") && a["versions"].is_array())
        for (const auto& v : a["versions"])
          if (v.is_string()) {
            check_limit(out.versions, lim.max_versions, "versions in an affected entry", r.id);
            out.versions.push_back(v.get<std::string>());
          }
      r.affected.push_back(std::move(out));
    }
  }
  return r;
}

}  // namespace

Result<std::size_t> parse_osv_json(std::string_view text, const std::function<void(OsvRecord&&)>& sink,
                                   const OsvLimits& limits) {
  std::size_t n = 0;
  try {
    auto j = json::parse(text);
    if (j.is_array()) {
      for (const auto& rec : j) {
        OsvRecord r = from_record(rec, limits, n + 1);
        ++n;
        sink(std::move(r));
      }
    } else {
      OsvRecord r = from_record(j, limits, 1);
      ++n;
      sink(std::move(r));
    }
  } catch (const std::exception& e) {
    return fail(Errc::malformed, fmt::format("OSV: {}", e.what()));
  }
  return n;
}

std::vector<std::string> osv_cve_ids(const OsvRecord& r) {
  std::vector<std::string> out;
  auto take = [&](const std::string& s) {
    if (s.rfind("CVE-", 0) != 0 || s.size() < 13 || s.size() > 20) return;
    for (std::size_t i = 4; i < s.size(); ++i)
      if (i != 8 && !std::isdigit(static_cast<unsigned char>(s[i]))) return;
    if (s[8] != '-') return;
    for (const auto& o : out)
      if (o == s) return;
    out.push_back(s);
  };
  take(r.id);
  for (const auto& a : r.aliases) take(a);
  for (const auto& a : r.upstream) take(a);
  return out;
}

std::string osv_ecosystem_key(std::string_view eco) {
  eco = eco.substr(0, eco.find(':'));
  std::string out;
  for (char c : eco) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string osv_package_key(std::string_view name) {
  std::string out;
  for (char c : name) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string pack_osv_affected(const OsvAffected& a) {
  json j = json::object();
  j["e"] = a.ecosystem;
  j["n"] = a.name;
  json ranges = json::array();
  for (const auto& r : a.ranges) {
    json ev = json::array();
    for (const auto& e : r.events) ev.push_back({e.kind, e.version});
    ranges.push_back({{"t", r.type}, {"v", ev}});
  }
  j["r"] = ranges;
  j["x"] = a.versions;
  return j.dump();
}

Result<OsvAffected> unpack_osv_affected(std::string_view packed) {
  try {
    auto j = json::parse(packed);
    OsvAffected a;
    a.ecosystem = j.at("e").get<std::string>();
    a.name = j.at("n").get<std::string>();
    for (const auto& r : j.at("r")) {
      OsvRange out;
      out.type = r.at("t").get<std::string>();
      for (const auto& e : r.at("v")) out.events.push_back({e.at(0).get<std::string>(), e.at(1).get<std::string>()});
      a.ranges.push_back(std::move(out));
    }
    a.versions = j.at("x").get<std::vector<std::string>>();
    return a;
  } catch (const std::exception& e) {
    return fail(Errc::malformed, fmt::format("stored OSV entry: {}", e.what()));
  }
}

}  // namespace iotaudit::match
