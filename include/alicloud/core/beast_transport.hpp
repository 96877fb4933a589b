#pragma once
// The production transport: HTTP/1.1 over Boost.Beast and Asio, TLS through OpenSSL.
//
// Include this in the few translation units that construct a transport; everything else should see
// only <alicloud/core/http.hpp> (a TU with Beast + Asio SSL costs 10-20 s to compile).
//
// Design points:
// - Blocking send() runs asynchronous operations on an io_context owned by the connection, because
//   Beast timeouts exist only for asynchronous operations. A pooled connection keeps its own
//   io_context (sockets cannot move between contexts), so concurrent sends never share an event loop
//   and no thread is ever started behind the caller's back.
// - Keep-alive pool per (scheme, host, port), bounded; idle connections are probed for a peer close
//   before reuse, and a reused connection that dies before any response byte is resent once on a
//   fresh connection.
// - Errors use the alicloud.http category (http.hpp) so retries can tell "never sent" from "maybe".

#include <alicloud/core/error.hpp>
#include <alicloud/core/http.hpp>
#include <alicloud/core/result.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace alicloud::http {

struct beast_transport_options {
  /// Extra trust anchors: a PEM file and/or an OpenSSL hashed directory (c_rehash layout).
  std::string ca_file;
  std::string ca_dir;
  /// Trust the operating system's store as well as ca_file/ca_dir.
  bool use_system_trust_store = true;
  /// Certificate chain and host-name verification. Turning it off makes TLS worthless against an
  /// active attacker; it exists for debugging only.
  bool verify = true;
  /// Plain http:// is refused unless the host is loopback (127.0.0.0/8, ::1, localhost) or this is set.
  bool allow_insecure_http = false;
  /// Proxy URL ("http://[user:pass@]host:port") for every target. nullopt: HTTPS_PROXY / https_proxy
  /// for https targets and HTTP_PROXY / http_proxy for http targets. An empty string: no proxy.
  std::optional<std::string> proxy;
  /// Comma-separated hosts that bypass the proxy. nullopt: NO_PROXY / no_proxy. An entry matches the
  /// host exactly (case-insensitive; Alibaba's rule) or, for names, as a domain suffix at a label
  /// boundary ("example.com" and ".example.com" both match "a.example.com"; curl's rule); IP literals
  /// match only exactly; "*" disables proxying.
  std::optional<std::string> no_proxy;
  /// Idle keep-alive connections kept per (scheme, host, port). Concurrent sends beyond this open
  /// extra connections, closed after use instead of pooled.
  std::size_t max_connections_per_host = 8;
  /// Pooled connections idle longer than this are closed instead of reused (servers drop idle
  /// connections; a shorter client limit avoids most races with that).
  std::chrono::milliseconds idle_timeout{30000};
  /// Sent when the request carries no User-Agent header; empty to send none.
  std::string user_agent = "alicloud-cpp";
};

/// Counters since construction, for monitoring and for tests that assert connection reuse.
struct transport_stats {
  std::uint64_t connections_opened = 0;  ///< TCP connections established (to the target or a proxy)
  std::uint64_t tls_handshakes = 0;      ///< successful TLS handshakes
  std::uint64_t connections_reused = 0;  ///< sends that started on a pooled connection
  std::uint64_t stale_discarded = 0;     ///< pooled connections found closed by the peer before use
  std::uint64_t stale_resends = 0;       ///< requests resent after a reused connection died
};

namespace detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using steady = std::chrono::steady_clock;

inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

inline std::string trim(std::string_view s) {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return std::string(s);
}

