// vendors.md §8.2 (Metax-SGPU) through the public seam: the node-gpu-devices registration, request
// derivation (vmemory units), the webhook's app-class / QoS rules, selector params, booking tags,
// bind annotations and their read-back, lock and quota.
#include <gtest/gtest.h>

#include "model/pod_test_util.h"
#include "vendor/cluster_state.h"
#include "vendor/metax/sgpu_fit.h"
#include "vendor/metax/sgpu_register.h"
#include "vendor/metax/sgpu_vendor.h"
#include "vendor/metax/wire.h"

namespace hami::vendor::metax {
namespace {

const Vendor& Sgpu(const Registry& registry) {
  const Vendor* v = registry.Find(kSgpuVendorName);
  EXPECT_NE(v, nullptr);
  return *v;
}

model::Container C(model::ResourceList limits, model::ResourceList requests = {}) {
  return model::testing::MakeContainer("main", std::move(limits), std::move(requests));
}

model::DeviceRequest Want(int32_t nums, int64_t mem, int32_t pct, int64_t cores) {
  model::DeviceRequest r;
  r.vendor = kSgpuVendorName;
  r.nums = nums;
  r.memreq = mem;
  r.mem_percentage = pct;
  r.coresreq = cores;
  return r;
}

TEST(MetaxSgpuRegisterTest, DecodesThePluginsFormat) {
  auto devices = DecodeSgpuDevices(
      R"([{"uuid": "GPU-123", "model": "sgpu", "totalDevCount": 16, "totalCompute": 100, "bdf": "0000:44:00.0", "totalVRam" : 32768, "numa": 1, "healthy": true, "qosPolicy": "fixed-share", "linkZone": 2},)"
      R"({"UUID":"GPU-456","TotalDevCount":8,"totalVRam":65536,"totalCompute":100,"availableVRam":1024,"healthy":false,"linkZone":null}])");
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->size(), 2u);
  const model::DeviceInfo& a = (*devices)[0];
  EXPECT_EQ(a.id, "GPU-123");
  EXPECT_EQ(a.index, 0);
  EXPECT_EQ(a.count, 16);
  EXPECT_EQ(a.devmem, 32768);
  EXPECT_EQ(a.devcore, 100);
  EXPECT_EQ(a.numa, 1);
  EXPECT_TRUE(a.health);
  EXPECT_EQ(a.type, "Metax-SGPU");
  EXPECT_EQ(a.vendor, "Metax-SGPU");
  EXPECT_EQ(a.attributes, (std::map<std::string, std::string>{
                              {"LinkZone", "2"}, {"Model", "sgpu"}, {"QosPolicy", "fixed-share"}}));
  const model::DeviceInfo& b = (*devices)[1];
  EXPECT_EQ(b.id, "GPU-456");
  EXPECT_EQ(b.index, 1);
  EXPECT_EQ(b.count, 8);
  EXPECT_FALSE(b.health);
  EXPECT_EQ(b.attributes.at("LinkZone"), "0");
  EXPECT_TRUE(DecodeSgpuDevices("[]")->empty());
}

TEST(MetaxSgpuRegisterTest, HostileInputIsRefusedByName) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "invalid JSON"},
      {"{}", "expected a JSON array"},
      {"[1]", "device [0]: expected an object"},
      {R"([{"totalDevCount":1}])", "member \"uuid\" is missing"},
      {R"([{"uuid":7}])", "member \"uuid\": expected a string"},
      {R"([{"uuid":"a","totalVRam":-1}])", "member \"totalVRam\": expected an integer"},
      {R"([{"uuid":"a","totalVRam":1.5}])", "member \"totalVRam\""},
      {R"([{"uuid":"a","totalDevCount":4294967296}])", "member \"totalDevCount\""},
      {R"([{"uuid":"a","healthy":"yes"}])", "member \"healthy\": expected a boolean"},
      {R"([{"uuid":"a"},{"uuid":"a"}])", "uuid \"a\" is registered twice"},
      {std::string(2 << 20, ' '), "exceed the limit"},
  };
  for (const auto& [value, part] : cases) {
    auto r = DecodeSgpuDevices(value);
    ASSERT_FALSE(r.ok()) << value.substr(0, 40);
    EXPECT_NE(r.error().message().find(part), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("metax-tech.com/node-gpu-devices"), std::string::npos);
  }
  std::string many = "[";
  for (int i = 0; i < 1025; ++i)
    many += (i ? "," : "") + std::string(R"({"uuid":"g)") + std::to_string(i) + "\"}";
  EXPECT_FALSE(DecodeSgpuDevices(many + "]").ok());
}

