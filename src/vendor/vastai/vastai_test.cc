// Vastai: config block, registration (Devcore forced to 100, die mode), request derivation, the
// webhook, keys (vendors.md §13 "Config", "Registration", "Request").
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/pod_test_util.h"
#include "vendor/cluster_state.h"
#include "vendor/vastai/vastai_vendor.h"
#include "vendor/vastai/wire.h"

namespace hami::vendor::vastai {
namespace {

model::Container C(model::ResourceList limits, model::ResourceList requests = {}) {
  return model::testing::MakeContainer("main", std::move(limits), std::move(requests));
}

VastaiVendor Vastai() { return VastaiVendor(VastaiSpec(), {kDefaultCountResource}); }

TEST(VastaiNodeTest, RegisterDecodesWithDevcore100) {
  codec::NodeObject node;
  node.name = "va";
  node.annotations[kRegisterAnnotation] =
      R"([{"id":"7-0","count":1,"devmem":32768,"type":"Vastai","health":true},{"id":"7-1","index":1,"count":1,"devmem":32768,"devcore":4,"type":"Vastai","health":false}])";
  auto devices = Vastai().DevicesFromNode(node);
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->devices.size(), 2u);
  EXPECT_EQ(devices->devices[0].id, "7-0");
  EXPECT_EQ(devices->devices[0].devcore, 100);
  EXPECT_EQ(devices->devices[1].devcore, 100);
  EXPECT_EQ(devices->devices[0].devmem, 32768);
  EXPECT_EQ(devices->devices[0].vendor, "Vastai");
  EXPECT_FALSE(devices->devices[1].health);
  EXPECT_TRUE(devices->attributes.empty());  // card mode
}

TEST(VastaiNodeTest, DieModeComesFromTheFirstDevicesCustomInfo) {
  codec::NodeObject node;
  node.name = "va";
  node.annotations[kRegisterAnnotation] =
      R"([{"id":"d0","count":1,"devmem":16384,"type":"Vastai","health":true,"custominfo":{"DeviceStrategy":"die","AIC":"card-0"}},{"id":"d1","index":1,"count":1,"devmem":16384,"type":"Vastai","health":true,"custominfo":{"DeviceStrategy":"die","AIC":3}}])";
  auto devices = Vastai().DevicesFromNode(node);
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  EXPECT_EQ(devices->attributes.at("Vastai.die-mode"), "die");
  EXPECT_EQ(devices->devices[0].attributes.at("AIC"), "card-0");
  EXPECT_EQ(devices->devices[1].attributes.at("AIC"), "3");
  node.annotations[kRegisterAnnotation] =
      R"([{"id":"d0","count":1,"devmem":16384,"type":"Vastai","health":true},{"id":"d1","index":1,"count":1,"devmem":16384,"type":"Vastai","health":true,"custominfo":{"DeviceStrategy":"die","AIC":"x"}}])";
  EXPECT_TRUE(Vastai().DevicesFromNode(node)->attributes.empty());
  codec::NodeObject bare;
  EXPECT_EQ(Vastai().DevicesFromNode(bare).error().code(), base::StatusCode::kNotFound);
  node.annotations[kRegisterAnnotation] = "[]";
  auto empty = Vastai().DevicesFromNode(node);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message().find("hami.io/node-va-register"), std::string::npos);
}

TEST(VastaiRequestTest, CountOnlyRequests) {
  VastaiVendor v = Vastai();
  auto one = v.ContainerRequest(model::Pod{}, C({{"vastaitech.com/va", "1"}}));
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->vendor, "Vastai");
  EXPECT_EQ((*one)->nums, 1);
  EXPECT_EQ((*one)->coresreq, 0);
  EXPECT_EQ((*one)->MemoryOn(32768), 0);  // memory is not accounted
  auto requests = v.ContainerRequest(model::Pod{}, C({}, {{"vastaitech.com/va", "3"}}));
  ASSERT_TRUE(requests.ok() && requests->has_value());
  EXPECT_EQ((*requests)->nums, 3);
  EXPECT_FALSE(v.ContainerRequest(model::Pod{}, C({{"vastaitech.com/va", "0"}}))->has_value());
  EXPECT_FALSE(v.ContainerRequest(model::Pod{}, C({{"cpu", "1"}}))->has_value());
  for (const char* bad : {"1.5", "-1", "4294967296", "x"}) {
    auto r = v.ContainerRequest(model::Pod{}, C({{"vastaitech.com/va", bad}}));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find("container main: resource vastaitech.com/va"),
              std::string::npos)
        << r.error().message();
  }
}

TEST(VastaiRequestTest, WebhookUsesTheCountAndRejectsGarbage) {
  Registry registry;
  model::Pod pod;
  pod.name = "p";
  pod.containers.push_back(C({{"vastaitech.com/va", "1"}}));
  const model::Pod before = pod;
  auto used = AdmitPod(pod, registry);
  ASSERT_TRUE(used.ok());
  EXPECT_TRUE(*used);
  EXPECT_EQ(pod.containers[0].limits, before.containers[0].limits);
  pod.containers[0] = C({{"vastaitech.com/va", "half"}});
  auto bad = AdmitPod(pod, registry);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("pod default/p: container main: resource vastaitech.com/va"),
            std::string::npos)
      << bad.error().message();
  pod.containers[0] = C({{"cpu", "1"}});
  EXPECT_FALSE(*AdmitPod(pod, registry));
}

TEST(VastaiConfigTest, BlockAndKeys) {
  auto r = Registry::Create({nlohmann::json::parse(
      R"({"vastai":{"resourceCountName":"vastaitech.com/vva","other":1}})")});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const Vendor* v = r->Find("Vastai");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->ResourceNames(), std::vector<std::string>{"vastaitech.com/vva"});
  bool warned = false;
  for (const auto& w : r->warnings())
    warned = warned || w.find("vastai.other") != std::string::npos;
  EXPECT_TRUE(warned);
  // A rendered-but-unset chart value (`resourceCountName:` is null) keeps the default.
  auto null_name =
      Registry::Create({nlohmann::json::parse(R"({"vastai":{"resourceCountName":null}})")});
  ASSERT_TRUE(null_name.ok());
  EXPECT_EQ(null_name->Find("Vastai")->ResourceNames(),
            std::vector<std::string>{"vastaitech.com/va"});
  const Registry defaults;
  const Vendor* d = defaults.Find("Vastai");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->Keys().register_annotation, "hami.io/node-va-register");
  EXPECT_EQ(d->Keys().handshake_annotation, "hami.io/node-handshake-va");
  EXPECT_EQ(d->Keys().to_allocate_annotation, "hami.io/Vastai-devices-to-allocate");
  EXPECT_EQ(d->Keys().allocated_annotation, "hami.io/Vastai-devices-allocated");
  EXPECT_EQ(d->HealthResource(), "vastaitech.com/va");
  ASSERT_TRUE(d->Lock().has_value());
  EXPECT_EQ(d->Lock()->annotation, "hami.io/mutex.lock");
  EXPECT_TRUE(d->Quota().memory.empty() && d->Quota().core.empty());
}

}  // namespace
}  // namespace hami::vendor::vastai
