// The yaffs2 unpacker alone: probe, then unpack what the probe accepts.
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return iotaudit::fuzz::run_unpacker("yaffs2", data, size);
}
