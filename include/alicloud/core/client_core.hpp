#pragma once
// The generic client engine, product-free and transport-free: configuration, endpoint resolution,
// `call<Op>()` (validate -> encode -> sign -> send -> decode) with retries, clock-skew correction and
// per-attempt hooks. It speaks only to http::transport, so this header pulls in neither Asio nor
// Beast; <alicloud/core/client.hpp> adds the default HTTPS transport, the default credentials chain
// and the asynchronous twin.
//
// Everything an operation needs comes from its generated traits struct (Op::action, version, method,
// idempotent, parameters, validate) and Op::product_type (endpoints, retryable_errors, errc_from_code).

#include <alicloud/core/clock.hpp>
#include <alicloud/core/credentials.hpp>
#include <alicloud/core/encoding.hpp>
#include <alicloud/core/error.hpp>
#include <alicloud/core/http.hpp>
#include <alicloud/core/json.hpp>
#include <alicloud/core/operation.hpp>
#include <alicloud/core/pagination.hpp>
#include <alicloud/core/params.hpp>
#include <alicloud/core/result.hpp>
#include <alicloud/core/retry.hpp>
#include <alicloud/core/signer.hpp>
#include <alicloud/core/version.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace alicloud {

// ---------------------------------------------------------------------------------------------
// Endpoints

/// Where an operation's requests go.
struct endpoint {
  std::string scheme = "https";  ///< "https" or "http"
  std::string host;              ///< DNS name or IP literal; IPv6 without brackets
  std::uint16_t port = 0;        ///< 0: the scheme's default

  /// The Host header (and the `host` the signature covers): host, bracketed when IPv6, with `:port`
  /// only when it differs from the scheme's default.
  std::string authority() const {
    std::string a = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    const std::uint16_t default_port = scheme == "http" ? 80 : 443;
    if (port != 0 && port != default_port) a += ":" + std::to_string(port);
    return a;
  }
  std::string to_string() const { return scheme + "://" + authority(); }
};

namespace detail::calling {

inline std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

inline error config_error(std::string message) { return http::make_error(http::errc::invalid_config, std::move(message)); }

inline bool is_host_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

inline bool is_loopback_name(std::string_view host) noexcept {
  const std::string h = lower_ascii(host);
  if (h == "localhost" || h == "::1") return true;
  // 127.0.0.0/8 written as a dotted quad.
  if (h.compare(0, 4, "127.") != 0) return false;
  int dots = 0;
  for (char c : h) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      return false;
  }
  return dots == 3;
}

}  // namespace detail::calling

/// Parses an explicit endpoint: `host`, `host:port`, `https://host[:port]` or `http://host[:port]`,
/// optionally with a trailing `/`; IPv6 literals in brackets. Without a scheme, https is assumed.
inline result<endpoint> parse_endpoint(std::string_view text) {
  const std::string shown(text);
  auto fail = [&](const std::string& why) {
    return detail::calling::config_error("client_config.endpoint: '" + shown + "' " + why);
  };
  endpoint ep;
  std::string_view rest = text;
  if (const auto p = rest.find("://"); p != std::string_view::npos) {
    ep.scheme = detail::calling::lower_ascii(rest.substr(0, p));
    if (ep.scheme != "https" && ep.scheme != "http") return fail("has scheme '" + ep.scheme + "'; only https and http are supported");
    rest.remove_prefix(p + 3);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) return fail("has no host");
  if (rest.find_first_of("/?#@ \t\r\n") != std::string_view::npos)
    return fail("must be only scheme://host[:port] (no path, query, user info or spaces)");
  std::string_view port_text;
  if (rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return fail("has an unterminated IPv6 literal");
    ep.host = std::string(rest.substr(1, close - 1));
    const auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("has text after the IPv6 literal");
      port_text = after.substr(1);
      if (port_text.empty()) return fail("has an empty port");
    }
    if (ep.host.empty()) return fail("has an empty IPv6 literal");
    for (char c : ep.host)
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return fail("has an invalid IPv6 literal");
  } else {
    const auto colon = rest.find(':');
    ep.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) return fail("has an empty port");
    }
    if (ep.host.empty()) return fail("has no host");
    for (char c : ep.host)
      if (!detail::calling::is_host_char(c)) return fail("has a character not allowed in a host name");
  }
  if (!port_text.empty()) {
    unsigned long port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535) return fail("has an invalid port (1-65535)");
      port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (port == 0 || port > 65535) return fail("has an invalid port (1-65535)");
    ep.port = static_cast<std::uint16_t>(port);
  }
  return ep;
}

