#pragma once
// CVE JSON 5 records (the CVE Program's cvelistV5: one record per file, or a JSON array of them).
// Each CNA/ADP "affected" entry becomes a configuration: its CPE names when it lists them, else
// "cpe:2.3:a:VENDOR:PRODUCT" from its vendor and product (lower-cased, spaces as underscores), with
// one entry per affected version or version range. Versions marked unaffected and git commit
// ranges are not represented.
#include <functional>
#include <string_view>

#include "core/result.hpp"
#include "match/cve_record.hpp"

namespace iotaudit::match {

// Returns how many records were passed to sink; an error names what is wrong and where.
Result<std::size_t> parse_cve5_json(std::string_view json, const std::function<void(CveRecord&&)>& sink);

}  // namespace iotaudit::match
