#pragma once
// The offline vulnerability database: one SQLite file holding CVE records (with their CPE
// configurations, compressed), an index of the products each CVE names as vulnerable, CISA KEV,
// EPSS scores and the upstream Linux kernel fix ranges. Imports run in one transaction, so a
// failed import leaves the previous contents intact.
#include <cstdint>
#include <functional>
#include <string_view>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "match/cve_record.hpp"

struct sqlite3;

namespace iotaudit::match {

// $IOTAUDIT_DB, else $XDG_DATA_HOME/iotaudit/vulndb.sqlite, else ~/.local/share/iotaudit/vulndb.sqlite.
std::string default_db_path();

struct SourceInfo {
  std::string name;       // file name as imported
  std::string kind;       // "nvd", "kev", "epss", "kernel-fixes", "kernel-ranges"
  std::string format;     // "nvd-json-1.1", ...
  std::string data_date;  // what the source says about its own date
  std::string imported_at;
  std::string sha256;
  std::int64_t records = 0;
};

struct KevEntry {
  std::string cve_id, date_added, due_date, vendor, product, name, ransomware;
};
struct EpssEntry {
  std::string cve_id;
  double score = 0, percentile = 0;
};
struct KernelFix {
  std::string cve_id, branch, fixed;  // "CVE-2019-19813", "4.14", "4.14.200"
};
struct KernelRange {
  std::string cve_id, introduced, fixed, note;  // mainline tags "v2.6.12-rc2", "v3.6-rc1"; "" when unknown
};

// A CVE as the matcher needs it.
struct StoredCve {
  std::int64_t rowid = 0;
  std::string id, published, modified, description, cwes, severity;
  std::string cvss2_vector, cvss3_vector, cvss3_version;
  double cvss2_score = -1, cvss3_score = -1;
  std::string packed_config;  // unpack_configurations() when needed: kernel CVEs decided by fix ranges never are
};

// One (vendor, product) a CVE's configurations name as vulnerable, with what the matcher needs to
// decide the CVE for that product without decoding the configurations: when every configuration
// naming it is a plain OR list of vulnerable entries (simple), the entries naming it
// (pack_product_entries). Stored in the product index at import.
struct AffectedProduct {
  std::string vendor, product;
  bool simple = false;
  std::string entries;  // packed; empty unless simple
};

// An entry of the product index as stored, viewed in place: its criteria are "cpe:2.3:" part ":"
// vendor ":" product, then tail, then `trimmed` times ":*" (the row names vendor and product).
struct ProductEntry {
  std::uint32_t config = 0;   // index of the configuration
  std::uint32_t ordinal = 0;  // position among the configuration's entries, in node order
  static constexpr bool vulnerable = true;  // only vulnerable entries are indexed
  std::string_view part, tail;
  std::uint32_t trimmed = 0;
  std::string_view start_including, start_excluding, end_including, end_excluding;
  // The version and update attributes (escapes kept); empty when absent.
  void version_update(std::string_view& version, std::string_view& update) const;
  std::string criteria(std::string_view vendor, std::string_view product) const;
};

// Reads packed entries one at a time, without allocating.
class ProductEntryReader {
 public:
  explicit ProductEntryReader(std::string_view packed);
  // The next entry; false at the end, or on corrupt data (then ok() is false too).
  bool next(ProductEntry& e);
  bool ok() const { return ok_; }
  // Whether every entry was read and nothing follows them: after next() returned false, the packed
  // entries were well-formed.
  bool complete() const { return ok_ && left_ == 0 && pos_ == in_.size(); }
  // Whether the whole of `packed` is well-formed entries.
  static bool valid(std::string_view packed);

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  std::uint64_t left_ = 0;
  bool ok_ = true;
};

// Stable storage for copied strings, in blocks: views into it stay valid while it lives.
class TextArena {
 public:
  std::string_view keep(std::string_view s);

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t used_ = 0, cap_ = 0;
};

// A product index row as the matcher reads it: views valid during the callback only.
struct ProductRow {
  std::int64_t rowid = 0;
  std::string_view cve_id;
  bool simple = false;
  std::string_view entries;
};

// One affected package of an OSV record, under the CVE (or, without one, the OSV id) it describes.
struct OsvRow {
  std::string osv_id, cve_id;
  std::string data;  // pack_osv_affected()
};

struct KevInfo {
  std::string date_added, due_date, ransomware;
};

class VulnDb {
 public:
  ~VulnDb();
  VulnDb(const VulnDb&) = delete;
  VulnDb& operator=(const VulnDb&) = delete;

