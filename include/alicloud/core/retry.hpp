#pragma once
// Retry vocabulary of the client: the policy, full-jitter backoff, server delay hints
// (x-acs-retry-after, Retry-After), HTTP dates (for clock-skew correction) and the classification of a
// failed attempt. Pure functions over injected time and randomness, so every decision is testable
// without sleeping; the loop that applies them lives in client_core.hpp.

#include <alicloud/core/clock.hpp>
#include <alicloud/core/error.hpp>
#include <alicloud/core/http.hpp>
#include <alicloud/core/operation.hpp>
#include <alicloud/core/timestamp.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace alicloud {

/// Waits between attempts. Injectable so tests can advance a manual_clock instead of sleeping.
using sleeper = std::function<void(std::chrono::milliseconds)>;

/// Uniform 64-bit random numbers (jitter). Must be safe to call from several threads at once.
using random_source = std::function<std::uint64_t()>;

/// Blocks the calling thread; the client never sleeps anywhere else.
inline sleeper thread_sleeper() {
  return [](std::chrono::milliseconds d) {
    if (d.count() > 0) std::this_thread::sleep_for(d);
  };
}

/// A mutex-guarded mt19937_64 with a fixed seed: reproducible jitter.
inline random_source seeded_random(std::uint64_t seed) {
  struct state {
    std::mutex mutex;
    std::mt19937_64 engine;
  };
  auto s = std::make_shared<state>();
  s->engine.seed(seed);
  return [s]() {
    std::lock_guard<std::mutex> lock(s->mutex);
    return s->engine();
  };
}

/// seeded_random() with a seed from std::random_device (jitter only needs to decorrelate clients,
/// not to be unpredictable).
inline random_source default_random() {
  std::random_device rd;
  const std::uint64_t seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  return seeded_random(seed);
}

/// What the client retries, how often and how long it waits.
///
/// Retried: transport failures, HTTP 5xx, HTTP 429, and service codes matching the product's
/// retryable_errors (ESA: TooManyRequests, Throttling*) or `retryable_codes`. Never retried: other
/// service errors, validation, credentials and response-decoding failures.
/// Non-idempotent operations (Op::idempotent == false) are retried only after a failure that proves
/// the request never reached the server (http::never_sent); throttling rejections of them only when
/// `retry_throttled_non_idempotent` is set.
struct retry_policy {
  /// Total sends per call, the first included (1 disables retries). The default allows the 3 retries
  /// Alibaba's SDKs use. A clock-skew correction resend does not count.
  int max_attempts = 4;
  /// Backoff before retry n (1-based) is uniform in [0, min(max_delay, base_delay * 2^(n-1))] ("full jitter").
  std::chrono::milliseconds base_delay{200};
  std::chrono::milliseconds max_delay{20000};
  /// A server hint (x-acs-retry-after / Retry-After) replaces the jittered backoff, capped at this
  /// (Dara's maxDelay default is 120 s).
  std::chrono::milliseconds max_server_delay{120000};
  /// Overall deadline of one call, measured on the client clock from the first attempt: attempts and
  /// waits included. No retry starts when its wait would end at or after the deadline, and each
  /// attempt's transport total_timeout is cut to the time left. Zero disables the deadline.
  std::chrono::milliseconds deadline{60000};
  /// Extra service codes to retry ('*' suffix matches any continuation), e.g. "PreloadQueueFull".
  std::vector<std::string> retryable_codes;
  /// A throttled request was rejected, not executed, so resending even a non-idempotent one is safe
  /// in practice; off by default because the server did receive it.
  bool retry_throttled_non_idempotent = false;
  /// On a time-related signature error whose response carries a Date header at least
  /// `clock_skew_threshold` away from the client clock, adopt the server time and resend once.
  bool correct_clock_skew = true;
  std::chrono::milliseconds clock_skew_threshold{std::chrono::seconds(30)};

  static retry_policy no_retries() {
    retry_policy p;
    p.max_attempts = 1;
    return p;
  }
};

/// The full-jitter backoff before retry `retry` (1 = first retry) using one random draw:
/// `random % (cap + 1)` milliseconds, where cap = min(max_delay, base_delay * 2^(retry-1)).
inline std::chrono::milliseconds full_jitter_backoff(const retry_policy& p, int retry, std::uint64_t random) noexcept {
  using ms = std::chrono::milliseconds;
  const auto max_delay = std::max<std::int64_t>(0, p.max_delay.count());
  std::int64_t cap = std::max<std::int64_t>(0, p.base_delay.count());
  for (int i = 1; i < retry && cap < max_delay; ++i) cap *= 2;
  cap = std::min(cap, max_delay);
  return ms(static_cast<std::int64_t>(random % (static_cast<std::uint64_t>(cap) + 1)));
}

