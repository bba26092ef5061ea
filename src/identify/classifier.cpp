#include "identify/classifier.hpp"

#include <hs/hs.h>
#include <re2/re2.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/embedded_data.hpp"
#include "core/hash.hpp"

namespace iotaudit::identify {
namespace {

constexpr unsigned kMaxWidth = 512;  // longest match a pattern may describe (bytes)
constexpr std::size_t kMaxPatterns = 20000;

std::string hex_escape(std::string_view lit) {
  std::string out;
  for (unsigned char c : lit) out += fmt::format("\\x{:02x}", c);
  return out;
}

std::string printable(ByteView v) {
  std::string s;
  for (std::size_t i = 0; i < v.size() && s.size() < 160; ++i) {
    unsigned char c = v.data()[i];
    s.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.');
  }
  return s;
}

}  // namespace

unsigned scope_from_name(std::string_view n) {
  if (n == "elf") return kElf;
  if (n == "raw") return kRaw;
  if (n == "script") return kScript;
  if (n == "text") return kText;
  return 0;
}

std::string normalize_version(std::string_view v) {
  while (!v.empty() && (v.back() == '.' || v.back() == '-' || v.back() == '_' || v.back() == '+' || v.back() == ','))
    v.remove_suffix(1);
  if (v.empty() || v.size() > 64 || v.front() < '0' || v.front() > '9') return {};
  for (char c : v)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) return {};
  return std::string(v);
}

struct ClassifierSet::Impl {
  struct Expr {
    std::size_t classifier = 0;
    std::size_t pattern = 0;        // index in the classifier's patterns, or its requirement
    bool requirement = false;
    unsigned max_width = 0;
    std::unique_ptr<RE2> capture;   // "(" regex ")": group 1 the match, group 2 the version
  };
  std::vector<Classifier> classifiers;
  std::vector<Expr> exprs;
  hs_database_t* db = nullptr;
  hs_scratch_t* proto = nullptr;
  mutable std::mutex mu;
  mutable std::vector<hs_scratch_t*> pool;

  ~Impl() {
    for (hs_scratch_t* s : pool) hs_free_scratch(s);
    if (proto) hs_free_scratch(proto);
    if (db) hs_free_database(db);
  }
  hs_scratch_t* acquire() const {
    std::lock_guard lock(mu);
    if (!pool.empty()) {
      hs_scratch_t* s = pool.back();
      pool.pop_back();
      return s;
    }
    hs_scratch_t* s = nullptr;
    if (hs_clone_scratch(proto, &s) != HS_SUCCESS) return nullptr;
    return s;
  }
  void release(hs_scratch_t* s) const {
    std::lock_guard lock(mu);
    pool.push_back(s);
  }
};

ClassifierSet::ClassifierSet() : impl_(std::make_unique<Impl>()) {}
ClassifierSet::~ClassifierSet() = default;
ClassifierSet::ClassifierSet(ClassifierSet&&) noexcept = default;
ClassifierSet& ClassifierSet::operator=(ClassifierSet&&) noexcept = default;

const std::vector<Classifier>& ClassifierSet::classifiers() const { return impl_->classifiers; }

namespace {

// Cache file: "IAHS1\n", the number of expressions, their maximum widths, the serialized database.
constexpr std::string_view kCacheMagic = "IAHS1\n";

std::string cache_file(const std::string& dir, std::string_view json) {
  hs_platform_info_t plat{};
  hs_populate_platform(&plat);
  std::string key(json);
  key += fmt::format("|{}|{}|{}", hs_version(), plat.cpu_features, plat.tune);
  return dir + "/classifiers-" + sha256_hex(ByteView(reinterpret_cast<const std::uint8_t*>(key.data()), key.size())).substr(0, 24) + ".hsdb";
}

bool read_cache(const std::string& path, std::size_t count, std::vector<unsigned>& widths, hs_database_t** db) {
  auto blob = map_file(path);
  if (!blob) return false;
  ByteView v = (*blob)->view();
  if (!v.starts_with(kCacheMagic)) return false;
  Reader r(v.tail(kCacheMagic.size()));
  auto n = r.u32();
  if (!n || *n != count) return false;
  widths.resize(count);
  for (auto& w : widths) {
    auto x = r.u32();
    if (!x || *x > kMaxWidth) return false;
    w = *x;
  }
  ByteView rest = v.tail(kCacheMagic.size() + 4 + 4 * std::uint64_t{count});
  return hs_deserialize_database(reinterpret_cast<const char*>(rest.data()), rest.size(), db) == HS_SUCCESS;
}

void write_cache(const std::string& dir, const std::string& path, const std::vector<unsigned>& widths,
                 const hs_database_t* db) {
  char* bytes = nullptr;
  std::size_t len = 0;
  if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) return;
  std::string out(kCacheMagic);
  auto u32 = [&out](std::uint32_t x) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
  };
  u32(static_cast<std::uint32_t>(widths.size()));
  for (unsigned w : widths) u32(w);
  out.append(bytes, len);
  std::free(bytes);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string tmp = path + fmt::format(".{}.tmp", ::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return;
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    if (!f) return;
  }
  std::filesystem::rename(tmp, path, ec);  // atomic: concurrent scans never read half a file
  if (ec) std::filesystem::remove(tmp, ec);
}

}  // namespace

