// The `vnpus:` block and --enable-ascend: built-in chips, the chart's form, older list form,
// template order and trimming, errors and unknown keys.
#include <gtest/gtest.h>

#include "vendor/ascend/ascend_test_util.h"
#include "vendor/ascend/ascend_vendor.h"
#include "vendor/ascend/config.h"

namespace hami::vendor::ascend {
namespace {

using fixture::ChartRegistry;
using nlohmann::json;

const FlagValues kEnabled = {{kEnableFlag, "true"}};

TEST(AscendConfigTest, GatedByFlag) {
  Registry off;
  EXPECT_EQ(off.Find("Ascend910B3"), nullptr);
  auto bad = Registry::Create({}, {{kEnableFlag, "maybe"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("--enable-ascend"), std::string::npos);
}

TEST(AscendConfigTest, BuiltInChipsLackCoreNamesAnd910C) {
  auto r = Registry::Create({}, kEnabled);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->warnings().empty());
  for (const char* cw : {"Ascend910A", "Ascend910B2", "Ascend910B3", "Ascend910B4", "Ascend310P"}) {
    const Vendor* v = r->Find(cw);
    ASSERT_NE(v, nullptr) << cw;
    const std::string c = cw;
    EXPECT_EQ(v->ResourceNames(),
              (std::vector<std::string>{"huawei.com/" + c, "huawei.com/" + c + "-memory"}));
    EXPECT_EQ(v->Keys().register_annotation, "hami.io/node-register-" + c);
    EXPECT_EQ(v->Keys().handshake_annotation, "hami.io/node-handshake-" + c);
    EXPECT_EQ(v->Keys().to_allocate_annotation, "hami.io/" + c + "-devices-to-allocate");
    EXPECT_EQ(v->Keys().allocated_annotation, "hami.io/" + c + "-devices-allocated");
    EXPECT_EQ(v->HealthResource(), "huawei.com/" + c);
    EXPECT_EQ(v->Quota().memory, "huawei.com/" + c + "-memory");
    EXPECT_EQ(v->Quota().core, "");
    EXPECT_EQ(v->Quota().memory_factor, 1);
    EXPECT_EQ(v->Lock(), (NodeLockSpec{"hami.io/mutex.lock", true, 0}));
  }
  EXPECT_EQ(r->Find("Ascend910C"), nullptr);
  EXPECT_EQ(r->Find("Ascend910B4-1"), nullptr);
  auto* a310 = dynamic_cast<const AscendVendor*>(r->Find("Ascend310P"));
  ASSERT_NE(a310, nullptr);
  EXPECT_EQ(a310->chip().memory_allocatable, 21527);
  EXPECT_EQ(a310->chip().memory_capacity, 24576);
  EXPECT_EQ(a310->chip().templates.size(), 3u);
}

TEST(AscendConfigTest, ChartBlockBuildsEveryChip) {
  Registry r = ChartRegistry();
  EXPECT_TRUE(r.warnings().empty());
  for (const char* cw : {"Ascend910A", "Ascend910B2", "Ascend910B3", "Ascend910B4-1", "Ascend910B4",
                         "Ascend310P", "Ascend910C"}) {
    ASSERT_NE(r.Find(cw), nullptr) << cw;
    EXPECT_EQ(r.Find(cw)->Quota().core, std::string("huawei.com/") + cw + "-core");
  }
  auto* c910 = dynamic_cast<const AscendVendor*>(r.Find("Ascend910C"));
  EXPECT_TRUE(c910->chip().super_pod);
  EXPECT_EQ(c910->chip().chip_name, "Ascend910");
}

TEST(AscendConfigTest, TemplatesSortAndTrim) {
  auto config = AscendConfigFrom(
      json::parse(R"({"configs":[{"commonWord":"Ascend910A","memoryAllocatable":32768,
        "memoryCapacity":32768,"templates":[{"name":"vir16","memory":17476},
        {"name":"vir02","memory":"2184"},{"name":"vir08","memory":8738},
        {"name":"vir04","memory":4369}]}]})"),
      nullptr);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  const AscendChip& chip = config->chips.at(0);
  ASSERT_EQ(chip.templates.size(), 4u);
  EXPECT_EQ(chip.templates[0].name, "vir02");
  EXPECT_EQ(chip.templates[3].name, "vir16");
  EXPECT_EQ(chip.resource_name, "huawei.com/Ascend910A");
  EXPECT_EQ(chip.resource_memory_name, "huawei.com/Ascend910A-memory");
  EXPECT_EQ(chip.resource_core_name, "");
  struct Case {
    int64_t mib;
    int64_t memory;
    const char* name;
  };
  for (const Case& c : std::vector<Case>{{0, 2184, "vir02"},
                                         {2000, 2184, "vir02"},
                                         {2184, 2184, "vir02"},
                                         {2185, 4369, "vir04"},
                                         {17476, 17476, "vir16"},
                                         {17477, 32768, ""},
                                         {32768, 32768, ""}}) {
    auto t = chip.Trim(c.mib);
    ASSERT_TRUE(t.has_value()) << c.mib;
    EXPECT_EQ(t->memory, c.memory) << c.mib;
    EXPECT_EQ(t->name, c.name) << c.mib;
  }
  EXPECT_FALSE(chip.Trim(32769).has_value());
  const AscendChip p310 = DefaultChips()[4];
  EXPECT_EQ(p310.Trim(24576)->memory, 21527);
  EXPECT_FALSE(p310.Trim(24577).has_value());
}

