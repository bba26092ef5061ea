#include "formats/keys.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "core/hash.hpp"
#include "core/text.hpp"

namespace iotaudit::formats {

namespace {

// Work caps for hostile inputs beyond what the byte limits bound.
constexpr std::size_t kMaxSshString = 64 * 1024;  // any field of an SSH key blob
constexpr std::size_t kMaxMpintBytes = 2048;      // 16384-bit numbers; larger ones are not keys
constexpr std::uint32_t kMaxOpensshKeys = 16;
// A PBKDF2 or PKCS#12 KDF iteration count is chosen by whoever wrote the file, and OpenSSL cannot
// be interrupted while it derives a key: counts above this are not tried (OpenSSL and most tools
// use 2048-10000), and a file gets a few derivations at most (MAC, encrypted safe, shrouded keys).
// The empty-password attempt is a courtesy, not a promise.
constexpr long kMaxPbeIterations = 100'000;
constexpr int kMaxPkcs12Bags = 32;
constexpr int kMaxPkcs12Derivations = 6;
constexpr std::size_t kMaxNameChars = 512;

struct BioFree { void operator()(BIO* p) const { BIO_free(p); } };
struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Free { void operator()(X509* p) const { X509_free(p); } };
struct P8Free { void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); } };
struct SigFree { void operator()(X509_SIG* p) const { X509_SIG_free(p); } };
struct P12Free { void operator()(PKCS12* p) const { PKCS12_free(p); } };
struct BnFree { void operator()(BIGNUM* p) const { BN_free(p); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

// OpenSSL leaves an error queue per thread; a failed parse must not leave it to whoever calls
// OpenSSL next on this thread.
struct ClearErrors {
  ~ClearErrors() { ERR_clear_error(); }
};

// ---- SSH wire format -------------------------------------------------------------------------

struct SshReader {
  ByteView data;
  std::size_t pos = 0;

  [[nodiscard]] std::size_t remaining() const { return data.size() - pos; }
  Result<std::uint32_t> u32() {
    if (remaining() < 4) return fail(Errc::truncated, "ssh: uint32 beyond end");
    std::uint32_t v = load_endian<std::uint32_t>(data.data() + pos, Endian::big);
    pos += 4;
    return v;
  }
  Result<ByteView> string(std::size_t max = kMaxSshString) {
    ASSIGN_OR_RETURN(std::uint32_t n, u32());
    if (n > remaining()) return fail(Errc::truncated, "ssh: string longer than the data left");
    if (n > max) return fail(Errc::limit, "ssh: string longer than any key field");
    ByteView v(data.data() + pos, n);
    pos += n;
    return v;
  }
  Result<ByteView> mpint() { return string(kMaxMpintBytes + 1); }
};

unsigned mpint_bits(ByteView m) {
  std::size_t i = 0;
  while (i < m.size() && m.data()[i] == 0) ++i;
  if (i == m.size()) return 0;
  unsigned top = m.data()[i], b = 0;
  while (top) {
    ++b;
    top >>= 1;
  }
  return static_cast<unsigned>((m.size() - i - 1) * 8) + b;
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
void put_string(std::vector<std::uint8_t>& out, ByteView v) {
  put_u32(out, static_cast<std::uint32_t>(v.size()));
  out.insert(out.end(), v.data(), v.data() + v.size());
}
void put_string(std::vector<std::uint8_t>& out, std::string_view s) { put_string(out, ByteView(s)); }
void put_mpint(std::vector<std::uint8_t>& out, const BIGNUM* bn) {
  std::vector<std::uint8_t> b(static_cast<std::size_t>(BN_num_bytes(bn)));
  if (!b.empty()) BN_bn2bin(bn, b.data());
  if (!b.empty() && (b[0] & 0x80)) b.insert(b.begin(), 0);
  put_string(out, ByteView(b.data(), b.size()));
}

std::string base64_encode(const std::uint8_t* p, std::size_t n, bool pad) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(std::max(len, 0)));
  if (!pad)
    while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

std::string sha256_fingerprint(ByteView blob) {
  const std::string md = sha256_raw(blob);
  return "SHA256:" + base64_encode(reinterpret_cast<const unsigned char*>(md.data()), md.size(), false);
}

// ---- OpenSSL key and certificate descriptions ------------------------------------------------

std::string key_type_name(const EVP_PKEY* pk) {
  switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: return "rsa";
    case EVP_PKEY_EC: return "ec";
    case EVP_PKEY_DSA: return "dsa";
    case EVP_PKEY_ED25519: return "ed25519";
    case EVP_PKEY_ED448: return "ed448";
    case EVP_PKEY_X25519: return "x25519";
    case EVP_PKEY_X448: return "x448";
    case EVP_PKEY_DH:
    case EVP_PKEY_DHX: return "dh";
    default: break;
  }
  const char* n = EVP_PKEY_get0_type_name(pk);
  return ascii_lower(n != nullptr ? n : "unknown");
}

std::optional<BnPtr> bn_param(const EVP_PKEY* pk, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pk, name, &bn) != 1 || bn == nullptr) return std::nullopt;
  return BnPtr(bn);
}

