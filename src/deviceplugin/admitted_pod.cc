#include "deviceplugin/admitted_pod.h"

#include <algorithm>

#include "codec/pod_devices.h"
#include "model/protocol.h"
#include "vendor/nvidia/wire.h"

namespace hami::deviceplugin {

namespace nvidia = vendor::nvidia;
namespace {

std::string AnnotationOr(const model::Pod& pod, const std::string& key) {
  const std::string* value = pod.Annotation(key);
  return value == nullptr ? "" : *value;
}

// True when hami.io/vgpu-devices-to-allocate decodes and still has a container with devices (we
// empty each container's entry as it is served).
bool HasDevicesLeft(const model::Pod& pod) {
  auto decoded = codec::DecodePodSingleDevice(AnnotationOr(pod, nvidia::kToAllocateAnnotation));
  if (!decoded.ok()) return false;
  return std::any_of(decoded->begin(), decoded->end(),
                     [](const model::ContainerDevices& entry) { return !entry.empty(); });
}

std::string Keys(const std::vector<const model::Pod*>& pods) {
  std::string out;
  for (const model::Pod* pod : pods) out += (out.empty() ? "" : ", ") + pod->Key();
  return out;
}

}  // namespace

bool AwaitsAllocation(const model::Pod& pod, const std::string& node) {
  if (pod.phase != "Pending" || pod.node_name != node) return false;
  if (pod.Annotation(model::kBindTimeAnnotation) == nullptr) return false;
  const std::string phase = AnnotationOr(pod, model::kBindPhaseAnnotation);
  if (phase != model::kBindPhaseAllocating && phase != model::kBindPhaseSuccess) return false;
  if (AnnotationOr(pod, model::kVgpuNodeAnnotation) != node) return false;
  return HasDevicesLeft(pod);
}

base::Result<model::Pod> AdmittedPod(const std::vector<model::Pod>& bound, const std::string& node,
                                     const std::vector<KubeletPod>& kubelet,
                                     const std::set<std::string>& finished) {
  std::set<std::string> known;
  for (const auto& pod : kubelet) known.insert(pod.namespace_name + "/" + pod.name);
  std::vector<const model::Pod*> asking;
  for (const auto& pod : bound) {
    if (finished.count(pod.uid) != 0 || known.count(pod.Key()) == 0) continue;
    if (AwaitsAllocation(pod, node)) asking.push_back(&pod);
  }
  if (asking.size() > 1) {
    return base::FailedPrecondition("cannot tell which pod this Allocate is for: " + Keys(asking) +
                                    " await allocation on node " + node +
                                    " and the kubelet lists them all");
  }
  if (asking.empty()) {
    return base::NotFound("no pod on node " + node +
                          " awaits allocation and is being admitted by the kubelet");
  }
  return *asking.front();
}

}  // namespace hami::deviceplugin
