// NvmlDeviceSource: the node's GPUs through NVML loaded at run time (dlopen of the real
// libnvidia-ml.so.1, or the simulated one from sim/), declared by src/gpuapi/nvml_functions.h.
//
// Discover() enumerates every GPU: index, UUID, name, memory (nullopt on NOT_SUPPORTED), NUMA
// (nvmlDeviceGetNumaNodeId, else sysfs numa_node of the PCI bus id, else 0; a GPU whose memory
// cannot be read any more, e.g. lost, keeps the size last read), MIG mode (and, when
// on, every GPU-instance profile with its placements), minor number, bus id and health. Health is
// polled: a GPU is unhealthy when NVML cannot read its identity or memory (GPU_IS_LOST, UNKNOWN,
// ...). XID critical errors come from an NVML event set (WatchXids / NextXid; xid_health.h judges
// them) where the library has the event API. Links() gives NVML topology
// levels between GPUs where the library exports nvmlDeviceGetTopologyCommonAncestor (the simulated
// one does not). Dynamic MIG (nvml_mig_control.cc): lists, creates and destroys GPU instances with
// their one spanning compute instance. Thread-safe: calls are serialized by an internal mutex.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "deviceplugin/inventory.h"
#include "deviceplugin/mig.h"

struct nvmlDevice_st;
struct nvmlEventSet_st;

namespace hami::deviceplugin {

// One XID critical error the driver reported.
struct XidEvent {
  std::string uuid;  // the GPU; empty when the driver named a device that was not registered
  uint64_t xid = 0;
  friend bool operator==(const XidEvent&, const XidEvent&) = default;
};

// What the plugin needs from a GPU driver; NvmlDeviceSource is the real one.
class DeviceSource {
 public:
  virtual ~DeviceSource() = default;

  // XID events. WatchXids registers the GPUs `uuids` for XID critical errors (once; later calls
  // add GPUs not registered yet); GPUs that cannot be registered are named in the error, the
  // others stay registered. A source without events answers Unimplemented to both.
  virtual base::Status WatchXids(const std::vector<std::string>& uuids);
  // The next XID of a registered GPU, waiting at most `timeout`; nullopt when none came. May be
  // called from one thread while the other members are called from others.
  virtual base::Result<std::optional<XidEvent>> NextXid(std::chrono::milliseconds timeout);

  virtual base::Result<std::vector<GpuInfo>> Discover() = 0;
  // Link facts between pairs of the given GPUs (both orders); empty when unknown.
  virtual std::map<std::pair<std::string, std::string>, PairLink> Links(
      const std::vector<GpuInfo>& gpus) = 0;

  // Dynamic MIG on a MIG-mode GPU (`gpu` as discovered, with its profiles). A source without MIG
  // control answers Unimplemented.
  // Every GPU instance of `gpu`, with its spanning compute instance and MIG UUID when it has one.
  virtual base::Result<std::vector<MigInstance>> MigInstances(const GpuInfo& gpu);
  // A GPU instance of `profile` at `placement` plus one compute instance spanning it; on failure
  // nothing is left behind. Errors name the GPU, profile and placement.
  virtual base::Result<MigInstance> CreateMigInstance(const GpuInfo& gpu,
                                                      const MigProfileInfo& profile,
                                                      const model::Placement& placement);
  // Destroys the GPU instance's compute instances, then the GPU instance. An instance still used
  // by a process fails (FailedPrecondition) and stays.
  virtual base::Status DestroyMigInstance(const GpuInfo& gpu, uint32_t gpu_instance_id);
};

class NvmlDeviceSource final : public DeviceSource {
 public:
  // dlopens `library` (a path, or a soname searched on LD_LIBRARY_PATH) and calls nvmlInit_v2.
  // Errors name the library and the NVML error.
  static base::Result<std::unique_ptr<NvmlDeviceSource>> Open(const std::string& library);
  ~NvmlDeviceSource() override;  // nvmlShutdown + dlclose

  base::Result<std::vector<GpuInfo>> Discover() override;
  std::map<std::pair<std::string, std::string>, PairLink> Links(
      const std::vector<GpuInfo>& gpus) override;
  base::Result<std::vector<MigInstance>> MigInstances(const GpuInfo& gpu) override;
  base::Result<MigInstance> CreateMigInstance(const GpuInfo& gpu, const MigProfileInfo& profile,
                                              const model::Placement& placement) override;
  base::Status DestroyMigInstance(const GpuInfo& gpu, uint32_t gpu_instance_id) override;
  base::Status WatchXids(const std::vector<std::string>& uuids) override;
  base::Result<std::optional<XidEvent>> NextXid(std::chrono::milliseconds timeout) override;

  struct Functions;     // resolved entry points (nvml_entry_points.h)
  struct MigFunctions;  // the MIG control ones, all or none (nvml_entry_points.h)

 private:
  NvmlDeviceSource(void* handle, std::unique_ptr<Functions> fns,
                   std::unique_ptr<MigFunctions> mig_fns);
  base::Result<GpuInfo> Query(unsigned int index);
  // Resolves MigFunctions from `handle` (nvml_mig_control.cc); null when any is missing.
  static std::unique_ptr<MigFunctions> ResolveMig(void* handle);

  std::mutex mu_;
  void* handle_;
  std::unique_ptr<Functions> fns_;
  std::unique_ptr<MigFunctions> mig_fns_;  // null: the library lacks MIG control
  nvmlEventSet_st* events_ = nullptr;      // created by the first WatchXids; freed on destruction
  std::map<nvmlDevice_st*, std::string> watched_;  // registered GPU handles (guarded by mu_)
  std::map<std::string, int64_t> memory_mib_;      // last memory size read, by UUID (mu_)
};

}  // namespace hami::deviceplugin
