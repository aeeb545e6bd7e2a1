// <utility> first: Boost 1.74's Asio needs it under C++20 with g++ 12.
#include <utility>

#include "http/server.h"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "http/errors.h"

namespace klozeo::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class Session;

/// What every connection shares with the server.
struct Shared {
  ServerOptions options;
  Handler handler;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::list<std::weak_ptr<Session>> sessions;
  std::atomic<int> live{0};
  std::function<void()> on_all_closed;  ///< called when stopping and the last session ends
  /// Runs the handlers of writes when options.write_threads > 0 (null otherwise).
  std::unique_ptr<net::thread_pool> writers;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Shared& shared) : stream_(std::move(socket)), shared_(shared) {
    ++shared_.live;
  }
  ~Session() {
    if (--shared_.live == 0 && shared_.stopping.load()) shared_.on_all_closed();
  }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }

  /// Graceful stop: an idle connection closes now; a busy one closes after its response.
  void Shutdown() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->handling_) return;  // OnWrite sees `stopping` and closes
      if ((self->parser_ && self->parser_->got_some()) || self->first_request_) {
        // A request is arriving, or a new connection has not sent its request yet (it may be
        // on its way): give it a moment to complete. Only idle keep-alive connections close now.
        self->stream_.expires_after(std::chrono::seconds(2));
        return;
      }
      self->Close();
    });
  }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->body_limit(shared_.options.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(shared_.options.max_header_bytes));
    stream_.expires_after(first_request_ ? shared_.options.read_timeout
                                         : shared_.options.idle_timeout);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    first_request_ = false;
    if (ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::connection_reset ||
        ec == net::error::eof || ec == net::error::bad_descriptor) {
      Close();
      return;
    }
    if (ec == bhttp::error::body_limit) {
      WriteTransportError(413, "payload_too_large",
                          "request body is larger than " +
                              std::to_string(shared_.options.max_body_bytes) + " bytes");
      return;
    }
    if (ec == bhttp::error::header_limit) {
      WriteTransportError(431, "bad_request", "request line and headers are too large");
      return;
    }
    if (ec) {
      if (&ec.category() == &bhttp::make_error_code(bhttp::error::bad_target).category()) {
        WriteTransportError(400, "bad_request", "malformed HTTP request: " + ec.message());
      } else {
        Close();
      }
      return;
    }
    handling_ = true;
    auto req = parser_->release();
    Request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    ParseTarget(request.target, &request.path, &request.query);
    request.headers.reserve(8);
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (char& c : name) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.body = std::move(req.body());
    if (remote_.empty()) {  // the peer does not change: asked once per connection
      beast::error_code remote_ec;
      auto endpoint = stream_.socket().remote_endpoint(remote_ec);
      if (!remote_ec) remote_ = endpoint.address().to_string();
    }
    request.remote = remote_;
    bool keep_alive = req.keep_alive();
    bool head = req.method() == bhttp::verb::head;
    const unsigned version = req.version();
    if (shared_.options.async_handler && req.method() == bhttp::verb::post) {
      // The request is kept (with the connection) until its answer is made.
      auto held = std::make_shared<Request>(std::move(request));
      std::atomic<int>* in_flight = shared_.options.writes_in_flight;
      if (in_flight != nullptr) in_flight->fetch_add(1, std::memory_order_relaxed);
      auto done =
          [self = shared_from_this(), held, keep_alive, version, head, in_flight,
           work = net::make_work_guard(stream_.get_executor())](std::function<Response()> make) {
            if (in_flight != nullptr) in_flight->fetch_sub(1, std::memory_order_relaxed);
            net::post(self->stream_.get_executor(), [self, held, make = std::move(make), keep_alive,
                                                     version, head] {
              self->Write(make(), keep_alive && !self->shared_.stopping.load(), version, head);
            });
          };
      if (shared_.options.async_handler(*held, std::move(done))) return;
      if (in_flight != nullptr) in_flight->fetch_sub(1, std::memory_order_relaxed);
      request = std::move(*held);
    }
    if (shared_.writers != nullptr &&
        (shared_.options.runs_on_write_threads ? shared_.options.runs_on_write_threads(request)
                                               : IsWrite(req.method()))) {
      // A write may wait for the commit of a group of writes (SQLite group commit): it runs on
      // the write threads, so the I/O threads go on reading the requests that join the group.
      // The work guard keeps the I/O threads running until the response is posted back.
      std::atomic<int>* in_flight = shared_.options.writes_in_flight;
      if (in_flight != nullptr) in_flight->fetch_add(1, std::memory_order_relaxed);
      net::post(*shared_.writers, [self = shared_from_this(), request = std::move(request),
                                   keep_alive, version, head, in_flight,
                                   work = net::make_work_guard(stream_.get_executor())]() mutable {
        auto response = std::make_shared<Response>(self->shared_.handler(request));
        if (in_flight != nullptr) in_flight->fetch_sub(1, std::memory_order_relaxed);
        net::post(self->stream_.get_executor(), [self, response, keep_alive, version, head] {
          self->Write(std::move(*response), keep_alive && !self->shared_.stopping.load(), version,
                      head);
        });
      });
      return;
    }
    Response response = shared_.handler(request);
    Write(std::move(response), keep_alive && !shared_.stopping.load(), version, head);
  }

  static bool IsWrite(bhttp::verb method) {
    return method == bhttp::verb::post || method == bhttp::verb::put ||
           method == bhttp::verb::patch || method == bhttp::verb::delete_;
  }

  void WriteTransportError(int status, std::string_view code, const std::string& message) {
    handling_ = true;
    linger_ = true;
    Response r = TransportError(status, code, message);
    // Transport errors carry a request id too, so a client report can be matched to logs.
    Write(std::move(r), false, 11, false);
  }

  // A streamed response: the head with chunked encoding, then one chunk per producer call,
  // each written before the next is produced (memory holds one chunk), then the last chunk.
  void WriteStream(Response response, bool keep_alive, unsigned version) {
    auto res = std::make_shared<bhttp::response<bhttp::empty_body>>(
        static_cast<bhttp::status>(response.status), version);
    res->set(bhttp::field::server, "klozeo");
    res->set(bhttp::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) res->set(name, value);
    res->keep_alive(keep_alive);
    res->chunked(true);
    producer_ = std::move(response.stream);
    auto serializer = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*res);
    stream_.expires_after(shared_.options.read_timeout);
    bhttp::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), res, serializer, keep_alive](beast::error_code ec, size_t) {
          if (ec) {
            self->producer_ = nullptr;
            self->OnWrite(ec, false);
            return;
          }
          self->WriteNextChunk(keep_alive);
        });
  }

  void WriteNextChunk(bool keep_alive) {
    chunk_.clear();
    auto more = producer_(chunk_);
    if (!more.ok()) {
      spdlog::error("streamed response aborted: {}", more.error().ForLog());
      producer_ = nullptr;
      OnWrite(net::error::operation_aborted, false);  // ends the connection mid-body
      return;
    }
    stream_.expires_after(shared_.options.read_timeout);
    if (!*more && chunk_.empty()) {
      producer_ = nullptr;
      net::async_write(stream_, bhttp::make_chunk_last(),
                       [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                         self->OnWrite(ec, keep_alive);
                       });
      return;
    }
    if (chunk_.empty()) {  // nothing this round: ask again
      net::post(stream_.get_executor(),
                [self = shared_from_this(), keep_alive] { self->WriteNextChunk(keep_alive); });
      return;
    }
    bool last = !*more;
    net::async_write(stream_, bhttp::make_chunk(net::buffer(chunk_)),
                     [self = shared_from_this(), keep_alive, last](beast::error_code ec, size_t) {
                       if (ec) {
                         self->producer_ = nullptr;
                         self->OnWrite(ec, false);
                       } else if (last) {
                         self->chunk_.clear();
                         self->producer_ = [](std::string&) -> core::Result<bool> { return false; };
                         self->WriteNextChunk(keep_alive);
                       } else {
                         self->WriteNextChunk(keep_alive);
                       }
                     });
  }

  void Write(Response response, bool keep_alive, unsigned version, bool head) {
    if (response.stream && !head) {
      WriteStream(std::move(response), keep_alive, version);
      return;
    }
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(response.status), version);
    res->set(bhttp::field::server, "klozeo");
    if (response.status != 204) res->set(bhttp::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) res->set(name, value);
    res->keep_alive(keep_alive);
    if (response.status == 204) {
      res->body().clear();
    } else {
      res->body() = std::move(response.body);
      res->prepare_payload();
    }
    if (head) {
      // Keep the Content-Length of the GET, send no body.
      res->set(bhttp::field::content_length, std::to_string(res->body().size()));
      res->body().clear();
    }
    stream_.expires_after(shared_.options.read_timeout);
    bhttp::async_write(stream_, *res,
                       [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                         self->OnWrite(ec, keep_alive);
                       });
  }

  void OnWrite(beast::error_code ec, bool keep_alive) {
    handling_ = false;
    if (!ec && linger_) {
      Linger();
      return;
    }
    if (ec || !keep_alive || shared_.stopping.load()) {
      Close();
      return;
    }
    DoRead();
  }

  // After an early error response (413, 431, 400) the client may still be sending: read and
  // drop what it sends for a bounded time and size before closing, so its kernel does not
  // reset the connection and destroy the response before the client reads it.
  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(5));
    DrainSome();
  }

  void DrainSome() {
    if (drained_ > kMaxLingerBytes) {
      Close();
      return;
    }
    stream_.async_read_some(net::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec) {
                                self->Close();
                              } else {
                                self->DrainSome();
                              }
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Shared& shared_;
  std::string remote_;  ///< the peer's address
  bool handling_ = false;
  bool first_request_ = true;
  bool linger_ = false;
  BodyProducer producer_;
  std::string chunk_;
  static constexpr size_t kMaxLingerBytes = 64 * 1024 * 1024;
  size_t drained_ = 0;
  std::array<char, 16384> drain_buffer_{};
};

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions options, Handler handler)
      : threads(options.threads > 0
                    ? options.threads
                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))),
        ioc(threads),
        acceptor(net::make_strand(ioc)),
        signals(ioc),
        stop_timer(ioc) {
    shared.options = std::move(options);
    shared.handler = std::move(handler);
    shared.on_all_closed = [this] { net::post(ioc, [this] { stop_timer.cancel(); }); };
    if (shared.options.write_threads > 0) {
      shared.writers =
          std::make_unique<net::thread_pool>(static_cast<size_t>(shared.options.write_threads));
    }
  }

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
        spdlog::warn("accept failed: {}", ec.message());
      } else {
        // Even while stopping: a connection accepted before the listener closed is served (its
        // client has sent or is sending a request; dropping it would reset that request).
        StartSession(std::move(socket));
      }
      if (acceptor.is_open()) Accept();
    });
  }

  void StartSession(tcp::socket socket) {
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto session = std::make_shared<Session>(std::move(socket), shared);
    {
      std::lock_guard<std::mutex> lock(shared.mu);
      // Drop entries of finished connections as we go.
      shared.sessions.remove_if([](const auto& w) { return w.expired(); });
      shared.sessions.push_back(session);
    }
    session->Start();
  }

  int threads;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer stop_timer;
  Shared shared;
  uint16_t port = 0;
};

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() = default;

