#include "comply/declaration.hpp"

#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace iotaudit::comply {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxText = 16 << 10;
constexpr std::size_t kMaxEntries = 10000;

Result<std::string> text_at(const json& obj, const char* key, const std::string& where) {
  if (!obj.contains(key)) return std::string();
  const json& v = obj.at(key);
  if (!v.is_string()) return fail(Errc::malformed, fmt::format("{}.{}: expected a string", where, key));
  std::string s = v.get<std::string>();
  if (s.size() > kMaxText) return fail(Errc::malformed, fmt::format("{}.{}: longer than {} bytes", where, key, kMaxText));
  return s;
}

bool iso_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  int month = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

}  // namespace

Result<Declaration> parse_fields(const nlohmann::json& j);

Result<Declaration> parse_declaration(std::string_view text) {
  nlohmann::json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return fail(Errc::malformed, fmt::format("not JSON at byte {}: {}", e.byte, e.what()));
  } catch (const json::exception& e) {  // e.g. a number out of range while parsing
    return fail(Errc::malformed, fmt::format("not usable JSON: {}", e.what()));
  }
  if (!j.is_object()) return fail(Errc::malformed, "the declaration is not a JSON object");
  try {
    return parse_fields(j);
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::malformed, fmt::format("unexpected value: {}", e.what()));
  }
}

Result<Declaration> parse_fields(const nlohmann::json& j) {
  if (!j.contains("schema") || !j.at("schema").is_string() || j.at("schema").get<std::string>() != "iotaudit-declaration/1")
    return fail(Errc::malformed, "schema: expected \"iotaudit-declaration/1\"");
  static const char* known[] = {"schema", "manufacturer", "product", "support_period", "vulnerability_disclosure",
                                "update_policy", "conditions", "provisions"};
  for (const auto& [k, v] : j.items()) {
    bool ok = false;
    for (const char* n : known) ok = ok || k == n;
    if (!ok) return fail(Errc::malformed, fmt::format("{}: unknown field", k));
  }
  Declaration d;
  auto object_at = [&](const char* key) -> Result<const json*> {
    if (!j.contains(key)) return static_cast<const json*>(nullptr);
    if (!j.at(key).is_object()) return fail(Errc::malformed, fmt::format("{}: expected an object", key));
    return &j.at(key);
  };
  ASSIGN_OR_RETURN(const json* m, object_at("manufacturer"));
  if (m) {
    ASSIGN_OR_RETURN(d.manufacturer_name, text_at(*m, "name", "manufacturer"));
    ASSIGN_OR_RETURN(d.manufacturer_address, text_at(*m, "address", "manufacturer"));
  }
  ASSIGN_OR_RETURN(const json* p, object_at("product"));
  if (p) {
    ASSIGN_OR_RETURN(d.product_name, text_at(*p, "name", "product"));
    ASSIGN_OR_RETURN(d.product_model, text_at(*p, "model", "product"));
    ASSIGN_OR_RETURN(d.product_batch, text_at(*p, "batch", "product"));
    ASSIGN_OR_RETURN(d.firmware_version, text_at(*p, "firmware_version", "product"));
  }
  ASSIGN_OR_RETURN(const json* sp, object_at("support_period"));
  if (sp) {
    ASSIGN_OR_RETURN(d.support_end, text_at(*sp, "end", "support_period"));
    ASSIGN_OR_RETURN(d.support_published_at, text_at(*sp, "published_at", "support_period"));
    if (!d.support_end.empty() && !iso_date(d.support_end))
      return fail(Errc::malformed, fmt::format("support_period.end: '{}' is not a YYYY-MM-DD date", d.support_end));
  }
  ASSIGN_OR_RETURN(const json* vd, object_at("vulnerability_disclosure"));
  if (vd) {
    ASSIGN_OR_RETURN(d.disclosure_policy_url, text_at(*vd, "policy_url", "vulnerability_disclosure"));
    ASSIGN_OR_RETURN(d.disclosure_contact, text_at(*vd, "contact", "vulnerability_disclosure"));
  }
  ASSIGN_OR_RETURN(d.update_policy, text_at(j, "update_policy", ""));
  ASSIGN_OR_RETURN(const json* cs, object_at("conditions"));
  if (cs) {
    for (const auto& [cat, conds] : cs->items()) {
      if (!conds.is_object()) return fail(Errc::malformed, fmt::format("conditions.{}: expected an object", cat));
      for (const auto& [num, holds] : conds.items()) {
        if (!holds.is_boolean())
          return fail(Errc::malformed, fmt::format("conditions.{}.{}: expected true or false", cat, num));
        d.conditions[cat][num] = holds.get<bool>();
      }
    }
  }
  ASSIGN_OR_RETURN(const json* ps, object_at("provisions"));
  if (ps) {
    if (ps->size() > kMaxEntries) return fail(Errc::malformed, "provisions: too many entries");
    for (const auto& [key, a] : ps->items()) {
      if (key.find(':') == std::string::npos)
        return fail(Errc::malformed, fmt::format("provisions.{}: expected \"catalog-id:provision\"", key));
      if (!a.is_object()) return fail(Errc::malformed, fmt::format("provisions.{}: expected an object", key));
      DeclaredAnswer ans;
      ASSIGN_OR_RETURN(ans.text, text_at(a, "answer", "provisions." + key));
      if (ans.text.empty()) return fail(Errc::malformed, fmt::format("provisions.{}.answer: missing", key));
      if (a.contains("documents")) {
        if (!a.at("documents").is_array())
          return fail(Errc::malformed, fmt::format("provisions.{}.documents: expected an array", key));
        for (const auto& doc : a.at("documents")) {
          if (!doc.is_string())
            return fail(Errc::malformed, fmt::format("provisions.{}.documents: expected strings", key));
          ans.documents.push_back(doc.get<std::string>().substr(0, kMaxText));
        }
      }
      d.answers[key] = std::move(ans);
    }
  }
  return d;
}

}  // namespace iotaudit::comply
