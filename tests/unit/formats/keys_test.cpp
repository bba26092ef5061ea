// Key and certificate parsing on keys generated at test time (OpenSSL) and on dropbear and
// openssh-key-v1 blobs built by hand, plus truncated, lying and placeholder inputs.
#include "formats/keys.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace iotaudit::formats {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Free { void operator()(X509* p) const { X509_free(p); } };
struct BioFree { void operator()(BIO* p) const { BIO_free(p); } };
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

// Key generation is the slow part (RSA especially): each kind is made once per test binary.
const Pkey& rsa(unsigned bits) {
  static Pkey k1024(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
  static Pkey k2048(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
  return bits == 1024 ? k1024 : k2048;
}
const Pkey& ec256() {
  static Pkey k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  return k;
}
const Pkey& ed25519() {
  static Pkey k(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  return k;
}

std::string bio_string(BIO* b) {
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  return std::string(p, static_cast<std::size_t>(n));
}

template <class F>
std::string pem(F&& write) {
  std::unique_ptr<BIO, BioFree> b(BIO_new(BIO_s_mem()));
  EXPECT_EQ(write(b.get()), 1);
  return bio_string(b.get());
}

std::string pkcs8_pem(EVP_PKEY* k) {
  return pem([&](BIO* b) { return PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr); });
}
std::string traditional_pem(EVP_PKEY* k) {
  return pem([&](BIO* b) { return PEM_write_bio_PrivateKey_traditional(b, k, nullptr, nullptr, 0, nullptr, nullptr); });
}

Cert make_cert(EVP_PKEY* k, const EVP_MD* md, std::int64_t not_before, std::int64_t not_after, const char* cn) {
  Cert x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
  ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(not_before));
  ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(not_after));
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), k);
  EXPECT_GT(X509_sign(x.get(), k, md), 0);
  return x;
}

std::string cert_pem(X509* x) { return pem([&](BIO* b) { return PEM_write_bio_X509(b, x); }); }

Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
ByteView view(const Bytes& b) { return ByteView(b.data(), b.size()); }
ByteView view(const std::string& s) { return ByteView(std::string_view(s)); }

// SSH wire format helpers for hand-built blobs.
void put_u32(Bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
void put_string(Bytes& out, const Bytes& v) {
  put_u32(out, static_cast<std::uint32_t>(v.size()));
  out.insert(out.end(), v.begin(), v.end());
}
void put_string(Bytes& out, std::string_view s) { put_string(out, to_bytes(s)); }
Bytes mpint(std::size_t bytes, std::uint8_t fill = 0xA5) {
  Bytes m(bytes, fill);
  m.insert(m.begin(), 0);  // high bit of fill is set: a positive mpint leads with a zero byte
  return m;
}

Bytes dropbear_rsa(std::size_t modulus_bytes) {
  Bytes b;
  put_string(b, "ssh-rsa");
  put_string(b, Bytes{0x01, 0x00, 0x01});  // e
  put_string(b, mpint(modulus_bytes));     // n
  put_string(b, mpint(modulus_bytes));     // d
  put_string(b, mpint(modulus_bytes / 2)); // p
  put_string(b, mpint(modulus_bytes / 2)); // q
  return b;
}

Bytes ed25519_public_blob(const Bytes& pub) {
  Bytes b;
  put_string(b, "ssh-ed25519");
  put_string(b, pub);
  return b;
}

Bytes openssh_v1(const Bytes& pub_blob, std::string_view cipher, std::string_view kdf, std::uint32_t check2 = 7) {
  Bytes b = to_bytes(std::string_view("openssh-key-v1\0", 15));
  put_string(b, cipher);
  put_string(b, kdf);
  Bytes opts;
  if (kdf == "bcrypt") {
    put_string(opts, Bytes(16, 1));
    put_u32(opts, 16);
  }
  put_string(b, opts);
  put_u32(b, 1);
  put_string(b, pub_blob);
  Bytes priv;
  put_u32(priv, 7);
  put_u32(priv, check2);
  priv.insert(priv.end(), pub_blob.begin(), pub_blob.end());
  put_string(priv, Bytes(64, 0x11));
  put_string(priv, "comment");
  put_string(b, priv);
  return b;
}

std::string armour(std::string_view label, const Bytes& der) {
  std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), der.data(), static_cast<int>(der.size()));
  b64.resize(static_cast<std::size_t>(n));
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END " + std::string(label) + "-----\n";
}

