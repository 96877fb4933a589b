#pragma once
// Open enums: Alibaba adds enum values without bumping API versions, so a closed C++ enum would make
// an old client reject new responses. An open enum names the known values but keeps any string.
//
// Generated shape:
//   struct Status : ::alicloud::open_enum<Status> {
//     using open_enum::open_enum;
//     static constexpr ::alicloud::enum_constant<Status> Complete{"Complete"};
//     static constexpr std::array<std::string_view, 1> known_values{{"Complete"}};
//   };

#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace alicloud {

/// A named value of the open enum `Tag`. Typed so that constants of one enum cannot initialise another.
template <class Tag>
struct enum_constant {
  std::string_view value;

  friend constexpr bool operator==(enum_constant a, enum_constant b) noexcept { return a.value == b.value; }
  friend constexpr bool operator!=(enum_constant a, enum_constant b) noexcept { return a.value != b.value; }
};

template <class Derived>
class open_enum {
 public:
  /// Empty value: neither known nor meaningful, but lets models be default-constructed.
  open_enum() = default;
  explicit open_enum(std::string v) : value_(std::move(v)) {}
  explicit open_enum(std::string_view v) : value_(v) {}
  // Without this a string literal would be ambiguous between the two constructors above.
  explicit open_enum(const char* v) : value_(v) {}
  open_enum(enum_constant<Derived> c) : value_(c.value) {}  // NOLINT: implicit so `s = Status::Complete` works

  const std::string& value() const noexcept { return value_; }

  /// True when the value is one of Derived::known_values (the spec's enum at generation time).
  bool is_known() const noexcept {
    for (std::string_view k : Derived::known_values)
      if (k == value_) return true;
    return false;
  }

  friend bool operator==(const Derived& a, const Derived& b) noexcept { return a.value_ == b.value_; }
  friend bool operator!=(const Derived& a, const Derived& b) noexcept { return a.value_ != b.value_; }
  friend bool operator==(const Derived& a, enum_constant<Derived> b) noexcept { return a.value_ == b.value; }
  friend bool operator!=(const Derived& a, enum_constant<Derived> b) noexcept { return a.value_ != b.value; }
  friend bool operator==(enum_constant<Derived> a, const Derived& b) noexcept { return a.value == b.value_; }
  friend bool operator!=(enum_constant<Derived> a, const Derived& b) noexcept { return a.value != b.value_; }
  friend bool operator==(const Derived& a, std::string_view b) noexcept { return a.value_ == b; }
  friend bool operator!=(const Derived& a, std::string_view b) noexcept { return a.value_ != b; }
  friend bool operator==(std::string_view a, const Derived& b) noexcept { return a == b.value_; }
  friend bool operator!=(std::string_view a, const Derived& b) noexcept { return a != b.value_; }
  /// Byte order of the values, so open enums can be std::map keys.
  friend bool operator<(const Derived& a, const Derived& b) noexcept { return a.value_ < b.value_; }

  friend std::ostream& operator<<(std::ostream& os, const Derived& e) { return os << e.value_; }

 private:
  std::string value_;
};

/// True for types generated as open enums (derived from open_enum<T>).
template <class T>
struct is_open_enum : std::conjunction<std::is_class<T>, std::is_base_of<open_enum<T>, T>> {};
template <class T>
inline constexpr bool is_open_enum_v = is_open_enum<T>::value;

}  // namespace alicloud
