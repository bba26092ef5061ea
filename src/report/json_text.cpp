#include "report/json_text.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

#include <tbb/parallel_for.h>

namespace iotaudit::report {
namespace {

using nlohmann::ordered_json;

// Arrays with fewer elements are dumped in one piece; so is everything below the third level,
// where the arrays are small.
constexpr std::size_t kParallelFrom = 64;
constexpr int kMaxSplitDepth = 3;

// `text` is a dump(2) at indentation 0; each line after the first moves right by `indent`
// (dumped strings hold no raw newline, so every newline is a line break).
void append_indented(std::string& out, const std::string& text, std::size_t indent) {
  std::size_t start = 0;
  for (;;) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      out.append(text, start, std::string::npos);
      return;
    }
    out.append(text, start, nl + 1 - start);
    out.append(indent, ' ');
    start = nl + 1;
  }
}

}  // namespace

std::size_t array_text_size(const std::vector<std::string>& elements, std::size_t indent) {
  if (elements.empty()) return 2;
  std::size_t total = indent + 2;  // "[\n" ... "\n" + indent + "]", less the first ",\n"
  for (const auto& p : elements) total += p.size() + indent + 4;
  return total;
}

void append_array(std::string& out, const std::vector<std::string>& elements, std::size_t indent) {
  if (elements.empty()) {
    out += "[]";
    return;
  }
  out.reserve(out.size() + array_text_size(elements, indent));
  out += "[\n";
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (i) out += ",\n";
    out.append(indent + 2, ' ');
    out += elements[i];
  }
  out += '\n';
  out.append(indent, ' ');
  out += ']';
}

namespace {

void dump_at(std::string& out, const ordered_json& j, std::size_t indent, int depth) {
  if (depth < kMaxSplitDepth && j.is_object() && !j.empty()) {
    out += "{\n";
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!first) out += ",\n";
      first = false;
      out.append(indent + 2, ' ');
      out += ordered_json(it.key()).dump();
      out += ": ";
      dump_at(out, it.value(), indent + 2, depth + 1);
    }
    out += '\n';
    out.append(indent, ' ');
    out += '}';
    return;
  }
  if (depth < kMaxSplitDepth && j.is_array() && j.size() >= kParallelFrom) {
    std::vector<std::string> parts(j.size());
    tbb::parallel_for(std::size_t{0}, j.size(), [&](std::size_t i) {
      std::string s;
      append_indented(s, j[i].dump(2), indent + 2);
      parts[i] = std::move(s);
    });
    append_array(out, parts, indent);
    return;
  }
  append_indented(out, j.dump(2), indent);
}

}  // namespace

namespace {

// ",\n" and then spaces: a separator and the next line's indentation in one append.
constexpr std::size_t kMaxPad = 256;
const std::string& separator_and_pad() {
  static const std::string s = ",\n" + std::string(kMaxPad, ' ');
  return s;
}

// "\n" and pad spaces ("," before them unless first).
void new_line(std::string& out, bool first, std::size_t pad) {
  if (pad > kMaxPad) {
    out += first ? "\n" : ",\n";
    out.append(pad, ' ');
    return;
  }
  out.append(separator_and_pad().data() + (first ? 1 : 0), pad + (first ? 1 : 2));
}

// Whether any of the 8 bytes of w needs a look of its own in a JSON string: a control character,
// '"', '\\' or a byte of a multi-byte UTF-8 sequence. Exact (no byte is missed; a byte after the
// first flagged one may be flagged wrongly, which only costs the slow path).
inline bool needs_attention(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
  auto has_zero = [&](std::uint64_t v) { return (v - ones) & ~v & high; };
  const std::uint64_t control = (w - 0x20 * ones) & ~w & high;  // a byte below 0x20
  return ((w & high) | control | has_zero(w ^ (0x22 * ones)) | has_zero(w ^ (0x5c * ones))) != 0;
}

// Text that goes into a JSON string as it is: printable ASCII without '"' or '\\'.
bool plain_text(std::string_view t) {
  std::size_t i = 0;
  for (; i + 8 <= t.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, t.data() + i, 8);
    if (needs_attention(w)) return false;
  }
  for (; i < t.size(); ++i) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
  }
  return true;
}

