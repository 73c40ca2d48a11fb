// KubeApi: the abstract Kubernetes API the adapters program against. HttpKubeApi talks to a real
// API server; test/fakes/fake_kube_api.h is an in-memory one for unit tests.
//
// Objects are nlohmann::json as the API server serves them; typed reading lives in codec/.
// Errors follow k8s/api_status.h (NotFound, AlreadyExists, conflict, Gone, PermissionDenied,
// Unavailable...). Implementations are thread-safe: any method may be called from any thread.
#pragma once

#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/env.h"
#include "base/result.h"
#include "k8s/resource_path.h"
#include "k8s/watch_stream.h"

namespace hami::k8s {

// One page of a LIST.
struct ListPage {
  std::vector<nlohmann::json> items;
  std::string resource_version;  // metadata.resourceVersion of the list
  std::string continue_token;    // metadata.continue; empty on the last page
};

enum class PatchType {
  kMerge,  // application/merge-patch+json (RFC 7386)
  kJson,   // application/json-patch+json (RFC 6902); the patch is an array of operations
};

struct DeleteOptions {
  std::string uid;  // non-empty: precondition, the object must still be this incarnation
  // Seconds to wait before removal; 0 removes at once (a pod bound to a node without a kubelet
  // otherwise stays, terminating, until its kubelet confirms). Unset: the object's default.
  std::optional<int64_t> grace_period_seconds;
};

// Called for each watch event on the watching thread. Return false to end the watch.
using WatchHandler = std::function<bool(WatchEvent event)>;

class KubeApi {
 public:
  virtual ~KubeApi() = default;

  virtual base::Result<nlohmann::json> Get(const ResourcePath& object) = 0;
  // One page; see ListAll for every page.
  virtual base::Result<ListPage> List(const ResourcePath& collection,
                                      const ListOptions& options) = 0;
  // POST to a collection (or to a subresource such as pods/<name>/binding); returns the response.
  virtual base::Result<nlohmann::json> Create(const ResourcePath& collection,
                                              const nlohmann::json& object) = 0;
  // PUT: replaces the object; metadata.resourceVersion in `object` makes it conditional.
  virtual base::Result<nlohmann::json> Update(const ResourcePath& object,
                                              const nlohmann::json& body) = 0;
  virtual base::Result<nlohmann::json> Patch(const ResourcePath& object, PatchType type,
                                             const nlohmann::json& patch) = 0;
  // DELETE with the given options (precondition, grace period).
  virtual base::Status Delete(const ResourcePath& object, const DeleteOptions& options = {}) = 0;

  // Streams events of `collection` from options.resource_version to `handler` until the server
  // ends the stream (OK), `handler` returns false (OK), `stop` is requested (OK, promptly: within
  // about a second), or an error occurs (the error). ERROR events are delivered to the handler as
  // events; the caller decides (see IsGone for 410).
  virtual base::Status Watch(const ResourcePath& collection, const ListOptions& options,
                             const WatchHandler& handler, std::stop_token stop) = 0;
};

// Every page of a LIST, following continue tokens; the result carries the first page's
// resourceVersion (the snapshot the pages belong to). page_size 0 = unpaged.
base::Result<ListPage> ListAll(KubeApi& api, const ResourcePath& collection, ListOptions options,
                               int64_t page_size = 500);

// POST pods/<name>/binding: binds the pod to `node` (what a scheduler's bind does). The API server
// merges the Binding's `annotations` into the pod's in the same write.
base::Status BindPod(KubeApi& api, const std::string& ns, const std::string& name,
                     const std::string& uid, const std::string& node,
                     const nlohmann::json& annotations = nlohmann::json::object());

// Merge-patches metadata.annotations (a null value removes the key).
base::Result<nlohmann::json> PatchAnnotations(KubeApi& api, const ResourcePath& object,
                                              const nlohmann::json& annotations);

// A core/v1 Event about `involved` (kind/namespace/name/uid from the object's JSON), with
// reason/message/type ("Normal" or "Warning"), reported by `component`.
struct EventSpec {
  std::string reason;
  std::string message;
  std::string type = "Normal";
  std::string component = "hami-scheduler";
};
nlohmann::json MakeEvent(const nlohmann::json& involved, const EventSpec& spec,
                         const std::string& now_rfc3339, const std::string& name_suffix);
// MakeEvent stamped with env's wall clock (time and name suffix), then POSTed.
base::Result<nlohmann::json> CreateEvent(KubeApi& api, const nlohmann::json& involved,
                                         const EventSpec& spec,
                                         base::Env* env = base::Env::Default());

}  // namespace hami::k8s
