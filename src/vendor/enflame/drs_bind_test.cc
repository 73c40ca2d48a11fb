// What bind writes for DRS instances (vendors.md §9.2 "Pod annotations"), byte for byte, and
// reading it back: a restarted scheduler books the same slices (the fix of §17.4's over-commit).
#include <gtest/gtest.h>

#include <random>

#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "vendor/cluster_state.h"
#include "vendor/enflame/wire.h"

namespace hami::vendor::enflame {
namespace {

constexpr char kCapacity[] = R"({"devices":[{"index":"0","minor":"0","capacity":6}],)"
                             R"("profiles":{"1g.6gb":"0","3g.20gb":"1","6g.40gb":"2"}})";

class EnflameDrsBindTest : public ::testing::Test {
 protected:
  void SetUp() override {
    codec::NodeObject node;
    node.name = "n";
    node.annotations[kDrsCapacityAnnotation] = kCapacity;
    auto state = NodeStateFromNode(node, registry_);
    ASSERT_TRUE(state.ok()) << state.error().ToString();
    node_ = std::move(*state);
  }

  // Places `pod`, writes its bind annotations on it and books it on the node as a restarted
  // scheduler would (annotations -> granted devices -> booking). False when it does not fit.
  bool PlaceAndBook(model::Pod& pod) {
    auto input = BuildPodInput(pod, registry_, sched::Policy{});
    EXPECT_TRUE(input.ok()) << input.error().ToString();
    const sched::NodeState* nodes[] = {&node_};
    sched::Decision d = sched::Decide(nodes, *input, nullptr);
    if (!d.chosen) {
      last_failure_ = model::RenderReasons(d.failures.at(0).second);
      return false;
    }
    auto written = drs()->AllocationAnnotations(
        {pod, "n", d.devices.at("Enflame"), d.partitions, d.registered, 1700000000});
    EXPECT_TRUE(written.ok()) << written.error().ToString();
    pod.annotations.insert(written->begin(), written->end());
    auto granted = GrantedDevices(pod, registry_);
    EXPECT_TRUE(granted.ok()) << granted.error().ToString();
    sched::ApplyBooking(node_, BookingOf(pod, *granted, registry_), +1);
    return true;
  }

  const Vendor* drs() const { return registry_.Find(kDrsVendorName); }

