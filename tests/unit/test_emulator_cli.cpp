// esa-emulator command line: the option parsers, CLI11 wiring, and the real binary (banner, port
// file, TLS with --ca-out, state across a SIGTERM restart, exit codes for bad flags and bad state).

#include <doctest/doctest.h>

#include <cli.hpp>
#include <config.hpp>

#include <alicloud/core/beast_transport.hpp>
#include <alicloud/core/signer.hpp>

#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

using namespace std::chrono_literals;
namespace emu = esa_emulator;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return {};
}

emu::config parse_cli(const std::string& line) {
  CLI::App app;
  emu::cli_values v;
  emu::add_options(app, v);
  app.parse(line, false);
  return emu::build_config(v);
}

}  // namespace

TEST_CASE("option parsers accept the documented forms and name the option on error") {
  CHECK(emu::parse_duration("5s") == 5000ms);
  CHECK(emu::parse_duration("250ms") == 250ms);
  CHECK(emu::parse_duration("2m") == 120000ms);
  CHECK(emu::parse_duration("1h") == 3600000ms);
  CHECK(emu::parse_duration("1.5s") == 1500ms);
  CHECK(emu::parse_duration("40") == 40ms);
  CHECK(error_of([] { emu::parse_duration("soon", "--task-duration"); }).find("--task-duration") == 0);
  CHECK_FALSE(error_of([] { emu::parse_duration("-1s"); }).empty());

  CHECK(emu::parse_probability("0.1") == doctest::Approx(0.1));
  CHECK(emu::parse_probability("5%") == doctest::Approx(0.05));
  CHECK(error_of([] { emu::parse_probability("1.5", "--fault-5xx"); }).find("--fault-5xx") == 0);
  CHECK_FALSE(error_of([] { emu::parse_probability("often"); }).empty());

  CHECK(emu::parse_rate("10/s") == doctest::Approx(10));
  CHECK(emu::parse_rate("120/m") == doctest::Approx(2));
  CHECK(emu::parse_rate("3") == doctest::Approx(3));
  CHECK(error_of([] { emu::parse_rate("fast"); }).find("--rate-limit") == 0);

  CHECK(emu::parse_latency("100") == std::make_pair(100ms, 0ms));
  CHECK(emu::parse_latency("100-300") == std::make_pair(100ms, 200ms));
  CHECK_FALSE(error_of([] { emu::parse_latency("300-100"); }).empty());

  CHECK(emu::parse_listen("127.0.0.1:8443") == std::make_pair(std::string("127.0.0.1"), std::uint16_t{8443}));
  CHECK(emu::parse_listen("[::1]:0") == std::make_pair(std::string("::1"), std::uint16_t{0}));
  CHECK(emu::parse_listen(":9000") == std::make_pair(std::string("127.0.0.1"), std::uint16_t{9000}));
  CHECK(emu::parse_listen("9000") == std::make_pair(std::string("127.0.0.1"), std::uint16_t{9000}));
  CHECK(error_of([] { emu::parse_listen("host:99999"); }).find("--listen") == 0);

  const auto k = emu::parse_access_key("id:sec:ret");
  CHECK(k.id == "id");
  CHECK(k.secret == "sec:ret");
  CHECK(k.security_token.empty());
  const std::string bad_key = error_of([] { emu::parse_access_key("only-an-id"); });
  CHECK(bad_key.find("--access-key") == 0);
  CHECK(error_of([] { emu::parse_access_key("id:"); }).find("--access-key") == 0);
  const auto s = emu::parse_sts_key("sid:ssec:tok:en");
  CHECK(s.id == "sid");
  CHECK(s.secret == "ssec");
  CHECK(s.security_token == "tok:en");
  // Never echo what might be a secret.
  CHECK(error_of([] { emu::parse_sts_key("sid:super-secret-value"); }).find("super-secret-value") == std::string::npos);

  const auto f = emu::parse_fail_rule("/slow/");
  CHECK(f.pattern == "/slow/");
  CHECK(f.description == "Origin Timeout");
  const auto g = emu::parse_fail_rule(R"(\.iso$=>Internal Error)");
  CHECK(g.pattern == R"(\.iso$)");
  CHECK(g.description == "Internal Error");
  CHECK(error_of([] { emu::parse_fail_rule("(unclosed"); }).find("--fail-url") == 0);

  CHECK(emu::parse_site("example.org").name == "example.org");
  CHECK(emu::parse_site("example.org=42").id == 42);
  CHECK(error_of([] { emu::parse_site("example.org=x"); }).find("--site") == 0);
}

