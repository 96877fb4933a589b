// beast_transport against a real TLS (and plain) server on 127.0.0.1 with certificates generated at
// test time: verification, refusal of plain http, timeouts, limits, keep-alive reuse, stale
// connections, faults and concurrency.

#include <alicloud/core/beast_transport.hpp>

#include "../support/tls_test_server.hpp"

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace http = alicloud::http;
using alicloud_test::fault;
using alicloud_test::reply;
using alicloud_test::test_server;
using namespace std::chrono_literals;

namespace {

alicloud_test::test_pki& pki() {
  static alicloud_test::test_pki instance;
  return instance;
}

test_server::options tls_with(const alicloud_test::credential& c) {
  test_server::options o;
  o.tls = true;
  o.cert_pem = c.cert_pem;
  o.key_pem = c.key_pem;
  return o;
}

test_server::options plain() {
  test_server::options o;
  o.tls = false;
  return o;
}

/// Trusts only the test CA and ignores any proxy in the environment, so tests are hermetic.
http::beast_transport_options trusting_test_ca() {
  http::beast_transport_options o;
  o.ca_file = pki().ca_file;
  o.use_system_trust_store = false;
  o.proxy = "";
  o.no_proxy = "";
  return o;
}

http::request get(std::uint16_t port, std::string target = "/", std::string host = "127.0.0.1",
                  std::string scheme = "https") {
  http::request q;
  q.method = "GET";
  q.scheme = std::move(scheme);
  q.host = std::move(host);
  q.port = port;
  q.target = std::move(target);
  return q;
}

template <class F>
std::chrono::milliseconds timed(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
}

}  // namespace

TEST_CASE("GET and POST over TLS with the test CA") {
  test_server srv(tls_with(pki().server));
  reply r;
  r.status = 200;
  r.headers = {{"Content-Type", "application/json"}, {"x-acs-request-id", "RID-1"}};
  r.body = R"({"RequestId":"RID-1"})";
  srv.push(r);
  srv.push(reply::ok("posted"));

  http::beast_transport t(trusting_test_ca());
  auto q = get(srv.port(), "/?Action=DescribeSites&PageSize=10");
  q.headers = {{"x-acs-action", "DescribeSites"}};
  auto res = t.send(q, {});
  REQUIRE_MESSAGE(res.ok(), res.error().to_string());
  CHECK(res->status == 200);
  CHECK(res->header("content-type") == "application/json");
  CHECK(res->header("X-ACS-Request-Id") == "RID-1");
  CHECK(res->body == R"({"RequestId":"RID-1"})");

  http::request post = get(srv.port(), "/");
  post.method = "POST";
  post.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Content-Length", "999"}};
  post.body = "A=1&B=two";
  auto res2 = t.send(post, {});
  REQUIRE_MESSAGE(res2.ok(), res2.error().to_string());
  CHECK(res2->body == "posted");

  const auto seen = srv.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].target == "/?Action=DescribeSites&PageSize=10");  // verbatim
  CHECK(seen[0].header("Host") == "127.0.0.1:" + std::to_string(srv.port()));
  CHECK(seen[0].header("User-Agent") == "alicloud-cpp");
  CHECK(seen[0].header("x-acs-action") == "DescribeSites");
  CHECK(seen[1].method == "POST");
  CHECK(seen[1].body == "A=1&B=two");
  CHECK(seen[1].header("Content-Length") == "9");  // the caller's wrong length was not sent
  CHECK(seen[0].connection == seen[1].connection);
}

TEST_CASE("DNS name 'localhost' verifies against the DNS SAN; a hashed CA directory works too") {
  test_server srv(tls_with(pki().server));
  auto o = trusting_test_ca();
  o.ca_file.clear();
  o.ca_dir = pki().ca_dir;
  http::beast_transport t(o);
  auto res = t.send(get(srv.port(), "/x", "localhost"), {});
  REQUIRE_MESSAGE(res.ok(), res.error().to_string());
  CHECK(res->status == 200);
  CHECK(srv.requests().at(0).header("Host") == "localhost:" + std::to_string(srv.port()));
}

