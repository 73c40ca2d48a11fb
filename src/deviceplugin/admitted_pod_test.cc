// AdmittedPod: the interleavings of bind, admission, deletion and failure that must never hand one
// pod's booking to another pod's Allocate.
#include "deviceplugin/admitted_pod.h"

#include <gtest/gtest.h>

#include "model/pod_test_util.h"
#include "model/protocol.h"

namespace hami::deviceplugin {
namespace {

constexpr char kNode[] = "node-a";

// A pod bound to node-a by our scheduler with `to_allocate` left
// (hami.io/vgpu-devices-to-allocate).
model::Pod Bound(const std::string& name, const std::string& to_allocate) {
  model::Pod pod;
  pod.name = name;
  pod.uid = "uid-" + name;
  pod.phase = "Pending";
  pod.node_name = kNode;
  pod.annotations[model::kBindTimeAnnotation] = "1700000000";
  pod.annotations[model::kBindPhaseAnnotation] = model::kBindPhaseAllocating;
  pod.annotations[model::kVgpuNodeAnnotation] = kNode;
  pod.annotations["hami.io/vgpu-devices-to-allocate"] = to_allocate;
  pod.containers.push_back(model::testing::MakeContainer("main", {}));
  return pod;
}

KubeletPod Known(const std::string& name) { return KubeletPod{"default", name}; }

std::string Admitted(const std::vector<model::Pod>& bound, const std::vector<KubeletPod>& kubelet,
                     const std::set<std::string>& finished = {}) {
  auto pod = AdmittedPod(bound, kNode, kubelet, finished);
  return pod.ok() ? pod->name : pod.error().ToString();
}

TEST(AwaitsAllocationTest, OnlyPodsBoundHereWithNvidiaDevicesLeft) {
  EXPECT_TRUE(AwaitsAllocation(Bound("a", "GPU-a,NVIDIA,1000,10:;"), kNode));
  EXPECT_FALSE(AwaitsAllocation(Bound("a", "GPU-a,NVIDIA,1000,10:;"), "node-b"));
  EXPECT_FALSE(AwaitsAllocation(Bound("a", ";"), kNode)) << "every entry served";
  EXPECT_FALSE(AwaitsAllocation(Bound("a", "garbage"), kNode));
  model::Pod failed = Bound("a", "GPU-a,NVIDIA,1000,10:;");
  failed.annotations[model::kBindPhaseAnnotation] = model::kBindPhaseFailed;
  EXPECT_FALSE(AwaitsAllocation(failed, kNode));
  model::Pod running = Bound("a", "GPU-a,NVIDIA,1000,10:;");
  running.phase = "Running";
  EXPECT_FALSE(AwaitsAllocation(running, kNode));
  model::Pod unbooked = Bound("a", "GPU-a,NVIDIA,1000,10:;");
  unbooked.annotations.erase(model::kBindTimeAnnotation);
  EXPECT_FALSE(AwaitsAllocation(unbooked, kNode));
  model::Pod elsewhere = Bound("a", "GPU-a,NVIDIA,1000,10:;");
  elsewhere.annotations[model::kVgpuNodeAnnotation] = "node-b";
  EXPECT_FALSE(AwaitsAllocation(elsewhere, kNode)) << "booked for another node";
}

// Pods bound in a burst: only the one the kubelet has started on is asking, even though every one
// of them awaits allocation (the node lock used to keep all but one from being bound at all).
TEST(AdmittedPodTest, OnlyThePodTheKubeletListsIsAsking) {
  std::vector<model::Pod> bound = {Bound("first", "GPU-a,NVIDIA,1000,10:;"),
                                   Bound("second", "GPU-a,NVIDIA,3000,30:;"),
                                   Bound("third", "GPU-a,NVIDIA,1000,10:;")};
  EXPECT_EQ(Admitted(bound, {Known("second")}), "second");
  // Once "second" is served, "first" may be next; "second" stays listed.
  EXPECT_EQ(Admitted(bound, {Known("second"), Known("first")}, {"uid-second"}), "first");
}

TEST(AdmittedPodTest, APodDeletedBeforeItsAdmissionNeverMatches) {
  // "gone" was bound, then deleted: the API view may still hold it, the kubelet never lists it.
  std::vector<model::Pod> bound = {Bound("gone", "GPU-a,NVIDIA,1000,10:;"),
                                   Bound("next", "GPU-a,NVIDIA,1000,10:;")};
  EXPECT_EQ(Admitted(bound, {Known("next")}), "next");
  auto none = AdmittedPod({Bound("gone", "GPU-a,NVIDIA,1000,10:;")}, kNode, {}, {});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), base::StatusCode::kNotFound);
}

