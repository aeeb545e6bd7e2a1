// Load generator for the soak test (bench/soak.sh, `make soak`): a mixed workload at a bounded
// request rate over keep-alive connections, for a fixed duration. It is a stability test, not a
// throughput test: each worker paces itself to rate/threads requests per second.
//
//   soak_load PORT KEY SECONDS RATE THREADS
//
// Prints a progress line every 10 s on stderr and, at the end, one summary line per operation
// on stdout: `op count errors p50_ms p99_ms`, then `total count errors seconds rps`.
// Any answer that is not the expected 2xx counts as an error (the first few are printed).
//
// Webhooks: a receiver in this process (127.0.0.1, a free port) is subscribed to every event of
// the soak account before the load starts, so every write also queues a delivery. After the
// load, the outbox is given up to 120 s to drain (klozeo_webhook_outbox_depth 0 on /metrics);
// then one more line: `webhooks received unique repeats server_delivered server_failed
// drain_seconds`. Not draining, or fewer distinct deliveries received than the server counted
// delivered, fails the run. The server must allow private addresses (--webhook-allow-private).
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

// The mix. Every write also queues a webhook delivery to the receiver below.
enum Op {
  kGetLead,
  kList,
  kCreate,
  kDedupCreate,
  kBatch,
  kNote,
  kReadNotes,
  kUpdate,
  kExport,
  kOpCount
};
constexpr std::array<const char*, kOpCount> kOpNames = {
    "get_lead", "filtered_list", "create", "create_dedup", "batch_10",
    "add_note", "read_notes",    "update", "export_csv"};
// Weights out of 100.
constexpr std::array<int, kOpCount> kWeights = {30, 15, 10, 8, 2, 12, 8, 12, 3};
const std::array<const char*, 8> kCities = {"Paris",  "Lyon",   "Berlin", "Rome",
                                            "Madrid", "Lisbon", "Vienna", "Oslo"};

struct Stats {
  std::vector<double> latencies_ms[kOpCount];
  int64_t errors[kOpCount] = {};
};

std::atomic<int64_t> g_done{0}, g_errors{0};
std::mutex g_print_mu;
int g_printed_errors = 0;

class Connection {
 public:
  Connection(uint16_t port, std::string key) : port_(port), key_(std::move(key)) {}

  /// One request on the keep-alive connection (reconnecting once if the server closed it).
  /// Returns the status, 0 on a transport error.
  int Send(bhttp::verb method, const std::string& target, const std::string& body,
           std::string* response_body) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (!stream_) Connect();
        bhttp::request<bhttp::string_body> req{method, target, 11};
        req.set(bhttp::field::host, "127.0.0.1");
        req.set("X-API-Key", key_);
        req.keep_alive(true);
        if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
        req.body() = body;
        req.prepare_payload();
        stream_->expires_after(std::chrono::seconds(60));
        bhttp::write(*stream_, req);
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(1ull << 32);
        bhttp::read(*stream_, buffer_, parser);
        auto res = parser.release();
        if (response_body != nullptr) *response_body = std::move(res.body());
        if (!res.keep_alive()) stream_.reset();
        return static_cast<int>(res.result_int());
      } catch (const std::exception&) {
        stream_.reset();
        buffer_.clear();
      }
    }
    return 0;
  }

 private:
  void Connect() {
    stream_.emplace(ioc_);
    stream_->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    stream_->socket().set_option(tcp::no_delay(true));
  }

  uint16_t port_;
  std::string key_;
  net::io_context ioc_;
  std::optional<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
};

// --- the webhook receiver: HTTP/1.1 keep-alive, a thread per connection, answers 204 ---

struct Receiver {
  std::mutex mu;
  std::unordered_set<std::string> deliveries;  // distinct X-Klozeo-Delivery ids
  int64_t requests = 0;
};
// Never destroyed: its threads run until the process exits.
Receiver& g_receiver = *new Receiver;

void ServeReceiverConnection(tcp::socket socket) {
  try {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      bhttp::read(socket, buffer, req);
      {
        std::lock_guard<std::mutex> lock(g_receiver.mu);
        ++g_receiver.requests;
        g_receiver.deliveries.insert(std::string(req["X-Klozeo-Delivery"]));
      }
      bhttp::response<bhttp::empty_body> res{bhttp::status::no_content, req.version()};
      res.keep_alive(req.keep_alive());
      bhttp::write(socket, res);
      if (!req.keep_alive()) break;
    }
  } catch (const std::exception&) {
    // the sender closed the connection
  }
}

