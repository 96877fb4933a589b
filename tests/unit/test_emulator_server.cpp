// esa-emulator as a server: TLS (generated CA or given files), the state file across restarts,
// concurrent clients, fault injection, and hostile input (garbage, oversized, slowloris) that must
// get a clear error and never bring the server down.

#include <doctest/doctest.h>

#include "../support/emulator_harness.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using emu_test::call;
using emu_test::expect_error;
using emu_test::harness;
using emu_test::json_of;
using emu_test::str;
namespace esa = alicloud::esa;
using namespace std::chrono_literals;

namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path() / ("esa-emu-test-" + emu_test::random_hex());
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

alicloud::param_list preload(const std::string& url) {
  esa::PreloadCachesRequest r;
  r.Content = std::vector<std::string>{url};
  return emu_test::params_of<esa::PreloadCaches>(r);
}

std::int64_t total_count(harness& h, alicloud::param_list q = {}) {
  auto r = h.call_ok(call{"DescribePreloadTasks", std::move(q)});
  INFO(r.body);
  REQUIRE(r.status == 200);
  return json_of(r).at("TotalCount").as_int64();
}

/// A raw TCP exchange: sends `bytes` (in pieces separated by `pause` if given), then reads until the
/// server closes or `wait` passes without data.
struct raw_result {
  std::string data;
  bool closed = false;  ///< the server closed the connection
  int status() const { return data.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(data.substr(9, 3)) : 0; }
  std::string body() const {
    const auto at = data.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : data.substr(at + 4);
  }
};

raw_result raw_exchange(std::uint16_t port, const std::vector<std::string>& pieces, std::chrono::milliseconds wait,
                        std::chrono::milliseconds pause = 0ms) {
  raw_result out;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{};
  tv.tv_sec = static_cast<long>(wait.count() / 1000);
  tv.tv_usec = static_cast<long>((wait.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i && pause.count()) std::this_thread::sleep_for(pause);
    if (::send(fd, pieces[i].data(), pieces[i].size(), MSG_NOSIGNAL) < 0) break;
  }
  char buf[4096];
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.data.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    out.closed = n == 0 || (n < 0 && errno == ECONNRESET);
    break;
  }
  ::close(fd);
  return out;
}

void expect_raw_error(const raw_result& r, int status, const std::string& code) {
  INFO(r.data.substr(0, 600));
  CHECK(r.status() == status);
  boost::json::error_code ec;
  auto v = boost::json::parse(r.body(), ec);
  REQUIRE(!ec);
  CHECK(v.at("Code").as_string() == code);
  CHECK(v.as_object().contains("RequestId"));
  CHECK(v.as_object().contains("HostId"));
  CHECK(v.as_object().contains("Recommend"));
  CHECK(!std::string(v.at("Message").as_string()).empty());
}

}  // namespace

