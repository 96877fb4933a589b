// The transport seam without a network: request/response values, the alicloud.http error category
// and the scripted fake users get for their own tests.

#include <alicloud/core/fake_transport.hpp>
#include <alicloud/core/http.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace http = alicloud::http;

TEST_CASE("response::header is case-insensitive and returns the first value") {
  http::response r;
  r.headers = {{"Content-Type", "application/json"}, {"x-acs-request-id", "A"}, {"X-Acs-Request-Id", "B"}};
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("X-ACS-REQUEST-ID") == "A");
  CHECK(r.header("missing").empty());
  CHECK(r.header("Content-Typ").empty());
}

TEST_CASE("request defaults and effective port") {
  http::request q;
  CHECK(q.method == "GET");
  CHECK(q.scheme == "https");
  CHECK(q.effective_port() == 443);
  q.scheme = "http";
  CHECK(q.effective_port() == 80);
  q.port = 8080;
  CHECK(q.effective_port() == 8080);
  http::request_options o;
  CHECK(o.connect_timeout.count() == 5000);
  CHECK(o.read_timeout.count() == 10000);
  CHECK(o.total_timeout.count() == 30000);
  CHECK(o.max_response_body == 8u * 1024 * 1024);
}

TEST_CASE("alicloud.http codes: category, messages, coarse mapping") {
  const std::error_code ec = http::errc::connect_failed;  // implicit via is_error_code_enum
  CHECK(std::string(ec.category().name()) == "alicloud.http");
  CHECK(ec.message() == "connection failed");
  CHECK(http::coarse_code(ec) == alicloud::errc::transport);
  CHECK(http::coarse_code(http::errc::timeout_after_send) == alicloud::errc::timeout);
  CHECK(http::coarse_code(http::errc::timeout_before_send) == alicloud::errc::timeout);
  CHECK(http::coarse_code(alicloud::errc::cancelled) == alicloud::errc::cancelled);
  CHECK(http::coarse_code(std::make_error_code(std::errc::io_error)) == alicloud::errc::transport);
  // The coarse mapping is a real error_condition, so generic code can compare without our helpers.
  const std::error_condition timeout_cond(static_cast<int>(alicloud::errc::timeout), alicloud::library_category());
  CHECK(std::error_code(http::errc::timeout_after_send) == timeout_cond);
  CHECK_FALSE(std::error_code(http::errc::read_failed) == timeout_cond);
  CHECK(std::error_code(http::errc::read_failed) != std::error_code(alicloud::errc::transport));
}

TEST_CASE("never_sent separates provably-unsent failures from maybe-sent ones") {
  using E = http::errc;
  for (E e : {E::invalid_request, E::invalid_config, E::insecure_refused, E::resolve_failed, E::connect_failed,
              E::proxy_failed, E::tls_handshake_failed, E::timeout_before_send}) {
    CAPTURE(static_cast<int>(e));
    CHECK(http::never_sent(http::make_error(e, "x")));
  }
  for (E e : {E::write_failed, E::read_failed, E::timeout_after_send, E::body_too_large, E::bad_response}) {
    CAPTURE(static_cast<int>(e));
    CHECK_FALSE(http::never_sent(http::make_error(e, "x")));
  }
  // Foreign codes are never assumed unsent.
  CHECK_FALSE(http::never_sent(alicloud::error(alicloud::errc::transport, "x")));
  CHECK_FALSE(http::never_sent(alicloud::error(std::make_error_code(std::errc::connection_refused), "x")));
  CHECK(http::is_timeout(http::make_error(E::timeout_before_send, "t")));
  CHECK_FALSE(http::is_timeout(http::make_error(E::connect_failed, "t")));
}

TEST_CASE("fake_transport serves the script in order and records every call") {
  http::fake_transport fake;
  fake.push(200, R"({"ok":true})", {{"Content-Type", "application/json"}})
      .push(http::errc::read_failed)
      .push([](const http::request& q, const http::request_options& o) -> alicloud::result<http::response> {
        http::response r;
        r.status = 201;
        r.body = q.method + " " + q.target + " " + std::to_string(o.read_timeout.count());
        return r;
      });
  CHECK(fake.pending() == 3);

  http::request q;
  q.host = "esa.cn-hangzhou.aliyuncs.com";
  q.target = "/?Action=A";
  http::request_options o;
  o.read_timeout = std::chrono::milliseconds(1234);

  auto r1 = fake.send(q, o);
  REQUIRE(r1.ok());
  CHECK(r1->status == 200);
  CHECK(r1->header("content-type") == "application/json");

  q.target = "/?Action=B";
  auto r2 = fake.send(q, o);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error().code == http::errc::read_failed);
  CHECK_FALSE(http::never_sent(r2.error()));

  q.method = "POST";
  q.target = "/?Action=C";
  auto r3 = fake.send(q, o);
  REQUIRE(r3.ok());
  CHECK(r3->status == 201);
  CHECK(r3->body == "POST /?Action=C 1234");

  CHECK(fake.pending() == 0);
  const auto calls = fake.calls();
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].req.target == "/?Action=A");
  CHECK(calls[1].req.target == "/?Action=B");
  CHECK(calls[2].req.method == "POST");
  CHECK(calls[2].options.read_timeout.count() == 1234);
  REQUIRE(fake.last_request().has_value());
  CHECK(fake.last_request()->target == "/?Action=C");

  // Exhausted script: fails loudly, and not with a code that claims "never sent".
  auto r4 = fake.send(q, o);
  REQUIRE_FALSE(r4.ok());
  CHECK(r4.error().message.find("no scripted reply") != std::string::npos);
  CHECK_FALSE(http::never_sent(r4.error()));

  fake.set_fallback([](const http::request&, const http::request_options&) -> alicloud::result<http::response> {
    http::response r;
    r.status = 503;
    return r;
  });
  auto r5 = fake.send(q, o);
  REQUIRE(r5.ok());
  CHECK(r5->status == 503);
  CHECK(fake.request_count() == 5);
}

TEST_CASE("fake_transport via the base-class seam, including the default async_send") {
  http::fake_transport fake;
  fake.push(204);
  http::transport& t = fake;
  int status = 0;
  std::thread::id where;
  t.async_send(http::request{}, http::request_options{}, [&](alicloud::result<http::response> r) {
    REQUIRE(r.ok());
    status = r->status;
    where = std::this_thread::get_id();
  });
  CHECK(status == 204);
  CHECK(where == std::this_thread::get_id());
}

TEST_CASE("fake_transport is safe under concurrent sends") {
  http::fake_transport fake;
  constexpr int threads = 8, per_thread = 200;
  for (int i = 0; i < threads * per_thread; ++i) fake.push(200, std::to_string(i));
  std::vector<std::thread> pool;
  std::vector<std::vector<std::string>> seen(threads);
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        http::request q;
        q.target = "/" + std::to_string(t) + "/" + std::to_string(i);
        auto r = fake.send(q, http::request_options{});
        if (r.ok()) seen[t].push_back(r->body);
      }
    });
  for (auto& th : pool) th.join();
  std::set<std::string> all;
  for (const auto& v : seen) all.insert(v.begin(), v.end());
  CHECK(all.size() == static_cast<std::size_t>(threads * per_thread));  // each reply served exactly once
  CHECK(fake.request_count() == static_cast<std::size_t>(threads * per_thread));
  CHECK(fake.pending() == 0);
}
