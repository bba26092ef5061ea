// The wrmfs unpacker alone (Wind River management filesystem): probe, then unpack what the probe
// accepts. Seeds are written by the unit test Wrmfs.WriteFuzzSeeds (IOTAUDIT_WRITE_SEEDS).
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return iotaudit::fuzz::run_unpacker("wrmfs", data, size);
}
