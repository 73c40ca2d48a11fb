// The web UI's JSON API v1 (docs/webui-api.md), as pure functions of a ClusterModel: list
// endpoints page, sort and search server-side; detail endpoints render one row. `Viewer` limits
// what pods (and their slices, instances, events) are shown when per-user auth is on.
// Pure; thread-safe over a const model.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/build_info.h"
#include "base/result.h"
#include "webui/cluster_model.h"
#include "webui/history.h"

namespace hami::webui {

// Who is asking. `may_list_pods` unset: every namespace (auth none).
struct Viewer {
  std::function<bool(const std::string& ns)> may_list_pods;
  bool Sees(const std::string& ns) const { return !may_list_pods || may_list_pods(ns); }
};

nlohmann::json VersionJson(const base::BuildInfo& build);
nlohmann::json OverviewJson(const ClusterModel& model, const Viewer& viewer);
// List endpoints: errors are bad query parameters (400).
base::Result<nlohmann::json> NodesJson(const ClusterModel& model, std::string_view query);
base::Result<nlohmann::json> GpusJson(const ClusterModel& model, std::string_view query);
base::Result<nlohmann::json> PodsJson(const ClusterModel& model, std::string_view query,
                                      const Viewer& viewer);
nlohmann::json NodeJson(const ClusterModel& model, const NodeRow& node);
nlohmann::json GpuJson(const GpuRow& gpu, const ClusterModel& model,
                       const std::vector<HistoryPoint>& history, const Viewer& viewer);
// `events`: the pod's Events as the API server lists them (core/v1 Event objects).
nlohmann::json PodJson(const PodRow& pod, const std::vector<nlohmann::json>& events);
nlohmann::json PendingJson(const ClusterModel& model, const Viewer& viewer);
// {"error": message}
std::string ErrorBody(std::string_view message);

}  // namespace hami::webui
