#include "support/webhook_receiver.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <list>

namespace klozeo::testing {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct WebhookReceiver::State {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  mutable std::mutex mu;
  std::condition_variable stopped_cv;
  std::condition_variable arrived_cv;  ///< notified on every request recorded
  bool stopped = false;
  std::vector<Received> requests;
  std::deque<Reply> planned;
  Reply fallback;
  std::list<std::shared_ptr<tcp::socket>> sockets;
  std::list<std::thread> workers;

  Reply Next(Received r) {
    std::lock_guard<std::mutex> lock(mu);
    requests.push_back(std::move(r));
    arrived_cv.notify_all();
    if (planned.empty()) return fallback;
    Reply reply = planned.front();
    planned.pop_front();
    return reply;
  }

  void Serve(std::shared_ptr<tcp::socket> socket) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (true) {
      bhttp::request<bhttp::string_body> req;
      bhttp::read(*socket, buffer, req, ec);
      if (ec) break;
      Received r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = std::string(f.value());
      }
      r.body = req.body();
      r.at = std::chrono::steady_clock::now();
      Reply reply = Next(std::move(r));
      if (reply.stall_ms > 0) {
        std::unique_lock<std::mutex> lock(mu);
        if (stopped_cv.wait_for(lock, std::chrono::milliseconds(reply.stall_ms),
                                [this] { return stopped; })) {
          break;
        }
      }
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(reply.status), 11};
      res.set(bhttp::field::content_type, "text/plain");
      if (reply.status != 204 && reply.status != 304) res.body() = "ok";
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      bhttp::write(*socket, res, ec);
      if (ec || !req.keep_alive()) break;
    }
    socket->shutdown(tcp::socket::shutdown_both, ec);
  }
};

WebhookReceiver::WebhookReceiver() : state_(std::make_shared<State>()) {
  auto& a = state_->acceptor;
  tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
  a.open(ep.protocol());
  a.set_option(net::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(128);
  port_ = a.local_endpoint().port();
  acceptor_ = std::thread([s = state_] {
    while (true) {
      auto socket = std::make_shared<tcp::socket>(s->ioc);
      beast::error_code ec;
      s->acceptor.accept(*socket, ec);
      std::lock_guard<std::mutex> lock(s->mu);
      if (s->stopped) break;
      if (ec) continue;
      socket->set_option(tcp::no_delay(true), ec);
      s->sockets.push_back(socket);
      s->workers.emplace_back([s, socket] { s->Serve(socket); });
    }
  });
}

WebhookReceiver::~WebhookReceiver() { Stop(); }

void WebhookReceiver::Stop() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->stopped) return;
    state_->stopped = true;
    beast::error_code ec;
    state_->acceptor.cancel(ec);
    // Unblock accept() with a connection of our own, then close everything.
  }
  state_->stopped_cv.notify_all();
  {
    net::io_context ioc;
    tcp::socket poke(ioc);
    beast::error_code ec;
    poke.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::list<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    beast::error_code ec;
    state_->acceptor.close(ec);
    for (auto& s : state_->sockets) {
      s->shutdown(tcp::socket::shutdown_both, ec);
      s->close(ec);
    }
    workers.swap(state_->workers);
  }
  for (auto& t : workers) t.join();
}

std::string WebhookReceiver::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void WebhookReceiver::SetDefault(Reply reply) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->fallback = reply;
}

void WebhookReceiver::Plan(std::vector<Reply> replies) {
  std::lock_guard<std::mutex> lock(state_->mu);
  for (auto& r : replies) state_->planned.push_back(r);
}

std::vector<Received> WebhookReceiver::Requests() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->requests;
}

size_t WebhookReceiver::Count() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->requests.size();
}

bool WebhookReceiver::WaitFor(const std::function<bool(const std::vector<Received>&)>& done,
                              int timeout_ms) const {
  std::unique_lock<std::mutex> lock(state_->mu);
  return state_->arrived_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                     [&] { return done(state_->requests); });
}

bool WebhookReceiver::WaitForCount(size_t n, int timeout_ms) const {
  return WaitFor([n](const std::vector<Received>& r) { return r.size() >= n; }, timeout_ms);
}

}  // namespace klozeo::testing