TEST_CASE("TLS with a generated CA written for clients, or with given certificate files") {
  temp_dir dir;
  esa_emulator::config cfg;
  cfg.tls = true;
  cfg.ca_out = (dir.path / "ca.pem").string();
  harness h(cfg);
  REQUIRE(h.emu().tls());
  CHECK(h.emu().url() == "https://127.0.0.1:" + std::to_string(h.port()));
  CHECK(read_file(cfg.ca_out) == h.emu().ca_pem());
  CHECK(h.emu().ca_pem().find("BEGIN CERTIFICATE") != std::string::npos);
  CHECK(h.call_ok(call{"ListSites"}).status == 200);

  // Without the CA the client refuses the server.
  alicloud::http::beast_transport_options o;
  o.proxy = "";
  o.use_system_trust_store = false;
  alicloud::http::beast_transport untrusting(o);
  auto r = untrusting.send(h.build(call{"ListSites"}), {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == alicloud::http::errc::tls_handshake_failed);

  // Plain HTTP to the TLS port is not answered as HTTP, and the server carries on.
  auto plain = raw_exchange(h.port(), {"GET / HTTP/1.1\r\nHost: x\r\n\r\n"}, 2000ms);
  CHECK(plain.data.rfind("HTTP/1.1 200", 0) != 0);
  CHECK(h.call_ok(call{"ListSites"}).status == 200);

  // Given files: the same kind of pair, loaded from disk.
  const auto pair = esa_emulator::make_self_signed();
  std::ofstream(dir.path / "cert.pem") << pair.cert_pem;
  std::ofstream(dir.path / "key.pem") << pair.key_pem;
  std::ofstream(dir.path / "given-ca.pem") << pair.ca_pem;
  esa_emulator::config files;
  files.tls = true;
  files.cert_file = (dir.path / "cert.pem").string();
  files.key_file = (dir.path / "key.pem").string();
  files.port = 0;
  esa_emulator::emulator emu(files);
  emu.start();
  CHECK(emu.ca_pem().empty());
  alicloud::http::beast_transport_options fo;
  fo.proxy = "";
  fo.use_system_trust_store = false;
  fo.ca_file = (dir.path / "given-ca.pem").string();
  alicloud::http::beast_transport trusting(fo);
  alicloud::http::request req = h.build(call{"ListSites"});
  req.port = emu.port();
  // The signature covers Host; re-sign for the other port.
  alicloud::param_list no_headers;
  const std::string files_host = "127.0.0.1:" + std::to_string(emu.port());
  alicloud::signing_request sr{"GET", files_host, "/", no_headers, no_headers, "", "ListSites", "2024-09-10"};
  auto s = alicloud::sign_acs3(sr, emu_test::demo_credentials());
  REQUIRE(s.ok());
  req.headers = {{"Host", files_host}};
  for (const auto& kv : s->headers) req.headers.push_back(kv);
  req.target = s->target();
  auto fr = trusting.send(req, {});
  REQUIRE_MESSAGE(fr.ok(), fr.error().to_string());
  CHECK(fr->status == 200);

  esa_emulator::config broken = files;
  broken.key_file = (dir.path / "cert.pem").string();
  CHECK_THROWS_AS(esa_emulator::emulator{broken}, std::runtime_error);
}

TEST_CASE("the state file keeps every acknowledged task across restarts") {
  temp_dir dir;
  esa_emulator::config cfg;
  cfg.state_file = (dir.path / "state.json").string();
  cfg.task_duration = 10s;
  harness h(cfg);
  // A fresh start seeds sample data and writes the file at once.
  REQUIRE(std::filesystem::exists(cfg.state_file));
  const std::int64_t seeded = total_count(h);
  CHECK(seeded == 6);

  auto r = h.call_ok(call{"PreloadCaches", preload("https://example.com/persist.js"), {}, "POST"});
  REQUIRE(r.status == 200);
  const std::string id = str(json_of(r), "TaskId");
  // Acknowledged means already on disk, before any shutdown.
  CHECK(read_file(cfg.state_file).find("https://example.com/persist.js") != std::string::npos);
  auto p = h.call_ok(call{"PurgeCaches", {{"SiteId", "7001000000001"}, {"Type", "purgeall"}}, {}, "POST"});
  REQUIRE(p.status == 200);
  auto before = h.call_ok(call{"DescribePreloadTasks", {{"Content", "https://example.com/persist.js"}}});

  h.restart();
  auto after = h.call_ok(call{"DescribePreloadTasks", {{"Content", "https://example.com/persist.js"}}});
  REQUIRE(after.status == 200);
  auto b = json_of(before).at("Tasks").as_array().at(0).as_object();
  auto a = json_of(after).at("Tasks").as_array().at(0).as_object();
  CHECK(a.at("TaskId") == b.at("TaskId"));
  CHECK(a.at("CreateTime") == b.at("CreateTime"));
  CHECK(a.at("Status").as_string() == "Refreshing");
  CHECK(total_count(h) == seeded + 1);  // not seeded again
  auto purges = h.call_ok(call{"DescribePurgeTasks", {{"Type", "purgeall"}}});
  CHECK(json_of(purges).at("TotalCount").as_int64() == 1);

  // Progress resumes where it would have been; ids keep increasing.
  h.clock().advance(10s);
  CHECK(json_of(h.call_ok(call{"DescribePreloadTasks", {{"Content", "https://example.com/persist.js"}}}))
            .at("Tasks").as_array().at(0).at("Status").as_string() == "Complete");
  auto next = h.call_ok(call{"PreloadCaches", preload("https://example.com/next.js"), {}, "POST"});
  CHECK(std::stoull(str(json_of(next), "TaskId")) > std::stoull(id));

  // No temporary files are left behind.
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    CHECK_MESSAGE(e.path().filename() == "state.json", e.path());
}

TEST_CASE("an unreadable state file is refused and left untouched") {
  temp_dir dir;
  const auto path = dir.path / "state.json";
  for (const std::string& bad : {std::string("{\"format\":"), std::string("[]"), std::string(R"({"format":"other"})"),
                                std::string(R"({"format":"esa-emulator-state","next_task_id":"1","sites":[],"preload_tasks":[{"id":1}],"purge_tasks":[]})")}) {
    std::ofstream(path, std::ios::trunc) << bad;
    esa_emulator::config cfg;
    cfg.port = 0;
    cfg.state_file = path.string();
    CHECK_THROWS_AS(esa_emulator::emulator{cfg}, esa_emulator::state_error);
    CHECK(read_file(path) == bad);
  }
}

TEST_CASE("8 concurrent clients creating and listing tasks lose nothing") {
  temp_dir dir;
  esa_emulator::config cfg;
  cfg.sample_data = false;
  cfg.extra_sites = {{"example.com", std::nullopt}};
  cfg.state_file = (dir.path / "state.json").string();
  cfg.threads = 4;
  harness h(cfg);
  constexpr int clients = 8, per_client = 20;
  std::mutex mu;
  std::vector<std::string> ids;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      auto fail = [&](std::string what) {
        std::lock_guard<std::mutex> lock(mu);
        failures.push_back(std::move(what));
      };
      for (int i = 0; i < per_client; ++i) {
        const std::string url = "https://example.com/c" + std::to_string(t) + "/" + std::to_string(i);
        auto r = h.send(h.build(call{"PreloadCaches", preload(url), {}, "POST"}));
        if (!r.ok() || r->status != 200) {
          fail("create " + url + ": " + (r.ok() ? r->body : r.error().to_string()));
          continue;
        }
        {
          std::lock_guard<std::mutex> lock(mu);
          ids.push_back(std::string(boost::json::parse(r->body).at("TaskId").as_string()));
        }
        auto l = h.send(h.build(call{"DescribePreloadTasks", {{"Content", url}}}));
        if (!l.ok() || l->status != 200 || boost::json::parse(l->body).at("TotalCount").as_int64() != 1)
          fail("list " + url + ": " + (l.ok() ? l->body : l.error().to_string()));
      }
    });
  }
  for (auto& t : threads) t.join();
  INFO(failures.size() << " failures, first: " << (failures.empty() ? "" : failures.front()));
  CHECK(failures.empty());
  CHECK(ids.size() == std::size_t{clients * per_client});
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
  CHECK(total_count(h) == clients * per_client);
  h.restart();
  CHECK(total_count(h) == clients * per_client);
}

