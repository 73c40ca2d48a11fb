// Reading Enflame's quantities (vendors.md §9): device counts and the number of whole GCUs a
// node's capacity announces. Hostile input is bounded and named in errors. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "codec/k8s_object.h"
#include "model/pod.h"

namespace hami::vendor::enflame {

// The integer one container asks for under `name` (limits first, then requests): nullopt when
// absent or <= 0; an error naming the container and resource when not an integer or above
// INT32_MAX.
base::Result<std::optional<int32_t>> PositiveCount(const model::Container& c,
                                                   const std::string& name);

// The number of whole GCUs in the node's capacity of `resource`: NotFound when absent or 0;
// InvalidArgument when negative, not an integer or above kMaxCards.
inline constexpr int64_t kMaxCards = 1024;
base::Result<int32_t> CapacityCards(const codec::NodeObject& node, const std::string& resource);

}  // namespace hami::vendor::enflame