TEST(MetaxSgpuNodeTest, NodeStateFromAnnotation) {
  Registry registry;
  codec::NodeObject node;
  node.name = "sg";
  EXPECT_EQ(Sgpu(registry).DevicesFromNode(node).error().code(), base::StatusCode::kNotFound);
  node.annotations[kSgpuRegisterAnnotation] = "[]";
  EXPECT_EQ(Sgpu(registry).DevicesFromNode(node).error().code(), base::StatusCode::kNotFound);
  node.annotations[kSgpuRegisterAnnotation] =
      R"([{"uuid":"GPU-1","totalDevCount":16,"totalCompute":100,"totalVRam":65536,"healthy":true}])";
  auto state = NodeStateFromNode(node, registry);
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  ASSERT_EQ(state->devices.size(), 1u);
  EXPECT_EQ(state->devices[0].info.vendor, "Metax-SGPU");
  node.annotations[kSgpuRegisterAnnotation] = "[{";
  auto bad = NodeStateFromNode(node, registry);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("node sg"), std::string::npos);
}

TEST(MetaxSgpuRequestTest, DerivationFromLimits) {
  Registry registry;
  const Vendor& v = Sgpu(registry);
  const model::Pod pod;
  const std::string sgpu = "metax-tech.com/sgpu", vcore = "metax-tech.com/vcore",
                    vmem = "metax-tech.com/vmemory";
  struct Case {
    const char* name;
    model::Container c;
    model::DeviceRequest want;
  };
  const std::vector<Case> cases = {
      {"one full", C({{sgpu, "1"}}), Want(1, 0, 100, 100)},
      {"two full", C({{sgpu, "2"}}), Want(2, 0, 100, 100)},
      {"vcore", C({{sgpu, "1"}, {vcore, "30"}}), Want(1, 0, 100, 30)},
      {"vmemory GiB", C({{sgpu, "1"}, {vmem, "16"}}), Want(1, 16384, 0, 100)},
      {"both", C({{sgpu, "1"}, {vcore, "60"}, {vmem, "16"}}), Want(1, 16384, 0, 60)},
      {"Mi", C({{sgpu, "1"}, {vcore, "60"}, {vmem, "1024Mi"}}), Want(1, 1024, 0, 60)},
      {"Gi", C({{sgpu, "1"}, {vcore, "60"}, {vmem, "16Gi"}}), Want(1, 16384, 0, 60)},
      {"2048Mi", C({{sgpu, "1"}, {vmem, "2048Mi"}}), Want(1, 2048, 0, 100)},
      // The API server stores 1000 as "1k": still GiB, not bytes.
      {"canonical 1k", C({{sgpu, "1"}, {vmem, "1k"}}), Want(1, 1024000, 0, 100)},
      {"bytes round up", C({{sgpu, "1"}, {vmem, "1536Ki"}}), Want(1, 2, 0, 100)},
      {"vcore above 100 stays", C({{sgpu, "1"}, {vcore, "120"}}), Want(1, 0, 100, 120)},
  };
  for (const auto& c : cases) {
    auto r = v.ContainerRequest(pod, c.c);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.error().ToString();
    ASSERT_TRUE(r->has_value()) << c.name;
    EXPECT_EQ(**r, c.want) << c.name;
  }
  // Limits only: requests are not read (upstream).
  EXPECT_FALSE(v.ContainerRequest(pod, C({}, {{sgpu, "1"}}))->has_value());
  EXPECT_FALSE(v.ContainerRequest(pod, C({{sgpu, "0"}}))->has_value());
  for (auto [name, value] : std::vector<std::pair<std::string, std::string>>{{vmem, "2100001"},
                                                                             {vmem, "-1"},
                                                                             {vmem, "1.5"},
                                                                             {vmem, "3Gx"},
                                                                             {vcore, "-5"},
                                                                             {sgpu, "1.5"}}) {
    model::ResourceList limits = {{sgpu, "1"}};
    limits[name] = value;
    auto r = v.ContainerRequest(pod, C(limits));
    ASSERT_FALSE(r.ok()) << name << "=" << value;
    EXPECT_NE(r.error().message().find("resource " + name), std::string::npos)
        << r.error().message();
  }
}

