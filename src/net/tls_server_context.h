// TlsServerContext: the OpenSSL server context of one HttpServer: the serving pair (re-read when
// its files change, TlsReloader), TLS >= 1.2, and client certificates checked per route.
//
// Client certificates: when client CA files are given, every handshake asks the client for a
// certificate (CertificateRequest lists the subjects of every CA in those files, which Go clients
// use to pick theirs) and completes without one; a presented certificate must prove possession of
// its key (TLS does that) but is not judged during the handshake. Peer() judges it afterwards
// against each CA file separately (chain, validity, TLS client purpose), so a route can require
// the CA it trusts rather than any of the server's.
// Thread-safety: NewSession and Peer may be called from any thread; the object must outlive
// every SSL it created.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/http_server.h"
#include "net/tls_reloader.h"

// OpenSSL's own type name, forward-declared (as in tls_reloader.h).
using X509_STORE = struct x509_store_st;  // NOLINT(readability-identifier-naming)

namespace hami::net {

// The client certificate of a completed handshake.
struct PeerCertificate {
  bool presented = false;
  std::string common_name;           // subject CN ("" when it has none)
  std::set<std::string> trusted_by;  // the client CA files that verify it
};

class TlsServerContext {
 public:
  // Loads the pair and the CA files; errors name the file.
  static base::Result<std::unique_ptr<TlsServerContext>> Create(
      const TlsFiles& files, const std::vector<std::string>& client_ca_files);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // A server-side SSL on connected socket `fd` (nullptr on OpenSSL failure); the caller frees it.
  SSL* NewSession(int fd) const;
  // Judges the client certificate of `ssl` (handshake complete) against every client CA file.
  PeerCertificate Peer(SSL* ssl) const;

 private:
  explicit TlsServerContext(const TlsFiles& files);
  base::Status LoadClientCas(const std::vector<std::string>& files);

  TlsReloader certs_;
  SSL_CTX* ctx_ = nullptr;
  std::map<std::string, X509_STORE*> stores_;  // client CA file -> its CAs
};

// Whether `policy` accepts `peer`; *why is the refusal's reason for the 403 body.
bool PolicyAccepts(const ClientCertPolicy& policy, const PeerCertificate& peer, std::string* why);

}  // namespace hami::net
