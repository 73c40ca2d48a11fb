// One Huawei Ascend backend per configured chip (vendors.md §3): `huawei.com/<cw>` (count),
// `huawei.com/<cw>-memory` (MiB) and, in hami-core soft-split mode, `huawei.com/<cw>-core`
// (percent); devices from the JSON register annotation `hami.io/node-register-<cw>` (with
// NetworkID from `custominfo`); vNPU templates in the hard split; the shared node lock.
//
// Hard split (the default): a memory request is rounded up to the smallest template that holds it
// (the whole chip, memoryAllocatable, when none does but it fits memoryCapacity), both by the
// webhook and by request derivation, so a pod books the same whether or not the webhook rewrote
// its limit. hami-core mode (pod annotation huawei.com/vnpu-mode: hami-core): memory and cores as
// asked, on nodes that run the soft split only (AscendFit).
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include <memory>
#include <set>

#include "vendor/ascend/ascend_fit.h"
#include "vendor/ascend/config.h"
#include "vendor/ascend/wire.h"
#include "vendor/vendor.h"

namespace hami::vendor::ascend {

class AscendVendor final : public Vendor {
 public:
  // `count_resources`: every configured chip's count resource (overwriteEnv leaves containers
  // that ask for any of them alone); `hami_vnpu_core`: the config's node default.
  AscendVendor(AscendChip chip, bool hami_vnpu_core,
               std::shared_ptr<const std::set<std::string>> count_resources);

  const std::string& Name() const override { return chip_.common_word; }
  const VendorKeys& Keys() const override { return keys_; }
  std::vector<std::string> ResourceNames() const override;
  QuotaResources Quota() const override;
  base::Result<NodeDevices> DevicesFromNode(const codec::NodeObject& node) const override;
  std::string HealthResource() const override { return chip_.resource_name; }
  base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Pod& pod, const model::Container& container) const override;
  base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const override;
  base::Result<bool> Admit(model::Pod& pod, model::Container& container) const override;
  base::Status AdmitPod(model::Pod& pod) const override;
  const sched::VendorFit& Fit() const override { return fit_; }
  // To-allocate and allocated device lists, `huawei.com/<cw>` (RuntimeInfo JSON) and
  // `predicate-time`.
  base::Result<std::map<std::string, std::string>> AllocationAnnotations(
      const Allocation& allocation) const override;
  std::optional<NodeLockSpec> Lock() const override;

  const AscendChip& chip() const { return chip_; }

 private:
  // The container's memory limit or request in MiB (× memoryFactor), nullopt when it names none.
  base::Result<std::optional<int64_t>> MemoryMiB(const model::Container& c,
                                                 const std::string* text) const;
  // The container's core request (0 when it names none); an error outside hami-core mode.
  base::Result<int64_t> Cores(const model::Container& c, bool hami_core) const;
  // Upstream's trimMemory with the error upstream's webhook gives.
  base::Result<int64_t> Trimmed(const model::Container& c, const std::string& text,
                                int64_t mib) const;
  bool AsksForAnyAscend(const model::Container& c) const;

  AscendChip chip_;
  std::shared_ptr<const std::set<std::string>> count_resources_;
  VendorKeys keys_;
  std::string use_uuid_;
  std::string nouse_uuid_;
  std::string runtime_info_annotation_;
  AscendFit fit_;
};

// Whether the pod asks for the hami-core soft split (huawei.com/vnpu-mode: hami-core).
bool IsHamiCore(const model::Pod& pod);

}  // namespace hami::vendor::ascend
