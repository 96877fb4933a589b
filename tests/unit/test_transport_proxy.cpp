// beast_transport through a real tinyproxy on loopback: CONNECT tunnelling for https, absolute-form
// for http, Proxy-Authorization, HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment, failures.
// Only the cases that need tinyproxy are skipped (with a warning) when it is not installed.

#include <alicloud/core/beast_transport.hpp>

#include "../support/tinyproxy.hpp"
#include "../support/tls_test_server.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace http = alicloud::http;
using alicloud_test::reply;
using alicloud_test::test_server;
using alicloud_test::tinyproxy;

namespace {

alicloud_test::test_pki& pki() {
  static alicloud_test::test_pki instance;
  return instance;
}

test_server::options tls_server() {
  test_server::options o;
  o.cert_pem = pki().server.cert_pem;
  o.key_pem = pki().server.key_pem;
  return o;
}

test_server::options plain_server() {
  test_server::options o;
  o.tls = false;
  return o;
}

/// Options that take the proxy from the environment (proxy/no_proxy left unset).
http::beast_transport_options from_env() {
  http::beast_transport_options o;
  o.ca_file = pki().ca_file;
  o.use_system_trust_store = false;
  return o;
}

http::beast_transport_options via(const std::string& proxy_url) {
  auto o = from_env();
  o.proxy = proxy_url;
  o.no_proxy = "";
  return o;
}

http::request get(std::uint16_t port, std::string target = "/", std::string scheme = "https") {
  http::request q;
  q.scheme = std::move(scheme);
  q.host = "127.0.0.1";
  q.port = port;
  q.target = std::move(target);
  return q;
}

/// Sets environment variables for one test and restores the previous values afterwards. Every
/// proxy variable is cleared first so the outer environment cannot leak into a test.
class env_scope {
 public:
  env_scope() {
    for (const char* n : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"}) {
      const char* v = std::getenv(n);
      saved_[n] = v ? std::optional<std::string>(v) : std::nullopt;
      ::unsetenv(n);
    }
  }
  ~env_scope() {
    for (const auto& [n, v] : saved_) {
      if (v)
        ::setenv(n.c_str(), v->c_str(), 1);
      else
        ::unsetenv(n.c_str());
    }
  }
  void set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

std::string dead_proxy_url() { return "http://127.0.0.1:" + std::to_string(alicloud_test::free_loopback_port()); }

/// The proxy binary, or a loud warning and nullopt (the caller then returns, passing).
std::optional<std::string> tinyproxy_or_warn() {
  auto bin = alicloud_test::find_tinyproxy();
  if (!bin) MESSAGE("WARN: tinyproxy not installed (apt-get install tinyproxy); proxy round-trip test SKIPPED");
  return bin;
}

}  // namespace

TEST_CASE("https through tinyproxy via CONNECT, with keep-alive inside the tunnel") {
  auto bin = tinyproxy_or_warn();
  if (!bin) return;
  test_server srv(tls_server());
  srv.set_handler([](const alicloud_test::received_request& r) { return reply::ok("tunnelled " + r.target); });
  tinyproxy proxy(*bin, {{srv.port()}, {}, {}});

  http::beast_transport t(via(proxy.url()));
  for (int i = 0; i < 20; ++i) {
    auto res = t.send(get(srv.port(), "/n/" + std::to_string(i)), {});
    REQUIRE_MESSAGE(res.ok(), res.error().to_string());
    CHECK(res->body == "tunnelled /n/" + std::to_string(i));
  }
  CHECK(t.stats().tls_handshakes == 1);
  CHECK(t.stats().connections_opened == 1);
  CHECK(srv.handshakes() == 1);
  // The proxy, not the client, opened the server's connection, and it saw exactly one tunnel.
  CHECK(proxy.log_count("CONNECT 127.0.0.1:" + std::to_string(srv.port())) == 1);
  // Inside the tunnel the request is origin-form.
  CHECK(srv.requests().at(0).target == "/n/0");
}

TEST_CASE("http through tinyproxy uses the absolute-form target") {
  auto bin = tinyproxy_or_warn();
  if (!bin) return;
  test_server srv(plain_server());
  tinyproxy proxy(*bin, {{}, {}, {}});
  http::beast_transport t(via(proxy.url()));
  auto res = t.send(get(srv.port(), "/plain?x=1", "http"), {});
  REQUIRE_MESSAGE(res.ok(), res.error().to_string());
  CHECK(res->body == "ok");
  CHECK(proxy.log_count("GET http://127.0.0.1:" + std::to_string(srv.port()) + "/plain?x=1") == 1);
  const auto seen = srv.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].target == "/plain?x=1");
  CHECK(seen[0].header("Via").find("tinyproxy") != std::string::npos);  // it really went through the proxy
}