// The OpenSSH public key blob where OpenSSH has one for the key type, so a TLS key's fingerprint
// can be compared with ssh-keygen's; the DER SubjectPublicKeyInfo for every other type.
std::string public_key_fingerprint(const EVP_PKEY* pk) {
  std::vector<std::uint8_t> blob;
  switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_RSA: {
      auto n = bn_param(pk, OSSL_PKEY_PARAM_RSA_N), e = bn_param(pk, OSSL_PKEY_PARAM_RSA_E);
      if (n && e) {
        put_string(blob, std::string_view("ssh-rsa"));
        put_mpint(blob, e->get());
        put_mpint(blob, n->get());
      }
      break;
    }
    case EVP_PKEY_DSA: {
      auto p = bn_param(pk, OSSL_PKEY_PARAM_FFC_P), q = bn_param(pk, OSSL_PKEY_PARAM_FFC_Q),
           g = bn_param(pk, OSSL_PKEY_PARAM_FFC_G), y = bn_param(pk, OSSL_PKEY_PARAM_PUB_KEY);
      if (p && q && g && y) {
        put_string(blob, std::string_view("ssh-dss"));
        for (const auto* bn : {p->get(), q->get(), g->get(), y->get()}) put_mpint(blob, bn);
      }
      break;
    }
    case EVP_PKEY_ED25519: {
      std::array<std::uint8_t, 32> raw{};
      std::size_t len = raw.size();
      if (EVP_PKEY_get_raw_public_key(pk, raw.data(), &len) == 1 && len == raw.size()) {
        put_string(blob, std::string_view("ssh-ed25519"));
        put_string(blob, ByteView(raw.data(), raw.size()));
      }
      break;
    }
    case EVP_PKEY_EC: {
      char group[64] = {};
      std::size_t glen = 0;
      if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) != 1) break;
      std::string_view g(group, glen), curve;
      if (g == "prime256v1" || g == "P-256") curve = "nistp256";
      else if (g == "secp384r1" || g == "P-384") curve = "nistp384";
      else if (g == "secp521r1" || g == "P-521") curve = "nistp521";
      else break;
      std::array<std::uint8_t, 160> point{};
      std::size_t plen = 0;
      if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(), point.size(),
                                          &plen) != 1 ||
          plen == 0 || point[0] != 0x04)
        break;  // compressed points have no OpenSSH form
      put_string(blob, fmt::format("ecdsa-sha2-{}", curve));
      put_string(blob, curve);
      put_string(blob, ByteView(point.data(), plen));
      break;
    }
    default: break;
  }
  if (blob.empty()) {
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(pk, &der);
    if (len <= 0) return {};
    blob.assign(der, der + len);
    OPENSSL_free(der);
  }
  return sha256_fingerprint(ByteView(blob.data(), blob.size()));
}

void describe_pkey(const EVP_PKEY* pk, ParsedKey& k) {
  k.type = key_type_name(pk);
  int bits = EVP_PKEY_get_bits(pk);
  k.bits = bits > 0 ? static_cast<unsigned>(bits) : 0;
  k.public_fingerprint = public_key_fingerprint(pk);
}

std::string name_string(const X509_NAME* name) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || name == nullptr) return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  if (n <= 0 || p == nullptr) return {};
  return std::string(p, std::min<std::size_t>(static_cast<std::size_t>(n), kMaxNameChars));
}

std::string common_name(const X509_NAME* name) {
  int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (i < 0) return {};
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0 || utf8 == nullptr) return {};
  std::string out(reinterpret_cast<char*>(utf8), std::min<std::size_t>(static_cast<std::size_t>(n), kMaxNameChars));
  OPENSSL_free(utf8);
  return out;
}

bool asn1_time(const ASN1_TIME* t, std::string& iso, std::int64_t& epoch) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return false;
  epoch = static_cast<std::int64_t>(timegm(&tm));
  iso = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                    tm.tm_hour, tm.tm_min, tm.tm_sec);
  return true;
}


