#pragma once
// CVSS base scores from vector strings, for sources that give only the vector (OSV). Versions 2.0
// ("AV:N/AC:L/Au:N/C:P/I:P/A:P") and 3.0/3.1 ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
// temporal and environmental metrics are accepted and do not change the base score. Any string
// is safe to pass (fuzzed).
#include <string>
#include <string_view>

namespace iotaudit::match {

// The base score, or -1 when the string is not a complete, valid vector of that version.
double cvss3_base_score(std::string_view vector);
double cvss2_base_score(std::string_view vector);

// "NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL" for a CVSS v3 score.
std::string cvss_severity(double score);

}  // namespace iotaudit::match
