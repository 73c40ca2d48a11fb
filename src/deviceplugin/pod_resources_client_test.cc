// PodResourcesClient against an in-process PodResourcesLister on a unix socket (the kubelet's
// semantics are tested through the kubelet stand-in's own server in the e2e).
#include "deviceplugin/pod_resources_client.h"

#include <unistd.h>

#include <filesystem>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "proto/podresources.grpc.pb.h"

namespace hami::deviceplugin {
namespace {

class ListedPods final : public v1::PodResourcesLister::Service {
 public:
  grpc::Status List(grpc::ServerContext* /*context*/,
                    const v1::ListPodResourcesRequest* /*request*/,
                    v1::ListPodResourcesResponse* response) override {
    auto* admitted = response->add_pod_resources();
    admitted->set_namespace_("team-a");
    admitted->set_name("train");
    auto* container = admitted->add_containers();
    container->set_name("main");
    auto* devices = container->add_devices();
    devices->set_resource_name("nvidia.com/gpu");
    devices->add_device_ids("GPU-a::0");
    auto* admitting = response->add_pod_resources();
    admitting->set_namespace_("team-b");
    admitting->set_name("serve");
    return grpc::Status::OK;
  }
};

TEST(PodResourcesClientTest, ListsEveryPodTheKubeletShows) {
  const std::string socket =
      std::filesystem::temp_directory_path() / ("hami_podres_" + std::to_string(getpid()));
  ListedPods service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix://" + socket, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  PodResourcesClient client(socket);
  auto pods = client.List();
  ASSERT_TRUE(pods.ok()) << pods.error().ToString();
  ASSERT_EQ(pods->size(), 2U);
  EXPECT_EQ((*pods)[0].namespace_name, "team-a");
  EXPECT_EQ((*pods)[0].name, "train");
  EXPECT_EQ((*pods)[1].namespace_name, "team-b");
  EXPECT_EQ((*pods)[1].name, "serve");
  server->Shutdown();
  std::filesystem::remove(socket);
}

TEST(PodResourcesClientTest, AMissingKubeletIsAnErrorNamingTheSocket) {
  PodResourcesClient client("/nonexistent/pod-resources/kubelet.sock",
                            std::chrono::milliseconds(200));
  auto pods = client.List();
  ASSERT_FALSE(pods.ok());
  EXPECT_EQ(pods.error().code(), base::StatusCode::kUnavailable);
  EXPECT_NE(pods.error().message().find("/nonexistent/pod-resources/kubelet.sock"),
            std::string::npos)
      << pods.error().message();
}

}  // namespace
}  // namespace hami::deviceplugin
