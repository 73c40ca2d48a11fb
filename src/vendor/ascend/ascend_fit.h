// The Ascend backends' hooks into the scheduling core's fit loop (vendors.md §3):
//   Gate      a hami-core pod (huawei.com/vnpu-mode: hami-core) fits only nodes that run the soft
//             split (node annotation hami-vnpu-core, else the config's hamiVnpuCore): ModeNotFit
//             otherwise; on such a node every device counts 100 cores (percent).
//   Select    Ascend910*: a multi-NPU container takes the largest NetworkID groups first when
//             every NPU of the node registers one; Ascend910C (or a superPod chip): a multi-NPU
//             container takes whole modules of two NPUs (module = index / 2), or nothing.
//   ScoreNode Ascend910*: per container, largest NetworkID group / NPUs, summed, times 10; added
//             under binpack and subtracted under spread, so better grouping always wins.
// Immutable; thread-safe for concurrent const calls.
#pragma once

#include <string>

#include "sched/vendor_fit.h"

namespace hami::vendor::ascend {

class AscendFit final : public sched::VendorFit {
 public:
  // `network`: NetworkID grouping and scoring (Ascend910*); `modules`: whole-module pairing.
  AscendFit(std::string vendor, bool hami_vnpu_core_default, bool network, bool modules);

  std::optional<model::Reason> Gate(const sched::NodeState& node, const sched::PodInput& pod,
                                    const sched::DeviceSelector& selector,
                                    const model::DeviceRequest& request,
                                    sched::RequestView* view) const override;
  void Select(const sched::SelectInput& in, std::vector<size_t>* chosen,
              model::NodeFailure* failure) const override;
  double ScoreNode(const sched::NodeState& node, const sched::PodInput& pod,
                   std::span<const sched::PendingGrant> grants,
                   sched::NodePolicy policy) const override;

 private:
  void SelectModules(const sched::SelectInput& in, size_t nums, std::vector<size_t>* chosen) const;
  void SelectByNetwork(const sched::SelectInput& in, size_t nums,
                       std::vector<size_t>* chosen) const;
  bool EveryDeviceHasNetworkId(const sched::NodeState& node) const;

  std::string vendor_;
  bool hami_vnpu_core_default_;
  bool network_;
  bool modules_;
};

}  // namespace hami::vendor::ascend
