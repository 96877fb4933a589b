#pragma once
// The transport seam: plain HTTP request/response values and an abstract transport that maps one to
// the other. The client is written against this header only, so Beast, Asio and OpenSSL stay out of
// every translation unit that merely builds or inspects requests (they cost 10-20 s per TU), and
// users can substitute a fake or a recorder in their tests.

#include <alicloud/core/error.hpp>
#include <alicloud/core/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace alicloud::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// ASCII case-insensitive equality, as header names and host names compare.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

/// First value of a header in a list, or an empty view when absent.
inline std::string_view find_header(const header_list& headers, std::string_view name) noexcept {
  for (const auto& h : headers)
    if (iequals(h.first, name)) return h.second;
  return {};
}

inline bool has_header(const header_list& headers, std::string_view name) noexcept {
  for (const auto& h : headers)
    if (iequals(h.first, name)) return true;
  return false;
}

struct request {
  std::string method = "GET";
  std::string scheme = "https";  ///< "https" or "http"
  std::string host;              ///< DNS name or IP literal; IPv6 with or without brackets
  std::uint16_t port = 0;        ///< 0 means the scheme's default (443 / 80)
  std::string target = "/";      ///< origin-form path and query, sent verbatim (already encoded)
  header_list headers;           ///< Host, Content-Length and User-Agent are added when absent
  std::string body;

  std::uint16_t effective_port() const noexcept {
    if (port != 0) return port;
    return scheme == "http" ? std::uint16_t{80} : std::uint16_t{443};
  }
  std::string_view header(std::string_view name) const noexcept { return find_header(headers, name); }
};

struct response {
  int status = 0;
  header_list headers;  ///< in wire order, names as received
  std::string body;

  /// Case-insensitive lookup of the first value; empty when absent.
  std::string_view header(std::string_view name) const noexcept { return find_header(headers, name); }
};

/// Per-call limits. A zero duration disables that timeout.
struct request_options {
  /// Bounds name resolution, TCP connect, the proxy CONNECT exchange and the TLS handshake, each.
  std::chrono::milliseconds connect_timeout{5000};
  /// Bounds writing the request and then receiving the whole response.
  std::chrono::milliseconds read_timeout{10000};
  /// Deadline for the whole send(), reconnects included.
  std::chrono::milliseconds total_timeout{30000};
  std::size_t max_response_body = std::size_t{8} * 1024 * 1024;
  std::size_t max_request_body = std::size_t{8} * 1024 * 1024;
  /// When a reused keep-alive connection dies after the request was written but before any response
  /// byte arrived, the server most likely closed it while idle, yet it may have seen the request.
  /// Resending once is right for idempotent requests; the client clears this for the others, and the
  /// failure is then reported as read_failed/write_failed (maybe sent) for its retry policy to judge.
  bool resend_on_stale_connection = true;
};

/// Fine-grained transport failures. The grouping matters to retries: the first group proves the
/// request never left this process (or never reached the target server), so even a non-idempotent
/// operation may be retried; the second group may have reached the server.
enum class errc : int {
  // never sent
  invalid_request = 1,   ///< malformed request or options (bad scheme, CR/LF in a header, body over limit)
  invalid_config,        ///< transport options unusable (CA file missing, bad proxy URL)
  insecure_refused,      ///< plain http:// to a non-loopback host without allow_insecure_http
  resolve_failed,        ///< host name did not resolve
  connect_failed,        ///< TCP connect to the target failed
  proxy_failed,          ///< proxy unreachable or refused the tunnel
  tls_handshake_failed,  ///< TLS handshake or certificate verification failed
  timeout_before_send,   ///< a deadline passed before any request byte was written
  // maybe sent
  write_failed,          ///< connection failed while writing the request
  read_failed,           ///< connection failed while waiting for or reading the response
  timeout_after_send,    ///< a deadline passed after the request (or part of it) was written
  body_too_large,        ///< response body exceeded request_options::max_response_body
  bad_response,          ///< the bytes received were not a valid HTTP/1.1 response
};

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "alicloud.http"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::invalid_request: return "invalid HTTP request";
      case errc::invalid_config: return "invalid transport configuration";
      case errc::insecure_refused: return "plain HTTP refused for a non-loopback host";
      case errc::resolve_failed: return "host name resolution failed";
      case errc::connect_failed: return "connection failed";
      case errc::proxy_failed: return "proxy failed";
      case errc::tls_handshake_failed: return "TLS handshake failed";
      case errc::timeout_before_send: return "timed out before the request was sent";
      case errc::write_failed: return "sending the request failed";
      case errc::read_failed: return "receiving the response failed";
      case errc::timeout_after_send: return "timed out waiting for the response";
      case errc::body_too_large: return "response body too large";
      case errc::bad_response: return "malformed HTTP response";
    }
    return "unknown transport error";
  }
  /// Maps onto the library's coarse codes so generic code can ask "timeout or transport?" with
  /// `ec.default_error_condition()` (see coarse_code()).
  std::error_condition default_error_condition(int ev) const noexcept override {
    const auto e = static_cast<errc>(ev);
    const auto coarse = (e == errc::timeout_before_send || e == errc::timeout_after_send) ? alicloud::errc::timeout
                                                                                        : alicloud::errc::transport;
    return {static_cast<int>(coarse), alicloud::library_category()};
  }
};

inline const std::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

inline alicloud::error make_error(errc e, std::string message) {
  return alicloud::error(make_error_code(e), std::move(message));
}

/// True when the failure is one of ours (category "alicloud.http").
inline bool is_transport_error(const alicloud::error& e) noexcept { return e.code.category() == category(); }

/// alicloud::errc::timeout for the timeout codes, alicloud::errc::transport for the other transport
/// codes; the code itself when it is already a library code; alicloud::errc::transport otherwise.
inline alicloud::errc coarse_code(const std::error_code& ec) noexcept {
  if (ec.category() == alicloud::library_category()) return static_cast<alicloud::errc>(ec.value());
  const auto cond = ec.default_error_condition();
  if (cond.category() == alicloud::library_category()) return static_cast<alicloud::errc>(cond.value());
  return alicloud::errc::transport;
}

inline bool is_timeout(const alicloud::error& e) noexcept { return coarse_code(e.code) == alicloud::errc::timeout; }

/// True only when the request provably never reached the target server, so resending it cannot
/// duplicate a side effect. Any other failure (including errors from other categories) is "maybe sent".
inline bool never_sent(const alicloud::error& e) noexcept {
  if (!is_transport_error(e)) return false;
  switch (static_cast<errc>(e.code.value())) {
    case errc::invalid_request:
    case errc::invalid_config:
    case errc::insecure_refused:
    case errc::resolve_failed:
    case errc::connect_failed:
    case errc::proxy_failed:
    case errc::tls_handshake_failed:
    case errc::timeout_before_send: return true;
    default: return false;
  }
}

/// Maps an HTTP request to a response. Implementations must allow concurrent send() calls.
/// A non-2xx status is a successful send: only failures to obtain a response are errors.
class transport {
 public:
  virtual ~transport() = default;

  virtual result<response> send(const request& req, const request_options& opts) = 0;

  /// Completion-callback form. The default completes inline on the calling thread, so a transport
  /// never starts threads behind the caller's back; an implementation with its own event loop may
  /// complete later on one of its threads.
  virtual void async_send(const request& req, const request_options& opts,
                          std::function<void(result<response>)> done) {
    done(send(req, opts));
  }
};

}  // namespace alicloud::http

template <>
struct std::is_error_code_enum<alicloud::http::errc> : std::true_type {};