TEST_CASE("Proxy-Authorization from the proxy URL's userinfo") {
  auto bin = tinyproxy_or_warn();
  if (!bin) return;
  test_server srv(tls_server());
  tinyproxy proxy(*bin, {{srv.port()}, "alice", "s3cret"});
  const auto authed = "http://alice:s3cret@127.0.0.1:" + std::to_string(proxy.port());
  const auto wrong = "http://alice:wrongpass@127.0.0.1:" + std::to_string(proxy.port());

  SUBCASE("right credentials") {
    http::beast_transport t(via(authed));
    auto res = t.send(get(srv.port()), {});
    REQUIRE_MESSAGE(res.ok(), res.error().to_string());
    CHECK(res->status == 200);
  }
  SUBCASE("wrong credentials: CONNECT refused, password not echoed") {
    http::beast_transport t(via(wrong));
    auto res = t.send(get(srv.port()), {});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == http::errc::proxy_failed);
    CHECK(http::never_sent(res.error()));
    // tinyproxy answers 401 where RFC 9110 says 407; either way the status is in the message.
    const auto& m = res.error().message;
    CHECK_MESSAGE((m.find("407") != std::string::npos || m.find("401") != std::string::npos), m);
    CHECK(m.find("refused CONNECT") != std::string::npos);
    CHECK(res.error().message.find("wrongpass") == std::string::npos);
    CHECK(srv.request_count() == 0);
  }
  SUBCASE("no credentials") {
    http::beast_transport t(via(proxy.url()));
    auto res = t.send(get(srv.port()), {});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == http::errc::proxy_failed);
  }
}

TEST_CASE("CONNECT to a port the proxy does not allow is proxy_failed") {
  auto bin = tinyproxy_or_warn();
  if (!bin) return;
  test_server srv(tls_server());
  tinyproxy proxy(*bin, {{static_cast<std::uint16_t>(srv.port() == 443 ? 444 : 443)}, {}, {}});
  http::beast_transport t(via(proxy.url()));
  auto res = t.send(get(srv.port()), {});
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code == http::errc::proxy_failed);
  CHECK(http::never_sent(res.error()));
  CHECK(res.error().message.find("403") != std::string::npos);
  CHECK(srv.connections() == 0);
}

TEST_CASE("HTTPS_PROXY / https_proxy / HTTP_PROXY from the environment") {
  auto bin = tinyproxy_or_warn();
  if (!bin) return;
  test_server tls_srv(tls_server());
  test_server plain_srv(plain_server());
  tinyproxy proxy(*bin, {{tls_srv.port()}, {}, {}});
  const auto tunnel = "CONNECT 127.0.0.1:" + std::to_string(tls_srv.port());

  for (const char* var : {"HTTPS_PROXY", "https_proxy"}) {
    CAPTURE(var);
    env_scope env;
    env.set(var, proxy.url());
    const auto before = proxy.log_count(tunnel);
    http::beast_transport t(from_env());
    auto res = t.send(get(tls_srv.port()), {});
    REQUIRE_MESSAGE(res.ok(), res.error().to_string());
    CHECK(proxy.log_count(tunnel) == before + 1);
    // HTTPS_PROXY does not apply to http targets.
    auto plain = t.send(get(plain_srv.port(), "/direct", "http"), {});
    REQUIRE_MESSAGE(plain.ok(), plain.error().to_string());
    CHECK(plain_srv.requests().back().header("Via").empty());
  }
  {
    env_scope env;
    env.set("HTTP_PROXY", proxy.url());
    http::beast_transport t(from_env());
    auto res = t.send(get(plain_srv.port(), "/proxied", "http"), {});
    REQUIRE_MESSAGE(res.ok(), res.error().to_string());
    CHECK(plain_srv.requests().back().header("Via").find("tinyproxy") != std::string::npos);
  }
}

// The remaining cases need no proxy binary: a dead proxy proves whether the proxy was used.

