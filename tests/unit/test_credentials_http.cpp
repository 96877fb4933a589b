// The network credential providers against a fake metadata service on 127.0.0.1: the IMDSv2
// token flow, role discovery, IMDSv1 fallback, HTTP errors, expiry and refresh, concurrency, the
// credentials URI provider, the plain HTTP client itself, and the default chain.

#include <alicloud/core/credentials_http.hpp>
#include <alicloud/core/plain_http.hpp>

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

namespace fs = std::filesystem;
using alicloud::credentials;

namespace {

const std::string kSecret = "MetaS3cretNeverPrinted5";
const std::string kToken = "MetaT0kenNeverPrinted3";
const std::string kImdsToken = "imds-session-token-abc";

std::chrono::system_clock::time_point epoch_seconds(long long s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(s));
}

/// A single-threaded HTTP/1.1 server on 127.0.0.1:0 answering one request per connection.
class fake_http_server {
 public:
  struct request {
    std::string method, target, body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string header(std::string_view name) const {
      for (const auto& [n, v] : headers)
        if (alicloud::http::iequals(n, name)) return v;
      return "<absent>";
    }
  };
  struct reply {
    int status = 200;
    std::string body;
    bool chunked = false;
    bool hang = false;  ///< accept, read, never answer (until the client gives up)
  };
  using handler = std::function<reply(const request&)>;

  explicit fake_http_server(handler h) : handler_(std::move(h)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listen_fd_ >= 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listen_fd_, 64) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~fake_http_server() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  fake_http_server(const fake_http_server&) = delete;
  fake_http_server& operator=(const fake_http_server&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<request> requests() const {
    std::lock_guard<std::mutex> lk(mutex_);
    return requests_;
  }
  void set_handler(handler h) {
    std::lock_guard<std::mutex> lk(mutex_);
    handler_ = std::move(h);
  }
  void clear() {
    std::lock_guard<std::mutex> lk(mutex_);
    requests_.clear();
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      serve(fd);
      ::close(fd);
    }
  }

  static bool wait_readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0;
  }

  void serve(int fd) {
    std::string data;
    char buf[4096];
    std::size_t head_end = std::string::npos;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
      if (!wait_readable(fd, 2000)) return;
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      data.append(buf, static_cast<std::size_t>(n));
    }
    request req;
    const std::string head = data.substr(0, head_end);
    std::size_t pos = head.find("\r\n");
    const std::string line = head.substr(0, pos);
    const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
    req.method = line.substr(0, sp1);
    req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t content_length = 0;
    while (pos != std::string::npos && pos < head.size()) {
      const auto next = head.find("\r\n", pos + 2);
      const std::string h = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      pos = next;
      const auto colon = h.find(':');
      if (colon == std::string::npos) continue;
      std::string value = h.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      req.headers.emplace_back(h.substr(0, colon), value);
      if (alicloud::http::iequals(h.substr(0, colon), "Content-Length")) content_length = std::stoul(value);
    }
    req.body = data.substr(head_end + 4);
    while (req.body.size() < content_length) {
      if (!wait_readable(fd, 2000)) return;
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      req.body.append(buf, static_cast<std::size_t>(n));
    }
    handler h;
    {
      std::lock_guard<std::mutex> lk(mutex_);
      requests_.push_back(req);
      h = handler_;
    }
    const reply r = h(req);
    if (r.hang) {
      // Hold the connection until the client closes it (its timeout) or the server stops.
      while (!stop_) {
        if (wait_readable(fd, 20) && ::recv(fd, buf, sizeof buf, 0) <= 0) break;
      }
      return;
    }
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " X\r\nContent-Type: text/plain\r\n";
    if (r.chunked) {
      out += "Transfer-Encoding: chunked\r\n\r\n";
      for (std::size_t i = 0; i < r.body.size(); i += 7) {
        const auto part = r.body.substr(i, 7);
        char size[16];
        std::snprintf(size, sizeof size, "%zx", part.size());
        out += std::string(size) + "\r\n" + part + "\r\n";
      }
      out += "0\r\n\r\n";
    } else {
      out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
    }
    std::size_t sent = 0;
    while (sent < out.size()) {
      const auto n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  handler handler_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<request> requests_;
};