TEST_CASE("TLS negatives are refused before any request byte is sent") {
  struct negative {
    const char* name;
    const alicloud_test::credential* cert;
    const char* host;
    const char* reason;  // from OpenSSL's verify result
  };
  const negative cases[] = {
      {"wrong host name", &pki().wrong_name, "127.0.0.1", "mismatch"},
      {"wrong host name (DNS)", &pki().wrong_name, "localhost", "mismatch"},
      {"unknown CA", &pki().untrusted, "127.0.0.1", "unable to get local issuer certificate"},
      {"expired", &pki().expired, "127.0.0.1", "expired"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    test_server srv(tls_with(*c.cert));
    http::beast_transport t(trusting_test_ca());
    auto res = t.send(get(srv.port(), "/", c.host), {});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == http::errc::tls_handshake_failed);
    CHECK(http::never_sent(res.error()));
    CHECK_MESSAGE(res.error().message.find(c.reason) != std::string::npos, res.error().message);
    CHECK(srv.request_count() == 0);
    CHECK(t.stats().tls_handshakes == 0);
  }
}

TEST_CASE("the server certificate is not trusted without the test CA, and is with verify=false") {
  test_server srv(tls_with(pki().server));
  auto o = trusting_test_ca();
  o.ca_file.clear();
  o.use_system_trust_store = true;  // the system store does not know our CA
  http::beast_transport strict(o);
  auto res = strict.send(get(srv.port()), {});
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code == http::errc::tls_handshake_failed);

  o.verify = false;
  http::beast_transport lax(o);
  auto res2 = lax.send(get(srv.port()), {});
  REQUIRE_MESSAGE(res2.ok(), res2.error().to_string());
  CHECK(res2->status == 200);
}

TEST_CASE("bad CA paths are reported at construction and name the option") {
  auto o = trusting_test_ca();
  o.ca_file = "/nonexistent/ca.pem";
  try {
    http::beast_transport t(o);
    FAIL("expected alicloud::exception");
  } catch (const alicloud::exception& e) {
    CHECK(e.error().code == http::errc::invalid_config);
    CHECK(e.error().message.find("ca_file") != std::string::npos);
  }
  o = trusting_test_ca();
  o.ca_dir = "/nonexistent-dir";
  CHECK_THROWS_AS(http::beast_transport{o}, alicloud::exception);
}

TEST_CASE("plain http is refused for non-loopback hosts before any connection attempt") {
  http::beast_transport t(trusting_test_ca());
  http::request_options opts;
  opts.connect_timeout = 60000ms;  // a connect attempt to this blackhole address would hang, not fail
  for (const char* host : {"10.255.255.1", "example.com", "[2001:db8::1]", "127.example.com"}) {
    CAPTURE(host);
    alicloud::result<http::response> res = http::response{};
    const auto elapsed = timed([&] { res = t.send(get(80, "/", host, "http"), opts); });
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == http::errc::insecure_refused);
    CHECK(http::never_sent(res.error()));
    CHECK(elapsed < 200ms);
  }
  CHECK(t.stats().connections_opened == 0);
}

TEST_CASE("plain http to loopback hosts (127.0.0.1, localhost) works without allow_insecure_http") {
  test_server srv(plain());
  http::beast_transport t(trusting_test_ca());
  auto res = t.send(get(srv.port(), "/plain", "127.0.0.1", "http"), {});
  REQUIRE_MESSAGE(res.ok(), res.error().to_string());
  CHECK(res->body == "ok");
  auto res2 = t.send(get(srv.port(), "/plain", "localhost", "http"), {});
  REQUIRE_MESSAGE(res2.ok(), res2.error().to_string());
  CHECK(srv.request_count() == 2);
  CHECK(t.stats().tls_handshakes == 0);
}

TEST_CASE("connection refused is connect_failed and never sent") {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = a.local_endpoint().port();
  a.close();  // nothing listens there now
  http::beast_transport t(trusting_test_ca());
  auto res = t.send(get(port), {});
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code == http::errc::connect_failed);
  CHECK(http::never_sent(res.error()));
  CHECK(res.error().message.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
}

TEST_CASE("invalid requests are rejected with the field named") {
  http::beast_transport t(trusting_test_ca());
  auto expect = [&](http::request q, const char* field, http::request_options o = {}) {
    auto res = t.send(q, o);
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == http::errc::invalid_request);
    CHECK(http::never_sent(res.error()));
    CHECK_MESSAGE(res.error().message.find(field) != std::string::npos, res.error().message);
  };
  auto q = get(1);
  q.scheme = "ftp";
  expect(q, "request.scheme");
  q = get(1);
  q.host = "";
  expect(q, "request.host");
  q = get(1);
  q.headers = {{"X-Evil", "a\r\nInjected: yes"}};
  expect(q, "request.headers");
  q = get(1);
  q.headers = {{"Bad Name", "v"}};
  expect(q, "request.headers");
  q = get(1, "no-slash");
  expect(q, "request.target");
  q = get(1, "/a b");
  expect(q, "request.target");
  q = get(1);
  q.method = "GE T";
  expect(q, "request.method");
  q = get(1);
  q.body = std::string(2000, 'x');
  http::request_options small;
  small.max_request_body = 1000;
  expect(q, "request.body", small);
  CHECK(t.stats().connections_opened == 0);
}