TEST_CASE("the command line builds the configuration") {
  const auto c = parse_cli(
      "--listen 127.0.0.1:0 --tls --ca-out /tmp/x.pem --access-key a:b --sts c:d:e --seed 9 --threads 3 "
      "--task-duration 2s --fail-url /x/ --fail-url \"y=>Internal Error\" --rate-limit 5/s --latency 10-20 "
      "--fault-5xx 10% --fault-reset 0.05 --fault-stall 0.05 --fault-malformed 0.01 --fault-after 0 "
      "--stall-duration 1s --header-timeout 3s --clock-skew 5m --max-body 2048 --site a.test=5 --no-sample-data");
  CHECK(c.port == 0);
  CHECK(c.tls);
  CHECK(c.ca_out == "/tmp/x.pem");
  REQUIRE(c.keys.size() == 2);
  CHECK(c.keys[1].security_token == "e");
  CHECK(c.seed == 9);
  CHECK(c.threads == 3);
  CHECK(c.task_duration == 2s);
  REQUIRE(c.fail_rules.size() == 2);
  CHECK(c.fail_rules[1].description == "Internal Error");
  CHECK(c.rate_limit == doctest::Approx(5));
  CHECK(c.latency == 10ms);
  CHECK(c.latency_jitter == 10ms);
  CHECK(c.faults.server_error == doctest::Approx(0.1));
  CHECK(c.faults.reset == doctest::Approx(0.05));
  CHECK(c.faults.after_processing == doctest::Approx(0));
  CHECK(c.stall_duration == 1s);
  CHECK(c.header_timeout == 3s);
  CHECK(c.clock_skew == 300s);
  CHECK(c.max_body == 2048);
  REQUIRE(c.extra_sites.size() == 1);
  CHECK_FALSE(c.sample_data);

  const auto d = parse_cli("");
  CHECK(d.listen_host == "127.0.0.1");
  CHECK(d.port == 8443);
  CHECK_FALSE(d.tls);
  CHECK(d.keys.empty());
  CHECK(d.task_duration == 5s);
  CHECK(parse_cli("--tls").ca_out == "esa-emulator-ca.pem");

  CHECK_THROWS_AS(parse_cli("--fault-5xx 0.6 --fault-reset 0.6"), std::invalid_argument);
  CHECK_THROWS_AS(parse_cli("--access-key a:b --access-key a:c"), std::invalid_argument);
  CHECK_THROWS_AS(parse_cli("--threads 0"), CLI::ValidationError);
  // One value per occurrence: a stray word is an error, not a second pattern.
  CHECK_THROWS_AS(parse_cli("--fail-url a b"), CLI::ExtrasError);
  CHECK(parse_cli("--fail-url a --fail-url b").fail_rules.size() == 2);
}

#ifdef ESA_EMULATOR_BINARY