// A key that needs no escaping and fits the stack buffers of key() and string_member().
constexpr std::size_t kMaxPlainKey = 48;
bool plain_short(std::string_view k) { return k.size() <= kMaxPlainKey && plain_text(k); }

}  // namespace

void JsonTextWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (stack_.empty()) return;
  Level& l = stack_.back();
  new_line(out_, l.empty, indent_ + 2 * stack_.size());
  l.empty = false;
}

void JsonTextWriter::open(char c) {
  before_value();
  out_ += c;
  stack_.push_back({c == '{', true});
}

void JsonTextWriter::close(char c) {
  bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty) new_line(out_, true, indent_ + 2 * stack_.size());
  out_ += c;
}

void JsonTextWriter::key(std::string_view k) {
  before_value();
  if (plain_short(k)) {  // the usual case, in one append
    char buf[kMaxPlainKey + 4];
    buf[0] = '"';
    std::memcpy(buf + 1, k.data(), k.size());
    std::memcpy(buf + 1 + k.size(), "\": ", 3);
    out_.append(buf, k.size() + 4);
  } else {
    string(k);
    out_ += ": ";
  }
  after_key_ = true;
}

void JsonTextWriter::value(std::string_view s) {
  before_value();
  string(s);
}

void JsonTextWriter::value(double d) {
  before_value();
  out_ += ordered_json(d).dump();  // nlohmann's own shortest round-trip form ("7.5", "10.0")
}

void JsonTextWriter::value(long long n) {
  before_value();
  out_ += std::to_string(n);
}

void JsonTextWriter::raw(std::string_view text) {
  before_value();
  out_ += text;
}

namespace {

// Length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, surrogates or code points
// above U+10FFFF, which is what dump() accepts) that starts with the non-ASCII byte at s[i]; 0 when
// there is none.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  auto c1 = static_cast<unsigned char>(s[i + 1]);
  if (c1 < lo || c1 > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    auto ck = static_cast<unsigned char>(s[i + k]);
    if (ck < 0x80 || ck > 0xbf) return 0;
  }
  return len;
}

}  // namespace

void JsonTextWriter::string_member(std::string_view k, std::string_view v) {
  constexpr std::size_t kMaxValue = 192;
  const std::size_t pad = indent_ + 2 * stack_.size();
  if (after_key_ || stack_.empty() || pad > kMaxPad || v.size() > kMaxValue || !plain_short(k) || !plain_text(v)) {
    key(k);
    value(v);
    return;
  }
  char buf[2 + kMaxPad + kMaxPlainKey + kMaxValue + 8];
  Level& l = stack_.back();
  const std::size_t lead = l.empty ? 1 : 2;  // "\n" or ",\n"
  l.empty = false;
  char* p = buf;
  std::memcpy(p, separator_and_pad().data() + (2 - lead), lead + pad);
  p += lead + pad;
  *p++ = '"';
  std::memcpy(p, k.data(), k.size());
  p += k.size();
  std::memcpy(p, "\": \"", 4);
  p += 4;
  std::memcpy(p, v.data(), v.size());
  p += v.size();
  *p++ = '"';
  out_.append(buf, static_cast<std::size_t>(p - buf));
}

void JsonTextWriter::string(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::size_t start = out_.size();
  out_ += '"';
  // One pass: eight plain ASCII bytes at a time, then byte by byte where something needs escaping
  // or a UTF-8 sequence needs checking.
  const std::size_t n = s.size();
  std::size_t run = 0, i = 0;
  while (i < n) {
    if (n - i >= 8) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (!needs_attention(w)) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t len = utf8_sequence(s, i);
      if (len == 0) {
        out_.resize(start);
        out_ += ordered_json(std::string(s)).dump();  // throws, with dump()'s own message
        return;
      }
      i += len;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out_.append(s.data() + run, i - run);
    run = ++i;
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        out_ += "\\u00";
        out_ += kHex[c >> 4];
        out_ += kHex[c & 15];
    }
  }
  out_.append(s.data() + run, n - run);
  out_ += '"';
}

std::string dump_pretty(const ordered_json& j) {
  std::string out;
  dump_at(out, j, 0, 0);
  return out;
}

}  // namespace iotaudit::report
