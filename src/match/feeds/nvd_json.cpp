#include "match/feeds/nvd_json.hpp"

#include <simdjson.h>

#include <fmt/format.h>

namespace iotaudit::match {

namespace od = simdjson::ondemand;

namespace {

// The parser works with exceptions internally (simdjson's exception mode keeps the on-demand
// traversal readable); they never leave this file.
std::string str(od::value v) {
  std::string_view s = v.get_string();
  return std::string(s);
}

double num(od::value v) {
  double d = 0;
  if (v.type() == od::json_type::number) {
    d = v.get_double();
  } else {
    std::string_view s = v.get_string();
    d = std::stod(std::string(s));
  }
  return d;
}

bool boolean(od::value v) { return v.get_bool(); }

// NVD 1.1 and 2.0 cpe match entries.
CpeMatch parse_cpe_match(od::object o) {
  CpeMatch m;
  for (auto field : o) {
    std::string_view k = field.unescaped_key();
    if (k == "cpe23Uri" || k == "criteria") m.criteria = str(field.value());
    else if (k == "vulnerable") m.vulnerable = boolean(field.value());
    else if (k == "versionStartIncluding") m.start_including = str(field.value());
    else if (k == "versionStartExcluding") m.start_excluding = str(field.value());
    else if (k == "versionEndIncluding") m.end_including = str(field.value());
    else if (k == "versionEndExcluding") m.end_excluding = str(field.value());
  }
  return m;
}

bool is_and(std::string_view op) { return op == "AND"; }

ConfigNode parse_node(od::object o, int depth) {
  if (depth > 16) throw std::runtime_error("configuration nodes nested deeper than 16");
  ConfigNode n;
  for (auto field : o) {
    std::string_view k = field.unescaped_key();
    if (k == "operator") {
      std::string_view op = field.value().get_string();
      n.and_op = is_and(op);
    } else if (k == "negate") {
      n.negate = boolean(field.value());
    } else if (k == "cpe_match" || k == "cpeMatch") {
      for (auto m : field.value().get_array()) n.matches.push_back(parse_cpe_match(m.get_object()));
    } else if (k == "children") {
      for (auto c : field.value().get_array()) n.children.push_back(parse_node(c.get_object(), depth + 1));
    }
  }
  return n;
}

std::string english(od::array descriptions) {
  std::string out, first;
  for (auto d : descriptions) {
    std::string lang, value;
    for (auto f : d.get_object()) {
      std::string_view k = f.unescaped_key();
      if (k == "lang") lang = str(f.value());
      else if (k == "value") value = str(f.value());
    }
    if (first.empty()) first = value;
    if (lang == "en" && out.empty()) out = std::move(value);
  }
  return out.empty() ? first : out;
}

void finish(CveRecord& r) {
  if (r.description.rfind("** REJECT **", 0) == 0 || r.description.rfind("Rejected reason:", 0) == 0)
    r.rejected = true;
  if (r.severity.empty() && r.cvss3_score >= 0) {
    double s = r.cvss3_score;
    r.severity = s == 0 ? "NONE" : s < 4 ? "LOW" : s < 7 ? "MEDIUM" : s < 9 ? "HIGH" : "CRITICAL";
  }
}

// ---- JSON 1.1 ----

void parse_cwes_11(od::object problemtype, CveRecord& r) {
  for (auto f : problemtype) {
    if (f.unescaped_key().value() != "problemtype_data") continue;
    for (auto pd : f.value().get_array())
      for (auto g : pd.get_object()) {
        if (g.unescaped_key().value() != "description") continue;
        for (auto d : g.value().get_array())
          for (auto h : d.get_object())
            if (h.unescaped_key().value() == "value") r.cwes.push_back(str(h.value()));
      }
  }
}

void parse_impact_11(od::object impact, CveRecord& r) {
  for (auto f : impact) {
    std::string_view k = f.unescaped_key();
    if (k == "baseMetricV3") {
      for (auto g : f.value().get_object()) {
        if (g.unescaped_key().value() != "cvssV3") continue;
        for (auto h : g.value().get_object()) {
          std::string_view hk = h.unescaped_key();
          if (hk == "vectorString") r.cvss3_vector = str(h.value());
          else if (hk == "baseScore") r.cvss3_score = num(h.value());
          else if (hk == "baseSeverity") r.severity = str(h.value());
          else if (hk == "version") r.cvss3_version = str(h.value());
        }
      }
    } else if (k == "baseMetricV2") {
      std::string sev2;
      for (auto g : f.value().get_object()) {
        std::string_view gk = g.unescaped_key();
        if (gk == "severity") {
          sev2 = str(g.value());
        } else if (gk == "cvssV2") {
          for (auto h : g.value().get_object()) {
            std::string_view hk = h.unescaped_key();
            if (hk == "vectorString") r.cvss2_vector = str(h.value());
            else if (hk == "baseScore") r.cvss2_score = num(h.value());
          }
        }
      }
      if (r.severity.empty()) r.severity = sev2;
    }
  }
}

CveRecord parse_item_11(od::object item) {
  CveRecord r;
  std::string sev2;
  for (auto f : item) {
    std::string_view k = f.unescaped_key();
    if (k == "cve") {
      for (auto g : f.value().get_object()) {
        std::string_view gk = g.unescaped_key();
        if (gk == "CVE_data_meta") {
          for (auto h : g.value().get_object())
            if (h.unescaped_key().value() == "ID") r.id = str(h.value());
        } else if (gk == "problemtype") {
          parse_cwes_11(g.value().get_object(), r);
        } else if (gk == "description") {
          for (auto h : g.value().get_object())
            if (h.unescaped_key().value() == "description_data") r.description = english(h.value().get_array());
        }
      }
    } else if (k == "configurations") {
      for (auto g : f.value().get_object()) {
        if (g.unescaped_key().value() != "nodes") continue;
        // In 1.1 every top-level node is a configuration of its own.
        for (auto n : g.value().get_array()) {
          Configuration c;
          c.nodes.push_back(parse_node(n.get_object(), 0));
          r.configurations.push_back(std::move(c));
        }
      }
    } else if (k == "impact") {
      parse_impact_11(f.value().get_object(), r);
    } else if (k == "publishedDate") {
      r.published = str(f.value());
    } else if (k == "lastModifiedDate") {
      r.modified = str(f.value());
    }
  }
  finish(r);
  return r;
}

// ---- API 2.0 ----

void parse_metrics_20(od::object metrics, CveRecord& r) {
  // Prefer the NVD's own ("Primary") score, then the newest CVSS version.
  struct Pick { std::string vector, version, severity; double score = -1; bool primary = false; int rank = -1; };
  Pick v3, v2;
  for (auto f : metrics) {
    std::string_view k = f.unescaped_key();
    int rank = k == "cvssMetricV31" ? 2 : k == "cvssMetricV30" ? 1 : k == "cvssMetricV2" ? 0 : -1;
    if (rank < 0) continue;
    for (auto m : f.value().get_array()) {
      Pick p;
      p.rank = rank;
      std::string sev_outer;
      for (auto g : m.get_object()) {
        std::string_view gk = g.unescaped_key();
        if (gk == "type") {
          std::string_view t = g.value().get_string();
          p.primary = t == "Primary";
        } else if (gk == "baseSeverity") {
          sev_outer = str(g.value());
        } else if (gk == "cvssData") {
          for (auto h : g.value().get_object()) {
            std::string_view hk = h.unescaped_key();
            if (hk == "vectorString") p.vector = str(h.value());
            else if (hk == "baseScore") p.score = num(h.value());
            else if (hk == "baseSeverity") p.severity = str(h.value());
            else if (hk == "version") p.version = str(h.value());
          }
        }
      }
      if (p.severity.empty()) p.severity = sev_outer;
      Pick& slot = rank == 0 ? v2 : v3;
      auto better = [](const Pick& a, const Pick& b) {
        if (b.rank < 0) return true;
        if (a.primary != b.primary) return a.primary;
        return a.rank > b.rank;
      };
      if (better(p, slot)) slot = p;
    }
  }
  if (v3.rank >= 0) {
    r.cvss3_vector = v3.vector;
    r.cvss3_score = v3.score;
    r.cvss3_version = v3.version;
    r.severity = v3.severity;
  }
  if (v2.rank >= 0) {
    r.cvss2_vector = v2.vector;
    r.cvss2_score = v2.score;
    if (r.severity.empty()) r.severity = v2.severity;
  }
}

CveRecord parse_cve_20(od::object cve) {
  CveRecord r;
  for (auto f : cve) {
    std::string_view k = f.unescaped_key();
    if (k == "id") {
      r.id = str(f.value());
    } else if (k == "published") {
      r.published = str(f.value());
    } else if (k == "lastModified") {
      r.modified = str(f.value());
    } else if (k == "vulnStatus") {
      std::string_view s = f.value().get_string();
      if (s == "Rejected") r.rejected = true;
    } else if (k == "descriptions") {
      r.description = english(f.value().get_array());
    } else if (k == "metrics") {
      parse_metrics_20(f.value().get_object(), r);
    } else if (k == "weaknesses") {
      for (auto w : f.value().get_array())
        for (auto g : w.get_object()) {
          if (g.unescaped_key().value() != "description") continue;
          for (auto d : g.value().get_array())
            for (auto h : d.get_object())
              if (h.unescaped_key().value() == "value") {
                std::string cwe = str(h.value());
                bool dup = false;
                for (const auto& c : r.cwes) dup = dup || c == cwe;
                if (!dup) r.cwes.push_back(std::move(cwe));
              }
        }
    } else if (k == "configurations") {
      for (auto c : f.value().get_array()) {
        Configuration conf;
        for (auto g : c.get_object()) {
          std::string_view gk = g.unescaped_key();
          if (gk == "operator") {
            std::string_view op = g.value().get_string();
            conf.and_op = is_and(op);
          } else if (gk == "nodes") {
            for (auto n : g.value().get_array()) conf.nodes.push_back(parse_node(n.get_object(), 0));
          }
        }
        r.configurations.push_back(std::move(conf));
      }
    }
  }
  finish(r);
  return r;
}

}  // namespace

std::size_t padded_capacity(std::size_t size) { return size + simdjson::SIMDJSON_PADDING; }

Result<NvdDocumentInfo> parse_nvd_json(std::string_view json, const std::function<void(CveRecord&&)>& sink) {
  NvdDocumentInfo info;
  od::parser parser;
  od::document doc;
  const char* base = json.data();
  const char* where = nullptr;
  try {
    auto err = parser.iterate(json.data(), json.size(), padded_capacity(json.size())).get(doc);
    if (err) {
      // Structural errors are found before any record is read; truncation is the usual cause.
      bool cut = err == simdjson::UNCLOSED_STRING || err == simdjson::INCOMPLETE_ARRAY_OR_OBJECT ||
                 err == simdjson::TAPE_ERROR;
      return fail(Errc::malformed, fmt::format("not JSON{}: {}", cut ? fmt::format(" (the document ends at byte {} "
                                                                                   "before it is complete)", json.size())
                                                                     : "",
                                               simdjson::error_message(err)));
    }
    od::object top = doc.get_object();
    for (auto field : top) {
      std::string_view k = field.unescaped_key();
      if (k == "CVE_Items") {
        info.format = "nvd-json-1.1";
        for (auto item : field.value().get_array()) {
          where = doc.current_location().value_unsafe();
          CveRecord r = parse_item_11(item.get_object());
          if (r.id.empty()) throw std::runtime_error("a record without CVE_data_meta.ID");
          ++info.records;
          sink(std::move(r));
        }
      } else if (k == "vulnerabilities") {
        info.format = "nvd-api-2.0";
        for (auto item : field.value().get_array()) {
          where = doc.current_location().value_unsafe();
          bool seen = false;
          for (auto g : item.get_object()) {
            if (g.unescaped_key().value() != "cve") continue;
            CveRecord r = parse_cve_20(g.value().get_object());
            if (r.id.empty()) throw std::runtime_error("a record without cve.id");
            seen = true;
            ++info.records;
            sink(std::move(r));
          }
          if (!seen) throw std::runtime_error("an entry of 'vulnerabilities' without 'cve'");
        }
      } else if (k == "CVE_data_timestamp" || k == "timestamp") {
        info.timestamp = str(field.value());
      }
    }
    if (info.format.empty())
      return fail(Errc::unsupported, "neither an NVD JSON 1.1 feed (CVE_Items) nor an NVD API 2.0 page "
                                     "(vulnerabilities)");
  } catch (const std::exception& e) {
    std::size_t at = 0;
    const char* loc = nullptr;
    if (doc.current_location().get(loc) == simdjson::SUCCESS && loc >= base && loc <= base + json.size())
      at = static_cast<std::size_t>(loc - base);
    else if (where >= base && where <= base + json.size())
      at = static_cast<std::size_t>(where - base);
    return fail(Errc::malformed, fmt::format("at byte {} (record {}): {}", at, info.records + 1, e.what()));
  }
  return info;
}

}  // namespace iotaudit::match
