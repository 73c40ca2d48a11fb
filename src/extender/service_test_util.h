// Test helper shared by the SchedulerService tests.
#pragma once

#include "codec/k8s_object.h"

namespace hami::extender {

// Node n1 registering one hami-core NVIDIA T4 (1000 MiB, 10 slots): enough for a /filter to fit.
inline codec::NodeObject OneT4Node() {
  codec::NodeObject node;
  node.name = "n1";
  node.annotations["hami.io/node-nvidia-register"] =
      R"([{"id":"GPU-1","count":10,"devmem":1000,"devcore":100,"type":"NVIDIA-T4","mode":"hami-core","health":true}])";
  return node;
}

}  // namespace hami::extender