namespace {

/// The emulator binary as a child process with its stdout/stderr captured.
class child {
 public:
  explicit child(const std::vector<std::string>& args) {
    int out[2], err[2];
    REQUIRE(::pipe(out) == 0);
    REQUIRE(::pipe(err) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    std::vector<std::string> all = {ESA_EMULATOR_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, ESA_EMULATOR_BINARY, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    ::close(err[1]);
    out_ = out[0];
    err_ = err[0];
    REQUIRE(rc == 0);
  }
  ~child() {
    if (pid_ > 0 && status_ < 0) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
    ::close(out_);
    ::close(err_);
  }

  /// Reads stdout until it contains `needle`; false on timeout or EOF.
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout = 10s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (out_text_.find(needle) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char buf[1024];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) return false;
      out_text_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Waits for the exit; returns the exit code (or 128+signal), -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout = 10s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        drain();
        return status_;
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }

  void signal(int sig) { ::kill(pid_, sig); }
  const std::string& out() const { return out_text_; }
  const std::string& err() const { return err_text_; }

 private:
  void drain() {
    char buf[1024];
    for (int fd : {out_, err_}) {
      ::fcntl(fd, F_SETFL, O_NONBLOCK);
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) (fd == out_ ? out_text_ : err_text_).append(buf, static_cast<std::size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
  int status_ = -1;
  std::string out_text_, err_text_;
};

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("esa-emu-cli-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// One signed ACS3 call to the running binary.
alicloud::result<alicloud::http::response> call(std::uint16_t port, bool tls, const std::string& ca_file,
                                                const alicloud::credentials& creds, const std::string& method,
                                                const std::string& action, const alicloud::param_list& query) {
  alicloud::http::beast_transport_options o;
  o.proxy = "";
  o.use_system_trust_store = false;
  o.ca_file = ca_file;
  alicloud::http::beast_transport t(o);
  const std::string host = "127.0.0.1:" + std::to_string(port);
  alicloud::param_list no_headers;
  alicloud::signing_request sr{method, host, "/", query, no_headers, "", action, "2024-09-10"};
  auto s = alicloud::sign_acs3(sr, creds);
  REQUIRE(s.ok());
  alicloud::http::request req;
  req.method = method;
  req.scheme = tls ? "https" : "http";
  req.host = "127.0.0.1";
  req.port = port;
  req.target = s->target();
  req.headers = {{"Host", host}};
  for (const auto& kv : s->headers) req.headers.push_back(kv);
  return t.send(req, {});
}

std::uint16_t listening_port(const std::string& out, const std::string& scheme) {
  const std::string marker = "listening on " + scheme + "://127.0.0.1:";
  const auto at = out.find(marker);
  REQUIRE(at != std::string::npos);
  return static_cast<std::uint16_t>(std::stoul(out.substr(at + marker.size())));
}

}  // namespace

TEST_CASE("the binary serves TLS, writes its port and CA, and keeps state across a SIGTERM restart") {
  temp_dir dir;
  const auto state = (dir.path / "state.json").string();
  const auto ca = (dir.path / "ca.pem").string();
  const auto port_file = (dir.path / "port").string();
  const alicloud::credentials creds{"cli-key", "cli-secret", {}, std::nullopt};
  std::string task_id;
  {
    child c({"--listen", "127.0.0.1:0", "--tls", "--ca-out", ca, "--port-file", port_file, "--state", state,
             "--access-key", "cli-key:cli-secret", "--no-sample-data", "--site", "example.com"});
    REQUIRE_MESSAGE(c.wait_for("listening on "), c.out());
    REQUIRE(c.wait_for("\n"));
    const auto port = listening_port(c.out(), "https");
    CHECK(std::stoul(slurp(port_file)) == port);
    CHECK(slurp(ca).find("BEGIN CERTIFICATE") != std::string::npos);
    CHECK(c.out().find("cli-secret") == std::string::npos);  // configured secrets are never printed
    CHECK(c.out().find("CA certificate: " + ca) != std::string::npos);

    auto sites = call(port, true, ca, creds, "GET", "ListSites", {});
    REQUIRE_MESSAGE(sites.ok(), sites.error().to_string());
    CHECK(sites->status == 200);
    auto created = call(port, true, ca, creds, "POST", "PreloadCaches", {{"Content", R"(["https://example.com/cli"])"}});
    REQUIRE(created.ok());
    REQUIRE_MESSAGE(created->status == 200, created->body);
    task_id = std::string(boost::json::parse(created->body).at("TaskId").as_string());

    c.signal(SIGTERM);
    CHECK(c.wait_exit() == 0);
    CHECK(c.out().find("SIGTERM received") != std::string::npos);
  }
  {
    child c({"--listen", "127.0.0.1:0", "--state", state, "--access-key", "cli-key:cli-secret"});
    REQUIRE_MESSAGE(c.wait_for("listening on "), c.out() << c.err());
    REQUIRE(c.wait_for("\n"));
    const auto port = listening_port(c.out(), "http");
    CHECK(c.out().find("1 prefetch tasks") != std::string::npos);
    auto listed = call(port, false, "", creds, "GET", "DescribePreloadTasks", {{"Content", "https://example.com/cli"}});
    REQUIRE(listed.ok());
    auto v = boost::json::parse(listed->body);
    CHECK(v.at("TotalCount").as_int64() == 1);
    CHECK(v.at("Tasks").at(0).at("TaskId").as_string() == task_id);
    c.signal(SIGINT);
    CHECK(c.wait_exit() == 0);
  }
}

TEST_CASE("the binary prints the demo credentials and fails clearly on bad flags, bad state or a busy port") {
  temp_dir dir;
  child demo({"--listen", "127.0.0.1:0"});
  REQUIRE(demo.wait_for("listening on "));
  REQUIRE(demo.wait_for("\n"));
  CHECK(demo.out().find("ALIBABA_CLOUD_ACCESS_KEY_ID=demo-access-key") != std::string::npos);
  CHECK(demo.out().find("ALIBABA_CLOUD_ACCESS_KEY_SECRET=demo-secret") != std::string::npos);
  const auto port = listening_port(demo.out(), "http");
  auto ok = call(port, false, "", alicloud::credentials{"demo-access-key", "demo-secret", {}, std::nullopt}, "GET",
                 "ListSites", {});
  REQUIRE(ok.ok());
  CHECK(ok->status == 200);

  child busy({"--listen", "127.0.0.1:" + std::to_string(port)});
  CHECK(busy.wait_exit() == 1);
  CHECK(busy.err().find("cannot listen") != std::string::npos);

  child bad_duration({"--task-duration", "soon"});
  CHECK(bad_duration.wait_exit() == 2);
  CHECK(bad_duration.err().find("--task-duration") != std::string::npos);

  child unknown({"--no-such-flag"});
  CHECK(unknown.wait_exit() != 0);

  const auto state = dir.path / "state.json";
  std::ofstream(state) << "not json";
  child bad_state({"--listen", "127.0.0.1:0", "--state", state.string()});
  CHECK(bad_state.wait_exit() == 1);
  CHECK(bad_state.err().find("state file") != std::string::npos);
  CHECK(slurp(state) == "not json");

  demo.signal(SIGTERM);
  CHECK(demo.wait_exit() == 0);
}

#else
TEST_CASE("the emulator binary is not built; process tests skipped") { MESSAGE("ESA_EMULATOR_BINARY not defined"); }
#endif
