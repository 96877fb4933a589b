#pragma once
// esa-emulator as a library: a local server that behaves like the ESA 2024-09-10 API for the
// operations in spec/ (DescribePreloadTasks, PreloadCaches, DescribePurgeTasks, PurgeCaches,
// ListSites, GetSite), for offline use by the CLI, the client's tests and the official SDKs.
//
//   esa_emulator::config cfg;
//   cfg.port = 0;                       // any free port
//   esa_emulator::emulator emu(cfg);    // loads or seeds state, binds, prepares TLS
//   emu.start();                        // cfg.threads threads serve requests
//   ... emu.url() ...                   // e.g. http://127.0.0.1:40123
//   emu.stop();                         // also done by the destructor
//
// See service.hpp for the API behaviour and server.hpp for the HTTP side.

#include "config.hpp"
#include "server.hpp"
#include "service.hpp"
#include "state.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace esa_emulator {

class emulator {
 public:
  /// Throws state_error (unusable state file) or std::runtime_error (cannot listen, bad TLS files,
  /// CA file not writable).
  explicit emulator(config cfg) : svc_(std::make_unique<service>(cfg)), srv_(std::make_unique<server>(*svc_, cfg)) {
    if (!srv_->ca_pem().empty() && !cfg.ca_out.empty()) write_ca(cfg.ca_out, srv_->ca_pem());
  }
  ~emulator() { stop(); }
  emulator(const emulator&) = delete;
  emulator& operator=(const emulator&) = delete;

  void start() { srv_->start(); }

  /// Stops serving and writes the state file one last time (every acknowledged change is already in
  /// it; this only covers sites added at start without later changes).
  void stop() {
    if (!srv_) return;
    srv_->stop();
    try {
      svc_->data().commit();
    } catch (const std::exception&) {
      // Nothing acknowledged depends on this write; the destructor must not throw.
    }
  }

  std::uint16_t port() const { return srv_->port(); }
  std::string url() const { return srv_->url(); }
  bool tls() const { return srv_->tls(); }
  const std::string& ca_pem() const { return srv_->ca_pem(); }
  service& api() { return *svc_; }
  const service_stats& stats() const { return svc_->stats(); }
  std::size_t active_connections() const { return srv_->active_connections(); }

 private:
  static void write_ca(const std::string& path, const std::string& pem) {
    // Written under a temporary name first so a client polling for the file never reads half of it.
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << pem;
      out.flush();
      if (!out) throw std::runtime_error("--ca-out " + path + ": cannot write the CA certificate");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
      std::filesystem::remove(tmp, ec);
      throw std::runtime_error("--ca-out " + path + ": cannot write the CA certificate (" + ec.message() + ")");
    }
  }

  // The server refers to the service, so it is declared (and destroyed) after it.
  std::unique_ptr<service> svc_;
  std::unique_ptr<server> srv_;
};

}  // namespace esa_emulator