TEST_CASE("read timeout: a stalled server yields timeout_after_send within the bound") {
  test_server srv(tls_with(pki().server));
  srv.push(reply::failing(fault::stall));
  http::beast_transport t(trusting_test_ca());
  http::request_options o;
  o.read_timeout = 300ms;
  alicloud::result<http::response> res = http::response{};
  const auto elapsed = timed([&] { res = t.send(get(srv.port()), o); });
  srv.release_stalls();
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code == http::errc::timeout_after_send);
  CHECK(http::is_timeout(res.error()));
  CHECK_FALSE(http::never_sent(res.error()));
  CHECK(elapsed >= 290ms);
  CHECK(elapsed < 2000ms);
  CHECK(res.error().message.find("timed out after 300 ms") != std::string::npos);
}

TEST_CASE("total timeout caps the read timeout") {
  test_server srv(tls_with(pki().server));
  srv.push(reply::failing(fault::stall));
  http::beast_transport t(trusting_test_ca());
  http::request_options o;
  o.read_timeout = 10000ms;
  o.total_timeout = 400ms;
  alicloud::result<http::response> res = http::response{};
  const auto elapsed = timed([&] { res = t.send(get(srv.port()), o); });
  srv.release_stalls();
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code == http::errc::timeout_after_send);
  CHECK(elapsed >= 390ms);
  CHECK(elapsed < 2000ms);
  CHECK(res.error().message.find("total timeout of 400 ms") != std::string::npos);
}

TEST_CASE("connect timeout covers a TLS handshake that never completes") {
  auto so = tls_with(pki().server);
  so.tls_stall_handshake = true;
  test_server srv(so);
  http::beast_transport t(trusting_test_ca());
  http::request_options o;
  o.connect_timeout = 300ms;
  alicloud::result<http::response> res = http::response{};
  const auto elapsed = timed([&] { res = t.send(get(srv.port()), o); });
  srv.release_stalls();
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code == http::errc::timeout_before_send);
  CHECK(http::never_sent(res.error()));
  CHECK(elapsed >= 290ms);
  CHECK(elapsed < 2000ms);
}

TEST_CASE("connect timeout when the listener's accept queue is full (SYN dropped)") {
  namespace net = boost::asio;
  net::io_context ioc;
  net::ip::tcp::acceptor a(ioc);
  a.open(net::ip::tcp::v4());
  a.bind({net::ip::make_address("127.0.0.1"), 0});
  a.listen(0);  // never accepted: after one queued connection Linux drops further SYNs
  // Fill the queue (and any slack the kernel grants beyond the backlog) with raw non-blocking
  // connects: Asio's synchronous connect would wait for the handshake even on a non-blocking socket.
  std::vector<int> fillers;
  const auto target = a.local_endpoint();
  for (int i = 0; i < 4; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    REQUIRE(fd >= 0);
    fillers.push_back(fd);
    (void)::connect(fd, target.data(), static_cast<socklen_t>(target.size()));
  }
  std::this_thread::sleep_for(50ms);
  http::beast_transport t(trusting_test_ca());
  http::request_options o;
  o.connect_timeout = 300ms;
  alicloud::result<http::response> res = http::response{};
  const auto elapsed = timed([&] { res = t.send(get(a.local_endpoint().port()), o); });
  REQUIRE_FALSE(res.ok());
  CHECK_MESSAGE(res.error().code == http::errc::timeout_before_send, res.error().to_string());
  CHECK(http::never_sent(res.error()));
  CHECK(elapsed >= 290ms);
  CHECK(elapsed < 2000ms);
  for (int fd : fillers) ::close(fd);
}

TEST_CASE("response body limit") {
  test_server srv(tls_with(pki().server));
  srv.push(reply::ok(std::string(1000, 'a')));
  srv.push(reply::ok(std::string(1001, 'b')));
  http::beast_transport t(trusting_test_ca());
  http::request_options o;
  o.max_response_body = 1000;
  auto at_limit = t.send(get(srv.port()), o);
  REQUIRE_MESSAGE(at_limit.ok(), at_limit.error().to_string());
  CHECK(at_limit->body.size() == 1000);
  auto over = t.send(get(srv.port()), o);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code == http::errc::body_too_large);
  CHECK_FALSE(http::never_sent(over.error()));
}

