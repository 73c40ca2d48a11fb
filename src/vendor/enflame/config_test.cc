// The `enflame:` device-config block and the --enflame-* flags: defaults, precedence of keys over
// flags (and of the DRS name's fallbacks), warnings for what the scheduler does not read.
#include <gtest/gtest.h>

#include "vendor/registry.h"

namespace hami::vendor::enflame {
namespace {

using nlohmann::json;

std::vector<std::string> Names(const Registry& r, const char* vendor) {
  return r.Find(vendor)->ResourceNames();
}

bool Warned(const Registry& r, const std::string& part) {
  for (const auto& w : r.warnings()) {
    if (w.find(part) != std::string::npos) return true;
  }
  return false;
}

TEST(EnflameConfigTest, DefaultsAndTheChartsBlock) {
  Registry defaults;
  EXPECT_EQ(Names(defaults, "GCU"), (std::vector<std::string>{"enflame.com/gcu"}));
  EXPECT_EQ(Names(defaults, "Enflame"),
            (std::vector<std::string>{"enflame.com/drs-gcu", "enflame.com/gcu-memory",
                                      "enflame.com/gcu-core"}));
  // What the chart renders is read without a warning.
  auto chart = Registry::Create({json::parse(R"({"enflame":{"resourceNameGCU":"enflame.com/gcu",)"
                                             R"("resourceNameDRSGCU":"enflame.com/drs-gcu",)"
                                             R"("resourceNameGCUMemory":"enflame.com/gcu-memory",)"
                                             R"("resourceNameGCUCore":"enflame.com/gcu-core"}})")});
  ASSERT_TRUE(chart.ok()) << chart.error().ToString();
  EXPECT_TRUE(chart->warnings().empty());
}

TEST(EnflameConfigTest, DrsNamePrecedence) {
  struct Case {
    const char* block;
    FlagValues flags;
    const char* want;
  };
  const Case cases[] = {
      {"{}", {}, "enflame.com/drs-gcu"},
      {"{}", {{"enflame-drs-gcu-resource-name", "flag-new"}}, "flag-new"},
      {"{}", {{"enflame-vgcu-resource-name", "flag-legacy"}}, "flag-legacy"},
      {"{}",
       {{"enflame-vgcu-resource-name", "flag-legacy"},
        {"enflame-drs-gcu-resource-name", "flag-new"}},
       "flag-new"},
      {R"({"resourceNameDRSGCU":"yaml"})", {{"enflame-drs-gcu-resource-name", "flag-new"}}, "yaml"},
      {R"({"resourceNameVGCU":"yaml-legacy"})",
       {{"enflame-drs-gcu-resource-name", "f"}},
       "yaml-legacy"},
      {R"({"resourceNameDRSGCU":"yaml","resourceNameVGCU":"yaml-legacy"})", {}, "yaml"},
      {R"({"resourceNameDRSGCU":""})", {}, "enflame.com/drs-gcu"},
  };
  for (const auto& c : cases) {
    auto r = Registry::Create({json{{"enflame", json::parse(c.block)}}}, c.flags);
    ASSERT_TRUE(r.ok()) << c.block << ": " << r.error().ToString();
    EXPECT_EQ(Names(*r, "Enflame")[0], c.want) << c.block;
  }
}

TEST(EnflameConfigTest, KeysWinOverFlags) {
  auto flags = Registry::Create({}, {{"enflame-gcu-resource-name", "x.com/gcu"},
                                     {"enflame-gcu-memory-resource-name", "x.com/mem"},
                                     {"enflame-gcu-core-resource-name", "x.com/core"}});
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(Names(*flags, "GCU")[0], "x.com/gcu");
  EXPECT_EQ(Names(*flags, "Enflame")[1], "x.com/mem");
  EXPECT_EQ(Names(*flags, "Enflame")[2], "x.com/core");
  auto both = Registry::Create({json::parse(R"({"enflame":{"resourceNameGCU":"y.com/gcu"}})")},
                               {{"enflame-gcu-resource-name", "x.com/gcu"}});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(Names(*both, "GCU")[0], "y.com/gcu");
}

TEST(EnflameConfigTest, WarningsAndErrors) {
  auto r = Registry::Create(
      {json::parse(R"({"enflame":{"resourceNameVGCUPercentage":"enflame.com/vgcu-percentage",
                                  "bogus":1}})")},
      {{"enflame-vgcu-percentage-resource-name", "other"}});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(Warned(*r, "enflame.resourceNameVGCUPercentage: the retired shared-GCU API"));
  EXPECT_TRUE(Warned(*r, "enflame.bogus: unknown key"));
  EXPECT_TRUE(Warned(*r, "--enflame-vgcu-percentage-resource-name: parsed for compatibility"));
  // Unchanged legacy flags say nothing.
  auto quiet = Registry::Create({}, {{"enflame-vgcu-legacy-resource-name", "enflame.com/vgcu"}});
  ASSERT_TRUE(quiet.ok());
  EXPECT_TRUE(quiet->warnings().empty());

  auto wrong_type = Registry::Create({json::parse(R"({"enflame":{"resourceNameGCU":[1]}})")});
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.error().message().find("enflame.resourceNameGCU"), std::string::npos);
  auto same = Registry::Create(
      {json::parse(R"({"enflame":{"resourceNameGCUCore":"enflame.com/gcu-memory"}})")});
  ASSERT_FALSE(same.ok());
  EXPECT_NE(same.error().message().find("must differ"), std::string::npos);
}

}  // namespace
}  // namespace hami::vendor::enflame
