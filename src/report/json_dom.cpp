// cyclonedx_frame_of_text(): a JSON document re-written as nlohmann's dump(2) writes it, from
// simdjson's DOM. What nlohmann does that the DOM does not is reproduced here: numbers are
// printed by nlohmann itself, and a key repeated in an object keeps its first place and its last
// value (ordered_json's operator[] on parse).
#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "report/json_text.hpp"
#include "report/vulns.hpp"

namespace iotaudit::report {
namespace {

namespace dom = simdjson::dom;

constexpr std::size_t kMaxDepth = 512;  // below nlohmann's and simdjson's own limits

bool write(JsonTextWriter& w, dom::element e, std::size_t depth);

// The members of an object in nlohmann's order: each key at its first place, with its last value.
std::vector<std::pair<std::string_view, dom::element>> members(dom::object o) {
  std::vector<std::pair<std::string_view, dom::element>> out;
  out.reserve(o.size());
  for (dom::key_value_pair kv : o) out.emplace_back(kv.key, kv.value);
  if (out.size() < 2) return out;
  std::vector<std::string_view> keys;
  keys.reserve(out.size());
  for (const auto& m : out) keys.push_back(m.first);
  std::sort(keys.begin(), keys.end());
  if (std::adjacent_find(keys.begin(), keys.end()) == keys.end()) return out;
  // Hostile input can repeat a key many thousand times: one hash lookup per member.
  std::vector<std::pair<std::string_view, dom::element>> merged;
  std::unordered_map<std::string_view, std::size_t> at;
  at.reserve(out.size());
  for (const auto& m : out) {
    auto [it, fresh] = at.emplace(m.first, merged.size());
    if (fresh) merged.push_back(m);
    else merged[it->second].second = m.second;
  }
  return merged;
}

bool write(JsonTextWriter& w, dom::element e, std::size_t depth) {
  if (depth > kMaxDepth) return false;
  dom::object o;
  dom::array a;
  std::string_view str;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  bool b = false;
  switch (e.type()) {
    case dom::element_type::OBJECT:
      if (e.get_object().get(o)) return false;
      w.begin_object();
      for (const auto& [k, v] : members(o)) {
        w.key(k);
        if (!write(w, v, depth + 1)) return false;
      }
      w.end_object();
      return true;
    case dom::element_type::ARRAY:
      if (e.get_array().get(a)) return false;
      w.begin_array();
      for (dom::element v : a)
        if (!write(w, v, depth + 1)) return false;
      w.end_array();
      return true;
    case dom::element_type::STRING:
      if (e.get_string().get(str)) return false;
      w.value(str);
      return true;
    case dom::element_type::INT64:
      if (e.get_int64().get(i)) return false;
      w.value(static_cast<long long>(i));
      return true;
    case dom::element_type::UINT64:
      if (e.get_uint64().get(u)) return false;
      w.raw(fmt::format("{}", u));
      return true;
    case dom::element_type::DOUBLE:
      if (e.get_double().get(d)) return false;
      w.value(d);
      return true;
    case dom::element_type::BOOL:
      if (e.get_bool().get(b)) return false;
      w.raw(b ? "true" : "false");
      return true;
    case dom::element_type::NULL_VALUE:
      w.raw("null");
      return true;
  }
  return false;
}

}  // namespace

Result<CycloneDxFrame> cyclonedx_frame_of_text(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parser.parse(json.data(), json.size(), true).get(doc))
    return fail(Errc::malformed, fmt::format("not valid JSON: {}", simdjson::error_message(err)));
  dom::object top;
  if (doc.get_object().get(top)) return fail(Errc::malformed, "the document is not a JSON object");
  // The top level as ordered_json has it after doc["vulnerabilities"] = slot: in place of the
  // first `vulnerabilities`, or last.
  auto list = members(top);
  std::string text;
  text.reserve(json.size() + json.size() / 2);
  JsonTextWriter w(text, 0);
  w.begin_object();
  bool slotted = false;
  for (const auto& [k, v] : list) {
    w.key(k);
    if (k == "vulnerabilities") {
      w.value(kVulnerabilitiesSlot);
      slotted = true;
    } else if (!write(w, v, 1)) {
      return fail(Errc::malformed, fmt::format("the document nests deeper than {} levels", kMaxDepth));
    }
  }
  if (!slotted) w.member("vulnerabilities", kVulnerabilitiesSlot);
  w.end_object();
  return split_at_slot(std::move(text));
}

}  // namespace iotaudit::report
