#include "webhooks/dispatcher.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/crypto.h"
#include "domain/webhook_codec.h"
#include "metrics/metrics.h"

namespace klozeo::webhooks {
namespace {

using core::Result;
using domain::DeliveryJob;

// The default schedule: delays after failed attempts 1..10 (5 s ... 24 h), about 47 hours in
// all, so a receiver down for up to two days receives everything.
constexpr int64_t kScheduleMs[] = {
    5'000,     30'000,     120'000,    600'000,    1'800'000,
    3'600'000, 10'800'000, 21'600'000, 43'200'000, 86'400'000,
};
constexpr int64_t kScheduleBaseMs = 5'000;
// Responses are not read beyond this (receivers are told to answer quickly and briefly).
constexpr size_t kMaxResponseBytes = 64 * 1024;
// A checked address is reused for this long per host and port (refusals are not cached).
constexpr auto kResolveTtl = std::chrono::seconds(30);
constexpr size_t kMaxResolved = 4096;
// klozeo_webhook_outbox_depth is recounted at most this often (a count of the pending index).
constexpr auto kDepthInterval = std::chrono::seconds(1);

std::string DefaultWorkerId() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid()) + "-" + core::RandomHex(4);
}

/// One request in flight and what it needs to stay alive until it finishes.
struct Transfer {
  DeliveryJob job;
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
};

/// What one attempt came to.
struct Outcome {
  DeliveryJob job;
  int64_t started_clock_ms = 0;
  int64_t duration_ms = 0;
  std::optional<int64_t> status_code;
  std::optional<std::string> error;
  bool success = false;
};

size_t DiscardBody(char* /*data*/, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->response_bytes += size * n;
  // Returning less than given aborts the transfer: an endless response cannot hold a slot.
  return t->response_bytes > kMaxResponseBytes ? 0 : size * n;
}

std::string CurlUrlPart(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(u, part, &value, flags) != CURLUE_OK || value == nullptr) return {};
  std::string out(value);
  curl_free(value);
  return out;
}

}  // namespace

std::optional<int64_t> RetryDelayMs(int64_t attempt, int64_t base_ms, double jitter) {
  constexpr int64_t kRetries = static_cast<int64_t>(std::size(kScheduleMs));
  if (attempt < 1 || attempt > kRetries) return std::nullopt;
  double delay = static_cast<double>(kScheduleMs[attempt - 1]) * static_cast<double>(base_ms) /
                 static_cast<double>(kScheduleBaseMs);
  delay *= 0.8 + 0.4 * std::clamp(jitter, 0.0, 1.0);
  return std::max<int64_t>(1, static_cast<int64_t>(delay));
}

struct Dispatcher::Impl {
  CURLM* multi = nullptr;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> in_flight;
  std::vector<Outcome> done;
  std::mt19937_64 rng{std::random_device{}()};
  /// "host:port" -> the checked address and until when it may be reused. glibc does not cache
  /// lookups, and a blocking getaddrinfo per delivery would stall this one thread.
  struct Resolved {
    std::optional<std::string> address;
    std::chrono::steady_clock::time_point until;
  };
  std::unordered_map<std::string, Resolved> resolved;
};

Dispatcher::Dispatcher(storage::Database& db, const core::Clock& clock, DispatcherOptions options)
    : db_(db), clock_(clock), options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  if (options_.worker_id.empty()) options_.worker_id = DefaultWorkerId();
}

Dispatcher::~Dispatcher() { Stop(); }

core::Status Dispatcher::Start() {
  static std::once_flag global;
  std::call_once(global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::lock_guard<std::mutex> lock(wake_mu_);
  if (running_) return core::Ok();
  impl_->multi = curl_multi_init();
  if (impl_->multi == nullptr) return core::Error::Internal("curl_multi_init failed");
  stop_ = false;
  running_ = true;
  thread_ = std::thread([this] { Run(); });
  return core::Ok();
}

void Dispatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    if (!running_) return;
    stop_ = true;
    curl_multi_wakeup(impl_->multi);
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(wake_mu_);
  curl_multi_cleanup(impl_->multi);
  impl_->multi = nullptr;
  running_ = false;
}

void Dispatcher::Wake() {
  wake_ = true;
  std::lock_guard<std::mutex> lock(wake_mu_);
  if (running_ && impl_->multi != nullptr) curl_multi_wakeup(impl_->multi);
}

