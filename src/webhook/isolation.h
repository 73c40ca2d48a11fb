// The webhook's isolation rules: what a pod that asks for a GPU resource (any vendor's, by the
// vendor registry's resource names) may not set, whatever its schedulerName, because it would let
// its containers switch off or step around libvgpu's limits, or reach other tenants' devices and
// shared regions (docs/webhook.md "Isolation rules"):
//
//   rule          denied                                                exception flag
//   env           env (literal or valueFrom) that libvgpu, the device   --allow-isolation-env
//                 plugin or the loader obey: CUDA_DEVICE_MEMORY_LIMIT[_i],
//                 CUDA_DEVICE_SM_LIMIT[_i], CUDA_DEVICE_MEMORY_SHARED_CACHE,
//                 CUDA_OVERSUBSCRIBE, CUDA_DISABLE_CONTROL,
//                 HAMI_CONTEXT_OVERHEAD, LD_PRELOAD, LD_AUDIT; and
//                 CUDA_TASK_PRIORITY, GPU_CORE_UTILIZATION_POLICY,
//                 NVIDIA_VISIBLE_DEVICES unless the value is the one the
//                 webhook's own admission defaults give that container
//                 (NVIDIA_VISIBLE_DEVICES "none"/"void" always pass)
//   envFrom       envFrom sources (keys unknown at admission)          --allow-env-from
//   privileged    securityContext.privileged                           --allow-privileged
//   hostPID       spec.hostPID                                         --allow-host-pid
//   hostIPC       spec.hostIPC                                         --allow-host-ipc
//   capabilities  capabilities.add SYS_ADMIN, SYS_PTRACE or ALL         --allow-admin-capabilities
//                 (with or without CAP_, any case)
//   hostPath      a hostPath volume equal to, above or below a         --allow-protected-host-paths
//                 protected path (default /dev/nvidia*, /usr/local/vgpu)
//
// Every container counts (init and app, with or without a GPU of its own). Pods in an exempt
// namespace skip every rule. Pure; thread-safe.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/pod.h"
#include "vendor/registry.h"

namespace hami::webhook {

struct IsolationConfig {
  bool allow_env = false;           // --allow-isolation-env
  bool allow_env_from = false;      // --allow-env-from
  bool allow_privileged = false;    // --allow-privileged
  bool allow_host_pid = false;      // --allow-host-pid
  bool allow_host_ipc = false;      // --allow-host-ipc
  bool allow_capabilities = false;  // --allow-admin-capabilities
  bool allow_host_path = false;     // --allow-protected-host-paths
  // --isolation-exempt-namespaces: pods here skip every rule.
  std::set<std::string> exempt_namespaces;
  // --protected-host-paths: absolute paths; a last component ending in '*' matches every name
  // with that prefix. The device plugin's <hook>/vgpu (regions, libvgpu.so, ld.so.preload) and the
  // driver's device nodes by default.
  std::vector<std::string> protected_host_paths = {"/dev/nvidia*", "/usr/local/vgpu"};
};

// True when some container (init or app) lists, in limits or requests, a resource that a vendor
// of `registry` owns, or a static MIG instance (nvidia.com/mig-<profile>).
bool AsksForGpu(const model::Pod& pod, const vendor::Registry& registry);

// `path` made absolute and lexically normal ("//a/./b/../c/" -> "/a/c"); ".." never climbs above /.
std::string NormalizeHostPath(std::string_view path);

// True when the hostPath `path` is equal to, an ancestor of, or inside `protected_path` (both
// normalized first; see IsolationConfig::protected_host_paths for the trailing '*').
bool HostPathTouches(std::string_view path, std::string_view protected_path);

// Every violation of the rules above in `pod`, one message each, in the order: pod-level fields,
// then init containers, then app containers (each: privileged, capabilities, env, envFrom).
// `admitted` is `pod` after the webhook's admission defaults (vendor::AdmitPod) of a copy without
// the value-checked env names, or nullptr when they failed; it supplies the values that pass.
// Empty when the pod does not ask for a GPU or its namespace is exempt.
std::vector<std::string> IsolationViolations(const model::Pod& pod, const model::Pod* admitted,
                                             const IsolationConfig& config,
                                             const vendor::Registry& registry);

// `pod` without the env entries whose values IsolationViolations checks against the defaults.
model::Pod WithoutValueCheckedEnv(model::Pod pod);

}  // namespace hami::webhook
