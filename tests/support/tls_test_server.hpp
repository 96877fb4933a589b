#pragma once
// A real HTTP/1.1 server on 127.0.0.1:<ephemeral> for transport and client tests, TLS or plain.
// Replies are scripted (first in, first out; a default when the script runs dry) and can inject
// faults: reset, stall, close after headers, malformed bytes, silent close, close after replying.
// One accept thread plus one thread per connection, synchronous Beast: simple, and the client under
// test is the asynchronous side.

#include "test_pki.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace alicloud_test {

enum class fault {
  none,
  reset,                 ///< read the request, then abort the TCP connection (RST)
  stall,                 ///< read the request, then never answer (until release_stalls() or stop)
  close_after_headers,   ///< send headers promising a body, a few bytes, then close
  malformed,             ///< answer with bytes that are not HTTP
  close_silently,        ///< read the request, then close without a byte (a server dropping an idle keep-alive connection races like this)
  close_after_response,  ///< answer normally (advertising keep-alive), then close the connection
  raw,                   ///< send `body` verbatim as the whole response, keep the connection
};

struct reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  fault kind = fault::none;
  std::chrono::milliseconds delay{0};  ///< before answering
  bool keep_alive = true;

  static reply ok(std::string body = "ok") {
    reply r;
    r.body = std::move(body);
    return r;
  }
  static reply failing(fault f) {
    reply r;
    r.kind = f;
    return r;
  }
};

struct received_request {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int connection = 0;  ///< 1-based index of the connection it arrived on

  std::string header(const std::string& name) const {
    for (const auto& h : headers) {
      if (h.first.size() != name.size()) continue;
      bool eq = true;
      for (std::size_t i = 0; i < name.size() && eq; ++i)
        eq = std::tolower(static_cast<unsigned char>(h.first[i])) == std::tolower(static_cast<unsigned char>(name[i]));
      if (eq) return h.second;
    }
    return {};
  }
};

class test_server {
 public:
  struct options {
    bool tls = true;
    std::string cert_pem;  ///< server chain (leaf first)
    std::string key_pem;
    bool tls_stall_handshake = false;  ///< accept TCP but never speak TLS
  };

  explicit test_server(options o) : opts_(std::move(o)), ctx_(boost::asio::ssl::context::tls_server) {
    namespace net = boost::asio;
    if (opts_.tls) {
      SSL_CTX_set_min_proto_version(ctx_.native_handle(), TLS1_2_VERSION);
      ctx_.use_certificate_chain(net::buffer(opts_.cert_pem));
      ctx_.use_private_key(net::buffer(opts_.key_pem), net::ssl::context::pem);
    }
    acceptor_.open(net::ip::tcp::v4());
    acceptor_.set_option(net::ip::tcp::acceptor::reuse_address(true));
    acceptor_.bind({net::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~test_server() { stop(); }
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  std::uint16_t port() const { return port_; }

  void push(reply r) {
    std::lock_guard<std::mutex> lock(mutex_);
    script_.push_back(std::move(r));
  }
  /// Computes replies when the script is empty (default: 200 "ok").
  void set_handler(std::function<reply(const received_request&)> h) {
    std::lock_guard<std::mutex> lock(mutex_);
    handler_ = std::move(h);
  }

  std::vector<received_request> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  std::size_t request_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_.size();
  }
  std::size_t connections() const { return connections_.load(); }
  std::size_t handshakes() const { return handshakes_.load(); }

  void release_stalls() {
    std::lock_guard<std::mutex> lock(mutex_);
    stalls_released_ = true;
    cv_.notify_all();
  }

  void stop() {
    if (stopping_.exchange(true)) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cv_.notify_all();
      // shutdown() wakes threads blocked in accept/read on these descriptors; closing is left to
      // their owners so a descriptor is never closed twice.
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    if (accept_thread_.joinable()) accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

 private:
  using tcp = boost::asio::ip::tcp;

  void accept_loop() {
    while (!stopping_) {
      tcp::socket sock(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stopping_) return;
      const int id = static_cast<int>(++connections_);
      std::lock_guard<std::mutex> lock(mutex_);
      open_fds_.insert(sock.native_handle());
      threads_.emplace_back([this, s = std::move(sock), id]() mutable { serve(std::move(s), id); });
    }
  }

  enum class ending { close, abort };

  void serve(tcp::socket sock, int id) {
    namespace net = boost::asio;
    const int fd = sock.native_handle();
    ending how = ending::close;
    std::optional<net::ssl::stream<tcp::socket>> tls;
    if (opts_.tls) {
      tls.emplace(std::move(sock), ctx_);
      if (opts_.tls_stall_handshake) {
        wait_for_release();
      } else {
        boost::system::error_code ec;
        tls->handshake(net::ssl::stream_base::server, ec);
        if (!ec) {
          ++handshakes_;
          how = session(*tls, id);
        }
      }
    } else {
      how = session(sock, id);
    }
    // Forget before closing: once closed, the descriptor number may be reused by a new connection.
    forget(fd);
    tcp::socket& s = tls ? tls->next_layer() : sock;
    boost::system::error_code ignored;
    if (how == ending::abort) s.set_option(net::socket_base::linger(true, 0), ignored);
    s.close(ignored);
  }

  void forget(int fd) {
    std::lock_guard<std::mutex> lock(mutex_);
    open_fds_.erase(fd);
  }

  void wait_for_release() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return stalls_released_ || stopping_; });
  }

  reply next(const received_request& r) {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(r);
    if (!script_.empty()) {
      reply out = std::move(script_.front());
      script_.pop_front();
      return out;
    }
    if (handler_) return handler_(r);
    return reply::ok();
  }

  template <class Stream>
  ending session(Stream& s, int id) {
    namespace net = boost::asio;
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(s, buffer, req, ec);
      if (ec) return ending::close;
      received_request rr;
      rr.method = std::string(req.method_string());
      rr.target = std::string(req.target());
      for (const auto& f : req) rr.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      rr.body = req.body();
      rr.connection = id;
      reply r = next(rr);
      if (r.delay.count() > 0) std::this_thread::sleep_for(r.delay);
      switch (r.kind) {
        case fault::reset: return ending::abort;
        case fault::stall: wait_for_release(); return ending::close;
        case fault::close_silently: return ending::close;
        case fault::close_after_headers:
          net::write(s, net::buffer(std::string("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")), ec);
          return ending::close;
        case fault::malformed:
          net::write(s, net::buffer(std::string("SMTP ready, not HTTP at all\r\n\r\n")), ec);
          return ending::close;
        case fault::raw:
          net::write(s, net::buffer(r.body), ec);
          if (ec) return ending::close;
          continue;
        case fault::none:
        case fault::close_after_response: break;
      }
      http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
      for (const auto& [k, v] : r.headers) res.insert(k, v);
      res.body() = r.body;
      res.keep_alive(r.keep_alive && req.keep_alive());
      res.prepare_payload();
      http::write(s, res, ec);
      // close_after_response: a plain TCP close without close_notify, as load balancers dropping
      // idle connections do.
      if (ec || !res.keep_alive() || r.kind == fault::close_after_response) return ending::close;
    }
  }

  options opts_;
  boost::asio::ssl::context ctx_;
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  std::uint16_t port_ = 0;
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> handshakes_{0};

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stalls_released_ = false;
  std::deque<reply> script_;
  std::function<reply(const received_request&)> handler_;
  std::vector<received_request> requests_;
  std::vector<std::thread> threads_;
  std::set<int> open_fds_;
};

}  // namespace alicloud_test