ParsedCertificate describe_certificate(X509* x) {
  ParsedCertificate c;
  c.subject = name_string(X509_get_subject_name(x));
  c.issuer = name_string(X509_get_issuer_name(x));
  c.subject_cn = common_name(X509_get_subject_name(x));
  asn1_time(X509_get0_notBefore(x), c.not_before, c.not_before_epoch);
  asn1_time(X509_get0_notAfter(x), c.not_after, c.not_after_epoch);
  // Without verifying the signature: names (and key identifiers) agree. Verifying would cost a
  // public-key operation of a size the file chooses, and says nothing more about the image.
  c.self_signed = X509_self_signed(x, 0) == 1;
  c.ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
  int sig = X509_get_signature_nid(x);
  if (sig != NID_undef) {
    c.signature_algorithm = OBJ_nid2ln(sig);
    int md = NID_undef, pk = NID_undef;
    if (OBJ_find_sigid_algs(sig, &md, &pk) == 1 && md != NID_undef) c.signature_hash = ascii_lower(OBJ_nid2sn(md));
  } else {
    const X509_ALGOR* alg = nullptr;
    X509_get0_signature(nullptr, &alg, x);
    if (alg != nullptr) {
      char buf[80];
      const ASN1_OBJECT* obj = nullptr;
      X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
      if (obj != nullptr && OBJ_obj2txt(buf, sizeof buf, obj, 1) > 0) c.signature_algorithm = buf;
    }
  }
  if (EVP_PKEY* pk = X509_get0_pubkey(x)) {
    c.key_type = key_type_name(pk);
    int bits = EVP_PKEY_get_bits(pk);
    c.key_bits = bits > 0 ? static_cast<unsigned>(bits) : 0;
    c.public_fingerprint = public_key_fingerprint(pk);
  }
  return c;
}

// ---- DER -------------------------------------------------------------------------------------

const unsigned char* uchars(ByteView v) { return v.data(); }
long slen(ByteView v) { return static_cast<long>(v.size()); }

std::optional<ParsedCertificate> der_certificate(ByteView der, bool trusted) {
  const unsigned char* p = uchars(der);
  X509Ptr x(trusted ? d2i_X509_AUX(nullptr, &p, slen(der)) : d2i_X509(nullptr, &p, slen(der)));
  if (!x) return std::nullopt;
  return describe_certificate(x.get());
}

std::optional<ParsedKey> der_pkcs8(ByteView der) {
  const unsigned char* p = uchars(der);
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, P8Free> p8(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, slen(der)));
  if (!p8) return std::nullopt;
  PkeyPtr pk(EVP_PKCS82PKEY(p8.get()));
  if (!pk) return std::nullopt;
  ParsedKey k;
  describe_pkey(pk.get(), k);
  return k;
}

// The iteration count of a password-based encryption algorithm, or nothing when it is not one
// OpenSSL would run with a bounded KDF (PBES2 with PBKDF2, or a PKCS#5 v1 / PKCS#12 PBE).
std::optional<long> pbe_iterations(const X509_ALGOR* alg) {
  if (alg == nullptr) return std::nullopt;
  const ASN1_OBJECT* obj = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&obj, &ptype, &pval, alg);
  if (ptype != V_ASN1_SEQUENCE || pval == nullptr) return std::nullopt;
  ASN1_TYPE param{};
  param.type = V_ASN1_SEQUENCE;
  param.value.sequence = const_cast<ASN1_STRING*>(static_cast<const ASN1_STRING*>(pval));
  long iter = -1;
  int nid = OBJ_obj2nid(obj);
  if (nid == NID_pbes2) {
    auto* p2 = static_cast<PBE2PARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), &param));
    if (p2 == nullptr) return std::nullopt;
    if (p2->keyfunc != nullptr && OBJ_obj2nid(p2->keyfunc->algorithm) == NID_id_pbkdf2 &&
        p2->keyfunc->parameter != nullptr) {
      auto* kdf = static_cast<PBKDF2PARAM*>(
          ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), p2->keyfunc->parameter));
      if (kdf != nullptr) {
        iter = kdf->iter != nullptr ? ASN1_INTEGER_get(kdf->iter) : -1;
        PBKDF2PARAM_free(kdf);
      }
    }
    PBE2PARAM_free(p2);
  } else if (EVP_PBE_find(EVP_PBE_TYPE_OUTER, nid, nullptr, nullptr, nullptr) == 1) {
    auto* pbe = static_cast<PBEPARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), &param));
    if (pbe == nullptr) return std::nullopt;
    iter = pbe->iter != nullptr ? ASN1_INTEGER_get(pbe->iter) : -1;
    PBEPARAM_free(pbe);
  }
  if (iter < 1) return std::nullopt;
  return iter;
}