namespace detail::retrying {

inline std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Non-negative decimal integer of at most 12 digits (longer values are nonsense for a delay).
inline std::optional<std::int64_t> parse_delay_number(std::string_view s) noexcept {
  s = trim_ows(s);
  if (s.empty() || s.size() > 12) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace detail::retrying

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7), the form every current
/// server sends in Date and Retry-After. The obsolete RFC 850 and asctime forms are not accepted.
inline std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s) noexcept {
  s = detail::retrying::trim_ows(s);
  // "Sun, 06 Nov 1994 08:49:37 GMT" is exactly 29 characters.
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
      s[22] != ':' || s[25] != ' ' || s.substr(26) != "GMT")
    return std::nullopt;
  auto num = [&](std::size_t at, std::size_t n) -> int {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const auto mpos = months.find(s.substr(8, 3));
  if (mpos == std::string_view::npos || mpos % 3 != 0) return std::nullopt;
  const unsigned month = static_cast<unsigned>(mpos / 3 + 1);
  const int day = num(5, 2), year = num(12, 4), hh = num(17, 2), mm = num(20, 2), ss = num(23, 2);
  if (day < 1 || year < 1970 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) return std::nullopt;
  if (static_cast<unsigned>(day) > detail::days_in_month(year, month)) return std::nullopt;
  const std::int64_t days = detail::days_from_civil(year, month, static_cast<unsigned>(day));
  return std::chrono::system_clock::time_point(std::chrono::seconds(days * 86400 + hh * 3600 + mm * 60 + ss));
}

/// The server's requested wait before the next attempt, if the response states one:
///  - `x-acs-retry-after`: milliseconds (Alibaba's Darabonba runtimes read it as ms; 0 or junk is ignored);
///  - `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3), measured from `now`.
/// x-acs-retry-after wins when both are present.
inline std::optional<std::chrono::milliseconds> retry_after_hint(const http::response& res,
                                                                  std::chrono::system_clock::time_point now) {
  using ms = std::chrono::milliseconds;
  if (auto v = detail::retrying::parse_delay_number(res.header("x-acs-retry-after")); v && *v > 0) return ms(*v);
  const auto ra = detail::retrying::trim_ows(res.header("Retry-After"));
  if (ra.empty()) return std::nullopt;
  if (auto v = detail::retrying::parse_delay_number(ra)) return ms(*v * 1000);
  if (auto at = parse_http_date(ra)) {
    const auto d = std::chrono::duration_cast<ms>(*at - now);
    return d.count() > 0 ? d : ms(0);
  }
  return std::nullopt;
}

/// Why a failed attempt may be worth repeating.
enum class failure_kind {
  permanent,       ///< service/validation/credentials/decoding error: repeating cannot help
  network,         ///< no HTTP response (transport failure or timeout)
  server_error,    ///< HTTP 5xx
  throttled,       ///< HTTP 429 or a retryable service code (product list or policy)
};

inline bool matches_any_code(std::string_view code, const std::vector<std::string>& patterns) noexcept {
  for (const auto& p : patterns)
    if (matches_code_pattern(p, code)) return true;
  return false;
}

template <class Patterns>
bool matches_any_code_of(std::string_view code, const Patterns& patterns) noexcept {
  for (std::string_view p : patterns)
    if (matches_code_pattern(p, code)) return true;
  return false;
}

/// Classifies a failed attempt. `product_codes` is the product's retryable_errors list.
template <class Patterns>
failure_kind classify_failure(const error& e, const Patterns& product_codes, const retry_policy& p) noexcept {
  if (e.http_status == 0) {
    if (http::is_transport_error(e)) return failure_kind::network;
    const auto coarse = http::coarse_code(e.code);
    if (e.code.category() != library_category() && (coarse == errc::transport || coarse == errc::timeout))
      return failure_kind::network;
    if (e.code == make_error_code(errc::transport) || e.code == make_error_code(errc::timeout))
      return failure_kind::network;
    return failure_kind::permanent;
  }
  if (!e.service_code.empty() &&
      (matches_any_code_of(e.service_code, product_codes) || matches_any_code(e.service_code, p.retryable_codes)))
    return failure_kind::throttled;
  if (e.http_status == 429) return failure_kind::throttled;
  if (e.http_status >= 500 && e.http_status <= 599) return failure_kind::server_error;
  return failure_kind::permanent;
}

/// Whether a failure of this kind may be retried for an operation of this idempotency.
inline bool retry_allowed(failure_kind kind, const error& e, bool idempotent, const retry_policy& p) noexcept {
  switch (kind) {
    case failure_kind::permanent: return false;
    case failure_kind::network: return idempotent || http::never_sent(e);
    case failure_kind::server_error: return idempotent;
    case failure_kind::throttled: return idempotent || p.retry_throttled_non_idempotent;
  }
  return false;
}

/// Codes Alibaba returns when the request time is outside the accepted window, plus
/// SignatureDoesNotMatch (a wrong date also breaks the signature). The client only acts on them
/// when the response Date proves a skew, so a wrong secret is not mistaken for one.
inline bool is_time_related_signature_error(std::string_view code) noexcept {
  return matches_code_pattern("InvalidTimeStamp*", code) || code == "RequestTimeTooSkewed" ||
         code == "SignatureDoesNotMatch" || code == "InvalidTimestamp" || code == "RequestExpired";
}

}  // namespace alicloud