TEST(MetaxSgpuAdmitTest, AppClassAndQosRules) {
  Registry registry;
  const Vendor& v = Sgpu(registry);
  auto admit = [&](std::map<std::string, std::string> annotations, model::Container c,
                   std::map<std::string, std::string>* after = nullptr) {
    model::Pod pod;
    pod.annotations = std::move(annotations);
    auto r = v.Admit(pod, c);
    if (after != nullptr) *after = pod.annotations;
    return r;
  };
  const auto one = C({{"metax-tech.com/sgpu", "1"}});
  std::map<std::string, std::string> after;
  EXPECT_FALSE(*admit({{kQosPolicyAnnotation, "best-effort"}}, C({}), &after));
  ASSERT_TRUE(*admit({}, one, &after));
  EXPECT_EQ(after, (std::map<std::string, std::string>{{kQosPolicyAnnotation, "best-effort"}}));
  ASSERT_TRUE(*admit({{kQosPolicyAnnotation, "burst-share"}}, one, &after));
  EXPECT_EQ(after.at(kQosPolicyAnnotation), "burst-share");
  ASSERT_TRUE(*admit({{kAppClassAnnotation, "online"}}, one, &after));
  EXPECT_EQ(after.count(kQosPolicyAnnotation), 0u);  // online pods have no QoS policy
  ASSERT_TRUE(*admit({{kAppClassAnnotation, "offline"}}, one, &after));
  EXPECT_EQ(after.at(kQosPolicyAnnotation), "best-effort");

  auto qos = admit({{kQosPolicyAnnotation, "best-effortx"}}, one);
  ASSERT_FALSE(qos.ok());
  EXPECT_EQ(qos.error().message(),
            "metax-tech.com/sgpu-qos-policy must be set one of [best-effort, fixed-share, "
            "burst-share]");
  auto cls = admit({{kAppClassAnnotation, "batch"}}, one);
  ASSERT_FALSE(cls.ok());
  EXPECT_EQ(cls.error().message(),
            "metax-tech.com/sgpu-app-class must be set one of [online, offline]");
  auto two = admit({{kAppClassAnnotation, "online"}}, C({{"metax-tech.com/sgpu", "2"}}));
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().message(), "container main: app-class pod must request single device");
  EXPECT_FALSE(admit({{kTopologyAwareAnnotation, "perhaps"}}, one).ok());
}

TEST(MetaxSgpuSelectorTest, ParamsFromAnnotations) {
  Registry registry;
  const Vendor& v = Sgpu(registry);
  model::Pod pod;
  pod.annotations = {{kUseUuid, "GPU-1, GPU-2"}, {kTopologyAwareAnnotation, "true"}};
  auto s = v.Selector(pod);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->use_uuids, (std::vector<std::string>{"GPU-1", "GPU-2"}));
  EXPECT_EQ(s->params, (std::map<std::string, std::string>{{kParamQos, "best-effort"},
                                                           {kParamTopologyAware, "true"}}));
  pod.annotations = {{kAppClassAnnotation, "online"}};
  EXPECT_EQ(v.Selector(pod)->params,
            (std::map<std::string, std::string>{{kParamAppClass, "online"}}));
  pod.annotations = {{kAppClassAnnotation, "offline"}, {kQosPolicyAnnotation, "fixed-share"}};
  EXPECT_EQ(v.Selector(pod)->params, (std::map<std::string, std::string>{
                                         {kParamAppClass, "offline"}, {kParamQos, "fixed-share"}}));
  pod.annotations = {{kQosPolicyAnnotation, "fastest"}};
  EXPECT_FALSE(v.Selector(pod).ok());
}