TEST(KeyMaterial, RsaPkcs8AndPkcs1) {
  for (unsigned bits : {1024u, 2048u}) {
    auto m = scan_key_material(view(pkcs8_pem(rsa(bits).get())));
    ASSERT_EQ(m.keys.size(), 1u);
    EXPECT_EQ(m.keys[0].format, "pem-pkcs8");
    EXPECT_EQ(m.keys[0].label, "PRIVATE KEY");
    EXPECT_EQ(m.keys[0].type, "rsa");
    EXPECT_EQ(m.keys[0].bits, bits);
    EXPECT_FALSE(m.keys[0].encrypted);
    EXPECT_TRUE(m.keys[0].public_fingerprint.starts_with("SHA256:"));

    auto t = scan_key_material(view(traditional_pem(rsa(bits).get())));
    ASSERT_EQ(t.keys.size(), 1u);
    EXPECT_EQ(t.keys[0].format, "pem-pkcs1");
    EXPECT_EQ(t.keys[0].label, "RSA PRIVATE KEY");
    EXPECT_EQ(t.keys[0].bits, bits);
    EXPECT_EQ(t.keys[0].public_fingerprint, m.keys[0].public_fingerprint);
  }
}

TEST(KeyMaterial, EcAndEd25519) {
  auto sec1 = scan_key_material(view(traditional_pem(ec256().get())));
  ASSERT_EQ(sec1.keys.size(), 1u);
  EXPECT_EQ(sec1.keys[0].format, "pem-ec");
  EXPECT_EQ(sec1.keys[0].type, "ec");
  EXPECT_EQ(sec1.keys[0].bits, 256u);
  auto p8 = scan_key_material(view(pkcs8_pem(ec256().get())));
  ASSERT_EQ(p8.keys.size(), 1u);
  EXPECT_EQ(p8.keys[0].public_fingerprint, sec1.keys[0].public_fingerprint);

  auto ed = scan_key_material(view(pkcs8_pem(ed25519().get())));
  ASSERT_EQ(ed.keys.size(), 1u);
  EXPECT_EQ(ed.keys[0].type, "ed25519");
  EXPECT_EQ(ed.keys[0].bits, 256u);
  // The fingerprint is OpenSSH's: the same as for the raw public key in an SSH blob.
  Bytes raw(32);
  std::size_t len = raw.size();
  ASSERT_EQ(EVP_PKEY_get_raw_public_key(ed25519().get(), raw.data(), &len), 1);
  Bytes blob = ed25519_public_blob(raw);
  EXPECT_EQ(ed.keys[0].public_fingerprint, ssh_fingerprint(view(blob)));
}

TEST(KeyMaterial, EncryptedPem) {
  auto p8 = pem([&](BIO* b) {
    return PEM_write_bio_PKCS8PrivateKey(b, rsa(2048).get(), EVP_aes_128_cbc(), "secret", 6, nullptr, nullptr);
  });
  auto m = scan_key_material(view(p8));
  ASSERT_EQ(m.keys.size(), 1u);
  EXPECT_EQ(m.keys[0].label, "ENCRYPTED PRIVATE KEY");
  EXPECT_TRUE(m.keys[0].encrypted);
  EXPECT_EQ(m.keys[0].format, "pem-pkcs8");

  auto trad = pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey_traditional(b, rsa(2048).get(), EVP_aes_128_cbc(),
                                                reinterpret_cast<const unsigned char*>("secret"), 6, nullptr, nullptr);
  });
  ASSERT_NE(trad.find("Proc-Type: 4,ENCRYPTED"), std::string::npos);
  auto t = scan_key_material(view(trad));
  ASSERT_EQ(t.keys.size(), 1u);
  EXPECT_TRUE(t.keys[0].encrypted);
  EXPECT_EQ(t.keys[0].type, "rsa");
  EXPECT_EQ(t.keys[0].format, "pem-pkcs1");
}

