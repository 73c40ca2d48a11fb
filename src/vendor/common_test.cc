// The helpers vendor folders share: quantity lookup order, CheckType/CheckUUID semantics and
// register decoding.
#include "vendor/common.h"

#include <gtest/gtest.h>

#include "model/pod_test_util.h"

namespace hami::vendor {
namespace {

model::Pod PodWith(std::map<std::string, std::string> annotations) {
  model::Pod pod;
  pod.annotations = std::move(annotations);
  return pod;
}

model::DeviceInfo Device(std::string type) {
  model::DeviceInfo d;
  d.type = std::move(type);
  d.id = "dev-0";
  return d;
}

TEST(CommonTest, LimitsWinOverRequests) {
  model::Container c =
      model::testing::MakeContainer("c", {{"x/n", "2"}}, {{"x/n", "1"}, {"x/m", "5"}});
  EXPECT_EQ(*Quantity(c, "x/n"), "2");
  EXPECT_EQ(*Quantity(c, "x/m"), "5");
  EXPECT_EQ(LimitQuantity(c, "x/m"), nullptr);
  EXPECT_EQ(Quantity(c, ""), nullptr);
  EXPECT_EQ(AsInt64("1.5"), std::nullopt);
  EXPECT_EQ(AsInt64("16Gi"), 17179869184);
  EXPECT_FALSE(IntQuantity(c, "x/n", "abc").ok());
}

// vendors.md §12 (checkAMDType) and §5 (Hygon): substring, case-insensitive, blanks ignored, a
// use-value of only blanks rejects every card.
TEST(CommonTest, CheckTypeTable) {
  struct Case {
    std::map<std::string, std::string> annotations;
    std::string type;
    bool want;
  };
  const std::string use = "x/use-type", nouse = "x/nouse-type";
  std::vector<Case> cases = {
      {{{use, "MI300"}}, "AMD MI300X", true},
      {{{use, "MI250"}}, "AMD MI300X", false},
      {{{nouse, "MI300"}}, "AMD MI300X", false},
      {{{nouse, "MI250"}}, "AMD MI300X", true},
      {{}, "AMD MI300X", true},
      {{{nouse, "MI250,"}}, "AMD MI300X", true},
      {{{nouse, ",MI250"}}, "AMD MI300X", true},
      {{{nouse, " MI250 , "}}, "AMD MI250X", false},
      {{{nouse, ", "}}, "AMD MI250X", true},
      {{{use, "MI300,"}}, "AMD MI250X", false},
      {{{use, ", "}}, "AMD MI250X", false},
      {{{use, "dcu"}}, "DCU", true},
      {{{use, "dcu,test"}}, "test", true},
      {{{nouse, "test,dcu"}}, "test", false},
  };
  for (const auto& c : cases) {
    sched::DeviceSelector s;
    ReadTypeSelector(PodWith(c.annotations), use, nouse, &s);
    EXPECT_EQ(s.TypeAllowed(Device(c.type)), c.want)
        << c.type << " " << (c.annotations.empty() ? "" : c.annotations.begin()->second);
  }
}

TEST(CommonTest, CheckUuidAddsBothPairs) {
  sched::DeviceSelector s;
  ReadUuidSelector(PodWith({{"a/use", "dev-1, dev-2"}, {"b/nouse", "dev-0"}}), "a/use", "a/nouse",
                   &s);
  ReadUuidSelector(PodWith({{"b/nouse", "dev-0"}}), "b/use", "b/nouse", &s);
  EXPECT_EQ(s.use_uuids, (std::vector<std::string>{"dev-1", "dev-2"}));
  EXPECT_EQ(s.nouse_uuids, std::vector<std::string>{"dev-0"});
  EXPECT_FALSE(s.UuidAllowed(Device("t")));  // dev-0: excluded and not in the use list
}

TEST(CommonTest, RegisterDecodingSetsTheVendor) {
  codec::NodeObject node;
  node.name = "n";
  EXPECT_EQ(DevicesFromRegister(node, "k", "DCU").error().code(), base::StatusCode::kNotFound);
  node.annotations["k"] = "test-0,4,1024,100,DCU-K100,0,true:";
  auto devices = DevicesFromRegister(node, "k", "DCU");
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  EXPECT_EQ((*devices)[0].vendor, "DCU");
  node.annotations["k"] = "[{";
  auto bad = DevicesFromRegister(node, "k", "DCU");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("annotation k"), std::string::npos);
  node.capacity["x/n"] = "8";
  node.allocatable["x/n"] = "abc";
  EXPECT_EQ(CapacityOf(node, "x/n"), 8);
  EXPECT_EQ(AllocatableOf(node, "x/n"), 0);
}

}  // namespace
}  // namespace hami::vendor
