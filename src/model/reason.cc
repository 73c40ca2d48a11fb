#include "model/reason.h"

#include <algorithm>
#include <vector>

namespace hami::model {

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kCardNotHealth:
      return "CardNotHealth";
    case Reason::kCardCordoned:
      return "CardCordoned";
    case Reason::kCardTypeMismatch:
      return "CardTypeMismatch";
    case Reason::kCardUuidMismatch:
      return "CardUuidMismatch";
    case Reason::kCardTimeSlicingExhausted:
      return "CardTimeSlicingExhausted";
    case Reason::kExclusiveDeviceAllocateConflict:
      return "ExclusiveDeviceAllocateConflict";
    case Reason::kResourceQuotaNotFit:
      return "ResourceQuotaNotFit";
    case Reason::kCardInsufficientMemory:
      return "CardInsufficientMemory";
    case Reason::kCardInsufficientCore:
      return "CardInsufficientCore";
    case Reason::kCardComputeUnitsExhausted:
      return "CardComputeUnitsExhausted";
    case Reason::kCardMigTopologyInfeasible:
      return "CardMigTopologyInfeasible";
    case Reason::kNumaNotFit:
      return "NumaNotFit";
    case Reason::kModeNotFit:
      return "ModeNotFit";
    case Reason::kCardNotFoundCustomFilterRule:
      return "CardNotFoundCustomFilterRule";
    case Reason::kCardUnhealthy:
      return "CardUnhealthy";
    case Reason::kCardQosPolicyMismatch:
      return "CardQosPolicyMismatch";
    case Reason::kCardAppClassMismatch:
      return "CardAppClassMismatch";
    case Reason::kAllocatedCardsInsufficientRequest:
      return "AllocatedCardsInsufficientRequest";
    case Reason::kNodeInsufficientDevice:
      return "NodeInsufficientDevice";
    case Reason::kNodeUnregistered:
      return "node unregistered";
    case Reason::kCount:
      break;
  }
  return "Unknown";
}

std::string RenderReasons(const NodeFailure& failure) {
  std::vector<std::string> entries;
  for (size_t i = 0; i < kReasonCount; ++i) {
    const auto reason = static_cast<Reason>(i);
    const int32_t count = failure.counts[i];
    if (count == 0) continue;
    if (reason == Reason::kNodeInsufficientDevice || reason == Reason::kNodeUnregistered) {
      entries.emplace_back(ReasonName(reason));
      continue;
    }
    entries.push_back(std::to_string(count) + "/" + std::to_string(failure.candidates) + " " +
                      std::string(ReasonName(reason)));
  }
  std::sort(entries.begin(), entries.end());
  std::string out;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out += ", ";
    out += entries[i];
  }
  return out;
}

}  // namespace hami::model