inline std::string base64(std::string_view in) {
  static constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += tbl[v & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

/// RFC 7230 tchar, the alphabet of methods and header names.
inline bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

inline bool has_ctl_or_space(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

/// Host without IPv6 brackets.
inline std::string bare_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::string(host);
}

inline std::optional<net::ip::address> ip_literal(const std::string& bare) {
  boost::system::error_code ec;
  auto a = net::ip::make_address(bare, ec);
  if (ec) return std::nullopt;
  return a;
}

inline bool is_loopback_host(const std::string& bare) {
  if (iequals(bare, "localhost")) return true;
  const auto ip = ip_literal(bare);
  return ip && ip->is_loopback();
}

/// host[:port] as it appears in a Host header or a CONNECT target.
inline std::string authority(const std::string& bare, std::uint16_t port, bool include_port) {
  std::string a = bare.find(':') != std::string::npos ? "[" + bare + "]" : bare;
  if (include_port) a += ":" + std::to_string(port);
  return a;
}

struct proxy_config {
  std::string host;           ///< bare
  std::uint16_t port = 0;
  std::string authorization;  ///< "Basic …" or empty; a secret, never printed
  std::string display;        ///< host:port, safe for messages (no userinfo)
};

/// Parses "http://[user[:pass]@]host[:port][/]" or "host:port". `source` names the option or
/// environment variable for error messages; the URL itself is never echoed (it may hold a password).
inline result<proxy_config> parse_proxy(std::string_view text, std::string_view source) {
  std::string s = trim(text);
  if (s.find("://") == std::string::npos) s = "http://" + s;
  auto u = boost::urls::parse_uri(s);
  auto fail = [&](const std::string& why) {
    return make_error(errc::invalid_config, std::string(source) + ": " + why);
  };
  if (!u) return fail("not a valid proxy URL");
  if (to_lower(u->scheme()) != "http") return fail("only http:// proxies are supported (got scheme '" +
                                                   std::string(u->scheme()) + "')");
  proxy_config p;
  p.host = u->host_address();
  if (p.host.empty()) return fail("proxy URL has no host");
  if (u->has_port()) {
    if (u->port_number() == 0) return fail("proxy port must be 1-65535");
    p.port = u->port_number();
  } else {
    p.port = 80;
  }
  if (u->has_userinfo()) p.authorization = "Basic " + base64(u->user() + ":" + u->password());
  p.display = authority(p.host, p.port, true);
  return p;
}

inline std::optional<std::string> env(const char* upper, const char* lower) {
  for (const char* name : {upper, lower})
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') return std::string(v);
  return std::nullopt;
}

/// One keep-alive connection with its private event loop.
struct connection {
  // Declared first so it is destroyed last: the streams deregister from its reactor on destruction.
  std::unique_ptr<net::io_context> ioc = std::make_unique<net::io_context>(1);
  std::optional<beast::tcp_stream> tcp;                   // plain http (direct or to a proxy)
  std::optional<net::ssl::stream<beast::tcp_stream>> tls;  // https (direct or through a CONNECT tunnel)
  beast::flat_buffer buffer;
  steady::time_point idle_since{};
  bool reused = false;
  std::string peer;  ///< host:port of the target, for messages

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *tcp; }

  /// Runs one asynchronous operation to completion on the private loop.
  template <class Start>
  beast::error_code run(Start&& start, std::size_t* transferred = nullptr) {
    beast::error_code result = net::error::would_block;
    std::size_t n = 0;
    start(completion{&result, &n});
    ioc->restart();
    ioc->run();
    if (transferred) *transferred = n;
    return result;
  }

 private:
  struct completion {
    beast::error_code* ec;
    std::size_t* n;
    void operator()(beast::error_code e) const { *ec = e; }
    void operator()(beast::error_code e, std::size_t k) const {
      *ec = e;
      *n = k;
    }
    void operator()(beast::error_code e, const tcp::endpoint&) const { *ec = e; }
  };
};

/// The per-call time budget: each phase gets min(its own timeout, what is left of the total).
class budget {
 public:
  explicit budget(const request_options& o) : opts_(o), start_(steady::now()) {}

  struct slice {
    std::optional<steady::time_point> expiry;  ///< nullopt: no limit
    bool total_bound = false;                  ///< the total deadline, not the phase timeout, limits it
    bool exhausted = false;                    ///< the total deadline already passed
  };

  slice phase(std::chrono::milliseconds phase_timeout) const {
    slice s;
    const auto now = steady::now();
    if (phase_timeout.count() > 0) s.expiry = now + phase_timeout;
    if (opts_.total_timeout.count() > 0) {
      const auto end = start_ + opts_.total_timeout;
      if (end <= now) s.exhausted = true;
      if (!s.expiry || end < *s.expiry) {
        s.expiry = end;
        s.total_bound = true;
      }
    }
    return s;
  }

  std::string describe(const slice& s, std::string_view what, std::chrono::milliseconds phase_timeout) const {
    if (s.total_bound)
      return "total timeout of " + std::to_string(opts_.total_timeout.count()) + " ms passed while " +
             std::string(what);
    return std::string(what) + " timed out after " + std::to_string(phase_timeout.count()) + " ms";
  }

 private:
  const request_options& opts_;
  steady::time_point start_;
};

inline void apply(beast::tcp_stream& s, const budget::slice& sl) {
  if (sl.expiry)
    s.expires_at(*sl.expiry);
  else
    s.expires_never();
}

/// The peer closed (or reset) a connection that carried no response bytes: what a server that drops
/// idle keep-alive connections looks like from the client side.
inline bool is_peer_close(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::connection_aborted || ec == net::error::broken_pipe ||
         ec == net::ssl::error::stream_truncated || ec == net::error::not_connected;
}

inline std::string tls_failure_detail(net::ssl::stream<beast::tcp_stream>& s, const beast::error_code& ec) {
  std::string msg = ec.message();
  const long v = SSL_get_verify_result(s.native_handle());
  if (v != X509_V_OK) msg += ": " + std::string(X509_verify_cert_error_string(v));
  return msg;
}

}  // namespace detail

