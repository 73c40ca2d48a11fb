#include "k8s/resource_path.h"

#include <gtest/gtest.h>

namespace hami::k8s {
namespace {

TEST(ResourcePathTest, UrlPaths) {
  struct Case {
    ResourcePath path;
    std::string url;
  };
  ResourcePath binding = PodsPath("default", "p1");
  binding.subresource = "binding";
  ResourcePath node_status = NodesPath("n1");
  node_status.subresource = "status";
  const Case cases[] = {
      {PodsPath(""), "/api/v1/pods"},
      {PodsPath("kube-system"), "/api/v1/namespaces/kube-system/pods"},
      {PodsPath("default", "p1"), "/api/v1/namespaces/default/pods/p1"},
      {binding, "/api/v1/namespaces/default/pods/p1/binding"},
      {NodesPath(), "/api/v1/nodes"},
      {node_status, "/api/v1/nodes/n1/status"},
      {EventsPath("ns"), "/api/v1/namespaces/ns/events"},
      {LeasesPath("kube-system", "hami"),
       "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/hami"},
      {NamespacesPath("x"), "/api/v1/namespaces/x"},
      {PodsPath("a b", "c/d"), "/api/v1/namespaces/a%20b/pods/c%2Fd"},
  };
  for (const Case& c : cases) EXPECT_EQ(c.path.UrlPath(), c.url);
}

TEST(ResourcePathTest, SubresourceIgnoredOnCollection) {
  ResourcePath path = PodsPath("default");
  path.subresource = "status";
  EXPECT_EQ(path.UrlPath(), "/api/v1/namespaces/default/pods");
}

TEST(ResourcePathTest, Describe) {
  ResourcePath binding = PodsPath("default", "p1");
  binding.subresource = "binding";
  EXPECT_EQ(binding.Describe(), "pods/binding default/p1");
  EXPECT_EQ(NodesPath("n1").Describe(), "nodes n1");
  EXPECT_EQ(NodesPath().Describe(), "nodes");
}

TEST(BuildQueryTest, ListAndWatch) {
  ListOptions options;
  EXPECT_EQ(BuildQuery(options, false), "");
  EXPECT_EQ(BuildQuery(options, true), "?watch=true&allowWatchBookmarks=true");
  options.label_selector = "app=x,tier!=db";
  options.field_selector = "spec.nodeName=";
  options.resource_version = "123";
  options.limit = 500;
  options.continue_token = "tok+/=";
  options.timeout_seconds = 300;
  EXPECT_EQ(BuildQuery(options, false),
            "?labelSelector=app%3Dx%2Ctier%21%3Ddb&fieldSelector=spec.nodeName%3D"
            "&resourceVersion=123&limit=500&continue=tok%2B%2F%3D");
  EXPECT_EQ(BuildQuery(options, true),
            "?labelSelector=app%3Dx%2Ctier%21%3Ddb&fieldSelector=spec.nodeName%3D"
            "&resourceVersion=123&watch=true&allowWatchBookmarks=true&timeoutSeconds=300");
  ListOptions plain;
  plain.resource_version = "7";
  plain.allow_watch_bookmarks = false;
  EXPECT_EQ(BuildQuery(plain, true), "?resourceVersion=7&watch=true");
}

TEST(PercentEncodeTest, KeepsUnreservedOnly) {
  EXPECT_EQ(PercentEncode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(PercentEncode("a b&c=d?é"), "a%20b%26c%3Dd%3F%C3%A9");
}

TEST(ObjectKeyTest, NamespacedAndClusterScoped) {
  EXPECT_EQ(ObjectKey("default", "p"), "default/p");
  EXPECT_EQ(ObjectKey("", "node1"), "node1");
}

}  // namespace
}  // namespace hami::k8s
