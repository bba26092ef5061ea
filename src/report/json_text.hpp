#pragma once
// JSON documents as text: exactly what nlohmann's dump(2) writes, with the elements of large
// arrays (a kernel's 1,600 vulnerabilities, a root filesystem's files) serialised in parallel.
#include <string>

#include <nlohmann/json.hpp>

namespace iotaudit::report {

// `j.dump(2)`, byte for byte (strict UTF-8 like dump(): invalid text throws), plus no newline.
std::string dump_pretty(const nlohmann::ordered_json& j);

}  // namespace iotaudit::report
