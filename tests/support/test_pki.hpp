#pragma once
// Certificates made at test time with OpenSSL 3 APIs (no deprecated calls): an own CA, a server
// certificate for 127.0.0.1/localhost, an expired one, one for another name, and one from a second CA
// the client does not trust. Keys are P-256 so generation takes milliseconds.

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

namespace alicloud_test {

struct pkey_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_free {
  void operator()(X509* p) const { X509_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;

inline void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what + " failed");
}

struct credential {
  pkey_ptr key;
  x509_ptr cert;
  std::string cert_pem;
  std::string key_pem;
};

inline std::string to_pem(X509* x) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  check(PEM_write_bio_X509(bio.get(), x) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

inline std::string to_pem(EVP_PKEY* k) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  check(PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr) == 1, "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

inline void add_ext(X509* x, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, ctx, nid, value);
  check(ext != nullptr, "X509V3_EXT_nconf_nid");
  check(X509_add_ext(x, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

/// issuer == nullptr makes a self-signed CA. Validity is [now+from_s, now+to_s].
inline credential make_cert(const std::string& cn, const credential* issuer, const char* san, long from_s, long to_s) {
  static std::mt19937_64 serials{std::random_device{}()};
  credential c;
  c.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  check(c.key != nullptr, "EVP_PKEY_Q_keygen");
  c.cert.reset(X509_new());
  X509* x = c.cert.get();
  check(X509_set_version(x, 2) == 1, "X509_set_version");
  check(ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serials() >> 1) == 1, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(x), from_s) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(x), to_s) != nullptr, "notAfter");
  check(X509_set_pubkey(x, c.key.get()) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(x);
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("alicloud-cpp tests"),
                                   -1, -1, 0) == 1,
        "O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                   0) == 1,
        "CN");
  X509* issuer_cert = issuer ? issuer->cert.get() : x;
  check(X509_set_issuer_name(x, X509_get_subject_name(issuer_cert)) == 1, "issuer");
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert, x, nullptr, nullptr, 0);
  add_ext(x, &ctx, NID_subject_key_identifier, "hash");
  if (issuer == nullptr) {
    add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
    add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature");
    add_ext(x, &ctx, NID_ext_key_usage, "serverAuth");
    if (san) add_ext(x, &ctx, NID_subject_alt_name, san);
  }
  EVP_PKEY* signer = issuer ? issuer->key.get() : c.key.get();
  check(X509_sign(x, signer, EVP_sha256()) > 0, "X509_sign");
  c.cert_pem = to_pem(x);
  c.key_pem = to_pem(c.key.get());
  return c;
}

/// Everything the TLS tests need, plus the trusted CA written to a temporary file and to a hashed
/// directory (the two ways a user can add trust anchors).
struct test_pki {
  static constexpr long day = 24 * 3600;
  credential ca = make_cert("alicloud-cpp test CA", nullptr, nullptr, -day, 30 * day);
  credential other_ca = make_cert("unknown test CA", nullptr, nullptr, -day, 30 * day);
  credential server = make_cert("localhost", &ca, "IP:127.0.0.1,DNS:localhost", -day, 30 * day);
  credential expired = make_cert("localhost", &ca, "IP:127.0.0.1,DNS:localhost", -3 * day, -day);
  credential wrong_name = make_cert("other.example", &ca, "DNS:other.example", -day, 30 * day);
  credential untrusted = make_cert("localhost", &other_ca, "IP:127.0.0.1,DNS:localhost", -day, 30 * day);

  std::filesystem::path dir;
  std::string ca_file;
  std::string ca_dir;

  test_pki() {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() / ("alicloud-pki-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir / "hashed");
    ca_file = (dir / "ca.pem").string();
    std::ofstream(ca_file) << ca.cert_pem;
    int ok = 0;
    const unsigned long h = X509_NAME_hash_ex(X509_get_subject_name(ca.cert.get()), nullptr, nullptr, &ok);
    check(ok == 1, "X509_NAME_hash_ex");
    char name[32];
    std::snprintf(name, sizeof name, "%08lx.0", h);
    ca_dir = (dir / "hashed").string();
    std::ofstream(dir / "hashed" / name) << ca.cert_pem;
  }
  ~test_pki() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  test_pki(const test_pki&) = delete;
  test_pki& operator=(const test_pki&) = delete;
};

}  // namespace alicloud_test
