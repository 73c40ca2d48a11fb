// Volcano's vGPU grammars (volcano_wire.h) against what volcano.sh/volcano v1.10.0's
// pkg/scheduler/api/devices/nvidia/vgpu/utils.go writes and parses, and the PodKeys seam.
#include "deviceplugin/volcano.h"

#include <gtest/gtest.h>

#include <optional>

#include <nlohmann/json.hpp>

#include "deviceplugin/allocate.h"
#include "deviceplugin/volcano_wire.h"
#include "model/protocol.h"
#include "vendor/nvidia/wire.h"

namespace hami::deviceplugin {
namespace {

model::DeviceInfo Gpu(const std::string& id, int32_t count, int32_t mem, const std::string& type,
                      bool health) {
  model::DeviceInfo d;
  d.id = id;
  d.count = count;
  d.devmem = mem;
  d.type = type;
  d.health = health;
  return d;
}

// Volcano's decodeNodeDevices: strings.Split(str, ":"), each part with a ',' split on ',' and read
// as items[0]=UUID, [1]=count, [2]=devmem, [3]=type, [4]=health; after v1.10.0 also [5]=sharing
// mode, and a part of fewer than six items makes the whole register unreadable (nullopt here).
std::optional<std::vector<std::vector<std::string>>> GoDecodeNodeDevices(const std::string& text,
                                                                         size_t min_items = 5) {
  auto split = [](const std::string& s, char sep) {
    std::vector<std::string> out(1);
    for (char c : s) {
      if (c == sep) {
        out.emplace_back();
      } else {
        out.back() += c;
      }
    }
    return out;
  };
  std::vector<std::vector<std::string>> devices;
  for (const auto& part : split(text, ':')) {
    if (part.find(',') == std::string::npos) continue;
    devices.push_back(split(part, ','));
    if (devices.back().size() < min_items) return std::nullopt;
  }
  return devices;
}
constexpr size_t kNewerDecoderItems = 6;

TEST(VolcanoRegisterTest, GoldenAndReadAsVolcanoReadsIt) {
  const std::vector<model::DeviceInfo> gpus = {
      Gpu("GPU-151ae9c0-83a9-2dd1-8981-b5f44c021a58", 10, 11264,
          "NVIDIA-NVIDIA GeForce GTX 1080 Ti", true),
      Gpu("GPU-76f93f2b", 10, 16384, "NVIDIA-Tesla T4", false)};
  const std::string text = EncodeVolcanoNodeDevices(gpus);
  EXPECT_EQ(text,
            "GPU-151ae9c0-83a9-2dd1-8981-b5f44c021a58,10,11264,NVIDIA-NVIDIA GeForce GTX 1080 Ti,"
            "true,hami-core:GPU-76f93f2b,10,16384,NVIDIA-Tesla T4,false,hami-core:");
  for (size_t min_items : {size_t{5}, kNewerDecoderItems}) {  // v1.10.0's decoder, the newer one
    auto decoded = GoDecodeNodeDevices(text, min_items);
    ASSERT_TRUE(decoded.has_value()) << min_items;
    ASSERT_EQ(decoded->size(), 2u);
    EXPECT_EQ((*decoded)[1], (std::vector<std::string>{"GPU-76f93f2b", "10", "16384",
                                                       "NVIDIA-Tesla T4", "false", "hami-core"}));
  }
  EXPECT_FALSE(GoDecodeNodeDevices("GPU-a,10,100,T4,true:", kNewerDecoderItems))
      << "the five-field form the newer decoder refuses";
  EXPECT_EQ(EncodeUnhealthyIds(gpus), "GPU-76f93f2b");
  EXPECT_EQ(EncodeVolcanoNodeDevices({}), "");
}

TEST(VolcanoRegisterTest, SeparatorsInsideAFieldCannotShiftTheOthers) {
  auto decoded = GoDecodeNodeDevices(
      EncodeVolcanoNodeDevices({Gpu("GPU-a", 4, 100, "NVIDIA-X,Y:Z", true)}), kNewerDecoderItems);
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0],
            (std::vector<std::string>{"GPU-a", "4", "100", "NVIDIA-X_Y_Z", "true", "hami-core"}));
}