TEST_CASE("keep-alive: 1000 sequential calls use exactly one TLS handshake") {
  test_server srv(tls_with(pki().server));
  srv.set_handler([](const alicloud_test::received_request& r) { return reply::ok("echo " + r.target); });
  http::beast_transport t(trusting_test_ca());
  int ok = 0;
  for (int i = 0; i < 1000; ++i) {
    auto res = t.send(get(srv.port(), "/n/" + std::to_string(i)), {});
    if (res.ok() && res->body == "echo /n/" + std::to_string(i)) ++ok;
  }
  CHECK(ok == 1000);
  CHECK(t.stats().tls_handshakes == 1);
  CHECK(t.stats().connections_opened == 1);
  CHECK(t.stats().connections_reused == 999);
  CHECK(srv.handshakes() == 1);
  CHECK(srv.connections() == 1);
  CHECK(t.idle_connections() == 1);
}

TEST_CASE("Connection: close from the server is honoured (no reuse)") {
  test_server srv(tls_with(pki().server));
  reply closing = reply::ok("bye");
  closing.keep_alive = false;
  srv.push(closing);
  http::beast_transport t(trusting_test_ca());
  auto r1 = t.send(get(srv.port()), {});
  REQUIRE_MESSAGE(r1.ok(), r1.error().to_string());
  CHECK(r1->body == "bye");
  CHECK(t.idle_connections() == 0);
  auto r2 = t.send(get(srv.port()), {});
  REQUIRE_MESSAGE(r2.ok(), r2.error().to_string());
  CHECK(t.stats().tls_handshakes == 2);
  CHECK(t.stats().stale_resends == 0);
}

TEST_CASE("idle connection closed by the server is detected before reuse") {
  test_server srv(tls_with(pki().server));
  srv.push(reply::failing(fault::close_after_response));  // 200 "ok", keep-alive promised, then TCP close
  http::beast_transport t(trusting_test_ca());
  auto r1 = t.send(get(srv.port()), {});
  REQUIRE_MESSAGE(r1.ok(), r1.error().to_string());
  std::this_thread::sleep_for(50ms);  // let the FIN arrive so the probe sees it
  auto r2 = t.send(get(srv.port()), {});
  REQUIRE_MESSAGE(r2.ok(), r2.error().to_string());
  CHECK(t.stats().stale_discarded == 1);
  CHECK(t.stats().stale_resends == 0);
  CHECK(t.stats().tls_handshakes == 2);
  CHECK(srv.request_count() == 2);  // nothing was resent
}

TEST_CASE("a reused connection that dies before any response byte is resent once on a fresh connection") {
  test_server srv(tls_with(pki().server));
  srv.push(reply::ok("first"));
  srv.push(reply::failing(fault::close_silently));  // reads the request, closes without answering
  srv.push(reply::ok("after reconnect"));
  http::beast_transport t(trusting_test_ca());
  auto r1 = t.send(get(srv.port(), "/1"), {});
  REQUIRE_MESSAGE(r1.ok(), r1.error().to_string());
  auto r2 = t.send(get(srv.port(), "/2"), {});
  REQUIRE_MESSAGE(r2.ok(), r2.error().to_string());
  CHECK(r2->body == "after reconnect");
  CHECK(t.stats().stale_resends == 1);
  CHECK(t.stats().tls_handshakes == 2);
  const auto seen = srv.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[1].target == "/2");
  CHECK(seen[2].target == "/2");
  CHECK(seen[1].connection != seen[2].connection);
}

