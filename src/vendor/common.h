// Helpers every vendor folder uses to read its resources and annotations the way upstream's
// device backends do (vendors.md §1.4, §1.5). Pure; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "codec/k8s_object.h"
#include "model/device.h"
#include "model/pod.h"
#include "sched/pod_input.h"

namespace hami::vendor {

// A container's quantity text for `name`: limits first, then requests (upstream's usual order).
const std::string* Quantity(const model::Container& c, const std::string& name);
// Limits only (vendors whose webhook and request derivation read limits alone).
const std::string* LimitQuantity(const model::Container& c, const std::string& name);

// Upstream's Quantity.AsInt64: the exact integer value, nullopt when the text does not parse or
// is not a whole number in int64 (upstream then treats the resource as absent).
std::optional<int64_t> AsInt64(const std::string& text);

// A quantity that must be an integer: the value, or an InvalidArgument naming the container and
// resource ("container c: resource hygon.com/dcunum \"1.5\" is not a whole number").
base::Result<int64_t> IntQuantity(const model::Container& c, const std::string& name,
                                  const std::string& text);

// A device-memory quantity in MiB (base::ParseMemoryMiB: a plain number is MiB, a byte suffix is
// converted) multiplied by `factor` (a vendor's memoryFactor); nullopt when absent. Errors name the
// container and resource, including a product above INT32_MAX.
base::Result<std::optional<int64_t>> ScaledMemoryMiB(const model::Container& c,
                                                     const std::string& name, int64_t factor);

// Where a vendor reads a container's quantities from.
enum class QuantitySource { kLimitsThenRequests, kLimitsOnly };

// How many devices a container asks for under `name`: nullopt when absent or 0 (no request); an
// InvalidArgument naming the container and resource when it is not a whole number within
// 1..2147483647 (upstream silently drops such a request).
base::Result<std::optional<int32_t>> RequestCount(
    const model::Container& c, const std::string& name,
    QuantitySource source = QuantitySource::kLimitsThenRequests);

// A whole-number quantity within [0, max], `unit` naming what it counts in errors ("of 256 MiB
// units"); nullopt when the container does not set it.
base::Result<std::optional<int64_t>> BoundedQuantity(
    const model::Container& c, const std::string& name, int64_t max, std::string_view unit,
    QuantitySource source = QuantitySource::kLimitsThenRequests);

// A pod annotation's comma list: entries trimmed, blanks dropped, uppercased when `upper`.
std::vector<std::string> AnnotationList(const model::Pod& pod, const std::string& key, bool upper);

// Upstream's CheckType (case-insensitive substring of the registered type, blank members ignored,
// a use-value of only blanks rejects every card) into `selector`.
void ReadTypeSelector(const model::Pod& pod, const std::string& use_key,
                      const std::string& nouse_key, sched::DeviceSelector* selector);
// Upstream's CheckUUID (exact match, blanks ignored) into `selector`; adds to what is there, so a
// vendor with two annotation pairs calls it twice.
void ReadUuidSelector(const model::Pod& pod, const std::string& use_key,
                      const std::string& nouse_key, sched::DeviceSelector* selector);

// The devices of a register annotation (JSON or legacy form, codec/node_register.h) with `vendor`
// set on each: NotFound when the node lacks the annotation; the decode error names the key.
base::Result<std::vector<model::DeviceInfo>> DevicesFromRegister(const codec::NodeObject& node,
                                                                 const std::string& key,
                                                                 const std::string& vendor);

// The node's capacity of `resource` as an integer (0 when absent or not an integer).
int64_t CapacityOf(const codec::NodeObject& node, const std::string& resource);

// Upper bound on the devices one node's capacity may announce (hostile capacities stay cheap).
inline constexpr int64_t kMaxDevicesPerNode = 1024;

// The node's capacity of `resource`, strictly: nullopt when absent; an InvalidArgument naming the
// resource when it is not a whole number within [0, max].
base::Result<std::optional<int64_t>> CapacityValue(const codec::NodeObject& node,
                                                   const std::string& resource, int64_t max);

// How many devices the node's capacity of `resource` announces, for vendors whose device plugin
// publishes only counts: NotFound when absent or 0 (the vendor has nothing there); an
// InvalidArgument when it is not a whole number within 0..kMaxDevicesPerNode.
base::Result<int32_t> CapacityDevices(const codec::NodeObject& node, const std::string& resource);
// The node's allocatable of `resource` (0 when absent or not an integer).
int64_t AllocatableOf(const codec::NodeObject& node, const std::string& resource);

// `cards` copies of `card` numbered 0..cards-1, each id "<node><id_infix><index>", for vendors
// whose device plugins publish counts rather than per-card registrations.
std::vector<model::DeviceInfo> NumberedCards(const std::string& node, int32_t cards,
                                             const model::DeviceInfo& card,
                                             const std::string& id_infix);

// How a vendor's node totals split into cards (Cambricon, Moore Threads: upstream derives cards
// from the total cores and memory units the device plugin publishes).
struct SharedCapacity {
  std::string core_resource;    // total cores on the node; cards = ceil(cores / cores_per_card)
  std::string memory_resource;  // total memory units on the node (absent: 0)
  int64_t cores_per_card = 0;
  int64_t memory_unit_mib = 0;  // MiB in one memory unit
};

// The cards `layout` derives from the node's capacity, numbered as NumberedCards, each with
// devcore = cores_per_card and devmem = its share of the memory (units × unit × per-card / cores,
// as upstream). NotFound when the core capacity is absent or 0; an InvalidArgument naming the
// resource when a capacity is not a whole number or describes more than kMaxDevicesPerNode cards
// or more than INT32_MAX MiB.
base::Result<std::vector<model::DeviceInfo>> CardsFromSharedCapacity(const codec::NodeObject& node,
                                                                     const SharedCapacity& layout,
                                                                     const model::DeviceInfo& card,
                                                                     const std::string& id_infix);

}  // namespace hami::vendor