TEST(MetaxSgpuTagsTest, EachBookingPodDeclaresClassAndQos) {
  Registry registry;
  const Vendor& v = Sgpu(registry);
  model::Pod pod;
  pod.containers = {C({{"metax-tech.com/sgpu", "1"}, {"metax-tech.com/vcore", "60"}})};
  EXPECT_EQ(v.BookingTags(pod), (std::vector<std::string>{"class:", "qos:best-effort"}));
  pod.annotations = {{kAppClassAnnotation, "online"}};
  EXPECT_EQ(v.BookingTags(pod), std::vector<std::string>{"class:online"});
  pod.annotations = {{kAppClassAnnotation, "offline"}, {kQosPolicyAnnotation, "fixed-share"}};
  EXPECT_EQ(v.BookingTags(pod), (std::vector<std::string>{"class:offline", "qos:fixed-share"}));
  // Whole cards leave the device without a QoS expectation.
  pod.containers = {C({{"metax-tech.com/sgpu", "2"}})};
  EXPECT_EQ(v.BookingTags(pod), (std::vector<std::string>{"class:offline", "qos:"}));
}

// The default QoS annotation through the real webhook patch: webhook/admit_test.cc
// (Admit.VendorAnnotationsReachThePatch).
model::ContainerDevice Granted(std::string uuid, int64_t mem, int64_t cores) {
  model::ContainerDevice d;
  d.uuid = std::move(uuid);
  d.type = kSgpuVendorName;
  d.usedmem = mem;
  d.usedcores = cores;
  return d;
}

TEST(MetaxSgpuBindTest, AnnotationsWrittenAndReadBack) {
  Registry registry;
  const Vendor& v = Sgpu(registry);
  model::Pod pod;
  pod.name = "p";
  const model::PodSingleDevice devices = {
      {Granted("GPU-1", 4096, 60)}, {}, {Granted("GPU-2", 8192, 0), Granted("GPU-3", 0, 100)}};
  auto written = v.AllocationAnnotations({pod, "sg", devices, {}, {}, 1700000000});
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  const std::string list =
      "GPU-1,Metax-SGPU,4096,60:;;GPU-2,Metax-SGPU,8192,0:GPU-3,Metax-SGPU,0,100:;";
  const std::map<std::string, std::string> want = {
      {"hami.io/metax-sgpu-devices-to-allocate", list},
      {"hami.io/metax-sgpu-devices-allocated", list},
      {"metax-tech.com/gpu-devices-allocated",
       R"([[{"uuid":"GPU-1","compute":60,"vRam":4096}],[],[{"uuid":"GPU-2","vRam":8192},{"uuid":"GPU-3","compute":100}]])"},
      {"metax-tech.com/predicate-time", "1700000000000000000"}};
  EXPECT_EQ(*written, want);
  pod.annotations = *written;
  auto granted = v.GrantedDevices(pod);
  ASSERT_TRUE(granted.ok() && *granted);
  EXPECT_EQ((*granted)->devices, devices);
  EXPECT_EQ(v.Lock(), (NodeLockSpec{"hami.io/mutex.lock", true, 0}));
  EXPECT_EQ(v.Quota().memory, "metax-tech.com/vmemory");
  EXPECT_EQ(v.Quota().core, "metax-tech.com/vcore");
  EXPECT_EQ(v.Quota().memory_factor, 1024);
}

}  // namespace
}  // namespace hami::vendor::metax
