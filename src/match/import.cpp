#include "match/import.hpp"

#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tbb/parallel_pipeline.h>

#include "core/bytes.hpp"
#include "core/hash.hpp"
#include "match/feeds/cve5.hpp"
#include "match/feeds/nvd_json.hpp"
#include "match/feeds/osv.hpp"

namespace iotaudit::match {

namespace {

std::string_view as_text(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

bool is_gzip(ByteView b) { return b.size() >= 2 && b.data()[0] == 0x1f && b.data()[1] == 0x8b; }

// Inflates every gzip member; the output keeps simdjson's padding free after its end.
Result<std::string> gunzip(ByteView view, std::uint64_t max_out, const std::string& name) {
  std::span<const std::uint8_t> in = view.span();
  std::string out;
  // The last member's ISIZE is a good first guess for single-member files.
  std::size_t guess = in.size() * 4;
  if (in.size() >= 4) {
    std::uint32_t isize = static_cast<std::uint32_t>(in[in.size() - 4]) | static_cast<std::uint32_t>(in[in.size() - 3]) << 8 |
                          static_cast<std::uint32_t>(in[in.size() - 2]) << 16 |
                          static_cast<std::uint32_t>(in[in.size() - 1]) << 24;
    // ISIZE is the claim of the input: deflate cannot expand more than 1032:1, so a larger claim
    // is a lie and must not size the buffer.
    if (isize > guess && isize <= max_out && isize / 1032 <= in.size()) guess = isize;
  }
  out.resize(std::min<std::uint64_t>(guess + 64, max_out + 64));
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return fail(Errc::internal, "zlib init failed");
  std::size_t in_pos = 0, out_pos = 0;
  while (true) {
    zs.next_in = const_cast<Bytef*>(in.data() + in_pos);
    std::size_t avail_in = std::min<std::size_t>(in.size() - in_pos, 1u << 30);
    zs.avail_in = static_cast<uInt>(avail_in);
    if (out_pos == out.size()) {
      if (out.size() >= max_out) {
        inflateEnd(&zs);
        return fail(Errc::limit, fmt::format("{}: decompresses to more than {} bytes", name, max_out));
      }
      out.resize(std::min<std::uint64_t>(out.size() * 2, max_out + 64));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    std::size_t avail_out = std::min<std::size_t>(out.size() - out_pos, 1u << 30);
    zs.avail_out = static_cast<uInt>(avail_out);
    int rc = inflate(&zs, Z_NO_FLUSH);
    in_pos += avail_in - zs.avail_in;
    out_pos += avail_out - zs.avail_out;
    if (rc == Z_STREAM_END) {
      // Another member follows?
      if (in_pos + 2 <= in.size() && in[in_pos] == 0x1f && in[in_pos + 1] == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      break;
    }
    if (rc == Z_BUF_ERROR && zs.avail_out != 0) {
      inflateEnd(&zs);
      return fail(Errc::truncated, fmt::format("{}: gzip data ends early (after {} compressed bytes)", name, in_pos));
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      inflateEnd(&zs);
      return fail(Errc::malformed, fmt::format("{}: bad gzip data at compressed byte {}: {}", name, in_pos,
                                               zs.msg ? zs.msg : "inflate error"));
    }
    if (out_pos > max_out) {
      inflateEnd(&zs);
      return fail(Errc::limit, fmt::format("{}: decompresses to more than {} bytes", name, max_out));
    }
  }
  inflateEnd(&zs);
  out.resize(out_pos);
  return out;
}

// RFC 4180 CSV: quoted fields with doubled quotes and embedded newlines.
struct Csv {
  std::string_view text;
  std::size_t pos = 0, line = 1;
  // Reads one record; false at the end.
  Result<bool> next(std::vector<std::string>& fields) {
    fields.clear();
    if (pos >= text.size()) return false;
    std::string cur;
    bool quoted = false, any = false;
    std::size_t start_line = line;
    while (pos < text.size()) {
      char c = text[pos++];
      any = true;
      if (quoted) {
        if (c == '"') {
          if (pos < text.size() && text[pos] == '"') {
            cur += '"';
            ++pos;
          } else {
            quoted = false;
          }
        } else {
          if (c == '\n') ++line;
          cur += c;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        fields.push_back(std::move(cur));
        cur.clear();
      } else if (c == '\n') {
        ++line;
        break;
      } else if (c != '\r') {
        cur += c;
      }
    }
    if (quoted) return fail(Errc::truncated, fmt::format("line {}: a quoted field is not closed", start_line));
    if (any) fields.push_back(std::move(cur));
    return true;
  }
};

bool valid_cve_id(std::string_view s) {
  if (s.size() < 13 || s.size() > 20 || s.substr(0, 4) != "CVE-" || s[8] != '-') return false;
  for (std::size_t i = 4; i < s.size(); ++i)
    if (i != 8 && (s[i] < '0' || s[i] > '9')) return false;
  return true;
}

struct Parsed {
  std::string path, name, kind, format, data_date, sha256, error;
  bool skip = false;
  bool from_dir = false;  // found by expanding a directory: a file of unknown kind is skipped, not an error
  bool unknown = false;
  std::vector<CveRecord> cves;
  std::vector<std::string> packed;
  std::vector<std::vector<AffectedProduct>> products;
  std::vector<KevEntry> kev;
  std::vector<EpssEntry> epss;
  std::vector<KernelFix> kfix;
  std::vector<KernelRange> krange;
  std::vector<OsvRecord> osv;
  std::int64_t records = 0;
};

void parse_file(Parsed& p, VulnDb& db, const ImportOptions& opt, std::mutex& db_mu) {
  auto blob = map_file(p.path, true);
  if (!blob) {
    p.error = blob.error().message;
    return;
  }
  ByteView raw = (*blob)->view();
  p.sha256 = sha256_hex(raw);
  if (!opt.force) {
    std::lock_guard lock(db_mu);
    if (db.has_source_sha(p.sha256)) {
      p.skip = true;
      return;
    }
  }
  std::string text;
  if (is_gzip(raw)) {
    auto t = gunzip(raw, opt.max_file_bytes, p.name);
    if (!t) {
      p.error = t.error().message;
      return;
    }
    text = std::move(*t);
  } else {
    if (raw.size() > opt.max_file_bytes) {
      p.error = fmt::format("{}: larger than {} bytes", p.name, opt.max_file_bytes);
      return;
    }
    text.assign(as_text(raw));
  }
  std::string_view base = p.name;
  if (base.size() > 3 && base.substr(base.size() - 3) == ".gz") base.remove_suffix(3);
  p.kind = sniff_source(std::string_view(text).substr(0, 8192), base);
  auto err = [&](const Error& e) { p.error = fmt::format("{}: {}", p.name, e.message); };
  if (p.kind == "nvd") {
    std::size_t n = text.size();
    text.resize(padded_capacity(n));
    std::string_view feed(text.data(), n);
    auto info = parse_nvd_json(feed, [&](CveRecord&& r) {
      p.packed.push_back(pack_configurations(r.configurations));
      p.products.push_back(affected_products(r.configurations));
      r.configurations.clear();
      r.configurations.shrink_to_fit();
      p.cves.push_back(std::move(r));
    });
    if (!info) return err(info.error());
    p.format = info->format;
    p.data_date = info->timestamp;
    p.records = static_cast<std::int64_t>(info->records);
  } else if (p.kind == "kev-json" || p.kind == "kev-csv") {
    auto k = p.kind == "kev-json" ? parse_kev_json(text) : parse_kev_csv(text);
    if (!k) return err(k.error());
    p.kev = std::move(*k);
    p.format = p.kind;
    p.kind = "kev";
    p.records = static_cast<std::int64_t>(p.kev.size());
    std::string latest;
    for (const auto& e : p.kev) latest = std::max(latest, e.date_added);
    p.data_date = latest;
  } else if (p.kind == "epss-csv") {
    auto e = parse_epss_csv(text, &p.data_date);
    if (!e) return err(e.error());
    p.epss = std::move(*e);
    p.format = "epss-csv";
    p.kind = "epss";
    p.records = static_cast<std::int64_t>(p.epss.size());
  } else if (p.kind == "kernel-stream-fixes") {
    auto k = parse_kernel_stream_fixes(text);
    if (!k) return err(k.error());
    p.kfix = std::move(*k);
    p.format = "linux-kernel-cves stream_fixes.json";
    p.records = static_cast<std::int64_t>(p.kfix.size());
  } else if (p.kind == "kernel-cves-txt") {
    auto k = parse_kernel_cves_txt(text);
    if (!k) return err(k.error());
    p.krange = std::move(*k);
    p.format = "linux-kernel-cves CVEs.txt";
    p.records = static_cast<std::int64_t>(p.krange.size());
  } else if (p.kind == "cve-json-5") {
    auto n = parse_cve5_json(text, [&](CveRecord&& r) {
      r.origin = "cve5";
      p.packed.push_back(pack_configurations(r.configurations));
      p.products.push_back(affected_products(r.configurations));
      r.configurations.clear();
      p.cves.push_back(std::move(r));
    });
    if (!n) return err(n.error());
    p.kind = "cve5";
    p.format = "cve-json-5";
    p.records = static_cast<std::int64_t>(*n);
  } else if (p.kind == "osv") {
    auto n = parse_osv_json(text, [&](OsvRecord&& r) { p.osv.push_back(std::move(r)); });
    if (!n) return err(n.error());
    p.format = "osv";
    p.records = static_cast<std::int64_t>(*n);
    for (const auto& r : p.osv) p.data_date = std::max(p.data_date, r.modified);
  } else if (p.from_dir) {
    p.unknown = true;
  } else {
    p.error = fmt::format("{}: not a feed iotaudit knows (NVD JSON 1.1 or API 2.0, CISA KEV JSON or CSV, EPSS CSV, "
                          "linux-kernel-cves stream_fixes.json or CVEs.txt, CVE JSON 5, OSV)", p.name);
  }
}

Status write_file(Parsed& p, VulnDb& db, ImportSummary& sum) {
  for (std::size_t i = 0; i < p.cves.size(); ++i) TRY(db.put_cve(p.cves[i], p.packed[i], p.products[i]));
  for (const auto& e : p.kev) TRY(db.put_kev(e));
  for (const auto& e : p.epss) TRY(db.put_epss(e, p.data_date));
  for (const auto& f : p.kfix) TRY(db.put_kernel_fix(f));
  for (const auto& r : p.krange) TRY(db.put_kernel_range(r));
  for (const auto& r : p.osv) {
    auto stored = db.put_osv(r);
    if (!stored) return tl::unexpected(stored.error());
    sum.osv += *stored ? 1 : 0;
  }
  sum.cves += static_cast<std::int64_t>(p.cves.size());
  sum.kev += static_cast<std::int64_t>(p.kev.size());
  sum.epss += static_cast<std::int64_t>(p.epss.size());
  sum.kernel += static_cast<std::int64_t>(p.kfix.size() + p.krange.size());
  SourceInfo s{p.name, p.kind, p.format, p.data_date, "", p.sha256, p.records};
  return db.add_source(s);
}

}  // namespace

std::string sniff_source(std::string_view head, std::string_view name) {
  auto has = [&](std::string_view s) { return head.find(s) != std::string_view::npos; };
  std::size_t first = head.find_first_not_of(" \t\r\n");
  char c = first == std::string_view::npos ? '\0' : head[first];
  if (c == '{' || c == '[') {
    if (has("\"catalogVersion\"") || has("\"cveID\"")) return "kev-json";
    if (has("\"CVE_Items\"") || has("\"CVE_data_type\"")) return "nvd";
    if (has("\"vulnerabilities\"") && (has("\"resultsPerPage\"") || has("\"NVD_CVE\"") || has("\"cve\""))) return "nvd";
    if (has("\"dataType\"") && has("CVE_RECORD")) return "cve-json-5";
    // OSV: "id" and "modified" are required, "schema_version" is often left out.
    if (has("\"id\"") && has("\"modified\"") &&
        (has("\"schema_version\"") || has("\"affected\"") || has("\"aliases\"") || has("\"upstream\"") ||
         has("\"withdrawn\"")))
      return "osv";
    if (has("\"fixed_version\"") && has("\"cmt_id\"")) return "kernel-stream-fixes";
    return "";
  }
  if (has("cveID,vendorProject")) return "kev-csv";
  if (has("cve,epss,percentile") || head.rfind("#model_version", 0) == 0) return "epss-csv";
  if (head.rfind("CVEid:", 0) == 0 || (name == "CVEs.txt" && head.rfind("CVE-", 0) == 0)) return "kernel-cves-txt";
  return "";
}

Result<std::vector<KevEntry>> parse_kev_json(std::string_view text) {
  std::vector<KevEntry> out;
  try {
    auto j = nlohmann::json::parse(text);
    const auto& vulns = j.at("vulnerabilities");
    if (!vulns.is_array()) return fail(Errc::malformed, "'vulnerabilities' is not an array");
    std::size_t i = 0;
    for (const auto& v : vulns) {
      ++i;
      auto s = [&](const char* k) { return v.contains(k) && v[k].is_string() ? v[k].get<std::string>() : ""; };
      KevEntry e{s("cveID"), s("dateAdded"), s("dueDate"), s("vendorProject"), s("product"), s("vulnerabilityName"),
                 s("knownRansomwareCampaignUse")};
      if (!valid_cve_id(e.cve_id))
        return fail(Errc::malformed, fmt::format("entry {}: cveID '{}' is not a CVE id", i, e.cve_id.substr(0, 40)));
      out.push_back(std::move(e));
    }
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::malformed, e.what());
  }
  return out;
}

Result<std::vector<KevEntry>> parse_kev_csv(std::string_view text) {
  Csv csv{text};
  std::vector<std::string> f;
  ASSIGN_OR_RETURN(bool ok, csv.next(f));
  if (!ok) return fail(Errc::truncated, "empty file");
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < f.size(); ++i) col[f[i]] = i;
  for (const char* need : {"cveID", "dateAdded"})
    if (!col.count(need)) return fail(Errc::malformed, fmt::format("line 1: no '{}' column", need));
  std::vector<KevEntry> out;
  while (true) {
    std::size_t line = csv.line;
    ASSIGN_OR_RETURN(bool more, csv.next(f));
    if (!more) break;
    if (f.size() == 1 && f[0].empty()) continue;
    auto get = [&](const char* k) {
      auto it = col.find(k);
      return it != col.end() && it->second < f.size() ? f[it->second] : std::string();
    };
    KevEntry e{get("cveID"), get("dateAdded"), get("dueDate"), get("vendorProject"), get("product"),
               get("vulnerabilityName"), get("knownRansomwareCampaignUse")};
    if (!valid_cve_id(e.cve_id))
      return fail(Errc::malformed, fmt::format("line {}: cveID '{}' is not a CVE id", line, e.cve_id.substr(0, 40)));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<EpssEntry>> parse_epss_csv(std::string_view text, std::string* score_date) {
  std::vector<EpssEntry> out;
  Csv csv{text};
  std::vector<std::string> f;
  bool header = false;
  while (true) {
    std::size_t line = csv.line;
    ASSIGN_OR_RETURN(bool more, csv.next(f));
    if (!more) break;
    if (f.empty() || (f.size() == 1 && f[0].empty())) continue;
    if (!f[0].empty() && f[0][0] == '#') {
      for (const auto& part : f)
        if (auto at = part.find("score_date:"); at != std::string::npos && score_date)
          *score_date = part.substr(at + 11, 10);
      continue;
    }
    if (!header) {
      if (f.size() < 2 || f[0] != "cve" || f[1] != "epss")
        return fail(Errc::malformed, fmt::format("line {}: expected the header cve,epss,percentile", line));
      header = true;
      continue;
    }
    if (f.size() < 2 || !valid_cve_id(f[0]))
      return fail(Errc::malformed, fmt::format("line {}: not 'CVE-id,score[,percentile]'", line));
    EpssEntry e;
    e.cve_id = f[0];
    char* end = nullptr;
    e.score = std::strtod(f[1].c_str(), &end);
    if (end == f[1].c_str() || *end != '\0' || !(e.score >= 0 && e.score <= 1))
      return fail(Errc::malformed, fmt::format("line {}: EPSS score '{}' is not a probability", line, f[1].substr(0, 20)));
    if (f.size() > 2) e.percentile = std::strtod(f[2].c_str(), nullptr);
    out.push_back(std::move(e));
  }
  if (!header) return fail(Errc::malformed, "no 'cve,epss,percentile' header");
  return out;
}

Result<std::vector<KernelFix>> parse_kernel_stream_fixes(std::string_view text) {
  std::vector<KernelFix> out;
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_object()) return fail(Errc::malformed, "not a JSON object of CVE ids");
    for (const auto& [cve, branches] : j.items()) {
      if (!valid_cve_id(cve)) return fail(Errc::malformed, fmt::format("key '{}' is not a CVE id", cve.substr(0, 40)));
      if (!branches.is_object()) return fail(Errc::malformed, fmt::format("{}: not an object of branches", cve));
      for (const auto& [branch, fix] : branches.items()) {
        std::string fixed = fix.is_object() && fix.contains("fixed_version") && fix["fixed_version"].is_string()
                                ? fix["fixed_version"].get<std::string>()
                                : "";
        out.push_back({cve, branch, fixed});
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::malformed, e.what());
  }
  return out;
}

Result<std::vector<KernelRange>> parse_kernel_cves_txt(std::string_view text) {
  std::vector<KernelRange> out;
  std::size_t line_no = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line.rfind("CVEid", 0) == 0) continue;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !valid_cve_id(line.substr(0, colon)))
      return fail(Errc::malformed, fmt::format("line {}: expected 'CVE-YYYY-N: ...'", line_no));
    KernelRange r;
    r.cve_id = std::string(line.substr(0, colon));
    std::size_t open = line.rfind('(');
    if (open == std::string_view::npos || line.back() != ')') {
      // "CVE-2012-4220: Vendor Specific": no upstream range; kept as a note so matching knows.
      std::string_view rest = line.substr(colon + 1);
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      if (rest.empty() || rest.find_first_of("()") != std::string_view::npos)
        return fail(Errc::malformed, fmt::format("line {}: neither '(from to until)' nor a note", line_no));
      r.note = std::string(rest.substr(0, 80));
      out.push_back(std::move(r));
      continue;
    }
    std::string_view inner = line.substr(open + 1, line.size() - open - 2);
    std::size_t to = inner.find(" to ");
    if (to == std::string_view::npos) {
      r.note = std::string(inner);  // "CVE Caused by Backporting"
    } else {
      std::string_view a = inner.substr(0, to), b = inner.substr(to + 4);
      if (a != "unk") r.introduced = std::string(a);
      if (b != "unk") r.fixed = std::string(b);
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<ImportSummary> import_sources(VulnDb& db, const std::vector<std::string>& paths, const ImportOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> files;
  std::set<std::string> from_dir;
  for (const auto& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      // Feeds and their companions (schemas, READMEs, cmts.json); cvelistV5 nests records three
      // levels deep. Files of unknown content found this way are skipped with a note.
      std::vector<std::string> inside;
      namespace fs = std::filesystem;
      for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::none, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto& e = *it;
        std::string n = e.path().filename().string();
        if (e.is_directory(ec)) {
          if (it.depth() >= 4 || (!n.empty() && n[0] == '.')) it.disable_recursion_pending();
          continue;
        }
        if (!e.is_regular_file(ec)) continue;
        std::string ext = e.path().extension().string();
        if (n.find("schema") != std::string::npos || n == "cmts.json") continue;
        if (ext == ".gz" || ext == ".json" || ext == ".csv" || n == "CVEs.txt") inside.push_back(e.path().string());
      }
      if (ec) return fail(Errc::io, fmt::format("cannot list {}: {}", p, ec.message()));
      std::sort(inside.begin(), inside.end());
      for (auto& f : inside) from_dir.insert(f);
      files.insert(files.end(), inside.begin(), inside.end());
    } else if (std::filesystem::exists(p, ec)) {
      files.push_back(p);
    } else {
      return fail(Errc::not_found, fmt::format("{}: no such file", p));
    }
  }
  if (files.empty()) return fail(Errc::invalid_argument, "no feed files to import");

  ImportSummary sum;
  TRY(db.begin());
  std::mutex db_mu;
  std::optional<Error> failure;
  std::size_t next = 0;
  unsigned jobs = opt.jobs ? opt.jobs : std::max(1u, std::thread::hardware_concurrency());
  try {
    tbb::parallel_pipeline(
        jobs + 1,
        tbb::make_filter<void, std::shared_ptr<Parsed>>(
            tbb::filter_mode::serial_in_order,
            [&](tbb::flow_control& fc) -> std::shared_ptr<Parsed> {
              if (next >= files.size() || failure) {
                fc.stop();
                return nullptr;
              }
              auto p = std::make_shared<Parsed>();
              p->path = files[next++];
              p->name = std::filesystem::path(p->path).filename().string();
              p->from_dir = from_dir.count(p->path) > 0;
              return p;
            }) &
            tbb::make_filter<std::shared_ptr<Parsed>, std::shared_ptr<Parsed>>(
                tbb::filter_mode::parallel,
                [&](std::shared_ptr<Parsed> p) {
                  parse_file(*p, db, opt, db_mu);
                  return p;
                }) &
            tbb::make_filter<std::shared_ptr<Parsed>, void>(
                tbb::filter_mode::serial_in_order, [&](std::shared_ptr<Parsed> p) {
                  if (failure) return;
                  if (!p->error.empty()) {
                    failure = Error{Errc::malformed, p->error};
                    return;
                  }
                  if (p->unknown) {
                    ++sum.not_feeds;
                    if (opt.log) opt.log(fmt::format("{}: not a feed; skipped", p->name));
                    return;
                  }
                  if (p->skip) {
                    ++sum.skipped;
                    if (opt.log) opt.log(fmt::format("{}: unchanged since it was imported; skipped", p->name));
                    return;
                  }
                  std::lock_guard lock(db_mu);
                  if (auto st = write_file(*p, db, sum); !st) {
                    failure = st.error();
                    return;
                  }
                  ++sum.files;
                  if (opt.log) opt.log(fmt::format("{}: {} ({}), {} records", p->name, p->kind, p->format, p->records));
                }));
  } catch (const std::exception& e) {
    failure = Error{Errc::internal, e.what()};
  }
  if (failure) {
    db.rollback();
    return fail(failure->code, failure->message + " (nothing was imported; the database is unchanged)");
  }
  TRY(db.commit());
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace iotaudit::match
