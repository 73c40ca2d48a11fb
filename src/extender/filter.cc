#include "extender/filter.h"

#include <charconv>
#include <set>

#include "codec/k8s_object.h"
#include "sched/decide.h"
#include "vendor/cluster_state.h"

namespace hami::extender {
namespace {

// Upstream lists every fitting node with its score: tens of KB per event with thousands of nodes,
// rendered on every /filter (most such events are then dropped by the event pacing). We list the
// first kMaxListedFits and count the rest.
constexpr size_t kMaxListedFits = 16;

// "find fit node(n2), 1 nodes not fit, 2 nodes fit(n1:3.20,n2:5.00)"; with more than
// kMaxListedFits fits the list ends in ",... 984 more".
std::string SucceedMessage(const std::string& chosen, const sched::Decision& decision,
                           std::span<const sched::NodeState* const> nodes, size_t unknown) {
  std::string fits;
  for (size_t i = 0; i < decision.fits.size() && i < kMaxListedFits; ++i) {
    const auto& [index, score] = decision.fits[i];
    char buf[32];
    const auto end = std::to_chars(buf, buf + sizeof(buf), score, std::chars_format::fixed, 2).ptr;
    if (!fits.empty()) fits += ",";
    fits += nodes[index]->name;
    fits += ':';
    fits.append(buf, end);
  }
  if (decision.fits.size() > kMaxListedFits) {
    fits += ",... " + std::to_string(decision.fits.size() - kMaxListedFits) + " more";
  }
  return "find fit node(" + chosen + "), " + std::to_string(decision.failures.size() + unknown) +
         " nodes not fit, " + std::to_string(decision.fits.size()) + " nodes fit(" + fits + ")";
}

// "2 nodes 1/1 CardInsufficientMemory(n1,n2); 1 nodes node unregistered(n3)"
std::string FailedMessage(const std::map<std::string, std::string>& failed) {
  std::map<std::string, std::vector<std::string>> by_reason;
  for (const auto& [node, reason] : failed) by_reason[reason].push_back(node);
  std::string out;
  for (const auto& [reason, list] : by_reason) {
    if (!out.empty()) out += "; ";
    out += std::to_string(list.size()) + " nodes " + reason + "(";
    for (size_t i = 0; i < list.size(); ++i) out += (i ? "," : "") + list[i];
    out += ")";
  }
  return out;
}

// nodeCacheCapable=false (autoscaler templates): decide on the given Node objects only; touch no
// cache, return the best node in Nodes.
FilterOutcome FilterGivenNodes(const vendor::Registry& registry, const sched::PodInput& input,
                               const nlohmann::json& node_list) {
  FilterOutcome out;
  std::vector<sched::NodeState> states;
  std::vector<nlohmann::json> objects;
  const nlohmann::json items = node_list.contains("items") ? node_list["items"] : nlohmann::json();
  for (const auto& item : items.is_array() ? items : nlohmann::json::array()) {
    auto node = codec::NodeFromJson(item);
    if (!node.ok()) continue;
    auto state = vendor::NodeStateFromNode(*node, registry);
    if (!state.ok()) {
      out.result.failed_nodes[node->name] = state.error().code() == base::StatusCode::kNotFound
                                                ? "node unregistered"
                                                : state.error().message();
      continue;
    }
    states.push_back(std::move(*state));
    objects.push_back(item);
  }
  std::vector<const sched::NodeState*> ptrs;
  ptrs.reserve(states.size());
  for (const auto& s : states) ptrs.push_back(&s);
  sched::Decision decision = sched::Decide(ptrs, input, nullptr);
  for (const auto& [index, failure] : decision.failures) {
    out.result.failed_nodes[states[index].name] = model::RenderReasons(failure);
  }
  nlohmann::json chosen = {{"items", nlohmann::json::array()}};
  if (decision.chosen) chosen["items"].push_back(objects[*decision.chosen]);
  out.result.nodes = chosen;
  return out;
}

// Whether the decision gives any container a device (false: every request was served by the
// chosen node itself, VendorFit::ServedByNode).
bool GrantsAnything(const sched::Decision& decision) {
  for (const auto& [vendor, containers] : decision.devices) {
    for (const auto& devices : containers) {
      if (!devices.empty()) return true;
    }
  }
  return false;
}

// The node names of NodeNames, else of Nodes.items.
std::set<std::string> CandidateNames(const FilterArgs& args) {
  std::set<std::string> names;
  if (args.node_names) names.insert(args.node_names->begin(), args.node_names->end());
  if (!args.nodes || !args.nodes->contains("items") || !(*args.nodes)["items"].is_array()) {
    return names;
  }
  for (const auto& item : (*args.nodes)["items"]) {
    const auto meta = item.find("metadata");
    if (meta == item.end() || !meta->is_object()) continue;
    const auto name = meta->find("name");
    if (name != meta->end() && name->is_string()) names.insert(name->get<std::string>());
  }
  return names;
}

}  // namespace

FilterOutcome Filter(SchedulerCache& cache, const vendor::Registry& registry,
                     const FilterConfig& config, const FilterArgs& args, Clock::time_point now) {
  FilterOutcome out;
  auto pod = codec::PodFromJson(args.pod);
  if (!pod.ok()) {
    out.result.error = pod.error().message();
    return out;
  }
  auto input = vendor::BuildPodInput(*pod, registry, config.defaults);
  if (!input.ok()) {
    out.result.error = input.error().message();
    out.event_reason = kFilteringFailed;
    out.event_message = input.error().message();
    return out;
  }
  if (input->requests.Empty()) {
    out.result.node_names = args.node_names;
    out.result.nodes = args.nodes;
    cache.PassThroughPod(pod->uid, {pod->Key(), CandidateNames(args), now + config.assume_ttl});
    return out;
  }
  if (args.nodes) return FilterGivenNodes(registry, *input, *args.nodes);

  const std::vector<std::string> names = args.node_names.value_or(std::vector<std::string>{});
  std::set<std::string> served_by_nodes;  // the fitting nodes when they book nothing
  cache.DecideAndAssume(
      pod->uid, names,
      [&](std::span<const sched::NodeState* const> nodes, const std::vector<std::string>& unknown,
          const sched::QuotaTable& quotas) -> std::optional<Assumption> {
        sched::Decision decision = sched::Decide(nodes, *input, &quotas);
        for (const auto& [index, failure] : decision.failures) {
          out.result.failed_nodes[nodes[index]->name] = model::RenderReasons(failure);
        }
        for (const auto& name : unknown) out.result.failed_nodes[name] = "node unregistered";
        if (!decision.chosen) {
          out.event_reason = kFilteringFailed;
          out.event_message = FailedMessage(out.result.failed_nodes);
          return std::nullopt;
        }
        const std::string& node = nodes[*decision.chosen]->name;
        out.event_reason = kFilteringSucceed;
        out.event_message = SucceedMessage(node, decision, nodes, unknown.size());
        if (!GrantsAnything(decision)) {
          // Every request is served by the nodes themselves (static MIG): nothing to book or
          // annotate; kube-scheduler, which counts those resources, picks among the fits.
          std::vector<std::string> fits;
          for (const auto& [index, score] : decision.fits) fits.push_back(nodes[index]->name);
          served_by_nodes.insert(fits.begin(), fits.end());
          out.result.node_names = std::move(fits);
          return std::nullopt;
        }
        out.result.node_names = std::vector<std::string>{node};
        Assumption a;
        a.pod_key = pod->Key();
        a.pod = *pod;
        a.node = node;
        a.devices = std::move(decision.devices);
        a.partitions = std::move(decision.partitions);
        a.registered = std::move(decision.registered);
        a.tags = vendor::BookingTags(*pod, registry);
        a.init_count = pod->init_containers.size();
        a.deadline = now + config.assume_ttl;
        return a;
      });
  if (!served_by_nodes.empty()) {
    cache.PassThroughPod(pod->uid, {pod->Key(), served_by_nodes, now + config.assume_ttl});
  }
  return out;
}

}  // namespace hami::extender
