#include "net/tls_reloader.h"

#include <sys/stat.h>

#include <memory>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/log.h"

namespace hami::net {
namespace {

std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

struct BioCloser {
  void operator()(BIO* b) const { BIO_free(b); }
};

}  // namespace

TlsReloader::TlsReloader(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

TlsReloader::~TlsReloader() {
  std::lock_guard<std::mutex> lock(mu_);
  FreeLocked();
}

void TlsReloader::FreeLocked() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
  sk_X509_pop_free(chain_, X509_free);
  cert_ = nullptr;
  key_ = nullptr;
  chain_ = nullptr;
}

int TlsReloader::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

base::Status TlsReloader::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  return LoadLocked();
}

base::Status TlsReloader::LoadLocked() {
  auto stamp = [](const std::string& path, FileStamp* out) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return false;
    *out = {st.st_dev, st.st_ino, st.st_size,
            static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec};
    return true;
  };
  FileStamp cert_stamp, key_stamp;
  if (!stamp(cert_file_, &cert_stamp)) return base::NotFound("tls: cannot stat " + cert_file_);
  if (!stamp(key_file_, &key_stamp)) return base::NotFound("tls: cannot stat " + key_file_);
  // Remember the stamps even when loading fails, so a broken pair is not re-read per handshake.
  cert_stamp_ = cert_stamp;
  key_stamp_ = key_stamp;

  std::unique_ptr<BIO, BioCloser> cert_bio(BIO_new_file(cert_file_.c_str(), "r"));
  if (!cert_bio) return base::InvalidArgument("tls: " + cert_file_ + ": " + OpenSslError());
  X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
  if (cert == nullptr) {
    return base::InvalidArgument("tls: " + cert_file_ + ": no PEM certificate: " + OpenSslError());
  }
  STACK_OF(X509)* chain = sk_X509_new_null();
  while (X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(chain, extra);
  }
  ERR_clear_error();  // the loop ends on "no start line"

  std::unique_ptr<BIO, BioCloser> key_bio(BIO_new_file(key_file_.c_str(), "r"));
  EVP_PKEY* key =
      key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (key == nullptr || X509_check_private_key(cert, key) != 1) {
    const std::string why = key == nullptr ? "no PEM private key: " + OpenSslError()
                                           : "private key does not match " + cert_file_;
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    return base::InvalidArgument("tls: " + key_file_ + ": " + why);
  }
  FreeLocked();
  cert_ = cert;
  chain_ = chain;
  key_ = key;
  ++generation_;
  return {};
}

void TlsReloader::ReloadIfChangedLocked() {
  struct stat cs, ks;
  if (stat(cert_file_.c_str(), &cs) != 0 || stat(key_file_.c_str(), &ks) != 0) return;
  const FileStamp c{cs.st_dev, cs.st_ino, cs.st_size,
                    static_cast<long long>(cs.st_mtim.tv_sec) * 1000000000LL + cs.st_mtim.tv_nsec};
  const FileStamp k{ks.st_dev, ks.st_ino, ks.st_size,
                    static_cast<long long>(ks.st_mtim.tv_sec) * 1000000000LL + ks.st_mtim.tv_nsec};
  if (c == cert_stamp_ && k == key_stamp_) return;
  base::Status status = LoadLocked();
  if (status.ok()) {
    base::LogInfo("tls certificate reloaded",
                  {{"cert", cert_file_}, {"generation", std::to_string(generation_)}});
  } else {
    base::LogWarn("tls certificate reload failed; serving the previous one",
                  {{"error", status.message()}});
  }
}

int TlsReloader::CertCallback(SSL* ssl, void* self) {
  auto* r = static_cast<TlsReloader*>(self);
  std::lock_guard<std::mutex> lock(r->mu_);
  r->ReloadIfChangedLocked();
  if (r->cert_ == nullptr || r->key_ == nullptr) return 0;
  return SSL_use_cert_and_key(ssl, r->cert_, r->key_, r->chain_, 1) == 1 ? 1 : 0;
}

bool TlsReloader::Install(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cert_ == nullptr || SSL_CTX_use_certificate(ctx, cert_) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key_) != 1) {
      return false;
    }
  }
  SSL_CTX_set_cert_cb(ctx, &TlsReloader::CertCallback, this);
  return true;
}

}  // namespace hami::net
