#pragma once
// result<T>: a value or an alicloud::error. C++17 has no std::expected; this is the small subset
// the library needs, with a throwing value() for users who prefer exceptions.

#include <alicloud/core/error.hpp>

#include <type_traits>
#include <utility>
#include <variant>

namespace alicloud {

template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_same_v<std::decay_t<T>, alicloud::error>, "result<error> is ambiguous");

 public:
  using value_type = T;

  result(T v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT: implicit by design
  result(alicloud::error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    throw_if_error();
    return std::get<0>(v_);
  }
  const T& value() const& {
    throw_if_error();
    return std::get<0>(v_);
  }
  T&& value() && {
    throw_if_error();
    return std::get<0>(std::move(v_));
  }

  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }

  /// Precondition: !ok().
  const alicloud::error& error() const& { return std::get<1>(v_); }
  alicloud::error& error() & { return std::get<1>(v_); }
  alicloud::error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  void throw_if_error() const {
    if (v_.index() == 1) throw alicloud::exception(std::get<1>(v_));
  }
  std::variant<T, alicloud::error> v_;
};

/// result<void> equivalent.
struct ok_t {};
using status = result<ok_t>;

}  // namespace alicloud
