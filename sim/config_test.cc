#include "sim/config.h"

#include <gtest/gtest.h>

namespace hami::sim {
namespace {

base::Result<std::string> NoFile(const std::string&) { return base::NotFound("no file"); }

TEST(ParseGpuList, EmptyMeansNoGpu) {
  auto gpus = ParseGpuList("", NoFile);
  ASSERT_TRUE(gpus.ok());
  EXPECT_TRUE(gpus->empty());
  EXPECT_TRUE(ParseGpuList("   ", NoFile)->empty());
}

TEST(ParseGpuList, CompactFormWithKnownModels) {
  auto gpus = ParseGpuList("2xA100-40GB, 1xT4-16GB", NoFile);
  ASSERT_TRUE(gpus.ok()) << gpus.error().ToString();
  ASSERT_EQ(gpus->size(), 3u);
  EXPECT_EQ((*gpus)[0].name, "NVIDIA A100-SXM4-40GB");
  EXPECT_EQ((*gpus)[0].memory_bytes, 40ull << 30);
  EXPECT_EQ((*gpus)[0].sms, 108);
  EXPECT_EQ((*gpus)[0].cc_major, 8);
  EXPECT_TRUE((*gpus)[0].mig_capable);
  EXPECT_EQ((*gpus)[2].name, "Tesla T4");
  EXPECT_EQ((*gpus)[2].sms, 40);
  EXPECT_EQ((*gpus)[2].cc_minor, 5);
  EXPECT_FALSE((*gpus)[2].mig_capable);
  EXPECT_EQ((*gpus)[1].pci_bus_id, "00000000:18:00.0");
  EXPECT_NE((*gpus)[0].uuid, (*gpus)[1].uuid);
}

TEST(ParseGpuList, CompactFormDefaultsAndUnits) {
  auto gpus = ParseCompactGpuList("H100-80G,Foo9-512MB");
  ASSERT_TRUE(gpus.ok()) << gpus.error().ToString();
  ASSERT_EQ(gpus->size(), 2u);
  EXPECT_EQ((*gpus)[0].name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ((*gpus)[0].sms, 132);
  EXPECT_EQ((*gpus)[1].name, "NVIDIA Foo9");
  EXPECT_EQ((*gpus)[1].sms, 80);
  EXPECT_EQ((*gpus)[1].memory_bytes, 512ull << 20);
}

TEST(ParseGpuList, UuidsAreDeterministicAndWellFormed) {
  auto a = ParseCompactGpuList("2xA100-40GB");
  auto b = ParseCompactGpuList("2xA100-40GB");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)[1].uuid, (*b)[1].uuid);
  const std::string& uuid = (*a)[0].uuid;
  ASSERT_EQ(uuid.size(), 40u) << uuid;
  EXPECT_EQ(uuid.substr(0, 4), "GPU-");
  EXPECT_EQ(uuid[12], '-');
  EXPECT_EQ(uuid[17], '-');
  EXPECT_EQ(uuid[22], '-');
  EXPECT_EQ(uuid[27], '-');
}

TEST(ParseGpuList, MalformedCompactEntriesNameTheProblem) {
  struct Case {
    const char* text;
    const char* mentions;
  };
  const Case cases[] = {
      {"A100", "A100"},
      {"2xA100-40XB", "memory"},
      {"0xA100-40GB", "count"},
      {"A100-40GB,,T4-16GB", "empty"},
      {"A1 00-40GB", "model"},
      {"17xA100-40GB", "count"},
      {"9xA100-40GB,9xT4-16GB", "more than 16"},
      {"A100-0GB", "memory"},
  };
  for (const Case& c : cases) {
    auto gpus = ParseGpuList(c.text, NoFile);
    ASSERT_FALSE(gpus.ok()) << c.text;
    EXPECT_NE(gpus.error().message().find(c.mentions), std::string::npos)
        << c.text << ": " << gpus.error().message();
  }
}

TEST(ParseGpuList, JsonFile) {
  auto read = [](const std::string& path) -> base::Result<std::string> {
    EXPECT_EQ(path, "/etc/gpus.json");
    return std::string(R"({"gpus":[
        {"name":"NVIDIA A100-SXM4-80GB","uuid":"GPU-11111111-2222-3333-4444-555555555555",
         "memoryMiB":81920,"numa":1},
        {"name":"Custom Card","memoryMiB":1024,"sms":12,"pciBusId":"00000000:3B:00.0"}]})");
  };
  auto gpus = ParseGpuList("/etc/gpus.json", read);
  ASSERT_TRUE(gpus.ok()) << gpus.error().ToString();
  ASSERT_EQ(gpus->size(), 2u);
  EXPECT_EQ((*gpus)[0].uuid, "GPU-11111111-2222-3333-4444-555555555555");
  EXPECT_EQ((*gpus)[0].memory_bytes, 80ull << 30);
  EXPECT_EQ((*gpus)[0].sms, 108);  // model recognised inside the name
  EXPECT_EQ((*gpus)[0].numa_node, 1);
  EXPECT_EQ((*gpus)[1].sms, 12);
  EXPECT_EQ((*gpus)[1].numa_node, -1);
  EXPECT_EQ((*gpus)[1].pci_bus_id, "00000000:3B:00.0");
  EXPECT_EQ((*gpus)[1].uuid.substr(0, 4), "GPU-");
}

