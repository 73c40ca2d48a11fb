#include "webhook/admission_review.h"

#include <gtest/gtest.h>

namespace hami::webhook {
namespace {

using nlohmann::json;

TEST(Base64, RoundTripsEveryPaddingLength) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {std::string("\xff\x00\xfe", 3), "/wD+"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), plain);
  }
}

TEST(Base64, RejectsMalformed) {
  for (const char* bad : {"Zg=", "Z===", "Zg=a", "Zm9v!A==", "=Zg="}) {
    EXPECT_EQ(Base64Decode(bad), std::nullopt) << bad;
  }
}

TEST(ParseAdmissionReview, AcceptsBothVersions) {
  for (const char* version : {kAdmissionV1, kAdmissionV1beta1}) {
    const json review = {
        {"apiVersion", version},
        {"kind", "AdmissionReview"},
        {"request", {{"uid", "u-1"}, {"operation", "CREATE"}, {"object", {{"kind", "Pod"}}}}}};
    auto r = ParseAdmissionReview(review);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->api_version, version);
    EXPECT_EQ(r->uid, "u-1");
    EXPECT_EQ(r->operation, "CREATE");
    ASSERT_NE(r->object, nullptr);
    EXPECT_EQ(*r->object, json({{"kind", "Pod"}}));
  }
}

TEST(ParseAdmissionReview, NullObjectReadsAsAbsent) {
  auto r = ParseAdmissionReview(
      json::parse(R"({"apiVersion":"admission.k8s.io/v1","request":{"uid":"u","object":null}})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->object, nullptr);
}

TEST(ParseAdmissionReview, RejectsMalformedClasses) {
  const std::vector<std::string> bad = {
      R"([])",
      R"("x")",
      R"({})",
      R"({"apiVersion":"admission.k8s.io/v2","request":{"uid":"u"}})",
      R"({"apiVersion":1,"request":{"uid":"u"}})",
      R"({"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"u"}})",
      R"({"apiVersion":"admission.k8s.io/v1"})",
      R"({"apiVersion":"admission.k8s.io/v1","request":[]})",
      R"({"apiVersion":"admission.k8s.io/v1","request":{}})",
      R"({"apiVersion":"admission.k8s.io/v1","request":{"uid":""}})",
      R"({"apiVersion":"admission.k8s.io/v1","request":{"uid":7}})",
  };
  for (const auto& text : bad) {
    auto r = ParseAdmissionReview(json::parse(text));
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code(), base::StatusCode::kInvalidArgument);
    EXPECT_NE(r.error().message().find("malformed AdmissionReview"), std::string::npos);
  }
}

TEST(RenderAdmissionReview, AllowedWithPatch) {
  AdmissionRequest request{kAdmissionV1beta1, "abc", "CREATE", nullptr};
  AdmissionResponse response = AdmissionResponse::Allowed();
  response.patch = json::parse(R"([{"op":"add","path":"/spec/schedulerName","value":"s"}])");
  const json out = RenderAdmissionReview(request, response);
  EXPECT_EQ(out["apiVersion"], kAdmissionV1beta1);
  EXPECT_EQ(out["kind"], "AdmissionReview");
  EXPECT_EQ(out["response"]["uid"], "abc");
  EXPECT_EQ(out["response"]["allowed"], true);
  EXPECT_EQ(out["response"]["patchType"], "JSONPatch");
  auto decoded = Base64Decode(out["response"]["patch"].get<std::string>());
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(json::parse(*decoded), response.patch);
}

TEST(RenderAdmissionReview, DeniedAndErroredCarryStatusWithoutPatch) {
  AdmissionRequest request{kAdmissionV1, "abc", "", nullptr};
  const json denied = RenderAdmissionReview(request, AdmissionResponse::Denied("no"));
  EXPECT_EQ(denied["response"], json::parse(R"({"uid":"abc","allowed":false,
      "status":{"code":403,"reason":"Forbidden","message":"no"}})"));
  const json errored = RenderAdmissionReview(request, AdmissionResponse::Errored(500, "boom"));
  EXPECT_EQ(errored["response"], json::parse(R"({"uid":"abc","allowed":false,
      "status":{"code":500,"message":"boom"}})"));
  const json allowed = RenderAdmissionReview(request, AdmissionResponse::Allowed());
  EXPECT_EQ(allowed["response"], json::parse(R"({"uid":"abc","allowed":true,
      "status":{"code":200}})"));
}

}  // namespace
}  // namespace hami::webhook
