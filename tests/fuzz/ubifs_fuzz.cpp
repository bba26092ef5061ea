// The UBIFS unpacker alone, on what would be a UBI volume's content: probe, then unpack.
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return iotaudit::fuzz::run_unpacker("ubifs", data, size);
}