TEST(AscendConfigTest, OtherFormsOfTheBlock) {
  auto list = AscendConfigFrom(json::parse(R"([{"commonWord":"Ascend910B3"}])"), nullptr);
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  ASSERT_EQ(list->chips.size(), 1u);
  EXPECT_FALSE(list->hami_vnpu_core);

  auto core_only = AscendConfigFrom(
      json::parse(R"({"hamiVnpuCore":"true","overwriteEnv":true,"runtimeClassName":"ascend"})"),
      nullptr);
  ASSERT_TRUE(core_only.ok()) << core_only.error().ToString();
  EXPECT_TRUE(core_only->hami_vnpu_core);
  ASSERT_EQ(core_only->chips.size(), 5u);
  EXPECT_TRUE(core_only->chips[0].overwrite_env);
  EXPECT_EQ(core_only->chips[0].runtime_class_name, "ascend");

  auto entry_wins = AscendConfigFrom(
      json::parse(R"({"overwriteEnv":true,"configs":[{"commonWord":"X","overwriteEnv":false}]})"),
      nullptr);
  ASSERT_TRUE(entry_wins.ok());
  EXPECT_FALSE(entry_wins->chips[0].overwrite_env);

  auto none = AscendConfigFrom(json::parse(R"({"configs":[]})"), nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->chips.empty());
}

TEST(AscendConfigTest, ErrorsNameTheKeyAndUnknownKeysAreWarned) {
  for (const char* bad :
       {R"({"configs":{"commonWord":"X"}})", R"({"configs":[{"chipName":"910A"}]})",
        R"({"configs":[{"commonWord":"X"},{"commonWord":"X"}]})",
        R"({"configs":[{"commonWord":"X","resourceName":""}]})",
        R"({"configs":[{"commonWord":"X","memoryAllocatable":-1}]})",
        R"({"configs":[{"commonWord":"X","templates":[{"memory":100}]}]})",
        R"({"configs":[{"commonWord":"X",
                                 "templates":[{"name":"v","memory":0}]}]})",
        R"({"configs":[{"commonWord":"X","superPod":"sometimes"}]})",
        R"({"hamiVnpuCore":"sometimes"})", R"("vnpus")"}) {
    auto r = AscendConfigFrom(json::parse(bad), nullptr);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find("vnpus"), std::string::npos) << r.error().message();
  }
  std::vector<std::string> warnings;
  auto r =
      AscendConfigFrom(json::parse(R"({"enpuPolicy":"x","configs":[{"commonWord":"X","aiCores":1,
        "templates":[{"name":"v","memory":1,"aicpu":1}]}]})"),
                       &warnings);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "device config: vnpus.configs[0].templates[0].aicpu: unknown key, "
                          "ignored",
                          "device config: vnpus.configs[0].aiCores: unknown key, ignored",
                          "device config: vnpus.enpuPolicy: unknown key, ignored"}));
}

}  // namespace
}  // namespace hami::vendor::ascend
