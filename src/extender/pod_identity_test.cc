// The pod identity check of /filter: pods that do not exist, have another UID or are running.
#include "extender/pod_identity.h"

#include <gtest/gtest.h>

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
    return VerifyFilteredPod(
        sent,
        [this](const std::string& key) -> std::optional<Json> {
          auto it = cached_.find(key);
          if (it == cached_.end()) return std::nullopt;
          return it->second;
        },
        api_);
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

}  // namespace
}  // namespace hami::extender
