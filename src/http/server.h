#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/message.h"

namespace klozeo::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  ///< 0 picks a free port (tests)
  int threads = 0;       ///< 0: one per core
  /// Threads that run the handlers of POST, PUT, PATCH and DELETE requests (0: the I/O threads
  /// do): writes that wait for a group commit then do not hold up the I/O threads.
  int write_threads = 0;
  /// With write threads: which requests run there (unset: POST, PUT, PATCH and DELETE). May
  /// decode the request (Request::decoded_body) to decide.
  std::function<bool(Request&)> runs_on_write_threads;
  /// With write threads: counts the requests handed to them and not yet answered (may be null;
  /// must outlive the server). The SQLite store reads it (storage::Database::CountWritesIn).
  std::atomic<int>* writes_in_flight = nullptr;
  /// Takes a POST request to answer later without holding a thread meanwhile (a write that
  /// waits for a group commit: Api::HandleAsync), or returns false (the handler, or the write
  /// threads, then serve it). It calls the function it is given once, from any thread, with a
  /// function making the response, which runs on the connection's I/O thread; the request stays
  /// valid until then. Such requests count in `writes_in_flight` too. Unset: none.
  std::function<bool(Request&, std::function<void(std::function<Response()>)>)> async_handler;
  size_t max_body_bytes = 10 * 1024 * 1024;
  size_t max_header_bytes = 16 * 1024;            ///< request line + headers; above: 431
  std::chrono::milliseconds read_timeout{30000};  ///< to receive one whole request
  std::chrono::milliseconds idle_timeout{60000};  ///< keep-alive wait for the next request
  std::chrono::milliseconds stop_grace{10000};    ///< graceful stop deadline
};

/// A request handler: a function from request to response. Runs on an I/O thread.
using Handler = std::function<Response(Request&)>;

/// HTTP/1.1 server on Boost.Beast: one shared io_context run by N threads, keep-alive,
/// per-connection timers, a request-body limit (413), and a graceful stop that lets in-flight
/// requests finish. Beast stays inside server.cpp.
class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and listens. Errors: kUnavailable when the address cannot be bound.
  core::Status Start();
  /// The bound port (after Start).
  uint16_t port() const;
  /// Runs the I/O threads until Stop() (or a handled signal) and every connection is done.
  void Run();
  /// Also stop on SIGINT/SIGTERM (call before Run).
  void StopOnSignals();
  /// Stops accepting, closes idle connections, lets in-flight requests finish; Run() returns
  /// when all are done or after `stop_grace`. Thread-safe, idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace klozeo::http