core::Status Server::Start() {
  beast::error_code ec;
  auto address = net::ip::make_address(impl_->shared.options.host, ec);
  if (ec) {
    return core::Error::Unavailable("invalid listen address '" + impl_->shared.options.host + "'");
  }
  tcp::endpoint endpoint(address, impl_->shared.options.port);
  auto& acc = impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::Error::Unavailable("cannot listen on " + impl_->shared.options.host + ":" +
                                    std::to_string(impl_->shared.options.port) + ": " +
                                    ec.message());
  }
  impl_->port = acc.local_endpoint().port();
  impl_->Accept();
  return core::Ok();
}

uint16_t Server::port() const { return impl_->port; }

void Server::StopOnSignals() {
  impl_->signals.add(SIGINT);
  impl_->signals.add(SIGTERM);
  impl_->signals.async_wait([this](beast::error_code ec, int signo) {
    if (ec) return;
    spdlog::info("signal {} received: stopping gracefully", signo);
    Stop();
  });
}

void Server::Run() {
  std::vector<std::thread> workers;
  for (int i = 1; i < impl_->threads; ++i) {
    workers.emplace_back([this] { impl_->ioc.run(); });
  }
  impl_->ioc.run();
  for (auto& t : workers) t.join();
  if (impl_->shared.writers != nullptr) impl_->shared.writers->join();
}

