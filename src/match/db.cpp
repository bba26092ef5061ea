#include "match/db.hpp"

#include <sqlite3.h>
#include <zstd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>

#include <fmt/format.h>

#include "match/cpe.hpp"
#include "match/cvss.hpp"
#include "match/feeds/osv.hpp"

namespace iotaudit::match {

namespace {

// 2: the product index (affects) carries each CVE's entries for the product.
constexpr int kSchemaVersion = 2;

const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS source(
  id INTEGER PRIMARY KEY, name TEXT, kind TEXT, format TEXT, data_date TEXT, imported_at TEXT,
  sha256 TEXT UNIQUE, records INTEGER);
CREATE TABLE IF NOT EXISTS cve(
  id INTEGER PRIMARY KEY, cve_id TEXT NOT NULL UNIQUE, published TEXT, modified TEXT, description TEXT,
  cwes TEXT, severity TEXT, cvss2_vector TEXT, cvss2_score REAL, cvss3_vector TEXT, cvss3_score REAL,
  cvss3_version TEXT, rejected INTEGER NOT NULL DEFAULT 0, config BLOB, origin TEXT NOT NULL DEFAULT 'nvd');
CREATE TABLE IF NOT EXISTS affects(vendor TEXT NOT NULL, product TEXT NOT NULL, cve INTEGER NOT NULL,
  cve_id TEXT NOT NULL, simple INTEGER NOT NULL, entries BLOB, PRIMARY KEY(vendor, product, cve)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affects_cve ON affects(cve);
CREATE TABLE IF NOT EXISTS kev(
  cve_id TEXT PRIMARY KEY, date_added TEXT, due_date TEXT, vendor TEXT, product TEXT, name TEXT, ransomware TEXT);
CREATE TABLE IF NOT EXISTS epss(cve_id TEXT PRIMARY KEY, score REAL, percentile REAL, date TEXT);
CREATE TABLE IF NOT EXISTS kernel_fix(cve_id TEXT NOT NULL, branch TEXT NOT NULL, fixed TEXT,
  PRIMARY KEY(cve_id, branch));
CREATE INDEX IF NOT EXISTS kernel_fix_branch ON kernel_fix(branch, cve_id, fixed);
CREATE TABLE IF NOT EXISTS kernel_range(cve_id TEXT PRIMARY KEY, introduced TEXT, fixed TEXT, note TEXT);
CREATE TABLE IF NOT EXISTS osv(osv_id TEXT PRIMARY KEY, modified TEXT, withdrawn TEXT);
CREATE TABLE IF NOT EXISTS osv_affected(osv_id TEXT NOT NULL, cve_id TEXT NOT NULL, ecosystem TEXT NOT NULL,
  eco_key TEXT NOT NULL, package TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS osv_affected_package ON osv_affected(eco_key, package);
CREATE INDEX IF NOT EXISTS osv_affected_id ON osv_affected(osv_id);
)SQL";


class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, const char* sql) { prepare(db, sql); }
  bool prepare(sqlite3* db, const char* sql) {
    sqlite3_finalize(s_);
    s_ = nullptr;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK) s_ = nullptr;
    return s_ != nullptr;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() const { return s_; }
  explicit operator bool() const { return s_ != nullptr; }
  Stmt& reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    return *this;
  }
  Stmt& text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& opt_text(int i, std::string_view v) {
    if (v.empty()) sqlite3_bind_null(s_, i);
    else text(i, v);
    return *this;
  }
  Stmt& blob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& real(int i, double v) {
    if (v < 0) sqlite3_bind_null(s_, i);
    else sqlite3_bind_double(s_, i, v);
    return *this;
  }
  Stmt& integer(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  int step() { return sqlite3_step(s_); }
  std::string col_text(int i) const {
    const unsigned char* p = sqlite3_column_text(s_, i);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s_, i)))
             : std::string();
  }
  std::string col_blob(int i) const {
    const void* p = sqlite3_column_blob(s_, i);
    return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s_, i)))
             : std::string();
  }
  double col_real(int i) const {
    return sqlite3_column_type(s_, i) == SQLITE_NULL ? -1 : sqlite3_column_double(s_, i);
  }
  std::int64_t col_int(int i) const { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3_stmt* s_ = nullptr;
};

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "cpe:2.3:a:vendor:product:..." -> vendor, product (escapes kept as in the CPE name).
bool vendor_product(std::string_view cpe, std::string& vendor, std::string& product) {
  vendor = std::string(cpe_attributes(cpe, 1, 1));
  product = std::string(cpe_attributes(cpe, 2, 2));
  return !vendor.empty() && !product.empty() && vendor != "*" && product != "*";
}

void collect_vulnerable(const ConfigNode& n, std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& m : n.matches) {
    if (!m.vulnerable) continue;
    std::string v, p;
    if (!vendor_product(m.criteria, v, p)) continue;
    bool dup = false;
    for (const auto& e : out) dup = dup || (e.first == v && e.second == p);
    if (!dup) out.emplace_back(std::move(v), std::move(p));
  }
  for (const auto& c : n.children) collect_vulnerable(c, out);
}

