#pragma once
// JSON documents as text: exactly what nlohmann's dump(2) writes, with the elements of large
// arrays (a kernel's 1,600 vulnerabilities, a root filesystem's files) serialised in parallel.
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace iotaudit::report {

// `j.dump(2)`, byte for byte (strict UTF-8 like dump(): invalid text throws), plus no newline.
std::string dump_pretty(const nlohmann::ordered_json& j);

// Appends an array of elements already written as text at `indent` + 2 (the first line not
// indented), as dump(2) lays it out at `indent`.
void append_array(std::string& out, const std::vector<std::string>& elements, std::size_t indent);
// The length of the text append_array() writes for these elements.
std::size_t array_text_size(const std::vector<std::string>& elements, std::size_t indent);

// Writes JSON text directly, formatted exactly as dump(2) formats the same document at `indent`
// (a value nested that deep): for large generated arrays, without building the document first.
// Strings that are not valid UTF-8 throw as dump() does.
class JsonTextWriter {
 public:
  JsonTextWriter(std::string& out, std::size_t indent) : out_(out), indent_(indent) {}
  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  void key(std::string_view k);
  void value(std::string_view s);
  void value(const char* s) { value(std::string_view(s)); }
  void value(double d);
  void value(long long n);
  // A value already written as JSON text (a number, true, false or null).
  void raw(std::string_view text);
  // "key": value, for the common case.
  template <class T>
  void member(std::string_view k, const T& v) {
    if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      string_member(k, v);
    } else {
      key(k);
      value(v);
    }
  }

 private:
  void open(char c);
  void close(char c);
  void before_value();
  void string(std::string_view s);
  // "key": "value" with its line break and indentation in one append when neither needs escaping
  // and both are short (most members of a report); else key() and value().
  void string_member(std::string_view k, std::string_view v);
  struct Level {
    bool object = false, empty = true;
  };
  std::string& out_;
  std::size_t indent_;
  std::vector<Level> stack_;
  bool after_key_ = false;
};

}  // namespace iotaudit::report
