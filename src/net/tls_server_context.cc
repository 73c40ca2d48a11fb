#include "net/tls_server_context.h"

#include <algorithm>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace hami::net {
namespace {

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

// Handshakes accept any client certificate; Peer() judges it per CA file.
int AcceptAnyPeer(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

std::string CommonName(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace

TlsServerContext::TlsServerContext(const TlsFiles& files)
    : certs_(files.cert_file, files.key_file) {}

TlsServerContext::~TlsServerContext() {
  SSL_CTX_free(ctx_);
  for (auto& [file, store] : stores_) X509_STORE_free(store);
}

base::Result<std::unique_ptr<TlsServerContext>> TlsServerContext::Create(
    const TlsFiles& files, const std::vector<std::string>& client_ca_files) {
  std::unique_ptr<TlsServerContext> out(new TlsServerContext(files));
  HAMI_RETURN_IF_ERROR(out->certs_.Load());
  out->ctx_ = SSL_CTX_new(TLS_server_method());
  if (out->ctx_ == nullptr || !out->certs_.Install(out->ctx_)) {
    return base::Internal("tls: context setup failed: " + OpenSslError());
  }
  SSL_CTX_set_mode(out->ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
  if (!client_ca_files.empty()) HAMI_RETURN_IF_ERROR(out->LoadClientCas(client_ca_files));
  return out;
}

base::Status TlsServerContext::LoadClientCas(const std::vector<std::string>& files) {
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  for (const std::string& file : files) {
    if (stores_.count(file) != 0) continue;
    X509_STORE* store = X509_STORE_new();
    stores_[file] = store;
    const int before = sk_X509_NAME_num(names);
    if (store == nullptr || X509_STORE_load_file(store, file.c_str()) != 1 ||
        SSL_add_file_cert_subjects_to_stack(names, file.c_str()) != 1 ||
        sk_X509_NAME_num(names) == before) {
      sk_X509_NAME_pop_free(names, X509_NAME_free);
      return base::InvalidArgument("tls: client CA file " + file +
                                   ": no PEM CA certificate: " + OpenSslError());
    }
  }
  SSL_CTX_set_client_CA_list(ctx_, names);  // takes ownership
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, &AcceptAnyPeer);
  return {};
}

SSL* TlsServerContext::NewSession(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

PeerCertificate TlsServerContext::Peer(SSL* ssl) const {
  PeerCertificate peer;
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr) return peer;
  peer.presented = true;
  peer.common_name = CommonName(leaf);
  STACK_OF(X509)* untrusted = SSL_get_peer_cert_chain(ssl);  // server side: without the leaf
  for (const auto& [file, store] : stores_) {
    X509_STORE_CTX* check = X509_STORE_CTX_new();
    if (check != nullptr && X509_STORE_CTX_init(check, store, leaf, untrusted) == 1) {
      X509_STORE_CTX_set_purpose(check, X509_PURPOSE_SSL_CLIENT);
      if (X509_verify_cert(check) == 1) peer.trusted_by.insert(file);
    }
    X509_STORE_CTX_free(check);
  }
  ERR_clear_error();
  return peer;
}

bool PolicyAccepts(const ClientCertPolicy& policy, const PeerCertificate& peer, std::string* why) {
  if (!peer.presented) {
    *why = "a client certificate is required";
    return false;
  }
  if (peer.trusted_by.count(policy.ca_file) == 0) {
    *why = "client certificate CN=" + peer.common_name + " is not issued by a trusted CA";
    return false;
  }
  if (!policy.names.empty() &&
      std::find(policy.names.begin(), policy.names.end(), peer.common_name) == policy.names.end()) {
    *why = "client certificate CN=" + peer.common_name + " is not allowed";
    return false;
  }
  return true;
}

}  // namespace hami::net
