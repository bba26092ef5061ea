// The classifier loader on arbitrary JSON (no cache): every malformed entry must be refused with a
// message, never crash; an accepted set then scans a fixed blob and the input itself.
#include <cstdint>
#include <string>

#include "identify/classifier.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A catalog the size of the built-in one (75 classifiers, 25 KB) takes about 4 s to compile
  // under ASan, nearly all of it in Vectorscan's allocations going through the sanitizer's
  // allocator; such inputs only slow the search down (the built-in catalog itself is loaded by
  // the unit tests). The seeds are the built-in catalog in slices of 9-10 classifiers.
  if (size > 8192) return 0;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto set = iotaudit::identify::ClassifierSet::load(text);
  if (!set) {
    if (set.error().message.empty()) __builtin_trap();
    return 0;
  }
  static const std::string blob = "BusyBox v1.35.0 (Debian) OpenSSL 1.1.1k  25 Mar 2021 lighttpd/1.4.69";
  for (unsigned scope : {1u, 2u, 4u, 8u}) {
    for (const auto& h : set->scan(iotaudit::ByteView(reinterpret_cast<const std::uint8_t*>(blob.data()), blob.size()), scope))
      if (h.classifier >= set->classifiers().size()) __builtin_trap();
    (void)set->scan(iotaudit::ByteView(data, size), scope);
  }
  return 0;
}
