// The iso9660 unpacker alone (libarchive, as tar_fuzz.cpp): probe, then unpack what the probe accepts.
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return iotaudit::fuzz::run_unpacker("iso9660", data, size);
}