// The stored form of configurations: a compact binary encoding (decoding it is the matcher's
// inner loop), zstd-compressed. Layout, all integers LEB128:
//   "C1" count { flags(bit0 AND) nodes { node } }
//   node: flags(bit0 AND, bit1 negate) nmatches { match } nchildren { node }
//   match: flags(bit0 vulnerable, bits1-4 which of the four range bounds follow) str(criteria) str(bound)...
// where str is a length and the bytes; criteria lose their "cpe:2.3:" prefix.
void put_uint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void put_str(std::string& out, std::string_view s) {
  put_uint(out, s.size());
  out.append(s);
}

void put_node(std::string& out, const ConfigNode& n) {
  put_uint(out, (n.and_op ? 1u : 0u) | (n.negate ? 2u : 0u));
  put_uint(out, n.matches.size());
  for (const auto& m : n.matches) {
    unsigned flags = m.vulnerable ? 1u : 0u;
    const std::string* bounds[4] = {&m.start_including, &m.start_excluding, &m.end_including, &m.end_excluding};
    for (int i = 0; i < 4; ++i)
      if (!bounds[i]->empty()) flags |= 2u << i;
    put_uint(out, flags);
    std::string_view crit = m.criteria;
    if (crit.rfind("cpe:2.3:", 0) == 0) crit.remove_prefix(8);
    put_str(out, crit);
    for (int i = 0; i < 4; ++i)
      if (!bounds[i]->empty()) put_str(out, *bounds[i]);
  }
  put_uint(out, n.children.size());
  for (const auto& c : n.children) put_node(out, c);
}

struct Decoder {
  std::string_view in;
  std::size_t pos = 0;
  bool ok = true;
  std::uint64_t uint() {
    // Most numbers (counts, lengths, flags) fit in one byte.
    if (pos < in.size() && !(static_cast<unsigned char>(in[pos]) & 0x80)) return static_cast<unsigned char>(in[pos++]);
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= in.size()) {
        ok = false;
        return 0;
      }
      auto b = static_cast<unsigned char>(in[pos++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  std::string_view str() {
    std::uint64_t n = uint();
    if (!ok || n > in.size() - pos) {
      ok = false;
      return {};
    }
    std::string_view s = in.substr(pos, n);
    pos += n;
    return s;
  }
  // A count may not exceed the bytes left: every element takes at least one byte.
  std::uint64_t count() {
    std::uint64_t n = uint();
    if (n > in.size() - pos) ok = false;
    return ok ? n : 0;
  }
  bool node(ConfigNode& n, int depth) {
    if (depth > 16) return ok = false;
    std::uint64_t f = uint();
    n.and_op = f & 1;
    n.negate = f & 2;
    std::uint64_t nm = count();
    n.matches.reserve(nm);
    for (std::uint64_t i = 0; ok && i < nm; ++i) {
      CpeMatch m;
      std::uint64_t mf = uint();
      m.vulnerable = mf & 1;
      std::string_view crit = str();
      m.criteria.reserve(crit.size() + 8);
      m.criteria = "cpe:2.3:";
      m.criteria.append(crit);
      std::string* bounds[4] = {&m.start_including, &m.start_excluding, &m.end_including, &m.end_excluding};
      for (int b = 0; b < 4; ++b)
        if (mf & (2u << b)) *bounds[b] = std::string(str());
      n.matches.push_back(std::move(m));
    }
    std::uint64_t nc = count();
    for (std::uint64_t i = 0; ok && i < nc; ++i) {
      n.children.emplace_back();
      node(n.children.back(), depth + 1);
    }
    return ok;
  }
};

}  // namespace

std::string pack_configurations(const std::vector<Configuration>& configs) {
  std::string raw = "C1";
  put_uint(raw, configs.size());
  for (const auto& c : configs) {
    put_uint(raw, c.and_op ? 1u : 0u);
    put_uint(raw, c.nodes.size());
    for (const auto& n : c.nodes) put_node(raw, n);
  }
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  std::size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 1);
  if (ZSTD_isError(n)) return raw;  // stored plain; unpack tells them apart by the zstd magic
  out.resize(n);
  return out;
}

