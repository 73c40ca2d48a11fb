// The registry table: building vendors from device-config blocks and flags, warnings for what is
// not understood, and BuildPodInput across vendors.
#include "vendor/registry.h"

#include <gtest/gtest.h>

#include "model/pod_test_util.h"

namespace hami::vendor {
namespace {

using nlohmann::json;

bool HasWarning(const Registry& r, const std::string& part) {
  for (const auto& w : r.warnings()) {
    if (w.find(part) != std::string::npos) return true;
  }
  return false;
}

TEST(RegistryTest, DefaultsBuildEveryUngatedVendor) {
  Registry registry;
  ASSERT_NE(registry.Find("NVIDIA"), nullptr);
  EXPECT_TRUE(registry.warnings().empty());
  auto names = registry.ResourceNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "nvidia.com/gpumem"), names.end());
}

TEST(RegistryTest, UnknownBlocksKeysAndFlagsAreWarnedByName) {
  auto r = Registry::Create(
      {json::parse(R"({"nvidia":{"resourceCountName":"x.com/gpu","bogusKey":1},"acme":{}})")},
      {{"no-such-flag", "1"}});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(HasWarning(*r, "nvidia.bogusKey: unknown key"));
  EXPECT_TRUE(HasWarning(*r, "acme: unknown vendor block"));
  EXPECT_TRUE(HasWarning(*r, "--no-such-flag"));
  auto names = r->ResourceNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "x.com/gpu"), names.end());
}

TEST(RegistryTest, BooleanFlagsAreParsedOrRefusedByName) {
  auto lockless = Registry::Create(DeviceConfig{}, {});
  ASSERT_TRUE(lockless.ok());
  EXPECT_FALSE(lockless->Find("NVIDIA")->Lock().has_value()) << "no node lock by default";
  auto locked = Registry::Create(DeviceConfig{}, {{"nvidia-node-lock", "true"}});
  ASSERT_TRUE(locked.ok());
  EXPECT_TRUE(locked->Find("NVIDIA")->Lock().has_value()) << "upstream's node lock on request";
  for (const char* flag : {"nvidia-node-lock", "enable-ascend", "enable-iluvatar"}) {
    auto bad = Registry::Create(DeviceConfig{}, {{flag, "maybe"}});
    ASSERT_FALSE(bad.ok()) << flag;
    EXPECT_EQ(bad.error().message(),
              std::string("flag --") + flag + ": \"maybe\" is not a boolean");
  }
}

TEST(RegistryTest, QuotedNumbersAreAcceptedWrongTypesAreErrors) {
  auto quoted = Registry::Create({json::parse(
      R"({"nvidia":{"libCudaLogLevel":"1","deviceSplitCount":"4","overwriteEnv":"true"}})")});
  ASSERT_TRUE(quoted.ok()) << quoted.error().ToString();
  auto bad = Registry::Create({json::parse(R"({"nvidia":{"deviceSplitCount":"four"}})")});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("nvidia.deviceSplitCount"), std::string::npos);
  auto not_a_map = Registry::Create({json::parse(R"({"nvidia":[1,2]})")});
  ASSERT_FALSE(not_a_map.ok());
  auto root_list = Registry::Create({json::parse("[1]")});
  ASSERT_FALSE(root_list.ok());
}

TEST(RegistryTest, BuildPodInputListsOnlyRequestedVendors) {
  Registry registry;
  model::Pod pod;
  pod.name = "p";
  pod.containers.push_back(model::testing::MakeContainer("a", {{"nvidia.com/gpu", "1"}}));
  pod.containers.push_back(model::testing::MakeContainer("b", {{"cpu", "1"}}));
  auto input = BuildPodInput(pod, registry, sched::Policy{});
  ASSERT_TRUE(input.ok()) << input.error().ToString();
  ASSERT_EQ(input->vendors.size(), 1u);
  EXPECT_NE(input->vendors.at("NVIDIA").fit, nullptr);
  ASSERT_EQ(input->requests.app.size(), 2u);
  EXPECT_TRUE(input->requests.app[1].empty());
}

}  // namespace
}  // namespace hami::vendor
