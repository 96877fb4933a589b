#pragma once
// validation_context: the checks generated validators call. Each failed check appends one
// alicloud::violation; nothing throws, so a caller sees every problem of a request at once.
//
// Conventions:
//   - field paths are prefixed by the active scopes: `Content.CacheKeys[0].Url`;
//   - messages name the field, the rule's limit and the actual value, e.g.
//     `PageSize must be between 1 and 50, got 51`;
//   - an empty `code` argument means the spec has no specific error code; the violation then gets
//     "MissingParameter" for the required/together rules and "InvalidParameter" for every other rule,
//     the generic codes Alibaba itself returns for those cases;
//   - string lengths are counted in Unicode code points (UTF-8 lead bytes), matching the "characters"
//     of Alibaba's documentation rather than bytes;
//   - patterns are ECMAScript std::regex with search semantics (JSON Schema `pattern`: unanchored unless
//     the pattern has ^/$), compiled once per pattern text and shared between threads. A pattern
//     std::regex cannot compile is not checked (the service still validates it) rather than rejecting
//     every request.

#include <alicloud/core/clock.hpp>
#include <alicloud/core/error.hpp>
#include <alicloud/core/open_enum.hpp>
#include <alicloud/core/timestamp.hpp>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
// GCC 12 with -fsanitize=address reports false -Wmaybe-uninitialized warnings inside libstdc++'s regex
// compiler (std::function copies in regex_automaton.h); keep them from failing -Werror builds. This only
// helps when <regex> is first included here; a TU that includes <regex> earlier needs
// -Wno-maybe-uninitialized under ASan.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace alicloud {

namespace detail {

template <class N>
std::string validation_number_text(N n) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  return std::string(buf, r.ptr);
}

inline std::string validation_quote(std::string_view s) {
  constexpr std::size_t limit = 64;
  std::string out = "\"";
  out.append(s.substr(0, limit));
  if (s.size() > limit) out += "...";
  out += '"';
  return out;
}

/// Number of UTF-8 code points (bytes that are not continuation bytes).
inline std::size_t utf8_length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

/// Compiled pattern, or nullptr when std::regex rejects it. Entries are never erased, so the returned
/// pointer stays valid; matching against a const std::regex is safe from several threads.
inline const std::regex* cached_regex(std::string_view pattern) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<const std::regex>, std::less<>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(pattern);
  if (it == cache.end()) {
    std::unique_ptr<const std::regex> re;
    try {
      re = std::make_unique<const std::regex>(pattern.begin(), pattern.end(), std::regex::ECMAScript);
    } catch (const std::regex_error&) {
    }
    it = cache.emplace(std::string(pattern), std::move(re)).first;
  }
  return it->second.get();
}

template <class T, class = void>
struct has_empty : std::false_type {};
template <class T>
struct has_empty<T, std::void_t<decltype(std::declval<const T&>().empty())>> : std::true_type {};

template <class T, class = void>
struct has_is_null : std::false_type {};
template <class T>
struct has_is_null<T, std::void_t<decltype(std::declval<const T&>().is_null())>> : std::true_type {};

template <class T>
struct is_std_optional : std::false_type {};
template <class U>
struct is_std_optional<std::optional<U>> : std::true_type {};

inline std::string describe_duration(std::chrono::seconds d) {
  const auto s = d.count();
  auto unit = [&](std::int64_t per, const char* name) {
    const auto n = s / per;
    return std::to_string(n) + " " + name + (n == 1 ? "" : "s");
  };
  if (s != 0 && s % 86400 == 0) return unit(86400, "day");
  if (s != 0 && s % 3600 == 0) return unit(3600, "hour");
  if (s != 0 && s % 60 == 0) return unit(60, "minute");
  return unit(1, "second");
}

}  // namespace detail

class validation_context {
 public:
  explicit validation_context(const clock& c) noexcept : clock_(&c) {}

  /// Restores the field prefix when it goes out of scope.
  class [[nodiscard]] scope_guard {
   public:
    scope_guard(const scope_guard&) = delete;
    scope_guard& operator=(const scope_guard&) = delete;
    ~scope_guard() { ctx_->prefix_.resize(old_size_); }

   private:
    friend class validation_context;
    scope_guard(validation_context& ctx, std::size_t old_size) noexcept : ctx_(&ctx), old_size_(old_size) {}
    validation_context* ctx_;
    std::size_t old_size_;
  };