Result<std::vector<Configuration>> unpack_configurations(std::string_view packed) {
  std::string raw;
  std::string_view view = packed;
  if (packed.size() >= 4 && static_cast<unsigned char>(packed[0]) == 0x28 &&
      static_cast<unsigned char>(packed[1]) == 0xb5 && static_cast<unsigned char>(packed[2]) == 0x2f &&
      static_cast<unsigned char>(packed[3]) == 0xfd) {
    unsigned long long size = ZSTD_getFrameContentSize(packed.data(), packed.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (64u << 20))
      return fail(Errc::malformed, "stored configuration: bad zstd frame");
    raw.resize(size);
    // One decompression context per thread: ZSTD_decompress() would create and free one (about
    // 100 KiB of fresh memory) for every configuration.
    struct Ctx {
      ZSTD_DCtx* p = ZSTD_createDCtx();
      ~Ctx() { ZSTD_freeDCtx(p); }
    };
    thread_local Ctx ctx;
    if (!ctx.p) return fail(Errc::internal, "stored configuration: out of memory");
    std::size_t n = ZSTD_decompressDCtx(ctx.p, raw.data(), raw.size(), packed.data(), packed.size());
    if (ZSTD_isError(n)) return fail(Errc::malformed, "stored configuration: zstd error");
    raw.resize(n);
    view = raw;
  }
  if (view.substr(0, 2) != "C1") return fail(Errc::malformed, "stored configuration: unknown encoding");
  Decoder d{view, 2};
  std::vector<Configuration> out;
  std::uint64_t nc = d.count();
  out.reserve(nc);
  for (std::uint64_t i = 0; d.ok && i < nc; ++i) {
    Configuration c;
    c.and_op = d.uint() & 1;
    std::uint64_t nn = d.count();
    for (std::uint64_t k = 0; d.ok && k < nn; ++k) {
      c.nodes.emplace_back();
      d.node(c.nodes.back(), 0);
    }
    out.push_back(std::move(c));
  }
  if (!d.ok) return fail(Errc::malformed, "stored configuration: truncated or corrupt");
  return out;
}

bool simple_configuration(const Configuration& c) {
  if (c.and_op && c.nodes.size() > 1) return false;
  for (const auto& n : c.nodes) {
    if (n.and_op || n.negate || !n.children.empty()) return false;
    for (const auto& m : n.matches)
      if (!m.vulnerable) return false;
  }
  return true;
}

namespace {

bool names_vulnerable(const ConfigNode& n, std::string_view key) {
  for (const auto& m : n.matches)
    if (m.vulnerable && cpe_attributes(m.criteria, 1, 2) == key) return true;
  for (const auto& c : n.children)
    if (names_vulnerable(c, key)) return true;
  return false;
}

// The product index's entries, all integers LEB128:
//   "P1" count { config ordinal flags(bits0-3: which of the four range bounds follow) str(part)
//               str(tail) trimmed str(bound)... }
// The criteria are "cpe:2.3:" part ":" vendor ":" product, then tail, then trimmed times ":*":
// the row names vendor and product, and trailing ANY attributes are dropped.
void put_product_entry(std::string& out, std::size_t config, std::size_t ordinal, const CpeMatch& m,
                       std::string_view key) {
  std::string_view crit = m.criteria;
  std::string_view part = cpe_attributes(crit, 0, 0);
  std::string_view tail = crit.substr(std::min(crit.size(), 8 + part.size() + 1 + key.size()));
  std::size_t trimmed = 0;
  while (tail.size() >= 2 && tail.substr(tail.size() - 2) == ":*" && (tail.size() < 3 || tail[tail.size() - 3] != '\\')) {
    tail.remove_suffix(2);
    ++trimmed;
  }
  const std::string* bounds[4] = {&m.start_including, &m.start_excluding, &m.end_including, &m.end_excluding};
  unsigned flags = 0;
  for (int i = 0; i < 4; ++i)
    if (!bounds[i]->empty()) flags |= 1u << i;
  put_uint(out, config);
  put_uint(out, ordinal);
  put_uint(out, flags);
  put_str(out, part);
  put_str(out, tail);
  put_uint(out, trimmed);
  for (int i = 0; i < 4; ++i)
    if (!bounds[i]->empty()) put_str(out, *bounds[i]);
}

}  // namespace

