#pragma once
// A minimal blocking HTTP/1.1 client for plain http:// only, implementing http::transport. It
// exists for the credential providers that talk to link-local or loopback services (the ECS
// metadata service at 100.100.100.200, a credentials URI sidecar) without pulling Beast and TLS
// into every TU that resolves credentials. One connection per request (`Connection: close`), Asio
// for timeouts, no TLS, no proxies, no redirects. For https credential URIs pass the client's
// real transport to the providers instead.

#include <alicloud/core/error.hpp>
#include <alicloud/core/http.hpp>
#include <alicloud/core/result.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace alicloud::http {

namespace plain_detail {

inline bool has_crlf(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos; }

inline std::string trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

/// Decodes a chunked body. nullopt: malformed; false: more bytes needed; true: complete.
inline std::optional<bool> decode_chunked(std::string_view data, std::string& out, std::size_t limit) {
  out.clear();
  std::size_t pos = 0;
  for (;;) {
    const auto eol = data.find("\r\n", pos);
    if (eol == std::string_view::npos) return false;
    std::size_t size = 0;
    std::size_t i = pos;
    for (; i < eol && data[i] != ';' && data[i] != ' '; ++i) {
      const char c = data[i];
      int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (v < 0 || size > (limit + 16) * 16) return std::nullopt;
      size = size * 16 + static_cast<std::size_t>(v);
    }
    if (i == pos) return std::nullopt;
    pos = eol + 2;
    if (size == 0) {
      // Trailers (ignored) end with an empty line.
      for (;;) {
        const auto tl = data.find("\r\n", pos);
        if (tl == std::string_view::npos) return false;
        if (tl == pos) return true;
        pos = tl + 2;
      }
    }
    if (out.size() + size > limit) return std::nullopt;
    if (data.size() < pos + size + 2) return false;
    out.append(data.substr(pos, size));
    if (data.substr(pos + size, 2) != "\r\n") return std::nullopt;
    pos += size + 2;
  }
}

}  // namespace plain_detail