TEST(KeyMaterial, EveryBlockOfAFileWithOffsets) {
  Cert c = make_cert(ec256().get(), EVP_sha256(), 1700000000, 4000000000, "dev");
  std::string text = "# bundle\n" + pkcs8_pem(rsa(1024).get()) + "\n" + cert_pem(c.get()) + pkcs8_pem(ec256().get());
  auto m = scan_key_material(view(text));
  ASSERT_EQ(m.keys.size(), 2u);
  ASSERT_EQ(m.certificates.size(), 1u);
  EXPECT_EQ(m.blocks, 3u);
  EXPECT_EQ(m.keys[0].offset, 9u);
  EXPECT_EQ(m.keys[0].type, "rsa");
  EXPECT_EQ(m.keys[1].type, "ec");
  EXPECT_GT(m.keys[1].offset, m.certificates[0].offset);
  EXPECT_EQ(text.substr(m.keys[1].offset, 11), "-----BEGIN ");
  EXPECT_EQ(m.certificates[0].public_fingerprint, m.keys[1].public_fingerprint);
}

TEST(KeyMaterial, CertificateFields) {
  Cert c = make_cert(rsa(1024).get(), EVP_sha1(), 1393632000 /* 2014-03-01 */, 1551398400 /* 2019-03-01 */,
                     "acme-cam");
  auto m = scan_key_material(view(cert_pem(c.get())));
  ASSERT_EQ(m.certificates.size(), 1u);
  const auto& x = m.certificates[0];
  EXPECT_EQ(x.format, "pem");
  EXPECT_EQ(x.subject, "CN=acme-cam");
  EXPECT_EQ(x.subject_cn, "acme-cam");
  EXPECT_EQ(x.not_before, "2014-03-01T00:00:00Z");
  EXPECT_EQ(x.not_after, "2019-03-01T00:00:00Z");
  EXPECT_EQ(x.not_after_epoch, 1551398400);
  EXPECT_TRUE(x.self_signed);
  EXPECT_EQ(x.signature_algorithm, "sha1WithRSAEncryption");
  EXPECT_EQ(x.signature_hash, "sha1");
  EXPECT_EQ(x.key_type, "rsa");
  EXPECT_EQ(x.key_bits, 1024u);
  auto k = scan_key_material(view(pkcs8_pem(rsa(1024).get())));
  ASSERT_EQ(k.keys.size(), 1u);
  EXPECT_EQ(x.public_fingerprint, k.keys[0].public_fingerprint);
}