  // Opens (and with create, creates) the database; an existing file of another schema is an error.
  static Result<std::unique_ptr<VulnDb>> open(const std::string& path, bool create);

  const std::string& path() const { return path_; }

  // ---- import (one transaction at a time) ----
  Status begin();
  Status commit();
  void rollback();
  bool has_source_sha(const std::string& sha256);
  Status add_source(const SourceInfo& s);
  // Inserts or, when the stored record is not newer, replaces a CVE and its product index.
  // `products` are the (vendor, product) pairs its configurations name as vulnerable
  // (affected_products); a rejected record is kept out of the product index.
  Status put_cve(const CveRecord& r, const std::string& packed_config, const std::vector<AffectedProduct>& products);
  // An OSV record, unless the stored one of the same id is newer (then false): its affected
  // packages are filed under each CVE among its id and aliases (under its own id without one),
  // and its details become the record of a CVE no NVD or CVE 5 record describes. A withdrawn
  // record keeps no affected packages.
  Result<bool> put_osv(const OsvRecord& r);
  Status put_kev(const KevEntry& e);
  Status put_epss(const EpssEntry& e, const std::string& date);
  Status put_kernel_fix(const KernelFix& f);
  Status put_kernel_range(const KernelRange& r);

  // ---- queries ----
  // One read transaction around many queries: the shared lock is taken once, not per statement.
  Status begin_read();
  void end_read();
  std::vector<SourceInfo> sources();
  std::int64_t count(const char* table);
  std::string latest_modified();
  // The CVEs naming vendor:product as vulnerable (rejected records excluded), by row id, with
  // their entries naming it: candidates are screened and simple configurations decided before
  // any record is read.
  void product_rows(const std::string& vendor, const std::string& product,
                    const std::function<void(const ProductRow&)>& row);
  // A record; without_config leaves packed_config empty (the product index decided the match).
  std::optional<StoredCve> cve_by_rowid(std::int64_t rowid, bool without_config = false);
  std::optional<StoredCve> cve_by_id(const std::string& cve_id);
  std::optional<EpssEntry> epss(const std::string& cve_id);
  // OSV affected entries for an ecosystem key and package name (osv_ecosystem_key, osv_package_key).
  std::vector<OsvRow> osv_for_package(const std::string& eco_key, const std::string& package);
  // Bulk reads for the matcher (a few thousand rows each).
  // The fixes recorded for one stable branch ("4.14"): a kernel's verdicts need only its own
  // branch (a tenth of the rows; an index reads just those).
  std::vector<KernelFix> kernel_fixes_on(const std::string& branch);
  std::vector<KernelRange> all_kernel_ranges();
  std::vector<std::pair<std::string, KevInfo>> all_kev();

 private:
  VulnDb() = default;
  Status exec(const char* sql);
  Status upgrade_from_v1();
  struct Statements;
  sqlite3* db_ = nullptr;
  std::string path_;
  std::unique_ptr<Statements> st_;
};

// The distinct (vendor, product) pairs the configurations name as vulnerable (not platforms).
std::vector<std::pair<std::string, std::string>> vulnerable_products(const std::vector<Configuration>& configs);

// vulnerable_products() with, for each, whether the configurations naming it are simple and its
// packed entries.
std::vector<AffectedProduct> affected_products(const std::vector<Configuration>& configs);
// A configuration of plain OR nodes of vulnerable entries (no negation, no children), combined by
// OR or alone: it holds for a product exactly when one of the entries naming the product matches.
bool simple_configuration(const Configuration& c);

// Configurations <-> the compact form stored in the database (zstd-compressed JSON).
std::string pack_configurations(const std::vector<Configuration>& configs);
Result<std::vector<Configuration>> unpack_configurations(std::string_view packed);

}  // namespace iotaudit::match
