// AMD: config block, registration and health, request derivation from limits, the webhook
// (vendors.md §12 "Config", "Registration", "Webhook", "Request").
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/pod_test_util.h"
#include "vendor/amd/amd_vendor.h"
#include "vendor/cluster_state.h"

namespace hami::vendor::amd {
namespace {

constexpr char kMi300x[] =
    R"([{"id":"GPU-0","count":4,"devmem":196608,"devcore":304,"type":"AMD Instinct MI300X VF","mode":"hami-core","health":true},{"id":"GPU-1","index":1,"count":4,"devmem":196608,"devcore":304,"type":"AMD Instinct MI300X VF","numa":1,"mode":"hami-core","health":true}])";

model::Container C(model::ResourceList limits, model::ResourceList requests = {}) {
  return model::testing::MakeContainer("main", std::move(limits), std::move(requests));
}

model::DeviceRequest Want(int32_t nums, int64_t mem, int32_t pct, int64_t cores) {
  model::DeviceRequest r;
  r.vendor = "AMD";
  r.nums = nums;
  r.memreq = mem;
  r.mem_percentage = pct;
  r.coresreq = cores;
  return r;
}

TEST(AmdNodeTest, RegisterDecodesAndCapacitySaysTheNodeIsAlive) {
  AmdVendor v{AmdConfig{}};
  codec::NodeObject node;
  node.name = "mi300";
  node.annotations[kRegisterAnnotation] = kMi300x;
  node.capacity["amd.com/gpu"] = "2";
  auto devices = v.DevicesFromNode(node);
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->devices.size(), 2u);
  const model::DeviceInfo& d = devices->devices[1];
  EXPECT_EQ(d.id, "GPU-1");
  EXPECT_EQ(d.index, 1);
  EXPECT_EQ(d.devmem, 196608);
  EXPECT_EQ(d.devcore, 304);
  EXPECT_EQ(d.type, "AMD Instinct MI300X VF");
  EXPECT_EQ(d.vendor, "AMD");
  EXPECT_TRUE(d.health);
  // Upstream's health check: no count capacity means the plugin is gone.
  for (const char* capacity : {"0", ""}) {
    codec::NodeObject gone = node;
    if (*capacity == '\0') {
      gone.capacity.clear();
    } else {
      gone.capacity["amd.com/gpu"] = capacity;
    }
    auto dead = v.DevicesFromNode(gone);
    ASSERT_TRUE(dead.ok());
    EXPECT_FALSE(dead->devices[0].health) << capacity;
    EXPECT_FALSE(dead->devices[1].health) << capacity;
  }
  codec::NodeObject bare;
  bare.name = "cpu";
  EXPECT_EQ(v.DevicesFromNode(bare).error().code(), base::StatusCode::kNotFound);
  codec::NodeObject broken = node;
  broken.annotations[kRegisterAnnotation] = R"([{"id":"GPU-0","devmem":"lots"}])";
  auto bad = v.DevicesFromNode(broken);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("hami.io/node-amd-register"), std::string::npos);
}

TEST(AmdRequestTest, DerivationFromLimitsOnly) {
  AmdVendor v{AmdConfig{}};
  struct Case {
    const char* name;
    model::Container container;
    std::optional<model::DeviceRequest> want;
  };
  std::vector<Case> cases = {
      {"count only: whole device", C({{"amd.com/gpu", "1"}}), Want(1, 0, 100, 100)},
      {"memory", C({{"amd.com/gpu", "2"}, {"amd.com/gpumem", "16384"}}), Want(2, 16384, 101, 100)},
      {"memory with a unit", C({{"amd.com/gpu", "1"}, {"amd.com/gpumem", "8Gi"}}),
       Want(1, 8192, 101, 100)},
      {"memory 0: whole device", C({{"amd.com/gpu", "1"}, {"amd.com/gpumem", "0"}}),
       Want(1, 0, 100, 100)},
      {"cores", C({{"amd.com/gpu", "1"}, {"amd.com/gpucores", "25"}}), Want(1, 0, 100, 25)},
      {"cores 1", C({{"amd.com/gpu", "1"}, {"amd.com/gpucores", "1"}}), Want(1, 0, 100, 1)},
      {"cores in requests are not read", C({{"amd.com/gpu", "1"}}, {{"amd.com/gpucores", "5"}}),
       Want(1, 0, 100, 100)},
      {"count in requests only", C({}, {{"amd.com/gpu", "1"}}), std::nullopt},
      {"count 0", C({{"amd.com/gpu", "0"}}), std::nullopt},
      {"memory without count", C({{"amd.com/gpumem", "1024"}}), std::nullopt},
  };
  for (const auto& c : cases) {
    auto r = v.ContainerRequest(model::Pod{}, c.container);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.error().ToString();
    EXPECT_EQ(*r, c.want) << c.name;
  }
}

