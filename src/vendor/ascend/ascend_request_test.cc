// Ascend request derivation and webhook admission (vendors.md §3 "Request", "Webhook").
#include <gtest/gtest.h>

#include "vendor/ascend/ascend_test_util.h"
#include "vendor/ascend/ascend_vendor.h"

namespace hami::vendor::ascend {
namespace {

using fixture::C;
using fixture::ChartRegistry;
using fixture::Req;

const AscendVendor& Chip(const Registry& r, const char* cw) {
  return dynamic_cast<const AscendVendor&>(*r.Find(cw));
}

model::Pod HamiCorePod() {
  model::Pod pod;
  pod.annotations[kVnpuModeAnnotation] = kVnpuModeHamiCore;
  return pod;
}

constexpr char kCount[] = "huawei.com/Ascend910A";
constexpr char kMem[] = "huawei.com/Ascend910A-memory";
constexpr char kCore[] = "huawei.com/Ascend910A-core";

TEST(AscendRequestTest, DerivationTable) {
  const Registry r = ChartRegistry();
  const AscendVendor& a = Chip(r, "Ascend910A");
  const model::Pod plain;
  const model::Pod soft = HamiCorePod();
  struct Case {
    const char* name;
    const model::Pod* pod;
    model::Container container;
    model::DeviceRequest want;
  };
  std::vector<Case> cases = {
      {"template size", &plain, C({{kCount, "2"}, {kMem, "8738"}}),
       Req("Ascend910A", 2, 8738, 101, 0)},
      // Rounded up as upstream's webhook does, so a limit it could not rewrite books the same.
      {"rounded up to a template", &plain, C({{kCount, "1"}, {kMem, "2000"}}),
       Req("Ascend910A", 1, 2184, 101, 0)},
      {"above every template: whole chip", &plain, C({{kCount, "1"}, {kMem, "20000"}}),
       Req("Ascend910A", 1, 32768, 101, 0)},
      {"byte quantity", &plain, C({{kCount, "1"}, {kMem, "16Gi"}}),
       Req("Ascend910A", 1, 17476, 101, 0)},
      // No memory: memoryAllocatable, as upstream's webhook writes into the limit.
      {"count only", &plain, C({{kCount, "2"}}), Req("Ascend910A", 2, 32768, 101, 0)},
      {"requests only", &plain, C({}, {{kCount, "1"}, {kMem, "4000"}}),
       Req("Ascend910A", 1, 4369, 101, 0)},
      {"hami-core keeps memory and cores", &soft,
       C({{kCount, "1"}, {kMem, "15360"}, {kCore, "20"}}), Req("Ascend910A", 1, 15360, 101, 20)},
      {"hami-core memory 0 is the whole chip", &soft, C({{kCount, "1"}, {kMem, "0"}}),
       Req("Ascend910A", 1, 0, 100, 0)},
  };
  for (const auto& c : cases) {
    auto got = a.ContainerRequest(*c.pod, c.container);
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.error().ToString();
    ASSERT_TRUE(got->has_value()) << c.name;
    EXPECT_EQ(**got, c.want) << c.name;
  }
  EXPECT_FALSE(a.ContainerRequest(plain, C({{kMem, "2000"}}))->has_value());
  EXPECT_FALSE(a.ContainerRequest(plain, C({{kCount, "0"}}))->has_value());
  EXPECT_FALSE(a.ContainerRequest(plain, C({{"huawei.com/Ascend910B3", "1"}}))->has_value());
}

TEST(AscendRequestTest, MemoryFactorAndSuperPod) {
  for (auto [factor, want] :
       std::vector<std::pair<int, int64_t>>{{10, 1280}, {100, 12800}, {0, 128}}) {
    AscendChip chip = DefaultChips()[0];
    chip.memory_factor = factor;
    AscendVendor v(chip, false, std::make_shared<std::set<std::string>>());
    auto got = v.ContainerRequest(HamiCorePod(), C({{kCount, "1"}, {kMem, "128"}}));
    ASSERT_TRUE(got.ok());
    EXPECT_EQ((*got)->memreq, want) << factor;
  }
  const Registry r = ChartRegistry();
  const model::Pod plain;
  auto c910 = Chip(r, "Ascend910C")
                  .ContainerRequest(plain, C({{"huawei.com/Ascend910C", "1"},
                                              {"huawei.com/Ascend910C-memory", "16384"}}));
  ASSERT_TRUE(c910.ok());
  EXPECT_EQ(**c910, Req("Ascend910C", 2, 16384, 101, 0));
}

// Upstream drops these requests silently; we refuse them naming the container and resource.
TEST(AscendRequestTest, UnusableQuantitiesAreErrors) {
  const Registry r = ChartRegistry();
  const AscendVendor& a = Chip(r, "Ascend910A");
  AscendChip big = DefaultChips()[0];
  big.memory_factor = 10;
  AscendVendor factor(big, false, std::make_shared<std::set<std::string>>());
  struct Case {
    const AscendVendor* vendor;
    model::Pod pod;
    model::ResourceList limits;
    const char* names;
  };
  for (const Case& c : std::vector<Case>{
           {&a, {}, {{kCount, "2200000000"}}, kCount},
           {&a, {}, {{kCount, "1.5"}}, kCount},
           {&a, {}, {{kCount, "1"}, {kMem, "-1m"}}, kMem},
           {&a, {}, {{kCount, "1"}, {kMem, "-100"}}, kMem},
           {&a,
            {},
            {{kCount, "1"}, {kMem, "40000"}},
            "huawei.com/Ascend910A-memory 40000 is invalid"},
           {&a, HamiCorePod(), {{kCount, "1"}, {kCore, "-1"}}, kCore},
           {&a, HamiCorePod(), {{kCount, "1"}, {kCore, "2200000000"}}, kCore},
           {&a,
            {},
            {{kCount, "1"}, {kCore, "10"}},
            "huawei.com/Ascend910A-core is only supported in hami-core (soft split) mode"},
           {&factor, HamiCorePod(), {{kCount, "1"}, {kMem, "300000000"}}, kMem}}) {
    auto got = c.vendor->ContainerRequest(c.pod, C(c.limits));
    ASSERT_FALSE(got.ok()) << c.names;
    EXPECT_NE(got.error().message().find(c.names), std::string::npos) << got.error().message();
    EXPECT_NE(got.error().message().find("container main"), std::string::npos);
  }
}

struct AdmitCase {
  const char* name;
  const char* cw;
  model::Pod pod;
  model::Container container;
  bool uses;
  std::string error;  // substring of the error; "" = admitted
  model::ResourceList limits_after;
};

TEST(AscendAdmitTest, WebhookTable) {
  const Registry r = ChartRegistry();
  auto vnpus = fixture::ChartVnpus();
  for (auto& chip : vnpus["configs"]) chip.erase("superPod");
  auto no_super_pod =
      Registry::Create({nlohmann::json{{kConfigBlock, vnpus}}}, {{kEnableFlag, "true"}});
  ASSERT_TRUE(no_super_pod.ok());
  const char* k910c = "huawei.com/Ascend910C";
  const char* m910c = "huawei.com/Ascend910C-memory";
  std::vector<AdmitCase> cases = {
      {"vNPU on two NPUs",
       "Ascend910A",
       {},
       C({{kCount, "2"}, {kMem, "8738"}}),
       true,
       "vNPU not supported for multiple devices",
       {}},
      {"too much memory",
       "Ascend910A",
       {},
       C({{kCount, "1"}, {kMem, "40000"}}),
       true,
       "huawei.com/Ascend910A-memory 40000 is invalid",
       {}},
      {"whole chip",
       "Ascend910A",
       {},
       C({{kCount, "1"}, {kMem, "20000"}}),
       true,
       "",
       {{kCount, "1"}, {kMem, "32768"}}},
      {"template written",
       "Ascend910A",
       {},
       C({{kCount, "1"}, {kMem, "8000"}}),
       true,
       "",
       {{kCount, "1"}, {kMem, "8738"}}},
      {"no memory: memoryAllocatable",
       "Ascend910A",
       {},
       C({{kCount, "2"}}),
       true,
       "",
       {{kCount, "2"}, {kMem, "32768"}}},
      {"910C one NPU is a module",
       "Ascend910C",
       {},
       C({{k910c, "1"}, {m910c, "16384"}}),
       true,
       "",
       {{k910c, "2"}, {m910c, "16384"}}},
      {"910C three",
       "Ascend910C",
       {},
       C({{k910c, "3"}}),
       true,
       "Ascend910C device request must be 1 or 2*n, got 3",
       {}},
      {"910C four",
       "Ascend910C",
       {},
       C({{k910c, "4"}}),
       true,
       "",
       {{k910c, "4"}, {m910c, "65536"}}},
      {"hard split core",
       "Ascend910A",
       {},
       C({{kCount, "1"}, {kCore, "10"}}),
       true,
       "huawei.com/Ascend910A-core is only supported in hami-core (soft split) mode",
       {}},
      {"hard split core 25",
       "Ascend910A",
       {},
       C({{kCount, "1"}, {kCore, "25"}}),
       true,
       "only supported in hami-core",
       {}},
      {"hard split core 0",
       "Ascend910A",
       {},
       C({{kCount, "1"}, {kCore, "0"}}),
       true,
       "",
       {{kCount, "1"}, {kCore, "0"}, {kMem, "32768"}}},
      {"hami-core keeps memory and cores",
       "Ascend910A",
       HamiCorePod(),
       C({{kCount, "1"}, {kMem, "15360"}, {kCore, "20"}}),
       true,
       "",
       {{kCount, "1"}, {kMem, "15360"}, {kCore, "20"}}},
      {"hami-core on two NPUs",
       "Ascend910A",
       HamiCorePod(),
       C({{kCount, "2"}, {kMem, "1000"}}),
       true,
       "",
       {{kCount, "2"}, {kMem, "1000"}}},
      {"no count", "Ascend910A", {}, C({{kMem, "1000"}}), false, "", {{kMem, "1000"}}},
      // Kubernetes requires limits for extended resources; a count in requests alone still
      // sends the pod to HAMi (upstream leaves it to the default scheduler).
      {"count in requests only",
       "Ascend910A",
       {},
       C({}, {{kCount, "1"}, {kMem, "3000"}}),
       true,
       "",
       {{kMem, "4369"}}},
  };
  for (auto& c : cases) {
    auto got = Chip(r, c.cw).Admit(c.pod, c.container);
    if (!c.error.empty()) {
      ASSERT_FALSE(got.ok()) << c.name;
      EXPECT_NE(got.error().message().find(c.error), std::string::npos) << got.error().message();
      continue;
    }
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.error().ToString();
    EXPECT_EQ(*got, c.uses) << c.name;
    EXPECT_EQ(c.container.limits, c.limits_after) << c.name;
  }
  // Without superPod a 910C count is taken as given.
  model::Pod pod;
  auto one = C({{k910c, "1"}, {m910c, "16384"}});
  ASSERT_TRUE(*Chip(*no_super_pod, "Ascend910C").Admit(pod, one));
  EXPECT_EQ(one.limits.at(k910c), "1");
  auto three = C({{k910c, "3"}});
  ASSERT_TRUE(*Chip(*no_super_pod, "Ascend910C").Admit(pod, three));
  EXPECT_EQ(three.limits.at(k910c), "3");
}

// Kubernetes requires an extended resource's request to equal its limit: the webhook rewrites
// both (the 910C count only where a request exists), and derivation books the same either way.
TEST(AscendAdmitTest, LimitsAndRequestsRewrittenTogether) {
  const Registry r = ChartRegistry();
  const AscendVendor& a = Chip(r, "Ascend910A");
  model::Pod pod;
  auto c = C({{kCount, "1"}, {kMem, "2000"}}, {{kCount, "1"}, {kMem, "2000"}});
  EXPECT_EQ((*a.ContainerRequest(pod, c))->memreq, 2184);
  ASSERT_TRUE(*a.Admit(pod, c));
  EXPECT_EQ(c.limits.at(kMem), "2184");
  EXPECT_EQ(c.requests.at(kMem), "2184");
  EXPECT_EQ((*a.ContainerRequest(pod, c))->memreq, 2184);
  const AscendVendor& module = Chip(r, "Ascend910C");
  auto c910 = C({{"huawei.com/Ascend910C", "1"}}, {{"huawei.com/Ascend910C", "1"}});
  EXPECT_EQ((*module.ContainerRequest(pod, c910))->nums, 2);
  ASSERT_TRUE(*module.Admit(pod, c910));
  EXPECT_EQ(c910.limits.at("huawei.com/Ascend910C"), "2");
  EXPECT_EQ(c910.requests.at("huawei.com/Ascend910C"), "2");
  auto limit_only = C({{"huawei.com/Ascend910C", "1"}});
  ASSERT_TRUE(*module.Admit(pod, limit_only));
  EXPECT_EQ(limit_only.requests.count("huawei.com/Ascend910C"), 0u);
}

TEST(AscendAdmitTest, OverwriteEnvAndRuntimeClass) {
  auto vnpus = fixture::ChartVnpus();
  vnpus["overwriteEnv"] = true;
  vnpus["runtimeClassName"] = "ascend";
  auto r = Registry::Create({nlohmann::json{{kConfigBlock, vnpus}}}, {{kEnableFlag, "true"}});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  model::Pod pod;
  pod.name = "p";
  pod.containers.push_back(C({{"cpu", "1"}}));
  pod.containers.push_back(C({{"huawei.com/Ascend910B3", "1"}}));
  pod.containers[1].name = "npu";
  ASSERT_TRUE(*AdmitPod(pod, *r));
  EXPECT_EQ(pod.containers[0].env.at(kVisibleDevicesEnv), "");
  EXPECT_EQ(pod.containers[1].env.count(kVisibleDevicesEnv), 0u);
  EXPECT_EQ(pod.runtime_class_name, "ascend");

  model::Pod own;
  own.runtime_class_name = "mine";
  own.containers.push_back(C({{"huawei.com/Ascend310P", "1"}}));
  ASSERT_TRUE(*AdmitPod(own, *r));
  EXPECT_EQ(own.runtime_class_name, "mine");

  model::Pod cpu_only;
  cpu_only.containers.push_back(C({{"cpu", "1"}}));
  EXPECT_FALSE(*AdmitPod(cpu_only, *r));
  EXPECT_EQ(cpu_only.containers[0].env.at(kVisibleDevicesEnv), "");
  EXPECT_EQ(cpu_only.runtime_class_name, "");

  Registry plain = ChartRegistry();
  model::Pod untouched;
  untouched.containers.push_back(C({{"cpu", "1"}}));
  EXPECT_FALSE(*AdmitPod(untouched, plain));
  EXPECT_TRUE(untouched.containers[0].env.empty());
}

}  // namespace
}  // namespace hami::vendor::ascend

namespace hami::vendor::ascend {
namespace {

// Upstream's webhook writes the trimmed memory (and the 910C module count) into the request as
// well as the limit, so Kubernetes keeps request == limit.
TEST(AscendAdmitTest, RewritesRequestsLikeUpstream) {
  const Registry r = fixture::ChartRegistry();
  const auto& a = dynamic_cast<const AscendVendor&>(*r.Find("Ascend910A"));
  model::Pod pod;
  auto c = fixture::C({{kCount, "1"}, {kMem, "2000"}}, {{kCount, "1"}, {kMem, "2000"}});
  ASSERT_TRUE(*a.Admit(pod, c));
  EXPECT_EQ(c.limits.at(kMem), "2184");
  EXPECT_EQ(c.requests.at(kMem), "2184");
}

}  // namespace
}  // namespace hami::vendor::ascend
