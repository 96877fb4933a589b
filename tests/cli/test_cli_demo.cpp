// The README demo's sequence with the built binaries, as separate processes: esa-emulator on
// 127.0.0.1 (free port via --port-file) with TLS and a generated CA, `esa preload ... --wait` and
// `esa preload-tasks --output table` with the demo key in the environment, then SIGTERM and a clean
// exit. Also the real binary's exit codes, since main() (not run()) decides what the shell sees.

#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("esa-cli-demo-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

/// A child process with its own environment and stdout/stderr redirected to files.
class child {
 public:
  child(const std::vector<std::string>& args, const std::vector<std::string>& env, fs::path out, fs::path err)
      : out_(std::move(out)), err_(std::move(err)) {
    std::vector<char*> argv, envp;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    REQUIRE_MESSAGE(rc == 0, "cannot start " << args[0]);
  }
  ~child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  /// Exit status, or -1 after killing a child that outlived `limit`.
  int wait(std::chrono::milliseconds limit = 60s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    int st = 0;
    while (::waitpid(pid_, &st, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > end) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &st, 0);
        pid_ = -1;
        return -1;
      }
      std::this_thread::sleep_for(20ms);
    }
    pid_ = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  void signal(int sig) { ::kill(pid_, sig); }
  std::string out() const { return slurp(out_); }
  std::string err() const { return slurp(err_); }

 private:
  pid_t pid_ = -1;
  fs::path out_, err_;
};

struct result {
  int code;
  std::string out, err;
};

result run(const temp_dir& d, const std::vector<std::string>& args, const std::vector<std::string>& env) {
  static int n = 0;
  ++n;
  child c(args, env, d.path / ("out" + std::to_string(n)), d.path / ("err" + std::to_string(n)));
  const int code = c.wait();
  return {code, c.out(), c.err()};
}

}  // namespace

TEST_CASE("the demo sequence with the built esa and esa-emulator binaries") {
  temp_dir d;
  const fs::path port_file = d.path / "port";
  const fs::path ca = d.path / "ca.pem";
  fs::create_directories(d.path / "home");
  const std::vector<std::string> base_env{"HOME=" + (d.path / "home").string(),
                                          "ALIBABA_CLOUD_ECS_METADATA_DISABLED=true"};

  child emu({ESA_EMULATOR_BINARY, "--tls", "--listen", "127.0.0.1:0", "--port-file", port_file.string(), "--ca-out",
             ca.string(), "--task-duration", "2s"},
            base_env, d.path / "emu.out", d.path / "emu.err");
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!fs::exists(port_file) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  REQUIRE_MESSAGE(fs::exists(port_file), emu.err());
  const std::string port = slurp(port_file).substr(0, slurp(port_file).find('\n'));
  REQUIRE(!port.empty());
  CHECK(contains(emu.out(), "listening on https://127.0.0.1:" + port));
  REQUIRE(fs::exists(ca));

  std::vector<std::string> env = base_env;
  env.push_back("ALIBABA_CLOUD_ACCESS_KEY_ID=demo-access-key");
  env.push_back("ALIBABA_CLOUD_ACCESS_KEY_SECRET=demo-secret");
  const std::vector<std::string> target{ESA_BINARY, "--endpoint", "https://127.0.0.1:" + port, "--ca-file",
                                        ca.string()};
  auto esa = [&](std::vector<std::string> args, const std::vector<std::string>& e) {
    std::vector<std::string> full = target;
    full.insert(full.end(), args.begin(), args.end());
    return run(d, full, e);
  };

  const std::string site = "7001000000001";
  auto preload = esa({"preload", "https://example.com/demo/a.js", "https://example.com/demo/b.css", "--site-id", site,
                      "--wait", "--poll-interval", "0.5"},
                     env);
  REQUIRE_MESSAGE(preload.code == 0, preload.err);
  // stdout is a file: JSON, with both tasks Complete.
  CHECK(preload.out.front() == '{');
  CHECK(contains(preload.out, R"("Content":"https://example.com/demo/a.js","Status":"Complete","Process":"100%")"));
  CHECK(contains(preload.out, R"("Content":"https://example.com/demo/b.css","Status":"Complete","Process":"100%")"));
  CHECK(contains(preload.err, "esa: Complete https://example.com/demo/a.js"));

  auto listed = esa({"preload-tasks", "--site-id", site, "--output", "table"}, env);
  REQUIRE_MESSAGE(listed.code == 0, listed.err);
  CHECK(listed.out.rfind("TASK ID", 0) == 0);
  std::istringstream lines(listed.out);
  int complete_demo_rows = 0;
  for (std::string line; std::getline(lines, line);)
    if (contains(line, "https://example.com/demo/") && contains(line, "Complete") && contains(line, "100%"))
      ++complete_demo_rows;
  CHECK(complete_demo_rows == 2);
  CHECK(contains(listed.out, "prefetch tasks in total"));

  // Exit codes as the shell sees them.
  CHECK(esa({"preload-tasks", "--page-size", "0"}, env).code == 3);
  CHECK(esa({"site", "99"}, env).code == 4);
  auto no_creds = esa({"sites"}, base_env);
  CHECK(no_creds.code == 6);
  CHECK(contains(no_creds.err, "no usable credentials"));
  CHECK(esa({"sites", "--bogus"}, env).code == 2);
  auto dry = esa({"--dry-run", "sites"}, env);
  CHECK(dry.code == 0);
  CHECK(contains(dry.out, "Signature=<redacted>"));
  CHECK_FALSE(contains(dry.out, "demo-secret"));

  emu.signal(SIGTERM);
  CHECK(emu.wait(20s) == 0);
  CHECK(contains(emu.out(), "SIGTERM received, stopping"));
  CHECK(contains(emu.out(), "stopped after"));

  // The emulator is gone: the same endpoint is now a network error.
  CHECK(esa({"--retries", "0", "sites"}, env).code == 5);
}