std::vector<AffectedProduct> affected_products(const std::vector<Configuration>& configs) {
  std::vector<AffectedProduct> out;
  for (auto& [v, p] : vulnerable_products(configs)) {
    AffectedProduct a;
    a.vendor = std::move(v);
    a.product = std::move(p);
    std::string key = a.vendor + ":" + a.product;
    a.simple = true;
    std::string body;
    std::size_t count = 0;
    for (std::size_t ci = 0; ci < configs.size() && a.simple; ++ci) {
      const Configuration& c = configs[ci];
      bool names = false;
      for (const auto& n : c.nodes) names = names || names_vulnerable(n, key);
      if (!names) continue;  // cannot make this product vulnerable, whatever its form
      if (!simple_configuration(c)) {
        a.simple = false;
        break;
      }
      std::size_t ordinal = 0;
      for (const auto& n : c.nodes)
        for (const auto& m : n.matches) {
          if (cpe_attributes(m.criteria, 1, 2) == key) {
            put_product_entry(body, ci, ordinal, m, key);
            ++count;
          }
          ++ordinal;
        }
    }
    if (a.simple) {
      a.entries = "P1";
      put_uint(a.entries, count);
      a.entries += body;
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::string_view TextArena::keep(std::string_view s) {
  if (cap_ - used_ < s.size()) {
    cap_ = std::max<std::size_t>(s.size(), 256 << 10);
    blocks_.push_back(std::unique_ptr<char[]>(new char[cap_]));
    used_ = 0;
  }
  char* at = blocks_.back().get() + used_;
  std::copy(s.begin(), s.end(), at);
  used_ += s.size();
  return {at, s.size()};
}

void ProductEntry::version_update(std::string_view& version, std::string_view& update) const {
  // The attributes of tail (":version:update:..."), then the trimmed ANY ones.
  std::string_view fields[2];
  std::size_t n = 0;
  version = update = {};
  for (std::size_t i = 0; i < tail.size() && n < 2;) {
    if (tail[i] != ':') return;  // not an attribute list: no version
    std::size_t e = i + 1;
    while (e < tail.size() && tail[e] != ':') e += tail[e] == '\\' ? 2 : 1;
    e = std::min(e, tail.size());
    fields[n++] = tail.substr(i + 1, e - i - 1);
    i = e;
  }
  for (std::uint32_t k = 0; k < trimmed && n < 2; ++k) fields[n++] = "*";
  version = fields[0];
  update = fields[1];
}

std::string ProductEntry::criteria(std::string_view vendor, std::string_view product) const {
  std::string c;
  c.reserve(8 + part.size() + vendor.size() + product.size() + tail.size() + 2 * trimmed + 2);
  c.append("cpe:2.3:").append(part).append(":").append(vendor).append(":").append(product).append(tail);
  for (std::uint32_t k = 0; k < trimmed; ++k) c.append(":*");
  return c;
}

ProductEntryReader::ProductEntryReader(std::string_view packed) : in_(packed) {
  Decoder d{packed, 2};
  ok_ = packed.substr(0, 2) == "P1";
  left_ = ok_ ? d.count() : 0;
  ok_ = ok_ && d.ok;
  pos_ = d.pos;
}

bool ProductEntryReader::next(ProductEntry& e) {
  if (!ok_ || left_ == 0) return false;
  Decoder d{in_, pos_};
  std::uint64_t config = d.uint(), ordinal = d.uint(), flags = d.uint();
  e.part = d.str();
  e.tail = d.str();
  std::uint64_t trimmed = d.uint();
  std::string_view* bounds[4] = {&e.start_including, &e.start_excluding, &e.end_including, &e.end_excluding};
  for (int b = 0; b < 4; ++b) *bounds[b] = flags & (1u << b) ? d.str() : std::string_view();
  if (!d.ok || config > 0xffffffffu || ordinal > 0xffffffffu || trimmed > 16 || flags > 15) {
    ok_ = false;
    return false;
  }
  e.config = static_cast<std::uint32_t>(config);
  e.ordinal = static_cast<std::uint32_t>(ordinal);
  e.trimmed = static_cast<std::uint32_t>(trimmed);
  pos_ = d.pos;
  --left_;
  return true;
}

bool ProductEntryReader::valid(std::string_view packed) {
  ProductEntryReader r(packed);
  ProductEntry e;
  while (r.next(e)) {
  }
  return r.complete();
}

std::string default_db_path() {
  if (const char* p = std::getenv("IOTAUDIT_DB"); p != nullptr && *p) return p;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x != nullptr && *x == '/')
    return std::string(x) + "/iotaudit/vulndb.sqlite";
  if (const char* h = std::getenv("HOME"); h != nullptr && *h == '/')
    return std::string(h) + "/.local/share/iotaudit/vulndb.sqlite";
  return "vulndb.sqlite";
}

struct VulnDb::Statements {
  Stmt has_sha, add_source, upsert_cve, del_affects, add_affects, put_kev, put_epss, put_kfix, put_krange;
  Stmt osv_modified, put_osv, del_osv_affected, add_osv_affected;
  Stmt sources, by_product, by_rowid, by_rowid_bare, by_id, epss, osv_by_package;
};

VulnDb::~VulnDb() {
  st_.reset();
  if (db_) sqlite3_close(db_);
}

Status VulnDb::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return fail(Errc::io, fmt::format("{}: {}", path_, msg));
  }
  return {};
}