std::string sts_json(const std::string& id, std::chrono::system_clock::time_point expiration,
                     const std::string& code = "Success") {
  return R"({"Code":")" + code + R"(","AccessKeyId":")" + id + R"(","AccessKeySecret":")" + kSecret +
         R"(","SecurityToken":")" + kToken + R"(","Expiration":")" + alicloud::format_utc_timestamp(expiration) +
         R"(","LastUpdated":"2024-01-01T00:00:00Z"})";
}

/// The metadata service as Alibaba documents it, with knobs for the failure modes.
struct fake_metadata {
  std::mutex m;
  std::string role = "EcsRamRoleTest";
  int token_status = 200;
  int role_status = 200;
  int creds_status = 200;
  bool require_token = true;
  std::string creds_body_override;
  std::function<std::chrono::system_clock::time_point()> expiration;
  std::atomic<int> creds_fetches{0};

  fake_http_server::reply operator()(const fake_http_server::request& r) {
    std::lock_guard<std::mutex> lk(m);
    if (r.method == "PUT" && r.target == "/latest/api/token") {
      if (token_status != 200) return {token_status, "no", false, false};
      return {200, kImdsToken, false, false};
    }
    if (require_token && r.header("X-aliyun-ecs-metadata-token") != kImdsToken) return {401, "", false, false};
    if (r.method != "GET") return {405, "", false, false};
    if (r.target == "/latest/meta-data/ram/security-credentials/") {
      return {role_status, role_status == 200 ? role + "\n" : "", false, false};
    }
    if (r.target == "/latest/meta-data/ram/security-credentials/" + role) {
      if (creds_status != 200) return {creds_status, "", false, false};
      const int n = ++creds_fetches;
      if (!creds_body_override.empty()) return {200, creds_body_override, false, false};
      return {200, sts_json("STS.meta" + std::to_string(n), expiration()), false, false};
    }
    return {404, "", false, false};
  }
};

alicloud::ecs_ram_role_options ecs_options(const fake_http_server& server, const alicloud::clock& clk) {
  alicloud::ecs_ram_role_options o;
  o.endpoint = server.url();
  o.env = alicloud::fixed_environment({});
  o.clk = &clk;
  return o;
}

void check_no_secret(const std::string& text) {
  CAPTURE(text);
  CHECK(text.find(kSecret) == std::string::npos);
  CHECK(text.find(kToken) == std::string::npos);
  CHECK(text.find(kImdsToken) == std::string::npos);
}

