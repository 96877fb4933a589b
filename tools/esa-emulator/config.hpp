#pragma once
// Emulator settings and the text forms the command line accepts for them. Kept free of CLI11 and
// networking so tests can build configurations directly and check the parsers in isolation.

#include <alicloud/core/clock.hpp>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
// GCC 12 with -fsanitize=address reports false -Wmaybe-uninitialized warnings inside <regex> (see
// alicloud/core/validation.hpp); keep them from failing -Werror builds.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace esa_emulator {

/// A long-term access key, or an STS key when security_token is set (then every request made with
/// the id must carry exactly this token).
struct access_key {
  std::string id;
  std::string secret;
  std::string security_token;
};

/// The built-in credentials used when no --access-key / --sts is given. They are public by design
/// (printed at start), so a fresh emulator works with no setup.
inline constexpr std::string_view demo_access_key_id = "demo-access-key";
inline constexpr std::string_view demo_access_key_secret = "demo-secret";

/// URLs whose text matches `pattern` (ECMAScript, search semantics) produce tasks that fail with
/// `description` instead of completing.
struct fail_rule {
  std::string pattern;
  std::string description = "Origin Timeout";
};

/// Probabilities (0..1) drawn once per request from the seeded generator, in this order.
struct fault_rates {
  double reset = 0;         ///< abort the TCP connection (RST) instead of answering
  double stall = 0;         ///< never answer; the connection is closed after stall_duration
  double server_error = 0;  ///< answer 503 ServiceUnavailable or 500 InternalError, nothing processed
  double malformed = 0;     ///< answer 200 with a body that is not valid JSON
  /// Share of reset/stall/malformed faults that strike after the request was processed (its effect,
  /// e.g. created tasks, is kept), modelling a response lost on the way back. 5xx never do.
  double after_processing = 0.5;
};

/// An extra site from --site NAME[=ID].
struct site_spec {
  std::string name;
  std::optional<std::int64_t> id;
};

struct config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t port = 8443;  ///< 0 picks a free port

  bool tls = false;
  std::string cert_file;  ///< PEM chain; with key_file. Both empty + tls: a self-signed pair is made
  std::string key_file;
  std::string ca_out;     ///< where the generated CA certificate is written (PEM)

  std::vector<access_key> keys;  ///< empty: the demo key
  std::string state_file;        ///< empty: memory only
  std::uint64_t seed = 1;
  unsigned threads = 2;

  std::chrono::milliseconds task_duration{5000};
  std::vector<fail_rule> fail_rules;
  std::size_t preload_queue_limit = 10000;  ///< Refreshing preload tasks beyond this: PreloadQueueFull
  std::size_t max_urls_per_request = 500;   ///< more: DomainNameOverLimit

  double rate_limit = 0;  ///< requests per second per access key; 0 disables
  double rate_burst = 0;  ///< bucket size; 0 means max(1, rate_limit)

  std::chrono::milliseconds latency{0};  ///< added to every answer
  std::chrono::milliseconds latency_jitter{0};  ///< plus a uniform 0..jitter
  fault_rates faults;
  std::chrono::milliseconds stall_duration{30000};

  std::chrono::milliseconds header_timeout{10000};  ///< whole request (header and body) and keep-alive idle time
  std::chrono::seconds clock_skew{900};             ///< allowed |server time - request time|
  std::size_t max_body = std::size_t{1} << 20;
  std::size_t max_header = std::size_t{64} << 10;
  std::size_t max_connections = 1024;

  bool sample_data = true;  ///< seed sites and tasks when starting without a state file
  std::vector<site_spec> extra_sites;

  const alicloud::clock* clock = &alicloud::system_clock();
  std::ostream* access_log = nullptr;  ///< one line per request; never holds secrets
};

// -------------------------------------------------------------------------------------------------
// Parsers for the command-line forms. Each throws std::invalid_argument with a message naming the
// option and the expected form.