TEST_CASE("fault injection: 5xx at the configured rate, reproducible from the seed") {
  auto statuses = [](std::uint64_t seed) {
    esa_emulator::config cfg;
    cfg.seed = seed;
    cfg.faults.server_error = 0.3;
    harness h(cfg);
    std::vector<int> out;
    int errors = 0;
    for (int i = 0; i < 100; ++i) {
      auto r = h.call_ok(call{"ListSites"});
      out.push_back(r.status);
      if (r.status >= 500) {
        ++errors;
        const auto code = str(json_of(r), "Code");
        CHECK(((r.status == 503 && code == "ServiceUnavailable") || (r.status == 500 && code == "InternalError")));
      } else {
        CHECK(r.status == 200);
      }
    }
    CHECK(errors >= 15);
    CHECK(errors <= 45);
    CHECK(h.emu().stats().server_errors.load() == static_cast<std::uint64_t>(errors));
    return out;
  };
  const auto a = statuses(7);
  CHECK(a == statuses(7));
  CHECK(a != statuses(8));
}

TEST_CASE("fault injection: resets, stalls, malformed bodies and latency") {
  SUBCASE("reset") {
    esa_emulator::config cfg;
    cfg.faults.reset = 1;
    harness h(cfg);
    auto r = h.send(h.build(call{"ListSites"}));
    REQUIRE_FALSE(r.ok());
    CHECK(alicloud::http::is_transport_error(r.error()));
    CHECK_FALSE(alicloud::http::never_sent(r.error()));
    CHECK(h.emu().stats().resets.load() == 1);
  }
  SUBCASE("stall: the client times out, or sees the connection closed after the stall") {
    esa_emulator::config cfg;
    cfg.faults.stall = 1;
    cfg.stall_duration = 400ms;
    harness h(cfg);
    auto r = h.send(h.build(call{"ListSites"}), 150ms);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == alicloud::http::errc::timeout_after_send);
    const auto start = std::chrono::steady_clock::now();
    auto closed = h.send(h.build(call{"ListSites"}), 3s);
    REQUIRE_FALSE(closed.ok());
    CHECK(closed.error().code == alicloud::http::errc::read_failed);
    CHECK(std::chrono::steady_clock::now() - start >= 350ms);
  }
  SUBCASE("malformed bodies") {
    esa_emulator::config cfg;
    cfg.faults.malformed = 1;
    harness h(cfg);
    for (int i = 0; i < 6; ++i) {
      auto r = h.call_ok(call{"ListSites"});
      CHECK(r.status == 200);
      boost::json::error_code ec;
      (void)boost::json::parse(r.body, ec);
      CHECK_MESSAGE(ec, r.body);
    }
    CHECK(h.emu().stats().malformed.load() == 6);
  }
  SUBCASE("latency") {
    esa_emulator::config cfg;
    cfg.latency = 250ms;
    harness h(cfg);
    const auto start = std::chrono::steady_clock::now();
    CHECK(h.call_ok(call{"ListSites"}).status == 200);
    CHECK(std::chrono::steady_clock::now() - start >= 250ms);
  }
  SUBCASE("a fault after processing keeps the effect; one before processing has none") {
    for (const double after : {0.0, 1.0}) {
      esa_emulator::config cfg;
      cfg.sample_data = false;
      cfg.extra_sites = {{"example.com", std::nullopt}};
      cfg.faults.reset = 1;
      cfg.faults.after_processing = after;
      harness h(cfg);
      auto r = h.send(h.build(call{"PreloadCaches", preload("https://example.com/x"), {}, "POST"}));
      CHECK_FALSE(r.ok());
      auto& data = h.emu().api().data();
      auto lock = data.lock();
      CHECK(data.tasks(esa_emulator::task_kind::preload).size() == (after > 0 ? 1u : 0u));
    }
  }
}

