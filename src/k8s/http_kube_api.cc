#include "k8s/http_kube_api.h"

#include <curl/curl.h>

#include <array>
#include <mutex>
#include <vector>

#include "base/log.h"
#include "base/strings.h"
#include "k8s/api_status.h"

namespace hami::k8s {
namespace {

using Json = nlohmann::json;

struct EasyDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void SetBlob(CURL* curl, CURLoption option, const std::string& data) {
  curl_blob blob{const_cast<char*>(data.data()), data.size(), CURL_BLOB_COPY};
  curl_easy_setopt(curl, option, &blob);
}

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

base::Status CurlError(CURLcode code, const char* errbuf, std::string_view what) {
  std::string message = std::string(what) + ": " + curl_easy_strerror(code);
  if (errbuf[0] != '\0') message += std::string(" (") + errbuf + ")";
  if (code == CURLE_OPERATION_TIMEDOUT) return {base::StatusCode::kDeadlineExceeded, message};
  return base::Unavailable(message);
}

// Items of a list do not carry kind/apiVersion; restore them from the list's own.
void FillItemKinds(const Json& list, std::vector<Json>* items) {
  std::string kind = list.value("kind", "");
  if (!base::EndsWith(kind, "List")) return;
  kind.resize(kind.size() - 4);
  std::string api_version = list.value("apiVersion", "");
  for (Json& item : *items) {
    if (!item.is_object()) continue;
    if (!item.contains("kind")) item["kind"] = kind;
    if (!item.contains("apiVersion")) item["apiVersion"] = api_version;
  }
}

}  // namespace

struct HttpKubeApi::Shared {
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;
  std::mutex pool_mu;
  std::vector<EasyHandle> idle;  // reset before reuse; each keeps its own open connections

  EasyHandle Borrow() {
    {
      std::lock_guard<std::mutex> lock(pool_mu);
      if (!idle.empty()) {
        EasyHandle handle = std::move(idle.back());
        idle.pop_back();
        return handle;
      }
    }
    return EasyHandle(curl_easy_init());
  }
  // Forgets the caller's options (pointers into its stack frame); keeps the connections.
  void Return(EasyHandle handle, size_t max_idle) {
    if (!handle) return;
    curl_easy_reset(handle.get());
    std::lock_guard<std::mutex> lock(pool_mu);
    if (idle.size() < max_idle) idle.push_back(std::move(handle));
  }

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Shared*>(user)->locks[data].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Shared*>(user)->locks[data].unlock();
  }
};

struct HttpKubeApi::Request {
  const char* method = "GET";
  std::string path;  // URL path + query
  std::string body;
  const char* content_type = nullptr;
  std::string what;  // "GET pods default/p1", for error messages
};

HttpKubeApi::HttpKubeApi(ClientConfig config, ClientOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      bucket_(options_.qps, options_.burst),
      token_(config_.token, config_.token_file),
      shared_(std::make_unique<Shared>()) {}

HttpKubeApi::~HttpKubeApi() {
  shared_->idle.clear();  // handles first: they hold references to the share
  if (shared_->share != nullptr) curl_share_cleanup(shared_->share);
}

base::Result<std::unique_ptr<HttpKubeApi>> HttpKubeApi::New(ClientConfig config,
                                                            ClientOptions options) {
  if (config.server.empty()) return base::InvalidArgument("kubernetes client: no server URL");
  GlobalInit();
  if (!config.tls_server_name.empty()) {
    base::LogWarn(
        "kubernetes client: tls-server-name is not supported; verifying the server URL's host",
        {{"tls_server_name", config.tls_server_name}, {"server", config.server}});
  }
  std::unique_ptr<HttpKubeApi> api(new HttpKubeApi(std::move(config), std::move(options)));
  HAMI_RETURN_IF_ERROR(api->token_.Token().status().WithContext("kubernetes client"));
  Shared* shared = api->shared_.get();
  shared->share = curl_share_init();
  if (shared->share == nullptr) return base::Internal("curl_share_init failed");
  curl_share_setopt(shared->share, CURLSHOPT_LOCKFUNC, &Shared::Lock);
  curl_share_setopt(shared->share, CURLSHOPT_UNLOCKFUNC, &Shared::Unlock);
  curl_share_setopt(shared->share, CURLSHOPT_USERDATA, shared);
  curl_share_setopt(shared->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(shared->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  return api;
}

void HttpKubeApi::Throttle() {
  auto wait = bucket_.Reserve(options_.env->SteadyNow());
  if (wait.count() > 0) options_.env->SleepFor(wait);
}

namespace {

// Configures a handle for `config` (TLS, auth) and the request; returns the header list to keep.
base::Result<Slist> Prepare(CURL* curl, CURLSH* share, const ClientConfig& config,
                            const std::string& token, const std::string& user_agent,
                            const char* method, const std::string& url, const std::string& body,
                            const char* content_type, char* errbuf) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_SHARE, share);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  if (config.insecure_skip_tls_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!config.ca_data.empty()) {
    SetBlob(curl, CURLOPT_CAINFO_BLOB, config.ca_data);
  } else if (!config.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, config.ca_file.c_str());
  }
  if (!config.client_cert_data.empty()) {
    SetBlob(curl, CURLOPT_SSLCERT_BLOB, config.client_cert_data);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
  } else if (!config.client_cert_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, config.client_cert_file.c_str());
  }
  if (!config.client_key_data.empty()) {
    SetBlob(curl, CURLOPT_SSLKEY_BLOB, config.client_key_data);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  } else if (!config.client_key_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLKEY, config.client_key_file.c_str());
  }
  if (!config.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, config.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, config.password.c_str());
  }
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  if (!token.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  if (content_type != nullptr) {
    headers = curl_slist_append(headers, (std::string("Content-Type: ") + content_type).c_str());
  }
  if (headers == nullptr) return base::Internal("curl_slist_append failed");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  if (std::string_view(method) != "GET") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  return Slist(headers);
}

}  // namespace

