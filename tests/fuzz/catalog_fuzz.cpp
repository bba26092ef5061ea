// Standards catalog loading, then the verdict evaluation that reads what the loader accepted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "comply/catalog.hpp"

using namespace iotaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // A fixed set rather than the analyzer's list, so the fuzzer can also reach the accepting path
  // with ids it invents from the seeds' dictionary.
  auto known = [](std::string_view id) {
    return id == "credentials.default_password" || id == "credentials.empty_password" ||
           id == "unpack.limit_reached" || id == "unpack.hostile_path";
  };
  auto cat = comply::parse_catalog(text, known);
  if (!cat) return 0;
  for (const auto& p : cat->provisions)
    for (const auto& c : p.checks)
      if (!known(c)) __builtin_trap();
  std::vector<comply::Catalog> cats{*cat};
  (void)comply::provisions_by_check(cats);
  Finding f;
  f.check_id = "credentials.empty_password";
  f.fingerprint = "0000000000000000";
  CheckRun empty;
  empty.check_id = "credentials.empty_password";
  empty.subjects = 1;
  CheckRun open;
  open.check_id = "credentials.default_password";
  open.subjects = 2;
  open.conclusive = false;
  open.notes = {"note"};
  (void)comply::evaluate(cats, {f}, {empty, open});
  (void)comply::evaluate(cats, {}, {});
  return 0;
}
