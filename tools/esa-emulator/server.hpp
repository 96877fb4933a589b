#pragma once
// The HTTP/1.1 front end: Beast over Asio, plain or TLS, N threads running one io_context, one strand
// per connection. It turns bytes into http_request values for the service and acts out its outcomes
// (answers, delays, resets, stalls), and it answers requests the service never sees: oversized
// headers (431) or bodies (413), unparsable bytes (400) and requests that do not arrive in time (408,
// the slowloris defence), each with an Alibaba error body, then closes the connection.

#include "self_signed.hpp"
#include "service.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace esa_emulator {

namespace detail::srv {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

inline bool is_quiet_close(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::connection_aborted || ec == net::error::broken_pipe || ec == net::ssl::error::stream_truncated ||
         ec == net::error::operation_aborted || ec == net::error::bad_descriptor;
}

inline std::string read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string(what) + " " + path + ": cannot be read");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Shared by all sessions of one server.
struct shared {
  service& svc;
  std::chrono::milliseconds timeout;
  std::size_t max_body;
  std::size_t max_header;
  std::atomic<std::size_t> active{0};
};

/// One connection. Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <class Stream>
class session : public std::enable_shared_from_this<session<Stream>> {
 public:
  template <class... Args>
  explicit session(shared& sh, std::string peer, Args&&... args)
      : sh_(sh), stream_(std::forward<Args>(args)...), timer_(stream_.get_executor()), peer_(std::move(peer)) {
    ++sh_.active;
  }
  ~session() { --sh_.active; }