class beast_transport final : public transport {
 public:
  /// Throws alicloud::exception (code http::errc::invalid_config) when a CA path cannot be loaded or
  /// a proxy URL (explicit or from the environment) is malformed. The environment is read here once,
  /// not per call, so behaviour does not change under a running program.
  explicit beast_transport(beast_transport_options options = {})
      : opts_(std::move(options)), ctx_(detail::net::ssl::context::tls_client) {
    configure_tls();
    configure_proxy();
  }

  beast_transport(const beast_transport&) = delete;
  beast_transport& operator=(const beast_transport&) = delete;
  ~beast_transport() override = default;

  result<response> send(const request& req, const request_options& opts) override {
    detail::budget budget(opts);
    auto target = validate(req, opts);
    if (!target.ok()) return std::move(target.error());
    const endpoint_info& ep = *target;

    auto beast_req = build_request(req, ep);
    const bool head = iequals(req.method, "HEAD");
    const bool caller_wants_close = iequals(req.header("Connection"), "close");

    for (int attempt = 0;; ++attempt) {
      std::unique_ptr<detail::connection> conn = attempt == 0 ? acquire(ep.pool_key) : nullptr;
      if (conn) {
        conn->reused = true;
        ++connections_reused_;
      } else {
        auto fresh = connect(ep, opts, budget);
        if (!fresh.ok()) return std::move(fresh.error());
        conn = std::move(*fresh);
      }

      exchange_outcome out = exchange(*conn, beast_req, head, opts, budget);
      if (out.res) {
        const bool keep = out.keep_alive && !caller_wants_close;
        if (keep)
          release(ep.pool_key, std::move(conn));
        else
          close(*conn, budget, true);
        return std::move(*out.res);
      }

      const bool stale = conn->reused && out.peer_closed_silently;
      close(*conn, budget, false);
      if (stale && attempt == 0 && (out.nothing_written || opts.resend_on_stale_connection)) {
        ++stale_resends_;
        continue;
      }
      return std::move(*out.err);
    }
  }

  transport_stats stats() const {
    transport_stats s;
    s.connections_opened = connections_opened_.load();
    s.tls_handshakes = tls_handshakes_.load();
    s.connections_reused = connections_reused_.load();
    s.stale_discarded = stale_discarded_.load();
    s.stale_resends = stale_resends_.load();
    return s;
  }

  /// Idle pooled connections across all hosts.
  std::size_t idle_connections() const {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    std::size_t n = 0;
    for (const auto& kv : pool_) n += kv.second.size();
    return n;
  }

  /// Closes every idle connection (e.g. after a network change).
  void close_idle() {
    std::map<std::string, std::vector<std::unique_ptr<detail::connection>>> drop;
    {
      std::lock_guard<std::mutex> lock(pool_mutex_);
      drop.swap(pool_);
    }
  }

  const beast_transport_options& options() const noexcept { return opts_; }