TEST_CASE("hostile input gets a clear error or a closed connection, never a crash") {
  esa_emulator::config cfg;
  cfg.header_timeout = 400ms;
  cfg.max_body = 64 * 1024;
  cfg.max_header = 16 * 1024;
  harness h(cfg);
  const auto port = h.port();

  SUBCASE("not HTTP") {
    expect_raw_error(raw_exchange(port, {"GARBAGE GARBAGE GARBAGE\r\n\r\n"}, 2s), 400, "InvalidParameter");
    expect_raw_error(raw_exchange(port, {"GET / HTTX/1.1\r\n\r\n"}, 2s), 400, "InvalidParameter");
  }
  SUBCASE("random bytes on many connections") {
    std::mt19937 rng(42);
    for (int i = 0; i < 40; ++i) {
      std::string junk(static_cast<std::size_t>(rng() % 3000 + 1), '\0');
      for (auto& c : junk) c = static_cast<char>(rng());
      auto r = raw_exchange(port, {junk}, 2s);
      CHECK((r.status() == 400 || r.status() == 408 || r.status() == 431 || r.status() == 413 || r.data.empty()));
    }
  }
  SUBCASE("slowloris: a request trickling in is answered 408 when the header timeout passes") {
    const auto start = std::chrono::steady_clock::now();
    auto r = raw_exchange(port, {"GET /?Action=ListSites HTTP/1.1\r\n", "Host: x\r\n", "X-A: 1\r\n"}, 3s,
                          150ms);
    expect_raw_error(r, 408, "InvalidParameter");
    CHECK(r.closed);
    CHECK(std::chrono::steady_clock::now() - start < 2s);
  }
  SUBCASE("an idle connection is closed without an answer") {
    auto r = raw_exchange(port, {}, 3s);
    CHECK(r.data.empty());
    CHECK(r.closed);
  }
  SUBCASE("oversized header") {
    const std::string big(20 * 1024, 'a');
    expect_raw_error(raw_exchange(port, {"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n"}, 2s), 431,
                     "InvalidParameter");
  }
  SUBCASE("oversized body, announced or chunked") {
    auto announced = raw_exchange(port, {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\nabc"}, 2s);
    expect_raw_error(announced, 413, "InvalidParameter");
    CHECK(announced.closed);
    std::string chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string chunk(32 * 1024, 'x');
    for (int i = 0; i < 3; ++i) chunked += "8000\r\n" + chunk + "\r\n";
    chunked += "0\r\n\r\n";
    expect_raw_error(raw_exchange(port, {chunked}, 2s), 413, "InvalidParameter");
  }
  SUBCASE("malformed percent-encoding and parameters") {
    auto r = raw_exchange(port, {"GET /?Action=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"}, 2s);
    expect_raw_error(r, 400, "InvalidParameter");
    call bad_json{"PreloadCaches", {{"Content", "[\"https://example.com/\", {]"}}, {}, "POST"};
    expect_error(h.call_ok(bad_json), 400, "InvalidParameter");
    call deep{"PreloadCaches", {{"Content", std::string(1000, '[') + std::string(1000, ']')}}, {}, "POST"};
    expect_error(h.call_ok(deep), 400, "InvalidParameter");
  }
  SUBCASE("Expect: 100-continue and HTTP/1.0") {
    auto r = raw_exchange(port, {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n", "a=b"},
                          2s, 200ms);
    CHECK(r.data.rfind("HTTP/1.1 100 Continue\r\n", 0) == 0);
    CHECK(r.data.find("\"Code\":\"MissingParameter\"") != std::string::npos);
    auto old = raw_exchange(port, {"GET /?Action=ListSites&Version=2024-09-10 HTTP/1.0\r\n\r\n"}, 2s);
    CHECK(old.data.rfind("HTTP/1.0 400", 0) == 0);
    CHECK(old.closed);
  }
  // Whatever happened above, the server still answers and has let go of the connections.
  CHECK(h.call_ok(call{"ListSites"}).status == 200);
  for (int i = 0; i < 50 && h.emu().active_connections() > 1; ++i) std::this_thread::sleep_for(20ms);
  CHECK(h.emu().active_connections() <= 1);  // at most the client's pooled keep-alive connection
}
