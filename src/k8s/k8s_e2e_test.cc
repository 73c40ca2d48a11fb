// Integration test of the Kubernetes client against a REAL kube-apiserver (ctest label e2e).
//
// Uses $HAMI_E2E_KUBECONFIG, else <source>/_output/local/kubeconfig (written by hack/local-up.sh).
// Skips (GTEST_SKIP; ctest reports it as skipped) when the file is absent or the API server does
// not answer /readyz. Creates uniquely named objects and deletes them at the end.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "k8s/api_status.h"
#include "k8s/http_kube_api.h"
#include "k8s/informer.h"
#include "k8s/leader_election.h"

#ifndef HAMI_SOURCE_DIR
#define HAMI_SOURCE_DIR "."
#endif

namespace hami::k8s {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

std::string KubeconfigPath() {
  const char* env = std::getenv("HAMI_E2E_KUBECONFIG");
  if (env != nullptr && *env != '\0') return env;
  return std::string(HAMI_SOURCE_DIR) + "/_output/local/kubeconfig";
}

class K8sE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path = KubeconfigPath();
    if (!std::ifstream(path))
      GTEST_SKIP() << "no kubeconfig at " << path << " (run hack/local-up.sh)";
    auto config = LoadKubeconfig(path);
    ASSERT_TRUE(config.ok()) << config.error().ToString();
    ClientOptions options;
    options.timeout = milliseconds(15000);
    options.connect_timeout = milliseconds(3000);
    auto api = HttpKubeApi::New(*config, options);
    ASSERT_TRUE(api.ok()) << api.error().ToString();
    api_ = std::move(api).value();
    auto ready = api_->GetRaw("/readyz");
    if (!ready.ok()) GTEST_SKIP() << "API server not reachable: " << ready.error().ToString();
    suffix_ = std::to_string(getpid()) + "-" +
              std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 100000);
    ns_ = "hami-k8s-e2e-" + suffix_;
    auto created = api_->Create(NamespacesPath(), {{"metadata", {{"name", ns_}}}});
    ASSERT_TRUE(created.ok()) << created.error().ToString();
  }
  void TearDown() override {
    if (!api_ || ns_.empty()) return;
    (void)api_->Delete(NodesPath("hami-e2e-node-" + suffix_));
    (void)api_->Delete(NamespacesPath(ns_));
  }

  Json PodJson(const std::string& name) {
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}, {"labels", {{"hami-e2e", suffix_}}}}},
            {"spec",
             {{"schedulerName", "hami-e2e-nobody"},  // no scheduler picks it up: we bind it
              {"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}};
  }

  std::unique_ptr<HttpKubeApi> api_;
  std::string suffix_;
  std::string ns_;
};

// Collects informer callbacks and lets the test wait for a line.
class Events {
 public:
  void Add(std::string line) {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back(std::move(line));
    cv_.notify_all();
  }
  bool WaitFor(const std::string& line) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] {
      return std::find(lines_.begin(), lines_.end(), line) != lines_.end();
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

TEST_F(K8sE2eTest, NodePodBindingEventInformer) {
  // Node: create, merge-patch annotations, JSON-patch labels, status subresource.
  std::string node_name = "hami-e2e-node-" + suffix_;
  Json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", node_name}}}};
  ASSERT_TRUE(api_->Create(NodesPath(), node).ok());
  EXPECT_TRUE(IsAlreadyExists(api_->Create(NodesPath(), node).status()));
  auto annotated =
      PatchAnnotations(*api_, NodesPath(node_name), {{"hami.io/node-nvidia-register", "[]"}});
  ASSERT_TRUE(annotated.ok()) << annotated.error().ToString();
  auto labelled = api_->Patch(
      NodesPath(node_name), PatchType::kJson,
      Json::array({{{"op", "add"}, {"path", "/metadata/labels"}, {"value", {{"gpu", "on"}}}}}));
  ASSERT_TRUE(labelled.ok()) << labelled.error().ToString();
  ResourcePath node_status = NodesPath(node_name);
  node_status.subresource = "status";
  auto status = api_->Patch(
      node_status, PatchType::kMerge,
      {{"status",
        {{"capacity", {{"nvidia.com/gpu", "4"}}}, {"allocatable", {{"nvidia.com/gpu", "4"}}}}}});
  ASSERT_TRUE(status.ok()) << status.error().ToString();
  auto read = api_->Get(NodesPath(node_name));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ((*read)["metadata"]["annotations"]["hami.io/node-nvidia-register"], "[]");
  EXPECT_EQ((*read)["metadata"]["labels"]["gpu"], "on");
  EXPECT_EQ((*read)["status"]["allocatable"]["nvidia.com/gpu"], "4");
  // Optimistic concurrency: an update carrying a stale resourceVersion conflicts.
  Json stale = *annotated;
  EXPECT_TRUE(IsConflict(api_->Update(NodesPath(node_name), stale).status()));

  // Informer on this test's pods.
  Events events;
  InformerOptions options;
  options.collection = PodsPath(ns_);
  options.label_selector = "hami-e2e=" + suffix_;
  options.page_size = 1;
  options.watch_timeout_seconds = 30;
  Informer informer(
      api_.get(), options,
      {[&](const Json& o) { events.Add("add " + KeyOf(o)); },
       [&](const Json&, const Json& o) {
         events.Add("update " + KeyOf(o) + " node=" + o["spec"].value("nodeName", ""));
       },
       [&](const Json& o) { events.Add("delete " + KeyOf(o)); }, nullptr});
  ASSERT_TRUE(api_->Create(PodsPath(ns_), PodJson("before")).ok());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(milliseconds(20000)));
  EXPECT_TRUE(events.WaitFor("add " + ns_ + "/before"));

  // Pod bound through the binding subresource, seen by the watch.
  auto pod = api_->Create(PodsPath(ns_), PodJson("p1"));
  ASSERT_TRUE(pod.ok()) << pod.error().ToString();
  EXPECT_TRUE(events.WaitFor("add " + ns_ + "/p1"));
  std::string uid = (*pod)["metadata"]["uid"];
  base::Status bound = BindPod(*api_, ns_, "p1", uid, node_name);
  ASSERT_TRUE(bound.ok()) << bound.ToString();
  EXPECT_EQ(api_->Get(PodsPath(ns_, "p1"))->at("spec").at("nodeName"), node_name);
  EXPECT_TRUE(events.WaitFor("update " + ns_ + "/p1 node=" + node_name));
  EXPECT_TRUE(IsConflict(BindPod(*api_, ns_, "p1", uid, node_name)));
  EXPECT_TRUE(IsNotFound(api_->Get(PodsPath(ns_, "missing")).status()));

  // Paged LIST with a label selector.
  ListOptions by_label;
  by_label.label_selector = options.label_selector;
  auto pods = ListAll(*api_, PodsPath(ns_), by_label, 1);
  ASSERT_TRUE(pods.ok()) << pods.error().ToString();
  EXPECT_EQ(pods->items.size(), 2u);
  EXPECT_EQ(pods->items[0]["kind"], "Pod");

  // Event about the pod.
  auto event = CreateEvent(*api_, *pod, {"BindingSucceed", "bound by e2e", "Normal", "hami-e2e"});
  ASSERT_TRUE(event.ok()) << event.error().ToString();
  ListOptions by_object;
  by_object.field_selector = "involvedObject.name=p1";
  auto listed = api_->List(EventsPath(ns_), by_object);
  ASSERT_TRUE(listed.ok()) << listed.error().ToString();
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0]["reason"], "BindingSucceed");

  // Delete with a uid precondition; the informer sees it.
  DeleteOptions wrong_uid;
  wrong_uid.uid = "not-the-uid";
  EXPECT_TRUE(IsConflict(api_->Delete(PodsPath(ns_, "p1"), wrong_uid)));
  DeleteOptions now;  // no kubelet will confirm termination: remove at once
  now.uid = uid;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(api_->Delete(PodsPath(ns_, "p1"), now).ok());
  EXPECT_TRUE(events.WaitFor("delete " + ns_ + "/p1"));
  informer.Stop();
  EXPECT_EQ(informer.stats().lists, 1);
  ASSERT_TRUE(api_->Delete(NodesPath(node_name)).ok());
}