 private:
  using connection_ptr = std::unique_ptr<detail::connection>;

  struct endpoint_info {
    bool tls = true;
    std::string host;  ///< bare (no brackets), lower-case
    std::uint16_t port = 0;
    std::string pool_key;
    std::string display;  ///< host:port for messages
    const detail::proxy_config* proxy = nullptr;
  };

  struct exchange_outcome {
    std::optional<response> res;
    std::optional<alicloud::error> err;
    bool keep_alive = false;
    bool peer_closed_silently = false;  ///< peer closed before any response byte
    bool nothing_written = false;       ///< not one request byte was accepted by the socket
  };

  void configure_tls() {
    SSL_CTX* native = ctx_.native_handle();
    // tls_client + a floor keeps TLS 1.3 available; tlsv12_client would also cap the maximum at 1.2.
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (!opts_.verify) {
      ctx_.set_verify_mode(detail::net::ssl::verify_none);
      return;
    }
    boost::system::error_code ec;
    // A host without a system store still works with ca_file/ca_dir, so a failure here is not fatal.
    if (opts_.use_system_trust_store) ctx_.set_default_verify_paths(ec);
    if (!opts_.ca_file.empty()) {
      ctx_.load_verify_file(opts_.ca_file, ec);
      if (ec) throw_config("ca_file: cannot load CA certificates from '" + opts_.ca_file + "': " + ec.message());
    }
    if (!opts_.ca_dir.empty()) {
      std::error_code fs_ec;
      if (!std::filesystem::is_directory(opts_.ca_dir, fs_ec))
        throw_config("ca_dir: '" + opts_.ca_dir + "' is not a directory");
      ctx_.add_verify_path(opts_.ca_dir, ec);
      if (ec) throw_config("ca_dir: cannot use '" + opts_.ca_dir + "': " + ec.message());
    }
    ctx_.set_verify_mode(detail::net::ssl::verify_peer);
  }

