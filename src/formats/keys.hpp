#pragma once
// Private keys and X.509 certificates in hostile bytes: PEM blocks (every one in a buffer, up to a
// cap), DER (PKCS#8, traditional RSA/EC/DSA, X.509), PKCS#12 with an empty password, dropbear host
// keys and OpenSSH openssh-key-v1 keys. ASN.1 is left to OpenSSL; the SSH wire formats are parsed
// here, every length checked against the bytes that remain. Pure: bytes in, descriptions out; a
// block that does not parse (placeholder text, garbage between the armour lines) yields nothing.
#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace iotaudit::formats {

struct KeyLimits {
  std::size_t max_bytes = std::size_t{1} << 20;  // bytes of a buffer examined
  unsigned max_blocks = 64;                       // PEM blocks parsed per buffer
};

struct ParsedKey {
  std::uint64_t offset = 0, length = 0;  // extent of the block in the buffer
  std::string format;  // pem-pkcs1, pem-pkcs8, pem-ec, pem-dsa, pem-openssh, openssh, dropbear, der, pkcs12
  std::string label;   // PEM label, or the binary format's key type name ("ssh-rsa")
  std::string type;    // rsa, ec, ed25519, ed448, dsa, x25519, x448, dh; empty when unknown
  unsigned bits = 0;
  bool encrypted = false;
  std::string public_fingerprint;  // see ssh_fingerprint / public_key_fingerprint
};

struct ParsedCertificate {
  std::uint64_t offset = 0, length = 0;
  std::string format;  // pem, der, pkcs12
  std::string subject, issuer, subject_cn;
  std::string not_before, not_after;  // ISO 8601 UTC
  std::int64_t not_before_epoch = 0, not_after_epoch = 0;
  bool self_signed = false, ca = false;
  std::string key_type;
  unsigned key_bits = 0;
  std::string signature_algorithm, signature_hash;
  std::string public_fingerprint;
};

struct KeyMaterial {
  std::vector<ParsedKey> keys;
  std::vector<ParsedCertificate> certificates;
  unsigned blocks = 0;   // PEM blocks looked at
  bool capped = false;   // more blocks (or bytes) than the limits allow
};

// Everything recognisable in `data`: every PEM block; when there is none, the whole buffer as
// dropbear, openssh-key-v1, DER or PKCS#12.
KeyMaterial scan_key_material(ByteView data, const KeyLimits& limits = {});

// True when the buffer starts like a dropbear key file (a known key type name as an SSH string).
bool looks_like_dropbear(ByteView data);
// dropbear's host key file: SSH string key type, then the public and private numbers.
Result<ParsedKey> parse_dropbear_key(ByteView data);
// openssh-key-v1 (the binary inside "-----BEGIN OPENSSH PRIVATE KEY-----"). Encrypted keys are
// described from their public half, which is stored in the clear. Returns the first key.
Result<ParsedKey> parse_openssh_key(ByteView data);
// An SSH public key blob (string type, then the type's fields): type, bits and fingerprint.
Result<ParsedKey> parse_ssh_public_blob(ByteView blob);
// "SHA256:" and the unpadded base64 of SHA-256 over `blob`, as ssh-keygen -l prints it.
std::string ssh_fingerprint(ByteView blob);
// Strict base64 (whitespace ignored); nothing on any other character or bad padding.
Result<std::vector<std::uint8_t>> base64_decode(std::string_view text, std::size_t max_out);

}  // namespace iotaudit::formats
