#include "webhooks/transport.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <mutex>

#include "core/crypto.h"
#include "domain/webhook_codec.h"
#include "metrics/metrics.h"

namespace klozeo::webhooks {
namespace {

using core::Result;

// Responses are not read beyond this (receivers are told to answer quickly and briefly).
constexpr size_t kMaxResponseBytes = 64 * 1024;
// A checked address is reused for this long per host and port (refusals are not cached).
constexpr auto kResolveTtl = std::chrono::seconds(30);
constexpr size_t kMaxResolved = 4096;

CURLM* Multi(void* m) { return static_cast<CURLM*>(m); }

std::string CurlUrlPart(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(u, part, &value, flags) != CURLUE_OK || value == nullptr) return {};
  std::string out(value);
  curl_free(value);
  return out;
}

/// Resolves the URL's host and picks the address to connect to; an error text when the
/// delivery must not be attempted.
Result<std::optional<std::string>> PinAddress(const std::string& host, const std::string& port,
                                              bool allow_private) {
  if (allow_private) return std::optional<std::string>();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return core::Error::Unavailable("cannot resolve " + host + ": " + gai_strerror(rc));
  }
  std::optional<std::string> chosen;
  std::string refused;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw =
        a->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if (inet_ntop(a->ai_family, raw, text, sizeof text) == nullptr) continue;
    if (auto reason = domain::BlockedAddressReason(text)) {
      if (refused.empty()) refused = std::string(text) + ", a " + *reason + " address";
      continue;
    }
    chosen = text;
    break;
  }
  freeaddrinfo(found);
  if (!chosen) {
    return core::Error::BadRequest(
        "refused: " + host + " resolves to " + (refused.empty() ? "no usable address" : refused) +
        " (start the server with --webhook-allow-private to allow private networks)");
  }
  return chosen;
}

}  // namespace

/// One request in flight and what it needs to stay alive until it finishes.
struct Transport::Transfer {
  domain::DeliveryJob job;
  CURL* easy = nullptr;
  CURLU* url = nullptr;
  curl_slist* headers = nullptr;
  curl_slist* resolve = nullptr;
  int64_t started_clock_ms = 0;
  std::chrono::steady_clock::time_point started;
  size_t response_bytes = 0;
  char error[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (url != nullptr) curl_url_cleanup(url);
    curl_slist_free_all(headers);
    curl_slist_free_all(resolve);
  }

  static size_t DiscardBody(char* /*data*/, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    t->response_bytes += size * n;
    // Returning less than given aborts the transfer: an endless response cannot hold a slot.
    return t->response_bytes > kMaxResponseBytes ? 0 : size * n;
  }
};

Transport::Transport(const core::Clock& clock, bool allow_private, int64_t timeout_ms)
    : clock_(clock), allow_private_(allow_private), timeout_ms_(timeout_ms) {}

Transport::~Transport() { Close(); }

