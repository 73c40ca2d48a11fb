// AdmissionReview bodies as the webhook's HTTP handler receives them: parsed, admitted against
// every vendor with its defaults, and the response rendered. Properties: no crash or sanitizer
// finding, and an admitted review always yields a response object.
#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "vendor/registry.h"
#include "webhook/admit.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hami;
  static const vendor::Registry registry;
  const auto review = nlohmann::json::parse(reinterpret_cast<const char*>(data),
                                            reinterpret_cast<const char*>(data) + size, nullptr,
                                            /*allow_exceptions=*/false);
  if (review.is_discarded()) return 0;
  auto out = webhook::Admit(review, webhook::WebhookConfig{}, registry, {});
  if (out.ok() && !out->contains("response")) std::abort();
  return 0;
}