bool is_pbe(const X509_ALGOR* alg) {
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  int nid = OBJ_obj2nid(obj);
  return nid == NID_pbes2 || EVP_PBE_find(EVP_PBE_TYPE_OUTER, nid, nullptr, nullptr, nullptr) == 1;
}

// An EncryptedPrivateKeyInfo: only accepted with a password-based algorithm, since the structure
// alone (algorithm, octet string) fits many unrelated DER objects.
bool der_encrypted_pkcs8(ByteView der) {
  const unsigned char* p = uchars(der);
  std::unique_ptr<X509_SIG, SigFree> sig(d2i_X509_SIG(nullptr, &p, slen(der)));
  if (!sig) return false;
  const X509_ALGOR* alg = nullptr;
  X509_SIG_get0(sig.get(), &alg, nullptr);
  return alg != nullptr && is_pbe(alg);
}

std::optional<ParsedKey> der_traditional(ByteView der, int type) {
  const unsigned char* p = uchars(der);
  PkeyPtr pk(d2i_PrivateKey(type, nullptr, &p, slen(der)));
  if (!pk) return std::nullopt;
  ParsedKey k;
  describe_pkey(pk.get(), k);
  return k;
}

// The length a DER SEQUENCE at the start declares (header included), when it is well-formed.
std::optional<std::size_t> der_sequence_length(ByteView v) {
  if (v.size() < 2 || v.data()[0] != 0x30) return std::nullopt;
  std::uint8_t l = v.data()[1];
  if (l < 0x80) return 2 + std::size_t{l};
  unsigned n = l & 0x7f;
  if (n == 0 || n > 4 || v.size() < 2 + n) return std::nullopt;
  std::size_t len = 0;
  for (unsigned i = 0; i < n; ++i) len = (len << 8) | v.data()[2 + i];
  return 2 + n + len;
}

struct Pkcs12Result {
  std::vector<ParsedKey> keys;
  std::vector<ParsedCertificate> certificates;
};

bool pbe_affordable(const X509_ALGOR* alg) {
  auto it = pbe_iterations(alg);
  return it && *it <= kMaxPbeIterations;
}

// `decrypt`: whether the password is known (and so shrouded keys are worth decrypting).
void pkcs12_bags(const STACK_OF(PKCS12_SAFEBAG) * bags, bool decrypt, const char* pass, int passlen,
                 Pkcs12Result& out, int& budget, int& derivations) {
  for (int i = 0; i < sk_PKCS12_SAFEBAG_num(bags) && budget > 0; ++i, --budget) {
    const PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(bags, i);
    switch (PKCS12_SAFEBAG_get_nid(bag)) {
      case NID_keyBag: {
        const PKCS8_PRIV_KEY_INFO* p8 = PKCS12_SAFEBAG_get0_p8inf(bag);
        PkeyPtr pk(p8 != nullptr ? EVP_PKCS82PKEY(p8) : nullptr);
        if (!pk) break;
        ParsedKey k;
        describe_pkey(pk.get(), k);
        out.keys.push_back(std::move(k));
        break;
      }
      case NID_pkcs8ShroudedKeyBag: {
        const X509_SIG* sig = PKCS12_SAFEBAG_get0_pkcs8(bag);
        if (sig == nullptr) break;
        const X509_ALGOR* alg = nullptr;
        X509_SIG_get0(sig, &alg, nullptr);
        ParsedKey k;
        bool attempt = decrypt && derivations > 0 && pbe_affordable(alg);
        derivations -= attempt ? 1 : 0;
        std::unique_ptr<PKCS8_PRIV_KEY_INFO, P8Free> p8(attempt ? PKCS8_decrypt(sig, pass, passlen) : nullptr);
        PkeyPtr pk(p8 ? EVP_PKCS82PKEY(p8.get()) : nullptr);
        if (pk) {
          describe_pkey(pk.get(), k);
        } else {
          k.encrypted = true;
        }
        out.keys.push_back(std::move(k));
        break;
      }
      case NID_certBag: {
        X509Ptr x(PKCS12_SAFEBAG_get1_cert(bag));
        if (x) out.certificates.push_back(describe_certificate(x.get()));
        break;
      }
      default: break;
    }
  }
}

