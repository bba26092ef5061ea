#include "core/hash.hpp"

// Digests come from nettle, not OpenSSL: OpenSSL 3 loads its configuration and providers on the
// first EVP call, 2.1 ms of every run (a third of `iotaudit extract` on a small squashfs image's
// own work), while nettle's SHA-256 is as fast (SHA extensions: 0.71 vs 0.64 ms for 1.1 MB) and
// needs no set-up. OpenSSL stays for what only it does well: parsing keys and certificates.
#include <nettle/md5.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include <fmt/format.h>

namespace iotaudit {

namespace {

// nettle's update functions take a size_t length; one call per part.
template <typename Ctx, auto Init, auto Update, auto Digest, std::size_t Size>
std::string digest(std::initializer_list<ByteView> parts) {
  Ctx ctx;
  Init(&ctx);
  for (ByteView p : parts)
    if (!p.empty()) Update(&ctx, p.size(), p.data());
  std::string out(Size, '\0');
  Digest(&ctx, Size, reinterpret_cast<std::uint8_t*>(out.data()));
  return out;
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

std::string sha256_raw(std::initializer_list<ByteView> parts) {
  return digest<sha256_ctx, sha256_init, sha256_update, sha256_digest, SHA256_DIGEST_SIZE>(parts);
}
std::string sha1_raw(std::initializer_list<ByteView> parts) {
  return digest<sha1_ctx, sha1_init, sha1_update, sha1_digest, SHA1_DIGEST_SIZE>(parts);
}
std::string md5_raw(std::initializer_list<ByteView> parts) {
  return digest<md5_ctx, md5_init, md5_update, md5_digest, MD5_DIGEST_SIZE>(parts);
}
std::string sha256_raw(ByteView data) { return sha256_raw({data}); }
std::string sha256_hex(ByteView data) { return hex(sha256_raw({data})); }
std::string sha1_hex(ByteView data) { return hex(sha1_raw({data})); }
std::string md5_hex(ByteView data) { return hex(md5_raw({data})); }

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
