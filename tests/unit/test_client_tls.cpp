// The generated client over real HTTPS on 127.0.0.1 (test CA made at test time): every request the
// server receives must verify as an ACS3 signature; keep-alive reuse, concurrency, retries and
// clock-skew correction against a real server; plain http for loopback.

#include <alicloud/esa/client.hpp>

#include "../support/client_fixture.hpp"
#include "../support/signature_check.hpp"
#include "../support/tls_test_server.hpp"

#include <doctest/doctest.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace esa = alicloud::esa;
namespace http = alicloud::http;
namespace net = boost::asio;
using alicloud_test::fault;
using alicloud_test::reply;
using alicloud_test::test_server;
using namespace std::chrono_literals;

namespace {

alicloud_test::test_pki& pki() {
  static alicloud_test::test_pki instance;
  return instance;
}

test_server::options tls_server() {
  test_server::options o;
  o.tls = true;
  o.cert_pem = pki().server.cert_pem;
  o.key_pem = pki().server.key_pem;
  return o;
}

std::shared_ptr<http::beast_transport> trusting_transport() {
  http::beast_transport_options o;
  o.ca_file = pki().ca_file;
  o.use_system_trust_store = false;
  o.proxy = "";
  o.no_proxy = "";
  return std::make_shared<http::beast_transport>(o);
}

/// A server that answers like ESA and counts requests whose signature does not verify.
struct esa_like_server {
  test_server server{tls_server()};
  std::atomic<int> bad_signatures{0};
  std::atomic<int> served{0};
  std::string expected_host;

  explicit esa_like_server(bool tls = true) : server(tls ? tls_server() : plain()) {
    expected_host = "127.0.0.1:" + std::to_string(server.port());
    server.set_handler([this](const alicloud_test::received_request& q) { return answer(q); });
  }

  static test_server::options plain() {
    test_server::options o;
    o.tls = false;
    return o;
  }

  reply answer(const alicloud_test::received_request& q) {
    ++served;
    const auto v = alicloud_test::verify_acs3(q.method, q.target, q.headers, q.body, alicloud_test::rig_secret);
    if (!v.ok || q.header("Host") != expected_host) {
      ++bad_signatures;
      reply r;
      r.status = 400;
      r.body = alicloud_test::error_body("SignatureDoesNotMatch", v.why);
      return r;
    }
    reply r;
    r.headers = {{"Content-Type", "application/json;charset=utf-8"}, {"x-acs-request-id", "SRV"}};
    r.body = R"({"RequestId":")" + q.header("x-acs-action") + R"(","PageNumber":1,"PageSize":20,"TotalCount":2,
      "Tasks":[{"TaskId":"1","Status":"Complete"},{"TaskId":"2","Status":"Refreshing"}]})";
    return r;
  }

  alicloud::client_config config(alicloud_test::rig& rg, bool tls = true) const {
    alicloud::client_config c = rg.config();
    c.transport = trusting_transport();
    c.endpoint = (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(server.port());
    c.clk = &alicloud::system_clock();
    c.sleeper = alicloud::thread_sleeper();
    c.retry.base_delay = 1ms;
    return c;
  }
};

}  // namespace

TEST_CASE("end to end over TLS: signed request, decoded response, mapped errors") {
  esa_like_server srv;
  alicloud_test::rig rg;
  esa::client c(srv.config(rg));
  esa::DescribePreloadTasksRequest q;
  q.SiteId = 42;
  q.Content = "http://a.example/1 2?x=y&z";
  auto res = c.describe_preload_tasks(q);
  INFO((res.ok() ? std::string() : res.error().to_string()));
  REQUIRE(res.ok());
  CHECK(res->RequestId == "DescribePreloadTasks");
  REQUIRE(res->Tasks);
  CHECK(res->Tasks->size() == 2);
  CHECK(srv.bad_signatures == 0);
  const auto got = srv.server.requests().back();
  CHECK(got.method == "GET");
  CHECK(got.target == "/?Content=http%3A%2F%2Fa.example%2F1%202%3Fx%3Dy%26z&SiteId=42");
  CHECK(got.header("User-Agent") == c.user_agent());

  // A service error travels back as the product errc.
  reply err;
  err.status = 400;
  err.body = alicloud_test::error_body("InvalidTime", "The query time cannot exceed the last 3 days.", "RID-TLS");
  srv.server.push(err);
  auto failed = c.get_site({});
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == esa::errc::InvalidTime);
  CHECK(failed.error().request_id == "RID-TLS");

  // POST with the JSON-style parameters of PreloadCaches.
  esa::PreloadCachesRequest p;
  p.SiteId = 7;
  p.Content = std::vector<std::string>{"https://a.example/x.js", "https://a.example/y.css"};
  p.Headers = std::map<std::string, std::string>{{"Accept-Encoding", "gzip"}};
  REQUIRE(c.preload_caches(p).ok());
  const auto post = srv.server.requests().back();
  CHECK(post.method == "POST");
  CHECK(post.target.find("Content=%5B%22https%3A%2F%2Fa.example%2Fx.js%22") != std::string::npos);
  CHECK(srv.bad_signatures == 0);
}

