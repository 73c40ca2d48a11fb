// hami-wire §1.2 (request derivation) and §1.3 (admission defaults) for the NVIDIA backend.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "vendor/nvidia/nvidia_vendor.h"

namespace hami::vendor::nvidia {
namespace {

model::Container C(model::ResourceList limits, model::ResourceList requests = {}) {
  model::Container c;
  c.name = "main";
  c.limits = std::move(limits);
  c.requests = std::move(requests);
  return c;
}

const model::Pod kPod;
model::Pod admit_pod;  // what Admit may change at pod level (the NVIDIA backend changes nothing)

model::DeviceRequest Want(int32_t nums, int64_t mem, int32_t pct, int64_t cores) {
  model::DeviceRequest r;
  r.vendor = "NVIDIA";
  r.nums = nums;
  r.memreq = mem;
  r.mem_percentage = pct;
  r.coresreq = cores;
  return r;
}

TEST(NvidiaRequestTest, UpstreamDerivationTable) {
  NvidiaVendor v{NvidiaConfig{}};
  struct Case {
    const char* name;
    model::Container container;
    model::DeviceRequest want;
  };
  std::vector<Case> cases = {
      {"gpu only", C({{"nvidia.com/gpu", "1"}}), Want(1, 0, 100, 0)},
      {"gpumem", C({{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem", "4096"}}),
       Want(1, 4096, 101, 0)},
      {"pct over 100", C({{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem-percentage", "150"}}),
       Want(1, 0, 100, 0)},
      {"pct 0", C({{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem-percentage", "0"}}),
       Want(1, 0, 100, 0)},
      {"pct -1", C({{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem-percentage", "-1"}}),
       Want(1, 0, 100, 0)},
      {"pct 0 + mem",
       C({{"nvidia.com/gpu", "1"},
          {"nvidia.com/gpumem-percentage", "0"},
          {"nvidia.com/gpumem", "2000"}}),
       Want(1, 2000, 101, 0)},
      {"pct 50", C({{"nvidia.com/gpu", "2"}, {"nvidia.com/gpumem-percentage", "50"}}),
       Want(2, 0, 50, 0)},
      {"cores", C({{"nvidia.com/gpu", "1"}, {"nvidia.com/gpucores", "30"}}), Want(1, 0, 100, 30)},
      {"requests only", C({}, {{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem", "1000"}}),
       Want(1, 1000, 101, 0)},
      {"limits win", C({{"nvidia.com/gpu", "2"}}, {{"nvidia.com/gpu", "1"}}), Want(2, 0, 100, 0)},
      // Our fix: byte quantities are converted, not dropped.
      {"3Gi", C({{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem", "3Gi"}}), Want(1, 3072, 101, 0)},
      {"16Gi", C({{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem", "16Gi"}}), Want(1, 16384, 101, 0)},
  };
  for (const auto& c : cases) {
    auto r = v.ContainerRequest(kPod, c.container);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.error().ToString();
    ASSERT_TRUE(r->has_value()) << c.name;
    EXPECT_EQ(**r, c.want) << c.name;
  }
}

TEST(NvidiaRequestTest, NoCountMeansNoRequest) {
  NvidiaVendor v{NvidiaConfig{}};
  EXPECT_FALSE(v.ContainerRequest(kPod, C({{"nvidia.com/gpumem", "1000"}}))->has_value());
  EXPECT_FALSE(v.ContainerRequest(kPod, C({{"nvidia.com/gpu", "0"}}))->has_value());
  EXPECT_FALSE(v.ContainerRequest(kPod, C({{"cpu", "1"}}))->has_value());
}

TEST(NvidiaRequestTest, DefaultsAndFactor) {
  NvidiaConfig config;
  config.default_memory = 512;
  config.default_cores = 20;
  EXPECT_EQ(**NvidiaVendor(config).ContainerRequest(kPod, C({{"nvidia.com/gpu", "1"}})),
            Want(1, 512, 101, 20));
  NvidiaConfig factor;
  factor.memory_factor = 2;
  EXPECT_EQ(**NvidiaVendor(factor).ContainerRequest(
                kPod, C({{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem", "1024"}})),
            Want(1, 2048, 101, 0));
  NvidiaConfig names;
  names.resource_count_name = "example.com/vgpu";
  EXPECT_EQ(**NvidiaVendor(names).ContainerRequest(kPod, C({{"example.com/vgpu", "3"}})),
            Want(3, 0, 100, 0));
}

TEST(NvidiaRequestTest, MalformedQuantitiesAreErrorsNamingTheResource) {
  NvidiaVendor v{NvidiaConfig{}};
  for (auto [res, value] :
       std::vector<std::pair<std::string, std::string>>{{"nvidia.com/gpu", "one"},
                                                        {"nvidia.com/gpumem", "3Gx"},
                                                        {"nvidia.com/gpumem", "-5"},
                                                        {"nvidia.com/gpumem", "1.5"},
                                                        {"nvidia.com/gpucores", "abc"},
                                                        {"nvidia.com/gpumem-percentage", "5%"},
                                                        {"nvidia.com/gpu", "1.5"}}) {
    model::ResourceList limits = {{"nvidia.com/gpu", "1"}};
    limits[res] = value;
    auto r = v.ContainerRequest(kPod, C(limits));
    ASSERT_FALSE(r.ok()) << res << "=" << value;
    EXPECT_NE(r.error().message().find(res), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("container main"), std::string::npos);
  }
  NvidiaConfig factor;
  factor.memory_factor = 1000000;
  EXPECT_FALSE(
      NvidiaVendor(factor)
          .ContainerRequest(kPod, C({{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem", "5000"}}))
          .ok());
}

TEST(NvidiaAdmitTest, ExclusiveCoreDefaultAndCountDefault) {
  NvidiaVendor v{NvidiaConfig{}};
  auto gpu_only = C({{"nvidia.com/gpu", "1"}});
  ASSERT_TRUE(*v.Admit(admit_pod, gpu_only));
  EXPECT_EQ(gpu_only.limits.at("nvidia.com/gpucores"), "100");

  auto shared = C({{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem", "3000"}});
  ASSERT_TRUE(*v.Admit(admit_pod, shared));
  EXPECT_EQ(shared.limits.count("nvidia.com/gpucores"), 0u);

  auto half = C({{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem-percentage", "50"}});
  ASSERT_TRUE(*v.Admit(admit_pod, half));
  EXPECT_EQ(half.limits.count("nvidia.com/gpucores"), 0u);

  auto whole = C({{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem-percentage", "100"}});
  ASSERT_TRUE(*v.Admit(admit_pod, whole));
  EXPECT_EQ(whole.limits.at("nvidia.com/gpucores"), "100");

  auto mem_only = C({{"nvidia.com/gpumem", "3000"}});
  ASSERT_TRUE(*v.Admit(admit_pod, mem_only));
  EXPECT_EQ(mem_only.limits.at("nvidia.com/gpu"), "1");

  auto requests_only = C({}, {{"nvidia.com/gpumem", "3000"}});
  EXPECT_FALSE(
      *v.Admit(admit_pod, requests_only));  // upstream only looks at limits for the count default
}

TEST(NvidiaAdmitTest, EnvAndErrors) {
  NvidiaConfig config;
  config.gpu_core_policy = "force";
  config.overwrite_env = true;
  NvidiaVendor v(config);
  auto c = C({{"nvidia.com/gpu", "1"}, {"nvidia.com/priority", "0"}, {"nvidia.com/gpumem", "10"}});
  ASSERT_TRUE(*v.Admit(admit_pod, c));
  EXPECT_EQ(c.env.at("CUDA_TASK_PRIORITY"), "0");
  EXPECT_EQ(c.env.at("GPU_CORE_UTILIZATION_POLICY"), "force");
  auto cpu = C({{"cpu", "1"}});
  EXPECT_FALSE(*v.Admit(admit_pod, cpu));
  EXPECT_EQ(cpu.env.at("NVIDIA_VISIBLE_DEVICES"), "none");
  auto bad = C({{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem-percentage", "101"}});
  EXPECT_FALSE(v.Admit(admit_pod, bad).ok());
}

TEST(NvidiaSelectorTest, AnnotationsBecomeConstraints) {
  NvidiaVendor v{NvidiaConfig{}};
  model::Pod pod;
  pod.name = "p";
  pod.annotations = {{"nvidia.com/use-gputype", " a100, h100 ,"},
                     {"nvidia.com/nouse-gpuuuid", "GPU-1"},
                     {"nvidia.com/numa-bind", "true"}};
  auto s = v.Selector(pod);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->use_types, (std::vector<std::string>{"A100", "H100"}));
  EXPECT_EQ(s->nouse_uuids, std::vector<std::string>{"GPU-1"});
  EXPECT_TRUE(s->numa_bind);
  model::DeviceInfo a100;
  a100.type = "NVIDIA-A100-SXM4-40GB";
  a100.mode = "hami-core";
  EXPECT_TRUE(s->TypeAllowed(a100));
  a100.type = "Tesla T4";
  EXPECT_FALSE(s->TypeAllowed(a100));
  pod.annotations["nvidia.com/numa-bind"] = "maybe";
  EXPECT_FALSE(v.Selector(pod).ok());
}

TEST(NvidiaConfigTest, ReadsUpstreamKeys) {
  auto c = NvidiaConfigFromJson(nlohmann::json::parse(
      R"({"resourceCountName":"x/gpu","defaultMemory":100,"deviceSplitCount":4,"disableCoreLimit":"true"})"));
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->resource_count_name, "x/gpu");
  EXPECT_EQ(c->default_memory, 100);
  EXPECT_EQ(c->device_split_count, 4);
  EXPECT_TRUE(c->disable_core_limit);
  auto bad = NvidiaConfigFromJson(nlohmann::json::parse(R"({"defaultMemory":"lots"})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("nvidia.defaultMemory"), std::string::npos);
}

}  // namespace
}  // namespace hami::vendor::nvidia