TEST(VolcanoRegisterTest, AnnotationsAndHandshake) {
  auto annotations = VolcanoNodeAnnotations({Gpu("GPU-a", 2, 100, "NVIDIA-T4", true)});
  EXPECT_EQ(annotations.at(volcano::kRegisterAnnotation), "GPU-a,2,100,NVIDIA-T4,true,hami-core:");
  EXPECT_EQ(annotations.at(volcano::kUnhealthyIdsAnnotation), "");
  // Go layout "2006.01.02 15:04:05".
  EXPECT_EQ(VolcanoHandshakeReported(1700000000), "Reported_2023.11.14 22:13:20");
}

model::Pod VolcanoPod(const std::string& name, const std::string& bind_time) {
  model::Pod pod;
  pod.name = name;
  pod.namespace_name = "default";
  pod.uid = "uid-" + name;
  pod.node_name = "n1";
  pod.phase = "Pending";
  pod.annotations = {{volcano::kIdsAnnotation, "GPU-a,NVIDIA,3000,30:;GPU-b,NVIDIA,2000,0:"},
                     {volcano::kToAllocateAnnotation, "GPU-a,NVIDIA,3000,30:;GPU-b,NVIDIA,2000,0:"},
                     {volcano::kNodeAnnotation, "n1"},
                     {volcano::kTimeAnnotation, bind_time},
                     {volcano::kBindTimeAnnotation, bind_time},
                     {volcano::kBindPhaseAnnotation, "allocating"}};
  pod.containers.resize(2);
  pod.containers[0].name = "a";
  pod.containers[1].name = "b";
  return pod;
}

TEST(VolcanoPodKeysTest, ViewAsHamiFeedsThePlanner) {
  model::Pod pod = VolcanoPod("p", "1700000000");
  pod.annotations[model::kBindPhaseAnnotation] = "failed";  // a stale HAMi key is not read
  ViewAsHami(pod, VolcanoPodKeys());
  EXPECT_EQ(*pod.Annotation(model::kBindPhaseAnnotation), "allocating");
  EXPECT_EQ(*pod.Annotation(model::kVgpuNodeAnnotation), "n1");
  EXPECT_EQ(*pod.Annotation(model::kBindTimeAnnotation), "1700000000");
  ASSERT_TRUE(SelectPendingPod({pod}, "n1").has_value());
  AllocateSettings settings;
  auto plan = PlanAllocate(pod, {{"GPU-a-3"}}, settings, {}, [] { return std::string("c"); });
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  const auto& envs = plan->containers[0].envs;
  EXPECT_EQ(envs.at("NVIDIA_VISIBLE_DEVICES"), "GPU-a");
  EXPECT_EQ(envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "3000m");
  EXPECT_EQ(envs.at("CUDA_DEVICE_SM_LIMIT"), "30");
  EXPECT_FALSE(plan->all_allocated);
}

TEST(VolcanoPodKeysTest, HamiKeysLeaveThePodAlone) {
  model::Pod pod = VolcanoPod("p", "1");
  const model::Pod before = pod;
  ViewAsHami(pod, HamiPodKeys());
  EXPECT_EQ(pod.annotations, before.annotations);
  EXPECT_EQ(HamiPodKeys().to_allocate, vendor::nvidia::kToAllocateAnnotation);
  EXPECT_EQ(VolcanoPodKeys().bind_phase, "volcano.sh/bind-phase");
}

TEST(VolcanoPodKeysTest, OldestBindTimeFirstMissingLast) {
  std::vector<model::Pod> pods = {VolcanoPod("new", "1700000100"), VolcanoPod("bad", "x"),
                                  VolcanoPod("old", "1700000000")};
  pods[1].annotations.erase(volcano::kBindTimeAnnotation);
  SortByBindTime(pods, VolcanoPodKeys());
  EXPECT_EQ(pods[0].name, "old");
  EXPECT_EQ(pods[1].name, "new");
  EXPECT_EQ(pods[2].name, "bad");
}

}  // namespace
}  // namespace hami::deviceplugin