core::Status Transport::Open() {
  static std::once_flag global;
  std::call_once(global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (multi_ != nullptr) return core::Ok();
  multi_ = curl_multi_init();
  if (multi_ == nullptr) return core::Error::Internal("curl_multi_init failed");
  return core::Ok();
}

void Transport::Close() {
  if (multi_ == nullptr) return;
  Abandon();
  curl_multi_cleanup(Multi(multi_));
  multi_ = nullptr;
}

void Transport::Finish(Transfer& t, std::optional<int64_t> status,
                       std::optional<std::string> error) {
  AttemptOutcome o;
  o.job = std::move(t.job);
  o.started_clock_ms = t.started_clock_ms;
  const auto elapsed = std::chrono::steady_clock::now() - t.started;
  o.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  o.status_code = status;
  metrics::WebhookDeliveryDuration().Observe(std::chrono::duration<double>(elapsed).count());
  o.success = !error && status && *status >= 200 && *status < 300;
  if (!o.success && !error && status) error = "HTTP " + std::to_string(*status);
  o.error = std::move(error);
  finished_.push_back(std::move(o));
}

Result<std::optional<std::string>> Transport::Pin(const std::string& bare,
                                                  const std::string& port) {
  const std::string cache_key = bare + ":" + port;
  auto cached = resolved_.find(cache_key);
  if (cached != resolved_.end() && cached->second.until > std::chrono::steady_clock::now()) {
    return cached->second.address;
  }
  auto pinned = PinAddress(bare, port, allow_private_);
  if (pinned.ok()) {
    if (resolved_.size() >= kMaxResolved) resolved_.clear();
    resolved_[cache_key] = {*pinned, std::chrono::steady_clock::now() + kResolveTtl};
  }
  return pinned;
}

void Transport::Start(domain::DeliveryJob job) {
  auto t = std::make_unique<Transfer>();
  t->job = std::move(job);
  t->started_clock_ms = clock_.NowMillis();
  t->started = std::chrono::steady_clock::now();
  // Parse with libcurl's own parser, so the host checked is the host libcurl connects to.
  t->url = curl_url();
  if (t->url == nullptr ||
      curl_url_set(t->url, CURLUPART_URL, t->job.url.c_str(), 0) != CURLUE_OK) {
    Finish(*t, std::nullopt, "invalid URL");
    return;
  }
  std::string scheme = CurlUrlPart(t->url, CURLUPART_SCHEME);
  if (scheme != "http" && scheme != "https") {
    Finish(*t, std::nullopt, "only http and https URLs are delivered");
    return;
  }
  std::string host = CurlUrlPart(t->url, CURLUPART_HOST);
  std::string port = CurlUrlPart(t->url, CURLUPART_PORT, CURLU_DEFAULT_PORT);
  std::string bare = host;
  if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  auto pinned = Pin(bare, port);
  if (!pinned.ok()) {
    Finish(*t, std::nullopt, pinned.error().message);
    return;
  }
  if (*pinned && *pinned != bare) {
    // Connect to exactly the address that was checked (no second lookup).
    bool v6 = (*pinned)->find(':') != std::string::npos;
    std::string entry = host + ":" + port + ":" + (v6 ? "[" + **pinned + "]" : **pinned);
    t->resolve = curl_slist_append(nullptr, entry.c_str());
  }
  const auto& job_ref = t->job;
  const std::string timestamp = std::to_string(clock_.NowSeconds());
  for (const std::string& h : {
           std::string("Content-Type: application/json"),
           std::string("User-Agent: klozeo-webhooks/1"),
           std::string("Expect:"),
           "X-Klozeo-Event: " + job_ref.event_type,
           "X-Klozeo-Delivery: " + job_ref.delivery_id,
           "X-Klozeo-Timestamp: " + timestamp,
       }) {
    t->headers = curl_slist_append(t->headers, h.c_str());
  }
  if (job_ref.secret) {
    t->headers = curl_slist_append(
        t->headers,
        ("X-Klozeo-Signature: " + core::HmacSha256Hex(*job_ref.secret, job_ref.body)).c_str());
  }
  CURL* e = curl_easy_init();
  t->easy = e;
  if (e == nullptr) {
    Finish(*t, std::nullopt, "curl_easy_init failed");
    return;
  }
  curl_easy_setopt(e, CURLOPT_CURLU, t->url);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROXY, "");  // never through a proxy from the environment
  if (t->resolve != nullptr) curl_easy_setopt(e, CURLOPT_RESOLVE, t->resolve);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, job_ref.body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(job_ref.body.size()));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms_));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::DiscardBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  if (curl_multi_add_handle(Multi(multi_), e) != CURLM_OK) {
    Finish(*t, std::nullopt, "curl_multi_add_handle failed");
    return;
  }
  in_flight_.emplace(e, std::move(t));
}

void Transport::Collect(std::vector<AttemptOutcome>& done) {
  int running = 0;
  curl_multi_perform(Multi(multi_), &running);
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(Multi(multi_), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* e = msg->easy_handle;
    CURLcode result = msg->data.result;
    curl_multi_remove_handle(Multi(multi_), e);
    auto it = in_flight_.find(e);
    if (it == in_flight_.end()) continue;
    Transfer& t = *it->second;
    // A response cut off by DiscardBody's limit still carries its status.
    const bool cut_short = result == CURLE_WRITE_ERROR && t.response_bytes > kMaxResponseBytes;
    if (result == CURLE_OK || cut_short) {
      long code = 0;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
      Finish(t, static_cast<int64_t>(code), std::nullopt);
    } else if (result == CURLE_OPERATION_TIMEDOUT) {
      Finish(t, std::nullopt,
             "no answer within " + std::to_string(timeout_ms_) + " ms (timed out)");
    } else {
      long code = 0;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
      std::string text = t.error[0] != '\0' ? t.error : curl_easy_strerror(result);
      Finish(t, code > 0 ? std::optional<int64_t>(code) : std::nullopt, text);
    }
    in_flight_.erase(it);
  }
  for (auto& o : finished_) done.push_back(std::move(o));
  finished_.clear();
}

void Transport::Wait(int timeout_ms) {
  if (timeout_ms > 0) curl_multi_poll(Multi(multi_), nullptr, 0, timeout_ms, nullptr);
}

void Transport::Wakeup() {
  if (multi_ != nullptr) curl_multi_wakeup(Multi(multi_));
}

long Transport::NextTimerMs() {
  long timeout = -1;
  curl_multi_timeout(Multi(multi_), &timeout);
  return timeout;
}

std::vector<std::string> Transport::Abandon() {
  std::vector<std::string> ids;
  for (auto& [e, t] : in_flight_) {
    ids.push_back(t->job.delivery_id);
    curl_multi_remove_handle(Multi(multi_), static_cast<CURL*>(e));
  }
  in_flight_.clear();
  return ids;
}

}  // namespace klozeo::webhooks
