// The Enflame DRS backend `Enflame` (vendors.md §9.2): a container asks for one DRS instance,
// either directly by slice count (`enflame.com/drs-gcu: 3`) or by spec (`enflame.com/gcu-memory`
// MiB and/or `enflame.com/gcu-core` percent), on devices registered in
// enflame.com/gcu-drs-capacity. The device's DRS profiles are its partitions: the request gets the
// smallest profile that holds it, and books the profile's memory, cores and slices (the slices
// count against the device's capacity, also when a restarted scheduler re-reads the pod). A node
// offering no profile that holds the request fails with ModeNotFit. Bind writes the allocated
// list, enflame.com/gcu-* and assigned-containers. No handshake, no node lock.
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/enflame/config.h"
#include "vendor/vendor.h"

namespace hami::vendor::enflame {

// ModeNotFit before the device loop when no device of the node has a profile holding the request.
class DrsFit final : public sched::VendorFit {
 public:
  DrsFit();
  std::optional<model::Reason> Gate(const sched::NodeState& node, const sched::PodInput& pod,
                                    const sched::DeviceSelector& selector,
                                    const model::DeviceRequest& request,
                                    sched::RequestView* view) const override;
};

class DrsVendor final : public Vendor {
 public:
  explicit DrsVendor(EnflameConfig config);

  const std::string& Name() const override { return name_; }
  const VendorKeys& Keys() const override { return keys_; }
  std::vector<std::string> ResourceNames() const override;
  QuotaResources Quota() const override { return {config_.memory_name, config_.core_name, 1}; }
  base::Result<NodeDevices> DevicesFromNode(const codec::NodeObject& node) const override;
  base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Pod& pod, const model::Container& container) const override;
  base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const override;
  // drs-gcu must be > 0; else gcu-memory > 0 and gcu-core in (0, 100]; whichever is given is
  // mirrored between limits and requests.
  base::Result<bool> Admit(model::Pod& pod, model::Container& container) const override;
  const sched::VendorFit& Fit() const override { return fit_; }
  base::Result<std::map<std::string, std::string>> AllocationAnnotations(
      const Allocation& allocation) const override;
  // The allocated list, with each grant's slices and profile recovered from assigned-containers
  // (else enflame.com/gcu-request-size for the first container, else one slice, as upstream).
  base::Result<std::optional<Granted>> GrantedDevices(const model::Pod& pod) const override;

 private:
  EnflameConfig config_;
  std::string name_;
  VendorKeys keys_;
  DrsFit fit_;
};

}  // namespace hami::vendor::enflame
