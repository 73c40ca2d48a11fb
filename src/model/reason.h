// Why a device or node did not fit. Counted per node, rendered to upstream's exact strings
// ("1/2 CardInsufficientMemory") only at the edge (see RenderReasons).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace hami::model {

// WIRE: enumerator names render verbatim (hami-wire §3.5).
enum class Reason {
  kCardNotHealth,
  kCardCordoned,
  kCardTypeMismatch,
  kCardUuidMismatch,
  kCardTimeSlicingExhausted,
  kExclusiveDeviceAllocateConflict,
  kResourceQuotaNotFit,
  kCardInsufficientMemory,
  kCardInsufficientCore,
  kCardComputeUnitsExhausted,
  kCardMigTopologyInfeasible,
  kNumaNotFit,
  kModeNotFit,
  kCardNotFoundCustomFilterRule,
  kCardUnhealthy,  // Metax sGPU's name for an unhealthy card
  kCardQosPolicyMismatch,
  kCardAppClassMismatch,
  kAllocatedCardsInsufficientRequest,
  kNodeInsufficientDevice,  // rendered bare, without counts
  kNodeUnregistered,        // rendered "node unregistered"
  kCount,                   // not a reason: number of enumerators
};

inline constexpr size_t kReasonCount = static_cast<size_t>(Reason::kCount);

std::string_view ReasonName(Reason reason);

// Counted reasons for one node plus the number of candidate devices (the "/m" part).
// Fixed-size so the scheduling core can fill thousands of them without allocating.
struct NodeFailure {
  std::array<int32_t, kReasonCount> counts{};
  int32_t candidates = 0;

  void Add(Reason reason, int32_t n = 1) { counts[static_cast<size_t>(reason)] += n; }
  int32_t Count(Reason reason) const { return counts[static_cast<size_t>(reason)]; }
  bool Empty() const {
    for (int32_t c : counts)
      if (c != 0) return false;
    return true;
  }
  friend bool operator==(const NodeFailure&, const NodeFailure&) = default;
};

// Upstream rendering: entries "<count>/<candidates> <Reason>" sorted lexicographically and joined
// by
// ", "; NodeInsufficientDevice and NodeUnregistered render bare.
std::string RenderReasons(const NodeFailure& failure);

}  // namespace hami::model
