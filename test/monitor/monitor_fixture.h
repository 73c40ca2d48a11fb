// Fixture of the hami-monitor integration tests: a private hook directory, a simulated machine of
// two A100s with known UUIDs (kGpuA, kGpuB) shared by the test's processes, the real hami-monitor
// binary, CUDA probes under LD_PRELOAD=libvgpu.so, and a FakeKubeApi served over HTTP holding the
// pods the regions belong to, with the grants hami-scheduler would have written.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "test/fakes/fake_api_server.h"
#include "test/monitor/monitor_harness.h"

namespace hami::monitor::it {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr double kMiB = 1048576.0;
inline constexpr char kGpuA[] = "GPU-a1a1a1a1-0000-1111-2222-333333333333";
inline constexpr char kGpuB[] = "GPU-b2b2b2b2-0000-1111-2222-333333333333";
inline constexpr char kNode[] = "node-it";

class MonitorIT : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* f : {HAMI_SIM_LIBDIR "/libcuda.so.1", HAMI_LIBVGPU, HAMI_MONITOR_BIN}) {
      if (access(f, R_OK) != 0) GTEST_SKIP() << f << " not built";
    }
    root_ = fs::temp_directory_path() /
            ("hami_monitor_it_" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
             std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "hook/containers");
    log_ = (root_ / "monitor.log").string();
    nlohmann::json gpus = {
        {"gpus",
         {{{"name", "NVIDIA A100-SXM4-40GB"}, {"uuid", kGpuA}, {"memoryMiB", 40960}},
          {{"name", "NVIDIA A100-SXM4-40GB"}, {"uuid", kGpuB}, {"memoryMiB", 40960}}}}};
    std::ofstream(root_ / "gpus.json") << gpus.dump();
  }
  void TearDown() override {
    monitor_.Kill();
    monitor_.Wait();
    if (server_) server_->Stop();
    if (HasFailure()) std::printf("--- monitor log ---\n%s\n", ReadFile(log_).c_str());
    fs::remove_all(root_);
  }

  Env SimEnv() {
    return {{"LD_LIBRARY_PATH", HAMI_SIM_LIBDIR},
            {"HAMI_SIM_GPUS", (root_ / "gpus.json").string()},
            {"HAMI_SIM_STATE", (root_ / "sim.state").string()},
            {"HAMI_SIM_NS_PER_BLOCK", "5000"},
            {"HOME", root_.string()}};
  }

  // Serves api_ over HTTP; returns a kubeconfig for it ("" on failure).
  std::string StartApi() {
    server_ = std::make_unique<fakes::FakeApiServer>(&api_);
    if (server_->Start() <= 0) return "";
    const std::string kubeconfig = (root_ / "kubeconfig").string();
    return server_->WriteKubeconfig(kubeconfig) ? kubeconfig : "";
  }

  // Pod `name` in namespace team-a on this node (label as hami-scheduler's bind sets, or
  // spec.nodeName) whose container "main" was granted `gpu` with `mem_mib` at `priority`
  // (CUDA_TASK_PRIORITY in its spec, as the webhook writes it; < 0 = none). Returns its UID.
  std::string CreatePod(const std::string& name, const std::string& gpu, int mem_mib,
                        int priority = -1, bool by_label = true) {
    nlohmann::json c = {{"name", "main"}};
    if (priority >= 0)
      c["env"] = {{{"name", "CUDA_TASK_PRIORITY"}, {"value", std::to_string(priority)}}};
    nlohmann::json pod = {{"apiVersion", "v1"},
                          {"kind", "Pod"},
                          {"metadata", {{"name", name}, {"namespace", "team-a"}}},
                          {"spec", {{"containers", {c}}}}};
    if (!gpu.empty()) {
      pod["metadata"]["annotations"] = {
          {"hami.io/vgpu-devices-allocated", gpu + ",NVIDIA," + std::to_string(mem_mib) + ",0:;"}};
    }
    if (by_label) {
      pod["metadata"]["labels"] = {{"hami.io/vgpu-node", kNode}};
    } else {
      pod["spec"]["nodeName"] = kNode;
    }
    auto created = api_.Create(k8s::PodsPath("team-a"), pod);
    EXPECT_TRUE(created.ok());
    return created.ok() ? (*created)["metadata"]["uid"].get<std::string>() : std::string("none");
  }

  // Starts hami-monitor; returns its metrics port (0 on failure).
  int StartMonitor(const std::string& interval, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {HAMI_MONITOR_BIN,
                                     "--hook-path",
                                     (root_ / "hook").string(),
                                     "--metrics-bind-address",
                                     "127.0.0.1:0",
                                     "--node-name",
                                     kNode,
                                     "--feedback-interval",
                                     interval};
    argv.insert(argv.end(), extra.begin(), extra.end());
    monitor_ = Spawn(argv, SimEnv(), log_);
    int port = 0;
    WaitFor(
        [&] {
          const std::string log = ReadFile(log_);
          const size_t at = log.find("msg=\"serving metrics\"");
          if (at == std::string::npos) return false;
          port = std::atoi(log.c_str() + log.find("port=", at) + 5);
          return true;
        },
        milliseconds(10000));
    return port;
  }

  std::string Dir(const std::string& name) {
    fs::create_directories(root_ / "hook/containers" / name);
    return (root_ / "hook/containers" / name).string();
  }
  std::string RegionPath(const std::string& dir) { return Dir(dir) + "/vgpu.cache"; }

  // A CUDA process of container `dir` (created on demand) under libvgpu, seeing only `gpu`
  // (0 = kGpuA, 1 = kGpuB) as CUDA device 0.
  Child Probe(const std::string& dir, const std::vector<std::string>& args, int priority,
              const std::string& memory_limit = "", int gpu = 0) {
    Env env = SimEnv();
    env["LD_PRELOAD"] = HAMI_LIBVGPU;
    env["CUDA_DEVICE_MEMORY_SHARED_CACHE"] = RegionPath(dir);
    env["CUDA_TASK_PRIORITY"] = std::to_string(priority);
    env["CUDA_VISIBLE_DEVICES"] = std::to_string(gpu);
    env["HAMI_CONTEXT_OVERHEAD"] = "0";
    if (!memory_limit.empty()) env["CUDA_DEVICE_MEMORY_LIMIT_0"] = memory_limit;
    return Spawn(args, env);
  }

  fs::path root_;
  std::string log_;
  Child monitor_;
  fakes::FakeKubeApi api_;
  std::unique_ptr<fakes::FakeApiServer> server_;
};

}  // namespace hami::monitor::it
