#include "vendor/nvidia/module.h"

#include "vendor/nvidia/nvidia_vendor.h"

namespace hami::vendor::nvidia {
namespace {

constexpr char kNodeLockFlag[] = "nvidia-node-lock";

base::Result<std::vector<std::unique_ptr<Vendor>>> Create(const ModuleInput& input) {
  HAMI_ASSIGN_OR_RETURN(NvidiaConfig config, NvidiaConfigFromJson(input.block, input.warnings));
  HAMI_ASSIGN_OR_RETURN(config.node_lock, BoolFlagOr(input.flags, kNodeLockFlag, false));
  std::vector<std::unique_ptr<Vendor>> out;
  out.push_back(std::make_unique<NvidiaVendor>(std::move(config)));
  return out;
}

}  // namespace

VendorModule Module() {
  return {"nvidia",
          {{kNodeLockFlag, "false",
            "true: bind NVIDIA pods with upstream's node lock (hami.io/mutex.lock held until "
            "Allocate; for device plugins that read it, with hami-device-plugin --node-lock); "
            "false: one Binding per pod, no lock (the device plugin reads the kubelet's "
            "pod-resources API)",
            true}},
          &Create};
}

}  // namespace hami::vendor::nvidia
