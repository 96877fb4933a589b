#pragma once
// A throwaway CA and a server certificate signed by it, made at start when TLS is wanted without
// certificate files. Clients trust the CA (written to --ca-out), never the leaf, so regenerating on
// each start needs only the CA file to be re-read. P-256 keys: generation takes milliseconds.
// OpenSSL 3 APIs only (nothing deprecated).

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace esa_emulator {

struct pem_pair {
  std::string cert_pem;  ///< leaf first, then the CA (a complete chain)
  std::string key_pem;
  std::string ca_pem;
};

namespace detail::tls {

struct pkey_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_free {
  void operator()(X509* p) const { X509_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;

inline void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("generating the TLS certificate: ") + what + " failed");
}

inline std::string pem_of(X509* x) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  check(bio && PEM_write_bio_X509(bio.get(), x) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

inline std::string pem_of(EVP_PKEY* k) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  check(bio && PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

inline void add_ext(X509* x, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str());
  check(ext != nullptr, "X509V3_EXT_nconf_nid");
  const int ok = X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  check(ok == 1, "X509_add_ext");
}

struct made {
  pkey_ptr key;
  x509_ptr cert;
};

inline made make(const std::string& cn, const made* issuer, const std::string& san, long days) {
  std::random_device rd;
  made m;
  m.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  check(m.key != nullptr, "EVP_PKEY_Q_keygen");
  m.cert.reset(X509_new());
  X509* x = m.cert.get();
  check(x != nullptr, "X509_new");
  check(X509_set_version(x, 2) == 1, "X509_set_version");
  const std::uint64_t serial = (std::uint64_t{rd()} << 31) ^ rd();
  check(ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) == 1, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(x), days * 86400) != nullptr, "notAfter");
  check(X509_set_pubkey(x, m.key.get()) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(x);
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("esa-emulator"), -1,
                                   -1, 0) == 1,
        "O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                                   -1, 0) == 1,
        "CN");
  X509* issuer_cert = issuer ? issuer->cert.get() : x;
  check(X509_set_issuer_name(x, X509_get_subject_name(issuer_cert)) == 1, "issuer");
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert, x, nullptr, nullptr, 0);
  add_ext(x, &ctx, NID_subject_key_identifier, "hash");
  if (!issuer) {
    add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
    add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature");
    add_ext(x, &ctx, NID_ext_key_usage, "serverAuth");
    add_ext(x, &ctx, NID_subject_alt_name, san);
  }
  check(X509_sign(x, issuer ? issuer->key.get() : m.key.get(), EVP_sha256()) > 0, "X509_sign");
  return m;
}

inline bool is_ip_literal(const std::string& h) {
  if (h.find(':') != std::string::npos) return true;
  for (char c : h)
    if (!(c == '.' || (c >= '0' && c <= '9'))) return false;
  return !h.empty();
}

}  // namespace detail::tls

/// A CA valid for 10 years and a leaf valid for one year covering localhost, 127.0.0.1, ::1 and the
/// given extra names (host names or IP literals).
inline pem_pair make_self_signed(const std::vector<std::string>& extra_names = {}) {
  namespace t = detail::tls;
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  for (const auto& n : extra_names) {
    if (n.empty() || n == "localhost" || n == "127.0.0.1" || n == "::1" || n == "0.0.0.0" || n == "::") continue;
    if (n.find_first_of(", \r\n") != std::string::npos) continue;
    san += (t::is_ip_literal(n) ? ",IP:" : ",DNS:") + n;
  }
  const t::made ca = t::make("esa-emulator local CA", nullptr, "", 3650);
  const t::made leaf = t::make("localhost", &ca, san, 365);
  pem_pair out;
  out.ca_pem = t::pem_of(ca.cert.get());
  out.cert_pem = t::pem_of(leaf.cert.get()) + out.ca_pem;
  out.key_pem = t::pem_of(leaf.key.get());
  return out;
}

}  // namespace esa_emulator
