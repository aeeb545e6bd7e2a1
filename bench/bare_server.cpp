// The ceiling of a point read (issue 16, "Point reads"): a bare Boost.Beast server that answers
// GET /api/v1/leads/{id} with the same lead, read from the same SQLite file by primary key, and
// nothing else: no key check, rate limit, router, metrics, access log or request id.
//   bare_server DB_FILE ACCOUNT_ID PORT [THREADS]
//
// Same structure as the real server (http/server.cpp): one io_context run by one thread per
// core, one session per connection (keep-alive), the body built on the I/O thread. Each thread
// has its own read-only SQLite connection and one prepared statement: the lead's columns and
// its attributes (a JSON array) in one statement, so it reads what the API's response holds.
// The JSON is written straight from the columns (SQLite's json_object), the cheapest honest
// rendering. bench/point_read.sh measures the API against it in the same run.
#include <utility>

#include <sqlite3.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// One lead with its attributes, as one JSON object, by primary key.
constexpr const char* kLeadSql = R"sql(
SELECT json_object(
  'id', l.id, 'name', l.name, 'source', l.source, 'description', l.description,
  'email', l.email, 'phone', l.phone, 'website', l.website, 'address', l.address,
  'city', l.city, 'state', l.state, 'country', l.country, 'postal_code', l.postal_code,
  'category', l.category, 'source_id', l.source_id, 'logo_url', l.logo_url,
  'status', l.status, 'latitude', l.latitude, 'longitude', l.longitude, 'rating', l.rating,
  'review_count', l.review_count, 'tags', json(l.tags), 'score', l.score,
  'created_at', l.created_at, 'updated_at', l.updated_at,
  'last_interaction_at', l.last_interaction_at,
  'attributes', (SELECT json_group_array(json_object('id', a.id, 'name', a.name, 'type', a.type,
                                                     'value', json(a.value)))
                 FROM lead_attributes a WHERE a.account_key = l.account_key AND a.lead_id = l.id))
FROM leads l WHERE l.account_key = ?1 AND l.id = ?2
)sql";

struct Reader {
  sqlite3* db = nullptr;
  sqlite3_stmt* stmt = nullptr;
};

std::string g_db_file;
// The account's integer key (accounts.account_key), looked up once as the real server's key
// check hands it over with the principal.
sqlite3_int64 g_account_key = 0;

Reader& ThreadReader() {
  thread_local Reader reader = [] {
    Reader r;
    if (sqlite3_open_v2(g_db_file.c_str(), &r.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK ||
        sqlite3_prepare_v3(r.db, kLeadSql, -1, SQLITE_PREPARE_PERSISTENT, &r.stmt, nullptr) !=
            SQLITE_OK) {
      std::cerr << "bare_server: " << sqlite3_errmsg(r.db) << "\n";
      std::exit(1);
    }
    sqlite3_exec(r.db, "PRAGMA cache_size = -16000", nullptr, nullptr, nullptr);
    return r;
  }();
  return reader;
}

// The lead's JSON, or an empty string when there is none.
std::string ReadLead(std::string_view id) {
  Reader& r = ThreadReader();
  sqlite3_bind_int64(r.stmt, 1, g_account_key);
  sqlite3_bind_text(r.stmt, 2, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
  std::string out;
  if (sqlite3_step(r.stmt) == SQLITE_ROW) {
    out.assign(reinterpret_cast<const char*>(sqlite3_column_text(r.stmt, 0)),
               static_cast<size_t>(sqlite3_column_bytes(r.stmt, 0)));
  }
  sqlite3_reset(r.stmt);
  return out;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket&& socket) : stream_(std::move(socket)) {}
  void Start() { Read(); }

 private:
  void Read() {
    req_ = {};
    bhttp::async_read(stream_, buffer_, req_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->Answer();
                      });
  }

  void Answer() {
    constexpr std::string_view kPrefix = "/api/v1/leads/";
    std::string_view target(req_.target().data(), req_.target().size());
    res_ = {};
    res_.version(req_.version());
    res_.keep_alive(req_.keep_alive());
    res_.set(bhttp::field::content_type, "application/json");
    std::string body;
    if (req_.method() == bhttp::verb::get && target.starts_with(kPrefix)) {
      body = ReadLead(target.substr(kPrefix.size()));
    }
    if (body.empty()) {
      res_.result(bhttp::status::not_found);
      res_.body() = R"({"error":"not found"})";
    } else {
      res_.result(bhttp::status::ok);
      res_.body() = std::move(body);
    }
    res_.prepare_payload();
    bhttp::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->res_.keep_alive()) return self->Close();
      self->Read();
    });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::string_body> req_;
  bhttp::response<bhttp::string_body> res_;
};

void Accept(tcp::acceptor& acceptor, net::io_context& io) {
  acceptor.async_accept(net::make_strand(io), [&](beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket))->Start();
    }
    Accept(acceptor, io);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: bare_server DB_FILE ACCOUNT_ID PORT [THREADS]\n";
    return 2;
  }
  g_db_file = argv[1];
  {
    sqlite3* db = nullptr;
    sqlite3_stmt* stmt = nullptr;
    const bool found =
        sqlite3_open_v2(g_db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT account_key FROM accounts WHERE id = ?1", -1, &stmt,
                           nullptr) == SQLITE_OK &&
        sqlite3_bind_text(stmt, 1, argv[2], -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW;
    if (found) g_account_key = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    if (!found) {
      std::cerr << "bare_server: no account " << argv[2] << " in " << g_db_file << "\n";
      return 2;
    }
  }
  const auto port = static_cast<unsigned short>(std::stoi(argv[3]));
  const int threads =
      argc > 4 ? std::stoi(argv[4]) : static_cast<int>(std::thread::hardware_concurrency());
  net::io_context io(threads);
  tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), port});
  Accept(acceptor, io);
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { io.stop(); });
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  return 0;
}
