#pragma once
// Command-line options of the esa-emulator binary (CLI11). Options are collected as text and turned
// into a config by build_config(), whose parsers name the option and the expected form on error.

#include "config.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace esa_emulator {

struct cli_values {
  std::string listen = "127.0.0.1:8443";
  bool tls = false;
  std::string cert, key, ca_out;
  std::vector<std::string> access_keys, sts_keys;
  std::string state;
  std::uint64_t seed = 1;
  unsigned threads = 2;
  std::string task_duration = "5s";
  std::vector<std::string> fail_urls;
  std::string rate_limit = "0";
  double rate_burst = 0;
  std::string latency = "0";
  std::string fault_5xx = "0", fault_reset = "0", fault_stall = "0", fault_malformed = "0", fault_after = "0.5";
  std::string stall_duration = "30s";
  std::string header_timeout = "10s";
  std::string clock_skew = "15m";
  std::size_t max_body = std::size_t{1} << 20;
  std::size_t max_header = std::size_t{64} << 10;
  std::size_t max_connections = 1024;
  std::size_t preload_queue_limit = 10000;
  std::size_t max_urls = 500;
  std::vector<std::string> sites;
  bool no_sample_data = false;
  std::string port_file;
  bool access_log = false;
};

inline void add_options(CLI::App& app, cli_values& v) {
  // Repeatable options take exactly one value per occurrence, so a stray word is an error instead of
  // silently becoming another key or pattern.
  auto repeatable = [](CLI::Option* o) {
    o->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->expected(1)->allow_extra_args(false);
  };
  app.add_option("--listen", v.listen, "Address to listen on: HOST:PORT, [IPV6]:PORT or PORT (port 0: any free port)")
      ->type_name("ADDR")
      ->capture_default_str();
  app.add_flag("--tls", v.tls, "Serve HTTPS (with --cert/--key, or a self-signed certificate made at start)");
  app.add_option("--cert", v.cert, "Server certificate chain (PEM), implies --tls")->type_name("FILE");
  app.add_option("--key", v.key, "Private key of --cert (PEM)")->type_name("FILE");
  app.add_option("--ca-out", v.ca_out,
                 "Where to write the generated CA certificate for clients to trust (default: esa-emulator-ca.pem)")
      ->type_name("FILE");
  repeatable(app.add_option("--access-key", v.access_keys,
                            "Accepted access key (repeatable). Default: the demo key demo-access-key:demo-secret")
                 ->type_name("ID:SECRET"));
  repeatable(app.add_option("--sts", v.sts_keys, "Accepted STS credentials (repeatable)")->type_name("ID:SECRET:TOKEN"));
  app.add_option("--state", v.state, "JSON state file: loaded at start, rewritten atomically after every change")
      ->type_name("FILE");
  app.add_option("--seed", v.seed, "Seed of the fault-injection random generator")->type_name("N")->capture_default_str();
  app.add_option("--threads", v.threads, "Server threads")->type_name("N")->check(CLI::Range(1u, 256u))->capture_default_str();
  app.add_option("--task-duration", v.task_duration, "Time a task takes from Refreshing 0% to Complete")
      ->type_name("DURATION")
      ->capture_default_str();
  repeatable(app.add_option("--fail-url", v.fail_urls,
                            "Tasks for URLs matching REGEX fail (repeatable), with Description DESC "
                            "(default Origin Timeout)")
                 ->type_name("REGEX[=>DESC]"));
  app.add_option("--rate-limit", v.rate_limit, "Requests per access key, N/s or N/m, 0 disables (TooManyRequests)")
      ->type_name("RATE")
      ->capture_default_str();
  app.add_option("--rate-burst", v.rate_burst, "Burst size of the rate limit (default: the per-second rate)")->type_name("N");
  app.add_option("--latency", v.latency, "Added to every answer: MS or MIN-MAX (durations with units allowed)")
      ->type_name("MS|MIN-MAX")
      ->capture_default_str();
  app.add_option("--fault-5xx", v.fault_5xx, "Share of requests answered 503/500 without processing (0..1 or N%)")
      ->type_name("P");
  app.add_option("--fault-reset", v.fault_reset, "Share of connections reset instead of answered")->type_name("P");
  app.add_option("--fault-stall", v.fault_stall, "Share of requests never answered (closed after --stall-duration)")
      ->type_name("P");
  app.add_option("--fault-malformed", v.fault_malformed, "Share of answers with a body that is not JSON")->type_name("P");
  app.add_option("--fault-after", v.fault_after,
                 "Share of reset/stall/malformed faults striking after the request took effect")
      ->type_name("P")
      ->capture_default_str();
  app.add_option("--stall-duration", v.stall_duration, "How long a stalled request is held")
      ->type_name("DURATION")
      ->capture_default_str();
  app.add_option("--header-timeout", v.header_timeout,
                 "Time allowed to receive a whole request, and keep-alive idle time (408 when partly received)")
      ->type_name("DURATION")
      ->capture_default_str();
  app.add_option("--clock-skew", v.clock_skew, "Allowed difference between request and server time")
      ->type_name("DURATION")
      ->capture_default_str();
  app.add_option("--max-body", v.max_body, "Largest request body (413 beyond)")->type_name("BYTES")->capture_default_str();
  app.add_option("--max-header", v.max_header, "Largest request header (431 beyond)")->type_name("BYTES")->capture_default_str();
  app.add_option("--max-connections", v.max_connections, "Concurrent connections, more are closed at once")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--preload-queue-limit", v.preload_queue_limit, "Running prefetch tasks before PreloadQueueFull")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--max-urls", v.max_urls, "URLs per PreloadCaches/PurgeCaches request before DomainNameOverLimit")
      ->type_name("N")
      ->capture_default_str();
  repeatable(app.add_option("--site", v.sites, "Extra site (repeatable)")->type_name("NAME[=ID]"));
  app.add_flag("--no-sample-data", v.no_sample_data, "Start empty instead of with sample sites and tasks");
  app.add_option("--port-file", v.port_file, "Write the bound port to this file once listening")->type_name("FILE");
  app.add_flag("--access-log", v.access_log, "Log one line per request to stderr (no secrets)");
}

