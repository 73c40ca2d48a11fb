// The MetaX sGPU backend's part of the scheduling core (vendors.md §8.2): what the standard card
// loop cannot state as FitRules.
//
// Pod facts arrive as DeviceSelector::params (kParam*), read from the pod's annotations by
// SgpuVendor::Selector. What other pods hold on a device arrives as DeviceUsage::tags: every pod
// booked on a Metax-SGPU device tags it with its app class (kTagClass + "online" / "offline" / "")
// and, unless online, the QoS policy it expects of the device (kTagQos + policy, "" when the pod
// takes whole cards). From those the hooks decide, without upstream's jitter cache:
//  - CheckDevice: app class (an idle device takes anything; a device with only unclassified pods
//    takes only unclassified pods; one with classified pods takes only classified pods, and no
//    offline pod once an online pod is there) -> CardAppClassMismatch; QoS for non-online pods
//    (an idle device or a whole-card request passes, else the pods' policy, or the registered
//    QosPolicy when they state none, must be empty or equal) -> CardQosPolicyMismatch; memory;
//    and for non-online pods the standard core checks without the >100 clamp. Online pods book
//    no cores.
//  - Select: among more fitting devices than wanted, online pods prefer devices with fewer online
//    then offline pods and devices with only offline pods last; unclassified whole-card requests
//    prefer one MetaXLink zone (the smallest that holds them), else fill zone by zone, then cards
//    without a link. Otherwise the first in the policy's order.
//  - ScoreNode (×10000 under binpack, ×−10000 under spread, so either policy prefers the same
//    node): online pods −100×offline on devices with only offline pods, else −20×online
//    −2×offline; topology-aware whole-card pods 10×alloc − (avail − alloc − rest), each term the
//    sum of 10 per pair of cards sharing a link zone, over this pod's whole cards (alloc), the
//    node's idle cards before it (avail) and the idle cards it leaves (rest).
// Immutable; thread-safe for concurrent const calls.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sched/vendor_fit.h"

namespace hami::vendor::metax {

// DeviceSelector::params keys (not on the wire).
inline constexpr char kParamAppClass[] = "app-class";  // "online", "offline" or absent
inline constexpr char kParamQos[] = "qos";             // the policy a non-online pod wants
inline constexpr char kParamTopologyAware[] = "topology-aware";  // "true"/"false" or absent
// DeviceUsage::tags prefixes (not on the wire).
inline constexpr char kTagClass[] = "class:";
inline constexpr char kTagQos[] = "qos:";

class SgpuFit final : public sched::VendorFit {
 public:
  // `topology_aware`: the config default when the pod does not say.
  explicit SgpuFit(bool topology_aware);

  std::optional<model::Reason> CheckDevice(sched::DeviceCheck& check) const override;
  void Select(const sched::SelectInput& in, std::vector<size_t>* chosen,
              model::NodeFailure* failure) const override;
  double ScoreNode(const sched::NodeState& node, const sched::PodInput& pod,
                   std::span<const sched::PendingGrant> grants,
                   sched::NodePolicy policy) const override;

 private:
  bool topology_aware_;
};

}  // namespace hami::vendor::metax
