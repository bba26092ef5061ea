// The crypto extractor and checks on trees built in memory: encrypted keys, MD5 signatures,
// certificates not yet valid, candidates picked by content, ELF files skipped, stable fingerprints.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <gtest/gtest.h>

#include <ctime>
#include <memory>
#include <set>

#include "analyze/analyzer.hpp"
#include "unit/support/archive_writer.hpp"
#include "unit/support/unpack_util.hpp"

namespace iotaudit {
namespace {

using namespace test;

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Free { void operator()(X509* p) const { X509_free(p); } };
struct BioFree { void operator()(BIO* p) const { BIO_free(p); } };

const EVP_PKEY* ec_key() {
  static std::unique_ptr<EVP_PKEY, PkeyFree> k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  return k.get();
}
const EVP_PKEY* rsa_key() {
  static std::unique_ptr<EVP_PKEY, PkeyFree> k(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
  return k.get();
}

template <class F>
std::string pem(F&& write) {
  std::unique_ptr<BIO, BioFree> b(BIO_new(BIO_s_mem()));
  EXPECT_EQ(write(b.get()), 1);
  char* p = nullptr;
  long n = BIO_get_mem_data(b.get(), &p);
  return std::string(p, static_cast<std::size_t>(n));
}

std::string cert(const EVP_PKEY* k, const EVP_MD* md, std::int64_t nb, std::int64_t na, bool ca = false) {
  std::unique_ptr<X509, X509Free> x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 7);
  ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(nb));
  ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(na));
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("unit"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), const_cast<EVP_PKEY*>(k));
  if (ca) {
    BASIC_CONSTRAINTS* bc = BASIC_CONSTRAINTS_new();
    bc->ca = 1;
    X509_add1_ext_i2d(x.get(), NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT);
    BASIC_CONSTRAINTS_free(bc);
  }
  EXPECT_GT(X509_sign(x.get(), const_cast<EVP_PKEY*>(k), md), 0);
  return pem([&](BIO* b) { return PEM_write_bio_X509(b, x.get()); });
}

struct Run {
  std::unique_ptr<Tree> tree;
  analyze::AnalysisResult result;
};

Run analyze_members(const std::vector<Member>& members) {
  Run r;
  r.tree = unpack_bytes(make_archive(ArchiveFormat::ustar, members));
  auto ex = make_serial_executor();
  Limits lim;
  analyze::Context ctx{*r.tree, *ex, lim};
  r.result = analyze::analyze(ctx);
  return r;
}

std::vector<const Finding*> findings_of(const Run& r, std::string_view check) {
  std::vector<const Finding*> out;
  for (const auto& f : r.result.findings)
    if (f.check_id == check) out.push_back(&f);
  return out;
}

TEST(CryptoChecks, EncryptedKeyIsMediumAndSaysSo) {
  std::string enc = pem([](BIO* b) {
    return PEM_write_bio_PKCS8PrivateKey(b, const_cast<EVP_PKEY*>(ec_key()), EVP_aes_128_cbc(), "pw", 2, nullptr,
                                         nullptr);
  });
  auto r = analyze_members({dir("etc"), file("etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
                            file("opt/app/client.key", enc)});
  auto f = findings_of(r, "crypto.private_key");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->severity, Severity::medium);
  EXPECT_NE(f[0]->description.find("passphrase"), std::string::npos);
  EXPECT_EQ(f[0]->evidence[0].facts.at("encrypted"), "true");
  EXPECT_EQ(f[0]->evidence[0].path, "/opt/app/client.key");
  // The excerpt is the armour line and a description, never base64 key material.
  EXPECT_EQ(f[0]->evidence[0].excerpt.rfind("-----BEGIN ENCRYPTED PRIVATE KEY----- (encrypted", 0), 0u)
      << f[0]->evidence[0].excerpt;
  EXPECT_LT(f[0]->evidence[0].excerpt.size(), 120u);
}

