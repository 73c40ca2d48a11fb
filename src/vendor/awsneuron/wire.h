// WIRE: every string of AWS Neuron's part of the HAMi protocol (vendors.md §11), defined once.
// Header-only constants with no dependencies.
#pragma once

namespace hami::vendor::awsneuron {

// WIRE: the vendor key ("CommonWord"): device vendor and type, request vendor, the Type of a grant,
// and the middle of a device's ID ("<node>-AWSNeuron-<index>").
inline constexpr char kVendorName[] = "AWSNeuron";

// WIRE: default resource names (device-config `awsneuron.resource*Name`); there is no memory name.
inline constexpr char kDefaultCountResource[] = "aws.amazon.com/neuron";
inline constexpr char kDefaultCoreResource[] = "aws.amazon.com/neuroncore";

// WIRE: node label naming the EC2 instance type; "inf" in it means the devices form a ring.
inline constexpr char kInstanceTypeLabel[] = "node.kubernetes.io/instance-type";
// WIRE: upstream's custominfo key for the instance type, kept as a DeviceInfo attribute.
inline constexpr char kNodeTypeAttribute[] = "AWSNodeType";

// WIRE: pod annotations users set.
inline constexpr char kUseUuid[] = "aws.amazon.com/use-neuron-uuid";
inline constexpr char kNoUseUuid[] = "aws.amazon.com/nouse-neuron-uuid";

// WIRE: pod annotations written at bind. There is no to-allocate annotation.
inline constexpr char kAllocatedAnnotation[] = "hami.io/aws-neuron-devices-allocated";
// Device indices, or core indices (cores per device × device index + core bit), comma separated,
// of every container of the pod together.
inline constexpr char kAssignedIdsAnnotation[] = "AWS_NEURON_IDS";
// The core resource name, written when AWS_NEURON_IDS lists cores.
inline constexpr char kResourceTypeAnnotation[] = "NEURON_RESOURCE_TYPE";
inline constexpr char kAllocTimeAnnotation[] = "NEURON_ALLOC_TIME";  // Unix time in nanoseconds
inline constexpr char kAllocatedFlagAnnotation[] = "NEURON_ALLOCATED";
inline constexpr char kAllocatedFlagPending[] = "false";
inline constexpr char kPredicateNodeAnnotation[] = "aws.amazon.com/predicate-node";

}  // namespace hami::vendor::awsneuron
