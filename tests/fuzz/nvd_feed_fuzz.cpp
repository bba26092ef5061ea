// The NVD feed parser (JSON 1.1 and API 2.0) and the stored-configuration round trip on arbitrary
// bytes: a record either parses completely or the document is an error; never a crash.
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
    (void)vulnerable_products(rec.configurations);
  });
  if (r && r->records != n) __builtin_trap();
  (void)unpack_configurations(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