  void configure_proxy() {
    auto load = [](const std::optional<std::string>& text, const char* source) -> std::optional<detail::proxy_config> {
      if (!text || detail::trim(*text).empty()) return std::nullopt;
      auto p = detail::parse_proxy(*text, source);
      if (!p.ok()) throw alicloud::exception(p.error());
      return *p;
    };
    if (opts_.proxy) {
      https_proxy_ = load(opts_.proxy, "proxy");
      http_proxy_ = https_proxy_;
    } else {
      https_proxy_ = load(detail::env("HTTPS_PROXY", "https_proxy"), "HTTPS_PROXY");
      http_proxy_ = load(detail::env("HTTP_PROXY", "http_proxy"), "HTTP_PROXY");
    }
    const auto list = opts_.no_proxy ? opts_.no_proxy : detail::env("NO_PROXY", "no_proxy");
    if (list) {
      std::string_view rest = *list;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        auto item = detail::to_lower(detail::trim(rest.substr(0, comma)));
        if (!item.empty() && item.front() == '.') item.erase(0, 1);
        item = detail::bare_host(item);
        if (!item.empty()) no_proxy_.push_back(std::move(item));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
  }

  [[noreturn]] static void throw_config(std::string msg) {
    throw alicloud::exception(make_error(errc::invalid_config, std::move(msg)));
  }

  bool bypass_proxy(const std::string& host) const {
    const bool is_ip = detail::ip_literal(host).has_value();
    for (const auto& entry : no_proxy_) {
      if (entry == "*" || entry == host) return true;
      // Domain-suffix matching only makes sense for names: "0.0.1" must not match "127.0.0.1".
      if (!is_ip && host.size() > entry.size() && host.compare(host.size() - entry.size(), entry.size(), entry) == 0 &&
          host[host.size() - entry.size() - 1] == '.')
        return true;
    }
    return false;
  }

  result<endpoint_info> validate(const request& req, const request_options& opts) const {
    auto bad = [](std::string msg) { return make_error(errc::invalid_request, std::move(msg)); };
    endpoint_info ep;
    const auto scheme = detail::to_lower(req.scheme);
    if (scheme == "https")
      ep.tls = true;
    else if (scheme == "http")
      ep.tls = false;
    else
      return bad("request.scheme: must be \"https\" or \"http\", got \"" + req.scheme + "\"");
    ep.host = detail::to_lower(detail::bare_host(req.host));
    if (ep.host.empty()) return bad("request.host: must not be empty");
    if (detail::has_ctl_or_space(ep.host) || ep.host.find_first_of("/?#@\\[]") != std::string::npos)
      return bad("request.host: contains a character not allowed in a host name");
    if (!detail::is_token(req.method)) return bad("request.method: must be an HTTP token such as GET or POST");
    if (req.target.empty() || req.target.front() != '/' || detail::has_ctl_or_space(req.target))
      return bad("request.target: must be an origin-form path starting with '/' without spaces or control characters");
    for (const auto& [name, value] : req.headers) {
      if (!detail::is_token(name)) return bad("request.headers: invalid header name \"" + name + "\"");
      if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
        return bad("request.headers: value of \"" + name + "\" contains CR, LF or NUL");
    }
    if (req.body.size() > opts.max_request_body)
      return bad("request.body: " + std::to_string(req.body.size()) + " bytes exceeds request_options.max_request_body (" +
                 std::to_string(opts.max_request_body) + ")");
    ep.port = req.effective_port();
    ep.display = detail::authority(ep.host, ep.port, true);
    if (!ep.tls && !opts_.allow_insecure_http && !detail::is_loopback_host(ep.host))
      return make_error(errc::insecure_refused,
                        "plain http:// to " + ep.display +
                            " refused: only loopback hosts may use it unless allow_insecure_http is set");
    const auto& proxy = ep.tls ? https_proxy_ : http_proxy_;
    if (proxy && !bypass_proxy(ep.host)) ep.proxy = &*proxy;
    ep.pool_key = scheme + "://" + ep.display;
    return ep;
  }

  detail::bhttp::request<detail::bhttp::string_body> build_request(const request& req, const endpoint_info& ep) const {
    namespace bhttp = detail::bhttp;
    bhttp::request<bhttp::string_body> r;
    r.version(11);
    r.method_string(req.method);
    const std::uint16_t default_port = ep.tls ? 443 : 80;
    const auto host_header = detail::authority(ep.host, ep.port, ep.port != default_port);
    // Through a proxy, plain http uses the absolute form so the proxy knows where to forward.
    r.target(ep.proxy && !ep.tls ? "http://" + host_header + req.target : req.target);
    if (!has_header(req.headers, "Host")) r.set(bhttp::field::host, host_header);
    if (!opts_.user_agent.empty() && !has_header(req.headers, "User-Agent"))
      r.set(bhttp::field::user_agent, opts_.user_agent);
    if (ep.proxy && !ep.tls && !ep.proxy->authorization.empty())
      r.set(bhttp::field::proxy_authorization, ep.proxy->authorization);
    for (const auto& [name, value] : req.headers) {
      // Framing is ours: a caller-supplied length that disagreed with the body would desynchronise
      // the connection for every later request on it.
      if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding")) continue;
      r.insert(name, value);
    }
    if (!has_header(req.headers, "Connection")) r.keep_alive(true);
    r.body() = req.body;
    r.prepare_payload();
    return r;
  }

  // ---- pool ----

  connection_ptr acquire(const std::string& key) {
    for (;;) {
      connection_ptr c;
      {
        std::lock_guard<std::mutex> lock(pool_mutex_);
        auto it = pool_.find(key);
        if (it == pool_.end() || it->second.empty()) return nullptr;
        c = std::move(it->second.back());  // most recently used: least likely to have been dropped
        it->second.pop_back();
      }
      const bool expired = opts_.idle_timeout.count() > 0 &&
                           detail::steady::now() - c->idle_since > opts_.idle_timeout;
      if (!expired && still_open(*c)) return c;
      if (!expired) ++stale_discarded_;
      // c is closed by its destructor, outside the lock.
    }
  }

  void release(const std::string& key, connection_ptr c) {
    c->idle_since = detail::steady::now();
    std::lock_guard<std::mutex> lock(pool_mutex_);
    auto& slot = pool_[key];
    if (slot.size() < opts_.max_connections_per_host) slot.push_back(std::move(c));
    // else: destroyed here, closing the socket; the pool stays bounded.
  }

  /// A non-blocking peek: an idle HTTP/1.1 connection must have nothing to read. EOF or a reset means
  /// the server closed it; unexpected bytes (e.g. a TLS close_notify) mean it is about to.
  static bool still_open(detail::connection& c) {
    namespace net = detail::net;
    if (c.buffer.size() != 0) return false;
    auto& sock = c.lowest().socket();
    if (!sock.is_open()) return false;
    boost::system::error_code ec;
    sock.non_blocking(true, ec);
    if (ec) return false;
    char byte = 0;
    sock.receive(net::buffer(&byte, 1), detail::tcp::socket::message_peek, ec);
    boost::system::error_code ignored;
    sock.non_blocking(false, ignored);
    return ec == net::error::would_block || ec == net::error::try_again;
  }

  // ---- connect ----

  result<connection_ptr> connect(const endpoint_info& ep, const request_options& opts, const detail::budget& budget) {
    namespace net = detail::net;
    namespace bhttp = detail::bhttp;
    auto c = std::make_unique<detail::connection>();
    c->peer = ep.display;
    const bool via_proxy = ep.proxy != nullptr;
    const std::string& dial_host = via_proxy ? ep.proxy->host : ep.host;
    const std::uint16_t dial_port = via_proxy ? ep.proxy->port : ep.port;
    const std::string dial_display = via_proxy ? "proxy " + ep.proxy->display : ep.display;
    const errc dial_failed = via_proxy ? errc::proxy_failed : errc::connect_failed;

    auto slice = budget.phase(opts.connect_timeout);
    if (slice.exhausted)
      return make_error(errc::timeout_before_send, budget.describe(slice, "connecting to " + dial_display, opts.connect_timeout));

    // Resolution is synchronous (getaddrinfo has no portable cancellation and Asio's asynchronous
    // resolver would start a thread); IP literals skip it.
    std::vector<detail::tcp::endpoint> endpoints;
    if (auto ip = detail::ip_literal(dial_host)) {
      endpoints.emplace_back(*ip, dial_port);
    } else {
      detail::tcp::resolver resolver(*c->ioc);
      boost::system::error_code ec;
      auto results = resolver.resolve(dial_host, std::to_string(dial_port), ec);
      if (ec)
        return make_error(via_proxy ? errc::proxy_failed : errc::resolve_failed,
                          "cannot resolve " + dial_display + ": " + ec.message());
      const bool loopback_only = !via_proxy && !ep.tls && !opts_.allow_insecure_http;
      for (const auto& r : results) {
        // "localhost" earned plain http by being loopback; never let a resolver make it otherwise.
        if (loopback_only && !r.endpoint().address().is_loopback()) continue;
        endpoints.push_back(r.endpoint());
      }
      if (endpoints.empty())
        return make_error(errc::insecure_refused, "plain http:// to " + ep.display + " refused: it does not resolve to loopback");
    }

    c->tcp.emplace(*c->ioc);
    detail::apply(*c->tcp, slice);
    auto ec = c->run([&](auto handler) { c->tcp->async_connect(endpoints, std::move(handler)); });
    if (ec == detail::beast::error::timeout)
      return make_error(errc::timeout_before_send,
                        budget.describe(slice, "connecting to " + dial_display, opts.connect_timeout));
    if (ec) return make_error(dial_failed, "connect to " + dial_display + " failed: " + ec.message());
    ++connections_opened_;
    boost::system::error_code ignored;
    c->tcp->socket().set_option(detail::tcp::no_delay(true), ignored);

    if (via_proxy && ep.tls) {
      if (auto err = open_tunnel(*c, ep, opts, budget)) return std::move(*err);
    }

    if (ep.tls) {
      c->tls.emplace(std::move(*c->tcp), ctx_);
      c->tcp.reset();
      SSL* ssl = c->tls->native_handle();
      const bool is_ip = detail::ip_literal(ep.host).has_value();
      // SNI must not carry an IP literal (RFC 6066 §3).
      if (!is_ip && SSL_set_tlsext_host_name(ssl, ep.host.c_str()) != 1)
        return make_error(errc::tls_handshake_failed, "cannot set SNI for " + ep.display);
      if (opts_.verify) {
        // OpenSSL's own check names the failure ("hostname mismatch"); the Asio callback is the
        // RFC 6125 check the Beast documentation prescribes. Both must pass.
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        const int set_ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, ep.host.c_str())
                                 : X509_VERIFY_PARAM_set1_host(param, ep.host.c_str(), 0);
        if (set_ok != 1) return make_error(errc::tls_handshake_failed, "cannot set host verification for " + ep.display);
        c->tls->set_verify_callback(net::ssl::host_name_verification(ep.host));
      }
      auto hs = budget.phase(opts.connect_timeout);
      if (hs.exhausted)
        return make_error(errc::timeout_before_send, budget.describe(hs, "TLS handshake with " + ep.display, opts.connect_timeout));
      detail::apply(c->lowest(), hs);
      ec = c->run([&](auto handler) { c->tls->async_handshake(net::ssl::stream_base::client, std::move(handler)); });
      if (ec == detail::beast::error::timeout)
        return make_error(errc::timeout_before_send, budget.describe(hs, "TLS handshake with " + ep.display, opts.connect_timeout));
      if (ec)
        return make_error(errc::tls_handshake_failed,
                          "TLS handshake with " + ep.display + " failed: " + detail::tls_failure_detail(*c->tls, ec));
      ++tls_handshakes_;
    }
    return c;
  }