std::string error_of(alicloud::credentials_provider& p) {
  auto r = p.get();
  REQUIRE_FALSE(r.ok());
  check_no_secret(r.error().message);
  return r.error().message;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_SUITE("plain http") {
  TEST_CASE("GET, PUT with body, chunked response, status codes") {
    fake_http_server server([](const fake_http_server::request& r) -> fake_http_server::reply {
      if (r.target == "/chunked") return {200, "a chunked body that spans chunks", true, false};
      if (r.target == "/missing") return {404, "nope", false, false};
      return {200, r.method + " " + r.target + " [" + r.body + "] " + r.header("Host") + " " + r.header("X-Test"),
              false, false};
    });
    alicloud::http::plain_http_transport t;
    alicloud::http::request req;
    req.scheme = "http";
    req.host = "127.0.0.1";
    req.port = server.port();
    req.target = "/a?b=c%20d";
    req.headers = {{"X-Test", "yes"}};
    alicloud::http::request_options opts;
    auto r = t.send(req, opts);
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->body == "GET /a?b=c%20d [] 127.0.0.1:" + std::to_string(server.port()) + " yes");
    CHECK(r->header("content-type") == "text/plain");

    req.method = "PUT";
    req.body = "payload";
    r = t.send(req, opts);
    REQUIRE(r.ok());
    CHECK(r->body.rfind("PUT /a?b=c%20d [payload]", 0) == 0);
    CHECK(server.requests().back().header("Content-Length") == "7");

    req.method = "GET";
    req.body.clear();
    req.target = "/chunked";
    r = t.send(req, opts);
    REQUIRE(r.ok());
    CHECK(r->body == "a chunked body that spans chunks");

    req.target = "/missing";
    r = t.send(req, opts);
    REQUIRE(r.ok());
    CHECK(r->status == 404);
    CHECK(r->body == "nope");
  }

  TEST_CASE("errors: refused, timeout, https, limits, injection") {
    alicloud::http::plain_http_transport t;
    alicloud::http::request req;
    req.scheme = "http";
    req.host = "127.0.0.1";
    alicloud::http::request_options opts;

    req.port = closed_port();
    auto refused = t.send(req, opts);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == alicloud::http::errc::connect_failed);
    CHECK(alicloud::http::never_sent(refused.error()));

    fake_http_server hang([](const fake_http_server::request&) { return fake_http_server::reply{200, "", false, true}; });
    req.port = hang.port();
    opts.read_timeout = std::chrono::milliseconds(200);
    const auto start = std::chrono::steady_clock::now();
    auto slow = t.send(req, opts);
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(slow.ok());
    CHECK(slow.error().code == alicloud::http::errc::timeout_after_send);
    CHECK(alicloud::http::is_timeout(slow.error()));
    CHECK(took < std::chrono::seconds(2));

    fake_http_server big([](const fake_http_server::request&) {
      return fake_http_server::reply{200, std::string(5000, 'x'), false, false};
    });
    req.port = big.port();
    opts.read_timeout = std::chrono::milliseconds(2000);
    opts.max_response_body = 1000;
    auto too_big = t.send(req, opts);
    REQUIRE_FALSE(too_big.ok());
    CHECK(too_big.error().code == alicloud::http::errc::body_too_large);

    req.scheme = "https";
    auto tls = t.send(req, opts);
    REQUIRE_FALSE(tls.ok());
    CHECK(tls.error().code == alicloud::http::errc::invalid_request);
    CHECK(contains(tls.error().message, "only http://"));

    req.scheme = "http";
    req.headers = {{"X-Evil", "a\r\nInjected: 1"}};
    auto inj = t.send(req, opts);
    REQUIRE_FALSE(inj.ok());
    CHECK(inj.error().code == alicloud::http::errc::invalid_request);
  }
}

