#pragma once
// Markdown for text that comes from firmware: nothing in it may become markup (links that fetch,
// HTML tags, emphasis) in a Markdown viewer.
#include <string>
#include <string_view>

namespace iotaudit::report {

// One line of text for a table cell or paragraph: markup characters as entities or backslash
// escapes, line breaks and control characters neutralised.
std::string md_text(std::string_view s);

// A code span holding `s` literally (a fence longer than any backtick run inside; '|' escaped for
// tables).
std::string md_code(std::string_view s);

}  // namespace iotaudit::report
