#include "metrics/metrics.h"

#include <prometheus/family.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace klozeo::metrics {
namespace {

struct CallbackGauge {
  std::string name;
  std::string help;
  Labels labels;
  std::function<double()> read;
};

/// Resident and virtual memory from /proc/self/statm (Linux), in bytes.
double StatmBytes(int field) {
  std::ifstream in("/proc/self/statm");
  double size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return (field == 0 ? size : resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// Request latency buckets, seconds: sub-millisecond reads up to multi-second exports.
const std::vector<double> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};

}  // namespace

struct Registry::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::mutex mu;
  std::unordered_map<std::string, prometheus::Family<prometheus::Counter>*> counters;
  std::unordered_map<std::string, prometheus::Family<prometheus::Gauge>*> gauges;
  std::unordered_map<std::string, prometheus::Family<prometheus::Histogram>*> histograms;
  std::map<uint64_t, CallbackGauge> callbacks;
  uint64_t next_id = 1;
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {}

Registry& Registry::Global() {
  static Registry* registry = [] {
    auto* r = new Registry();
    // Process memory, read at scrape time; registered for the life of the process.
    static CallbackHandle rss =
        r->AddCallbackGauge("process_resident_memory_bytes", "Resident memory size in bytes.", {},
                            [] { return StatmBytes(1); });
    static CallbackHandle vsz =
        r->AddCallbackGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", {},
                            [] { return StatmBytes(0); });
    return r;
  }();
  return *registry;
}

prometheus::Counter& Registry::Counter(const std::string& name, const std::string& help,
                                       const Labels& labels) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto& family = impl_->counters[name];
  if (family == nullptr) {
    family = &prometheus::BuildCounter().Name(name).Help(help).Register(*impl_->registry);
  }
  return family->Add(labels);
}

prometheus::Gauge& Registry::Gauge(const std::string& name, const std::string& help,
                                   const Labels& labels) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto& family = impl_->gauges[name];
  if (family == nullptr) {
    family = &prometheus::BuildGauge().Name(name).Help(help).Register(*impl_->registry);
  }
  return family->Add(labels);
}

prometheus::Histogram& Registry::Histogram(const std::string& name, const std::string& help,
                                           const std::vector<double>& buckets,
                                           const Labels& labels) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto& family = impl_->histograms[name];
  if (family == nullptr) {
    family = &prometheus::BuildHistogram().Name(name).Help(help).Register(*impl_->registry);
  }
  return family->Add(labels, buckets);
}

CallbackHandle Registry::AddCallbackGauge(const std::string& name, const std::string& help,
                                          const Labels& labels, std::function<double()> read) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  uint64_t id = impl_->next_id++;
  impl_->callbacks.emplace(id, CallbackGauge{name, help, labels, std::move(read)});
  return CallbackHandle(id);
}

void Registry::RemoveCallback(uint64_t id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->callbacks.erase(id);
}

std::string Registry::Serialize() {
  std::vector<prometheus::MetricFamily> families = impl_->registry->Collect();
  {
    // Callback gauges: one family per name, one series per label set (equal ones summed).
    std::lock_guard<std::mutex> lock(impl_->mu);
    std::map<std::string, std::pair<std::string, std::map<Labels, double>>> grouped;
    for (const auto& [id, cb] : impl_->callbacks) {
      auto& entry = grouped[cb.name];
      entry.first = cb.help;
      entry.second[cb.labels] += cb.read();
    }
    for (auto& [name, entry] : grouped) {
      prometheus::MetricFamily family;
      family.name = name;
      family.help = entry.first;
      family.type = prometheus::MetricType::Gauge;
      for (const auto& [labels, value] : entry.second) {
        prometheus::ClientMetric metric;
        for (const auto& [k, v] : labels) metric.label.push_back({k, v});
        metric.gauge.value = value;
        family.metric.push_back(std::move(metric));
      }
      families.push_back(std::move(family));
    }
  }
  return prometheus::TextSerializer().Serialize(families);
}

CallbackHandle& CallbackHandle::operator=(CallbackHandle&& other) noexcept {
  if (this != &other) {
    if (id_ != 0) Registry::Global().RemoveCallback(id_);
    id_ = other.id_;
    other.id_ = 0;
  }
  return *this;
}

CallbackHandle::~CallbackHandle() {
  if (id_ != 0) Registry::Global().RemoveCallback(id_);
}

// ---- the server's metrics ----