base::Result<std::string> HttpKubeApi::Do(const Request& request) {
  HAMI_ASSIGN_OR_RETURN(std::string token, token_.Token());
  Throttle();
  EasyHandle curl = shared_->Borrow();
  if (!curl) return base::Internal("curl_easy_init failed");
  char errbuf[CURL_ERROR_SIZE] = {0};
  // Back to the pool on every path (Return resets the options that point into this frame).
  struct ReturnToPool {
    Shared* shared;
    EasyHandle* handle;
    size_t max_idle;
    ~ReturnToPool() { shared->Return(std::move(*handle), max_idle); }
  } give_back{shared_.get(), &curl, options_.max_idle_handles};
  HAMI_ASSIGN_OR_RETURN(
      Slist headers,
      Prepare(curl.get(), shared_->share, config_, token, options_.user_agent, request.method,
              config_.server + request.path, request.body, request.content_type, errbuf));
  std::string body;
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) return CurlError(code, errbuf, request.what);
  long http_code = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &http_code);
  HAMI_RETURN_IF_ERROR(StatusFromHttp(http_code, body, request.what));
  return body;
}

base::Result<Json> HttpKubeApi::DoJson(const Request& request) {
  HAMI_ASSIGN_OR_RETURN(std::string body, Do(request));
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return base::Internal(request.what + ": response is not JSON: " +
                          base::Quote(std::string_view(body).substr(0, 120)));
  }
  return parsed;
}

base::Result<Json> HttpKubeApi::Get(const ResourcePath& object) {
  return DoJson({"GET", object.UrlPath(), "", nullptr, "GET " + object.Describe()});
}

base::Result<ListPage> HttpKubeApi::List(const ResourcePath& collection,
                                         const ListOptions& options) {
  std::string what = "LIST " + collection.Describe();
  HAMI_ASSIGN_OR_RETURN(Json list, DoJson({"GET", collection.UrlPath() + BuildQuery(options, false),
                                           "", nullptr, what}));
  ListPage page;
  auto items = list.find("items");
  if (items != list.end() && items->is_array()) {
    page.items.reserve(items->size());
    for (auto& item : *items) page.items.push_back(std::move(item));
  } else if (items != list.end() && !items->is_null()) {
    return base::Internal(what + ": \"items\" is not an array");
  }
  FillItemKinds(list, &page.items);
  auto metadata = list.find("metadata");
  if (metadata != list.end() && metadata->is_object()) {
    page.resource_version = metadata->value("resourceVersion", "");
    page.continue_token = metadata->value("continue", "");
  }
  return page;
}

base::Result<Json> HttpKubeApi::Create(const ResourcePath& collection, const Json& object) {
  return DoJson({"POST", collection.UrlPath(), object.dump(), "application/json",
                 "CREATE " + collection.Describe()});
}

base::Result<Json> HttpKubeApi::Update(const ResourcePath& object, const Json& body) {
  return DoJson(
      {"PUT", object.UrlPath(), body.dump(), "application/json", "UPDATE " + object.Describe()});
}

