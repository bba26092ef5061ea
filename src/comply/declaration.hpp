#pragma once
// A manufacturer declaration: what only documents can show (support period, disclosure policy,
// update policy, which conditions of a standard hold, answers to documentation-only provisions).
// Verdicts cite it as "declared" evidence; what the firmware shows is never overridden by it, and
// contradictions between the two are reported. Format: JSON, schema/declaration.schema.json,
// documented in docs/standards.md.
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "model/declaration.hpp"

namespace iotaudit::comply {

using iotaudit::DeclaredAnswer;
using iotaudit::Declaration;

// Parses a declaration. Errors name the position (byte offset of a JSON syntax error, or the key
// path of a wrong field) so the author can fix the file.
Result<Declaration> parse_declaration(std::string_view json_text);

}  // namespace iotaudit::comply
