// How to reach and authenticate to an API server: kubeconfig files, in-cluster service accounts,
// and the resolution order between them.
//
// Key material stays in memory: inline "*-data" fields are base64-decoded into ClientConfig and
// handed to libcurl as blobs (CURLOPT_*_BLOB), never written to disk. File fields are kept as
// paths, made absolute relative to the kubeconfig's directory as kubectl does.
// Not supported (an error names them): exec and auth-provider credential plugins.
// Functions are thread-compatible; those reading files/env are not pure and say so.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hami::k8s {

struct ClientConfig {
  std::string server;  // "https://host:port" (no trailing slash)
  // TLS: a CA bundle as a file or as PEM bytes (data wins when both are set).
  std::string ca_file;
  std::string ca_data;
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // SNI/verification name override; empty = host of `server`
  // Client certificate authentication (PEM), file or data.
  std::string client_cert_file;
  std::string client_cert_data;
  std::string client_key_file;
  std::string client_key_data;
  // Bearer token: literal, or a file re-read whenever it changes (projected SA tokens rotate).
  std::string token;
  std::string token_file;
  // HTTP basic authentication (legacy).
  std::string username;
  std::string password;
  std::string default_namespace = "default";  // context namespace / in-cluster namespace file
  std::string
      source;  // where this came from, for logs: "kubeconfig /path (context x)", "in-cluster"
};

// Parses kubeconfig YAML (one file; its first document, read by codec/yaml.h with its bounds, every
// scalar as text). `base_dir` resolves relative file paths. `context` empty = current-context.
// Errors name the missing context/cluster/user, the bad field or the bad YAML's line. Pure.
base::Result<ClientConfig> ParseKubeconfig(std::string_view yaml, std::string_view base_dir,
                                           std::string_view context = "");

// Reads and parses one kubeconfig file, or a KUBECONFIG-style ':'-separated list merged as kubectl
// does (the first file to define a name wins; the first current-context wins). Reads files.
base::Result<ClientConfig> LoadKubeconfig(std::string_view path, std::string_view context = "");

// Service-account configuration inside a pod:
// https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, CA <sa_dir>/ca.crt, token file
// <sa_dir>/token (re-read when it changes), namespace from <sa_dir>/namespace. Reads env and files;
// `sa_dir` is a parameter for tests.
inline constexpr std::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";
base::Result<ClientConfig> InClusterConfig(std::string_view sa_dir = kServiceAccountDir);

// Which configuration ResolveClientConfig uses.
enum class ConfigSource { kFlag, kKubeconfigEnv, kInCluster, kHomeKubeconfig, kNone };
struct ConfigEnvironment {
  std::string kubeconfig_flag;                // --kubeconfig
  std::optional<std::string> kubeconfig_env;  // $KUBECONFIG
  std::optional<std::string> service_host;    // $KUBERNETES_SERVICE_HOST
  std::optional<std::string> home;            // $HOME
  std::function<bool(const std::string&)> file_exists;
};
// Order: --kubeconfig flag, else non-empty $KUBECONFIG, else in-cluster (service host set), else
// $HOME/.kube/config when it exists, else kNone. Pure given `env`.
ConfigSource ChooseConfigSource(const ConfigEnvironment& env);

// The process's environment (getenv, stat) as a ConfigEnvironment.
ConfigEnvironment ProcessConfigEnvironment(std::string kubeconfig_flag);

// Applies ChooseConfigSource to the process environment and loads the chosen configuration.
base::Result<ClientConfig> ResolveClientConfig(std::string_view kubeconfig_flag,
                                               std::string_view context = "");

// Standard base64 (RFC 4648, padding optional, whitespace ignored). Pure.
base::Result<std::string> DecodeBase64(std::string_view text);

}  // namespace hami::k8s
