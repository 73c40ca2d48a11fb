// Helpers every vendor folder uses to read its resources and annotations the way upstream's
// device backends do (vendors.md §1.4, §1.5). Pure; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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
// The node's allocatable of `resource` (0 when absent or not an integer).
int64_t AllocatableOf(const codec::NodeObject& node, const std::string& resource);

}  // namespace hami::vendor