namespace detail {

inline bool parse_number(std::string_view s, double& out) {
  if (s.empty()) return false;
  // std::from_chars for double is available in GCC 11+; keep strict: the whole text must be consumed.
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

inline bool parse_unsigned(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

[[noreturn]] inline void bad(std::string_view option, std::string_view text, std::string_view expected) {
  throw std::invalid_argument(std::string(option) + ": expected " + std::string(expected) + ", got \"" +
                              std::string(text) + "\"");
}

}  // namespace detail

/// `250ms`, `5s`, `2m`, `1h`, or a bare number of milliseconds.
inline std::chrono::milliseconds parse_duration(std::string_view text, std::string_view option = "duration") {
  static constexpr std::string_view expected = "a duration such as 500ms, 5s, 2m or 1h";
  std::string_view num = text;
  double scale = 1;
  auto ends = [&](std::string_view suffix) {
    if (num.size() > suffix.size() && num.substr(num.size() - suffix.size()) == suffix) {
      num.remove_suffix(suffix.size());
      return true;
    }
    return false;
  };
  if (ends("ms")) scale = 1;
  else if (ends("s")) scale = 1000;
  else if (ends("m")) scale = 60000;
  else if (ends("h")) scale = 3600000;
  double v = 0;
  if (!detail::parse_number(num, v) || v < 0 || v * scale > 1e12) detail::bad(option, text, expected);
  return std::chrono::milliseconds(static_cast<std::int64_t>(v * scale + 0.5));
}

/// A probability `0.1` or a percentage `10%`.
inline double parse_probability(std::string_view text, std::string_view option = "probability") {
  static constexpr std::string_view expected = "a probability between 0 and 1 (e.g. 0.1) or a percentage (10%)";
  std::string_view num = text;
  double scale = 1;
  if (!num.empty() && num.back() == '%') {
    num.remove_suffix(1);
    scale = 0.01;
  }
  double v = 0;
  if (!detail::parse_number(num, v)) detail::bad(option, text, expected);
  v *= scale;
  if (!(v >= 0 && v <= 1)) detail::bad(option, text, expected);
  return v;
}

/// `N/s`, `N/m` (per minute) or a bare `N` (per second). Returns requests per second.
inline double parse_rate(std::string_view text, std::string_view option = "--rate-limit") {
  static constexpr std::string_view expected = "a rate such as 10/s, 600/m or 10";
  std::string_view num = text;
  double per = 1;
  if (num.size() > 2 && num.substr(num.size() - 2) == "/s") {
    num.remove_suffix(2);
  } else if (num.size() > 2 && num.substr(num.size() - 2) == "/m") {
    num.remove_suffix(2);
    per = 60;
  }
  double v = 0;
  if (!detail::parse_number(num, v) || v < 0) detail::bad(option, text, expected);
  return v / per;
}

/// `MS` or `MIN-MAX` (milliseconds, or durations with units): fixed latency plus uniform jitter.
inline std::pair<std::chrono::milliseconds, std::chrono::milliseconds> parse_latency(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return {parse_duration(text, "--latency"), std::chrono::milliseconds(0)};
  const auto lo = parse_duration(text.substr(0, dash), "--latency");
  const auto hi = parse_duration(text.substr(dash + 1), "--latency");
  if (hi < lo) detail::bad("--latency", text, "MIN-MAX with MIN <= MAX");
  return {lo, hi - lo};
}

/// `ID:SECRET` (split at the first colon, so secrets may contain colons).
inline access_key parse_access_key(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    throw std::invalid_argument("--access-key: expected ID:SECRET with both parts non-empty");
  return access_key{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1)), {}};
}

/// `ID:SECRET:TOKEN` (the token is everything after the second colon).
inline access_key parse_sts_key(std::string_view text) {
  const auto a = text.find(':');
  const auto b = a == std::string_view::npos ? a : text.find(':', a + 1);
  if (a == std::string_view::npos || b == std::string_view::npos || a == 0 || b == a + 1 || b + 1 == text.size())
    throw std::invalid_argument("--sts: expected ID:SECRET:TOKEN with all parts non-empty");
  return access_key{std::string(text.substr(0, a)), std::string(text.substr(a + 1, b - a - 1)),
                    std::string(text.substr(b + 1))};
}

/// `HOST:PORT`, `[V6]:PORT`, `:PORT` (loopback) or `PORT`.
inline std::pair<std::string, std::uint16_t> parse_listen(std::string_view text) {
  static constexpr std::string_view expected = "HOST:PORT, [IPV6]:PORT or PORT";
  std::string host = "127.0.0.1";
  std::string_view port_text = text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      detail::bad("--listen", text, expected);
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    if (colon > 0) host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  std::uint64_t port = 0;
  if (host.empty() || !detail::parse_unsigned(port_text, port) || port > 65535) detail::bad("--listen", text, expected);
  return {host, static_cast<std::uint16_t>(port)};
}

/// `REGEX` or `REGEX=>DESCRIPTION`. The pattern is compiled here so a bad one is reported at start.
inline fail_rule parse_fail_rule(std::string_view text) {
  fail_rule r;
  const auto arrow = text.find("=>");
  r.pattern = std::string(text.substr(0, arrow));
  if (arrow != std::string_view::npos) r.description = std::string(text.substr(arrow + 2));
  if (r.pattern.empty() || r.description.empty())
    throw std::invalid_argument("--fail-url: expected REGEX or REGEX=>DESCRIPTION with non-empty parts");
  try {
    std::regex re(r.pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw std::invalid_argument("--fail-url: \"" + r.pattern + "\" is not a valid regular expression (" + e.what() + ")");
  }
  return r;
}

/// `NAME` or `NAME=ID`.
inline site_spec parse_site(std::string_view text) {
  site_spec s;
  const auto eq = text.find('=');
  s.name = std::string(text.substr(0, eq));
  if (s.name.empty() || s.name.find_first_of("/: ") != std::string::npos)
    throw std::invalid_argument("--site: expected a domain NAME or NAME=ID, got \"" + std::string(text) + "\"");
  if (eq != std::string_view::npos) {
    std::uint64_t id = 0;
    if (!detail::parse_unsigned(text.substr(eq + 1), id) || id == 0 || id > 0x7fffffffffffffffULL)
      throw std::invalid_argument("--site: ID must be a positive 64-bit integer, got \"" +
                                  std::string(text.substr(eq + 1)) + "\"");
    s.id = static_cast<std::int64_t>(id);
  }
  return s;
}

}  // namespace esa_emulator