  /// HTTP CONNECT through the proxy; afterwards the TCP stream is a byte pipe to the target.
  std::optional<alicloud::error> open_tunnel(detail::connection& c, const endpoint_info& ep, const request_options& opts,
                                             const detail::budget& budget) {
    namespace bhttp = detail::bhttp;
    const std::string what = "CONNECT " + ep.display + " via proxy " + ep.proxy->display;
    auto slice = budget.phase(opts.connect_timeout);
    if (slice.exhausted) return make_error(errc::timeout_before_send, budget.describe(slice, what, opts.connect_timeout));
    bhttp::request<bhttp::empty_body> req{bhttp::verb::connect, ep.display, 11};
    req.set(bhttp::field::host, ep.display);
    if (!ep.proxy->authorization.empty()) req.set(bhttp::field::proxy_authorization, ep.proxy->authorization);
    if (!opts_.user_agent.empty()) req.set(bhttp::field::user_agent, opts_.user_agent);
    detail::apply(*c.tcp, slice);
    auto ec = c.run([&](auto handler) { bhttp::async_write(*c.tcp, req, std::move(handler)); });
    if (!ec) {
      bhttp::response_parser<bhttp::empty_body> parser;
      // A 2xx to CONNECT has no body whatever its headers say; without skip() the parser would wait
      // for EOF and hang.
      parser.skip(true);
      ec = c.run([&](auto handler) { bhttp::async_read(*c.tcp, c.buffer, parser, std::move(handler)); });
      if (!ec) {
        const unsigned status = parser.get().result_int();
        if (status != 200)
          return make_error(errc::proxy_failed, "proxy " + ep.proxy->display + " refused CONNECT " + ep.display + ": " +
                                                    std::to_string(status) + " " +
                                                    std::string(parser.get().reason()));
        if (c.buffer.size() != 0)
          return make_error(errc::proxy_failed, "proxy " + ep.proxy->display + " sent data before the TLS handshake");
        return std::nullopt;
      }
    }
    if (ec == detail::beast::error::timeout)
      return make_error(errc::timeout_before_send, budget.describe(slice, what, opts.connect_timeout));
    return make_error(errc::proxy_failed, what + " failed: " + ec.message());
  }