TEST(AmdRequestTest, BadQuantitiesAreRejectedByName) {
  AmdVendor v{AmdConfig{}};
  const std::string cores_message =
      "container main: amd.com/gpucores must be an integer percentage between 1 and 100";
  struct Case {
    const char* name;
    model::Container container;
    std::string want;
  };
  std::vector<Case> cases = {
      {"cores 0", C({{"amd.com/gpu", "1"}, {"amd.com/gpucores", "0"}}), cores_message},
      {"cores 101", C({{"amd.com/gpu", "1"}, {"amd.com/gpucores", "101"}}), cores_message},
      {"cores fraction", C({{"amd.com/gpu", "1"}, {"amd.com/gpucores", "0.5"}}), cores_message},
      {"cores garbage", C({{"amd.com/gpu", "1"}, {"amd.com/gpucores", "all"}}), cores_message},
      {"negative count", C({{"amd.com/gpu", "-1"}}),
       "container main: resource amd.com/gpu \"-1\" must be within 1..2147483647"},
      {"huge count", C({{"amd.com/gpu", "3e9"}}), "must be within 1..2147483647"},
      {"fractional count", C({{"amd.com/gpu", "1.5"}}), "container main: resource amd.com/gpu"},
      {"negative memory", C({{"amd.com/gpu", "1"}, {"amd.com/gpumem", "-5"}}),
       "container main: resource amd.com/gpumem"},
  };
  for (const auto& c : cases) {
    auto r = v.ContainerRequest(model::Pod{}, c.container);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.error().message().find(c.want), std::string::npos)
        << c.name << ": " << r.error().message();
  }
}

TEST(AmdRequestTest, WebhookFindsAnyAmdLimitAndValidatesCounts) {
  Registry registry;
  auto admit = [&](model::Container c) {
    model::Pod pod;
    pod.name = "p";
    pod.containers.push_back(std::move(c));
    const model::Pod before = pod;
    auto used = AdmitPod(pod, registry);
    if (used.ok()) {
      EXPECT_EQ(pod.containers[0].limits, before.containers[0].limits);
    }
    return used;
  };
  auto refused = admit(C({{"amd.com/gpu", "1"}, {"amd.com/gpucores", "150"}}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(),
            "pod default/p: container main: amd.com/gpucores must be an integer percentage "
            "between 1 and 100, got \"150\"");
  EXPECT_TRUE(*admit(C({{"amd.com/gpu", "1"}, {"amd.com/gpucores", "30"}})));
  EXPECT_TRUE(*admit(C({{"amd.com/gpumem", "1024"}})));
  EXPECT_TRUE(*admit(C({{"amd.com/gpucores", "500"}})));  // upstream checks cores with a count only
  EXPECT_FALSE(*admit(C({}, {{"amd.com/gpu", "1"}})));
  EXPECT_FALSE(*admit(C({{"cpu", "1"}})));
}

TEST(AmdConfigTest, BlockRenamesResourcesAndKeysAreUpstreams) {
  auto r = Registry::Create({nlohmann::json::parse(
      R"({"amd":{"resourceCountName":"amd.com/vgpu","resourceMemoryName":"","resourceCoreName":"amd.com/cu","x":1}})")});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const auto* v = dynamic_cast<const AmdVendor*>(r->Find("AMD"));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->ResourceNames(), (std::vector<std::string>{"amd.com/vgpu", "", "amd.com/cu"}));
  bool warned = false;
  for (const auto& w : r->warnings())
    warned = warned || w.find("amd.x: unknown key") != std::string::npos;
  EXPECT_TRUE(warned);
  // An empty memory name: memory limits are not read.
  auto req = v->ContainerRequest(model::Pod{}, C({{"amd.com/vgpu", "1"}, {"amd.com/gpumem", "9"}}));
  ASSERT_TRUE(req.ok() && req->has_value());
  EXPECT_EQ((*req)->memreq, 0);
  const Registry defaults;
  const Vendor* amd = defaults.Find("AMD");
  ASSERT_NE(amd, nullptr);
  EXPECT_EQ(amd->Keys().register_annotation, "hami.io/node-amd-register");
  EXPECT_EQ(amd->Keys().to_allocate_annotation, "hami.io/amd-devices-to-allocate");
  EXPECT_EQ(amd->Keys().allocated_annotation, "hami.io/amd-devices-allocated");
  EXPECT_TRUE(amd->Keys().handshake_annotation.empty());
  EXPECT_EQ(amd->HealthResource(), "amd.com/gpu");
  ASSERT_TRUE(amd->Lock().has_value());
  EXPECT_EQ(amd->Lock()->annotation, "hami.io/mutex.lock");
  EXPECT_EQ(amd->Quota().memory, "amd.com/gpumem");
  EXPECT_EQ(amd->Quota().core, "amd.com/gpucores");
}

}  // namespace
}  // namespace hami::vendor::amd
