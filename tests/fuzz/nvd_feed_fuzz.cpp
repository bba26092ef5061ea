// The NVD feed parser (JSON 1.1 and API 2.0), the stored-configuration round trip and the product
// index entries on arbitrary bytes: a record either parses completely or the document is an
// error; every indexed entry gives back its criteria; never a crash.
#include <cstdint>
#include <string>

#include "match/db.hpp"
#include "match/feeds/nvd_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace iotaudit::match;
  std::string buf(reinterpret_cast<const char*>(data), size);
  buf.resize(padded_capacity(size));
  std::size_t n = 0;
  auto r = parse_nvd_json(std::string_view(buf.data(), size), [&](CveRecord&& rec) {
    ++n;
    if (rec.id.empty()) __builtin_trap();
    // What the database stores must come back identical.
    auto packed = pack_configurations(rec.configurations);
    auto back = unpack_configurations(packed);
    if (!back || back->size() != rec.configurations.size()) __builtin_trap();
    for (const auto& a : affected_products(rec.configurations)) {
      if (!a.simple) continue;
      if (!ProductEntryReader::valid(a.entries)) __builtin_trap();
      ProductEntryReader reader(a.entries);
      ProductEntry e;
      while (reader.next(e)) {
        if (e.config >= rec.configurations.size()) __builtin_trap();
        std::string crit = e.criteria(a.vendor, a.product);
        bool found = false;
        for (const auto& node : rec.configurations[e.config].nodes)
          for (const auto& m : node.matches) found = found || m.criteria == crit;
        if (!found) __builtin_trap();
      }
    }
  });
  if (r && r->records != n) __builtin_trap();
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  (void)unpack_configurations(raw);
  ProductEntryReader reader(raw);
  ProductEntry e;
  std::string_view ver, upd;
  while (reader.next(e)) e.version_update(ver, upd);
  // The matcher decides from entries read this way and trusts them only when complete() holds.
  if (reader.complete() != ProductEntryReader::valid(raw)) __builtin_trap();
  return 0;
}