  /// Fields checked while the guard lives are reported as `name.field`.
  scope_guard scope(std::string_view name) {
    const std::size_t old = prefix_.size();
    if (!prefix_.empty()) prefix_ += '.';
    prefix_ += name;
    return scope_guard(*this, old);
  }

  /// Fields checked while the guard lives are reported as `name[index].field`.
  scope_guard scope(std::string_view name, std::size_t index) {
    const std::size_t old = prefix_.size();
    if (!prefix_.empty()) prefix_ += '.';
    prefix_ += name;
    prefix_ += '[';
    prefix_ += std::to_string(index);
    prefix_ += ']';
    return scope_guard(*this, old);
  }

  /// Integer range (int32, int64, ...). Bounds are optional; exclusive flags turn >= / <= into > / <.
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  void check_range(std::string_view field, T value, std::optional<std::int64_t> min, std::optional<std::int64_t> max,
                   std::string_view code, bool exclusive_min = false, bool exclusive_max = false) {
    // Unsigned values beyond int64 are above every possible bound.
    const bool huge = std::is_unsigned_v<T> && static_cast<std::uint64_t>(value) >
                                                    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    const auto v = static_cast<std::int64_t>(value);
    const bool low = !huge && min && (exclusive_min ? v <= *min : v < *min);
    const bool high = max && (huge || (exclusive_max ? v >= *max : v > *max));
    if (low || high)
      add_range(field, min ? std::optional<std::string>(detail::validation_number_text(*min)) : std::nullopt,
                max ? std::optional<std::string>(detail::validation_number_text(*max)) : std::nullopt, exclusive_min,
                exclusive_max, detail::validation_number_text(value), code);
  }

  /// Floating-point range. NaN is outside every range.
  template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  void check_range(std::string_view field, T value, std::optional<double> min, std::optional<double> max,
                   std::string_view code, bool exclusive_min = false, bool exclusive_max = false) {
    const auto v = static_cast<double>(value);
    const bool nan = v != v;
    const bool low = min && (nan || (exclusive_min ? v <= *min : v < *min));
    const bool high = max && (nan || (exclusive_max ? v >= *max : v > *max));
    if (low || high)
      add_range(field, min ? std::optional<std::string>(detail::validation_number_text(*min)) : std::nullopt,
                max ? std::optional<std::string>(detail::validation_number_text(*max)) : std::nullopt, exclusive_min,
                exclusive_max, detail::validation_number_text(v), code);
  }

  /// String length in code points.
  void check_length(std::string_view field, std::string_view value, std::optional<std::size_t> min,
                    std::optional<std::size_t> max, std::string_view code) {
    const std::size_t n = detail::utf8_length(value);
    if ((min && n < *min) || (max && n > *max))
      add(field, "length", full(field) + " length must be " + bounds_text(min, max) + " characters, got " + std::to_string(n),
          code);
  }

  void check_pattern(std::string_view field, std::string_view value, std::string_view pattern, std::string_view code) {
    const std::regex* re = detail::cached_regex(pattern);
    if (!re) return;
    if (!std::regex_search(value.begin(), value.end(), *re))
      add(field, "pattern",
          full(field) + " must match the pattern " + std::string(pattern) + ", got " + detail::validation_quote(value),
          code);
  }

  /// Array length (minItems/maxItems).
  void check_items(std::string_view field, std::size_t size, std::optional<std::size_t> min,
                   std::optional<std::size_t> max, std::string_view code) {
    if ((min && size < *min) || (max && size > *max))
      add(field, "items", full(field) + " item count must be " + bounds_text(min, max) + ", got " + std::to_string(size),
          code);
  }

  /// The value must be one of E::known_values (skipped when the enum lists none).
  template <class E, std::enable_if_t<is_open_enum_v<E>, int> = 0>
  void check_enum(std::string_view field, const E& value, std::string_view code) {
    if (E::known_values.size() == 0 || value.is_known()) return;
    std::string allowed;
    for (std::string_view k : E::known_values) {
      if (!allowed.empty()) allowed += ", ";
      allowed += k;
    }
    add(field, "enum", full(field) + " must be one of " + allowed + ", got " + detail::validation_quote(value.value()),
        code);
  }

