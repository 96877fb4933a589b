#pragma once
// Runs esa-emulator in-process on 127.0.0.1:<ephemeral> with a manual clock, and talks to it the way
// a real client does: alicloud::sign_acs3 (or sign_rpc_v1) plus alicloud::http::beast_transport.
// Include after doctest (it uses REQUIRE/CHECK).

#include <emulator.hpp>

#include <alicloud/core/beast_transport.hpp>
#include <alicloud/core/params.hpp>
#include <alicloud/core/signer.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>

namespace emu_test {

inline alicloud::credentials demo_credentials() {
  return alicloud::credentials{std::string(esa_emulator::demo_access_key_id),
                               std::string(esa_emulator::demo_access_key_secret), {}, std::nullopt};
}

/// What one test call sends. Defaults make a valid, signed ACS3 GET.
struct call {
  call(std::string a, alicloud::param_list q = {}, alicloud::param_list f = {}, std::string m = "GET")
      : action(std::move(a)), query(std::move(q)), form(std::move(f)), method(std::move(m)) {}

  std::string action;
  alicloud::param_list query;
  alicloud::param_list form;  ///< non-empty: sent as an x-www-form-urlencoded body
  std::string method = "GET";
  std::string version = "2024-09-10";
  alicloud::credentials creds = demo_credentials();
  std::optional<alicloud::clock::time_point> signed_at;  ///< default: the emulator clock's now
  std::string nonce;                                    ///< default: random
  bool legacy = false;                                  ///< HMAC-SHA1 Signature parameter instead of ACS3
  /// Runs on the finished request just before sending (to tamper with a signed request).
  std::function<void(alicloud::http::request&)> tamper;
};

/// Flattens a request struct with the generated parameter table, as a client would.
template <class Op>
alicloud::param_list params_of(const typename Op::request_type& r) {
  auto enc = alicloud::encode_params(r, Op::parameters);
  return std::move(enc.value().query);
}

inline std::string random_hex() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng()) + std::to_string(rng());
}

class harness {
 public:
  explicit harness(esa_emulator::config cfg = {}, std::optional<alicloud::clock::time_point> start = std::nullopt)
      : clock_(start.value_or(std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()))) {
    cfg.listen_host = "127.0.0.1";
    cfg.port = 0;
    cfg.clock = &clock_;
    cfg_ = cfg;
    emu_ = std::make_unique<esa_emulator::emulator>(cfg);
    emu_->start();
    alicloud::http::beast_transport_options o;
    o.proxy = "";
    o.use_system_trust_store = false;
    if (emu_->tls()) {
      ca_file_ = std::filesystem::temp_directory_path() / ("emu-ca-" + random_hex() + ".pem");
      std::ofstream(ca_file_) << emu_->ca_pem();
      o.ca_file = ca_file_.string();
    }
    transport_ = std::make_unique<alicloud::http::beast_transport>(o);
  }
  ~harness() {
    transport_.reset();
    emu_.reset();
    if (!ca_file_.empty()) {
      std::error_code ec;
      std::filesystem::remove(ca_file_, ec);
    }
  }

  alicloud::manual_clock& clock() { return clock_; }
  esa_emulator::emulator& emu() { return *emu_; }
  std::uint16_t port() const { return emu_->port(); }
  std::string host() const { return "127.0.0.1:" + std::to_string(emu_->port()); }
  alicloud::http::beast_transport& transport() { return *transport_; }

  /// Stops the emulator and starts a new one with the same settings (and the same state file).
  void restart(std::function<void(esa_emulator::config&)> change = {}) {
    emu_.reset();
    if (change) change(cfg_);
    emu_ = std::make_unique<esa_emulator::emulator>(cfg_);
    emu_->start();
  }

  /// Builds the signed HTTP request for `c`.
  alicloud::http::request build(const call& c) {
    alicloud::http::request req;
    req.method = c.method;
    req.scheme = emu_->tls() ? "https" : "http";
    req.host = "127.0.0.1";
    req.port = emu_->port();
    const std::string h = host();
    const auto at = c.signed_at.value_or(clock_.now());
    const std::string nonce = c.nonce.empty() ? random_hex() : c.nonce;
    std::string body = c.form.empty() ? std::string() : alicloud::form_urlencoded_body(c.form);
    if (c.legacy) {
      alicloud::param_list q = c.query;
      q.emplace_back("Action", c.action);
      q.emplace_back("Version", c.version);
      q.emplace_back("Format", "JSON");
      auto s = alicloud::sign_rpc_v1(c.method, q, c.form, c.creds, at, nonce);
      REQUIRE_MESSAGE(s.ok(), s.error().to_string());
      req.target = "/?" + s->encoded_query;
      req.headers.emplace_back("Host", h);
    } else {
      alicloud::param_list headers;
      if (!body.empty()) headers.emplace_back("content-type", "application/x-www-form-urlencoded");
      alicloud::signing_request sr{c.method, h, "/", c.query, headers, body, c.action, c.version};
      auto s = alicloud::sign_acs3(sr, c.creds, at, nonce);
      REQUIRE_MESSAGE(s.ok(), s.error().to_string());
      req.target = s->target();
      req.headers.emplace_back("Host", h);
      for (const auto& kv : headers) req.headers.push_back(kv);
      for (const auto& kv : s->headers) req.headers.push_back(kv);
    }
    if (!body.empty() && c.legacy) req.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    req.body = std::move(body);
    if (c.tamper) c.tamper(req);
    return req;
  }

  alicloud::result<alicloud::http::response> send(const alicloud::http::request& req,
                                                  std::chrono::milliseconds read_timeout = std::chrono::seconds(10)) {
    alicloud::http::request_options o;
    o.read_timeout = read_timeout;
    o.total_timeout = read_timeout + std::chrono::seconds(5);
    o.resend_on_stale_connection = false;
    return transport_->send(req, o);
  }

  /// Sends and requires an HTTP answer (any status).
  alicloud::http::response call_ok(const call& c) {
    auto r = send(build(c));
    REQUIRE_MESSAGE(r.ok(), r.error().to_string());
    return std::move(*r);
  }

 private:
  alicloud::manual_clock clock_;
  esa_emulator::config cfg_;
  std::unique_ptr<esa_emulator::emulator> emu_;
  std::unique_ptr<alicloud::http::beast_transport> transport_;
  std::filesystem::path ca_file_;
};

inline boost::json::object json_of(const alicloud::http::response& r) {
  boost::json::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  REQUIRE_MESSAGE(!ec, "not JSON: " << r.body);
  REQUIRE(v.is_object());
  return v.get_object();
}

inline std::string str(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  REQUIRE_MESSAGE(v, "missing " << key);
  REQUIRE_MESSAGE(v->is_string(), key << " is not a string");
  return std::string(v->get_string());
}

/// Asserts an Alibaba error answer with this status and code, and the full error-body shape.
inline boost::json::object expect_error(const alicloud::http::response& r, int status, const std::string& code) {
  INFO("body: " << r.body);
  CHECK(r.status == status);
  auto o = json_of(r);
  CHECK(str(o, "Code") == code);
  const std::string rid = str(o, "RequestId");
  CHECK(rid.size() == 36);
  CHECK(str(o, "HostId") == "127.0.0.1");
  CHECK(!str(o, "Message").empty());
  CHECK(str(o, "Recommend").find("q=" + code) != std::string::npos);
  CHECK(std::string(r.header("x-acs-request-id")) == rid);
  return o;
}

}  // namespace emu_test