base::Result<Json> HttpKubeApi::Patch(const ResourcePath& object, PatchType type,
                                      const Json& patch) {
  const char* content_type =
      type == PatchType::kMerge ? "application/merge-patch+json" : "application/json-patch+json";
  return DoJson(
      {"PATCH", object.UrlPath(), patch.dump(), content_type, "PATCH " + object.Describe()});
}

base::Status HttpKubeApi::Delete(const ResourcePath& object, const DeleteOptions& options) {
  std::string body;
  if (!options.uid.empty() || options.grace_period_seconds) {
    Json delete_options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
    if (!options.uid.empty()) delete_options["preconditions"] = {{"uid", options.uid}};
    if (options.grace_period_seconds) {
      delete_options["gracePeriodSeconds"] = *options.grace_period_seconds;
    }
    body = delete_options.dump();
  }
  return Do({"DELETE", object.UrlPath(), body, body.empty() ? nullptr : "application/json",
             "DELETE " + object.Describe()})
      .status();
}

namespace {

// State of one watch stream, shared with curl's callbacks.
struct WatchState {
  CURL* curl = nullptr;
  const WatchHandler* handler = nullptr;
  std::stop_token stop;
  WatchStreamParser parser;
  long http_code = 0;
  std::string error_body;  // body of a non-2xx answer
  bool handler_done = false;
  std::vector<WatchEvent> events;
  std::vector<base::Status> errors;
  std::string what;
};

// Delivers parsed events; false when the handler asked to stop.
bool Deliver(WatchState* state) {
  for (const base::Status& error : state->errors) {
    base::LogWarn("watch: skipped malformed event",
                  {{"watch", state->what}, {"error", error.message()}});
  }
  state->errors.clear();
  for (WatchEvent& event : state->events) {
    if (!(*state->handler)(std::move(event))) {
      state->handler_done = true;
      break;
    }
  }
  state->events.clear();
  return !state->handler_done;
}

size_t OnWatchData(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<WatchState*>(user);
  size_t bytes = size * count;
  if (state->http_code == 0)
    curl_easy_getinfo(state->curl, CURLINFO_RESPONSE_CODE, &state->http_code);
  if (state->http_code < 200 || state->http_code > 299) {
    if (state->error_body.size() < 64 * 1024) state->error_body.append(data, bytes);
    return bytes;
  }
  if (state->stop.stop_requested()) return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  state->parser.Feed(std::string_view(data, bytes), &state->events, &state->errors);
  return Deliver(state) ? bytes : 0;
}

int OnWatchProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<WatchState*>(user)->stop.stop_requested() ? 1 : 0;
}

}  // namespace

base::Status HttpKubeApi::Watch(const ResourcePath& collection, const ListOptions& options,
                                const WatchHandler& handler, std::stop_token stop) {
  HAMI_ASSIGN_OR_RETURN(std::string token, token_.Token());
  Throttle();
  if (stop.stop_requested()) return base::Status::Ok();
  EasyHandle curl(curl_easy_init());
  if (!curl) return base::Internal("curl_easy_init failed");
  char errbuf[CURL_ERROR_SIZE] = {0};
  WatchState state;
  state.curl = curl.get();
  state.handler = &handler;
  state.stop = stop;
  state.what = "WATCH " + collection.Describe();
  HAMI_ASSIGN_OR_RETURN(
      Slist headers, Prepare(curl.get(), shared_->share, config_, token, options_.user_agent, "GET",
                             config_.server + collection.UrlPath() + BuildQuery(options, true), "",
                             nullptr, errbuf));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &OnWatchData);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, &OnWatchProgress);
  curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, &state);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  if (options.timeout_seconds > 0) {
    // The server ends the stream after timeoutSeconds; the margin catches a silent dead peer.
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS,
                     static_cast<long>((options.timeout_seconds + 30) * 1000));
  }
  CURLcode code = curl_easy_perform(curl.get());
  if (stop.stop_requested() || state.handler_done) return base::Status::Ok();
  if (code != CURLE_OK) return CurlError(code, errbuf, state.what);
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &state.http_code);
  HAMI_RETURN_IF_ERROR(StatusFromHttp(state.http_code, state.error_body, state.what));
  state.parser.Finish(&state.events, &state.errors);
  Deliver(&state);
  return base::Status::Ok();
}

base::Result<std::string> HttpKubeApi::GetRaw(const std::string& path) {
  return Do({"GET", path, "", nullptr, "GET " + path});
}

}  // namespace hami::k8s