/// Starts the receiver; returns its port.
uint16_t StartReceiver() {
  auto* ioc = new net::io_context;
  auto* acceptor = new tcp::acceptor(*ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  std::thread([ioc, acceptor] {
    for (;;) {
      tcp::socket socket(*ioc);
      boost::system::error_code ec;
      acceptor->accept(socket, ec);
      if (ec) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      std::thread(ServeReceiverConnection, std::move(socket)).detach();
    }
  }).detach();
  return acceptor->local_endpoint().port();
}

/// The value of an unlabelled-or-exact series in a /metrics scrape, or -1.
double MetricValue(const std::string& text, const std::string& series) {
  size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') return std::atof(text.c_str() + at + series.size() + 1);
    at += series.size();
  }
  return -1;
}

json LeadBody(const std::string& tag, std::mt19937& rng) {
  const char* city = kCities[rng() % kCities.size()];
  return json{{"name", "Soak Co " + tag},
              {"source", "soak"},
              {"email", "soak-" + tag + "@soak.example"},
              {"city", city},
              {"rating", static_cast<double>(rng() % 50) / 10.0},
              {"review_count", static_cast<int>(rng() % 500)},
              {"tags", {"soak", (rng() % 2) ? "vip" : "std"}},
              {"attributes", {{{"name", "industry"}, {"type", "text"}, {"value", "retail"}}}}};
}

