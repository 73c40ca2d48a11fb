// Renders a simulation for people (table) and programs (JSON). Pure.
//
// JSON (stable contract, documented in docs/simulate.md):
// {"placements":[{"pod":"<ns>/<name>","node":"<node>"|null,"annotation":"<allocated>"|null,
//                 "failedNodes":{"<node>":"<reason>"}}],
//  "summary":{"nodes":N,"gpus":N,"runningPods":N,"pods":N,"placed":N,"unschedulable":N,
//             "noDeviceRequest":N,"memoryMiB":{"used":N,"total":N},"cores":{"used":N,"total":N},
//             "slots":{"used":N,"total":N},"strandedMemoryMiB":N,"largestFreeMemoryMiB":N}}
//
// Fragmentation: "stranded" memory is free memory on GPUs that can take no further pod because no
// slot or no core is left; "largest free" is the most memory one more single-GPU pod could get.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "simulate/simulate.h"

namespace hami::simulate {

nlohmann::ordered_json ReportJson(const Result& result);
std::string ReportTable(const Result& result);

}  // namespace hami::simulate
