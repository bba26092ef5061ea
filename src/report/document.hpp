#pragma once
// The JSON report as a document. The json format writes it; the html and markdown formats render
// it, so a field the JSON report gains (a verdict's condition, a new standard) reaches them too.
#include <string>

#include <nlohmann/json.hpp>

#include "report/report.hpp"

namespace iotaudit::report {

nlohmann::ordered_json report_document(const ScanResult& r, const Options& opt);

// Now, as ISO 8601 UTC ("2026-12-05T01:40:16Z"); SOURCE_DATE_EPOCH when set, for reproducible output.
std::string report_timestamp();

}  // namespace iotaudit::report
