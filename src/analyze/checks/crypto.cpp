// Keys and certificates shipped in the image (facts from the crypto extractor). A private key in
// a firmware image is on every unit that runs it: whoever extracts it from one device, or from
// the download, can impersonate all of them or decrypt their traffic.
#include <algorithm>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analyze/analyzer.hpp"

namespace iotaudit::analyze {

namespace {

std::string_view basename(std::string_view p) {
  auto s = p.rfind('/');
  return s == std::string_view::npos ? p : p.substr(s + 1);
}

bool is_host_key(const PrivateKey& k) {
  std::string_view name = basename(k.path);
  if (k.path.starts_with("/etc/dropbear/") || k.path.find("/dropbear/") != std::string::npos) return true;
  if (name.starts_with("ssh_host_") && name.ends_with("_key")) return true;
  if (name.find("host_key") != std::string_view::npos) return true;
  // dropbear's own format is used for host keys; its client keys are named id_dropbear.
  return k.format == "dropbear" && !name.starts_with("id_");
}

std::string format_name(std::string_view f) {
  if (f == "pem-pkcs8") return "PKCS#8";
  if (f == "pem-pkcs1") return "PKCS#1";
  if (f == "pem-ec") return "SEC1";
  if (f == "pem-dsa") return "traditional DSA";
  if (f == "pem-openssh" || f == "openssh") return "openssh-key-v1";
  if (f == "dropbear") return "dropbear";
  if (f == "der") return "DER";
  if (f == "pkcs12") return "PKCS#12";
  return std::string(f);
}

std::string type_name(std::string_view t) {
  if (t == "rsa") return "RSA";
  if (t == "ec") return "EC";
  if (t == "dsa") return "DSA";
  if (t == "ed25519") return "Ed25519";
  if (t.empty()) return "unknown type";
  return std::string(t);
}

std::string key_summary(const PrivateKey& k) {
  std::string what = k.bits ? fmt::format("{} {} bits", type_name(k.type), k.bits) : type_name(k.type);
  if (k.encrypted) what = fmt::format("encrypted, {}", what);
  return fmt::format("{}, {}", what, format_name(k.format));
}

// Never the key material: the armour line (or the binary format's name) and what it holds.
std::string key_excerpt(const PrivateKey& k) {
  if (k.format.starts_with("pem-")) return fmt::format("-----BEGIN {}----- ({})", k.label, key_summary(k));
  if (k.format == "dropbear") return fmt::format("dropbear {} key ({})", k.label, key_summary(k));
  return fmt::format("{} key ({})", format_name(k.format), key_summary(k));
}

std::string cert_excerpt(const Certificate& c) {
  std::string head = c.format == "pem" ? "-----BEGIN CERTIFICATE-----" : fmt::format("{} certificate", c.format);
  return fmt::format("{} (subject {}, {}, valid {} to {})", head, c.subject.empty() ? "(empty)" : c.subject,
                     c.signature_algorithm.empty() ? "unknown signature" : c.signature_algorithm, c.not_before,
                     c.not_after);
}

// A stable subject for the fingerprint: the block's offset, and its position among blocks at the
// same offset (a PKCS#12 file yields several).
template <class T>
std::vector<std::string> subjects_of(const std::vector<T>& list) {
  std::vector<std::string> out(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    unsigned ordinal = 0;
    for (std::size_t j = i; j-- > 0 && list[j].node == list[i].node && list[j].offset == list[i].offset;) ++ordinal;
    out[i] = ordinal ? fmt::format("{}#{}", list[i].offset, ordinal) : std::to_string(list[i].offset);
  }
  return out;
}

Evidence key_evidence(const Tree& t, const PrivateKey& k, const Certificate* cert) {
  Evidence e = evidence_at(t, k.node);
  e.path = k.path;
  e.offset = k.offset;
  e.length = k.length;
  e.excerpt = key_excerpt(k);
  e.facts["key_type"] = k.type.empty() ? "unknown" : k.type;
  if (k.bits) e.facts["bits"] = std::to_string(k.bits);
  e.facts["format"] = k.format;
  e.facts["encrypted"] = k.encrypted ? "true" : "false";
  if (!k.public_fingerprint.empty()) e.facts["fingerprint"] = k.public_fingerprint;
  if (cert != nullptr) e.facts["certificate"] = cert->path;
  return e;
}

Evidence cert_evidence(const Tree& t, const Certificate& c) {
  Evidence e = evidence_at(t, c.node);
  e.path = c.path;
  e.offset = c.offset;
  e.length = c.length;
  e.excerpt = cert_excerpt(c);
  e.facts["subject"] = c.subject;
  if (!c.subject_cn.empty()) e.facts["subject_cn"] = c.subject_cn;
  e.facts["issuer"] = c.issuer;
  e.facts["not_before"] = c.not_before;
  e.facts["not_after"] = c.not_after;
  e.facts["self_signed"] = c.self_signed ? "true" : "false";
  e.facts["signature_algorithm"] = c.signature_algorithm;
  if (!c.signature_hash.empty()) e.facts["signature_hash"] = c.signature_hash;
  e.facts["key_type"] = c.key_type.empty() ? "unknown" : c.key_type;
  if (c.key_bits) e.facts["bits"] = std::to_string(c.key_bits);
  e.facts["format"] = c.format;
  if (!c.public_fingerprint.empty()) e.facts["fingerprint"] = c.public_fingerprint;
  return e;
}

// Certificates of a trust store (a CA bundle, the ca-certificates tree, a vendor's copy of a root
// CA): anchors the device uses to verify others, not an identity it presents. Their
// self-signatures are never checked by a verifier, and an expired anchor only stops verifying.
// A self-signed CA certificate counts as one unless its private key is in the image too (then it
// is the device's own, as `openssl req -x509` makes them).
bool trust_anchor(const Certificate& c, const Facts& facts) {
  if (c.path.find("/ca-certificates") != std::string::npos || c.path.find("ca-bundle") != std::string::npos ||
      c.path.find("cacert") != std::string::npos)
    return true;
  bool key_in_file = false, key_in_image = false;
  for (const auto& k : facts.keys) {
    key_in_file = key_in_file || k.node == c.node;
    key_in_image = key_in_image || (!k.public_fingerprint.empty() && k.public_fingerprint == c.public_fingerprint);
  }
  if (c.ca && c.self_signed && !key_in_image) return true;
  return c.in_file > 1 && !key_in_file;
}

// The certificate that carries the key's public half: one in the same file first, then one that is
// not part of a trust store, then one on the same filesystem.
const Certificate* certificate_for(const PrivateKey& k, const Facts& facts) {
  if (k.public_fingerprint.empty()) return nullptr;
  const Certificate* best = nullptr;
  int best_score = -1;
  for (const auto& c : facts.certificates) {
    if (c.public_fingerprint != k.public_fingerprint) continue;
    int score = (c.node == k.node ? 4 : 0) + (trust_anchor(c, facts) ? 0 : 2) + (c.fs_root == k.fs_root ? 1 : 0);
    if (score > best_score) {
      best = &c;
      best_score = score;
    }
  }
  return best;
}

Finding key_finding(Context& ctx, const PrivateKey& k, const Certificate* cert, std::string_view subject,
                    bool host) {
  Finding f;
  f.check_id = host ? "crypto.ssh_host_key" : "crypto.private_key";
  if (host) {
    f.title = fmt::format("SSH host key {} ships in the image ({})", k.path, key_summary(k));
    f.severity = Severity::high;
    f.description = fmt::format(
        "{} is an SSH host private key ({}). Every unit running this firmware has the same host identity: "
        "anyone who extracts the key from one device or from the firmware download can impersonate any "
        "unit to its SSH clients and, with a static key exchange, read their sessions.",
        k.path, key_summary(k));
    f.remediation = "Do not ship host keys: generate them on each device at first boot (dropbear -R, "
                    "dropbearkey or ssh-keygen -A from an init script) and keep them out of the firmware image.";
  } else {
    f.title = fmt::format("{}private key {} ships in the image ({})", k.encrypted ? "Encrypted " : "", k.path,
                          key_summary(k));
    f.severity = k.encrypted ? Severity::medium : Severity::high;
    std::string use = cert != nullptr ? fmt::format(" It belongs to the certificate {}.", cert->path) : "";
    f.description =
        k.encrypted
            ? fmt::format(
                  "{} is a passphrase-protected private key ({}). The device must unlock it without a user, so "
                  "the passphrase is almost certainly in the image too: the key is then shared by every unit "
                  "as if it were in the clear.{}",
                  k.path, key_summary(k), use)
            : fmt::format(
                  "{} is an unencrypted private key ({}). Every unit running this firmware shares it: whoever "
                  "extracts it from one device or from the firmware download can impersonate any unit (TLS "
                  "server, client authentication) or decrypt traffic protected by it.{}",
                  k.path, key_summary(k), use);
    f.remediation = "Ship no private keys: generate a key pair on each device at first boot or during "
                    "manufacturing (ideally in a secure element), and provision a per-device certificate.";
  }
  f.evidence.push_back(key_evidence(ctx.tree, k, cert));
  f.fingerprint = fingerprint(f.check_id, k.logical_path, subject);
  return f;
}

}  // namespace

CheckOutput check_private_keys(Context& ctx, const Facts& facts) {
  CheckOutput out;
  auto subjects = subjects_of(facts.keys);
  for (std::size_t i = 0; i < facts.keys.size(); ++i) {
    const PrivateKey& k = facts.keys[i];
    if (is_host_key(k)) continue;
    ++out.run.subjects;
    const Certificate* cert = certificate_for(k, facts);
    out.findings.push_back(key_finding(ctx, k, cert, subjects[i], false));
  }
  return out;
}

CheckOutput check_ssh_host_keys(Context& ctx, const Facts& facts) {
  CheckOutput out;
  auto subjects = subjects_of(facts.keys);
  for (std::size_t i = 0; i < facts.keys.size(); ++i) {
    const PrivateKey& k = facts.keys[i];
    if (!is_host_key(k)) continue;
    ++out.run.subjects;
    out.findings.push_back(key_finding(ctx, k, nullptr, subjects[i], true));
  }
  return out;
}

namespace {
// Below NIST SP 800-57 / BSI TR-02102 minimums (112-bit security): RSA and DSA under 2048 bits,
// EC under 224. Very short ones are practically breakable.
std::optional<Severity> weak_bits(std::string_view type, unsigned bits) {
  if (bits == 0) return std::nullopt;
  if (type == "rsa" || type == "dsa") {
    if (bits < 1024) return Severity::high;
    if (bits < 2048) return Severity::medium;
  } else if (type == "ec") {
    if (bits < 160) return Severity::high;
    if (bits < 224) return Severity::medium;
  }
  return std::nullopt;
}
std::optional<Severity> weak_hash(std::string_view hash) {
  if (hash == "md5" || hash == "md4" || hash == "md2") return Severity::high;
  if (hash == "sha1") return Severity::medium;
  return std::nullopt;
}
}  // namespace

CheckOutput check_weak_keys(Context& ctx, const Facts& facts) {
  CheckOutput out;
  std::set<std::string> private_fingerprints;
  auto key_subjects = subjects_of(facts.keys);
  for (std::size_t i = 0; i < facts.keys.size(); ++i) {
    const PrivateKey& k = facts.keys[i];
    ++out.run.subjects;
    if (!k.public_fingerprint.empty()) private_fingerprints.insert(k.public_fingerprint);
    auto sev = weak_bits(k.type, k.bits);
    if (!sev) continue;
    const Certificate* cert = certificate_for(k, facts);
    Finding f;
    f.check_id = "crypto.weak_key";
    f.title = fmt::format("Weak {} key of {} bits in {}", type_name(k.type), k.bits, k.path);
    f.severity = *sev;
    f.description = fmt::format(
        "{} holds a {} private key of {} bits ({}), below the 112-bit security level current guidance asks "
        "for (RSA/DSA 2048 bits, EC 224 bits).{}",
        k.path, type_name(k.type), k.bits, format_name(k.format),
        cert != nullptr ? fmt::format(" Its certificate is {} ({}).", cert->path, cert->signature_algorithm) : "");
    f.remediation = "Use RSA keys of at least 2048 bits (3072 for use beyond 2030), EC P-256 or Ed25519, "
                    "generated on the device.";
    Evidence e = key_evidence(ctx.tree, k, cert);
    if (cert != nullptr) e.facts["certificate_signature"] = cert->signature_algorithm;
    f.evidence.push_back(std::move(e));
    f.fingerprint = fingerprint(f.check_id, k.logical_path, key_subjects[i]);
    out.findings.push_back(std::move(f));
  }
  auto cert_subjects = subjects_of(facts.certificates);
  for (std::size_t i = 0; i < facts.certificates.size(); ++i) {
    const Certificate& c = facts.certificates[i];
    ++out.run.subjects;
    bool anchor = trust_anchor(c, facts);
    // A trust anchor's self-signature is never verified, so its hash does not matter.
    auto hash_sev = anchor && c.self_signed ? std::nullopt : weak_hash(c.signature_hash);
    // A weak key with its private half in the image is reported above, once.
    auto key_sev = private_fingerprints.count(c.public_fingerprint) != 0 ? std::nullopt
                                                                          : weak_bits(c.key_type, c.key_bits);
    if (!hash_sev && !key_sev) continue;
    std::vector<std::string> why;
    if (hash_sev) why.push_back(fmt::format("signed with {} ({})", c.signature_hash, c.signature_algorithm));
    if (key_sev) why.push_back(fmt::format("a {} public key of {} bits", type_name(c.key_type), c.key_bits));
    Finding f;
    f.check_id = "crypto.weak_key";
    f.title = fmt::format("Certificate {} uses weak cryptography ({})", c.path,
                          fmt::join(why, ", "));
    f.severity = std::max(hash_sev.value_or(Severity::info), key_sev.value_or(Severity::info));
    f.description = fmt::format(
        "The certificate {} (subject {}) is {}. MD5 and SHA-1 signatures can be forged with chosen-prefix "
        "collisions, and RSA/DSA keys under 2048 bits or EC keys under 224 bits fall short of the 112-bit "
        "security level current guidance asks for.",
        c.path, c.subject, fmt::join(why, " and "));
    f.remediation = "Issue certificates signed with SHA-256 or stronger over keys of at least 2048 bits (RSA) "
                    "or 224 bits (EC), per device.";
    f.evidence.push_back(cert_evidence(ctx.tree, c));
    f.fingerprint = fingerprint(f.check_id, c.logical_path, "cert@" + cert_subjects[i]);
    out.findings.push_back(std::move(f));
  }
  return out;
}

CheckOutput check_expired_certificates(Context& ctx, const Facts& facts) {
  CheckOutput out;
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  auto subjects = subjects_of(facts.certificates);
  for (std::size_t i = 0; i < facts.certificates.size(); ++i) {
    const Certificate& c = facts.certificates[i];
    ++out.run.subjects;
    if (c.not_after.empty() || c.not_before.empty()) continue;
    bool expired = c.not_after_epoch < now;
    bool early = c.not_before_epoch > now;
    if (!expired && !early) continue;
    bool anchor = trust_anchor(c, facts);
    Finding f;
    f.check_id = "crypto.expired_certificate";
    f.severity = anchor ? Severity::low : Severity::medium;
    std::string who = c.subject_cn.empty() ? c.subject : c.subject_cn;
    if (expired) {
      f.title = fmt::format("Certificate {} ({}) expired on {}", c.path, who, c.not_after);
      f.description = fmt::format(
          "The certificate {} (subject {}) was valid from {} to {}. Peers that check validity reject it, "
          "and clients told to accept it anyway learn to ignore certificate errors.{}",
          c.path, c.subject, c.not_before, c.not_after,
          anchor ? " It is part of a trust store: an expired anchor no longer verifies anything." : "");
    } else {
      f.title = fmt::format("Certificate {} ({}) is not valid before {}", c.path, who, c.not_before);
      f.description = fmt::format(
          "The certificate {} (subject {}) only becomes valid on {} (until {}); until then peers reject it.",
          c.path, c.subject, c.not_before, c.not_after);
    }
    f.remediation = "Ship certificates that are valid for the support period, renew them through a secure "
                    "update or enrolment mechanism, and generate device certificates per unit.";
    Evidence e = cert_evidence(ctx.tree, c);
    e.facts["status"] = expired ? "expired" : "not_yet_valid";
    f.evidence.push_back(std::move(e));
    f.fingerprint = fingerprint(f.check_id, c.logical_path, subjects[i]);
    out.findings.push_back(std::move(f));
  }
  return out;
}

extern const CheckInfo check_private_keys_info;  // listed in checks.def
const CheckInfo check_private_keys_info{
    "crypto.private_key", "Private key shipped in the image",
    "Private keys (PEM, DER, PKCS#12, openssh-key-v1) in files of the image other than SSH host keys; "
    "encrypted ones too, since the device needs the passphrase to use them.",
    {"keys inside ELF binaries, compressed blobs the unpacker cannot open, or files over 1 MiB are not examined",
     "encrypted PKCS#12 containers are reported without key type; a PKCS#12 password other than the empty one "
     "is not tried",
     "whether the key is generated or replaced at first boot is not known from the image"},
    &check_private_keys};

extern const CheckInfo check_ssh_host_keys_info;  // listed in checks.def
const CheckInfo check_ssh_host_keys_info{
    "crypto.ssh_host_key", "SSH host key shipped in the image",
    "dropbear and OpenSSH host private keys (/etc/dropbear/*, ssh_host_*_key, files in dropbear's format) "
    "present in the image, so every unit has the same SSH host identity.",
    {"an init script that regenerates the keys at first boot is not yet taken into account"},
    &check_ssh_host_keys};

extern const CheckInfo check_weak_keys_info;  // listed in checks.def
const CheckInfo check_weak_keys_info{
    "crypto.weak_key", "Weak key or certificate signature",
    "RSA and DSA keys under 2048 bits, EC keys under 224 bits (private keys, and certificate keys whose "
    "private half is not in the image), and certificates signed with MD5 or SHA-1.",
    {"self-signed certificates of trust stores (CA bundles, self-signed CA certificates whose key is not in the "
     "image) are not judged by their signature hash",
     "key generation quality (shared primes, low entropy) is not tested"},
    &check_weak_keys};

extern const CheckInfo check_expired_certificates_info;  // listed in checks.def
const CheckInfo check_expired_certificates_info{
    "crypto.expired_certificate", "Expired or not yet valid certificate",
    "X.509 certificates whose validity period ended before the scan (or starts after it); certificates "
    "of trust stores are reported at low severity.",
    {"validity is judged at the scan time, not at the firmware's release date"},
    &check_expired_certificates};

}  // namespace iotaudit::analyze
