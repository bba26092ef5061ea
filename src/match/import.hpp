#pragma once
// `iotaudit db import`: reads feed files (plain or gzip'd), recognises what each one is by its
// content, parses them in parallel and writes them into the database in one transaction.
#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "match/db.hpp"

namespace iotaudit::match {

struct ImportOptions {
  unsigned jobs = 0;                                // parser threads; 0: one per core
  std::uint64_t max_file_bytes = 4ull << 30;        // largest feed after decompression
  bool force = false;                               // re-import files already imported (same SHA-256)
  std::function<void(const std::string&)> log;      // one line per file; may be empty
};

struct ImportSummary {
  std::size_t files = 0, skipped = 0;  // skipped: imported before (same SHA-256)
  std::size_t not_feeds = 0;           // files of unknown content found in directories
  std::int64_t cves = 0, kev = 0, epss = 0, kernel = 0, osv = 0;
  double seconds = 0;
};

// Directories are expanded to the feed files they hold (sorted by name, not recursive beyond one
// level). Either every file is imported or, on the first error, none is.
Result<ImportSummary> import_sources(VulnDb& db, const std::vector<std::string>& paths, const ImportOptions& opt);

// What a feed is, from its first bytes and name: "nvd", "kev-json", "kev-csv", "epss-csv",
// "kernel-stream-fixes", "kernel-cves-txt", "cve-json-5", "osv", or "" when unknown.
std::string sniff_source(std::string_view head, std::string_view file_name);

// Feed parsers for the smaller sources; each error names the line or byte.
Result<std::vector<KevEntry>> parse_kev_json(std::string_view text);
Result<std::vector<KevEntry>> parse_kev_csv(std::string_view text);
// EPSS CSV: an optional "#model_version:...,score_date:..." comment line, then "cve,epss,percentile".
Result<std::vector<EpssEntry>> parse_epss_csv(std::string_view text, std::string* score_date);
Result<std::vector<KernelFix>> parse_kernel_stream_fixes(std::string_view text);
Result<std::vector<KernelRange>> parse_kernel_cves_txt(std::string_view text);

}  // namespace iotaudit::match