namespace {

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

void Dispatcher::Run() {
  Impl& im = *impl_;
  const int64_t poll_ms = std::max<int64_t>(10, options_.poll_ms);
  auto next_poll = std::chrono::steady_clock::now();
  bool more_due = false;  // the last claim was full: more may be waiting

  auto finish = [&](Transfer& t, std::optional<int64_t> status, std::optional<std::string> error) {
    Outcome o;
    o.job = std::move(t.job);
    o.started_clock_ms = t.started_clock_ms;
    o.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - t.started)
                        .count();
    o.status_code = status;
    metrics::WebhookDeliveryDuration().Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t.started).count());
    o.success = !error && status && *status >= 200 && *status < 300;
    if (!o.success && !error && status) error = "HTTP " + std::to_string(*status);
    o.error = std::move(error);
    im.done.push_back(std::move(o));
  };

  auto start = [&](DeliveryJob job) {
    auto t = std::make_unique<Transfer>();
    t->job = std::move(job);
    t->started_clock_ms = clock_.NowMillis();
    t->started = std::chrono::steady_clock::now();
    // Parse with libcurl's own parser, so the host checked is the host libcurl connects to.
    t->url = curl_url();
    if (t->url == nullptr ||
        curl_url_set(t->url, CURLUPART_URL, t->job.url.c_str(), 0) != CURLUE_OK) {
      finish(*t, std::nullopt, "invalid URL");
      return;
    }
    std::string scheme = CurlUrlPart(t->url, CURLUPART_SCHEME);
    if (scheme != "http" && scheme != "https") {
      finish(*t, std::nullopt, "only http and https URLs are delivered");
      return;
    }
    std::string host = CurlUrlPart(t->url, CURLUPART_HOST);
    std::string port = CurlUrlPart(t->url, CURLUPART_PORT, CURLU_DEFAULT_PORT);
    std::string bare = host;
    if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') {
      bare = bare.substr(1, bare.size() - 2);
    }
    const std::string cache_key = bare + ":" + port;
    Result<std::optional<std::string>> pinned = std::optional<std::string>();
    auto cached = im.resolved.find(cache_key);
    if (cached != im.resolved.end() && cached->second.until > std::chrono::steady_clock::now()) {
      pinned = cached->second.address;
    } else {
      pinned = PinAddress(bare, port, options_.allow_private);
      if (pinned.ok()) {
        if (im.resolved.size() >= kMaxResolved) im.resolved.clear();
        im.resolved[cache_key] = {*pinned, std::chrono::steady_clock::now() + kResolveTtl};
      }
    }
    if (!pinned.ok()) {
      finish(*t, std::nullopt, pinned.error().message);
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
      finish(*t, std::nullopt, "curl_easy_init failed");
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
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, DiscardBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    if (curl_multi_add_handle(im.multi, e) != CURLM_OK) {
      finish(*t, std::nullopt, "curl_multi_add_handle failed");
      return;
    }
    im.in_flight.emplace(e, std::move(t));
  };

  auto claim = [&]() {
    const int room = options_.max_in_flight - static_cast<int>(im.in_flight.size());
    if (room <= 0) return;
    const int64_t now = core::WallMillis();
    auto jobs = [&]() -> Result<std::vector<DeliveryJob>> {
      KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
      KLOZEO_ASSIGN_OR_RETURN(
          auto claimed,
          tx->webhooks().ClaimDeliveries(options_.worker_id, now, now + options_.lease_ms, room));
      if (!claimed.empty()) KLOZEO_TRY(tx->Commit());
      return claimed;
    }();
    if (!jobs.ok()) {
      spdlog::warn("webhooks: claiming deliveries failed: {}", jobs.error().message);
      more_due = false;
      return;
    }
    more_due = static_cast<int>(jobs->size()) == room;
    for (auto& job : *jobs) start(std::move(job));
  };

  auto record = [&]() {
    if (im.done.empty()) return;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    auto recorded = [&]() -> core::Status {
      KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
      const int64_t wall = core::WallMillis();
      std::unordered_set<std::string> failed_hooks;
      std::vector<std::string_view> outcomes;  // counted once the transaction commits
      // By account: a store that locks per account (PostgreSQL) then takes the locks of one
      // transaction in the same order in every process.
      std::vector<const Outcome*> ordered;
      for (const Outcome& o : im.done) ordered.push_back(&o);
      std::stable_sort(ordered.begin(), ordered.end(), [](const Outcome* a, const Outcome* b) {
        return a->job.account_id < b->job.account_id;
      });
      for (const Outcome* op : ordered) {
        const Outcome& o = *op;
        domain::AttemptRecord r;
        r.account_id = o.job.account_id;
        r.webhook_id = o.job.webhook_id;
        r.delivery_id = o.job.delivery_id;
        r.attempt.attempt = o.job.attempts + 1;
        r.attempt.started_at_ms = o.started_clock_ms;
        r.attempt.duration_ms = o.duration_ms;
        r.attempt.status_code = o.status_code;
        r.attempt.error = o.error;
        r.attempt.success = o.success;
        if (o.success) {
          r.new_state = domain::DeliveryState::kDelivered;
        } else if (auto delay =
                       RetryDelayMs(r.attempt.attempt, options_.retry_base_ms, unit(im.rng))) {
          r.new_state = domain::DeliveryState::kPending;
          r.attempt.next_retry_ms = wall + *delay;
        } else {
          r.new_state = domain::DeliveryState::kFailed;
        }
        KLOZEO_ASSIGN_OR_RETURN(bool held, tx->webhooks().RecordAttempt(options_.worker_id, r));
        if (held && !o.success) failed_hooks.insert(o.job.account_id + "\n" + o.job.webhook_id);
        if (held) {
          outcomes.push_back(o.success                                       ? "delivered"
                             : r.new_state == domain::DeliveryState::kFailed ? "dead"
                                                                             : "failed");
        }
      }
      // A subscription failing without a success for three days (by the injected clock) is
      // switched off.
      for (const auto& key : failed_hooks) {
        auto nl = key.find('\n');
        std::string account = key.substr(0, nl), id = key.substr(nl + 1);
        KLOZEO_ASSIGN_OR_RETURN(auto hook, tx->webhooks().Get(account, id));
        if (!hook || !hook->active || !hook->failing_since_ms) continue;
        if (clock_.NowMillis() - *hook->failing_since_ms < domain::kWebhookFailureWindowMs) {
          continue;
        }
        hook->active = false;
        hook->updated_at = clock_.NowSeconds();
        KLOZEO_TRY(tx->webhooks().Update(account, *hook));
        spdlog::warn("webhooks: webhook {} of account {} deactivated after failing for 3 days", id,
                     account);
      }
      KLOZEO_TRY(tx->Commit());
      for (auto outcome : outcomes) metrics::WebhookDeliveries(outcome).Increment();
      return core::Ok();
    }();
    if (!recorded.ok()) {
      // The claims lapse and the deliveries are attempted again: at least once, never lost.
      spdlog::warn("webhooks: recording {} attempts failed: {}", im.done.size(),
                   recorded.error().message);
    }
    im.done.clear();
  };

  auto next_depth = std::chrono::steady_clock::now();
  auto update_depth = [&](std::chrono::steady_clock::time_point now) {
    if (now < next_depth) return;
    next_depth = now + kDepthInterval;
    auto depth = [&]() -> Result<int64_t> {
      KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
      return tx->webhooks().CountPending();
    }();
    if (depth.ok()) metrics::WebhookOutboxDepth().Set(static_cast<double>(*depth));
  };

  while (!stop_) {
    auto now = std::chrono::steady_clock::now();
    update_depth(now);
    if (wake_.exchange(false) || now >= next_poll || more_due) {
      next_poll = now + std::chrono::milliseconds(poll_ms);
      claim();
    }
    int running = 0;
    curl_multi_perform(im.multi, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(im.multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* e = msg->easy_handle;
      CURLcode result = msg->data.result;
      curl_multi_remove_handle(im.multi, e);
      auto it = im.in_flight.find(e);
      if (it == im.in_flight.end()) continue;
      Transfer& t = *it->second;
      // A response cut off by DiscardBody's limit still carries its status.
      const bool cut_short = result == CURLE_WRITE_ERROR && t.response_bytes > kMaxResponseBytes;
      if (result == CURLE_OK || cut_short) {
        long code = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        finish(t, static_cast<int64_t>(code), std::nullopt);
      } else if (result == CURLE_OPERATION_TIMEDOUT) {
        finish(t, std::nullopt,
               "no answer within " + std::to_string(options_.timeout_ms) + " ms (timed out)");
      } else {
        long code = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        std::string text = t.error[0] != '\0' ? t.error : curl_easy_strerror(result);
        finish(t, code > 0 ? std::optional<int64_t>(code) : std::nullopt, text);
      }
      im.in_flight.erase(it);
    }
    record();
    if (stop_) break;
    // Sleep until a socket is ready, a wake-up, or the next poll; not at all when more work
    // is waiting and there is room for it.
    int timeout_ms = 0;
    const bool room = static_cast<int>(im.in_flight.size()) < options_.max_in_flight;
    if (!(more_due && room)) {
      auto until_poll = std::chrono::duration_cast<std::chrono::milliseconds>(
                            next_poll - std::chrono::steady_clock::now())
                            .count();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(until_poll, 0, poll_ms));
      if (!im.in_flight.empty()) {
        long curl_timeout = -1;
        curl_multi_timeout(im.multi, &curl_timeout);
        if (curl_timeout >= 0) timeout_ms = std::min(timeout_ms, static_cast<int>(curl_timeout));
      }
    }
    if (timeout_ms > 0 && !wake_.load()) {
      curl_multi_poll(im.multi, nullptr, 0, timeout_ms, nullptr);
    }
  }

  // Stopping: give back what is in flight, due at once, so it is not held for a lease.
  if (!im.in_flight.empty()) {
    const int64_t now = core::WallMillis();
    auto released = [&]() -> core::Status {
      KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
      for (auto& [e, t] : im.in_flight) {
        KLOZEO_TRY(tx->webhooks().ReleaseDelivery(options_.worker_id, t->job.delivery_id, now));
      }
      return tx->Commit();
    }();
    if (!released.ok()) {
      spdlog::warn("webhooks: releasing {} claims failed (they lapse after the lease): {}",
                   im.in_flight.size(), released.error().message);
    }
    for (auto& [e, t] : im.in_flight) curl_multi_remove_handle(im.multi, e);
    im.in_flight.clear();
  }
}

}  // namespace klozeo::webhooks
