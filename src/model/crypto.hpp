#pragma once
// Keys and certificates found in the tree: observations only (what the bytes are), no judgment.
// Public fingerprints are computed the same way for keys and certificates, so a key can be paired
// with the certificate that carries its public half.
#include <cstdint>
#include <string>

#include "model/tree.hpp"

namespace iotaudit {

struct PrivateKey {
  NodeId node = kNoNode;
  NodeId fs_root = kNoNode;
  std::string path;             // as the device sees it ("/etc/ssl/private/device.key")
  std::string logical_path;     // where it sits in the image, for stable ordering and fingerprints
  std::uint64_t offset = 0;     // first byte of the block inside the file
  std::uint64_t length = 0;     // bytes of the block (PEM armour included)
  // pem-pkcs1, pem-pkcs8, pem-ec, pem-dsa, pem-openssh, dropbear, openssh, der, pkcs12
  std::string format;
  std::string type;             // rsa, ec, ed25519, ed448, dsa, x25519, ...; empty when encrypted
  unsigned bits = 0;            // 0 when unknown (encrypted without a readable public half)
  bool encrypted = false;
  std::string label;            // PEM label ("PRIVATE KEY") or a short name of the binary format
  // "SHA256:<base64>" of the OpenSSH public key blob (rsa, dsa, ecdsa nistp*, ed25519) or, for
  // other key types, of the DER SubjectPublicKeyInfo. Empty when unknown.
  std::string public_fingerprint;
};

struct Certificate {
  NodeId node = kNoNode;
  NodeId fs_root = kNoNode;
  std::string path;
  std::string logical_path;
  std::uint64_t offset = 0, length = 0;
  std::string format;           // pem, der, pkcs12
  std::string subject, issuer;  // RFC 2253, truncated to a sane length
  std::string subject_cn;
  std::string not_before, not_after;  // ISO 8601 UTC ("2019-03-01T00:00:00Z")
  std::int64_t not_before_epoch = 0, not_after_epoch = 0;
  bool self_signed = false;     // issuer and subject (and key identifiers) agree
  bool ca = false;              // basicConstraints CA:TRUE
  unsigned in_file = 1;         // certificates in the same file (a trust bundle holds many)
  std::string key_type;
  unsigned key_bits = 0;
  std::string signature_algorithm;  // "sha1WithRSAEncryption"
  std::string signature_hash;       // "sha1", "md5", "sha256"; empty for ed25519 and unknown
  std::string public_fingerprint;
};

}  // namespace iotaudit