// Our Allocate for "broken" failed: the kubelet refuses it and keeps listing it until its status
// is Failed; the next pod's Allocate must not be charged to it even before the API shows that.
TEST(AdmittedPodTest, APodWhoseAllocateFailedIsNotAskingAnyMore) {
  std::vector<model::Pod> bound = {Bound("broken", "GPU-a,NVIDIA,1000,10:;"),
                                   Bound("next", "GPU-a,NVIDIA,1000,10:;")};
  EXPECT_EQ(Admitted(bound, {Known("broken"), Known("next")}, {"uid-broken"}), "next");
  bound[0].annotations[model::kBindPhaseAnnotation] = model::kBindPhaseFailed;
  EXPECT_EQ(Admitted(bound, {Known("broken"), Known("next")}), "next") << "after a restart";
}

// The kubelet refused "refused" before asking us (another admit handler): listed, awaiting, not
// finished, until its Failed status reaches the API server. Two candidates: an error to retry on,
// whatever GPUs they booked, until the status tells them apart.
TEST(AdmittedPodTest, APodRefusedBeforeAskingMakesItAnErrorUntilItsStatusArrives) {
  std::vector<model::Pod> bound = {Bound("refused", "GPU-b,NVIDIA,1000,10:;"),
                                   Bound("asking", "GPU-a,NVIDIA,1000,10:;")};
  const std::vector<KubeletPod> kubelet = {Known("refused"), Known("asking")};
  auto ambiguous = AdmittedPod(bound, kNode, kubelet, {});
  ASSERT_FALSE(ambiguous.ok()) << "never guess: a wrong pod gets another pod's GPUs and limits";
  EXPECT_EQ(ambiguous.error().code(), base::StatusCode::kFailedPrecondition);
  EXPECT_NE(ambiguous.error().message().find("default/refused, default/asking"), std::string::npos)
      << ambiguous.error().message();
  bound[0].phase = "Failed";
  EXPECT_EQ(Admitted(bound, kubelet), "asking");
}

// A pod with two GPU containers asks twice; between the two it still awaits allocation (the first
// entry emptied, the second left).
TEST(AdmittedPodTest, APodStaysTheOneAskingUntilItsLastContainerIsServed) {
  model::Pod pod = Bound("two", "GPU-a,NVIDIA,500,0:;GPU-b,NVIDIA,500,0:;");
  pod.containers.push_back(model::testing::MakeContainer("second", {}));
  std::vector<model::Pod> bound = {pod, Bound("later", "GPU-a,NVIDIA,1000,10:;")};
  EXPECT_EQ(Admitted(bound, {Known("two")}), "two");
  bound[0].annotations["hami.io/vgpu-devices-to-allocate"] = ";GPU-b,NVIDIA,500,0:;";
  EXPECT_EQ(Admitted(bound, {Known("two")}), "two");
  bound[0].annotations["hami.io/vgpu-devices-to-allocate"] = ";;";
  EXPECT_EQ(Admitted(bound, {Known("two"), Known("later")}), "later");
}

}  // namespace
}  // namespace hami::deviceplugin