TEST_CASE("keep-alive: 1000 sequential calls use one TLS handshake") {
  esa_like_server srv;
  alicloud_test::rig rg;
  auto cfg = srv.config(rg);
  auto transport = std::static_pointer_cast<http::beast_transport>(cfg.transport);
  esa::client c(cfg);
  for (int i = 0; i < 1000; ++i) {
    auto res = c.list_sites({});
    if (!res.ok()) FAIL(res.error().to_string());
  }
  CHECK(srv.served == 1000);
  CHECK(srv.bad_signatures == 0);
  CHECK(srv.server.handshakes() == 1);
  CHECK(srv.server.connections() == 1);
  CHECK(transport->stats().tls_handshakes == 1);
  CHECK(transport->stats().connections_reused == 999);
}

TEST_CASE("8 threads x 100 calls on one shared client all succeed") {
  esa_like_server srv;
  alicloud_test::rig rg;
  auto cfg = srv.config(rg);
  auto transport = std::static_pointer_cast<http::beast_transport>(cfg.transport);
  const esa::client c(cfg);
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        esa::DescribePreloadTasksRequest q;
        q.SiteId = t * 1000 + i;
        auto res = c.describe_preload_tasks(q);
        if (res.ok() && res->TotalCount == 2)
          ++ok;
        else
          ++failed;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok == 800);
  CHECK(failed == 0);
  CHECK(srv.bad_signatures == 0);
  CHECK(srv.served == 800);
  // Never more connections than concurrent callers (8), each reused many times.
  CHECK(transport->stats().tls_handshakes <= 8);
  CHECK(transport->stats().connections_reused >= 792);
}

TEST_CASE("async calls on a thread pool over TLS") {
  esa_like_server srv;
  alicloud_test::rig rg;
  net::thread_pool pool(4);
  esa::client c(srv.config(rg), pool.get_executor());
  std::vector<std::future<alicloud::result<esa::GetSiteResponse>>> futures;
  for (int i = 0; i < 200; ++i) futures.push_back(c.async_get_site({}, net::use_future));
  int ok = 0;
  for (auto& f : futures) ok += f.get().ok() ? 1 : 0;
  CHECK(ok == 200);
  CHECK(srv.bad_signatures == 0);
  pool.join();
}

TEST_CASE("retries against a real server: 5xx and throttling retried, a reset PreloadCaches is not") {
  esa_like_server srv;
  alicloud_test::rig rg;
  auto cfg = srv.config(rg);
  std::vector<std::chrono::milliseconds> waits;
  cfg.sleeper = [&](std::chrono::milliseconds d) { waits.push_back(d); };
  esa::client c(cfg);

  reply unavailable;
  unavailable.status = 503;
  unavailable.body = alicloud_test::error_body("ServiceUnavailable");
  reply throttled;
  throttled.status = 400;
  throttled.headers = {{"x-acs-retry-after", "25"}};
  throttled.body = alicloud_test::error_body("Throttling.User", "Request was denied due to user flow control.");
  srv.server.push(unavailable);
  srv.server.push(throttled);
  REQUIRE(c.list_sites({}).ok());
  CHECK(srv.server.request_count() == 3);
  REQUIRE(waits.size() == 2);
  CHECK(waits[1] == 25ms);

  // The server reads the request and resets the connection: maybe executed, so no resend.
  srv.server.push(reply::failing(fault::reset));
  esa::PreloadCachesRequest p;
  p.SiteId = 1;
  p.Content = std::vector<std::string>{"https://a.example/x"};
  auto res = c.preload_caches(p);
  REQUIRE_FALSE(res.ok());
  CHECK(http::is_transport_error(res.error()));
  CHECK_FALSE(http::never_sent(res.error()));
  CHECK(srv.server.request_count() == 4);

  // The same fault on an idempotent call is retried.
  srv.server.push(reply::failing(fault::reset));
  REQUIRE(c.get_site({}).ok());
  CHECK(srv.server.request_count() == 6);
  CHECK(srv.bad_signatures == 0);
}

TEST_CASE("clock skew against a real server Date header") {
  esa_like_server srv;
  alicloud_test::rig rg;
  auto cfg = srv.config(rg);
  cfg.clk = &rg.clk;  // the client believes it is 2024-05-01T00:00:00Z
  reply skewed;
  skewed.status = 400;
  skewed.headers = {{"Date", "Wed, 01 May 2024 00:20:00 GMT"}};
  skewed.body = alicloud_test::error_body("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.");
  srv.server.push(skewed);
  esa::client c(cfg);
  REQUIRE(c.list_sites({}).ok());
  const auto reqs = srv.server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].header("x-acs-date") == "2024-05-01T00:00:00Z");
  CHECK(reqs[1].header("x-acs-date") == "2024-05-01T00:20:00Z");
  CHECK(c.clock_offset() == std::chrono::minutes(20));
}

TEST_CASE("plain http is allowed for a loopback endpoint") {
  esa_like_server srv(/*tls=*/false);
  alicloud_test::rig rg;
  esa::client c(srv.config(rg, /*tls=*/false));
  auto res = c.get_site({});
  INFO((res.ok() ? std::string() : res.error().to_string()));
  REQUIRE(res.ok());
  CHECK(srv.server.handshakes() == 0);
  CHECK(srv.bad_signatures == 0);
}