class plain_http_transport final : public transport {
 public:
  result<response> send(const request& req, const request_options& opts) override {
    namespace asio = boost::asio;
    using tcp = asio::ip::tcp;
    using steady = std::chrono::steady_clock;

    if (req.scheme != "http") {
      return make_error(errc::invalid_request, "plain_http_transport supports only http:// (got scheme '" +
                                                   req.scheme + "'); use a TLS transport for https");
    }
    if (req.host.empty() || plain_detail::has_crlf(req.host)) {
      return make_error(errc::invalid_request, "request.host: must be non-empty without line breaks");
    }
    if (req.target.empty() || req.target[0] != '/' || plain_detail::has_crlf(req.target) ||
        req.target.find(' ') != std::string::npos) {
      return make_error(errc::invalid_request, "request.target: must start with '/' and contain no spaces or line breaks");
    }
    if (req.method.empty() || plain_detail::has_crlf(req.method) || req.method.find(' ') != std::string::npos) {
      return make_error(errc::invalid_request, "request.method: must be a single token");
    }
    if (req.body.size() > opts.max_request_body) {
      return make_error(errc::invalid_request, "request.body: exceeds request_options.max_request_body");
    }

    std::string host = req.host;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const bool ipv6 = host.find(':') != std::string::npos;
    std::string host_header = ipv6 ? "[" + host + "]" : host;
    if (req.effective_port() != 80) host_header += ":" + std::to_string(req.effective_port());

    std::string wire = req.method + " " + req.target + " HTTP/1.1\r\n";
    if (!has_header(req.headers, "Host")) wire += "Host: " + host_header + "\r\n";
    for (const auto& [name, value] : req.headers) {
      if (name.empty() || plain_detail::has_crlf(name) || plain_detail::has_crlf(value) ||
          name.find(':') != std::string::npos) {
        return make_error(errc::invalid_request, "request header '" + name + "': invalid name or line break in value");
      }
      if (iequals(name, "Connection") || iequals(name, "Content-Length")) continue;
      wire += name + ": " + value + "\r\n";
    }
    if (!req.body.empty() || req.method == "POST" || req.method == "PUT") {
      wire += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
    }
    wire += "Connection: close\r\n\r\n";
    wire += req.body;

    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    tcp::socket socket(ioc);
    const auto start = steady::now();
    const std::optional<steady::time_point> total_deadline =
        opts.total_timeout.count() > 0 ? std::optional<steady::time_point>(start + opts.total_timeout) : std::nullopt;
    // Each phase has its own timeout, all capped by the total one; zero disables a timeout.
    const auto deadline_after = [&](std::chrono::milliseconds d) -> std::optional<steady::time_point> {
      std::optional<steady::time_point> phase =
          d.count() > 0 ? std::optional<steady::time_point>(steady::now() + d) : std::nullopt;
      if (!total_deadline) return phase;
      if (!phase) return total_deadline;
      return std::min(*phase, *total_deadline);
    };
    // Runs the queued operation until it completes or the deadline passes; on timeout the socket
    // (and resolver) are closed so the handler runs with operation_aborted and nothing outlives ioc.
    const auto run = [&](const std::optional<steady::time_point>& deadline, const bool& done) {
      ioc.restart();
      if (deadline) {
        ioc.run_until(*deadline);
      } else {
        ioc.run();
      }
      if (done) return true;
      resolver.cancel();
      boost::system::error_code ignored;
      socket.close(ignored);
      ioc.restart();
      ioc.run();
      return false;
    };
    const std::string where = "http://" + host_header;

    // Resolve and connect share the connect timeout, as a single "reach the server" phase.
    const auto connect_deadline = deadline_after(opts.connect_timeout);
    boost::system::error_code ec;
    tcp::resolver::results_type endpoints;
    bool done = false;
    resolver.async_resolve(host, std::to_string(req.effective_port()),
                           [&](const boost::system::error_code& e, tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                             done = true;
                           });
    if (!run(connect_deadline, done)) return make_error(errc::timeout_before_send, where + ": name resolution timed out");
    if (ec) return make_error(errc::resolve_failed, where + ": cannot resolve host: " + ec.message());

    done = false;
    asio::async_connect(socket, endpoints, [&](const boost::system::error_code& e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    if (!run(connect_deadline, done)) {
      return make_error(errc::timeout_before_send,
                        where + ": connect timed out after " + std::to_string(opts.connect_timeout.count()) + " ms");
    }
    if (ec) return make_error(errc::connect_failed, where + ": connect failed: " + ec.message());

    const auto read_deadline = deadline_after(opts.read_timeout);
    done = false;
    asio::async_write(socket, asio::buffer(wire), [&](const boost::system::error_code& e, std::size_t) {
      ec = e;
      done = true;
    });
    if (!run(read_deadline, done)) return make_error(errc::timeout_after_send, where + ": sending the request timed out");
    if (ec) return make_error(errc::write_failed, where + ": sending the request failed: " + ec.message());

    constexpr std::size_t max_header_bytes = 64 * 1024;
    std::string data;
    std::array<char, 8192> buf{};
    response res;
    std::optional<std::size_t> header_end;
    std::optional<std::size_t> content_length;
    bool chunked = false;
    bool no_body = false;
    for (;;) {
      // Completion checks first: a response may already be whole before the peer closes.
      if (!header_end) {
        const auto p = data.find("\r\n\r\n");
        if (p != std::string::npos) {
          header_end = p + 4;
          auto parsed = parse_head(std::string_view(data).substr(0, p), res, content_length, chunked, where);
          if (!parsed) return std::move(parsed).error();
          no_body = req.method == "HEAD" || res.status == 204 || res.status == 304 || (res.status >= 100 && res.status < 200);
          if (content_length && *content_length > opts.max_response_body) {
            return make_error(errc::body_too_large, where + ": response body exceeds the limit");
          }
        } else if (data.size() > max_header_bytes) {
          return make_error(errc::bad_response, where + ": response header larger than 64 KiB");
        }
      }
      if (header_end) {
        const std::string_view body = std::string_view(data).substr(*header_end);
        if (no_body) return res;
        if (chunked) {
          auto complete = plain_detail::decode_chunked(body, res.body, opts.max_response_body);
          if (!complete) return make_error(errc::bad_response, where + ": malformed or oversized chunked body");
          if (*complete) return res;
        } else if (content_length) {
          if (body.size() >= *content_length) {
            res.body.assign(body.substr(0, *content_length));
            return res;
          }
        } else if (body.size() > opts.max_response_body) {
          return make_error(errc::body_too_large, where + ": response body exceeds the limit");
        }
      }

      std::size_t n = 0;
      done = false;
      socket.async_read_some(asio::buffer(buf), [&](const boost::system::error_code& e, std::size_t got) {
        ec = e;
        n = got;
        done = true;
      });
      if (!run(read_deadline, done)) {
        return make_error(errc::timeout_after_send,
                          where + ": no complete response within " + std::to_string(opts.read_timeout.count()) + " ms");
      }
      data.append(buf.data(), n);
      if (ec == asio::error::eof) {
        if (header_end && !chunked && !content_length) {
          res.body = data.substr(*header_end);
          return res;
        }
        return make_error(errc::read_failed, where + ": connection closed before the response was complete");
      }
      if (ec) return make_error(errc::read_failed, where + ": receiving the response failed: " + ec.message());
    }
  }

 private:
  static result<bool> parse_head(std::string_view head, response& res, std::optional<std::size_t>& content_length,
                                 bool& chunked, const std::string& where) {
    const auto bad = [&](const char* what) { return make_error(errc::bad_response, where + ": " + what); };
    auto eol = head.find("\r\n");
    const std::string_view status_line = head.substr(0, eol);
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
      return bad("malformed status line");
    }
    int status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
      if (status_line[i] < '0' || status_line[i] > '9') return bad("malformed status code");
      status = status * 10 + (status_line[i] - '0');
    }
    res.status = status;
    while (eol != std::string_view::npos) {
      const auto start = eol + 2;
      eol = head.find("\r\n", start);
      const std::string_view line = head.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
      if (line.empty()) continue;
      const auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) return bad("malformed header line");
      std::string name(line.substr(0, colon));
      std::string value = plain_detail::trim_ows(line.substr(colon + 1));
      if (iequals(name, "Content-Length")) {
        std::size_t v = 0;
        if (value.empty()) return bad("empty Content-Length");
        for (char c : value) {
          if (c < '0' || c > '9' || v > (std::size_t(-1) - 9) / 10) return bad("invalid Content-Length");
          v = v * 10 + static_cast<std::size_t>(c - '0');
        }
        if (content_length && *content_length != v) return bad("conflicting Content-Length headers");
        content_length = v;
      } else if (iequals(name, "Transfer-Encoding")) {
        std::string lower;
        for (char c : value) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if (lower.find("chunked") != std::string::npos) chunked = true;
      }
      res.headers.emplace_back(std::move(name), std::move(value));
    }
    // RFC 9112 §6.3: with both, Transfer-Encoding wins.
    if (chunked) content_length.reset();
    return true;
  }
};

}  // namespace alicloud::http