std::optional<Pkcs12Result> der_pkcs12(ByteView der) {
  const unsigned char* p = uchars(der);
  std::unique_ptr<PKCS12, P12Free> p12(d2i_PKCS12(nullptr, &p, slen(der)));
  if (!p12) return std::nullopt;
  Pkcs12Result out;
  // The password is "" or absent (the two are encoded differently); with a MAC the right one can
  // be told without decrypting anything.
  const char* pass = "";
  int passlen = 0;
  bool known = true;
  int derivations = kMaxPkcs12Derivations - 2;  // the MAC checks below
  if (PKCS12_mac_present(p12.get()) == 1) {
    const ASN1_INTEGER* iter = nullptr;
    PKCS12_get0_mac(nullptr, nullptr, nullptr, &iter, p12.get());
    long n = iter != nullptr ? ASN1_INTEGER_get(iter) : 1;
    if (n < 1 || n > kMaxPbeIterations) {
      known = false;
    } else if (PKCS12_verify_mac(p12.get(), "", 0) == 1) {
      pass = "";
    } else if (PKCS12_verify_mac(p12.get(), nullptr, 0) == 1) {
      pass = nullptr;
    } else {
      known = false;
    }
  }
  STACK_OF(PKCS7)* safes = PKCS12_unpack_authsafes(p12.get());
  if (safes == nullptr) return out;
  int budget = kMaxPkcs12Bags;
  bool any_key = false, any_encrypted = false;
  for (int i = 0; i < sk_PKCS7_num(safes) && i < kMaxPkcs12Bags && budget > 0; ++i) {
    PKCS7* p7 = sk_PKCS7_value(safes, i);
    STACK_OF(PKCS12_SAFEBAG)* bags = nullptr;
    int nid = OBJ_obj2nid(p7->type);
    if (nid == NID_pkcs7_data) {
      bags = PKCS12_unpack_p7data(p7);
    } else if (nid == NID_pkcs7_encrypted) {
      any_encrypted = true;
      if (known && derivations > 0 && p7->d.encrypted != nullptr && p7->d.encrypted->enc_data != nullptr &&
          pbe_affordable(p7->d.encrypted->enc_data->algorithm)) {
        --derivations;
        bags = PKCS12_unpack_p7encdata(p7, pass, passlen);
      }
    }
    if (bags == nullptr) continue;
    std::size_t before = out.keys.size();
    pkcs12_bags(bags, known, pass, passlen, out, budget, derivations);
    any_key = any_key || out.keys.size() > before;
    sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
  }
  sk_PKCS7_pop_free(safes, PKCS7_free);
  // Password-protected containers usually hold the key in an encrypted safe: say that there is
  // one whose type cannot be read, rather than nothing.
  if (!known && !any_key && any_encrypted) {
    ParsedKey k;
    k.encrypted = true;
    out.keys.push_back(std::move(k));
  }
  return out;
}

// ---- PEM -------------------------------------------------------------------------------------

struct PemBlock {
  std::size_t begin = 0, end = 0;  // extent, armour included
  std::string label;
  std::string_view headers, body;
};

// The next complete PEM block at or after `from`; nothing when there is none.
std::optional<PemBlock> next_pem(std::string_view text, std::size_t& from) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  while (from < text.size()) {
    std::size_t b = text.find(kBegin, from);
    if (b == std::string_view::npos) {
      from = text.size();
      return std::nullopt;
    }
    from = b + kBegin.size();
    // Bounded searches only: the label ends on the same short line, and the END marker is looked
    // for up to the next BEGIN, so a buffer full of BEGIN lines costs one pass, not one per line.
    std::size_t lab_end = text.substr(from, 70).find("-----");
    if (lab_end == std::string_view::npos) continue;
    lab_end += from;
    std::string_view label = text.substr(from, lab_end - from);
    if (label.empty() || label.find_first_of("\r\n-") != std::string_view::npos) continue;
    std::string end_marker = fmt::format("-----END {}-----", label);
    std::size_t body_at = lab_end + 5;
    std::size_t next_begin = std::min(text.find(kBegin, body_at), text.size());
    // No END before the next BEGIN: this one is cut short (or is placeholder text).
    std::size_t e = text.substr(body_at, next_begin - body_at).find(end_marker);
    if (e == std::string_view::npos) continue;
    e += body_at;
    PemBlock blk;
    blk.begin = b;
    blk.end = e + end_marker.size();
    blk.label = std::string(label);
    std::string_view inner = text.substr(body_at, e - body_at);
    // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED") end at the first blank line.
    if (inner.find(':') != std::string_view::npos) {
      std::size_t blank = inner.find("\n\n");
      std::size_t blank_crlf = inner.find("\r\n\r\n");
      std::size_t cut = std::min(blank, blank_crlf);
      if (cut != std::string_view::npos) {
        blk.headers = inner.substr(0, cut);
        inner = inner.substr(cut);
      }
    }
    blk.body = inner;
    from = blk.end;
    return blk;
  }
  return std::nullopt;
}

