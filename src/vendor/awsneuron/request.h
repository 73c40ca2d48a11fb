// How one container asks for AWS Neuron devices (vendors.md §11 "Request"), shared by the webhook
// and the scheduler so the two never disagree.
//
//   aws.amazon.com/neuron: n      n whole devices: {nums n, coresreq kWholeDevice}
//   aws.amazon.com/neuroncore: c  c <= 2: one device, c cores; c a multiple of 2: c/2 devices with
//                                 2 cores each; anything else is an error
//
// A count wins over cores. Quantities are read from limits, then requests, and must be whole
// numbers in range; anything else is an InvalidArgument naming the container and resource.
// Requests do not depend on the node: upstream divides core requests by min(cores per device, 2),
// which is 2 on every Neuron instance type (Inf1 4, Inf2/Trn1 2, Trn2 8 cores per device). Pure.
#pragma once

#include <cstdint>
#include <optional>

#include "base/result.h"
#include "model/pod.h"
#include "model/request.h"
#include "vendor/awsneuron/config.h"

namespace hami::vendor::awsneuron {

// DeviceRequest::coresreq of a whole-device request: every core of each device it gets.
inline constexpr int64_t kWholeDevice = 0;
// Cores per device a core request is divided by (see above).
inline constexpr int64_t kCoresPerSplit = 2;

// The container's request, nullopt when it names neither resource.
base::Result<std::optional<model::DeviceRequest>> NeuronRequest(const model::Container& container,
                                                                const AwsNeuronConfig& config);

}  // namespace hami::vendor::awsneuron
