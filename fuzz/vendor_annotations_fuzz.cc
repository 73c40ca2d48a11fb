// What each vendor decodes from objects others write: node registrations and handshakes (written by
// device plugins, or anyone who can patch nodes), node capacity, and pod grant annotations.
// Selector % 3: 0 = the input as every node annotation of every vendor, 1 = the input as a node's
// JSON, 2 = the input as every pod grant annotation of every vendor.
#include "codec/k8s_object.h"
#include "fuzz/fuzz_input.h"
#include "vendor/registry.h"

namespace hami {
namespace {

const vendor::Registry& AllVendors() {
  static const vendor::Registry registry;
  return registry;
}

void DecodeNode(const codec::NodeObject& node) {
  for (const auto& v : AllVendors().vendors()) (void)v->DevicesFromNode(node);
}

}  // namespace
}  // namespace hami

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hami;
  const auto in = fuzz::Split(data, size);
  switch (in.selector % 3) {
    case 0: {
      codec::NodeObject node;
      node.name = "fuzz";
      for (const auto& v : AllVendors().vendors()) {
        for (const std::string& key :
             {v->Keys().register_annotation, v->Keys().handshake_annotation}) {
          if (!key.empty()) node.annotations[key] = std::string(in.text);
        }
      }
      DecodeNode(node);
      break;
    }
    case 1: {
      auto node = codec::NodeFromJsonText(in.text);
      if (node.ok()) DecodeNode(*node);
      break;
    }
    case 2: {
      model::Pod pod;
      pod.name = "fuzz";
      for (const auto& v : AllVendors().vendors()) {
        for (const std::string& key :
             {v->Keys().allocated_annotation, v->Keys().to_allocate_annotation}) {
          if (!key.empty()) pod.annotations[key] = std::string(in.text);
        }
      }
      for (const auto& v : AllVendors().vendors()) (void)v->GrantedDevices(pod);
      break;
    }
  }
  return 0;
}
