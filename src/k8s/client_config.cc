#include "k8s/client_config.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "base/strings.h"
#include "codec/yaml.h"

namespace hami::k8s {
namespace {

using base::InvalidArgument;
using base::Quote;

// Named entries from one or more kubeconfig files; each remembers its file's directory.
struct Entry {
  nlohmann::json body;  // an object
  std::string base_dir;
};
struct Kubeconfig {
  std::map<std::string, Entry> clusters;
  std::map<std::string, Entry> users;
  std::map<std::string, Entry> contexts;
  std::string current_context;
};

// The text of scalar `key` of `node` (kubeconfig documents are read with YamlScalars::kText, so
// every scalar is a string); "" when absent, null or not a scalar.
std::string Scalar(const nlohmann::json& node, const char* key) {
  if (!node.is_object()) return "";
  auto value = node.find(key);
  if (value == node.end() || !value->is_string()) return "";
  return value->get<std::string>();
}

std::string ResolvePath(const std::string& path, const std::string& base_dir) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

std::string DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

// Adds the named list `key` ("clusters", "users", "contexts") of `root`; first definition wins.
base::Status AddNamed(const nlohmann::json& root, const char* key, const char* body_key,
                      const std::string& base_dir, std::map<std::string, Entry>* out) {
  auto list = root.find(key);
  if (list == root.end() || list->is_null()) return base::Status::Ok();
  if (!list->is_array())
    return InvalidArgument(std::string("kubeconfig: ") + key + ": expected a list");
  for (size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& item = (*list)[i];
    std::string name = Scalar(item, "name");
    if (name.empty() || !item.contains(body_key) || !item[body_key].is_object()) {
      return InvalidArgument("kubeconfig: " + std::string(key) + "[" + std::to_string(i) +
                             "]: needs name and " + body_key);
    }
    out->emplace(name, Entry{item[body_key], base_dir});
  }
  return base::Status::Ok();
}

// Adds the first YAML document of `yaml` (as client-go reads a kubeconfig; the others must still
// be YAML). The YAML bounds and guards are codec/yaml.h's.
base::Status AddDocument(std::string_view yaml, const std::string& base_dir, Kubeconfig* config) {
  HAMI_ASSIGN_OR_RETURN(auto docs,
                        codec::ParseYamlDocuments(yaml, "kubeconfig", codec::YamlScalars::kText));
  if (docs.empty() || docs[0].is_null()) return base::Status::Ok();  // an empty file adds nothing
  const nlohmann::json& root = docs[0];
  if (!root.is_object()) return InvalidArgument("kubeconfig: expected a mapping at the top level");
  HAMI_RETURN_IF_ERROR(AddNamed(root, "clusters", "cluster", base_dir, &config->clusters));
  HAMI_RETURN_IF_ERROR(AddNamed(root, "users", "user", base_dir, &config->users));
  HAMI_RETURN_IF_ERROR(AddNamed(root, "contexts", "context", base_dir, &config->contexts));
  if (config->current_context.empty()) config->current_context = Scalar(root, "current-context");
  return base::Status::Ok();
}

// Reads "<field>-data" (base64) into *data, or "<field>" (a path) into *file.
base::Status ReadPem(const Entry& entry, const std::string& field, std::string* file,
                     std::string* data) {
  std::string inline_data = Scalar(entry.body, (field + "-data").c_str());
  if (!inline_data.empty()) {
    auto decoded = DecodeBase64(inline_data);
    if (!decoded.ok()) return decoded.error().WithContext("kubeconfig: " + field + "-data");
    *data = std::move(decoded).value();
  }
  *file = ResolvePath(Scalar(entry.body, field.c_str()), entry.base_dir);
  return base::Status::Ok();
}

base::Status ApplyCluster(const Entry& cluster, ClientConfig* out) {
  out->server = Scalar(cluster.body, "server");
  while (base::EndsWith(out->server, "/")) out->server.pop_back();
  if (out->server.empty()) return InvalidArgument("kubeconfig: cluster has no server");
  HAMI_RETURN_IF_ERROR(ReadPem(cluster, "certificate-authority", &out->ca_file, &out->ca_data));
  std::string insecure = Scalar(cluster.body, "insecure-skip-tls-verify");
  out->insecure_skip_tls_verify = base::ParseBool(insecure).value_or(false);
  out->tls_server_name = Scalar(cluster.body, "tls-server-name");
  return base::Status::Ok();
}

base::Status ApplyUser(const Entry& user, ClientConfig* out) {
  if (user.body.contains("exec") || user.body.contains("auth-provider")) {
    return {base::StatusCode::kUnimplemented,
            "kubeconfig: exec/auth-provider credential plugins are not supported"};
  }
  HAMI_RETURN_IF_ERROR(
      ReadPem(user, "client-certificate", &out->client_cert_file, &out->client_cert_data));
  HAMI_RETURN_IF_ERROR(ReadPem(user, "client-key", &out->client_key_file, &out->client_key_data));
  out->token = Scalar(user.body, "token");
  out->token_file = ResolvePath(Scalar(user.body, "tokenFile"), user.base_dir);
  out->username = Scalar(user.body, "username");
  out->password = Scalar(user.body, "password");
  return base::Status::Ok();
}

base::Result<ClientConfig> Resolve(const Kubeconfig& config, std::string_view context) {
  std::string context_name = context.empty() ? config.current_context : std::string(context);
  if (context_name.empty())
    return InvalidArgument("kubeconfig: no context given and no current-context");
  auto ctx = config.contexts.find(context_name);
  if (ctx == config.contexts.end()) {
    return base::NotFound("kubeconfig: context " + Quote(context_name) + " not found");
  }
  std::string cluster_name = Scalar(ctx->second.body, "cluster");
  auto cluster = config.clusters.find(cluster_name);
  if (cluster == config.clusters.end()) {
    return base::NotFound("kubeconfig: context " + Quote(context_name) + ": cluster " +
                          Quote(cluster_name) + " not found");
  }
  ClientConfig out;
  HAMI_RETURN_IF_ERROR(ApplyCluster(cluster->second, &out));
  std::string user_name = Scalar(ctx->second.body, "user");
  if (!user_name.empty()) {
    auto user = config.users.find(user_name);
    if (user == config.users.end()) {
      return base::NotFound("kubeconfig: context " + Quote(context_name) + ": user " +
                            Quote(user_name) + " not found");
    }
    HAMI_RETURN_IF_ERROR(ApplyUser(user->second, &out));
  }
  std::string ns = Scalar(ctx->second.body, "namespace");
  if (!ns.empty()) out.default_namespace = ns;
  out.source = "context " + context_name;
  return out;
}

base::Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::NotFound("cannot read " + Quote(path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::optional<std::string> Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

}  // namespace

base::Result<ClientConfig> ParseKubeconfig(std::string_view yaml, std::string_view base_dir,
                                           std::string_view context) {
  Kubeconfig config;
  HAMI_RETURN_IF_ERROR(AddDocument(yaml, std::string(base_dir), &config));
  return Resolve(config, context);
}

base::Result<ClientConfig> LoadKubeconfig(std::string_view path, std::string_view context) {
  Kubeconfig config;
  int loaded = 0;
  for (std::string_view piece : base::Split(path, ':')) {
    if (piece.empty()) continue;
    std::string file(piece);
    auto text = ReadFile(file);
    if (!text.ok()) continue;  // kubectl skips missing files in a list
    HAMI_RETURN_IF_ERROR(AddDocument(*text, DirName(file), &config).WithContext(file));
    ++loaded;
  }
  if (loaded == 0) return base::NotFound("kubeconfig: cannot read " + Quote(path));
  HAMI_ASSIGN_OR_RETURN(ClientConfig out, Resolve(config, context));
  out.source = "kubeconfig " + std::string(path) + " (" + out.source + ")";
  return out;
}

base::Result<ClientConfig> InClusterConfig(std::string_view sa_dir) {
  auto host = Env("KUBERNETES_SERVICE_HOST");
  auto port = Env("KUBERNETES_SERVICE_PORT");
  if (!host || !port || host->empty() || port->empty()) {
    return base::FailedPrecondition(
        "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  std::string dir(sa_dir);
  ClientConfig out;
  // An IPv6 service host needs brackets in a URL.
  std::string h = host->find(':') != std::string::npos ? "[" + *host + "]" : *host;
  out.server = "https://" + h + ":" + *port;
  out.token_file = dir + "/token";
  if (!FileExists(out.token_file)) {
    return base::NotFound("in-cluster: service-account token " + Quote(out.token_file) +
                          " missing");
  }
  out.ca_file = dir + "/ca.crt";
  if (!FileExists(out.ca_file)) {
    return base::NotFound("in-cluster: service-account CA " + Quote(out.ca_file) + " missing");
  }
  auto ns = ReadFile(dir + "/namespace");
  if (ns.ok() && !base::Trim(*ns).empty()) out.default_namespace = std::string(base::Trim(*ns));
  out.source = "in-cluster";
  return out;
}

ConfigSource ChooseConfigSource(const ConfigEnvironment& env) {
  if (!env.kubeconfig_flag.empty()) return ConfigSource::kFlag;
  if (env.kubeconfig_env && !env.kubeconfig_env->empty()) return ConfigSource::kKubeconfigEnv;
  if (env.service_host && !env.service_host->empty()) return ConfigSource::kInCluster;
  if (env.home && !env.home->empty() && env.file_exists &&
      env.file_exists(*env.home + "/.kube/config")) {
    return ConfigSource::kHomeKubeconfig;
  }
  return ConfigSource::kNone;
}

ConfigEnvironment ProcessConfigEnvironment(std::string kubeconfig_flag) {
  ConfigEnvironment env;
  env.kubeconfig_flag = std::move(kubeconfig_flag);
  env.kubeconfig_env = Env("KUBECONFIG");
  env.service_host = Env("KUBERNETES_SERVICE_HOST");
  env.home = Env("HOME");
  env.file_exists = FileExists;
  return env;
}

base::Result<ClientConfig> ResolveClientConfig(std::string_view kubeconfig_flag,
                                               std::string_view context) {
  ConfigEnvironment env = ProcessConfigEnvironment(std::string(kubeconfig_flag));
  switch (ChooseConfigSource(env)) {
    case ConfigSource::kFlag:
      return LoadKubeconfig(env.kubeconfig_flag, context);
    case ConfigSource::kKubeconfigEnv:
      return LoadKubeconfig(*env.kubeconfig_env, context);
    case ConfigSource::kInCluster:
      return InClusterConfig();
    case ConfigSource::kHomeKubeconfig:
      return LoadKubeconfig(*env.home + "/.kube/config", context);
    case ConfigSource::kNone:
      break;
  }
  return base::FailedPrecondition(
      "no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, run in a pod, or create "
      "~/.kube/config");
}

base::Result<std::string> DecodeBase64(std::string_view text) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  int padding = 0;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      value = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      value = c - '0' + 52;
    } else if (c == '+') {
      value = 62;
    } else if (c == '/') {
      value = 63;
    } else if (c == '=') {
      ++padding;
      continue;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      continue;
    } else {
      return InvalidArgument("invalid base64 character " + Quote(std::string(1, c)));
    }
    if (padding > 0) return InvalidArgument("invalid base64: data after padding");
    bits = (bits << 6) | static_cast<uint32_t>(value);
    if (++count == 4) {
      out.push_back(static_cast<char>((bits >> 16) & 0xFF));
      out.push_back(static_cast<char>((bits >> 8) & 0xFF));
      out.push_back(static_cast<char>(bits & 0xFF));
      bits = 0;
      count = 0;
    }
  }
  if (count == 1) return InvalidArgument("invalid base64: truncated input");
  if (count == 2) out.push_back(static_cast<char>((bits >> 4) & 0xFF));
  if (count == 3) {
    out.push_back(static_cast<char>((bits >> 10) & 0xFF));
    out.push_back(static_cast<char>((bits >> 2) & 0xFF));
  }
  return out;
}

}  // namespace hami::k8s