TEST_CASE("no resend when disabled (non-idempotent), and never more than once") {
  test_server srv(tls_with(pki().server));
  http::beast_transport t(trusting_test_ca());

  SUBCASE("disabled: the failure is reported as maybe-sent") {
    srv.push(reply::ok());
    srv.push(reply::failing(fault::close_silently));
    REQUIRE(t.send(get(srv.port()), {}).ok());
    http::request_options o;
    o.resend_on_stale_connection = false;
    auto res = t.send(get(srv.port()), o);
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == http::errc::read_failed);
    CHECK_FALSE(http::never_sent(res.error()));
    CHECK(srv.request_count() == 2);
    CHECK(t.stats().stale_resends == 0);
  }
  SUBCASE("a fresh connection dying is not 'stale': no resend") {
    srv.push(reply::failing(fault::close_silently));
    auto res = t.send(get(srv.port()), {});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == http::errc::read_failed);
    CHECK(srv.request_count() == 1);
  }
  SUBCASE("the resend itself failing is reported, not retried again") {
    srv.push(reply::ok());
    srv.push(reply::failing(fault::close_silently));
    srv.push(reply::failing(fault::close_silently));
    srv.push(reply::ok("unused"));
    REQUIRE(t.send(get(srv.port()), {}).ok());
    auto res = t.send(get(srv.port()), {});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == http::errc::read_failed);
    CHECK(srv.request_count() == 3);
    CHECK(t.stats().stale_resends == 1);
  }
}

TEST_CASE("server faults map to maybe-sent errors") {
  test_server srv(tls_with(pki().server));
  http::beast_transport t(trusting_test_ca());
  struct fault_case {
    fault f;
    http::errc expected;
  };
  for (const auto& c : {fault_case{fault::reset, http::errc::read_failed},
                        fault_case{fault::close_after_headers, http::errc::read_failed},
                        fault_case{fault::malformed, http::errc::bad_response}}) {
    CAPTURE(static_cast<int>(c.f));
    srv.push(reply::failing(c.f));
    auto res = t.send(get(srv.port()), {});
    REQUIRE_FALSE(res.ok());
    CHECK_MESSAGE(res.error().code == c.expected, res.error().to_string());
    CHECK_FALSE(http::never_sent(res.error()));
  }
  // The transport recovers: the next call opens a fresh connection.
  auto res = t.send(get(srv.port()), {});
  REQUIRE_MESSAGE(res.ok(), res.error().to_string());
}

TEST_CASE("chunked responses, HEAD and non-2xx statuses") {
  test_server srv(tls_with(pki().server));
  reply chunked;
  chunked.kind = fault::raw;
  chunked.body =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  srv.push(chunked);
  reply head_reply;
  head_reply.kind = fault::raw;
  head_reply.body = "HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n";  // HEAD: length without a body
  srv.push(head_reply);
  reply err;
  err.status = 503;
  err.headers = {{"Retry-After", "2"}};
  err.body = R"({"Code":"ServiceUnavailable"})";
  srv.push(err);

  http::beast_transport t(trusting_test_ca());
  http::request_options o;
  o.read_timeout = 2000ms;
  auto r1 = t.send(get(srv.port()), o);
  REQUIRE_MESSAGE(r1.ok(), r1.error().to_string());
  CHECK(r1->body == "hello world");
  auto head = get(srv.port());
  head.method = "HEAD";
  auto r2 = t.send(head, o);
  REQUIRE_MESSAGE(r2.ok(), r2.error().to_string());
  CHECK(r2->header("Content-Length") == "12345");
  CHECK(r2->body.empty());
  auto r3 = t.send(get(srv.port()), o);
  REQUIRE_MESSAGE(r3.ok(), r3.error().to_string());
  CHECK(r3->status == 503);
  CHECK(r3->header("retry-after") == "2");
  CHECK(t.stats().tls_handshakes == 1);  // all three on one connection
}

TEST_CASE("concurrent sends from 8 threads share a bounded pool") {
  test_server srv(tls_with(pki().server));
  srv.set_handler([](const alicloud_test::received_request& r) { return reply::ok(r.target); });
  auto o = trusting_test_ca();
  o.max_connections_per_host = 4;
  http::beast_transport t(o);
  constexpr int threads = 8, per_thread = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&, i] {
      for (int j = 0; j < per_thread; ++j) {
        const auto target = "/t" + std::to_string(i) + "/" + std::to_string(j);
        auto res = t.send(get(srv.port(), target), {});
        if (res.ok() && res->body == target) ++ok;
      }
    });
  for (auto& th : pool) th.join();
  CHECK(ok == threads * per_thread);
  std::set<std::string> targets;
  for (const auto& r : srv.requests()) targets.insert(r.target);
  CHECK(targets.size() == static_cast<std::size_t>(threads * per_thread));  // none lost, none duplicated
  CHECK(srv.request_count() == static_cast<std::size_t>(threads * per_thread));
  CHECK(t.idle_connections() <= 4);
  // Reuse happened: far fewer handshakes than requests.
  CHECK(t.stats().tls_handshakes < 100);
  CHECK(t.stats().tls_handshakes == srv.handshakes());
}
