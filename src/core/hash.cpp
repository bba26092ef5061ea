#include "core/hash.hpp"

#include <openssl/evp.h>

#include <fmt/format.h>

namespace iotaudit {

std::string sha256_hex(ByteView data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
  return out;
}

std::string hex_u64(std::uint64_t v) { return fmt::format("0x{:x}", v); }

}  // namespace iotaudit