Result<ClassifierSet> ClassifierSet::load(std::string_view text, const std::string& cache_dir) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::malformed, "classifiers: not a JSON object");
  // value() would throw for a "schema" that is not a string.
  if (auto sc = j.find("schema"); sc == j.end() || !sc->is_string() || *sc != "iotaudit-classifiers/1")
    return fail(Errc::malformed, "classifiers: schema must be \"iotaudit-classifiers/1\"");
  if (!j.contains("classifiers") || !j["classifiers"].is_array())
    return fail(Errc::malformed, "classifiers: \"classifiers\" must be an array");
  ClassifierSet set;
  Impl& im = *set.impl_;
  std::set<std::string> ids;
  auto str = [](const nlohmann::json& o, const char* k) -> std::string {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  for (const auto& c : j["classifiers"]) {
    if (!c.is_object()) return fail(Errc::malformed, "classifiers: an entry is not an object");
    Classifier cl;
    cl.id = str(c, "id");
    cl.product = str(c, "product");
    cl.vendor = str(c, "vendor");
    cl.cpe = str(c, "cpe");
    cl.purl = str(c, "purl");
    cl.version_from_name = str(c, "version_from_name");
    if (!cl.version_from_name.empty()) {
      RE2 re(cl.version_from_name);
      if (!re.ok() || re.NumberOfCapturingGroups() != 1)
        return fail(Errc::malformed, cl.id + ": version_from_name must be a regex with one group");
    }
    if (cl.id.empty() || cl.product.empty()) return fail(Errc::malformed, "classifiers: an entry lacks id or product");
    if (!ids.insert(cl.id).second) return fail(Errc::malformed, "classifiers: duplicate id " + cl.id);
    if (!cl.cpe.empty() && (cl.cpe.rfind("cpe:2.3:", 0) != 0 || std::count(cl.cpe.begin(), cl.cpe.end(), ':') != 4))
      return fail(Errc::malformed, cl.id + ": cpe must be cpe:2.3:PART:VENDOR:PRODUCT");
    if (!cl.purl.empty() && cl.purl.rfind("pkg:", 0) != 0) return fail(Errc::malformed, cl.id + ": purl must start with pkg:");
    if (c.contains("scopes")) {
      if (!c["scopes"].is_array()) return fail(Errc::malformed, cl.id + ": scopes must be an array");
      cl.scopes = 0;
      for (const auto& s : c["scopes"]) {
        unsigned bit = s.is_string() ? scope_from_name(s.get<std::string>()) : 0;
        if (bit == 0) return fail(Errc::malformed, cl.id + ": unknown scope " + s.dump());
        cl.scopes |= bit;
      }
    }
    if (!c.contains("patterns") || !c["patterns"].is_array() || c["patterns"].empty())
      return fail(Errc::malformed, cl.id + ": needs at least one pattern");
    for (const auto& p : c["patterns"]) {
      Pattern pat;
      pat.regex = p.is_object() ? str(p, "regex") : std::string();
      pat.confidence = p.is_object() ? str(p, "confidence") : std::string();
      if (pat.confidence.empty()) pat.confidence = "high";
      if (pat.confidence != "high" && pat.confidence != "medium" && pat.confidence != "low")
        return fail(Errc::malformed, cl.id + ": confidence must be high, medium or low");
      if (pat.regex.empty()) return fail(Errc::malformed, cl.id + ": a pattern lacks its regex");
      cl.patterns.push_back(std::move(pat));
    }
    if (c.contains("requires_any")) {
      if (!c["requires_any"].is_array()) return fail(Errc::malformed, cl.id + ": requires_any must be an array");
      for (const auto& r : c["requires_any"]) {
        if (!r.is_string() || r.get<std::string>().size() < 4)
          return fail(Errc::malformed, cl.id + ": requires_any holds literals of at least 4 bytes");
        cl.requires_any.push_back(r.get<std::string>());
      }
    }
    im.classifiers.push_back(std::move(cl));
  }

  std::vector<std::string> sources;
  std::vector<unsigned> flags, hs_ids;
  for (std::size_t ci = 0; ci < im.classifiers.size(); ++ci) {
    const Classifier& cl = im.classifiers[ci];
    for (std::size_t pi = 0; pi < cl.patterns.size(); ++pi) {
      Impl::Expr e;
      e.classifier = ci;
      e.pattern = pi;
      RE2::Options o;
      o.set_encoding(RE2::Options::EncodingLatin1);
      o.set_dot_nl(true);
      o.set_log_errors(false);
      e.capture = std::make_unique<RE2>("(" + cl.patterns[pi].regex + ")", o);
      if (!e.capture->ok())
        return fail(Errc::malformed, fmt::format("{} pattern {}: {}", cl.id, pi + 1, e.capture->error()));
      if (e.capture->NumberOfCapturingGroups() < 2 && cl.version_from_name.empty())
        return fail(Errc::malformed, fmt::format("{} pattern {}: needs a group capturing the version", cl.id, pi + 1));
      sources.push_back(cl.patterns[pi].regex);
      im.exprs.push_back(std::move(e));
    }
    for (std::size_t ri = 0; ri < cl.requires_any.size(); ++ri) {
      Impl::Expr e;
      e.classifier = ci;
      e.pattern = ri;
      e.requirement = true;
      sources.push_back(hex_escape(cl.requires_any[ri]));
      im.exprs.push_back(std::move(e));
    }
  }
  if (im.exprs.size() > kMaxPatterns) return fail(Errc::malformed, "classifiers: too many patterns");
  if (im.exprs.empty()) return fail(Errc::malformed, "classifiers: none");
  const std::string cache = cache_dir.empty() ? std::string() : cache_file(cache_dir, text);
  std::vector<unsigned> cached_widths;
  if (!cache.empty() && read_cache(cache, im.exprs.size(), cached_widths, &im.db)) {
    for (std::size_t i = 0; i < im.exprs.size(); ++i) im.exprs[i].max_width = cached_widths[i];
    if (hs_alloc_scratch(im.db, &im.proto) != HS_SUCCESS) return fail(Errc::internal, "vectorscan scratch");
    return set;
  }
  std::vector<const char*> ptrs;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    ptrs.push_back(sources[i].c_str());
    flags.push_back(HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL);
    hs_ids.push_back(static_cast<unsigned>(i));
    // Every pattern must describe a bounded match: the version is captured in a window around
    // the end Vectorscan reports.
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_expression_info(ptrs.back(), flags.back(), &info, &err) != HS_SUCCESS) {
      std::string msg = err && err->message ? err->message : "invalid";
      hs_free_compile_error(err);
      const Impl::Expr& e = im.exprs[i];
      return fail(Errc::malformed, fmt::format("{} pattern {}: {}", im.classifiers[e.classifier].id, e.pattern + 1, msg));
    }
    unsigned max_width = info->max_width;
    std::free(info);
    if (max_width > kMaxWidth)
      return fail(Errc::malformed, fmt::format("{} pattern {}: matches may be longer than {} bytes; bound it",
                                               im.classifiers[im.exprs[i].classifier].id, im.exprs[i].pattern + 1,
                                               kMaxWidth));
    im.exprs[i].max_width = max_width;
  }
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(ptrs.data(), flags.data(), hs_ids.data(), static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK,
                       nullptr, &im.db, &err) != HS_SUCCESS) {
    std::string msg = err && err->message ? err->message : "compile error";
    int at = err ? err->expression : -1;
    hs_free_compile_error(err);
    if (at >= 0 && static_cast<std::size_t>(at) < im.exprs.size())
      return fail(Errc::malformed, fmt::format("{} pattern {}: {}", im.classifiers[im.exprs[at].classifier].id,
                                               im.exprs[at].pattern + 1, msg));
    return fail(Errc::malformed, "classifiers: " + msg);
  }
  if (hs_alloc_scratch(im.db, &im.proto) != HS_SUCCESS) return fail(Errc::internal, "vectorscan scratch");
  if (!cache.empty()) {
    std::vector<unsigned> widths;
    for (const auto& e : im.exprs) widths.push_back(e.max_width);
    write_cache(cache_dir, cache, widths, im.db);
  }
  return set;
}

