#pragma once
// Support for the generated per-product error tables: each product has an enum of its service error
// codes plus a constexpr table sorted by wire code; this category turns the enum into std::error_code.

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

namespace alicloud {

struct error_entry {
  std::string_view code;     ///< wire code, e.g. "InvalidEndTime.Mismatch"
  std::string_view message;  ///< the spec's description
  int http_status;           ///< the spec's HTTP status, 0 when unknown
};

/// Category whose error value v (1-based) is described by table[v - 1].
class table_error_category final : public std::error_category {
 public:
  table_error_category(std::string_view name, const error_entry* table, std::size_t size)
      : name_(name), table_(table), size_(size) {}

  const char* name() const noexcept override { return name_.c_str(); }

  std::string message(int ev) const override {
    if (const error_entry* e = entry(ev)) {
      std::string s(e->code);
      s += ": ";
      s += e->message;
      return s;
    }
    return "unknown " + name_ + " error " + std::to_string(ev);
  }

  /// Table row of an error value, nullptr when out of range.
  const error_entry* entry(int ev) const noexcept {
    if (ev < 1 || static_cast<std::size_t>(ev) > size_) return nullptr;
    return table_ + (ev - 1);
  }

 private:
  std::string name_;
  const error_entry* table_;
  std::size_t size_;
};

/// Index of `code` in a table sorted by code in byte order, or -1.
inline std::ptrdiff_t find_error_entry(const error_entry* table, std::size_t size, std::string_view code) noexcept {
  std::size_t lo = 0, hi = size;
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo) / 2;
    // string_view compares through char_traits<char>, which orders like memcmp (unsigned bytes).
    int c = table[mid].code.compare(code);
    if (c == 0) return static_cast<std::ptrdiff_t>(mid);
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

}  // namespace alicloud
