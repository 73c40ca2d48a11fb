// Reading Kunlunxin's quantities (vendors.md §10): device counts, vXPU memory sizes and the
// number of whole cards a node's capacity announces. Hostile input is bounded and named in errors.
// Pure; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "codec/k8s_object.h"
#include "model/pod.h"

namespace hami::vendor::kunlun {

// Devices one container asks for under `name` (limits first, then requests): nullopt when absent
// or <= 0; an error naming the container and resource when not an integer or above INT32_MAX.
base::Result<std::optional<int32_t>> DeviceCount(const model::Container& c,
                                                 const std::string& name);

// upstream trimMemory: the smallest vXPU size holding `mib` (24576, 49152, 98304); larger values
// give 98304.
int64_t TrimMemory(int64_t mib);

// A vXPU memory quantity (a plain number is MiB, a byte suffix is converted) rounded up to a vXPU
// size. Error naming the container and resource when malformed, negative or above 98304 MiB.
base::Result<int64_t> VxpuMemory(const model::Container& c, const std::string& name,
                                 const std::string& text);

// The number of whole cards in the node's capacity of `resource`: NotFound when absent or 0;
// InvalidArgument when negative, not an integer or above kMaxCards.
inline constexpr int64_t kMaxCards = 1024;
base::Result<int32_t> CapacityCards(const codec::NodeObject& node, const std::string& resource);

}  // namespace hami::vendor::kunlun
