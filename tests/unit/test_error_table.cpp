// Tests of the generated-error-table support (error_table.hpp), using a table shaped like the generator's.
#include <alicloud/core/error_table.hpp>

#include <doctest/doctest.h>

#include <array>
#include <optional>
#include <ostream>
#include <vector>
#include <string>
#include <system_error>

namespace demo {

enum class errc : int { DomainNameOverLimit = 1, InvalidEndTime_Mismatch, InvalidParameter, Throttling_User, lower_case };

inline constexpr std::array<alicloud::error_entry, 5> error_table{{
    {"DomainNameOverLimit", "A maximum of 500 domains are supported for each request.", 400},
    {"InvalidEndTime.Mismatch", "The specified EndTime is earlier than the StartTime.", 400},
    {"InvalidParameter", "A parameter is invalid.", 400},
    {"Throttling.User", "Request was denied due to user flow control.", 400},
    {"lower.case", "Lower case sorts after upper case in byte order.", 503},
}};

inline const std::error_category& error_category() noexcept {
  static const alicloud::table_error_category category("alicloud.demo", error_table.data(), error_table.size());
  return category;
}
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }
inline std::optional<errc> errc_from_code(std::string_view wire_code) noexcept {
  auto i = alicloud::find_error_entry(error_table.data(), error_table.size(), wire_code);
  if (i < 0) return std::nullopt;
  return static_cast<errc>(i + 1);
}

}  // namespace demo

template <>
struct std::is_error_code_enum<demo::errc> : std::true_type {};

TEST_CASE("find_error_entry binary-searches every code and rejects others") {
  const auto* t = demo::error_table.data();
  const auto n = demo::error_table.size();
  for (std::size_t i = 0; i < n; ++i) CHECK(alicloud::find_error_entry(t, n, demo::error_table[i].code) == static_cast<std::ptrdiff_t>(i));
  CHECK(alicloud::find_error_entry(t, n, "") == -1);
  CHECK(alicloud::find_error_entry(t, n, "A") == -1);
  CHECK(alicloud::find_error_entry(t, n, "InvalidEndTime") == -1);
  CHECK(alicloud::find_error_entry(t, n, "InvalidParameterX") == -1);
  CHECK(alicloud::find_error_entry(t, n, "zzz") == -1);
  CHECK(alicloud::find_error_entry(t, n, "throttling.user") == -1);  // case-sensitive
  CHECK(alicloud::find_error_entry(t, 0, "InvalidParameter") == -1);
  CHECK(alicloud::find_error_entry(t, 1, "DomainNameOverLimit") == 0);

  CHECK(demo::errc_from_code("Throttling.User") == demo::errc::Throttling_User);
  CHECK(demo::errc_from_code("lower.case") == demo::errc::lower_case);
  CHECK_FALSE(demo::errc_from_code("Unknown").has_value());
}

TEST_CASE("find_error_entry on a larger generated table") {
  std::vector<std::string> codes;
  for (int i = 0; i < 300; ++i) codes.push_back("Code" + std::to_string(1000 + i * 3));
  std::vector<alicloud::error_entry> table;
  for (const auto& c : codes) table.push_back({c, "m", 400});
  for (std::size_t i = 0; i < table.size(); ++i)
    REQUIRE(alicloud::find_error_entry(table.data(), table.size(), codes[i]) == static_cast<std::ptrdiff_t>(i));
  CHECK(alicloud::find_error_entry(table.data(), table.size(), "Code1001") == -1);
  CHECK(alicloud::find_error_entry(table.data(), table.size(), "Code9999") == -1);
}

TEST_CASE("table_error_category gives name and messages") {
  std::error_code ec = demo::errc::InvalidEndTime_Mismatch;
  CHECK(std::string(ec.category().name()) == "alicloud.demo");
  CHECK(ec.value() == 2);
  CHECK(ec.message() == "InvalidEndTime.Mismatch: The specified EndTime is earlier than the StartTime.");
  CHECK(ec == demo::errc::InvalidEndTime_Mismatch);
  CHECK(ec != demo::errc::InvalidParameter);
  CHECK(std::error_code(5, demo::error_category()).message() ==
        "lower.case: Lower case sorts after upper case in byte order.");
  CHECK(std::error_code(0, demo::error_category()).message() == "unknown alicloud.demo error 0");
  CHECK(std::error_code(6, demo::error_category()).message() == "unknown alicloud.demo error 6");
  CHECK(std::error_code(-1, demo::error_category()).message() == "unknown alicloud.demo error -1");

  const auto& cat = static_cast<const alicloud::table_error_category&>(demo::error_category());
  REQUIRE(cat.entry(4) != nullptr);
  CHECK(cat.entry(4)->code == "Throttling.User");
  CHECK(cat.entry(5)->http_status == 503);
  CHECK(cat.entry(6) == nullptr);
  CHECK(&demo::error_category() == &demo::error_category());
}
