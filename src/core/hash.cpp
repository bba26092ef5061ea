#include "core/hash.hpp"

#include <openssl/evp.h>

#include <fmt/format.h>

namespace iotaudit {

namespace {
std::string digest(ByteView data, const EVP_MD* md_type) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, md_type, nullptr);
  return {reinterpret_cast<const char*>(md), len};
}
std::string hex(const std::string& raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}
}  // namespace

std::string sha256_hex(ByteView data) { return hex(digest(data, EVP_sha256())); }
std::string sha1_hex(ByteView data) { return hex(digest(data, EVP_sha1())); }
std::string md5_hex(ByteView data) { return hex(digest(data, EVP_md5())); }
std::string sha256_raw(ByteView data) { return digest(data, EVP_sha256()); }

std::string base64(ByteView data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::uint8_t* p = data.data();
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (std::size_t rest = data.size() - i; rest > 0) {
    std::uint32_t v = std::uint32_t{p[i]} << 16;
    if (rest == 2) v |= std::uint32_t{p[i + 1]} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string hex_u64(std::uint64_t v) { return fmt::format("0x{:x}", v); }

}  // namespace iotaudit