TEST_SUITE("ecs ram role") {
  TEST_CASE("IMDSv2 flow: token PUT, role discovery, credentials JSON") {
    alicloud::manual_clock clk(epoch_seconds(1700000000));
    fake_metadata meta;
    meta.expiration = [&] { return clk.now() + std::chrono::hours(6); };
    fake_http_server server(std::ref(meta));
    alicloud::ecs_ram_role_credentials_provider p(ecs_options(server, clk));
    CHECK(p.name() == "ecs_ram_role");
    auto r = p.get();
    REQUIRE(r.ok());
    CHECK(r->access_key_id == "STS.meta1");
    CHECK(r->access_key_secret == kSecret);
    CHECK(r->security_token == kToken);
    CHECK(r->expiration == clk.now() + std::chrono::hours(6));

    const auto reqs = server.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[0].method == "PUT");
    CHECK(reqs[0].target == "/latest/api/token");
    CHECK(reqs[0].header("X-aliyun-ecs-metadata-token-ttl-seconds") == "21600");
    CHECK(reqs[1].method == "GET");
    CHECK(reqs[1].target == "/latest/meta-data/ram/security-credentials/");
    CHECK(reqs[1].header("X-aliyun-ecs-metadata-token") == kImdsToken);
    CHECK(reqs[2].target == "/latest/meta-data/ram/security-credentials/EcsRamRoleTest");
    CHECK(reqs[2].header("X-aliyun-ecs-metadata-token") == kImdsToken);
  }

  TEST_CASE("configured role name (option or ALIBABA_CLOUD_ECS_METADATA) skips discovery") {
    alicloud::manual_clock clk(epoch_seconds(1700000000));
    fake_metadata meta;
    meta.role = "ConfiguredRole";
    meta.role_status = 500;  // discovery would fail
    meta.expiration = [&] { return clk.now() + std::chrono::hours(1); };
    fake_http_server server(std::ref(meta));
    auto o = ecs_options(server, clk);
    o.env = alicloud::fixed_environment({{"ALIBABA_CLOUD_ECS_METADATA", "ConfiguredRole"}});
    alicloud::ecs_ram_role_credentials_provider p(o);
    REQUIRE(p.get().ok());
    const auto reqs = server.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[1].target == "/latest/meta-data/ram/security-credentials/ConfiguredRole");
  }

  TEST_CASE("IMDSv1 fallback, and its prohibition") {
    alicloud::manual_clock clk(epoch_seconds(1700000000));
    fake_metadata meta;
    meta.token_status = 404;
    meta.require_token = false;
    meta.expiration = [&] { return clk.now() + std::chrono::hours(1); };
    fake_http_server server(std::ref(meta));
    {
      alicloud::ecs_ram_role_credentials_provider p(ecs_options(server, clk));
      REQUIRE(p.get().ok());
      const auto reqs = server.requests();
      REQUIRE(reqs.size() == 3);
      CHECK(reqs[2].header("X-aliyun-ecs-metadata-token") == "<absent>");
    }
    auto o = ecs_options(server, clk);
    o.env = alicloud::fixed_environment({{"ALIBABA_CLOUD_IMDSV1_DISABLED", "true"}});
    alicloud::ecs_ram_role_credentials_provider strict(o);
    const auto e = error_of(strict);
    CHECK(e == "PUT " + server.url() +
                   "/latest/api/token (IMDSv2 token): HTTP 404 (IMDSv1 fallback disabled by "
                   "ALIBABA_CLOUD_IMDSV1_DISABLED)");
  }

  TEST_CASE("metadata errors are reported by step and status, never with secrets") {
    alicloud::manual_clock clk(epoch_seconds(1700000000));
    fake_metadata meta;
    meta.expiration = [&] { return clk.now() + std::chrono::hours(1); };
    fake_http_server server(std::ref(meta));
    SUBCASE("no role attached: 404 on discovery") {
      meta.role_status = 404;
      alicloud::ecs_ram_role_credentials_provider p(ecs_options(server, clk));
      CHECK(error_of(p) == "GET " + server.url() + "/latest/meta-data/ram/security-credentials/ (RAM role name): HTTP 404");
    }
    SUBCASE("credentials 404") {
      meta.creds_status = 404;
      alicloud::ecs_ram_role_credentials_provider p(ecs_options(server, clk));
      CHECK(error_of(p) == "GET " + server.url() +
                               "/latest/meta-data/ram/security-credentials/EcsRamRoleTest (credentials of role "
                               "'EcsRamRoleTest'): HTTP 404");
    }
    SUBCASE("Code is not Success") {
      meta.creds_body_override = sts_json("x", clk.now() + std::chrono::hours(1), "Failed");
      alicloud::ecs_ram_role_credentials_provider p(ecs_options(server, clk));
      CHECK(error_of(p) == "ECS metadata credentials of role 'EcsRamRoleTest': field 'Code' is 'Failed', expected 'Success'");
    }
    SUBCASE("bad JSON") {
      meta.creds_body_override = "{\n\"AccessKeySecret\": \"" + kSecret + "\",\n oops}";
      alicloud::ecs_ram_role_credentials_provider p(ecs_options(server, clk));
      CHECK(contains(error_of(p), "ECS metadata credentials of role 'EcsRamRoleTest': bad JSON at line 3, column 2"));
    }
    SUBCASE("missing field and wrong type") {
      meta.creds_body_override = R"({"Code":"Success","AccessKeyId":"a","AccessKeySecret":")" + kSecret +
                                 R"(","Expiration":"2030-01-01T00:00:00Z"})";
      alicloud::ecs_ram_role_credentials_provider p(ecs_options(server, clk));
      CHECK(error_of(p) == "ECS metadata credentials of role 'EcsRamRoleTest': field 'SecurityToken' is missing");
      meta.creds_body_override = R"({"Code":"Success","AccessKeyId":7,"AccessKeySecret":")" + kSecret + R"("})";
      alicloud::ecs_ram_role_credentials_provider q(ecs_options(server, clk));
      CHECK(error_of(q) ==
            "ECS metadata credentials of role 'EcsRamRoleTest': field 'AccessKeyId' must be a string, not a number");
    }
    SUBCASE("bad Expiration") {
      meta.creds_body_override = R"({"Code":"Success","AccessKeyId":"a","AccessKeySecret":")" + kSecret +
                                 R"(","SecurityToken":")" + kToken + R"(","Expiration":"tomorrow"})";
      alicloud::ecs_ram_role_credentials_provider p(ecs_options(server, clk));
      CHECK(error_of(p) == "ECS metadata credentials of role 'EcsRamRoleTest': field 'Expiration' is 'tomorrow', "
                           "expected yyyy-MM-ddTHH:mm:ssZ");
    }
  }

  TEST_CASE("unreachable metadata service fails fast without an IMDSv1 retry") {
    alicloud::manual_clock clk(epoch_seconds(1700000000));
    alicloud::ecs_ram_role_options o;
    o.endpoint = "http://127.0.0.1:" + std::to_string(closed_port());
    o.env = alicloud::fixed_environment({});
    o.clk = &clk;
    alicloud::ecs_ram_role_credentials_provider p(o);
    const auto e = error_of(p);
    CHECK(contains(e, "/latest/api/token (IMDSv2 token): " + o.endpoint + ": connect failed"));
    CHECK_FALSE(contains(e, "RAM role name"));
  }

  TEST_CASE("expiry and refresh against the fake service") {
    alicloud::manual_clock clk(epoch_seconds(1700000000));
    fake_metadata meta;
    meta.expiration = [&] { return clk.now() + std::chrono::hours(1); };
    fake_http_server server(std::ref(meta));
    alicloud::ecs_ram_role_credentials_provider p(ecs_options(server, clk));
    CHECK(p.get()->access_key_id == "STS.meta1");
    clk.advance(std::chrono::minutes(50));
    CHECK(p.get()->access_key_id == "STS.meta1");  // 10 min left: cached
    CHECK(meta.creds_fetches == 1);
    clk.advance(std::chrono::minutes(7));  // 3 min left: refreshed
    CHECK(p.get()->access_key_id == "STS.meta2");
    CHECK(meta.creds_fetches == 2);
    CHECK(server.requests().size() == 6);  // token + role + credentials, twice

    {
      std::lock_guard<std::mutex> lk(meta.m);
      meta.creds_status = 503;
    }
    clk.advance(std::chrono::minutes(58));  // 2 min left on STS.meta2, refresh fails: keep it
    CHECK(p.get()->access_key_id == "STS.meta2");
    clk.advance(std::chrono::minutes(2));  // expired, refresh fails
    CHECK(contains(error_of(p), "HTTP 503"));
  }

  TEST_CASE("concurrent readers share one refresh") {
    alicloud::manual_clock clk(epoch_seconds(1700000000));
    fake_metadata meta;
    meta.expiration = [&] { return clk.now() + std::chrono::seconds(600); };
    fake_http_server server(std::ref(meta));
    alicloud::ecs_ram_role_credentials_provider p(ecs_options(server, clk));
    std::atomic<int> failures{0};
    std::atomic<bool> stop{false};
    std::thread ticker([&] {
      for (int i = 0; i < 100; ++i) {
        clk.advance(std::chrono::seconds(30));
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      stop = true;
    });
    std::vector<std::thread> readers;
    for (int i = 0; i < 6; ++i) {
      readers.emplace_back([&] {
        while (!stop) {
          const auto before = clk.now();
          auto r = p.get();
          if (!r.ok() || *r->expiration <= before) ++failures;
        }
      });
    }
    ticker.join();
    for (auto& t : readers) t.join();
    CHECK(failures == 0);
    // 3000 s of clock, 600 s credentials refreshed 180 s early.
    CHECK(meta.creds_fetches >= 2);
    CHECK(meta.creds_fetches <= 3000 / 420 + 1);
  }
}

