// AdmissionReview bodies as the webhook's HTTP handler receives them: parsed, admitted against
// every vendor with its defaults, and the response rendered. Properties: no crash or sanitizer
// finding, and an admitted review always yields a response object.
#include <cstdlib>

#include "codec/json_util.h"
#include "fuzz/fuzz_input.h"
#include "vendor/registry.h"
#include "webhook/admit.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hami;
  static const vendor::Registry registry;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto review = codec::ParseBoundedJson(body, "AdmissionReview");  // as the HTTP handler does
  if (!review.ok()) return 0;
  auto out = webhook::Admit(*review, webhook::WebhookConfig{}, registry, {});
  if (out.ok() && !out->contains("response")) std::abort();
  return 0;
}