namespace {

constexpr const char* kRequests = "klozeo_http_requests_total";
constexpr const char* kRequestsHelp =
    "HTTP requests answered, by method, route pattern and status.";
constexpr const char* kDuration = "klozeo_http_request_duration_seconds";
constexpr const char* kDurationHelp =
    "Time to handle a request (until the response head is ready; streamed bodies continue), by "
    "method, route pattern and status.";

/// Methods outside the known set are one label value, so a client cannot add series.
std::string_view MethodLabel(std::string_view method) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "other";
}

struct RequestSeries {
  prometheus::Counter* count;
  prometheus::Histogram* duration;
};

}  // namespace

void ObserveRequest(std::string_view method, std::string_view route, int status, double seconds) {
  // The registry's lookup takes a lock and builds a label map: cache the pair per series.
  static std::shared_mutex mu;
  static std::unordered_map<std::string, RequestSeries> cache;
  const std::string_view m = MethodLabel(method);
  std::string key;
  key.reserve(m.size() + route.size() + 6);
  key.append(m).append(1, ' ').append(route).append(1, ' ').append(std::to_string(status));
  RequestSeries series{};
  {
    std::shared_lock<std::shared_mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end()) series = it->second;
  }
  if (series.count == nullptr) {
    Labels labels{{"method", std::string(m)},
                  {"route", std::string(route)},
                  {"status", std::to_string(status)}};
    auto& registry = Registry::Global();
    series.count = &registry.Counter(kRequests, kRequestsHelp, labels);
    series.duration = &registry.Histogram(kDuration, kDurationHelp, kLatencyBuckets, labels);
    std::unique_lock<std::shared_mutex> lock(mu);
    cache.emplace(std::move(key), series);
  }
  series.count->Increment();
  series.duration->Observe(seconds);
}

prometheus::Gauge& InFlightRequests() {
  static prometheus::Gauge& g = Registry::Global().Gauge("klozeo_http_requests_in_flight",
                                                         "Requests being handled right now.");
  return g;
}

prometheus::Counter& RateLimitRejections() {
  static prometheus::Counter& c = Registry::Global().Counter(
      "klozeo_rate_limit_rejections_total", "Requests refused with 429 by the plan's rate limit.");
  return c;
}

prometheus::Counter& DedupOutcome(std::string_view tier) {
  return Registry::Global().Counter("klozeo_dedup_outcomes_total",
                                    "POST /leads outcomes by the dedup tier that matched "
                                    "(none: created without a match).",
                                    {{"tier", std::string(tier)}});
}

prometheus::Counter& IdempotencyOutcome(std::string_view outcome) {
  return Registry::Global().Counter(
      "klozeo_idempotency_requests_total",
      "Requests carrying an Idempotency-Key, by outcome (executed, replayed, conflict, "
      "in_progress).",
      {{"outcome", std::string(outcome)}});
}

prometheus::Counter& StorageFaults(std::string_view kind) {
  return Registry::Global().Counter(
      "klozeo_storage_faults_total",
      "Requests that failed because the database refused writes, by kind (disk_full: 507; "
      "read_only: read-only database or I/O error, 503).",
      {{"kind", std::string(kind)}});
}

prometheus::Gauge& WebhookOutboxDepth() {
  static prometheus::Gauge& g = Registry::Global().Gauge("klozeo_webhook_outbox_depth",
                                                         "Webhook events waiting for delivery.");
  return g;
}

prometheus::Counter& WebhookDeliveries(std::string_view outcome) {
  return Registry::Global().Counter(
      "klozeo_webhook_deliveries_total",
      "Webhook delivery attempts by outcome (delivered, failed: will retry, dead: gave up).",
      {{"outcome", std::string(outcome)}});
}

prometheus::Histogram& WebhookDeliveryDuration() {
  static prometheus::Histogram& h = Registry::Global().Histogram(
      "klozeo_webhook_delivery_duration_seconds", "Time of one webhook delivery attempt.",
      {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  return h;
}

void RegisterServerMetrics() {
  InFlightRequests();
  RateLimitRejections();
  for (auto tier : {"email", "source_id", "phone_name", "phone_hint", "address_hint", "domain_hint",
                    "phone_exchange_hint", "name_city_hint", "similar_name_hint", "none"}) {
    DedupOutcome(tier);
  }
  for (auto outcome : {"executed", "replayed", "conflict", "in_progress"}) {
    IdempotencyOutcome(outcome);
  }
  for (auto kind : {"disk_full", "read_only"}) StorageFaults(kind);
  WebhookOutboxDepth();
  for (auto outcome : {"delivered", "failed", "dead"}) WebhookDeliveries(outcome);
  WebhookDeliveryDuration();
}

}  // namespace klozeo::metrics
