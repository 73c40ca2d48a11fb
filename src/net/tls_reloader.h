// TlsReloader: serves a certificate/key pair read from PEM files and re-reads it when the files
// change, so a renewed certificate (cert-manager, a rotated Secret) reaches new connections without
// a restart.
//
// Contract: Install() configures an SSL_CTX (TLS >= 1.2, a certificate callback); the callback runs
// at every handshake, stats both files and reloads when the mtime, size or inode of either changed.
// A pair that fails to load or whose key does not match the certificate keeps the previous pair
// (logged once per change) and is retried at the next handshake after a further change.
// Thread-safe: handshakes on many threads share one instance (a mutex guards the pair).
#pragma once

#include <sys/types.h>

#include <mutex>
#include <string>

#include "base/status.h"

// OpenSSL's own type names, forward-declared so this header does not pull in OpenSSL.
// NOLINTBEGIN(readability-identifier-naming)
using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;
using X509 = struct x509_st;
using EVP_PKEY = struct evp_pkey_st;
// NOLINTEND(readability-identifier-naming)
struct stack_st_X509;

namespace hami::net {

class TlsReloader {
 public:
  TlsReloader(std::string cert_file, std::string key_file);
  ~TlsReloader();
  TlsReloader(const TlsReloader&) = delete;
  TlsReloader& operator=(const TlsReloader&) = delete;

  // Loads the pair now; an error names the file and OpenSSL's reason.
  base::Status Load();
  // Sets up `ctx` to serve the current pair; returns false on OpenSSL failure. Must outlive `ctx`'s
  // handshakes (the owner keeps this object alive as long as the server).
  bool Install(SSL_CTX* ctx);
  // How many times a changed pair was loaded successfully (the first Load() counts).
  int generation() const;

 private:
  struct FileStamp {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    long long mtime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  };
  static int CertCallback(SSL* ssl, void* self);
  base::Status LoadLocked();
  void ReloadIfChangedLocked();
  void FreeLocked();

  const std::string cert_file_;
  const std::string key_file_;
  mutable std::mutex mu_;
  FileStamp cert_stamp_;
  FileStamp key_stamp_;
  X509* cert_ = nullptr;
  stack_st_X509* chain_ = nullptr;
  EVP_PKEY* key_ = nullptr;
  int generation_ = 0;
};

}  // namespace hami::net