TEST(ParseGpuList, MalformedJson) {
  const char* cases[] = {
      "{",
      R"({"gpu":[]})",
      R"({"gpus":[{"memoryMiB":1}]})",
      R"({"gpus":[{"name":"x"}]})",
      R"({"gpus":[{"name":"x","memoryMiB":-1}]})",
      R"({"gpus":[{"name":"x","memoryMiB":1,"sms":0}]})",
      R"({"gpus":[{"name":"x","memoryMiB":1,"uuid":"abc"}]})",
      R"({"gpus":[{"name":"a","memoryMiB":1,"uuid":"GPU-1"},{"name":"b","memoryMiB":1,"uuid":"GPU-1"}]})",
  };
  for (const char* json : cases) {
    auto gpus = ParseJsonGpuList(json);
    EXPECT_FALSE(gpus.ok()) << json;
  }
  auto missing = ParseGpuList("/nonexistent/gpus.json", NoFile);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("/nonexistent/gpus.json"), std::string::npos);
}

TEST(ParseVisibleDevicesWithMig, MigGpusAreReachedOnlyThroughTheirInstances) {
  auto gpus = *ParseCompactGpuList("2xA100-40GB,T4-16GB");
  auto in_mig = [](int i) { return i == 0; };  // GPU 0 is in MIG mode
  auto find = [](std::string_view uuid) -> std::optional<VisibleDevice> {
    if (uuid == "MIG-aaaa") return VisibleDevice{0, 7, 0, 11};
    if (uuid == "MIG-bbbb") return VisibleDevice{0, 2, 0, 12};
    return std::nullopt;
  };
  auto phys = [](const std::vector<VisibleDevice>& v) {
    std::vector<int> out;
    out.reserve(v.size());
    for (const VisibleDevice& d : v) out.push_back(d.gi < 0 ? d.phys : 100 + d.gi);
    return out;
  };
  EXPECT_EQ(phys(ParseVisibleDevicesWithMig(std::nullopt, gpus, in_mig, find)),
            (std::vector<int>{1, 2}));
  EXPECT_EQ(phys(ParseVisibleDevicesWithMig("MIG-aaaa", gpus, in_mig, find)),
            (std::vector<int>{107}));
  auto one = ParseVisibleDevicesWithMig("MIG-aaaa", gpus, in_mig, find);
  EXPECT_EQ(one[0].ci, 0);
  EXPECT_EQ(one[0].stamp, 11u);
  EXPECT_EQ(phys(ParseVisibleDevicesWithMig("2,MIG-bbbb,1", gpus, in_mig, find)),
            (std::vector<int>{2, 102, 1}));
  // One MIG device per process; an unknown one or the MIG-mode GPU itself ends the list.
  EXPECT_EQ(phys(ParseVisibleDevicesWithMig("MIG-aaaa,MIG-bbbb,1", gpus, in_mig, find)),
            (std::vector<int>{107}));
  EXPECT_EQ(phys(ParseVisibleDevicesWithMig("1,MIG-cccc,2", gpus, in_mig, find)),
            (std::vector<int>{1}));
  EXPECT_EQ(phys(ParseVisibleDevicesWithMig("1,0,2", gpus, in_mig, find)), (std::vector<int>{1}));
  EXPECT_EQ(phys(ParseVisibleDevicesWithMig(gpus[0].uuid, gpus, in_mig, find)),
            (std::vector<int>{}));
  // Without MIG the answer is ParseVisibleDevices'.
  EXPECT_EQ(ParseVisibleDevices("MIG-aaaa,0", gpus), (std::vector<int>{}));
}