  void start() {
    if constexpr (is_tls) {
      arm(phase::handshake);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](const beast::error_code& ec) { self->on_handshake(ec); });
    } else {
      do_read();
    }
  }

 private:
  static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;
  enum class phase { idle, handshake, reading, acting, writing };

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  /// One deadline for the current phase; an expiry that arrives after the phase ended is ignored.
  void arm(phase p, std::chrono::milliseconds after = std::chrono::milliseconds(0)) {
    phase_ = p;
    const std::uint64_t id = ++arm_id_;
    timer_.expires_after(after.count() > 0 ? after : sh_.timeout);
    timer_.async_wait([self = this->shared_from_this(), id](const beast::error_code& ec) {
      if (ec || id != self->arm_id_) return;
      self->on_deadline();
    });
  }
  void disarm() {
    ++arm_id_;
    phase_ = phase::idle;
    timer_.cancel();
  }

  void on_deadline() {
    if (phase_ == phase::reading) {
      // Cancel the read; its handler answers 408 when part of a request had arrived.
      timed_out_ = true;
      beast::error_code ignored;
      lowest().socket().cancel(ignored);
    } else {
      close();
    }
  }

  void on_handshake(const beast::error_code& ec) {
    disarm();
    if (ec) return close();
    do_read();
  }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(sh_.max_header, 0xffffffffu)));
    // The body limit is enforced by hand after the header (to answer 413 before reading it); the
    // parser's own limit catches chunked bodies.
    parser_->body_limit(sh_.max_body);
    timed_out_ = false;
    arm(phase::reading);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](const beast::error_code& ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(const beast::error_code& ec) {
    if (ec) return read_failed(ec);
    auto& req = parser_->get();
    if (parser_->content_length() && *parser_->content_length() > sh_.max_body) {
      disarm();
      return respond_error(413, "The request body is " + std::to_string(*parser_->content_length()) +
                                    " bytes; the limit is " + std::to_string(sh_.max_body) + " bytes.");
    }
    if (boost::beast::iequals(req[http::field::expect], "100-continue")) {
      // Clients such as curl wait for this before sending a body.
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, req.version());
      http::async_write(stream_, *cont, [self = this->shared_from_this(), cont](const beast::error_code& wec, std::size_t) {
        if (wec) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](const beast::error_code& ec, std::size_t) { self->on_body(ec); });
  }

  void read_failed(const beast::error_code& ec) {
    const bool partial = buffer_.size() > 0 || (parser_ && parser_->got_some());
    disarm();
    if (timed_out_) {
      if (!partial) return close();  // an idle keep-alive connection simply ends
      return respond_error(408, "The request was not received completely within " +
                                    std::to_string(sh_.timeout.count()) + " ms.");
    }
    if (ec == http::error::header_limit)
      return respond_error(431, "The request header is larger than " + std::to_string(sh_.max_header) + " bytes.");
    if (ec == http::error::body_limit)
      return respond_error(413, "The request body is larger than " + std::to_string(sh_.max_body) + " bytes.");
    if (is_quiet_close(ec)) return close();
    respond_error(400, "The request is not valid HTTP/1.1 (" + ec.message() + ").");
  }

  void on_body(const beast::error_code& ec) {
    if (ec) return read_failed(ec);
    disarm();
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    http_request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& f : req) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    r.body = std::move(req.body());
    r.peer = peer_;
    act(sh_.svc.handle(r));
  }

  void respond_error(int status, std::string message) {
    const auto* host = parser_ && parser_->is_header_done() ? &parser_->get() : nullptr;
    std::string h = host ? std::string((*host)[http::field::host]) : std::string();
    version_ = 11;
    act(sh_.svc.protocol_error(status, std::move(message), h));
  }

  void act(outcome o) {
    if (o.delay.count() > 0) {
      phase_ = phase::acting;
      const std::uint64_t id = ++arm_id_;
      timer_.expires_after(o.delay);
      auto shared_o = std::make_shared<outcome>(std::move(o));
      timer_.async_wait([self = this->shared_from_this(), id, shared_o](const beast::error_code& ec) {
        if (ec || id != self->arm_id_) return;
        self->perform(std::move(*shared_o));
      });
      return;
    }
    perform(std::move(o));
  }

  void perform(outcome o) {
    switch (o.what) {
      case outcome::action::reset: {
        beast::error_code ignored;
        lowest().socket().set_option(net::socket_base::linger(true, 0), ignored);
        lowest().socket().close(ignored);
        return;
      }
      case outcome::action::stall: return close();
      case outcome::action::respond: break;
    }
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(o.status), version_);
    res->set(http::field::server, "esa-emulator");
    for (const auto& [k, v] : o.headers) res->insert(k, v);
    res->body() = std::move(o.body);
    res->keep_alive(keep_alive_ && !o.close);
    res->prepare_payload();
    arm(phase::writing);
    http::async_write(stream_, *res, [self = this->shared_from_this(), res](const beast::error_code& ec, std::size_t) {
      self->disarm();
      if (ec) return self->close();
      if (!res->keep_alive()) return self->linger_close();
      self->do_read();
    });
  }

  /// Closing a socket that still has unread input makes the kernel send RST, and a client may then
  /// lose the answer it has not read yet (a 413 sent before the body arrived). So: stop sending,
  /// discard input for a moment (until the peer closes), then close.
  void linger_close() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    arm(phase::writing, std::chrono::milliseconds(1000));
    drain();
  }

  void drain() {
    auto buf = std::make_shared<std::array<char, 8192>>();
    lowest().socket().async_read_some(net::buffer(*buf), [self = this->shared_from_this(), buf](const beast::error_code& ec, std::size_t) {
      if (ec) return self->close();
      self->drain();
    });
  }

  void close() {
    disarm();
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }

  shared& sh_;
  Stream stream_;
  net::steady_timer timer_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  phase phase_ = phase::idle;
  std::uint64_t arm_id_ = 0;
  bool timed_out_ = false;
  bool keep_alive_ = true;
  unsigned version_ = 11;
};

}  // namespace detail::srv

class server {
 public:
  /// Binds at once (so port() is known before start()); throws std::runtime_error with the reason.
  server(service& svc, const config& cfg)
      : shared_{svc, cfg.header_timeout, cfg.max_body, cfg.max_header},
        threads_wanted_(std::max(1u, cfg.threads)),
        max_connections_(cfg.max_connections),
        host_(cfg.listen_host) {
    namespace net = boost::asio;
    if (cfg.tls) setup_tls(cfg);
    net::ip::tcp::endpoint ep;
    boost::system::error_code ec;
    const auto addr = net::ip::make_address(cfg.listen_host, ec);
    if (!ec) {
      ep = {addr, cfg.port};
    } else {
      net::ip::tcp::resolver resolver(ioc_);
      auto results = resolver.resolve(cfg.listen_host, std::to_string(cfg.port), ec);
      if (ec || results.empty())
        throw std::runtime_error("--listen " + cfg.listen_host + ": cannot resolve the host (" + ec.message() + ")");
      ep = results.begin()->endpoint();
    }
    auto check = [&](const char* what) {
      if (ec)
        throw std::runtime_error("cannot listen on " + cfg.listen_host + ":" + std::to_string(cfg.port) + ": " + what +
                                 ": " + ec.message());
    };
    acceptor_.open(ep.protocol(), ec);
    check("open");
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    check("SO_REUSEADDR");
    acceptor_.bind(ep, ec);
    check("bind");
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    check("listen");
    port_ = acceptor_.local_endpoint().port();
  }