  /// A required member: strings, containers and open enums must be non-empty, optionals engaged,
  /// JSON values non-null. Numbers, bools, times and structs are always present, so nothing is checked.
  template <class T>
  void check_required(std::string_view field, const T& value, std::string_view code) {
    if constexpr (detail::is_std_optional<T>::value) {
      if (!value) return add(field, "required", full(field) + " is required", code);
    } else if constexpr (is_open_enum_v<T>) {
      if (value.value().empty()) return add(field, "required", full(field) + " is required and must not be empty", code);
    } else if constexpr (detail::has_empty<T>::value) {
      if (value.empty()) return add(field, "required", full(field) + " is required and must not be empty", code);
    } else if constexpr (detail::has_is_null<T>::value) {
      if (value.is_null()) return add(field, "required", full(field) + " is required", code);
    }
  }

  /// Either all of the fields are given or none. One violation, on the first missing field.
  void check_together(std::initializer_list<std::pair<std::string_view, bool>> fields, std::string_view code) {
    std::size_t present = 0;
    for (const auto& f : fields) present += f.second ? 1 : 0;
    if (present == 0 || present == fields.size()) return;
    std::string all, missing;
    std::string_view first_missing;
    std::size_t i = 0;
    for (const auto& f : fields) {
      all += i == 0 ? "" : (i + 1 == fields.size() ? " and " : ", ");
      all += full(f.first);
      ++i;
      if (!f.second) {
        if (first_missing.empty()) first_missing = f.first;
        if (!missing.empty()) missing += ", ";
        missing += full(f.first);
      }
    }
    add(first_missing, "together", all + " must be given together; missing " + missing, code);
  }

  /// `value` (field) must be strictly later than `other` (other_field).
  void check_after(std::string_view field, utc_time value, std::string_view other_field, utc_time other,
                   std::string_view code) {
    if (value > other) return;
    add(field, "after",
        full(field) + " must be later than " + full(other_field) + " (" + other.to_string() + "), got " +
            value.to_string(),
        code);
  }

  /// `value` must not lie more than max_age before the context clock's now().
  void check_not_older(std::string_view field, utc_time value, std::chrono::seconds max_age, std::string_view code) {
    const utc_time now(clock_->now());
    const utc_time earliest = now - max_age;
    if (value >= earliest) return;
    add(field, "max_age",
        full(field) + " must not be older than " + detail::describe_duration(max_age) + " (" +
            std::to_string(max_age.count()) + " seconds, earliest " + earliest.to_string() + "), got " +
            value.to_string(),
        code);
  }

  /// Records a custom violation; `field` is prefixed by the active scopes, the message is kept as given.
  void add(std::string_view field, std::string_view rule, std::string message, std::string_view code) {
    violation v;
    v.field = full(field);
    v.rule = std::string(rule);
    v.message = std::move(message);
    if (!code.empty())
      v.code = std::string(code);
    else
      v.code = (rule == "required" || rule == "together") ? "MissingParameter" : "InvalidParameter";
    violations_.push_back(std::move(v));
  }

  const clock& time_source() const noexcept { return *clock_; }
  bool ok() const noexcept { return violations_.empty(); }
  const std::vector<violation>& violations() const noexcept { return violations_; }
  std::vector<violation> take() && { return std::move(violations_); }

 private:
  std::string full(std::string_view field) const {
    if (prefix_.empty()) return std::string(field);
    if (field.empty()) return prefix_;
    std::string s = prefix_;
    s += '.';
    s += field;
    return s;
  }

  static std::string bounds_text(std::optional<std::size_t> min, std::optional<std::size_t> max) {
    if (min && max) return "between " + std::to_string(*min) + " and " + std::to_string(*max);
    if (min) return "at least " + std::to_string(*min);
    return "at most " + std::to_string(max.value_or(0));
  }

  void add_range(std::string_view field, std::optional<std::string> min, std::optional<std::string> max,
                 bool exclusive_min, bool exclusive_max, const std::string& got, std::string_view code) {
    std::string rule;
    if (min && max && !exclusive_min && !exclusive_max) {
      rule = "between " + *min + " and " + *max;
    } else {
      if (min) rule = (exclusive_min ? "greater than " : "at least ") + *min;
      if (max) rule += (min ? " and " : "") + std::string(exclusive_max ? "less than " : "at most ") + *max;
    }
    add(field, "range", full(field) + " must be " + rule + ", got " + got, code);
  }

  const clock* clock_;
  std::string prefix_;
  std::vector<violation> violations_;
};

}  // namespace alicloud