void Worker(int index, uint16_t port, const std::string& key, Clock::time_point end,
            double per_thread_rate, Stats& stats) {
  std::mt19937 rng(static_cast<uint32_t>(index * 7919 + 17));
  Connection conn(port, key);
  std::vector<std::string> ids;     // leads this worker created
  std::vector<std::string> emails;  // their e-mails, for dedup re-posts
  int64_t counter = 0;
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / per_thread_rate));
  auto next = Clock::now();
  std::string body;
  const std::string run = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  while (Clock::now() < end) {
    next += interval;
    int pick = static_cast<int>(rng() % 100);
    int op = 0;
    for (int acc = 0; op < kOpCount; ++op) {
      acc += kWeights[op];
      if (pick < acc) break;
    }
    if (ids.empty()) op = kCreate;
    const std::string some_id = ids.empty() ? "" : ids[rng() % ids.size()];
    const std::string tag = run + "-" + std::to_string(index) + "-" + std::to_string(counter++);
    int expected = 200;
    int status = 0;
    auto started = Clock::now();
    switch (op) {
      case kGetLead:
        status = conn.Send(bhttp::verb::get, "/api/v1/leads/" + some_id, "", nullptr);
        break;
      case kList:
        status = conn.Send(bhttp::verb::get,
                           std::string("/api/v1/leads?filter=and.eq.city.") +
                               kCities[rng() % kCities.size()] +
                               "&filter=and.gte.rating.2&sort_by=rating&sort_order=desc&limit=50",
                           "", nullptr);
        break;
      case kCreate:
        expected = 201;
        status = conn.Send(bhttp::verb::post, "/api/v1/leads", LeadBody(tag, rng).dump(), &body);
        if (status == 201) {
          ids.push_back(json::parse(body)["id"]);
          emails.push_back("soak-" + tag + "@soak.example");
        }
        break;
      case kDedupCreate: {
        // The same e-mail as an earlier lead: a merge (200), never a new lead.
        json lead = LeadBody(tag, rng);
        lead["email"] = emails[rng() % emails.size()];
        status = conn.Send(bhttp::verb::post, "/api/v1/leads", lead.dump(), nullptr);
        break;
      }
      case kBatch: {
        expected = 201;
        json leads = json::array();
        for (int i = 0; i < 10; ++i) leads.push_back(LeadBody(tag + "-b" + std::to_string(i), rng));
        status = conn.Send(bhttp::verb::post, "/api/v1/leads/batch", json{{"leads", leads}}.dump(),
                           nullptr);
        break;
      }
      case kNote:
        expected = 201;
        status = conn.Send(bhttp::verb::post, "/api/v1/leads/" + some_id + "/notes",
                           json{{"content", "called " + tag}}.dump(), nullptr);
        break;
      case kReadNotes:
        status = conn.Send(bhttp::verb::get, "/api/v1/leads/" + some_id + "/notes", "", nullptr);
        break;
      case kUpdate:
        status = conn.Send(bhttp::verb::put, "/api/v1/leads/" + some_id,
                           json{{"rating", static_cast<double>(rng() % 50) / 10.0},
                                {"description", "updated " + tag}}
                               .dump(),
                           nullptr);
        break;
      default:
        status = conn.Send(bhttp::verb::get,
                           std::string("/api/v1/leads/export?format=csv&filter=and.eq.city.") +
                               kCities[rng() % kCities.size()] + "&filter=and.eq.source.soak",
                           "", nullptr);
    }
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    stats.latencies_ms[op].push_back(ms);
    ++g_done;
    if (status != expected) {
      ++stats.errors[op];
      ++g_errors;
      std::lock_guard<std::mutex> lock(g_print_mu);
      if (g_printed_errors++ < 10) {
        std::fprintf(stderr, "error: %s answered %d (expected %d)\n", kOpNames[op], status,
                     expected);
      }
    }
    std::this_thread::sleep_until(next);
    // After a stall, do not burst to catch up: the rate is a ceiling.
    if (Clock::now() - next > std::chrono::seconds(1)) next = Clock::now();
  }
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: soak_load PORT KEY SECONDS RATE THREADS\n");
    return 2;
  }
  const auto port = static_cast<uint16_t>(std::atoi(argv[1]));
  const std::string key = argv[2];
  const int seconds = std::atoi(argv[3]);
  const double rate = std::atof(argv[4]);
  const int threads = std::max(1, std::atoi(argv[5]));
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  // Subscribe the receiver to every event before the load.
  const uint16_t receiver_port = StartReceiver();
  Connection admin(port, key);
  std::string answer;
  const int subscribed = admin.Send(
      bhttp::verb::post, "/api/v1/webhooks",
      json{{"url", "http://127.0.0.1:" + std::to_string(receiver_port) + "/soak"}}.dump(), &answer);
  if (subscribed != 201) {
    std::fprintf(stderr, "subscribing the webhook receiver failed: %d %s\n", subscribed,
                 answer.c_str());
    return 1;
  }
  std::vector<Stats> stats(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back(Worker, i, port, std::cref(key), end, rate / threads,
                         std::ref(stats[static_cast<size_t>(i)]));
  }
  int64_t last = 0;
  while (Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::seconds(10));
    int64_t done = g_done.load();
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::fprintf(stderr, "t=%.0fs requests=%lld errors=%lld rate=%.1f/s\n", elapsed,
                 static_cast<long long>(done), static_cast<long long>(g_errors.load()),
                 static_cast<double>(done - last) / 10.0);
    last = done;
  }
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  for (int op = 0; op < kOpCount; ++op) {
    std::vector<double> all;
    int64_t errors = 0;
    for (auto& s : stats) {
      all.insert(all.end(), s.latencies_ms[op].begin(), s.latencies_ms[op].end());
      errors += s.errors[op];
    }
    size_t count = all.size();
    double p50 = Percentile(all, 0.50);
    double p99 = Percentile(all, 0.99);
    std::printf("%s %zu %lld %.2f %.2f\n", kOpNames[op], count, static_cast<long long>(errors), p50,
                p99);
  }
  std::printf("total %lld %lld %.1f %.1f\n", static_cast<long long>(g_done.load()),
              static_cast<long long>(g_errors.load()), elapsed,
              static_cast<double>(g_done.load()) / elapsed);

  // Webhooks: wait for the outbox to drain (the depth gauge is recounted about once a second).
  const auto drain_start = Clock::now();
  double depth = -1, delivered = -1, failed = -1;
  while (true) {
    std::string text;
    if (admin.Send(bhttp::verb::get, "/metrics", "", &text) == 200) {
      depth = MetricValue(text, "klozeo_webhook_outbox_depth");
      delivered = MetricValue(text, "klozeo_webhook_deliveries_total{outcome=\"delivered\"}");
      failed = MetricValue(text, "klozeo_webhook_deliveries_total{outcome=\"failed\"}");
    }
    if (depth == 0 || Clock::now() - drain_start > std::chrono::seconds(120)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  const double drain = std::chrono::duration<double>(Clock::now() - drain_start).count();
  int64_t received = 0, unique = 0;
  {
    std::lock_guard<std::mutex> lock(g_receiver.mu);
    received = g_receiver.requests;
    unique = static_cast<int64_t>(g_receiver.deliveries.size());
  }
  std::printf("webhooks %lld %lld %lld %.0f %.0f %.1f\n", static_cast<long long>(received),
              static_cast<long long>(unique), static_cast<long long>(received - unique), delivered,
              failed, drain);
  std::fflush(stdout);
  bool webhooks_ok = depth == 0 && static_cast<double>(unique) >= delivered && delivered > 0;
  if (!webhooks_ok) {
    std::fprintf(
        stderr,
        "webhooks: outbox depth %.0f after %.0f s, %lld distinct received, %.0f delivered\n", depth,
        drain, static_cast<long long>(unique), delivered);
  }
  std::fflush(stderr);
  // Detached receiver threads may still be blocked reading: leave without running destructors.
  std::_Exit(g_errors.load() == 0 && webhooks_ok ? 0 : 1);
}
