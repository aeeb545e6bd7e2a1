#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace klozeo::metrics {

/// Label names to values. Values must come from small fixed sets (route patterns, status codes,
/// tiers, outcomes): never ids, keys or anything a client chooses.
using Labels = std::map<std::string, std::string>;

/// Keeps a callback gauge registered; unregisters it when destroyed.
class CallbackHandle {
 public:
  CallbackHandle() = default;
  explicit CallbackHandle(uint64_t id) : id_(id) {}
  CallbackHandle(CallbackHandle&& other) noexcept : id_(other.id_) { other.id_ = 0; }
  CallbackHandle& operator=(CallbackHandle&& other) noexcept;
  CallbackHandle(const CallbackHandle&) = delete;
  CallbackHandle& operator=(const CallbackHandle&) = delete;
  ~CallbackHandle();

 private:
  uint64_t id_ = 0;
};

/// The process-wide metrics registry (prometheus-cpp underneath), rendered in the Prometheus
/// text format by `Serialize`. Thread-safe. Metrics are created on first use and live for the
/// whole process; getters with the same name and labels return the same metric, so callers may
/// keep the reference.
class Registry {
 public:
  static Registry& Global();

  prometheus::Counter& Counter(const std::string& name, const std::string& help,
                               const Labels& labels = {});
  prometheus::Gauge& Gauge(const std::string& name, const std::string& help,
                           const Labels& labels = {});
  /// `buckets`: upper bounds in increasing order (the +Inf bucket is implicit).
  prometheus::Histogram& Histogram(const std::string& name, const std::string& help,
                                   const std::vector<double>& buckets, const Labels& labels = {});
  /// A gauge whose value `read` returns at scrape time (pool usage, memory). When several
  /// callbacks share a name and labels (two databases in one process) their values add up.
  [[nodiscard]] CallbackHandle AddCallbackGauge(const std::string& name, const std::string& help,
                                                const Labels& labels, std::function<double()> read);

  /// Every metric in the Prometheus text exposition format (version 0.0.4).
  std::string Serialize();

  /// For CallbackHandle.
  void RemoveCallback(uint64_t id);

  struct Impl;

 private:
  Registry();
  std::unique_ptr<Impl> impl_;
};

/// Content-Type of `Registry::Serialize` output.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// ---- The server's metrics, named once here. ----

/// One finished HTTP request: `klozeo_http_requests_total` and
/// `klozeo_http_request_duration_seconds`, by method, route pattern and status.
void ObserveRequest(std::string_view method, std::string_view route, int status, double seconds);
/// `klozeo_http_requests_in_flight`.
prometheus::Gauge& InFlightRequests();
/// `klozeo_rate_limit_rejections_total`: requests refused with 429.
prometheus::Counter& RateLimitRejections();
/// `klozeo_dedup_outcomes_total{tier}`: POST /leads outcomes by dedup tier (`email`,
/// `source_id`, `phone_name`, `phone_hint`, `address_hint`, `domain_hint`,
/// `phone_exchange_hint`, `name_city_hint`, `similar_name_hint`, `none`).
prometheus::Counter& DedupOutcome(std::string_view tier);
/// `klozeo_idempotency_requests_total{outcome}`: `executed`, `replayed`, `conflict`,
/// `in_progress`.
prometheus::Counter& IdempotencyOutcome(std::string_view outcome);
/// `klozeo_webhook_outbox_depth`: deliveries pending, across all accounts (the webhook
/// dispatcher recounts it about once a second with Tx::CountPendingWebhookDeliveries).
prometheus::Gauge& WebhookOutboxDepth();

/// Requests refused because the database refused writes: `kind` is disk_full or read_only.
prometheus::Counter& StorageFaults(std::string_view kind);
/// `klozeo_webhook_deliveries_total{outcome}`: `delivered`, `failed` (will retry), `dead`
/// (gave up).
prometheus::Counter& WebhookDeliveries(std::string_view outcome);
/// `klozeo_webhook_delivery_duration_seconds`: time of one delivery attempt.
prometheus::Histogram& WebhookDeliveryDuration();
/// Registers every metric above with its zero value, so a scrape shows them all from the
/// start (dashboards and alerts need the series to exist).
void RegisterServerMetrics();

}  // namespace klozeo::metrics