  // ---- request/response ----

  template <class F>
  static detail::beast::error_code with_stream(detail::connection& c, F&& f) {
    if (c.tls) return f(*c.tls);
    return f(*c.tcp);
  }

  exchange_outcome exchange(detail::connection& c, detail::bhttp::request<detail::bhttp::string_body>& req, bool head,
                            const request_options& opts, const detail::budget& budget) {
    namespace bhttp = detail::bhttp;
    namespace net = detail::net;
    exchange_outcome out;
    const auto fail = [&](errc e, std::string msg) {
      out.err = make_error(e, std::move(msg));
      return std::move(out);
    };

    auto slice = budget.phase(opts.read_timeout);
    if (slice.exhausted) {
      out.nothing_written = true;
      return fail(errc::timeout_before_send, budget.describe(slice, "sending to " + c.peer, opts.read_timeout));
    }
    detail::apply(c.lowest(), slice);
    std::size_t written = 0;
    auto ec = with_stream(c, [&](auto& s) {
      return c.run([&](auto handler) { bhttp::async_write(s, req, std::move(handler)); }, &written);
    });
    if (ec) {
      out.nothing_written = written == 0;
      out.peer_closed_silently = detail::is_peer_close(ec);
      if (ec == detail::beast::error::timeout)
        return fail(written == 0 ? errc::timeout_before_send : errc::timeout_after_send,
                    budget.describe(slice, "sending the request to " + c.peer, opts.read_timeout));
      return fail(errc::write_failed, "sending the request to " + c.peer + " failed: " + ec.message());
    }

    // 1xx interim responses (other than 101) precede the real one; read past them.
    for (;;) {
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(static_cast<std::uint64_t>(opts.max_response_body));
      parser.header_limit(64 * 1024);
      if (head) parser.skip(true);
      ec = with_stream(c, [&](auto& s) {
        return c.run([&](auto handler) { bhttp::async_read(s, c.buffer, parser, std::move(handler)); });
      });
      if (ec) {
        out.peer_closed_silently = !parser.got_some() && c.buffer.size() == 0 && detail::is_peer_close(ec);
        if (ec == detail::beast::error::timeout)
          return fail(errc::timeout_after_send, budget.describe(slice, "waiting for the response from " + c.peer, opts.read_timeout));
        if (ec == bhttp::error::body_limit)
          return fail(errc::body_too_large, "response body from " + c.peer + " exceeds request_options.max_response_body (" +
                                                std::to_string(opts.max_response_body) + " bytes)");
        if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
            ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
          return fail(errc::bad_response, "malformed HTTP response from " + c.peer + ": " + ec.message());
        if (ec == bhttp::error::partial_message)
          return fail(errc::read_failed, "connection to " + c.peer + " closed in the middle of the response");
        return fail(errc::read_failed, "reading the response from " + c.peer + " failed: " + ec.message());
      }
      auto& msg = parser.get();
      const unsigned status = msg.result_int();
      if (status >= 100 && status < 200 && status != 101) continue;

      response r;
      r.status = static_cast<int>(status);
      r.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
      for (const auto& f : msg) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      r.body = std::move(msg.body());
      out.keep_alive = msg.keep_alive() && !parser.need_eof() && c.buffer.size() == 0;
      out.res = std::move(r);
      return out;
    }
  }

