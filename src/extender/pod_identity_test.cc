// /filter against pods that do not exist, belong to someone else or are already running: the pod
// identity check alone, then the whole service over HTTP on the in-memory API server fake.
#include "extender/pod_identity.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include "extender/service.h"
#include "test/fakes/fake_kube_api.h"

namespace hami::extender {
namespace {

using Json = nlohmann::json;

Json GpuPod(const std::string& name, const std::string& uid, int mem) {
  Json pod = Json::parse(R"({"metadata":{"namespace":"default"},"spec":{"containers":[{"name":"c",
      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"0"}}}]}})");
  pod["metadata"]["name"] = name;
  if (!uid.empty()) pod["metadata"]["uid"] = uid;
  pod["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpumem"] = std::to_string(mem);
  return pod;
}

class PodIdentityTest : public ::testing::Test {
 protected:
  base::Result<Json> Verify(const Json& sent) {
    return VerifyFilteredPod(sent, [this](const std::string& key) -> std::optional<Json> {
      auto it = cached_.find(key);
      if (it == cached_.end()) return std::nullopt;
      return it->second;
    }, api_);
  }
  fakes::FakeKubeApi api_;
  std::map<std::string, Json> cached_;
};

TEST_F(PodIdentityTest, OnlyTheApiServersPendingPodWithThatUidPasses) {
  Json stored = *api_.Create(k8s::PodsPath("default"), GpuPod("p", "", 100));
  const std::string uid = stored["metadata"]["uid"];
  // The body's spec is not what counts: the API server's copy is returned.
  auto verified = Verify(GpuPod("p", uid, 1));
  ASSERT_TRUE(verified.ok()) << verified.error().ToString();
  EXPECT_EQ((*verified)["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpumem"],
            "100");
  EXPECT_EQ(Verify(GpuPod("p", "made-up", 100)).error().message(),
            "pod default/p has UID " + uid + ", not made-up");
  EXPECT_EQ(Verify(GpuPod("ghost", "made-up", 100)).error().message(),
            "pod default/ghost does not exist");
  EXPECT_EQ(Verify(GpuPod("p", "", 100)).error().code(), base::StatusCode::kInvalidArgument);
  ASSERT_TRUE(k8s::BindPod(api_, "default", "p", uid, "n1").ok());
  EXPECT_EQ(Verify(GpuPod("p", uid, 100)).error().message(),
            "pod default/p is already bound to node n1");
}

TEST_F(PodIdentityTest, TheInformerAnswersFirstAndAStaleCopyFallsBackToAGet) {
  cached_["default/p"] = GpuPod("p", "u1", 100);
  api_.FailNext("GET", base::Unavailable("GET must not be called"));
  EXPECT_TRUE(Verify(GpuPod("p", "u1", 100)).ok());
  EXPECT_FALSE(api_.Get(k8s::PodsPath("default", "p")).ok());  // the failure was still pending
  // The informer still has an older pod of that name: the API server decides.
  Json stored = *api_.Create(k8s::PodsPath("default"), GpuPod("p", "", 100));
  EXPECT_TRUE(Verify(GpuPod("p", stored["metadata"]["uid"], 100)).ok());
}

// Issue 14: ten /filter calls for pods that do not exist booked the card for 120 s, so a real
// pod did not fit. Now they book nothing and the real pod fits.
TEST(FilterServiceTest, FakeUidsBookNothing) {
  fakes::FakeKubeApi api;
  vendor::Registry registry;
  ServiceConfig config;
  config.http.bind_address = "127.0.0.1:0";
  config.metrics_bind = "";
  SchedulerService service(api, registry, config);
  codec::NodeObject node;
  node.name = "n1";
  node.annotations["hami.io/node-nvidia-register"] =
      R"([{"id":"GPU-1","count":10,"devmem":1000,"devcore":100,"type":"NVIDIA-T4","mode":"hami-core","health":true}])";
  ASSERT_TRUE(service.Start().ok());
  ASSERT_TRUE(service.cache().UpsertNode(node).ok());
  httplib::Client client("127.0.0.1", service.http_port());
  auto filter = [&](const Json& pod) {
    auto res = client.Post("/filter", Json{{"Pod", pod}, {"NodeNames", {"n1"}}}.dump(),
                           "application/json");
    EXPECT_TRUE(res && res->status == 200);
    return res ? Json::parse(res->body) : Json();
  };
  for (int i = 0; i < 10; ++i) {
    Json out = filter(GpuPod("fake-" + std::to_string(i), "uid-" + std::to_string(i), 100));
    EXPECT_EQ(out["Error"], "hami-scheduler: pod default/fake-" + std::to_string(i) +
                                " does not exist");
  }
  EXPECT_EQ(service.cache().PodCount(), 0u);
  Json real = *api.Create(k8s::PodsPath("default"), GpuPod("real", "", 1000));
  Json out = filter(real);
  EXPECT_EQ(out["Error"], "");
  EXPECT_EQ(out["NodeNames"], Json::array({"n1"}));
  EXPECT_EQ(service.cache().PodCount(), 1u);
  // Its UID under another pod's name, or its name with another UID, books nothing more.
  out = filter(GpuPod("real", "uid-0", 1000));
  EXPECT_NE(out["Error"].get<std::string>().find("not uid-0"), std::string::npos);
  EXPECT_TRUE(service.cache().Assumed(real["metadata"]["uid"]));
  service.Stop();
}

}  // namespace
}  // namespace hami::extender
