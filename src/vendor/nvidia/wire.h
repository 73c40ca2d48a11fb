// WIRE: every string of NVIDIA's part of the HAMi protocol (hami-wire §1, §2, §3.7, §5), defined
// once and used by the scheduler, the device plugin, libvgpu, the monitor, `hami` and the tests.
// Header-only constants with no dependencies, so every layer may include it.
#pragma once

namespace hami::vendor::nvidia {

// The vendor key ("CommonWord"): device vendor, request vendor, the Type of a grant.
inline constexpr char kVendorName[] = "NVIDIA";

// Default resource names (device-config `nvidia.resource*Name`).
inline constexpr char kDefaultCountResource[] = "nvidia.com/gpu";
inline constexpr char kDefaultMemoryResource[] = "nvidia.com/gpumem";
inline constexpr char kDefaultMemoryPercentageResource[] = "nvidia.com/gpumem-percentage";
inline constexpr char kDefaultCoreResource[] = "nvidia.com/gpucores";
inline constexpr char kDefaultPriorityResource[] = "nvidia.com/priority";
// Static MIG instances are resources named kMigResourcePrefix + profile ("nvidia.com/mig-1g.5gb").
inline constexpr char kMigResourcePrefix[] = "nvidia.com/mig-";
// NVML's MIG device UUIDs start with this (a whole GPU's with "GPU-"); the device plugin serves a
// static MIG device under its UUID (kubelet device ID, register annotation id).
inline constexpr char kMigUuidPrefix[] = "MIG-";

// Node annotations written by the device plugin.
inline constexpr char kRegisterAnnotation[] = "hami.io/node-nvidia-register";
inline constexpr char kScoreAnnotation[] = "hami.io/node-nvidia-score";

// Pod annotations written by the scheduler (and the device plugin, for the realized MIG ids).
inline constexpr char kToAllocateAnnotation[] = "hami.io/vgpu-devices-to-allocate";
inline constexpr char kAllocatedAnnotation[] = "hami.io/vgpu-devices-allocated";
inline constexpr char kMigAllocationsAnnotation[] = "hami.io/vgpu-mig-allocations";

// Pod annotations users set.
inline constexpr char kUseGpuType[] = "nvidia.com/use-gputype";
inline constexpr char kNoUseGpuType[] = "nvidia.com/nouse-gputype";
inline constexpr char kUseGpuUuid[] = "nvidia.com/use-gpuuuid";
inline constexpr char kNoUseGpuUuid[] = "nvidia.com/nouse-gpuuuid";
inline constexpr char kVgpuMode[] = "nvidia.com/vgpu-mode";
inline constexpr char kNumaBind[] = "nvidia.com/numa-bind";

// Container env: set by the webhook and the device plugin, obeyed by libvgpu.so.
inline constexpr char kVisibleDevicesEnv[] = "NVIDIA_VISIBLE_DEVICES";
inline constexpr char kCudaVisibleDevicesEnv[] = "CUDA_VISIBLE_DEVICES";
inline constexpr char kMemoryLimitEnv[] = "CUDA_DEVICE_MEMORY_LIMIT";         // all devices
inline constexpr char kMemoryLimitEnvPrefix[] = "CUDA_DEVICE_MEMORY_LIMIT_";  // + device index
inline constexpr char kSmLimitEnv[] = "CUDA_DEVICE_SM_LIMIT";
inline constexpr char kSmLimitEnvPrefix[] = "CUDA_DEVICE_SM_LIMIT_";
inline constexpr char kSharedCacheEnv[] = "CUDA_DEVICE_MEMORY_SHARED_CACHE";
inline constexpr char kOversubscribeEnv[] = "CUDA_OVERSUBSCRIBE";
inline constexpr char kLogLevelEnv[] = "LIBCUDA_LOG_LEVEL";
inline constexpr char kCorePolicyEnv[] = "GPU_CORE_UTILIZATION_POLICY";
inline constexpr char kTaskPriorityEnv[] = "CUDA_TASK_PRIORITY";
inline constexpr char kDisableControlEnv[] = "CUDA_DISABLE_CONTROL";
// CUDA MPS client variables (the driver's), set in mode "mps" (ours; upstream's "mps" is
// hami-core).
inline constexpr char kMpsPipeDirectoryEnv[] = "CUDA_MPS_PIPE_DIRECTORY";
inline constexpr char kMpsActiveThreadPercentageEnv[] = "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE";
inline constexpr char kMpsPinnedDeviceMemLimitEnv[] = "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT";
// libvgpu's charge for each CUDA context (ours; upstream has no such variable).
inline constexpr char kContextOverheadEnv[] = "HAMI_CONTEXT_OVERHEAD";
// Loader variables that decide which libraries run before or around libvgpu.so.
inline constexpr char kLdPreloadEnv[] = "LD_PRELOAD";
inline constexpr char kLdAuditEnv[] = "LD_AUDIT";

}  // namespace hami::vendor::nvidia