void add_pem_key(KeyMaterial& out, const PemBlock& blk, ParsedKey k, std::string format) {
  k.offset = blk.begin;
  k.length = blk.end - blk.begin;
  k.format = std::move(format);
  k.label = blk.label;
  out.keys.push_back(std::move(k));
}

void parse_pem_block(KeyMaterial& out, const PemBlock& blk) {
  const std::string& l = blk.label;
  bool is_key = l.ends_with("PRIVATE KEY");
  bool is_cert = l == "CERTIFICATE" || l == "X509 CERTIFICATE" || l == "TRUSTED CERTIFICATE";
  if (!is_key && !is_cert) return;
  auto der = base64_decode(blk.body, blk.body.size());
  if (!der || der->empty()) return;
  ByteView d(der->data(), der->size());
  if (is_cert) {
    if (auto c = der_certificate(d, l == "TRUSTED CERTIFICATE")) {
      c->offset = blk.begin;
      c->length = blk.end - blk.begin;
      c->format = "pem";
      out.certificates.push_back(std::move(*c));
    }
    return;
  }
  if (l == "PRIVATE KEY") {
    if (auto k = der_pkcs8(d)) add_pem_key(out, blk, std::move(*k), "pem-pkcs8");
    return;
  }
  if (l == "ENCRYPTED PRIVATE KEY") {
    if (!der_encrypted_pkcs8(d)) return;
    ParsedKey k;
    k.encrypted = true;
    add_pem_key(out, blk, std::move(k), "pem-pkcs8");
    return;
  }
  if (l == "OPENSSH PRIVATE KEY") {
    if (auto k = parse_openssh_key(d)) add_pem_key(out, blk, std::move(*k), "pem-openssh");
    return;
  }
  struct Traditional {
    std::string_view label, type, format;
    int id;
  };
  static constexpr std::array<Traditional, 3> kTraditional{{
      {"RSA PRIVATE KEY", "rsa", "pem-pkcs1", EVP_PKEY_RSA},
      {"EC PRIVATE KEY", "ec", "pem-ec", EVP_PKEY_EC},
      {"DSA PRIVATE KEY", "dsa", "pem-dsa", EVP_PKEY_DSA},
  }};
  for (const auto& t : kTraditional) {
    if (l != t.label) continue;
    if (blk.headers.find("ENCRYPTED") != std::string_view::npos) {
      // The body is ciphertext: nothing to check but its size (a placeholder is rarely 64 bytes).
      if (d.size() < 64) return;
      ParsedKey k;
      k.type = std::string(t.type);
      k.encrypted = true;
      add_pem_key(out, blk, std::move(k), std::string(t.format));
      return;
    }
    if (auto k = der_traditional(d, t.id)) add_pem_key(out, blk, std::move(*k), std::string(t.format));
    return;
  }
}

void parse_whole(KeyMaterial& out, ByteView data) {
  if (looks_like_dropbear(data)) {
    if (auto k = parse_dropbear_key(data)) out.keys.push_back(std::move(*k));
    return;
  }
  if (data.starts_with(std::string_view("openssh-key-v1\0", 15))) {
    if (auto k = parse_openssh_key(data)) {
      k->format = "openssh";
      k->length = data.size();
      out.keys.push_back(std::move(*k));
    }
    return;
  }
  auto len = der_sequence_length(data);
  if (!len || *len > data.size()) return;
  // Trailing bytes after the DER object: only padding is tolerated, anything else is some other
  // format that happens to start with a SEQUENCE header.
  for (std::size_t i = *len; i < data.size(); ++i) {
    std::uint8_t c = data.data()[i];
    if (c != 0 && c != '\n' && c != '\r' && c != 0xff) return;
  }
  ByteView der(data.data(), *len);
  auto whole = [&](auto& x) {
    x.offset = 0;
    x.length = *len;
  };
  if (auto c = der_certificate(der, false)) {
    whole(*c);
    c->format = "der";
    out.certificates.push_back(std::move(*c));
    return;
  }
  if (auto k = der_pkcs8(der)) {
    whole(*k);
    k->format = "der";
    k->label = "PKCS#8";
    out.keys.push_back(std::move(*k));
    return;
  }
  if (der_encrypted_pkcs8(der)) {
    ParsedKey k;
    whole(k);
    k.format = "der";
    k.label = "encrypted PKCS#8";
    k.encrypted = true;
    out.keys.push_back(std::move(k));
    return;
  }
  if (auto p12 = der_pkcs12(der)) {
    for (auto& k : p12->keys) {
      whole(k);
      k.format = "pkcs12";
      k.label = "PKCS#12";
      out.keys.push_back(std::move(k));
    }
    for (auto& c : p12->certificates) {
      whole(c);
      c.format = "pkcs12";
      out.certificates.push_back(std::move(c));
    }
    return;
  }
  for (int id : {EVP_PKEY_RSA, EVP_PKEY_EC, EVP_PKEY_DSA}) {
    if (auto k = der_traditional(der, id)) {
      whole(*k);
      k->format = "der";
      k->label = "traditional";
      out.keys.push_back(std::move(*k));
      return;
    }
  }
}

}  // namespace