void Server::Stop() {
  if (impl_->shared.stopping.exchange(true)) return;
  net::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ignored;
    // Connections the kernel completed but we have not accepted yet would be reset when the
    // listener closes: take them first, so their requests are answered.
    impl_->acceptor.non_blocking(true, ignored);
    for (int i = 0; i < 1024; ++i) {
      tcp::socket socket(net::make_strand(impl_->ioc));
      beast::error_code ec;
      impl_->acceptor.accept(socket, ec);
      if (ec) break;
      impl_->StartSession(std::move(socket));
    }
    impl_->acceptor.close(ignored);
    impl_->signals.cancel(ignored);
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard<std::mutex> lock(impl_->shared.mu);
      for (auto& w : impl_->shared.sessions) {
        if (auto s = w.lock()) live.push_back(std::move(s));
      }
    }
    // Past the grace period, whatever is left is cut off.
    impl_->stop_timer.expires_after(impl_->shared.options.stop_grace);
    impl_->stop_timer.async_wait([this](beast::error_code ec) {
      if (!ec) impl_->ioc.stop();
    });
    for (auto& s : live) s->Shutdown();
    live.clear();
    if (impl_->shared.live.load() == 0) impl_->stop_timer.cancel();
  });
}

}  // namespace klozeo::http
