#pragma once
// NVD vulnerability feeds: the JSON 1.1 yearly feeds ("CVE_Items") and pages of the CVE API 2.0
// ("vulnerabilities"). Parsed with simdjson on demand; a malformed document is an error naming the
// byte offset, and no partial record list is returned for it.
#include <functional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "match/cve_record.hpp"

namespace iotaudit::match {

struct NvdDocumentInfo {
  std::string format;     // "nvd-json-1.1" or "nvd-api-2.0"
  std::string timestamp;  // CVE_data_timestamp / timestamp of the document
  std::size_t records = 0;
};

// Parses `json`, which must be followed by at least simdjson::SIMDJSON_PADDING readable bytes
// (see padded_capacity), calling `sink` once per record in document order.
Result<NvdDocumentInfo> parse_nvd_json(std::string_view json, const std::function<void(CveRecord&&)>& sink);

// Bytes to reserve after a document of `size` bytes for parse_nvd_json.
std::size_t padded_capacity(std::size_t size);

}  // namespace iotaudit::match