TEST_SUITE("credentials uri") {
  TEST_CASE("success, HTTP errors, and no query string in messages") {
    alicloud::manual_clock clk(epoch_seconds(1700000000));
    std::atomic<int> status{200};
    fake_http_server server([&](const fake_http_server::request& r) -> fake_http_server::reply {
      if (status != 200) return {status, "", false, false};
      CHECK(r.target == "/creds?auth=QuerySecret1");
      return {200, sts_json("STS.uri", clk.now() + std::chrono::hours(1)), true, false};
    });
    alicloud::credentials_uri_options o;
    o.env = alicloud::fixed_environment({{"ALIBABA_CLOUD_CREDENTIALS_URI", server.url() + "/creds?auth=QuerySecret1"}});
    o.clk = &clk;
    alicloud::credentials_uri_provider p(o);
    CHECK(p.name() == "credentials_uri");
    auto r = p.get();
    REQUIRE(r.ok());
    CHECK(r->access_key_id == "STS.uri");
    CHECK(r->security_token == kToken);

    status = 500;
    alicloud::credentials_uri_provider q(o);
    const auto e = error_of(q);
    CHECK(e == "GET " + server.url() + "/creds: HTTP 500");
    CHECK_FALSE(contains(e, "QuerySecret1"));

    alicloud::credentials_uri_options none;
    none.env = alicloud::fixed_environment({});
    alicloud::credentials_uri_provider unset(none);
    CHECK(error_of(unset) == "ALIBABA_CLOUD_CREDENTIALS_URI is not set");
    none.uri = "ftp://x/y";
    alicloud::credentials_uri_provider ftp(none);
    CHECK(error_of(ftp) == "credentials URI: scheme must be http or https, not 'ftp'");
    none.uri = "https://creds.example/x";
    alicloud::credentials_uri_provider https(none);
    CHECK(contains(error_of(https), "only http://"));
  }
}