TEST(KeyMaterial, Der) {
  Cert c = make_cert(ec256().get(), EVP_sha256(), 1700000000, 4102358400, "der");
  unsigned char* p = nullptr;
  int n = i2d_X509(c.get(), &p);
  ASSERT_GT(n, 0);
  Bytes der(p, p + n);
  OPENSSL_free(p);
  auto m = scan_key_material(view(der));
  ASSERT_EQ(m.certificates.size(), 1u);
  EXPECT_EQ(m.certificates[0].format, "der");
  EXPECT_EQ(m.certificates[0].not_after, "2099-12-31T00:00:00Z");

  PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(rsa(2048).get());
  p = nullptr;
  n = i2d_PKCS8_PRIV_KEY_INFO(p8, &p);
  PKCS8_PRIV_KEY_INFO_free(p8);
  Bytes key(p, p + n);
  OPENSSL_free(p);
  auto k = scan_key_material(view(key));
  ASSERT_EQ(k.keys.size(), 1u);
  EXPECT_EQ(k.keys[0].format, "der");
  EXPECT_EQ(k.keys[0].bits, 2048u);

  p = nullptr;
  n = i2d_PrivateKey(ec256().get(), &p);  // traditional (SEC1)
  Bytes sec1(p, p + n);
  OPENSSL_free(p);
  auto e = scan_key_material(view(sec1));
  ASSERT_EQ(e.keys.size(), 1u);
  EXPECT_EQ(e.keys[0].type, "ec");

  // Cut short: nothing, and no crash.
  for (std::size_t cut : {std::size_t{0}, std::size_t{1}, key.size() / 2, key.size() - 1}) {
    Bytes part(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_TRUE(scan_key_material(view(part)).keys.empty()) << cut;
  }
}

Bytes pkcs12(const char* pass) {
  Cert c = make_cert(rsa(2048).get(), EVP_sha256(), 1700000000, 4102358400, "p12");
  PKCS12* p12 = PKCS12_create(pass, "device", rsa(2048).get(), c.get(), nullptr, 0, 0, 0, 0, 0);
  EXPECT_NE(p12, nullptr);
  unsigned char* p = nullptr;
  int n = i2d_PKCS12(p12, &p);
  PKCS12_free(p12);
  Bytes out(p, p + n);
  OPENSSL_free(p);
  return out;
}

TEST(KeyMaterial, Pkcs12EmptyPasswordAndProtected) {
  auto open = scan_key_material(view(pkcs12("")));
  ASSERT_EQ(open.keys.size(), 1u);
  EXPECT_EQ(open.keys[0].format, "pkcs12");
  EXPECT_EQ(open.keys[0].type, "rsa");
  EXPECT_EQ(open.keys[0].bits, 2048u);
  EXPECT_FALSE(open.keys[0].encrypted);
  ASSERT_EQ(open.certificates.size(), 1u);
  EXPECT_EQ(open.certificates[0].public_fingerprint, open.keys[0].public_fingerprint);

  auto locked = scan_key_material(view(pkcs12("not-empty")));
  ASSERT_EQ(locked.keys.size(), 1u);
  EXPECT_TRUE(locked.keys[0].encrypted);
  EXPECT_EQ(locked.keys[0].format, "pkcs12");
}

TEST(Dropbear, RsaAndEd25519) {
  Bytes b = dropbear_rsa(128);
  ASSERT_TRUE(looks_like_dropbear(view(b)));
  auto k = parse_dropbear_key(view(b));
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->format, "dropbear");
  EXPECT_EQ(k->type, "rsa");
  EXPECT_EQ(k->bits, 1024u);
  // Public blob = the file up to the end of n.
  Bytes pub;
  put_string(pub, "ssh-rsa");
  put_string(pub, Bytes{0x01, 0x00, 0x01});
  put_string(pub, mpint(128));
  EXPECT_EQ(k->public_fingerprint, ssh_fingerprint(view(pub)));
  auto m = scan_key_material(view(b));
  ASSERT_EQ(m.keys.size(), 1u);
  EXPECT_EQ(m.keys[0].length, b.size());

  Bytes ed;
  put_string(ed, "ssh-ed25519");
  Bytes both(32, 0x01);
  Bytes pubkey(32, 0x02);
  both.insert(both.end(), pubkey.begin(), pubkey.end());
  put_string(ed, both);
  auto e = parse_dropbear_key(view(ed));
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->type, "ed25519");
  EXPECT_EQ(e->bits, 256u);
  EXPECT_EQ(e->public_fingerprint, ssh_fingerprint(view(ed25519_public_blob(pubkey))));
}

TEST(Dropbear, TruncatedAndLyingLengths) {
  Bytes b = dropbear_rsa(256);
  for (std::size_t cut = 0; cut < b.size(); ++cut) {
    Bytes part(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_FALSE(parse_dropbear_key(view(part))) << cut;
  }
  // n claims 4 GiB.
  Bytes lying = b;
  std::size_t n_at = 4 + 7 + 4 + 3;
  lying[n_at] = lying[n_at + 1] = lying[n_at + 2] = lying[n_at + 3] = 0xff;
  EXPECT_FALSE(parse_dropbear_key(view(lying)));
  EXPECT_TRUE(scan_key_material(view(lying)).keys.empty());
  // Unknown key type.
  Bytes other;
  put_string(other, "ssh-xyz");
  EXPECT_FALSE(looks_like_dropbear(view(other)));
  EXPECT_FALSE(parse_dropbear_key(view(other)));
}

TEST(OpensshKeyV1, UnencryptedAndEncrypted) {
  Bytes pub = ed25519_public_blob(Bytes(32, 0x42));
  Bytes plain = openssh_v1(pub, "none", "none");
  auto k = parse_openssh_key(view(plain));
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->type, "ed25519");
  EXPECT_FALSE(k->encrypted);
  EXPECT_EQ(k->public_fingerprint, ssh_fingerprint(view(pub)));

  auto pem_text = armour("OPENSSH PRIVATE KEY", plain);
  auto m = scan_key_material(view(pem_text));
  ASSERT_EQ(m.keys.size(), 1u);
  EXPECT_EQ(m.keys[0].format, "pem-openssh");
  EXPECT_EQ(m.keys[0].type, "ed25519");

  Bytes rsa_pub;
  put_string(rsa_pub, "ssh-rsa");
  put_string(rsa_pub, Bytes{0x01, 0x00, 0x01});
  put_string(rsa_pub, mpint(384));
  Bytes enc = openssh_v1(rsa_pub, "aes256-ctr", "bcrypt", 99);  // check integers are ciphertext
  auto e = parse_openssh_key(view(enc));
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_TRUE(e->encrypted);
  EXPECT_EQ(e->type, "rsa");
  EXPECT_EQ(e->bits, 3072u);

  // Unencrypted with mismatched check integers is not a key.
  EXPECT_FALSE(parse_openssh_key(view(openssh_v1(pub, "none", "none", 8))));
}

