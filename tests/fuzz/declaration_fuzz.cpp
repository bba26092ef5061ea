// The manufacturer-declaration parser (comply/declaration.cpp) on arbitrary bytes.
#include <string_view>

#include "comply/declaration.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto d = iotaudit::comply::parse_declaration(std::string_view(reinterpret_cast<const char*>(data), size));
  (void)d;
  return 0;
}
