// esa-emulator: a local ESA 2024-09-10 API for offline use. See README.md next to this file.

#include "cli.hpp"
#include "emulator.hpp"

#include <alicloud/core/credentials.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace {

void write_port_file(const std::string& path, std::uint16_t port) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    out.flush();
    if (!out) throw std::runtime_error("--port-file " + path + ": cannot be written");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("--port-file " + path + ": cannot be written (" + ec.message() + ")");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"esa-emulator: a local server that behaves like the Alibaba Cloud ESA 2024-09-10 API "
               "(DescribePreloadTasks, PreloadCaches, DescribePurgeTasks, PurgeCaches, ListSites, GetSite)"};
  esa_emulator::cli_values values;
  esa_emulator::add_options(app, values);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  esa_emulator::config cfg;
  try {
    cfg = esa_emulator::build_config(values);
  } catch (const std::exception& e) {
    std::cerr << "esa-emulator: " << e.what() << "\n";
    return 2;
  }
  if (values.access_log) cfg.access_log = &std::cerr;

  // Block the stop signals before any thread starts, so every server thread inherits the mask and
  // only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A client vanishing mid-write must not kill the process.
  signal(SIGPIPE, SIG_IGN);

  try {
    esa_emulator::emulator emu(cfg);
    emu.start();

    std::cout << "esa-emulator: ESA 2024-09-10 on " << emu.url() << "\n";
    if (cfg.keys.empty()) {
      std::cout << "demo credentials (built in; use --access-key ID:SECRET for your own):\n"
                << "  ALIBABA_CLOUD_ACCESS_KEY_ID=" << esa_emulator::demo_access_key_id << "\n"
                << "  ALIBABA_CLOUD_ACCESS_KEY_SECRET=" << esa_emulator::demo_access_key_secret << "\n";
    } else {
      std::cout << "access keys:";
      for (const auto& k : cfg.keys)
        std::cout << " " << alicloud::redacted_access_key_id(k.id) << (k.security_token.empty() ? "" : " (STS)");
      std::cout << "\n";
    }
    {
      auto& data = emu.api().data();
      auto lock = data.lock();
      std::cout << "state: " << (cfg.state_file.empty() ? std::string("in memory only") : cfg.state_file) << " ("
                << data.sites().size() << " sites, " << data.tasks(esa_emulator::task_kind::preload).size()
                << " prefetch tasks, " << data.tasks(esa_emulator::task_kind::purge).size() << " purge tasks)\n";
    }
    if (!emu.ca_pem().empty()) std::cout << "CA certificate: " << cfg.ca_out << "\n";
    if (!values.port_file.empty()) write_port_file(values.port_file, emu.port());
    // Scripts wait for this exact line.
    std::cout << "listening on " << emu.url() << std::endl;

    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::cout << "esa-emulator: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << " received, stopping" << std::endl;
    emu.stop();
    const auto& st = emu.stats();
    std::cout << "esa-emulator: stopped after " << st.requests.load() << " requests" << std::endl;
  } catch (const esa_emulator::state_error& e) {
    std::cerr << "esa-emulator: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "esa-emulator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
