#include "deviceplugin/pod_resources_client.h"

#include <grpcpp/grpcpp.h>

#include "proto/podresources.grpc.pb.h"

namespace hami::deviceplugin {

struct PodResourcesClient::Stub {
  std::unique_ptr<v1::PodResourcesLister::Stub> lister;
};

PodResourcesClient::PodResourcesClient(std::string socket_path, std::chrono::milliseconds timeout)
    : socket_path_(std::move(socket_path)), timeout_(timeout), stub_(std::make_unique<Stub>()) {
  stub_->lister = v1::PodResourcesLister::NewStub(
      grpc::CreateChannel("unix://" + socket_path_, grpc::InsecureChannelCredentials()));
}

PodResourcesClient::~PodResourcesClient() = default;

base::Result<std::vector<KubeletPod>> PodResourcesClient::List() {
  grpc::ClientContext context;
  // A gRPC deadline is wall-clock by API; the wait it bounds is real, not a test's clock.
  context.set_deadline(std::chrono::system_clock::now() + timeout_);
  v1::ListPodResourcesRequest request;
  v1::ListPodResourcesResponse response;
  grpc::Status status = stub_->lister->List(&context, request, &response);
  if (!status.ok()) {
    return base::Unavailable("kubelet pod-resources List at " + socket_path_ + ": " +
                             status.error_message());
  }
  std::vector<KubeletPod> pods;
  pods.reserve(response.pod_resources_size());
  for (const auto& pod : response.pod_resources()) pods.push_back({pod.namespace_(), pod.name()});
  return pods;
}

}  // namespace hami::deviceplugin
