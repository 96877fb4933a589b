#pragma once
// utc_time: Alibaba's request timestamps are ISO 8601 UTC at second precision ("2023-03-22T17:00:00Z").
// Parsing and formatting are done by hand (days-from-civil) so results never depend on the C library's
// locale, TZ or timegm availability.

#include <alicloud/core/clock.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace alicloud {

namespace detail {

// Howard Hinnant's algorithms (http://howardhinnant.github.io/date_algorithms.html): proleptic Gregorian
// calendar, valid for the whole int64 range we can reach from seconds.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil_date {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

constexpr civil_date civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

constexpr bool is_leap_year(std::int64_t y) noexcept { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

}  // namespace detail

/// A UTC instant with whole-second precision.
class utc_time {
 public:
  using duration = std::chrono::seconds;
  using time_point_type = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

  /// The Unix epoch.
  constexpr utc_time() noexcept = default;

  /// Sub-second parts are dropped by rounding towards the past (floor), so formatting never shows a
  /// second that has not started yet.
  template <class Duration>
  constexpr explicit utc_time(std::chrono::time_point<std::chrono::system_clock, Duration> tp) noexcept
      : tp_(std::chrono::floor<std::chrono::seconds>(tp)) {}

  static constexpr utc_time from_unix_seconds(std::int64_t s) noexcept {
    return utc_time(time_point_type(std::chrono::seconds(s)));
  }

  /// Current time of a (possibly fake) clock.
  static utc_time now(const clock& c = system_clock()) { return utc_time(c.now()); }

  /// Accepts exactly `yyyy-MM-ddTHH:mm:ssZ` (upper-case T and Z, no fraction, no offset); anything else,
  /// including impossible dates such as 2023-02-29 or hour 24, gives nullopt.
  static constexpr std::optional<utc_time> parse(std::string_view s) noexcept {
    if (s.size() != 20) return std::nullopt;
    if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
      return std::nullopt;
    bool ok = true;
    auto num = [&](std::size_t pos, std::size_t len) {
      unsigned v = 0;
      for (std::size_t i = pos; i < pos + len; ++i) {
        const char c = s[i];
        if (c < '0' || c > '9') ok = false;
        v = v * 10 + static_cast<unsigned>(c - '0');
      }
      return v;
    };
    const unsigned year = num(0, 4), month = num(5, 2), day = num(8, 2);
    const unsigned hour = num(11, 2), minute = num(14, 2), second = num(17, 2);
    if (!ok) return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > detail::days_in_month(year, month)) return std::nullopt;
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
    const std::int64_t days = detail::days_from_civil(year, month, day);
    return from_unix_seconds(days * 86400 + hour * 3600 + minute * 60 + second);
  }

  /// `yyyy-MM-ddTHH:mm:ssZ`. Years outside 0000..9999 are written with a sign or more digits (and so
  /// will not parse back); no real API timestamp gets there.
  std::string to_string() const {
    const std::int64_t total = unix_seconds();
    std::int64_t days = total / 86400;
    std::int64_t rem = total % 86400;
    if (rem < 0) {
      rem += 86400;
      --days;
    }
    const detail::civil_date d = detail::civil_from_days(days);
    std::string out;
    out.reserve(20);
    std::int64_t year = d.year;
    if (year < 0) {
      out += '-';
      year = -year;
    }
    const std::string y = std::to_string(year);
    if (y.size() < 4) out.append(4 - y.size(), '0');
    out += y;
    auto two = [&out](char sep, unsigned v) {
      out += sep;
      out += static_cast<char>('0' + v / 10);
      out += static_cast<char>('0' + v % 10);
    };
    two('-', d.month);
    two('-', d.day);
    two('T', static_cast<unsigned>(rem / 3600));
    two(':', static_cast<unsigned>(rem / 60 % 60));
    two(':', static_cast<unsigned>(rem % 60));
    out += 'Z';
    return out;
  }

  constexpr time_point_type time_point() const noexcept { return tp_; }
  constexpr std::int64_t unix_seconds() const noexcept { return tp_.time_since_epoch().count(); }

  friend constexpr bool operator==(utc_time a, utc_time b) noexcept { return a.tp_ == b.tp_; }
  friend constexpr bool operator!=(utc_time a, utc_time b) noexcept { return a.tp_ != b.tp_; }
  friend constexpr bool operator<(utc_time a, utc_time b) noexcept { return a.tp_ < b.tp_; }
  friend constexpr bool operator<=(utc_time a, utc_time b) noexcept { return a.tp_ <= b.tp_; }
  friend constexpr bool operator>(utc_time a, utc_time b) noexcept { return a.tp_ > b.tp_; }
  friend constexpr bool operator>=(utc_time a, utc_time b) noexcept { return a.tp_ >= b.tp_; }

  friend constexpr utc_time operator+(utc_time t, std::chrono::seconds d) noexcept { return utc_time(t.tp_ + d); }
  friend constexpr utc_time operator-(utc_time t, std::chrono::seconds d) noexcept { return utc_time(t.tp_ - d); }
  friend constexpr std::chrono::seconds operator-(utc_time a, utc_time b) noexcept { return a.tp_ - b.tp_; }

  friend std::ostream& operator<<(std::ostream& os, utc_time t) { return os << t.to_string(); }

 private:
  time_point_type tp_{};
};

}  // namespace alicloud