  ~server() { stop(); }
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  std::uint16_t port() const { return port_; }
  bool tls() const { return ssl_.has_value(); }
  /// e.g. https://127.0.0.1:8443 (IPv6 hosts in brackets).
  std::string url() const {
    const std::string host = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
    return std::string(tls() ? "https" : "http") + "://" + host + ":" + std::to_string(port_);
  }
  /// The generated CA (PEM) when TLS runs on a self-signed certificate; empty otherwise.
  const std::string& ca_pem() const { return ca_pem_; }
  std::size_t active_connections() const { return shared_.active.load(); }

  void start() {
    if (started_.exchange(true)) return;
    do_accept();
    for (unsigned i = 0; i < threads_wanted_; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }

  /// Stops accepting and abandons every connection (in-flight requests are not answered).
  void stop() {
    if (stopped_.exchange(true)) return;
    ioc_.stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  void setup_tls(const config& cfg) {
    namespace net = boost::asio;
    ssl_.emplace(net::ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(ssl_->native_handle(), TLS1_2_VERSION);
    std::string cert, key;
    if (!cfg.cert_file.empty() || !cfg.key_file.empty()) {
      if (cfg.cert_file.empty() || cfg.key_file.empty())
        throw std::runtime_error("--cert and --key must be given together");
      cert = detail::srv::read_file(cfg.cert_file, "--cert");
      key = detail::srv::read_file(cfg.key_file, "--key");
    } else {
      pem_pair p = make_self_signed({cfg.listen_host});
      cert = std::move(p.cert_pem);
      key = std::move(p.key_pem);
      ca_pem_ = std::move(p.ca_pem);
    }
    boost::system::error_code ec;
    ssl_->use_certificate_chain(net::buffer(cert), ec);
    if (ec) throw std::runtime_error("TLS certificate chain is not usable PEM: " + ec.message());
    ssl_->use_private_key(net::buffer(key), net::ssl::context::pem, ec);
    if (ec) throw std::runtime_error("TLS private key is not usable PEM (or does not match the certificate): " + ec.message());
  }

  void do_accept() {
    namespace net = boost::asio;
    acceptor_.async_accept(net::make_strand(ioc_), [this](const boost::system::error_code& ec, net::ip::tcp::socket sock) {
      if (ec) {
        if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
        return do_accept();  // e.g. EMFILE: keep serving the connections we have
      }
      if (shared_.active.load() >= max_connections_) {
        boost::system::error_code ignored;
        sock.close(ignored);
        return do_accept();
      }
      boost::system::error_code pec;
      const auto remote = sock.remote_endpoint(pec);
      std::string peer = pec ? std::string("-") : remote.address().to_string() + ":" + std::to_string(remote.port());
      sock.set_option(net::ip::tcp::no_delay(true), pec);
      if (ssl_) {
        std::make_shared<detail::srv::session<boost::beast::ssl_stream<boost::beast::tcp_stream>>>(
            shared_, std::move(peer), std::move(sock), *ssl_)
            ->start();
      } else {
        std::make_shared<detail::srv::session<boost::beast::tcp_stream>>(shared_, std::move(peer), std::move(sock))->start();
      }
      do_accept();
    });
  }

  detail::srv::shared shared_;
  unsigned threads_wanted_;
  std::size_t max_connections_;
  std::string host_;
  std::optional<boost::asio::ssl::context> ssl_;
  std::string ca_pem_;
  // Destroyed before the TLS context and the shared block that pending handlers refer to.
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_{ioc_};
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace esa_emulator
