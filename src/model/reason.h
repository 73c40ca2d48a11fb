// Why a device or node did not fit. Counted per node, rendered to upstream's exact strings
// ("1/2 CardInsufficientMemory") only at the edge (see RenderReasons).
#pragma once

#include <cstdint>
#include <map>
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
  kAllocatedCardsInsufficientRequest,
  kNodeInsufficientDevice,  // rendered bare, without counts
  kNodeUnregistered,        // rendered "node unregistered"
};

std::string_view ReasonName(Reason reason);

// Counted reasons for one node plus the number of candidate devices (the "/m" part).
struct NodeFailure {
  std::map<Reason, int32_t> counts;
  int32_t candidates = 0;
  friend bool operator==(const NodeFailure&, const NodeFailure&) = default;
};

// Upstream rendering: entries "<count>/<candidates> <Reason>" sorted lexicographically and joined by
// ", "; NodeInsufficientDevice and NodeUnregistered render bare.
std::string RenderReasons(const NodeFailure& failure);

}  // namespace hami::model
