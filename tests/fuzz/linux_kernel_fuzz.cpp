// The linux-kernel unpacker alone (ELF vmlinux/vmlinuz, ARM64 Image, x86 bzImage headers and the
// banner search): probe, then unpack what the probe accepts.
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return iotaudit::fuzz::run_unpacker("linux-kernel", data, size);
}