TEST_SUITE("default chain") {
  struct temp_home {
    fs::path path;
    temp_home() {
      std::random_device rd;
      path = fs::temp_directory_path() / ("alicloud-chain-test-" + std::to_string(rd()) + std::to_string(rd()));
      fs::create_directories(path);
    }
    ~temp_home() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
    void write(const std::string& rel, const std::string& text) const {
      fs::create_directories((path / rel).parent_path());
      std::ofstream(path / rel, std::ios::binary) << text;
    }
  };

  alicloud::default_chain_options chain_options(const temp_home& home, const fake_http_server& server,
                                                const alicloud::clock& clk,
                                                std::map<std::string, std::string, std::less<>> env) {
    alicloud::default_chain_options o;
    env["HOME"] = home.path.string();
    o.env = alicloud::fixed_environment(std::move(env));
    o.clk = &clk;
    o.ecs_metadata_endpoint = server.url();
    return o;
  }

  TEST_CASE("all sources fail: every provider and its reason, no secret") {
    temp_home home;
    home.write(".aliyun/config.json", "{\"profiles\": [\n{\"name\":\"default\",\"mode\":\"AK\",\"access_key_secret\":\"" +
                                          kSecret + "\"}]}");
    alicloud::manual_clock clk(epoch_seconds(1700000000));
    fake_metadata meta;
    meta.role_status = 404;
    meta.expiration = [&] { return clk.now() + std::chrono::hours(1); };
    fake_http_server server(std::ref(meta));
    auto chain = alicloud::default_credentials_chain(
        chain_options(home, server, clk, {{"ALIBABA_CLOUD_ACCESS_KEY_ID", "onlyid"}}));
    CHECK(chain->name() == "default");
    const auto e = error_of(*chain);
    const std::string cfg = (home.path / ".aliyun" / "config.json").string();
    const std::string ini = (home.path / ".alibabacloud" / "credentials").string();
    CHECK(e == "no credentials found by the default chain; tried:\n"
               "  environment: ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set (the id variable is)\n"
               "  cli_profile: " + cfg + ": profile 'default': field 'access_key_id' is missing (required for mode AK)\n"
               "  credentials_file: " + ini + ": file not found (nor " + ini + ".ini)\n"
               "  ecs_ram_role: GET " + server.url() + "/latest/meta-data/ram/security-credentials/ (RAM role name): HTTP 404");
  }

  TEST_CASE("switches: CLI and ECS disabled, OIDC reported, URI appended") {
    temp_home home;
    alicloud::manual_clock clk(epoch_seconds(1700000000));
    fake_http_server server([&](const fake_http_server::request& r) -> fake_http_server::reply {
      if (r.target == "/uri") return {200, sts_json("STS.fromuri", clk.now() + std::chrono::hours(1)), false, false};
      return {404, "", false, false};
    });
    auto chain = alicloud::default_credentials_chain(chain_options(
        home, server, clk,
        {{"ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true"},
         {"ALIBABA_CLOUD_ECS_METADATA_DISABLED", "TRUE"},
         {"ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/r"},
         {"ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::1:oidc-provider/p"},
         {"ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/var/run/token"},
         {"ALIBABA_CLOUD_CREDENTIALS_URI", server.url() + "/uri"}}));
    auto r = chain->get();
    REQUIRE(r.ok());
    CHECK(r->access_key_id == "STS.fromuri");
    CHECK(server.requests().size() == 1);  // no metadata traffic

    server.set_handler([](const fake_http_server::request&) { return fake_http_server::reply{500, "", false, false}; });
    auto failing = alicloud::default_credentials_chain(chain_options(
        home, server, clk,
        {{"ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true"},
         {"ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"},
         {"ALIBABA_CLOUD_ROLE_ARN", "a"},
         {"ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "b"},
         {"ALIBABA_CLOUD_OIDC_TOKEN_FILE", "c"},
         {"ALIBABA_CLOUD_CREDENTIALS_URI", server.url() + "/uri"}}));
    const auto e = error_of(*failing);
    CHECK(contains(e, "\n  environment: "));
    CHECK(contains(e, "\n  oidc_role_arn: OIDC role ARN (RRSA) is configured but not implemented by this library"));
    CHECK_FALSE(contains(e, "cli_profile"));
    CHECK(contains(e, "\n  credentials_file: "));
    CHECK_FALSE(contains(e, "ecs_ram_role"));
    CHECK(contains(e, "\n  credentials_uri: GET " + server.url() + "/uri: HTTP 500"));
  }

  TEST_CASE("environment wins; ECS role via the chain; CLI EcsRamRole mode through the delegate") {
    temp_home home;
    alicloud::manual_clock clk(epoch_seconds(1700000000));
    fake_metadata meta;
    meta.role = "CliRole";
    meta.expiration = [&] { return clk.now() + std::chrono::hours(1); };
    fake_http_server server(std::ref(meta));

    auto env_chain = alicloud::default_credentials_chain(chain_options(
        home, server, clk, {{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ENVID"}, {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", kSecret}}));
    CHECK(env_chain->get()->access_key_id == "ENVID");
    CHECK(server.requests().empty());

    auto ecs_chain = alicloud::default_credentials_chain(chain_options(home, server, clk, {}));
    CHECK(ecs_chain->get()->access_key_id == "STS.meta1");
    CHECK(ecs_chain->get()->access_key_id == "STS.meta1");  // cached
    CHECK(meta.creds_fetches == 1);
    clk.advance(std::chrono::minutes(58));
    CHECK(ecs_chain->get()->access_key_id == "STS.meta2");  // refreshed through the chain

    server.clear();
    home.write(".aliyun/config.json", R"({"current":"ecs","profiles":[{"name":"ecs","mode":"EcsRamRole",)"
                                      R"("ram_role_name":"CliRole"}]})");
    auto cli_chain = alicloud::default_credentials_chain(chain_options(home, server, clk, {}));
    CHECK(cli_chain->get()->access_key_id == "STS.meta3");
    const auto reqs = server.requests();
    REQUIRE(reqs.size() == 2);  // token + credentials: the role name came from the profile
    CHECK(reqs[1].target == "/latest/meta-data/ram/security-credentials/CliRole");
  }
}