Result<std::unique_ptr<VulnDb>> VulnDb::open(const std::string& path, bool create) {
  // Without memory statistics SQLite's allocations take no global mutex: the two connections of a
  // match read in parallel (set before SQLite initialises; a no-op if something initialised it).
  static std::once_flag configured;
  std::call_once(configured, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  std::unique_ptr<VulnDb> db(new VulnDb());
  db->path_ = path;
  std::error_code ec;
  if (!create && !std::filesystem::exists(path, ec))
    return fail(Errc::not_found, fmt::format("no vulnerability database at {} (create one with `iotaudit db "
                                             "import`)", path));
  if (create) {
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  }
  int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
  if (sqlite3_open_v2(path.c_str(), &db->db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
    return fail(Errc::io, fmt::format("cannot open {}: {}", path, db->db_ ? sqlite3_errmsg(db->db_) : "out of memory"));
  sqlite3_busy_timeout(db->db_, 5000);
  // Is this our database? A foreign SQLite file is refused rather than altered.
  bool upgrade = false;
  {
    Stmt s(db->db_, "PRAGMA user_version");
    if (!s || s.step() != SQLITE_ROW) return fail(Errc::io, fmt::format("{}: not a database", path));
    std::int64_t v = s.col_int(0);
    Stmt t(db->db_, "SELECT count(*) FROM sqlite_master");
    if (!t || t.step() != SQLITE_ROW) return fail(Errc::io, fmt::format("{}: not a database", path));
    if (v == 1 && !create)
      return fail(Errc::unsupported, fmt::format("{}: written by an older iotaudit (schema 1); `iotaudit db upgrade "
                                                 "--db {}` converts it", path, path));
    if (v != kSchemaVersion && v != 1 && (v != 0 || t.col_int(0) != 0))
      return fail(Errc::unsupported, fmt::format("{}: not an iotaudit vulnerability database of schema {} (user_version "
                                                 "{})", path, kSchemaVersion, v));
    upgrade = v == 1;
  }
  if (upgrade) TRY(db->upgrade_from_v1());
  if (create) {
    TRY(db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"));
    TRY(db->exec(kSchema));
    TRY(db->exec(fmt::format("PRAGMA user_version={}", kSchemaVersion).c_str()));
  }
  (void)db->exec("PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;");
  // Reads go through SQLite's page cache, not a memory map of the file: matching reads a few
  // thousand scattered pages, and on virtual machines a page fault (about 10 us, each mapping 16
  // pages around the one touched) costs more than a read() of the page: 116 -> 103 ms for the
  // TL-WR841N SBOM (bench/vulndb_speed.md).
  auto st = std::make_unique<Statements>();
  sqlite3* d = db->db_;
  st->sources.prepare(d, "SELECT name, kind, format, data_date, imported_at, sha256, records FROM source ORDER BY id");
  st->by_product.prepare(d, "SELECT cve, cve_id, simple, entries FROM affects WHERE vendor = ?1 AND product = ?2");
  const char* cols = "SELECT id, cve_id, published, modified, description, cwes, severity, cvss2_vector, cvss2_score, "
                     "cvss3_vector, cvss3_score, cvss3_version, config FROM cve ";
  st->by_rowid.prepare(d, fmt::format("{} WHERE id = ?1", cols).c_str());
  st->by_rowid_bare.prepare(d, "SELECT id, cve_id, published, modified, description, cwes, severity, cvss2_vector, "
                               "cvss2_score, cvss3_vector, cvss3_score, cvss3_version, NULL FROM cve WHERE id = ?1");
  st->by_id.prepare(d, fmt::format("{} WHERE cve_id = ?1", cols).c_str());
  st->epss.prepare(d, "SELECT score, percentile FROM epss WHERE cve_id = ?1");
  // Absent from databases written before OSV import existed: then no OSV data is read.
  st->osv_by_package.prepare(d, "SELECT osv_id, cve_id, data FROM osv_affected WHERE eco_key = ?1 AND package = ?2 "
                                "ORDER BY cve_id, osv_id");
  if (create) {
    st->has_sha.prepare(d, "SELECT 1 FROM source WHERE sha256 = ?1");
    st->add_source.prepare(d, "INSERT OR REPLACE INTO source(name, kind, format, data_date, imported_at, sha256, "
                                  "records) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    st->upsert_cve.prepare(
        d, "INSERT INTO cve(cve_id, published, modified, description, cwes, severity, cvss2_vector, cvss2_score, "
           "cvss3_vector, cvss3_score, cvss3_version, rejected, config, origin) "
           "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
           "ON CONFLICT(cve_id) DO UPDATE SET published = excluded.published, modified = excluded.modified, "
           "description = excluded.description, cwes = excluded.cwes, severity = excluded.severity, "
           "cvss2_vector = excluded.cvss2_vector, cvss2_score = excluded.cvss2_score, "
           "cvss3_vector = excluded.cvss3_vector, cvss3_score = excluded.cvss3_score, "
           "cvss3_version = excluded.cvss3_version, rejected = excluded.rejected, config = excluded.config, "
           "origin = excluded.origin "
           // NVD's analysis replaces a CNA (CVE JSON 5) record whatever the dates; a CNA record never
           // replaces NVD's; within one origin the newer record wins.
           // OSV records rank below both; within one origin the newer record wins.
           "WHERE (CASE excluded.origin WHEN 'nvd' THEN 3 WHEN 'cve5' THEN 2 ELSE 1 END) > "
           "      (CASE cve.origin WHEN 'nvd' THEN 3 WHEN 'cve5' THEN 2 ELSE 1 END) "
           "   OR ((CASE excluded.origin WHEN 'nvd' THEN 3 WHEN 'cve5' THEN 2 ELSE 1 END) = "
           "       (CASE cve.origin WHEN 'nvd' THEN 3 WHEN 'cve5' THEN 2 ELSE 1 END) AND "
           "       ifnull(excluded.modified, '') >= ifnull(cve.modified, '')) RETURNING id");
    if (!st->upsert_cve) return fail(Errc::internal, fmt::format("{}: {}", path, sqlite3_errmsg(d)));
    st->osv_modified.prepare(d, "SELECT modified FROM osv WHERE osv_id = ?1");
    st->put_osv.prepare(d, "INSERT OR REPLACE INTO osv(osv_id, modified, withdrawn) VALUES(?1, ?2, ?3)");
    st->del_osv_affected.prepare(d, "DELETE FROM osv_affected WHERE osv_id = ?1");
    st->add_osv_affected.prepare(d, "INSERT INTO osv_affected(osv_id, cve_id, ecosystem, eco_key, package, data) "
                                    "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    st->del_affects.prepare(d, "DELETE FROM affects WHERE cve = ?1");
    st->add_affects.prepare(d, "INSERT INTO affects(vendor, product, cve, cve_id, simple, entries) "
                               "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st->add_affects) return fail(Errc::internal, fmt::format("{}: {}", path, sqlite3_errmsg(d)));
    st->put_kev.prepare(d, "INSERT OR REPLACE INTO kev(cve_id, date_added, due_date, vendor, product, name, "
                               "ransomware) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    st->put_epss.prepare(d, "INSERT OR REPLACE INTO epss(cve_id, score, percentile, date) VALUES(?1, ?2, ?3, ?4)");
    st->put_kfix.prepare(d, "INSERT OR REPLACE INTO kernel_fix(cve_id, branch, fixed) VALUES(?1, ?2, ?3)");
    st->put_krange.prepare(d, "INSERT OR REPLACE INTO kernel_range(cve_id, introduced, fixed, note) "
                                  "VALUES(?1, ?2, ?3, ?4)");
  }
  if (!st->by_product) return fail(Errc::io, fmt::format("{}: {}", path, sqlite3_errmsg(d)));
  db->st_ = std::move(st);
  return db;
}

Status VulnDb::begin_read() { return exec("BEGIN"); }
void VulnDb::end_read() { (void)exec("COMMIT"); }

Status VulnDb::begin() { return exec("BEGIN IMMEDIATE"); }

Status VulnDb::commit() { return exec("COMMIT"); }

void VulnDb::rollback() {
  // Statements still holding results would make ROLLBACK fail.
  for (Stmt* s : {&st_->has_sha, &st_->add_source, &st_->upsert_cve, &st_->del_affects, &st_->add_affects,
                  &st_->put_kev, &st_->put_epss, &st_->put_kfix, &st_->put_krange})
    if (*s) s->reset();
  (void)exec("ROLLBACK");
}

// Schema 1 indexed (vendor, product, cve) only: the entries are rebuilt from every stored
// configuration, in one transaction.
Status VulnDb::upgrade_from_v1() {
  TRY(exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    TRY(exec("DROP INDEX IF EXISTS affects_cve; DROP INDEX IF EXISTS affects_product; "
             "ALTER TABLE affects RENAME TO affects_v1;"));
    TRY(exec(kSchema));
    // Early schema-1 files predate the record origin (NVD, CVE 5, OSV).
    bool has_origin = false;
    {
      Stmt cols(db_, "SELECT 1 FROM pragma_table_info('cve') WHERE name = 'origin'");
      has_origin = cols && cols.step() == SQLITE_ROW;
    }
    if (!has_origin) TRY(exec("ALTER TABLE cve ADD COLUMN origin TEXT NOT NULL DEFAULT 'nvd'"));
    Stmt rows(db_, "SELECT id, cve_id, config FROM cve WHERE rejected = 0 AND id IN (SELECT cve FROM affects_v1)");
    Stmt add(db_, "INSERT INTO affects(vendor, product, cve, cve_id, simple, entries) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (!rows || !add) return fail(Errc::io, fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
    while (rows.step() == SQLITE_ROW) {
      auto configs = unpack_configurations(rows.col_blob(2));
      if (!configs) return fail(Errc::malformed, fmt::format("{}: {}: {}", path_, rows.col_text(1), configs.error().message));
      for (const auto& a : affected_products(*configs)) {
        add.reset().text(1, a.vendor).text(2, a.product).integer(3, rows.col_int(0)).text(4, rows.col_text(1));
        add.integer(5, a.simple ? 1 : 0);
        if (a.simple) add.blob(6, a.entries);
        if (add.step() != SQLITE_DONE) return fail(Errc::io, fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
      }
    }
    TRY(exec("DROP TABLE affects_v1"));
    return exec(fmt::format("PRAGMA user_version={}", kSchemaVersion).c_str());
  };
  if (auto st = body(); !st) {
    (void)exec("ROLLBACK");
    return st;
  }
  return exec("COMMIT");
}

bool VulnDb::has_source_sha(const std::string& sha256) {
  auto& s = st_->has_sha.reset().text(1, sha256);
  bool found = s.step() == SQLITE_ROW;
  s.reset();  // a statement left mid-result would keep the transaction from rolling back
  return found;
}

Status VulnDb::add_source(const SourceInfo& i) {
  auto& s = st_->add_source.reset();
  s.text(1, i.name).text(2, i.kind).text(3, i.format).opt_text(4, i.data_date).text(5, now_iso()).text(6, i.sha256);
  s.integer(7, i.records);
  if (s.step() != SQLITE_DONE) return fail(Errc::io, fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
  return {};
}

std::vector<std::pair<std::string, std::string>> vulnerable_products(const std::vector<Configuration>& configs) {
  std::vector<std::pair<std::string, std::string>> products;
  for (const auto& c : configs)
    for (const auto& n : c.nodes) collect_vulnerable(n, products);
  return products;
}

Status VulnDb::put_cve(const CveRecord& r, const std::string& packed, const std::vector<AffectedProduct>& products) {
  std::string cwes;
  for (const auto& c : r.cwes) cwes += (cwes.empty() ? "" : ",") + c;
  auto& s = st_->upsert_cve.reset();
  s.text(1, r.id).opt_text(2, r.published).opt_text(3, r.modified).text(4, r.description).opt_text(5, cwes);
  s.opt_text(6, r.severity).opt_text(7, r.cvss2_vector).real(8, r.cvss2_score).opt_text(9, r.cvss3_vector);
  s.real(10, r.cvss3_score).opt_text(11, r.cvss3_version).integer(12, r.rejected ? 1 : 0).blob(13, packed);
  s.text(14, r.origin);
  int rc = s.step();
  if (rc == SQLITE_DONE) return {};  // the stored record is newer
  if (rc != SQLITE_ROW) return fail(Errc::io, fmt::format("{}: {}: {}", path_, r.id, sqlite3_errmsg(db_)));
  std::int64_t rowid = s.col_int(0);
  while (s.step() == SQLITE_ROW) {
  }
  auto& d = st_->del_affects.reset().integer(1, rowid);
  if (d.step() != SQLITE_DONE) return fail(Errc::io, fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
  if (r.rejected) return {};  // kept out of matching
  for (const auto& p : products) {
    auto& a = st_->add_affects.reset().text(1, p.vendor).text(2, p.product).integer(3, rowid).text(4, r.id);
    a.integer(5, p.simple ? 1 : 0);
    if (p.simple) a.blob(6, p.entries);
    if (a.step() != SQLITE_DONE) return fail(Errc::io, fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
  }
  return {};
}

Result<bool> VulnDb::put_osv(const OsvRecord& r) {
  {
    auto& q = st_->osv_modified.reset().text(1, r.id);
    if (q.step() == SQLITE_ROW && q.col_text(0) > r.modified) return false;  // the stored record is newer
  }
  auto& p = st_->put_osv.reset();
  p.text(1, r.id).text(2, r.modified).opt_text(3, r.withdrawn);
  if (p.step() != SQLITE_DONE) return fail(Errc::io, fmt::format("{}: {}: {}", path_, r.id, sqlite3_errmsg(db_)));
  auto& d = st_->del_osv_affected.reset().text(1, r.id);
  if (d.step() != SQLITE_DONE) return fail(Errc::io, fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
  if (!r.withdrawn.empty()) return true;  // a withdrawn record affects nothing
  std::vector<std::string> ids = osv_cve_ids(r);
  if (ids.empty()) ids.push_back(r.id);
  // The record's details, under each CVE it describes: kept only where no NVD or CVE 5 record is.
  CveRecord c;
  c.published = r.published;
  c.modified = r.modified;
  c.description = r.summary.empty() ? r.details : r.details.empty() ? r.summary : r.summary + ". " + r.details;
  if (c.description.size() > 4096) c.description.resize(4096);
  c.cwes = r.cwes;
  c.cvss3_vector = r.cvss3_vector;
  c.cvss3_score = cvss3_base_score(r.cvss3_vector);
  if (c.cvss3_score >= 0) c.cvss3_version = r.cvss3_vector.substr(5, 3);
  c.cvss2_vector = r.cvss2_vector;
  c.cvss2_score = cvss2_base_score(r.cvss2_vector);
  c.severity = c.cvss3_score >= 0 ? cvss_severity(c.cvss3_score) : "";
  c.origin = "osv";
  for (const auto& id : ids) {
    c.id = id;
    TRY(put_cve(c, std::string(), {}));
    for (const auto& a : r.affected) {
      if (a.ecosystem.empty() || a.name.empty()) continue;
      auto& s = st_->add_osv_affected.reset();
      s.text(1, r.id).text(2, id).text(3, a.ecosystem).text(4, osv_ecosystem_key(a.ecosystem));
      s.text(5, osv_package_key(a.name)).text(6, pack_osv_affected(a));
      if (s.step() != SQLITE_DONE) return fail(Errc::io, fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
    }
  }
  return true;
}

std::vector<OsvRow> VulnDb::osv_for_package(const std::string& eco_key, const std::string& package) {
  std::vector<OsvRow> out;
  if (!st_->osv_by_package) return out;
  auto& s = st_->osv_by_package.reset().text(1, eco_key).text(2, package);
  while (s.step() == SQLITE_ROW) out.push_back({s.col_text(0), s.col_text(1), s.col_text(2)});
  return out;
}

Status VulnDb::put_kev(const KevEntry& e) {
  auto& s = st_->put_kev.reset();
  s.text(1, e.cve_id).opt_text(2, e.date_added).opt_text(3, e.due_date).opt_text(4, e.vendor).opt_text(5, e.product);
  s.opt_text(6, e.name).opt_text(7, e.ransomware);
  if (s.step() != SQLITE_DONE) return fail(Errc::io, fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
  return {};
}

Status VulnDb::put_epss(const EpssEntry& e, const std::string& date) {
  auto& s = st_->put_epss.reset();
  s.text(1, e.cve_id).real(2, e.score).real(3, e.percentile).opt_text(4, date);
  if (s.step() != SQLITE_DONE) return fail(Errc::io, fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
  return {};
}

Status VulnDb::put_kernel_fix(const KernelFix& f) {
  auto& s = st_->put_kfix.reset();
  s.text(1, f.cve_id).text(2, f.branch).opt_text(3, f.fixed);
  if (s.step() != SQLITE_DONE) return fail(Errc::io, fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
  return {};
}

Status VulnDb::put_kernel_range(const KernelRange& r) {
  auto& s = st_->put_krange.reset();
  s.text(1, r.cve_id).opt_text(2, r.introduced).opt_text(3, r.fixed).opt_text(4, r.note);
  if (s.step() != SQLITE_DONE) return fail(Errc::io, fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
  return {};
}

std::vector<SourceInfo> VulnDb::sources() {
  std::vector<SourceInfo> out;
  auto& s = st_->sources.reset();
  while (s.step() == SQLITE_ROW)
    out.push_back({s.col_text(0), s.col_text(1), s.col_text(2), s.col_text(3), s.col_text(4), s.col_text(5),
                   s.col_int(6)});
  return out;
}

std::int64_t VulnDb::count(const char* table) {
  Stmt s(db_, fmt::format("SELECT count(*) FROM {}", table).c_str());
  return s && s.step() == SQLITE_ROW ? s.col_int(0) : 0;
}

std::string VulnDb::latest_modified() {
  Stmt s(db_, "SELECT max(modified) FROM cve");
  return s && s.step() == SQLITE_ROW ? s.col_text(0) : "";
}

void VulnDb::product_rows(const std::string& vendor, const std::string& product,
                          const std::function<void(const ProductRow&)>& row) {
  auto& s = st_->by_product.reset().text(1, vendor).text(2, product);
  sqlite3_stmt* q = s.get();
  auto view = [&](int i, bool blob) {
    const void* p = blob ? sqlite3_column_blob(q, i) : sqlite3_column_text(q, i);
    return p ? std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(q, i)))
             : std::string_view();
  };
  while (s.step() == SQLITE_ROW) {
    ProductRow r;
    r.rowid = s.col_int(0);
    r.cve_id = view(1, false);
    r.simple = s.col_int(2) != 0;
    r.entries = view(3, true);
    row(r);
  }
  s.reset();
}

namespace {
std::optional<StoredCve> read_cve(Stmt& s) {
  if (s.step() != SQLITE_ROW) return std::nullopt;
  StoredCve c;
  c.rowid = s.col_int(0);
  c.id = s.col_text(1);
  c.published = s.col_text(2);
  c.modified = s.col_text(3);
  c.description = s.col_text(4);
  c.cwes = s.col_text(5);
  c.severity = s.col_text(6);
  c.cvss2_vector = s.col_text(7);
  c.cvss2_score = s.col_real(8);
  c.cvss3_vector = s.col_text(9);
  c.cvss3_score = s.col_real(10);
  c.cvss3_version = s.col_text(11);
  c.packed_config = s.col_blob(12);
  s.reset();
  return c;
}
}  // namespace

std::optional<StoredCve> VulnDb::cve_by_rowid(std::int64_t rowid, bool without_config) {
  return read_cve((without_config ? st_->by_rowid_bare : st_->by_rowid).reset().integer(1, rowid));
}

std::optional<StoredCve> VulnDb::cve_by_id(const std::string& cve_id) {
  return read_cve(st_->by_id.reset().text(1, cve_id));
}

std::optional<EpssEntry> VulnDb::epss(const std::string& cve_id) {
  auto& s = st_->epss.reset().text(1, cve_id);
  if (s.step() != SQLITE_ROW) return std::nullopt;
  EpssEntry e{cve_id, s.col_real(0), s.col_real(1)};
  s.reset();
  return e;
}

std::vector<KernelFix> VulnDb::kernel_fixes_on(const std::string& branch) {
  std::vector<KernelFix> out;
  Stmt s(db_, "SELECT cve_id, fixed FROM kernel_fix WHERE branch = ?1");
  if (!s) return out;
  s.text(1, branch);
  while (s.step() == SQLITE_ROW) out.push_back({s.col_text(0), branch, s.col_text(1)});
  return out;
}

std::vector<KernelRange> VulnDb::all_kernel_ranges() {
  std::vector<KernelRange> out;
  Stmt s(db_, "SELECT cve_id, introduced, fixed, note FROM kernel_range");
  while (s && s.step() == SQLITE_ROW) out.push_back({s.col_text(0), s.col_text(1), s.col_text(2), s.col_text(3)});
  return out;
}

std::vector<std::pair<std::string, KevInfo>> VulnDb::all_kev() {
  std::vector<std::pair<std::string, KevInfo>> out;
  Stmt s(db_, "SELECT cve_id, date_added, due_date, ransomware FROM kev");
  while (s && s.step() == SQLITE_ROW) out.push_back({s.col_text(0), KevInfo{s.col_text(1), s.col_text(2), s.col_text(3)}});
  return out;
}

}  // namespace iotaudit::match
