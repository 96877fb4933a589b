#pragma once
// Text encodings the wire protocol depends on byte for byte: the RFC 3986 percent-encoding used by
// ACS3 and the legacy RPC signature, the canonical query string, lower-case hex, base64 and the
// UTC timestamp layout of x-acs-date / Timestamp / Expiration. No OpenSSL and no Boost here, so
// the parameter codec and the emulator can reuse it without pulling in crypto.

#include <alicloud/core/param_list.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace alicloud {

namespace detail {
constexpr bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}
constexpr char upper_hex_digit(unsigned v) noexcept { return "0123456789ABCDEF"[v & 0xF]; }
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace detail

/// Appends the RFC 3986 encoding of `s` (its bytes, i.e. UTF-8 as given) to `out`: unreserved
/// `A-Z a-z 0-9 - _ . ~` stay, every other byte becomes `%XY` with upper-case hex (space `%20`,
/// `*` `%2A`, `/` `%2F`). This is the only encoding Alibaba's servers accept in signed strings.
inline void percent_encode_to(std::string& out, std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (detail::is_unreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += detail::upper_hex_digit(c >> 4);
      out += detail::upper_hex_digit(c);
    }
  }
}

inline std::string percent_encode(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  percent_encode_to(out, s);
  return out;
}

/// Encodes a raw (decoded) path segment by segment, keeping `/`; an empty path becomes `/`
/// (the CanonicalURI rule; `/path/ test` gives `/path/%20test`).
inline std::string percent_encode_path(std::string_view path) {
  if (path.empty()) return "/";
  std::string out;
  out.reserve(path.size() + 8);
  std::size_t start = 0;
  while (true) {
    const auto slash = path.find('/', start);
    percent_encode_to(out, path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

/// Decodes `%XY` escapes (and nothing else: `+` stays `+`, as in RFC 3986). Returns nullopt for a
/// truncated or non-hex escape, so a server can reject rather than guess.
inline std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = detail::hex_value(s[i + 1]);
    const int lo = detail::hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

/// The canonical query string of ACS3 (§2.3) and the CanonicalizedQueryString of the legacy RPC
/// signature (§4.2): pairs sorted by name in byte order (ties broken by value, so repeated names
/// are deterministic whatever order the caller used), both name and value percent-encoded,
/// `name=value` joined with `&`, an empty value kept as `name=`. The transport must send exactly
/// this string as the URL query, so the server decodes the same values that were signed.
inline std::string canonical_query_string(const param_list& params) {
  std::vector<const std::pair<std::string, std::string>*> sorted;
  sorted.reserve(params.size());
  for (const auto& p : params) sorted.push_back(&p);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    // Raw byte order, as the Go/Java/Python SDKs compare names before encoding them.
    const std::string_view an(a->first), bn(b->first);
    if (an != bn) return an < bn;
    return std::string_view(a->second) < std::string_view(b->second);
  });
  std::string out;
  for (const auto* p : sorted) {
    if (!out.empty()) out += '&';
    percent_encode_to(out, p->first);
    out += '=';
    percent_encode_to(out, p->second);
  }
  return out;
}

/// An `application/x-www-form-urlencoded` body with the same encoding as the canonical query
/// (space as `%20`, which every form decoder accepts); the signer hashes whatever bytes are sent.
inline std::string form_urlencoded_body(const param_list& params) { return canonical_query_string(params); }

/// Lower-case hex of raw bytes, as used for digests in ACS3.
inline std::string lower_hex(const unsigned char* data, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.resize(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xF];
  }
  return out;
}

/// Standard base64 with `=` padding (RFC 4648 §4), as used by the legacy HMAC-SHA1 signature.
inline std::string base64_encode(const unsigned char* data, std::size_t n) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (n - i == 1) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += "==";
  } else if (n - i == 2) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// A nested namespace: timestamp.hpp has its own alicloud::detail::days_from_civil/civil_date, and
// the client includes both headers in one translation unit.
namespace detail::calendar {
// Proleptic Gregorian conversions (H. Hinnant's algorithms): pure arithmetic, so no gmtime/timegm
// thread-safety or TZ-environment questions, and the same result on every platform.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
struct civil_date {
  std::int64_t y;
  unsigned m, d;
};
constexpr civil_date civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}
inline void append_2digits(std::string& out, unsigned v) {
  out += static_cast<char>('0' + v / 10 % 10);
  out += static_cast<char>('0' + v % 10);
}
}  // namespace detail::calendar

/// `yyyy-MM-ddTHH:mm:ssZ` in UTC, fraction truncated: the layout of x-acs-date, the legacy
/// `Timestamp` parameter and credential `Expiration` fields.
inline std::string format_utc_timestamp(std::chrono::system_clock::time_point t) {
  // floor, not truncation, so instants before 1970 still format the second they fall in.
  const std::int64_t secs = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  const auto date = detail::calendar::civil_from_days(days);
  std::string out;
  out.reserve(20);
  const auto y = static_cast<unsigned>(date.y);
  detail::calendar::append_2digits(out, y / 100);
  detail::calendar::append_2digits(out, y % 100);
  out += '-';
  detail::calendar::append_2digits(out, date.m);
  out += '-';
  detail::calendar::append_2digits(out, date.d);
  out += 'T';
  detail::calendar::append_2digits(out, static_cast<unsigned>(rem / 3600));
  out += ':';
  detail::calendar::append_2digits(out, static_cast<unsigned>(rem / 60 % 60));
  out += ':';
  detail::calendar::append_2digits(out, static_cast<unsigned>(rem % 60));
  out += 'Z';
  return out;
}

/// Parses `yyyy-MM-ddTHH:mm:ssZ` (optionally with a `.fff` fraction, which is dropped). Anything
/// else, including out-of-range fields or a missing `Z`, gives nullopt.
inline std::optional<std::chrono::system_clock::time_point> parse_utc_timestamp(std::string_view s) {
  auto num = [&](std::size_t pos, std::size_t len, unsigned& out) {
    if (pos + len > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
  };
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (s.size() < 20 || !num(0, 4, y) || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' || !num(8, 2, d) ||
      s[10] != 'T' || !num(11, 2, h) || s[13] != ':' || !num(14, 2, mi) || s[16] != ':' || !num(17, 2, se))
    return std::nullopt;
  std::size_t pos = 19;
  if (s[pos] == '.') {
    ++pos;
    const std::size_t digits_start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == digits_start) return std::nullopt;
  }
  if (pos + 1 != s.size() || s[pos] != 'Z') return std::nullopt;
  static constexpr unsigned month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] || h > 23 || mi > 59 || se > 60) return std::nullopt;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return std::nullopt;
  const std::int64_t days = detail::calendar::days_from_civil(y, mo, d);
  const std::int64_t secs = days * 86400 + std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + se;
  // libstdc++'s nanosecond system_clock ends in 2262; a later year must not wrap around silently.
  using limits_seconds = std::chrono::duration<std::int64_t>;
  if (secs > std::chrono::duration_cast<limits_seconds>(std::chrono::system_clock::duration::max()).count() ||
      secs < std::chrono::duration_cast<limits_seconds>(std::chrono::system_clock::duration::min()).count())
    return std::nullopt;
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::seconds(secs)));
}

}  // namespace alicloud
