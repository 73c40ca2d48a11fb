#include "k8s/client_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

namespace hami::k8s {
namespace {

// "CA PEM" / "CERT" / "KEY" in base64.
constexpr char kKubeconfig[] = R"(
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: Q0EgUEVN
- name: prod-cluster
  cluster:
    server: https://prod.example:443
    certificate-authority: certs/ca.crt
    tls-server-name: kubernetes
- name: lab-cluster
  cluster:
    server: https://lab:6443
    insecure-skip-tls-verify: true
users:
- name: dev-user
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
- name: prod-user
  user:
    client-certificate: /abs/client.crt
    client-key: keys/client.key
    tokenFile: token
- name: lab-user
  user:
    token: abc.def
- name: exec-user
  user:
    exec:
      command: aws
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user}
- name: prod
  context: {cluster: prod-cluster, user: prod-user, namespace: hami-system}
- name: lab
  context: {cluster: lab-cluster, user: lab-user}
- name: exec
  context: {cluster: lab-cluster, user: exec-user}
- name: dangling
  context: {cluster: nowhere, user: lab-user}
- name: no-user
  context: {cluster: missing-user-cluster, user: ghost}
)";

TEST(ParseKubeconfigTest, CurrentContextWithInlineData) {
  auto config = ParseKubeconfig(kKubeconfig, "/home/u/.kube");
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");
  EXPECT_EQ(config->ca_data, "CA PEM");
  EXPECT_EQ(config->ca_file, "");
  EXPECT_EQ(config->client_cert_data, "CERT");
  EXPECT_EQ(config->client_key_data, "KEY");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->default_namespace, "default");
  EXPECT_EQ(config->token, "");
}

TEST(ParseKubeconfigTest, NamedContextWithRelativeFiles) {
  auto config = ParseKubeconfig(kKubeconfig, "/home/u/.kube", "prod");
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->server, "https://prod.example:443");
  EXPECT_EQ(config->ca_file, "/home/u/.kube/certs/ca.crt");
  EXPECT_EQ(config->tls_server_name, "kubernetes");
  EXPECT_EQ(config->client_cert_file, "/abs/client.crt");
  EXPECT_EQ(config->client_key_file, "/home/u/.kube/keys/client.key");
  EXPECT_EQ(config->token_file, "/home/u/.kube/token");
  EXPECT_EQ(config->default_namespace, "hami-system");
}

TEST(ParseKubeconfigTest, InsecureAndToken) {
  auto config = ParseKubeconfig(kKubeconfig, "/x", "lab");
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->token, "abc.def");
}

TEST(ParseKubeconfigTest, Errors) {
  EXPECT_EQ(ParseKubeconfig(kKubeconfig, "/x", "missing").error().code(),
            base::StatusCode::kNotFound);
  auto dangling = ParseKubeconfig(kKubeconfig, "/x", "dangling");
  EXPECT_NE(dangling.error().message().find("cluster \"nowhere\" not found"), std::string::npos);
  EXPECT_EQ(ParseKubeconfig(kKubeconfig, "/x", "exec").error().code(),
            base::StatusCode::kUnimplemented);
  EXPECT_FALSE(ParseKubeconfig("clusters: [", "/x").ok());
  EXPECT_FALSE(ParseKubeconfig("- a\n- b\n", "/x").ok());
  EXPECT_FALSE(ParseKubeconfig("clusters: []\n", "/x").ok());  // no current-context
  auto bad_b64 = ParseKubeconfig(R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://a", certificate-authority-data: "%%%"}}]
contexts: [{name: c, context: {cluster: k}}]
)",
                                 "/x");
  ASSERT_FALSE(bad_b64.ok());
  EXPECT_NE(bad_b64.error().message().find("certificate-authority-data"), std::string::npos);
  auto no_server = ParseKubeconfig(R"(
current-context: c
clusters: [{name: k, cluster: {}}]
contexts: [{name: c, context: {cluster: k}}]
)",
                                   "/x");
  EXPECT_FALSE(no_server.ok());
}