Result<std::vector<std::uint8_t>> base64_decode(std::string_view text, std::size_t max_out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<std::uint8_t> out;
  out.reserve(std::min(max_out, text.size() / 4 * 3 + 3));
  std::uint32_t acc = 0;
  unsigned n = 0, pad = 0;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    int v = value(c);
    if (v < 0 || pad > 0) return fail(Errc::malformed, "base64: unexpected character");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    if (++n == 4) {
      if (out.size() + 3 > max_out) return fail(Errc::limit, "base64: output too large");
      out.push_back(static_cast<std::uint8_t>(acc >> 16));
      out.push_back(static_cast<std::uint8_t>(acc >> 8));
      out.push_back(static_cast<std::uint8_t>(acc));
      acc = 0;
      n = 0;
    }
  }
  if (pad > 2 || n == 1 || (pad > 0 && n + pad != 4)) return fail(Errc::malformed, "base64: bad padding");
  if (n > 1 && out.size() + n - 1 > max_out) return fail(Errc::limit, "base64: output too large");
  if (n == 2) out.push_back(static_cast<std::uint8_t>(acc >> 4));
  if (n == 3) {
    out.push_back(static_cast<std::uint8_t>(acc >> 10));
    out.push_back(static_cast<std::uint8_t>(acc >> 2));
  }
  return out;
}

std::string ssh_fingerprint(ByteView blob) { return sha256_fingerprint(blob); }

Result<ParsedKey> parse_ssh_public_blob(ByteView blob) {
  SshReader r{blob};
  ASSIGN_OR_RETURN(ByteView name, r.string(64));
  std::string_view t = name.as_chars();
  ParsedKey k;
  k.label = std::string(t);
  if (t == "ssh-rsa") {
    ASSIGN_OR_RETURN(ByteView e, r.mpint());
    ASSIGN_OR_RETURN(ByteView n, r.mpint());
    (void)e;
    k.type = "rsa";
    k.bits = mpint_bits(n);
  } else if (t == "ssh-dss") {
    ASSIGN_OR_RETURN(ByteView p, r.mpint());
    for (int i = 0; i < 3; ++i) TRY(r.mpint());
    k.type = "dsa";
    k.bits = mpint_bits(p);
  } else if (t.starts_with("ecdsa-sha2-nistp")) {
    ASSIGN_OR_RETURN(ByteView curve, r.string(64));
    ASSIGN_OR_RETURN(ByteView q, r.string(256));
    std::string_view c = curve.as_chars();
    if (t.substr(11) != c) return fail(Errc::malformed, "ssh: ECDSA curve does not match the key type");
    if (c == "nistp256") k.bits = 256;
    else if (c == "nistp384") k.bits = 384;
    else if (c == "nistp521") k.bits = 521;
    else return fail(Errc::unsupported, "ssh: unknown ECDSA curve");
    if (q.empty() || q.data()[0] != 0x04) return fail(Errc::malformed, "ssh: ECDSA point is not uncompressed");
    k.type = "ec";
  } else if (t == "ssh-ed25519") {
    ASSIGN_OR_RETURN(ByteView pk, r.string(64));
    if (pk.size() != 32) return fail(Errc::malformed, "ssh: ed25519 public key is not 32 bytes");
    k.type = "ed25519";
    k.bits = 256;
  } else {
    return fail(Errc::unsupported, "ssh: unsupported key type");
  }
  if (r.remaining() != 0) return fail(Errc::malformed, "ssh: bytes after the public key");
  k.public_fingerprint = ssh_fingerprint(blob);
  return k;
}