TEST_CASE("proxy unreachable is proxy_failed (never sent) for https and http targets") {
  test_server tls_srv(tls_server());
  test_server plain_srv(plain_server());
  http::beast_transport t(via(dead_proxy_url()));
  auto res = t.send(get(tls_srv.port()), {});
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code == http::errc::proxy_failed);
  CHECK(http::never_sent(res.error()));
  CHECK(res.error().message.find("proxy 127.0.0.1:") != std::string::npos);
  auto res2 = t.send(get(plain_srv.port(), "/", "http"), {});
  REQUIRE_FALSE(res2.ok());
  CHECK(res2.error().code == http::errc::proxy_failed);
  CHECK(tls_srv.connections() == 0);
  CHECK(plain_srv.connections() == 0);
}

TEST_CASE("NO_PROXY / no_proxy / the no_proxy option bypass the proxy") {
  test_server srv(tls_server());
  SUBCASE("without a bypass the dead proxy is used and fails") {
    env_scope env;
    env.set("HTTPS_PROXY", dead_proxy_url());
    http::beast_transport t(from_env());
    auto res = t.send(get(srv.port()), {});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == http::errc::proxy_failed);
  }
  for (const char* var : {"NO_PROXY", "no_proxy"}) {
    SUBCASE(var) {
      env_scope env;
      env.set("HTTPS_PROXY", dead_proxy_url());
      env.set(var, "example.com, 127.0.0.1 ,.internal");
      http::beast_transport t(from_env());
      auto res = t.send(get(srv.port()), {});
      REQUIRE_MESSAGE(res.ok(), res.error().to_string());
    }
  }
  SUBCASE("wildcard") {
    env_scope env;
    env.set("HTTPS_PROXY", dead_proxy_url());
    env.set("NO_PROXY", "*");
    http::beast_transport t(from_env());
    CHECK(t.send(get(srv.port()), {}).ok());
  }
  SUBCASE("explicit option overrides the environment") {
    env_scope env;
    env.set("NO_PROXY", "127.0.0.1");
    auto o = from_env();
    o.proxy = dead_proxy_url();
    o.no_proxy = "other.example";
    http::beast_transport t(o);
    auto res = t.send(get(srv.port()), {});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == http::errc::proxy_failed);
  }
  SUBCASE("explicit empty proxy disables the environment's proxy") {
    env_scope env;
    env.set("HTTPS_PROXY", dead_proxy_url());
    auto o = from_env();
    o.proxy = "";
    http::beast_transport t(o);
    CHECK(t.send(get(srv.port()), {}).ok());
  }
  SUBCASE("suffix entries match names only at a label boundary, never inside IP literals") {
    for (const auto& pair : {std::pair<std::string, std::string>{"127.0.0.1", "0.0.1"},
                             std::pair<std::string, std::string>{"localhost", "host"}}) {
      // Named copies, not a structured binding: C++17 lambdas (inside CAPTURE) cannot capture those.
      const std::string& host = pair.first;
      const std::string& entry = pair.second;
      CAPTURE(host);
      env_scope env;
      env.set("HTTPS_PROXY", dead_proxy_url());
      env.set("NO_PROXY", entry);
      http::beast_transport t(from_env());
      auto q = get(srv.port());
      q.host = host;
      auto res = t.send(q, {});
      REQUIRE_FALSE(res.ok());
      CHECK(res.error().code == http::errc::proxy_failed);
    }
  }
  SUBCASE("a leading-dot entry matches the name itself") {
    env_scope env;
    env.set("HTTPS_PROXY", dead_proxy_url());
    env.set("NO_PROXY", ".localhost");
    http::beast_transport t(from_env());
    auto q = get(srv.port());
    q.host = "localhost";
    auto res = t.send(q, {});
    REQUIRE_MESSAGE(res.ok(), res.error().to_string());
  }
}

TEST_CASE("malformed proxy configuration is reported at construction without echoing secrets") {
  {
    env_scope env;
    env.set("HTTPS_PROXY", "https://bob:hunter2@proxy.example:3128");
    try {
      http::beast_transport t(from_env());
      FAIL("expected alicloud::exception");
    } catch (const alicloud::exception& e) {
      CHECK(e.error().code == http::errc::invalid_config);
      CHECK(e.error().message.find("HTTPS_PROXY") != std::string::npos);
      CHECK(e.error().message.find("hunter2") == std::string::npos);
    }
  }
  auto o = from_env();
  o.proxy = "http://[broken";
  try {
    http::beast_transport t(o);
    FAIL("expected alicloud::exception");
  } catch (const alicloud::exception& e) {
    CHECK(e.error().code == http::errc::invalid_config);
    CHECK(e.error().message.find("proxy") != std::string::npos);
  }
}
