#pragma once
// Runs a real tinyproxy (Debian package `tinyproxy`) in the foreground on a free loopback port with a
// generated configuration, for proxy tests. Stopped by pid in the destructor.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace alicloud_test {

/// The tinyproxy binary, or nullopt when it is not installed.
inline std::optional<std::string> find_tinyproxy() {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    for (std::string d; std::getline(ss, d, ':');)
      if (!d.empty()) dirs.push_back(d);
  }
  dirs.insert(dirs.end(), {"/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/sbin", "/bin"});
  for (const auto& d : dirs) {
    const std::string candidate = d + "/tinyproxy";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

/// A loopback port nobody listens on right now.
inline std::uint16_t free_loopback_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class tinyproxy {
 public:
  struct options {
    std::vector<std::uint16_t> connect_ports;  ///< ports CONNECT may reach (tinyproxy denies others)
    std::string basic_auth_user;               ///< empty: no proxy authentication
    std::string basic_auth_password;
  };

  tinyproxy(const std::string& binary, const options& o) {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() / ("alicloud-tinyproxy-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
    log_ = (dir_ / "tinyproxy.log").string();
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_loopback_port();
      const auto conf = (dir_ / "tinyproxy.conf").string();
      {
        std::ofstream f(conf);
        f << "Port " << port_ << "\n"
          << "Listen 127.0.0.1\n"
          << "Timeout 30\n"
          << "Allow 127.0.0.1\n"
          << "MaxClients 50\n"
          << "LogLevel Info\n"
          << "LogFile \"" << log_ << "\"\n";
        for (auto p : o.connect_ports) f << "ConnectPort " << p << "\n";
        if (!o.basic_auth_user.empty()) f << "BasicAuth " << o.basic_auth_user << " " << o.basic_auth_password << "\n";
      }
      std::vector<std::string> args{binary, "-d", "-c", conf};
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      const auto out = (dir_ / "stdout.txt").string();
      posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      posix_spawn_file_actions_adddup2(&actions, 1, 2);
      const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
      posix_spawn_file_actions_destroy(&actions);
      if (rc != 0) throw std::runtime_error("cannot start tinyproxy");
      if (wait_ready()) return;
      stop();  // lost the port race or failed: try another port
    }
    throw std::runtime_error("tinyproxy did not start; see " + (dir_ / "stdout.txt").string());
  }

  ~tinyproxy() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  tinyproxy(const tinyproxy&) = delete;
  tinyproxy& operator=(const tinyproxy&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// Everything tinyproxy logged so far (request lines are logged at LogLevel Info).
  std::string log() const {
    std::ifstream f(log_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  std::size_t log_count(const std::string& needle) const {
    const auto text = log();
    std::size_t n = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
    return n;
  }

 private:
  bool wait_ready() {
    namespace net = boost::asio;
    for (int i = 0; i < 200; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      net::io_context ioc;
      net::ip::tcp::socket s(ioc);
      boost::system::error_code ec;
      s.connect({net::ip::make_address("127.0.0.1"), port_}, ec);
      if (!ec) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::filesystem::path dir_;
  std::string log_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace alicloud_test