/// Throws std::invalid_argument naming the option and the expected form.
inline config build_config(const cli_values& v) {
  config c;
  std::tie(c.listen_host, c.port) = parse_listen(v.listen);
  c.tls = v.tls || !v.cert.empty() || !v.key.empty();
  if (v.cert.empty() != v.key.empty()) throw std::invalid_argument("--cert and --key: give both or neither");
  c.cert_file = v.cert;
  c.key_file = v.key;
  c.ca_out = v.ca_out;
  if (c.tls && c.cert_file.empty() && c.ca_out.empty()) c.ca_out = "esa-emulator-ca.pem";
  if (!v.ca_out.empty() && !c.cert_file.empty())
    throw std::invalid_argument("--ca-out: only meaningful with a generated certificate (no --cert/--key)");
  for (const auto& k : v.access_keys) c.keys.push_back(parse_access_key(k));
  for (const auto& k : v.sts_keys) c.keys.push_back(parse_sts_key(k));
  for (std::size_t i = 0; i < c.keys.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (c.keys[i].id == c.keys[j].id)
        throw std::invalid_argument("--access-key/--sts: AccessKeyId " + c.keys[i].id + " is given twice");
  c.state_file = v.state;
  c.seed = v.seed;
  c.threads = v.threads;
  c.task_duration = parse_duration(v.task_duration, "--task-duration");
  for (const auto& f : v.fail_urls) c.fail_rules.push_back(parse_fail_rule(f));
  c.rate_limit = parse_rate(v.rate_limit);
  if (v.rate_burst < 0) throw std::invalid_argument("--rate-burst: must not be negative");
  c.rate_burst = v.rate_burst;
  std::tie(c.latency, c.latency_jitter) = parse_latency(v.latency);
  c.faults.server_error = parse_probability(v.fault_5xx, "--fault-5xx");
  c.faults.reset = parse_probability(v.fault_reset, "--fault-reset");
  c.faults.stall = parse_probability(v.fault_stall, "--fault-stall");
  c.faults.malformed = parse_probability(v.fault_malformed, "--fault-malformed");
  c.faults.after_processing = parse_probability(v.fault_after, "--fault-after");
  if (c.faults.server_error + c.faults.reset + c.faults.stall + c.faults.malformed > 1.0 + 1e-9)
    throw std::invalid_argument("--fault-*: the fault shares add up to more than 1");
  c.stall_duration = parse_duration(v.stall_duration, "--stall-duration");
  c.header_timeout = parse_duration(v.header_timeout, "--header-timeout");
  if (c.header_timeout.count() == 0) throw std::invalid_argument("--header-timeout: must be positive");
  c.clock_skew = std::chrono::duration_cast<std::chrono::seconds>(parse_duration(v.clock_skew, "--clock-skew"));
  c.max_body = v.max_body;
  c.max_header = v.max_header;
  if (c.max_header < 1024) throw std::invalid_argument("--max-header: must be at least 1024 bytes");
  c.max_connections = v.max_connections;
  c.preload_queue_limit = v.preload_queue_limit;
  c.max_urls_per_request = v.max_urls;
  if (c.max_urls_per_request == 0) throw std::invalid_argument("--max-urls: must be at least 1");
  for (const auto& s : v.sites) c.extra_sites.push_back(parse_site(s));
  c.sample_data = !v.no_sample_data;
  return c;
}

}  // namespace esa_emulator