TEST(ParseVisibleDevices, IndicesUuidsAndTruncation) {
  auto gpus = *ParseCompactGpuList("4xA100-40GB");
  EXPECT_EQ(ParseVisibleDevices(std::nullopt, gpus), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(ParseVisibleDevices("", gpus), (std::vector<int>{}));
  EXPECT_EQ(ParseVisibleDevices("2,0", gpus), (std::vector<int>{2, 0}));
  EXPECT_EQ(ParseVisibleDevices("1,7,2", gpus), (std::vector<int>{1}));  // cut at invalid
  EXPECT_EQ(ParseVisibleDevices("1,1", gpus), (std::vector<int>{1}));    // cut at repeat
  EXPECT_EQ(ParseVisibleDevices(gpus[3].uuid.substr(0, 12) + ",0", gpus), (std::vector<int>{3, 0}));
  EXPECT_EQ(ParseVisibleDevices("GPU-,0", gpus), (std::vector<int>{}));
}

TEST(ParseOptions, DefaultsOverridesAndErrors) {
  auto none = [](const char*) -> std::optional<std::string> { return std::nullopt; };
  auto defaults = ParseOptions(none);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->ns_per_block, 1000u);
  EXPECT_EQ(defaults->util_window_ms, 1000u);
  EXPECT_EQ(defaults->context_bytes, 0u);

  auto set = [](const char* name) -> std::optional<std::string> {
    std::string n = name;
    if (n == "HAMI_SIM_NS_PER_BLOCK") return "250";
    if (n == "HAMI_SIM_UTIL_WINDOW_MS") return "200";
    if (n == "HAMI_SIM_CONTEXT_MIB") return "300";
    if (n == "HAMI_SIM_STATE") return "/tmp/x.state";
    return std::nullopt;
  };
  auto options = ParseOptions(set);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->ns_per_block, 250u);
  EXPECT_EQ(options->util_window_ms, 200u);
  EXPECT_EQ(options->context_bytes, 300ull << 20);
  EXPECT_EQ(options->state_path, "/tmp/x.state");

  auto bad = [](const char* name) -> std::optional<std::string> {
    return std::string(name) == "HAMI_SIM_NS_PER_BLOCK" ? std::optional<std::string>("fast")
                                                        : std::nullopt;
  };
  auto error = ParseOptions(bad);
  ASSERT_FALSE(error.ok());
  EXPECT_NE(error.error().message().find("HAMI_SIM_NS_PER_BLOCK"), std::string::npos);
}

TEST(DefaultStatePath, DependsOnDigest) {
  auto a = *ParseCompactGpuList("A100-40GB");
  auto b = *ParseCompactGpuList("A100-80GB");
  EXPECT_NE(ConfigDigest(a), ConfigDigest(b));
  EXPECT_EQ(DefaultStatePath(0x1234, true), "/dev/shm/hami-sim-0000000000001234.state");
  EXPECT_EQ(DefaultStatePath(0x1234, false), "/tmp/hami-sim-0000000000001234.state");
}

}  // namespace
}  // namespace hami::sim