const ClassifierSet& ClassifierSet::builtin() {
  static const ClassifierSet set = [] {
    auto text = embedded::file("components/classifiers.json");
    if (!text) return ClassifierSet();
    std::string dir;
    const char* off = std::getenv("IOTAUDIT_NO_CACHE");
    if (off == nullptr || std::string_view(off) != "1") {
      if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x == '/') dir = std::string(x) + "/iotaudit";
      else if (const char* h = std::getenv("HOME"); h != nullptr && *h == '/') dir = std::string(h) + "/.cache/iotaudit";
    }
    auto s = load(*text, dir);
    if (!s) {
      fmt::print(stderr, "iotaudit: built-in classifiers invalid: {}\n", s.error().message);
      return ClassifierSet();
    }
    return std::move(*s);
  }();
  return set;
}

std::vector<Hit> ClassifierSet::scan(ByteView data, unsigned scope) const {
  const Impl& im = *impl_;
  std::vector<Hit> hits;
  if (im.db == nullptr || data.empty() || data.size() > 0xffffffffu) return hits;
  hs_scratch_t* scratch = im.acquire();
  if (scratch == nullptr) return hits;
  std::vector<std::uint64_t> ends(im.exprs.size(), 0);  // end offset + 1 of each expression's first match
  auto on_match = [](unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) -> int {
    auto& e = *static_cast<std::vector<std::uint64_t>*>(ctx);
    if (id < e.size() && e[id] == 0) e[id] = to + 1;
    return 0;
  };
  hs_scan(im.db, reinterpret_cast<const char*>(data.data()), static_cast<unsigned>(data.size()), 0, scratch, on_match,
          &ends);
  im.release(scratch);

  std::vector<bool> required_ok(im.classifiers.size(), true), done(im.classifiers.size(), false);
  for (std::size_t i = 0; i < im.exprs.size(); ++i) {
    const auto& e = im.exprs[i];
    if (e.requirement && e.pattern == 0) required_ok[e.classifier] = false;
  }
  for (std::size_t i = 0; i < im.exprs.size(); ++i)
    if (im.exprs[i].requirement && ends[i] != 0) required_ok[im.exprs[i].classifier] = true;

  for (std::size_t i = 0; i < im.exprs.size(); ++i) {
    const auto& e = im.exprs[i];
    if (e.requirement || ends[i] == 0 || done[e.classifier] || !required_ok[e.classifier]) continue;
    if ((im.classifiers[e.classifier].scopes & scope) == 0) continue;
    std::uint64_t end = ends[i] - 1;
    std::uint64_t from = end > e.max_width ? end - e.max_width : 0;
    ByteView window = data.tail(from).head(2 * std::uint64_t{e.max_width} + 1);
    re2::StringPiece text(reinterpret_cast<const char*>(window.data()), window.size());
    re2::StringPiece whole, version;
    const bool has_version = e.capture->NumberOfCapturingGroups() >= 2;
    if (has_version ? !RE2::PartialMatch(text, *e.capture, &whole, &version)
                    : !RE2::PartialMatch(text, *e.capture, &whole))
      continue;
    std::string v = normalize_version(std::string_view(version.data(), version.size()));
    if (has_version && v.empty()) continue;
    Hit h;
    h.classifier = e.classifier;
    h.pattern = e.pattern;
    h.version = std::move(v);
    h.offset = from + static_cast<std::uint64_t>(whole.data() - text.data());
    h.evidence = printable(ByteView(reinterpret_cast<const std::uint8_t*>(whole.data()), whole.size()));
    hits.push_back(std::move(h));
    done[e.classifier] = true;  // patterns are in preference order; expressions keep that order
  }
  return hits;
}

std::string version_from_name(const Classifier& c, std::string_view file_name) {
  if (c.version_from_name.empty()) return {};
  RE2 re(c.version_from_name);
  std::string v;
  if (!RE2::FullMatch(re2::StringPiece(file_name.data(), file_name.size()), re, &v)) return {};
  return normalize_version(v);
}

}  // namespace iotaudit::identify
