// PodResourcesClient: the kubelet's pod-resources API v1 (proto/podresources.proto) over its unix
// socket, read by the Allocator to learn which pods the kubelet has started on (admitted_pod.h).
// Thread-safe (one gRPC channel, reconnected by gRPC after a kubelet restart).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "deviceplugin/admitted_pod.h"

namespace hami::deviceplugin {

// The kubelet's default socket (its --pod-resources-endpoint is not configurable).
inline constexpr char kKubeletPodResourcesSocket[] = "/var/lib/kubelet/pod-resources/kubelet.sock";

class PodResourcesClient {
 public:
  explicit PodResourcesClient(std::string socket_path,
                              std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~PodResourcesClient();

  // Every pod the kubelet lists. Errors (Unavailable) name the socket and gRPC's message.
  base::Result<std::vector<KubeletPod>> List();

  const std::string& socket_path() const { return socket_path_; }

 private:
  struct Stub;
  std::string socket_path_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Stub> stub_;
};

}  // namespace hami::deviceplugin