/// A region id as Alibaba writes them (cn-hangzhou, ap-southeast-1): lower-case letters, digits, '-'.
inline bool is_valid_region_id(std::string_view r) noexcept {
  if (r.empty() || r.front() == '-' || r.back() == '-') return false;
  for (char c : r)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

/// Endpoint resolution of Alibaba's generated clients: an explicit endpoint wins; otherwise the
/// product's endpoint table entry for the region; otherwise `<product>.<region>.aliyuncs.com`.
template <class Product>
result<endpoint> resolve_endpoint(const std::optional<endpoint>& explicit_endpoint, std::string_view region) {
  if (explicit_endpoint) return *explicit_endpoint;
  if (region.empty()) {
    return detail::calling::config_error(
        "client_config.region: not set and ALIBABA_CLOUD_REGION_ID is empty; set a region (e.g. cn-hangzhou) or an "
        "explicit endpoint");
  }
  if (!is_valid_region_id(region)) {
    return detail::calling::config_error("client_config.region: '" + std::string(region) +
                                "' is not a region id (lower-case letters, digits and '-')");
  }
  endpoint ep;
  for (const endpoint_entry& e : Product::endpoints) {
    if (e.region_id == region) {
      ep.host = std::string(e.endpoint);
      return ep;
    }
  }
  ep.host = detail::calling::lower_ascii(Product::code) + "." + std::string(region) + ".aliyuncs.com";
  return ep;
}

// ---------------------------------------------------------------------------------------------
// User agent

/// `alicloud-cpp/<version> (<os>; <arch>) Cpp/<__cplusplus>`, then `suffix` after one space.
inline std::string default_user_agent(std::string_view suffix = {}) {
#if defined(__linux__)
  constexpr std::string_view os = "linux";
#elif defined(__APPLE__)
  constexpr std::string_view os = "darwin";
#elif defined(_WIN32)
  constexpr std::string_view os = "windows";
#elif defined(__FreeBSD__)
  constexpr std::string_view os = "freebsd";
#else
  constexpr std::string_view os = "unknown";
#endif
#if defined(__x86_64__) || defined(_M_X64)
  constexpr std::string_view arch = "x86_64";
#elif defined(__aarch64__) || defined(_M_ARM64)
  constexpr std::string_view arch = "aarch64";
#elif defined(__i386__) || defined(_M_IX86)
  constexpr std::string_view arch = "x86";
#elif defined(__arm__)
  constexpr std::string_view arch = "arm";
#else
  constexpr std::string_view arch = "unknown";
#endif
  std::string ua = "alicloud-cpp/" + std::string(version_string) + " (" + std::string(os) + "; " + std::string(arch) +
                   ") Cpp/" + std::to_string(__cplusplus);
  if (!suffix.empty()) ua += " " + std::string(suffix);
  return ua;
}

// ---------------------------------------------------------------------------------------------
// Hooks and redaction

/// One attempt as hooks see it. Pointers are valid only during the callback.
struct attempt_event {
  std::string_view action;  ///< e.g. "DescribePreloadTasks"
  std::string_view version;
  int attempt = 1;  ///< 1-based; a clock-skew resend is an attempt too
  /// The request as sent, with Authorization's signature, the security token, the access key id and
  /// any occurrence of the secret or token replaced by `<redacted>`.
  const http::request* request = nullptr;
  /// on_attempt only, when an HTTP response arrived (any status). Any occurrence of the secret or
  /// token in the body is replaced by `<redacted>`.
  const http::response* response = nullptr;
  /// on_attempt only, when the attempt failed (transport, service or decoding error).
  const alicloud::error* error = nullptr;
  /// on_attempt only: set when another attempt follows after this wait.
  std::optional<std::chrono::milliseconds> retry_delay;
  /// on_attempt only: the next attempt re-signs with a clock corrected from the server's Date.
  bool clock_skew_corrected = false;
  /// on_attempt only: time the send took, on the client clock.
  std::chrono::milliseconds elapsed{0};
};

/// Per-attempt callbacks, called on the thread running the call. They may run concurrently when the
/// client is shared between threads, and must not throw.
struct client_hooks {
  std::function<void(const attempt_event&)> on_send;     ///< just before each attempt is sent
  std::function<void(const attempt_event&)> on_attempt;  ///< after each attempt, with its outcome
};

namespace detail::calling {

inline void replace_all(std::string& s, std::string_view needle, std::string_view with) {
  if (needle.empty()) return;
  for (auto at = s.find(needle); at != std::string::npos; at = s.find(needle, at + with.size()))
    s.replace(at, needle.size(), with);
}

/// Replaces the secret and the token wherever they occur. Very short values are skipped: they would
/// match ordinary text, and no real secret or token is that short.
inline void scrub_secrets(std::string& s, const credentials& c) {
  if (c.access_key_secret.size() >= 8) replace_all(s, c.access_key_secret, "<redacted>");
  if (c.security_token.size() >= 8) replace_all(s, c.security_token, "<redacted>");
}

}  // namespace detail::calling

/// A copy of `req` safe to log: Authorization keeps its algorithm, masked Credential and
/// SignedHeaders, but not the signature; x-acs-security-token and x-acs-accesskey-id are masked.
inline http::request redact(const http::request& req, const credentials& creds) {
  http::request r = req;
  for (auto& [name, value] : r.headers) {
    if (http::iequals(name, "Authorization")) {
      const auto sig = value.find("Signature=");
      std::string v = sig == std::string::npos ? std::string("<redacted>") : value.substr(0, sig) + "Signature=<redacted>";
      if (!creds.access_key_id.empty()) detail::calling::replace_all(v, creds.access_key_id, redacted_access_key_id(creds.access_key_id));
      value = std::move(v);
    } else if (http::iequals(name, "x-acs-security-token")) {
      value = "<redacted>";
    } else if (http::iequals(name, "x-acs-accesskey-id")) {
      value = redacted_access_key_id(value);
    } else {
      detail::calling::scrub_secrets(value, creds);
    }
  }
  detail::calling::scrub_secrets(r.target, creds);
  detail::calling::scrub_secrets(r.body, creds);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Configuration

struct client_config {
  /// Region id, e.g. "cn-hangzhou". Empty: ALIBABA_CLOUD_REGION_ID from `env`.
  std::string region;
  /// Explicit endpoint, overriding the region's: "host", "host:port", "https://host:port",
  /// "http://127.0.0.1:8080". Plain http needs a loopback host or allow_insecure_http.
  std::string endpoint;
  /// Null: the default chain (environment, CLI profile, ini file, ECS RAM role...), made by
  /// alicloud::client. client_core requires one.
  std::shared_ptr<credentials_provider> credentials;
  /// Null: a beast_transport with default options (system trust store, proxy from the environment),
  /// made by alicloud::client. client_core requires one. Share one transport between clients to share
  /// its connection pool.
  std::shared_ptr<http::transport> transport;
  /// Per-attempt limits (timeouts, body limits); the retry deadline may shorten total_timeout.
  http::request_options request_options;
  retry_policy retry;
  /// Signing dates, validation rules, retry deadlines and hook timings read this clock. Must outlive
  /// the client.
  const clock* clk = &system_clock();
  /// Null: thread_sleeper(), which blocks the calling thread.
  alicloud::sleeper sleeper;
  /// Null: default_random() (mt19937_64 seeded from std::random_device). Only jitter uses it.
  random_source random;
  client_hooks hooks;
  /// Appended to the User-Agent after a space. Empty: ALIBABA_CLOUD_USER_AGENT from `env`, if set.
  std::string user_agent_suffix;
  /// Allows http:// endpoints on non-loopback hosts. Requests then travel unencrypted, signature
  /// headers and security token included; meant for test rigs only.
  bool allow_insecure_http = false;
  /// Environment lookups (region, user agent, and the default credentials chain).
  environment env = process_environment();
};

/// A clock shifted by the offset learnt from a server's Date header.
class offset_clock final : public clock {
 public:
  offset_clock(const clock& base, std::chrono::milliseconds offset) : base_(base), offset_(offset) {}
  time_point now() const override { return base_.now() + offset_; }

 private:
  const clock& base_;
  std::chrono::milliseconds offset_;
};

namespace detail::calling {

template <class P, class = void>
struct has_errc_from_code : std::false_type {};
template <class P>
struct has_errc_from_code<P, std::void_t<decltype(P::errc_from_code(std::string_view{}))>> : std::true_type {};

inline std::string json_text_member(const boost::json::object& o, std::string_view upper, std::string_view lower) {
  for (std::string_view key : {upper, lower}) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) continue;
    if (v->is_string()) return std::string(v->get_string());
    return json::to_json(*v);
  }
  return {};
}

/// Builds the error for a non-2xx response from Alibaba's error body (either key case), with
/// errc::service as the code; the caller maps known service codes to the product's errc.
inline error error_from_response(const http::response& res, std::string_view action) {
  error e;
  e.code = make_error_code(errc::service);
  e.http_status = res.status;
  boost::system::error_code ec;
  const boost::json::value body = res.body.empty() ? boost::json::value() : boost::json::parse(res.body, ec);
  if (!ec && body.is_object()) {
    const auto& o = body.get_object();
    e.service_code = json_text_member(o, "Code", "code");
    e.message = json_text_member(o, "Message", "message");
    e.request_id = json_text_member(o, "RequestId", "requestId");
    e.host_id = json_text_member(o, "HostId", "hostId");
    e.recommend = json_text_member(o, "Recommend", "recommend");
    e.access_denied_detail = json_text_member(o, "AccessDeniedDetail", "accessDeniedDetail");
  }
  if (e.request_id.empty()) e.request_id = std::string(res.header("x-acs-request-id"));
  if (e.message.empty()) {
    e.message = std::string(action) + ": HTTP " + std::to_string(res.status);
    if (res.body.empty())
      e.message += " with an empty body";
    else if (ec || !body.is_object())
      e.message += " with a body that is not a JSON object (" + std::to_string(res.body.size()) + " bytes)";
    else if (e.service_code.empty())
      e.message += " without an error code";
  }
  return e;
}

inline std::chrono::milliseconds to_ms(std::chrono::system_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

}  // namespace detail::calling

/// Maps an error body to an error whose code is the product's errc when the product declares the
/// service code, else alicloud::errc::service.
template <class Product>
error service_error(const http::response& res, std::string_view action) {
  error e = detail::calling::error_from_response(res, action);
  if constexpr (detail::calling::has_errc_from_code<Product>::value) {
    if (!e.service_code.empty()) {
      if (auto c = Product::errc_from_code(e.service_code)) e.code = make_error_code(*c);
    }
  }
  return e;
}

/// Decodes a response: the operation's response model for 2xx, the service error otherwise.
template <class Op>
result<typename Op::response_type> decode_response(const http::response& res) {
  using response_type = typename Op::response_type;
  if (res.status >= 200 && res.status < 300) {
    auto r = json::from_json<response_type>(res.body);
    if (r.ok()) return r;
    error e = std::move(r).error();
    e.http_status = res.status;
    e.request_id = std::string(res.header("x-acs-request-id"));
    e.message = std::string(Op::action) + ": cannot decode the response: " + e.message;
    return e;
  }
  return service_error<typename Op::product_type>(res, Op::action);
}

// ---------------------------------------------------------------------------------------------
// The engine

/// Calls any generated operation. Cheap to copy (copies share configuration, connection pool and the
/// learnt clock offset) and safe to use from several threads at once.
class client_core {
 public:
  /// Throws alicloud::exception (http::errc::invalid_config) when the configuration is unusable:
  /// no transport or credentials provider, or a malformed endpoint.
  explicit client_core(client_config config) : s_(std::make_shared<state>()) {
    state& s = *s_;
    s.cfg = std::move(config);
    if (!s.cfg.transport) throw exception(detail::calling::config_error("client_config.transport: must not be null"));
    if (!s.cfg.credentials) throw exception(detail::calling::config_error("client_config.credentials: must not be null"));
    if (!s.cfg.clk) throw exception(detail::calling::config_error("client_config.clk: must not be null"));
    if (s.cfg.retry.max_attempts < 1)
      throw exception(detail::calling::config_error("client_config.retry.max_attempts: must be at least 1"));
    if (!s.cfg.sleeper) s.cfg.sleeper = thread_sleeper();
    if (!s.cfg.random) s.cfg.random = default_random();
    s.region = s.cfg.region;
    if (s.region.empty()) {
      if (auto r = detail::non_empty_env(s.cfg.env, "ALIBABA_CLOUD_REGION_ID")) s.region = *r;
    }
    if (!s.cfg.endpoint.empty()) {
      auto ep = parse_endpoint(s.cfg.endpoint);
      if (!ep.ok()) throw exception(ep.error());
      if (ep->scheme == "http" && !s.cfg.allow_insecure_http && !detail::calling::is_loopback_name(ep->host)) {
        throw exception(http::make_error(http::errc::insecure_refused,
                                         "client_config.endpoint: plain http:// to '" + ep->host +
                                             "' refused: only loopback hosts may use it unless allow_insecure_http is set"));
      }
      s.explicit_endpoint = std::move(*ep);
    }
    std::string suffix = s.cfg.user_agent_suffix;
    if (suffix.empty()) {
      if (auto u = detail::non_empty_env(s.cfg.env, "ALIBABA_CLOUD_USER_AGENT")) suffix = *u;
    }
    if (suffix.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      throw exception(detail::calling::config_error("client_config.user_agent_suffix: contains CR, LF or NUL"));
    s.user_agent = default_user_agent(suffix);
  }

  const client_config& config() const noexcept { return s_->cfg; }
  /// The region in use (from the config or ALIBABA_CLOUD_REGION_ID); may be empty.
  const std::string& region() const noexcept { return s_->region; }
  const std::string& user_agent() const noexcept { return s_->user_agent; }
  /// Server time minus client clock, as learnt from a clock-skew correction (0 until then). Applied
  /// to every later signature and validation of this client and its copies.
  std::chrono::milliseconds clock_offset() const noexcept { return std::chrono::milliseconds(s_->offset_ms.load()); }

  /// The endpoint an operation of `Product` would use.
  template <class Product>
  result<endpoint> endpoint_for() const {
    return resolve_endpoint<Product>(s_->explicit_endpoint, s_->region);
  }

  /// Validates, encodes, signs and sends `request`, retrying per the policy, and decodes the answer.
  /// Errors: alicloud::errc::validation_failed (nothing sent; see error::violations), the product's
  /// errc or alicloud::errc::service for service errors, http::errc codes for transport failures,
  /// alicloud::errc::json_parse / type_mismatch ... for undecodable responses (with http_status),
  /// alicloud::errc::credentials, http::errc::invalid_config for an unusable region/endpoint.
  template <class Op>
  result<typename Op::response_type> call(const typename Op::request_type& request) const {
    using response_type = typename Op::response_type;
    using product_type = typename Op::product_type;
    const state& s = *s_;
    const retry_policy& policy = s.cfg.retry;
    const clock& clk = *s.cfg.clk;

    {
      const offset_clock now_clock(clk, clock_offset());
      std::vector<violation> violations = Op::validate(request, now_clock);
      if (!violations.empty()) {
        error e(make_error_code(errc::validation_failed),
                std::string(Op::action) + ": the request breaks " + std::to_string(violations.size()) +
                    (violations.size() == 1 ? " rule" : " rules") + "; nothing was sent");
        e.violations = std::move(violations);
        return e;
      }
    }
    auto ep = endpoint_for<product_type>();
    if (!ep.ok()) return std::move(ep).error();
    auto encoded = encode_params(request, Op::parameters);
    if (!encoded.ok()) return std::move(encoded).error();
    const encoded_params& params = *encoded;

    prepared p;
    p.method = std::string(to_string(Op::method));
    p.host_header = ep->authority();
    if (!params.form.empty()) {
      p.body = form_urlencoded_body(params.form);
      p.sign_headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    }
    for (const auto& h : params.headers) p.sign_headers.push_back(h);

    const auto start = clk.now();
    int attempt = 0;
    int counted = 0;  // attempts that count against max_attempts
    bool skew_corrected = false;
    std::optional<error> last_failure;
    for (;;) {
      ++attempt;
      ++counted;
      auto creds = s.cfg.credentials->get();
      if (!creds.ok()) return std::move(creds).error();

      http::request_options opts = s.cfg.request_options;
      // The transport's own resend repeats the signed bytes, nonce included: if the server did read
      // the first copy it rejects the second as SignatureNonceUsed (the soak test caught this). The
      // retry loop below re-signs with a fresh nonce and knows about idempotency, so it decides.
      // (The transport still reconnects silently when nothing at all was written.)
      opts.resend_on_stale_connection = false;
      if (policy.deadline.count() > 0) {
        const auto left = policy.deadline - detail::calling::to_ms(clk.now() - start);
        if (left.count() <= 0) {
          // Only reachable after a wait that overran (a real sleeper may): the last failure says more
          // than a bare timeout would.
          if (last_failure) {
            last_failure->message += " (retry deadline reached after " + std::to_string(attempt - 1) + (attempt == 2 ? " attempt)" : " attempts)");
            return std::move(*last_failure);
          }
          return http::make_error(http::errc::timeout_before_send,
                                  std::string(Op::action) + ": retry deadline of " +
                                      std::to_string(policy.deadline.count()) + " ms passed before attempt " +
                                      std::to_string(attempt));
        }
        if (opts.total_timeout.count() <= 0 || opts.total_timeout > left) opts.total_timeout = left;
      }

      auto req = build_request<Op>(*ep, p, params.query, *creds, clk.now() + clock_offset());
      if (!req.ok()) return std::move(req).error();

      const bool hooked = static_cast<bool>(s.cfg.hooks.on_send) || static_cast<bool>(s.cfg.hooks.on_attempt);
      std::optional<http::request> shown;
      if (hooked) shown = redact(*req, *creds);
      if (s.cfg.hooks.on_send) {
        attempt_event ev = base_event<Op>(attempt, &*shown);
        s.cfg.hooks.on_send(ev);
      }

      const auto sent_at = clk.now();
      result<http::response> sent = s.cfg.transport->send(*req, opts);
      const auto elapsed = detail::calling::to_ms(clk.now() - sent_at);
      result<response_type> out = sent.ok() ? decode_response<Op>(*sent) : result<response_type>(sent.error());

      auto report = [&](const error* e, std::optional<std::chrono::milliseconds> delay, bool skew) {
        if (!s.cfg.hooks.on_attempt) return;
        attempt_event ev = base_event<Op>(attempt, &*shown);
        std::optional<http::response> res_shown;
        if (sent.ok()) {
          res_shown = *sent;
          detail::calling::scrub_secrets(res_shown->body, *creds);
          ev.response = &*res_shown;
        }
        ev.error = e;
        ev.retry_delay = delay;
        ev.clock_skew_corrected = skew;
        ev.elapsed = elapsed;
        s.cfg.hooks.on_attempt(ev);
      };

      if (out.ok()) {
        report(nullptr, std::nullopt, false);
        return out;
      }
      error& e = out.error();
      detail::calling::scrub_secrets(e.message, *creds);
      detail::calling::scrub_secrets(e.access_denied_detail, *creds);

      // Clock skew: adopt the server's time once, and resend at once (the request was rejected before
      // it was executed, so this is safe even for non-idempotent operations).
      if (sent.ok() && !skew_corrected && policy.correct_clock_skew && is_time_related_signature_error(e.service_code)) {
        if (const auto server = parse_http_date(sent->header("Date"))) {
          const auto local = clk.now() + clock_offset();
          const auto skew = detail::calling::to_ms(*server - local);
          if (std::chrono::abs(skew) >= policy.clock_skew_threshold) {
            s_->offset_ms.fetch_add(skew.count());
            skew_corrected = true;
            --counted;
            report(&e, std::chrono::milliseconds(0), true);
            continue;
          }
        }
      }

      const failure_kind kind = classify_failure(e, product_type::retryable_errors, policy);
      bool retry = counted < policy.max_attempts && retry_allowed(kind, e, Op::idempotent, policy);
      std::chrono::milliseconds delay{0};
      bool deadline_hit = false;
      if (retry) {
        std::optional<std::chrono::milliseconds> hint;
        if (sent.ok()) hint = retry_after_hint(*sent, clk.now());
        delay = hint ? std::min(*hint, policy.max_server_delay) : full_jitter_backoff(policy, counted, s.cfg.random());
        if (policy.deadline.count() > 0 && detail::calling::to_ms(clk.now() - start) + delay >= policy.deadline) {
          retry = false;
          deadline_hit = true;
        }
      }
      report(&e, retry ? std::optional<std::chrono::milliseconds>(delay) : std::nullopt, false);
      if (!retry) {
        if (deadline_hit)
          e.message += " (no retry: the next attempt would pass the retry deadline; " + std::to_string(attempt) +
                       (attempt == 1 ? " attempt)" : " attempts)");
        else if (attempt > 1)
          e.message += " (after " + std::to_string(attempt) + " attempts)";
        return out;
      }
      last_failure = std::move(e);
      s.cfg.sleeper(delay);
    }
  }

  /// call<Op>() that throws alicloud::exception instead of returning an error.
  template <class Op>
  typename Op::response_type call_or_throw(const typename Op::request_type& request) const {
    return call<Op>(request).value();
  }

  /// call<Op> as a page_fetcher, the callable the pagination helpers and the generated waiters take
  /// (e.g. `esa::wait_preload_caches(client.fetcher<esa::DescribePreloadTasks>(), req, resp)`). It holds
  /// a copy of this client, so it stays valid on its own.
  template <class Op>
  page_fetcher<Op> fetcher() const {
    return [self = *this](const typename Op::request_type& r) { return self.template call<Op>(r); };
  }

  /// Lazily read pages of a paginated operation (see pagination.hpp); each page is one call<Op>().
  template <class Op>
  page_range<Op> pages(typename Op::request_type request, page_options options = {}) const {
    static_assert(is_paginated_v<Op>, "pages<Op>() needs an operation with pagination traits");
    return ::alicloud::pages<Op>(fetcher<Op>(), std::move(request), options);
  }

  /// Lazily read the items of every page, in order.
  template <class Op>
  item_range<Op> items(typename Op::request_type request, page_options options = {}) const {
    static_assert(is_paginated_v<Op>, "items<Op>() needs an operation with pagination traits");
    return ::alicloud::items<Op>(fetcher<Op>(), std::move(request), options);
  }

  /// Every item of a listing: the first page, then the others concurrently (fetch_all_options).
  template <class Op>
  result<typename page_traits<Op>::items_type> fetch_all(typename Op::request_type request,
                                                         const fetch_all_options& options = {}) const {
    static_assert(is_paginated_v<Op>, "fetch_all<Op>() needs an operation with pagination traits");
    return ::alicloud::fetch_all<Op>(fetcher<Op>(), std::move(request), options);
  }

 private:
  struct state {
    client_config cfg;
    std::optional<endpoint> explicit_endpoint;
    std::string region;
    std::string user_agent;
    std::atomic<std::int64_t> offset_ms{0};
  };

  struct prepared {
    std::string method;
    std::string host_header;
    std::string body;
    param_list sign_headers;  ///< content-type and header parameters: signed and sent
  };

  template <class Op>
  static attempt_event base_event(int attempt, const http::request* req) {
    attempt_event ev;
    ev.action = Op::action;
    ev.version = Op::version;
    ev.attempt = attempt;
    ev.request = req;
    return ev;
  }

  /// Signs with a fresh nonce and date: every attempt gets its own, or the server would reject the
  /// resend as a replay (SignatureNonceUsed).
  template <class Op>
  result<http::request> build_request(const endpoint& ep, const prepared& p, const param_list& query,
                                      const credentials& creds, std::chrono::system_clock::time_point now) const {
    auto nonce = random_nonce();
    if (!nonce.ok()) return std::move(nonce).error();
    signing_request sr{p.method, p.host_header, Op::pathname, query, p.sign_headers, p.body, Op::action, Op::version};
    auto signed_req = sign_acs3(sr, creds, now, *nonce);
    if (!signed_req.ok()) return std::move(signed_req).error();
    http::request r;
    r.method = p.method;
    r.scheme = ep.scheme;
    r.host = ep.host;
    r.port = ep.port;
    r.target = signed_req->target();
    r.headers.reserve(signed_req->headers.size() + p.sign_headers.size() + 3);
    r.headers.emplace_back("Host", p.host_header);
    r.headers.emplace_back("User-Agent", s_->user_agent);
    r.headers.emplace_back("Accept", "application/json");
    for (const auto& h : p.sign_headers) r.headers.push_back(h);
    for (auto& h : signed_req->headers) r.headers.push_back(std::move(h));
    r.body = p.body;
    return r;
  }

  std::shared_ptr<state> s_;
};

}  // namespace alicloud