  /// Graceful: send TLS close_notify (bounded wait) so the server sees an orderly close. Errors are
  /// ignored, stream_truncated above all: most servers close TCP without answering close_notify.
  void close(detail::connection& c, const detail::budget& budget, bool graceful) {
    namespace net = detail::net;
    if (graceful && c.tls) {
      auto slice = budget.phase(std::chrono::milliseconds(1000));
      if (!slice.exhausted) {
        detail::apply(c.lowest(), slice);
        (void)c.run([&](auto handler) { c.tls->async_shutdown(std::move(handler)); });
      }
    }
    if (!c.tls && !c.tcp) return;
    boost::system::error_code ignored;
    auto& sock = c.lowest().socket();
    sock.shutdown(detail::tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
  }

  beast_transport_options opts_;
  detail::net::ssl::context ctx_;
  std::optional<detail::proxy_config> https_proxy_;
  std::optional<detail::proxy_config> http_proxy_;
  std::vector<std::string> no_proxy_;

  mutable std::mutex pool_mutex_;
  std::map<std::string, std::vector<connection_ptr>> pool_;

  std::atomic<std::uint64_t> connections_opened_{0};
  std::atomic<std::uint64_t> tls_handshakes_{0};
  std::atomic<std::uint64_t> connections_reused_{0};
  std::atomic<std::uint64_t> stale_discarded_{0};
  std::atomic<std::uint64_t> stale_resends_{0};
};

}  // namespace alicloud::http