TEST_F(K8sE2eTest, WatchEndsAtServerTimeoutAndOnStop) {
  // The server closes the stream after timeoutSeconds: Watch returns OK.
  ListOptions short_watch;
  short_watch.timeout_seconds = 1;
  auto started = std::chrono::steady_clock::now();
  base::Status ended =
      api_->Watch(PodsPath(ns_), short_watch, [](const WatchEvent&) { return true; }, {});
  EXPECT_TRUE(ended.ok()) << ended.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));

  // A stop request ends an idle stream within about a second.
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(300));
    stop.request_stop();
  });
  started = std::chrono::steady_clock::now();
  base::Status stopped = api_->Watch(
      PodsPath(ns_), ListOptions{}, [](const WatchEvent&) { return true; }, stop.get_token());
  stopper.join();
  EXPECT_TRUE(stopped.ok()) << stopped.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(2500));

  // HTTP errors of a watch carry the server's status: a namespace-scoped watch of an unknown
  // resource is NotFound.
  ResourcePath bogus = PodsPath(ns_);
  bogus.resource = "nosuchthings";
  base::Status missing =
      api_->Watch(bogus, ListOptions{}, [](const WatchEvent&) { return true; }, {});
  EXPECT_TRUE(IsNotFound(missing)) << missing.ToString();
}

TEST_F(K8sE2eTest, LeaseLeaderElectionHandOver) {
  LeaderElectionConfig config;
  config.lease_namespace = ns_;
  config.lease_name = "hami-e2e";
  config.identity = "a";
  LeaderElector a(api_.get(), config);
  config.identity = "b";
  LeaderElector b(api_.get(), config);
  a.Tick();
  ASSERT_TRUE(a.IsLeader());
  b.Tick();
  EXPECT_FALSE(b.IsLeader());
  EXPECT_EQ(b.LastObservedHolder(), "a");
  a.Tick();
  EXPECT_TRUE(a.IsLeader());
  a.Stop();  // releases
  b.Tick();
  EXPECT_TRUE(b.IsLeader());
  auto lease = api_->Get(LeasesPath(ns_, "hami-e2e"));
  ASSERT_TRUE(lease.ok()) << lease.error().ToString();
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "b");
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 1);
  b.Stop();
}

}  // namespace
}  // namespace hami::k8s
