// The NVIDIA backend: HAMi's `nvidia.com/*` resources and `nvidia.com/*` pod annotations.
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/nvidia/config.h"
#include "vendor/vendor.h"

namespace hami::vendor::nvidia {

// WIRE: pod annotations read by the NVIDIA backend (hami-wire §1.4).
inline constexpr char kUseGpuType[] = "nvidia.com/use-gputype";
inline constexpr char kNoUseGpuType[] = "nvidia.com/nouse-gputype";
inline constexpr char kUseGpuUuid[] = "nvidia.com/use-gpuuuid";
inline constexpr char kNoUseGpuUuid[] = "nvidia.com/nouse-gpuuuid";
inline constexpr char kVgpuMode[] = "nvidia.com/vgpu-mode";
inline constexpr char kNumaBind[] = "nvidia.com/numa-bind";
// WIRE: node/pod annotation keys.
inline constexpr char kRegisterAnnotation[] = "hami.io/node-nvidia-register";
inline constexpr char kScoreAnnotation[] = "hami.io/node-nvidia-score";
inline constexpr char kToAllocateAnnotation[] = "hami.io/vgpu-devices-to-allocate";
inline constexpr char kAllocatedAnnotation[] = "hami.io/vgpu-devices-allocated";
inline constexpr char kMigAllocationsAnnotation[] = "hami.io/vgpu-mig-allocations";
// WIRE: env vars the webhook sets on containers.
inline constexpr char kTaskPriorityEnv[] = "CUDA_TASK_PRIORITY";
inline constexpr char kCorePolicyEnv[] = "GPU_CORE_UTILIZATION_POLICY";
inline constexpr char kVisibleDevicesEnv[] = "NVIDIA_VISIBLE_DEVICES";

class NvidiaVendor final : public Vendor {
 public:
  explicit NvidiaVendor(NvidiaConfig config);

  const std::string& Name() const override { return name_; }
  const VendorKeys& Keys() const override { return keys_; }
  std::vector<std::string> ResourceNames() const override;
  const std::string& MemoryResource() const override { return config_.resource_memory_name; }
  const std::string& CoreResource() const override { return config_.resource_core_name; }
  int64_t MemoryFactor() const override { return config_.EffectiveMemoryFactor(); }
  base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Container& container) const override;
  base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const override;
  base::Result<bool> Admit(model::Container& container) const override;
  void AdmitPod(model::Pod& pod) const override;
  base::Result<std::vector<model::DeviceInfo>> DevicesFromAnnotations(
      const std::map<std::string, std::string>& annotations) const override;
  base::Result<model::TopologyScores> TopologyFromAnnotations(
      const std::map<std::string, std::string>& annotations) const override;

  const NvidiaConfig& config() const { return config_; }

 private:
  NvidiaConfig config_;
  std::string name_;
  VendorKeys keys_;
};

}  // namespace hami::vendor::nvidia
