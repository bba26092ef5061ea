#include "match/lifecycle.hpp"

#include <cctype>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/embedded_data.hpp"
#include "match/version/scheme.hpp"

namespace iotaudit::match {

namespace {

bool series_matches(const std::string& series, const std::string& version) {
  if (series.empty()) return true;
  if (version.rfind(series, 0) != 0) return false;
  return version.size() == series.size() || !std::isdigit(static_cast<unsigned char>(version[series.size()]));
}

// "YYYY", "YYYY-MM" or "YYYY-MM-DD" -> months since year 0 (end of the period for EOL dates
// is not needed: a date compares by its first day).
int months(const std::string& d) {
  if (d.size() < 4) return -1;
  for (int i = 0; i < 4; ++i)
    if (!std::isdigit(static_cast<unsigned char>(d[i]))) return -1;
  int y = std::stoi(d.substr(0, 4)), m = 1;
  if (d.size() >= 7 && d[4] == '-' && std::isdigit(static_cast<unsigned char>(d[5])) &&
      std::isdigit(static_cast<unsigned char>(d[6])))
    m = std::stoi(d.substr(5, 2));
  if (m < 1 || m > 12) return -1;
  return y * 12 + (m - 1);
}

std::string today_iso() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// "2019.07" -> "2019-07"; "2019.78" (yyyy) -> "2019".
std::string date_from_version(const std::string& how, const std::string& v) {
  if (v.size() < 4) return "";
  for (int i = 0; i < 4; ++i)
    if (!std::isdigit(static_cast<unsigned char>(v[i]))) return "";
  int year = std::stoi(v.substr(0, 4));
  if (year < 1990 || year > 2100) return "";
  if (how == "yyyy") return v.substr(0, 4);
  if (how == "yyyy.mm" && v.size() >= 7 && v[4] == '.' && std::isdigit(static_cast<unsigned char>(v[5])) &&
      std::isdigit(static_cast<unsigned char>(v[6]))) {
    int m = std::stoi(v.substr(5, 2));
    if (m >= 1 && m <= 12) return v.substr(0, 4) + "-" + v.substr(5, 2);
  }
  return "";
}

}  // namespace

Result<LifecycleData> LifecycleData::parse(std::string_view text) {
  LifecycleData d;
  try {
    auto j = nlohmann::json::parse(text);
    for (const auto& p : j.at("products")) {
      LifecycleProduct lp;
      lp.component = p.at("component").get<std::string>();
      lp.source = p.value("source", "");
      lp.release_from_version = p.value("release_from_version", "");
      lp.older_unlisted_eol = p.value("older_unlisted_series", "") == "end-of-life";
      if (p.contains("series"))
        for (const auto& s : p["series"]) {
          LifecycleSeries ls{s.at("series").get<std::string>(), s.value("released", ""), s.value("eol", ""),
                             s.value("note", "")};
          for (const auto* date : {&ls.released, &ls.eol})
            if (!date->empty() && months(*date) < 0)
              return fail(Errc::malformed, fmt::format("lifecycle.json: {} {}: bad date '{}'", lp.component, ls.series, *date));
          lp.series.push_back(std::move(ls));
        }
      d.products.push_back(std::move(lp));
    }
  } catch (const std::exception& e) {
    return fail(Errc::malformed, fmt::format("lifecycle.json: {}", e.what()));
  }
  return d;
}

Result<LifecycleData> LifecycleData::builtin() {
  auto text = embedded::file("vulndb/lifecycle.json");
  if (!text) return fail(Errc::internal, "data/vulndb/lifecycle.json is not compiled in");
  return parse(*text);
}

std::vector<LifecycleNote> evaluate_lifecycle(const std::vector<Component>& components, const LifecycleData& data,
                                              const LifecycleOptions& opt) {
  std::vector<LifecycleNote> out;
  std::string today = opt.today.empty() ? today_iso() : opt.today;
  int now = months(today);
  for (const auto& c : components) {
    if (c.version.empty()) continue;
    for (const auto& p : data.products) {
      if (p.component != c.id) continue;
      LifecycleNote n;
      n.component_ref = fmt::format("component:{}@{}", c.id, c.version);
      n.component_name = c.name.empty() ? c.id : c.name;
      n.component_version = c.version;
      n.source = p.source;
      const LifecycleSeries* best = nullptr;
      for (const auto& s : p.series)
        if (series_matches(s.series, c.version) && (!best || s.series.size() > best->series.size())) best = &s;
      std::string released;
      if (best) {
        released = best->released;
        if (!best->eol.empty() && months(best->eol) >= 0 && months(best->eol) < now) {
          n.kind = "end-of-life";
          n.date = best->eol;
          n.detail = !best->note.empty()
                         ? best->note
                         : fmt::format("{} {} reached end of life in {}", n.component_name,
                                       best->series.empty() ? c.version : best->series, best->eol);
          out.push_back(std::move(n));
          break;
        }
      } else if (p.older_unlisted_eol && !p.series.empty()) {
        // An unlisted (short-lived) series older than the newest listed one.
        const LifecycleSeries* newest = &p.series.front();
        for (const auto& s : p.series)
          if (compare_versions(Scheme::kernel, s.series, newest->series) > 0) newest = &s;
        if (compare_versions(Scheme::kernel, c.version, newest->series) < 0) {
          n.kind = "end-of-life";
          n.detail = fmt::format("{} {} belongs to a release series without long-term support; such series stop "
                                 "receiving fixes shortly after the next release",
                                 n.component_name, c.version);
          out.push_back(std::move(n));
          break;
        }
      }
      if (released.empty() && !p.release_from_version.empty())
        released = date_from_version(p.release_from_version, c.version);
      if (!released.empty() && opt.max_age_years > 0 && now >= 0) {
        int age = now - months(released);
        if (age > static_cast<int>(opt.max_age_years * 12)) {
          n.kind = "outdated";
          n.date = released;
          n.detail = fmt::format("{} {} was released in {}, {:.1f} years before {}, more than the {:g}-year limit",
                                 n.component_name, c.version, released, age / 12.0, today, opt.max_age_years);
          out.push_back(std::move(n));
        }
      }
      break;
    }
  }
  return out;
}

}  // namespace iotaudit::match