// Scalars are read as text (codec::YamlScalars::kText): a number-like password or token keeps its
// exact characters; YAML's bounds and guards apply (codec/yaml.h).
TEST(ParseKubeconfigTest, ScalarsKeepTheirTextAndYamlIsBounded) {
  auto config = ParseKubeconfig(R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://a"}}]
users: [{name: u, user: {username: 007, password: 0012, token: 1.50}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)",
                                "/x");
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->username, "007");
  EXPECT_EQ(config->password, "0012");
  EXPECT_EQ(config->token, "1.50");
  const std::string deep = "clusters: " + std::string(300, '[') + std::string(300, ']') + "\n";
  auto nested = ParseKubeconfig(deep, "/x");
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.error().message().find("nested deeper than 256"), std::string::npos)
      << nested.error().message();
  auto comma = ParseKubeconfig("current-context: c\n,\n", "/x");
  ASSERT_FALSE(comma.ok());
  EXPECT_NE(comma.error().message().find("kubeconfig: invalid YAML at line 2"), std::string::npos)
      << comma.error().message();
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/k8s_config_test_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf " + path_).c_str()); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
    return path_ + "/" + name;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(LoadKubeconfigTest, MergesListFirstDefinitionWins) {
  TempDir dir;
  std::string a = dir.Write("a", R"(
current-context: one
clusters: [{name: k, cluster: {server: "https://first"}}]
contexts: [{name: one, context: {cluster: k}}]
)");
  std::string b = dir.Write("b", R"(
current-context: two
clusters:
- {name: k, cluster: {server: "https://second"}}
- {name: k2, cluster: {server: "https://k2", certificate-authority: ca.pem}}
contexts:
- {name: two, context: {cluster: k2}}
)");
  auto config = LoadKubeconfig(a + ":" + dir.path() + "/missing:" + b);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->server, "https://first");
  auto two = LoadKubeconfig(a + ":" + b, "two");
  ASSERT_TRUE(two.ok()) << two.error().ToString();
  EXPECT_EQ(two->server, "https://k2");
  EXPECT_EQ(two->ca_file, dir.path() + "/ca.pem");  // relative to the file that defined it
  EXPECT_EQ(LoadKubeconfig(dir.path() + "/missing").error().code(), base::StatusCode::kNotFound);
}

TEST(InClusterConfigTest, ReadsServiceAccount) {
  TempDir dir;
  dir.Write("token", "tok\n");
  dir.Write("ca.crt", "PEM");
  dir.Write("namespace", "hami-system\n");
  setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto config = InClusterConfig(dir.path());
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->server, "https://10.0.0.1:443");
  EXPECT_EQ(config->token_file, dir.path() + "/token");
  EXPECT_EQ(config->ca_file, dir.path() + "/ca.crt");
  EXPECT_EQ(config->default_namespace, "hami-system");
  setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  EXPECT_EQ(InClusterConfig(dir.path())->server, "https://[fd00::1]:443");
  EXPECT_EQ(InClusterConfig(dir.path() + "/nope").error().code(), base::StatusCode::kNotFound);
  unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_EQ(InClusterConfig(dir.path()).error().code(), base::StatusCode::kFailedPrecondition);
  unsetenv("KUBERNETES_SERVICE_PORT");
}

TEST(ChooseConfigSourceTest, ResolutionOrder) {
  auto exists = [](const std::string& path) { return path == "/home/u/.kube/config"; };
  auto none = [](const std::string&) { return false; };
  ConfigEnvironment all{"/flag", "/env", "10.0.0.1", "/home/u", exists};
  EXPECT_EQ(ChooseConfigSource(all), ConfigSource::kFlag);
  all.kubeconfig_flag = "";
  EXPECT_EQ(ChooseConfigSource(all), ConfigSource::kKubeconfigEnv);
  all.kubeconfig_env = "";  // empty $KUBECONFIG counts as unset
  EXPECT_EQ(ChooseConfigSource(all), ConfigSource::kInCluster);
  all.service_host.reset();
  EXPECT_EQ(ChooseConfigSource(all), ConfigSource::kHomeKubeconfig);
  all.file_exists = none;
  EXPECT_EQ(ChooseConfigSource(all), ConfigSource::kNone);
}

TEST(DecodeBase64Test, Vectors) {
  EXPECT_EQ(DecodeBase64("").value(), "");
  EXPECT_EQ(DecodeBase64("Zg==").value(), "f");
  EXPECT_EQ(DecodeBase64("Zm8=").value(), "fo");
  EXPECT_EQ(DecodeBase64("Zm9v").value(), "foo");
  EXPECT_EQ(DecodeBase64("Zm9vYg").value(), "foob");  // unpadded
  EXPECT_EQ(DecodeBase64("Zm9v\nYmFy\n").value(), "foobar");
  EXPECT_EQ(DecodeBase64("/+8=").value(), "\xff\xef");
  EXPECT_FALSE(DecodeBase64("Z").ok());
  EXPECT_FALSE(DecodeBase64("Zm9v*").ok());
  EXPECT_FALSE(DecodeBase64("Zg==Zg==").ok());
}

}  // namespace
}  // namespace hami::k8s
