// Key and certificate parsing (PEM blocks, DER, PKCS#12, dropbear, openssh-key-v1) on one buffer,
// and the SSH parsers directly, since the buffer-level scan only reaches them by format.
#include <cstddef>
#include <cstdint>

#include "formats/keys.hpp"

using namespace iotaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView v(data, size);
  formats::KeyLimits limits;
  limits.max_blocks = 16;
  auto m = formats::scan_key_material(v, limits);
  if (m.blocks > limits.max_blocks) __builtin_trap();
  for (const auto& k : m.keys)
    if (k.offset > size || k.length > size - k.offset) __builtin_trap();
  for (const auto& c : m.certificates)
    if (c.offset > size || c.length > size - c.offset) __builtin_trap();
  (void)formats::parse_dropbear_key(v);
  (void)formats::parse_openssh_key(v);
  (void)formats::parse_ssh_public_blob(v);
  return 0;
}