bool looks_like_dropbear(ByteView data) {
  static constexpr std::array<std::string_view, 6> kNames{"ssh-rsa", "ssh-dss", "ssh-ed25519",
                                                          "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                                                          "ecdsa-sha2-nistp521"};
  if (data.size() < 4) return false;
  std::uint32_t n = load_endian<std::uint32_t>(data.data(), Endian::big);
  for (auto name : kNames)
    if (n == name.size() && data.has_at(4, name)) return true;
  return false;
}

Result<ParsedKey> parse_dropbear_key(ByteView data) {
  SshReader r{data};
  ASSIGN_OR_RETURN(ByteView name, r.string(64));
  std::string_view t = name.as_chars();
  std::vector<std::uint8_t> blob;
  if (t == "ssh-rsa" || t == "ssh-dss") {
    // dropbear writes the public key (as on the wire) and then the private numbers: RSA e, n, d,
    // p, q; DSS p, q, g, y, x.
    for (int i = 0; i < 2 + (t == "ssh-dss" ? 2 : 0); ++i) TRY(r.mpint());
    std::size_t public_end = r.pos;
    for (int i = 0; i < (t == "ssh-rsa" ? 3 : 1); ++i) {
      ASSIGN_OR_RETURN(ByteView priv, r.mpint());
      if (priv.empty()) return fail(Errc::malformed, "dropbear: empty private number");
    }
    blob.assign(data.data(), data.data() + public_end);
  } else if (t.starts_with("ecdsa-sha2-nistp")) {
    TRY(r.string(64));
    TRY(r.string(256));
    std::size_t public_end = r.pos;
    ASSIGN_OR_RETURN(ByteView d, r.mpint());
    if (d.empty()) return fail(Errc::malformed, "dropbear: empty private number");
    blob.assign(data.data(), data.data() + public_end);
  } else if (t == "ssh-ed25519") {
    // One string: the 32-byte seed followed by the 32-byte public key.
    ASSIGN_OR_RETURN(ByteView both, r.string(64));
    if (both.size() != 64) return fail(Errc::malformed, "dropbear: ed25519 key is not 64 bytes");
    put_string(blob, t);
    put_string(blob, ByteView(both.data() + 32, 32));
  } else {
    return fail(Errc::unsupported, "dropbear: unsupported key type");
  }
  ASSIGN_OR_RETURN(ParsedKey k, parse_ssh_public_blob(ByteView(blob.data(), blob.size())));
  k.format = "dropbear";
  k.offset = 0;
  k.length = r.pos;
  return k;
}

Result<ParsedKey> parse_openssh_key(ByteView data) {
  constexpr std::string_view kMagic("openssh-key-v1\0", 15);
  if (!data.starts_with(kMagic)) return fail(Errc::malformed, "openssh: no openssh-key-v1 magic");
  SshReader r{data, kMagic.size()};
  ASSIGN_OR_RETURN(ByteView cipher, r.string(64));
  ASSIGN_OR_RETURN(ByteView kdf, r.string(64));
  TRY(r.string(1024));  // kdf options
  ASSIGN_OR_RETURN(std::uint32_t nkeys, r.u32());
  if (nkeys == 0 || nkeys > kMaxOpensshKeys) return fail(Errc::malformed, "openssh: implausible key count");
  ASSIGN_OR_RETURN(ByteView pub, r.string());
  for (std::uint32_t i = 1; i < nkeys; ++i) TRY(r.string());
  ASSIGN_OR_RETURN(ByteView priv, r.string(std::size_t{1} << 20));
  bool encrypted = cipher.as_chars() != "none";
  if (!encrypted && kdf.as_chars() != "none") return fail(Errc::malformed, "openssh: kdf without a cipher");
  if (!encrypted) {
    // Cleartext private section: two equal check integers, then the keys.
    SshReader pr{priv};
    ASSIGN_OR_RETURN(std::uint32_t c1, pr.u32());
    ASSIGN_OR_RETURN(std::uint32_t c2, pr.u32());
    if (c1 != c2) return fail(Errc::malformed, "openssh: check integers differ");
  }
  ASSIGN_OR_RETURN(ParsedKey k, parse_ssh_public_blob(pub));
  k.format = "openssh";
  k.encrypted = encrypted;
  k.label = "openssh-key-v1";
  k.offset = 0;
  k.length = r.pos;
  return k;
}

KeyMaterial scan_key_material(ByteView data, const KeyLimits& limits) {
  ClearErrors clear;
  KeyMaterial out;
  if (data.size() > limits.max_bytes) {
    out.capped = true;
    data = data.head(limits.max_bytes);
  }
  std::string_view text = data.as_chars();
  std::size_t from = 0;
  bool any_block = false;
  while (auto blk = next_pem(text, from)) {
    any_block = true;
    if (out.blocks >= limits.max_blocks) {
      out.capped = true;
      break;
    }
    ++out.blocks;
    parse_pem_block(out, *blk);
  }
  if (!any_block) parse_whole(out, data);
  return out;
}

}  // namespace iotaudit::formats