TEST(OpensshKeyV1, TruncatedAndLying) {
  Bytes plain = openssh_v1(ed25519_public_blob(Bytes(32, 0x42)), "none", "none");
  for (std::size_t cut = 0; cut < plain.size(); ++cut) {
    Bytes part(plain.begin(), plain.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_FALSE(parse_openssh_key(view(part))) << cut;
  }
  Bytes lying = plain;
  std::size_t nkeys_at = 15 + 4 + 4 + 4 + 4 + 4;  // magic, "none", "none", "" options
  ASSERT_EQ(lying[nkeys_at + 3], 1);
  lying[nkeys_at] = 0x7f;  // 2 billion keys
  EXPECT_FALSE(parse_openssh_key(view(lying)));
}

TEST(KeyMaterial, PlaceholdersAndGarbageAreNotKeys) {
  for (std::string text : {std::string(""), std::string("REPLACE_ME\n"),
                           std::string("-----BEGIN RSA PRIVATE KEY-----\n...\n-----END"),
                           std::string("-----BEGIN RSA PRIVATE KEY-----\nREPLACE_ME\n-----END RSA PRIVATE KEY-----\n"),
                           std::string("-----BEGIN PRIVATE KEY-----\nAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n"),
                           std::string("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
                           std::string("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")}) {
    auto m = scan_key_material(view(text));
    EXPECT_TRUE(m.keys.empty()) << text;
    EXPECT_TRUE(m.certificates.empty()) << text;
  }
  // A nested BEGIN before the END: the first block is cut short, the second one is read.
  std::string text = "-----BEGIN PRIVATE KEY-----\nAAAA\n" + pkcs8_pem(ec256().get());
  auto m = scan_key_material(view(text));
  ASSERT_EQ(m.keys.size(), 1u);
  EXPECT_EQ(m.keys[0].offset, 33u);
}

TEST(KeyMaterial, BlockCapAndHostileSizes) {
  std::string one = pkcs8_pem(ec256().get());
  std::string many;
  for (int i = 0; i < 70; ++i) many += one;
  auto m = scan_key_material(view(many));
  EXPECT_EQ(m.keys.size(), 64u);
  EXPECT_TRUE(m.capped);

  // A megabyte of BEGIN lines with no END: one pass, quickly.
  std::string begins;
  while (begins.size() < (1u << 20)) begins += "-----BEGIN X-----\n";
  auto t0 = std::chrono::steady_clock::now();
  auto b = scan_key_material(view(begins));
  EXPECT_TRUE(b.keys.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(Base64, StrictDecoding) {
  auto ok = base64_decode("aGVs\nbG8=", 100);
  ASSERT_TRUE(ok);
  EXPECT_EQ(std::string(ok->begin(), ok->end()), "hello");
  EXPECT_FALSE(base64_decode("aGVs*bG8=", 100));
  EXPECT_FALSE(base64_decode("a===", 100));
  EXPECT_FALSE(base64_decode("aGVsbG8=aGVs", 100));
  EXPECT_FALSE(base64_decode("aGVsbG8=", 3));
}

}  // namespace
}  // namespace iotaudit::formats