TEST(CryptoChecks, Md5SignatureIsHighAndFutureCertificateIsNotYetValid) {
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  auto r = analyze_members({file("etc/md5.crt", cert(rsa_key(), EVP_md5(), now - 86400, now + 86400 * 365)),
                            file("etc/future.crt", cert(ec_key(), EVP_sha256(), now + 86400 * 365, now + 86400 * 730))});
  auto weak = findings_of(r, "crypto.weak_key");
  ASSERT_EQ(weak.size(), 1u);
  EXPECT_EQ(weak[0]->severity, Severity::high);
  EXPECT_EQ(weak[0]->evidence[0].path, "/etc/md5.crt");
  EXPECT_EQ(weak[0]->evidence[0].facts.at("signature_hash"), "md5");
  auto expired = findings_of(r, "crypto.expired_certificate");
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0]->evidence[0].path, "/etc/future.crt");
  EXPECT_EQ(expired[0]->evidence[0].facts.at("status"), "not_yet_valid");
}

TEST(CryptoChecks, RootCaCopyIsATrustAnchor) {
  // A vendor's copy of a SHA-1 self-signed root (its key is elsewhere): not weak, and expired only
  // at low severity. The same certificate with its key in the image is the device's own.
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::string root = cert(ec_key(), EVP_sha1(), now - 86400 * 3650, now - 86400, true);
  auto anchor = analyze_members({file("app/ca/ca.crt", root)});
  EXPECT_TRUE(findings_of(anchor, "crypto.weak_key").empty());
  auto expired = findings_of(anchor, "crypto.expired_certificate");
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0]->severity, Severity::low);

  std::string key = pem([](BIO* b) {
    return PEM_write_bio_PrivateKey(b, const_cast<EVP_PKEY*>(ec_key()), nullptr, nullptr, 0, nullptr, nullptr);
  });
  auto own = analyze_members({file("app/ca/ca.crt", root), file("app/ca/ca.key", key)});
  auto weak = findings_of(own, "crypto.weak_key");
  ASSERT_EQ(weak.size(), 1u);
  EXPECT_EQ(weak[0]->evidence[0].facts.at("signature_hash"), "sha1");
  auto own_expired = findings_of(own, "crypto.expired_certificate");
  ASSERT_EQ(own_expired.size(), 1u);
  EXPECT_EQ(own_expired[0]->severity, Severity::medium);
}

TEST(CryptoExtractor, ContentNotNameAndNeverElf) {
  std::string key = pem([](BIO* b) {
    return PEM_write_bio_PrivateKey(b, const_cast<EVP_PKEY*>(rsa_key()), nullptr, nullptr, 0, nullptr, nullptr);
  });
  std::string elf = std::string("\x7f" "ELF\x02\x01\x01", 7) + std::string(57, '\0') + key;
  auto r = analyze_members({file("usr/share/app/blob.txt", "config\n" + key),
                            file("usr/lib/libssl-test.so", elf), file("usr/bin/tool", elf, 0755)});
  ASSERT_EQ(r.result.facts.keys.size(), 1u);
  EXPECT_EQ(r.result.facts.keys[0].path, "/usr/share/app/blob.txt");
  EXPECT_EQ(r.result.facts.keys[0].offset, 7u);
  auto f = findings_of(r, "crypto.private_key");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(*f[0]->evidence[0].offset, 7u);
}

TEST(CryptoChecks, FingerprintsAreStableAndDistinct) {
  std::string k1 = pem([](BIO* b) {
    return PEM_write_bio_PrivateKey(b, const_cast<EVP_PKEY*>(ec_key()), nullptr, nullptr, 0, nullptr, nullptr);
  });
  std::vector<Member> m{file("etc/a.pem", k1 + k1), file("etc/b.pem", k1)};
  auto r1 = analyze_members(m);
  auto r2 = analyze_members(m);
  auto f1 = findings_of(r1, "crypto.private_key");
  auto f2 = findings_of(r2, "crypto.private_key");
  ASSERT_EQ(f1.size(), 3u);
  ASSERT_EQ(f2.size(), 3u);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < f1.size(); ++i) {
    EXPECT_EQ(f1[i]->fingerprint, f2[i]->fingerprint);
    seen.insert(f1[i]->fingerprint);
  }
  EXPECT_EQ(seen.size(), 3u);
}

}  // namespace
}  // namespace iotaudit
