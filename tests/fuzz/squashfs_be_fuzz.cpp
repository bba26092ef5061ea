// The squashfs-be unpacker alone (big-endian SquashFS 4.0): probe, then unpack what the probe
// accepts. Seeds are written by the unit test SquashfsBe.WriteFuzzSeeds (IOTAUDIT_WRITE_SEEDS).
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return iotaudit::fuzz::run_unpacker("squashfs-be", data, size);
}
