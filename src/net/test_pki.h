// Test-only: certificates made on the fly (P-256 keys) for TLS tests: a CA, certificates it
// signs for servers and clients, and the PEM files servers and clients read. Header-only.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace hami::net::test_pki {

// A key and its certificate; `cert_file`/`key_file` hold them as PEM once Write() ran.
struct TestCert {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  std::string cert_file;
  std::string key_file;

  TestCert() = default;
  TestCert(const TestCert&) = delete;
  TestCert& operator=(const TestCert&) = delete;
  TestCert(TestCert&& o) noexcept { *this = std::move(o); }
  TestCert& operator=(TestCert&& o) noexcept {
    std::swap(key, o.key);
    std::swap(cert, o.cert);
    cert_file = o.cert_file;
    key_file = o.key_file;
    return *this;
  }
  ~TestCert() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }

  // Writes `<dir>/<name>.crt` and `<dir>/<name>.key`.
  void Write(const std::filesystem::path& dir, const std::string& name) {
    cert_file = (dir / (name + ".crt")).string();
    key_file = (dir / (name + ".key")).string();
    FILE* f = fopen(cert_file.c_str(), "w");
    PEM_write_X509(f, cert);
    fclose(f);
    f = fopen(key_file.c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    fclose(f);
  }
};

inline void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate with subject CN=`cn`, signed by `issuer` (self-signed when null). `usage`:
// "ca", "server" (serverAuth, SAN 127.0.0.1) or "client" (clientAuth).
inline TestCert MakeCert(const std::string& cn, const TestCert* issuer, const std::string& usage) {
  TestCert out;
  out.key = EVP_EC_gen("P-256");
  out.cert = X509_new();
  static long serial = 1;
  X509_set_version(out.cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(out.cert), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(out.cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(out.cert), 3600);
  X509_set_pubkey(out.cert, out.key);
  X509_NAME* name = X509_get_subject_name(out.cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* issuer_cert = issuer ? issuer->cert : out.cert;
  X509_set_issuer_name(out.cert, X509_get_subject_name(issuer_cert));
  if (usage == "ca") {
    AddExtension(out.cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(out.cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(out.cert, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(out.cert, issuer_cert, NID_ext_key_usage,
                 usage == "server" ? "serverAuth" : "clientAuth");
    if (usage == "server") {
      AddExtension(out.cert, issuer_cert, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    }
  }
  X509_sign(out.cert, issuer ? issuer->key : out.key, EVP_sha256());
  return out;
}

}  // namespace hami::net::test_pki
