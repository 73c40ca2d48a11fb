// Reading Kunlunxin's vXPU memory sizes (vendors.md §10). Hostile input is bounded and named in
// errors. Pure; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "codec/k8s_object.h"
#include "model/pod.h"

namespace hami::vendor::kunlun {

// upstream trimMemory: the smallest vXPU size holding `mib` (24576, 49152, 98304); larger values
// give 98304.
int64_t TrimMemory(int64_t mib);

// A vXPU memory quantity (a plain number is MiB, a byte suffix is converted) rounded up to a vXPU
// size. Error naming the container and resource when malformed, negative or above 98304 MiB.
base::Result<int64_t> VxpuMemory(const model::Container& c, const std::string& name,
                                 const std::string& text);

}  // namespace hami::vendor::kunlun