  Registry registry_;
  sched::NodeState node_;
  std::string last_failure_;
};

model::Pod SlicesPod(const std::string& name, const std::string& n) {
  model::Pod pod;
  pod.namespace_name = "kube-system";
  pod.name = name;
  pod.containers.push_back(
      model::testing::MakeContainer("pod-gcu-example1", {{kDefaultDrsResource, n}}));
  return pod;
}

TEST_F(EnflameDrsBindTest, AnnotationsAreUpstreams) {
  model::Pod pod = SlicesPod("a", "3");
  ASSERT_TRUE(PlaceAndBook(pod));
  const std::map<std::string, std::string> want = {
      {"hami.io/enflame-vgpu-devices-allocated", "n-enflame-drs-0,Enflame,20480,50:;"},
      {"enflame.com/gcu-assigned", "false"},
      {"enflame.com/gcu-assigned-time", "1700000000000000000"},
      {"enflame.com/gcu-assigned-index", "0"},
      {"enflame.com/gcu-assigned-id", "0"},
      {"enflame.com/gcu-assigned-minor", "0"},
      {"enflame.com/gcu-request-size", "3"},
      {"assigned-containers", R"({"pod-gcu-example1":{"allocated":false,"request":3,)"
                              R"("profileID":"1","profileName":"3g.20gb"}})"},
  };
  EXPECT_EQ(pod.annotations, want);
}

TEST_F(EnflameDrsBindTest, SeveralContainers) {
  model::Pod pod;
  pod.name = "multi";
  pod.init_containers.push_back(
      model::testing::MakeContainer("setup", {{kDefaultDrsResource, "1"}}));
  pod.containers.push_back(model::testing::MakeContainer("plain", {}));
  pod.containers.push_back(
      model::testing::MakeContainer("b-main", {{kDefaultMemoryResource, "20480"}}));
  ASSERT_TRUE(PlaceAndBook(pod));
  EXPECT_EQ(pod.annotations.at("hami.io/enflame-vgpu-devices-allocated"),
            "n-enflame-drs-0,Enflame,6144,17:;;n-enflame-drs-0,Enflame,20480,50:;");
  EXPECT_EQ(pod.annotations.at("assigned-containers"),
            R"({"b-main":{"allocated":false,"request":3,"profileID":"1","profileName":"3g.20gb"},)"
            R"("setup":{"allocated":false,"request":1,"profileID":"0","profileName":"1g.6gb"}})");
  EXPECT_EQ(pod.annotations.at("enflame.com/gcu-request-size"), "1");  // the first container's
  // Read back: each container's slices and profile.
  auto granted = drs()->GrantedDevices(pod);
  ASSERT_TRUE(granted.ok() && *granted);
  const auto& devices = (*granted)->devices;
  ASSERT_EQ(devices.size(), 3u);
  EXPECT_EQ(devices[0][0], (model::ContainerDevice{0, "n-enflame-drs-0", "Enflame", 6144, 17, 1}));
  EXPECT_TRUE(devices[1].empty());
  EXPECT_EQ(devices[2][0].slots, 3);
  ASSERT_EQ((*granted)->partitions.size(), 2u);
  EXPECT_EQ((*granted)->partitions[1],
            (model::PartitionGrant{"Enflame", 2, 0, "n-enflame-drs-0", "3g.20gb", "1", {}}));
  // Init and app containers collapse: max(1, 3) slices are booked.
  EXPECT_EQ(node_.devices[0].usage.used, 3);
}

// Upstream re-accounts a cached pod with one slot, not its profile's slices (§17.4), so a full
// card takes more instances after a restart. Here the booking comes from the annotations.
TEST_F(EnflameDrsBindTest, RestartBooksTheSameSlices) {
  model::Pod a = SlicesPod("a", "3");
  model::Pod b = SlicesPod("b", "3");
  ASSERT_TRUE(PlaceAndBook(a));
  ASSERT_TRUE(PlaceAndBook(b));
  EXPECT_EQ(node_.devices[0].usage.used, 6);
  model::Pod c = SlicesPod("c", "1");
  EXPECT_FALSE(PlaceAndBook(c));
  EXPECT_EQ(last_failure_, "1/1 CardTimeSlicingExhausted");
  // Removing a pod frees its three slices.
  auto granted = GrantedDevices(a, registry_);
  ASSERT_TRUE(granted.ok());
  sched::ApplyBooking(node_, BookingOf(a, *granted, registry_), -1);
  EXPECT_EQ(node_.devices[0].usage.used, 3);
}

TEST_F(EnflameDrsBindTest, ReadingBackWithoutAssignedContainers) {
  model::Pod pod = SlicesPod("old", "3");
  pod.annotations["hami.io/enflame-vgpu-devices-allocated"] = "n-enflame-drs-0,Enflame,20480,50:;";
  auto granted = drs()->GrantedDevices(pod);
  ASSERT_TRUE(granted.ok() && *granted);
  EXPECT_EQ((*granted)->devices[0][0].slots, 1);  // nothing says more: upstream's one slot
  EXPECT_TRUE((*granted)->partitions.empty());
  pod.annotations["enflame.com/gcu-request-size"] = "3";
  EXPECT_EQ((*drs()->GrantedDevices(pod))->devices[0][0].slots, 3);
  EXPECT_FALSE(*drs()->GrantedDevices(model::Pod{}));
}

TEST_F(EnflameDrsBindTest, MalformedAnnotationsAreErrors) {
  struct Case {
    const char* key;
    const char* value;
  };
  const Case cases[] = {
      {"assigned-containers", "not json"},
      {"assigned-containers", R"({"pod-gcu-example1":{"request":0}})"},
      {"assigned-containers", R"({"pod-gcu-example1":{"request":"3"}})"},
      {"assigned-containers", R"({"pod-gcu-example1":{"request":99999}})"},
      {"enflame.com/gcu-request-size", "three"},
      {"hami.io/enflame-vgpu-devices-allocated", "n-enflame-drs-0,Enflame:;"},
  };
  for (const auto& c : cases) {
    model::Pod pod = SlicesPod("bad", "3");
    pod.annotations[kDrsAllocatedAnnotation] = "n-enflame-drs-0,Enflame,20480,50:;";
    pod.annotations[c.key] = c.value;
    auto granted = drs()->GrantedDevices(pod);
    ASSERT_FALSE(granted.ok()) << c.key << "=" << c.value;
    EXPECT_NE(granted.error().message().find(c.key), std::string::npos)
        << granted.error().message();
  }
}

// Whatever the pod's annotations hold, reading them back gives grants or an error, never a crash.
TEST_F(EnflameDrsBindTest, MutatedAnnotationsNeverThrow) {
  model::Pod pod = SlicesPod("a", "3");
  ASSERT_TRUE(PlaceAndBook(pod));
  const std::map<std::string, std::string> golden = pod.annotations;
  const std::string alphabet = "{}[]\":,;0123456789-e ab";
  std::mt19937 rng(7);
  int read = 0;
  for (int round = 0; round < 2000; ++round) {
    pod.annotations = golden;
    auto it = std::next(pod.annotations.begin(), rng() % pod.annotations.size());
    std::string& v = it->second;
    for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0 && !v.empty(); --edits) {
      const size_t pos = rng() % v.size();
      if (rng() % 2 == 0) {
        v[pos] = alphabet[rng() % alphabet.size()];
      } else {
        v.erase(pos, 1);
      }
    }
    read += drs()->GrantedDevices(pod).ok();
  }
  EXPECT_GT(read, 0);
}

// Bind reads the granted device's registration: the minor it registered, not its index.
TEST_F(EnflameDrsBindTest, AssignedMinorIsTheRegisteredMinor) {
  codec::NodeObject node;
  node.name = "n";
  node.annotations[kDrsCapacityAnnotation] =
      R"({"devices":[{"index":"0","minor":"5","capacity":6}],"profiles":{"3g.20gb":"1"}})";
  auto state = NodeStateFromNode(node, registry_);
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  node_ = std::move(*state);
  model::Pod pod = SlicesPod("minor", "3");
  ASSERT_TRUE(PlaceAndBook(pod)) << last_failure_;
  EXPECT_EQ(pod.annotations.at("enflame.com/gcu-assigned-minor"), "5");
  EXPECT_EQ(pod.annotations.at("enflame.com/gcu-assigned-index"), "0");
}

}  // namespace
}  // namespace hami::vendor::enflame
