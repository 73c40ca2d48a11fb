#include "k8s/api_status.h"

#include <gtest/gtest.h>

namespace hami::k8s {
namespace {

using base::StatusCode;

std::string ApiStatusBody(int code, const std::string& reason, const std::string& message) {
  return nlohmann::json{{"kind", "Status"},   {"apiVersion", "v1"}, {"status", "Failure"},
                        {"message", message}, {"reason", reason},   {"code", code}}
      .dump();
}

TEST(StatusFromHttpTest, SuccessIsOk) {
  EXPECT_TRUE(StatusFromHttp(200, "{}", "GET x").ok());
  EXPECT_TRUE(StatusFromHttp(201, "{}", "GET x").ok());
}

TEST(StatusFromHttpTest, CodeTable) {
  struct Case {
    long http;
    std::string reason;
    StatusCode code;
  };
  const Case cases[] = {
      {400, "BadRequest", StatusCode::kInvalidArgument},
      {401, "Unauthorized", StatusCode::kPermissionDenied},
      {403, "Forbidden", StatusCode::kPermissionDenied},
      {404, "NotFound", StatusCode::kNotFound},
      {405, "MethodNotAllowed", StatusCode::kUnimplemented},
      {409, "AlreadyExists", StatusCode::kAlreadyExists},
      {409, "Conflict", StatusCode::kFailedPrecondition},
      {410, "Expired", StatusCode::kFailedPrecondition},
      {422, "Invalid", StatusCode::kInvalidArgument},
      {429, "TooManyRequests", StatusCode::kUnavailable},
      {500, "InternalError", StatusCode::kUnavailable},
      {503, "ServiceUnavailable", StatusCode::kUnavailable},
      {504, "Timeout", StatusCode::kUnavailable},
      {418, "", StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    base::Status status = StatusFromHttp(c.http, ApiStatusBody(c.http, c.reason, "m"), "GET x");
    EXPECT_EQ(status.code(), c.code) << c.http << " " << c.reason;
  }
}

TEST(StatusFromHttpTest, CarriesServerMessage) {
  base::Status status = StatusFromHttp(404, ApiStatusBody(404, "NotFound", "pods \"p1\" not found"),
                                       "GET pods default/p1");
  EXPECT_EQ(status.message(), "GET pods default/p1: pods \"p1\" not found (HTTP 404 NotFound)");
  EXPECT_TRUE(IsNotFound(status));
}

TEST(StatusFromHttpTest, ConflictVersusAlreadyExists) {
  base::Status conflict = StatusFromHttp(
      409, ApiStatusBody(409, "Conflict", "the object has been modified"), "UPDATE leases x");
  EXPECT_TRUE(IsConflict(conflict));
  EXPECT_FALSE(IsAlreadyExists(conflict));
  EXPECT_NE(conflict.message().find("conflict: the object has been modified"), std::string::npos);
  base::Status exists =
      StatusFromHttp(409, ApiStatusBody(409, "AlreadyExists", "exists"), "CREATE nodes");
  EXPECT_TRUE(IsAlreadyExists(exists));
  EXPECT_FALSE(IsConflict(exists));
}

TEST(StatusFromHttpTest, GoneIsRecognized) {
  base::Status gone = StatusFromHttp(410, ApiStatusBody(410, "Expired", "too old"), "LIST pods");
  EXPECT_TRUE(IsGone(gone));
  EXPECT_FALSE(IsConflict(gone));
  EXPECT_FALSE(IsGone(StatusFromHttp(400, "", "x")));
}

TEST(StatusFromHttpTest, NonStatusBodyIsQuotedAndBounded) {
  base::Status status = StatusFromHttp(502, "  <html>bad gateway</html>\n", "GET x");
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "GET x: <html>bad gateway</html> (HTTP 502)");
  base::Status long_body = StatusFromHttp(500, std::string(1000, 'x'), "GET x");
  EXPECT_LT(long_body.message().size(), 300u);
  EXPECT_EQ(StatusFromHttp(500, "", "GET x").message(), "GET x: (no message) (HTTP 500)");
}

TEST(StatusFromApiStatusTest, WatchErrorObject) {
  nlohmann::json object = nlohmann::json::parse(ApiStatusBody(410, "Expired", "too old rv"));
  base::Status status = StatusFromApiStatus(object, "WATCH pods");
  EXPECT_TRUE(IsGone(status));
  EXPECT_EQ(status.message(), "WATCH pods: too old rv (HTTP 410 Expired)");
  EXPECT_EQ(StatusFromApiStatus(nlohmann::json::object(), "W").code(), StatusCode::kUnavailable);
  EXPECT_EQ(StatusFromApiStatus(nlohmann::json(3), "W").code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace hami::k8s
