// WIRE: the keys of HAMi's shared protocol, used by every vendor (hami-wire §3, docs/wire/).
// Each vendor's own keys live in its folder (vendor/<name>/wire.h); nothing else defines a key.
#pragma once

namespace hami::model {

// Pod annotations written at bind (hami-wire §3.2, §3.8); kVgpuNodeAnnotation is also a label.
inline constexpr char kVgpuNodeAnnotation[] = "hami.io/vgpu-node";
inline constexpr char kVgpuTimeAnnotation[] = "hami.io/vgpu-time";
inline constexpr char kBindPhaseAnnotation[] = "hami.io/bind-phase";
inline constexpr char kBindTimeAnnotation[] = "hami.io/bind-time";
// Values of kBindPhaseAnnotation.
inline constexpr char kBindPhaseAllocating[] = "allocating";
inline constexpr char kBindPhaseSuccess[] = "success";
inline constexpr char kBindPhaseFailed[] = "failed";

// Pod annotations that override the scheduler's default policies.
inline constexpr char kNodePolicyAnnotation[] = "hami.io/node-scheduler-policy";
inline constexpr char kGpuPolicyAnnotation[] = "hami.io/gpu-scheduler-policy";
inline constexpr char kScoreWeightsAnnotation[] = "hami.io/device-scoring-weights";

// Node annotations.
inline constexpr char kNodeLockAnnotation[] = "hami.io/mutex.lock";
inline constexpr char kDeviceCordonAnnotation[] = "hami.io/device-cordon";

}  // namespace hami::model
