// Tests of open enums (open_enum.hpp), utc_time (timestamp.hpp) and operation vocabulary (operation.hpp).
#include <alicloud/core/model.hpp>

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>

namespace et {

struct Status : ::alicloud::open_enum<Status> {
  using open_enum::open_enum;
  static constexpr ::alicloud::enum_constant<Status> Refreshing{"Refreshing"};
  static constexpr ::alicloud::enum_constant<Status> Complete{"Complete"};
  static constexpr std::array<std::string_view, 2> known_values{{"Refreshing", "Complete"}};
};

struct Other : ::alicloud::open_enum<Other> {
  using open_enum::open_enum;
  static constexpr ::alicloud::enum_constant<Other> Complete{"Complete"};
  static constexpr std::array<std::string_view, 0> known_values{};
};

struct Paged {
  using pagination = struct {
    int x;
  };
};
struct NotPaged {
  using pagination = void;
};
struct NoTrait {};

}  // namespace et

using alicloud::utc_time;

TEST_CASE("open enum construction, comparison and knowledge") {
  et::Status def;
  CHECK(def.value().empty());
  CHECK_FALSE(def.is_known());

  et::Status s = et::Status::Complete;  // implicit from the typed constant
  CHECK(s.value() == "Complete");
  CHECK(s.is_known());
  CHECK(s == et::Status::Complete);
  CHECK(et::Status::Complete == s);
  CHECK(s != et::Status::Refreshing);
  CHECK(s == "Complete");
  CHECK("Complete" == s);
  CHECK(s != "complete");

  et::Status unknown("Paused");
  CHECK_FALSE(unknown.is_known());
  CHECK(unknown.value() == "Paused");
  CHECK(unknown == et::Status(std::string("Paused")));
  CHECK(unknown == et::Status(std::string_view("Paused")));
  CHECK(unknown != s);

  std::optional<et::Status> opt = et::Status::Refreshing;
  CHECK(opt == et::Status::Refreshing);

  // Explicit from strings, implicit only from constants of the same enum.
  static_assert(!std::is_convertible_v<std::string, et::Status>);
  static_assert(!std::is_convertible_v<const char*, et::Status>);
  static_assert(std::is_convertible_v<alicloud::enum_constant<et::Status>, et::Status>);
  static_assert(!std::is_convertible_v<alicloud::enum_constant<et::Other>, et::Status>);
  static_assert(alicloud::is_open_enum_v<et::Status>);
  static_assert(!alicloud::is_open_enum_v<std::string>);
  static_assert(!alicloud::is_open_enum_v<int>);
  static_assert(et::Status::Complete == alicloud::enum_constant<et::Status>{"Complete"});
  CHECK_FALSE(et::Other(et::Other::Complete).is_known());  // empty known_values

  std::map<et::Status, int> m;
  m[et::Status("b")] = 2;
  m[et::Status("a")] = 1;
  m[et::Status::Complete] = 3;
  CHECK(m.begin()->first == et::Status::Complete);  // 'C' < 'a' in byte order
  CHECK(m.rbegin()->first == et::Status("b"));

  std::ostringstream os;
  os << s << '/' << unknown;
  CHECK(os.str() == "Complete/Paused");
}

TEST_CASE("utc_time parses exactly yyyy-MM-ddTHH:mm:ssZ") {
  auto t = utc_time::parse("2023-03-22T17:00:00Z");
  REQUIRE(t.has_value());
  CHECK(t->unix_seconds() == 1679504400);
  CHECK(t->to_string() == "2023-03-22T17:00:00Z");

  CHECK(utc_time::parse("1970-01-01T00:00:00Z")->unix_seconds() == 0);
  CHECK(utc_time::parse("2000-02-29T12:34:56Z")->unix_seconds() == 951827696);
  CHECK(utc_time::parse("2024-02-29T00:00:00Z").has_value());
  CHECK(utc_time::parse("2023-12-31T23:59:59Z")->unix_seconds() == 1704067199);
  CHECK(utc_time::parse("9999-12-31T23:59:59Z")->to_string() == "9999-12-31T23:59:59Z");
  CHECK(utc_time::parse("0000-01-01T00:00:00Z")->to_string() == "0000-01-01T00:00:00Z");
  CHECK(utc_time::parse("1969-12-31T23:59:59Z")->unix_seconds() == -1);

  const char* bad[] = {
      "2023-02-29T00:00:00Z",   // not a leap year
      "1900-02-29T00:00:00Z",   // century, not leap
      "2023-04-31T00:00:00Z",   // April has 30 days
      "2023-13-01T00:00:00Z",   // month
      "2023-00-01T00:00:00Z",   // month zero
      "2023-01-00T00:00:00Z",   // day zero
      "2023-01-32T00:00:00Z",   // day
      "2023-03-22T24:00:00Z",   // hour 24
      "2023-03-22T23:60:00Z",   // minute
      "2023-03-22T23:59:60Z",   // leap second not accepted
      "2023-03-22T17:00:00",    // missing Z
      "2023-03-22t17:00:00Z",   // lowercase t
      "2023-03-22T17:00:00z",   // lowercase z
      "2023-03-22T17:00:00.5Z", // fraction
      "2023-03-22T17:00:00+08:00",
      "2023-03-22 17:00:00Z",
      "2023-3-22T17:00:00Z",
      "2023-03-22T17:00:0Z ",
      "+023-03-22T17:00:00Z",
      "2023-03-2aT17:00:00Z",
      "2023/03/22T17:00:00Z",
      " 2023-03-22T17:00:00Z",
      "",
      "2023-03-28 14:28:57",
  };
  for (const char* b : bad) {
    INFO(b);
    CHECK_FALSE(utc_time::parse(b).has_value());
  }
}

TEST_CASE("utc_time formatting agrees with parsing over a long range") {
  // Every day from 1900 to 2100 at a varying time of day round-trips.
  const std::int64_t start = utc_time::parse("1900-01-01T00:00:00Z")->unix_seconds();
  for (std::int64_t day = 0; day < 73415; ++day) {
    const std::int64_t secs = start + day * 86400 + (day * 7919) % 86400;
    const utc_time t = utc_time::from_unix_seconds(secs);
    const std::string s = t.to_string();
    auto back = utc_time::parse(s);
    REQUIRE_MESSAGE(back.has_value(), s);
    REQUIRE(back->unix_seconds() == secs);
  }
  CHECK(utc_time::from_unix_seconds(-62167219201).to_string() == "-0001-12-31T23:59:59Z");
}

TEST_CASE("utc_time construction, comparison and arithmetic") {
  using namespace std::chrono;
  const system_clock::time_point tp = system_clock::time_point(seconds(1679504400) + milliseconds(999));
  const utc_time t(tp);
  CHECK(t.unix_seconds() == 1679504400);  // truncated, not rounded
  CHECK(t.time_point() == time_point<system_clock, seconds>(seconds(1679504400)));
  const utc_time before(system_clock::time_point(seconds(-1) + milliseconds(500)));
  CHECK(before.unix_seconds() == -1);  // floors towards the past
  CHECK(utc_time().unix_seconds() == 0);

  const utc_time later = t + seconds(60);
  CHECK(later > t);
  CHECK(t < later);
  CHECK(t <= t);
  CHECK(t >= t);
  CHECK(t != later);
  CHECK(later - t == seconds(60));
  CHECK(later - seconds(60) == t);

  alicloud::manual_clock clk(tp);
  CHECK(utc_time::now(clk) == t);
  CHECK(utc_time::now().unix_seconds() > 1700000000);

  std::ostringstream os;
  os << t;
  CHECK(os.str() == "2023-03-22T17:00:00Z");
  static_assert(utc_time::parse("2023-03-22T17:00:00Z")->unix_seconds() == 1679504400);
}

TEST_CASE("operation vocabulary") {
  CHECK(alicloud::to_string(alicloud::http_method::get) == "GET");
  CHECK(alicloud::to_string(alicloud::http_method::post) == "POST");
  CHECK(alicloud::to_string(alicloud::http_method::put) == "PUT");
  CHECK(alicloud::to_string(alicloud::http_method::delete_) == "DELETE");
  CHECK(alicloud::to_string(alicloud::http_method::patch) == "PATCH");
  CHECK(alicloud::to_string(alicloud::http_method::head) == "HEAD");

  static_assert(alicloud::is_paginated<et::Paged>::value);
  static_assert(!alicloud::is_paginated<et::NotPaged>::value);
  static_assert(!alicloud::is_paginated_v<et::NoTrait>);

  CHECK(alicloud::matches_code_pattern("Throttling*", "Throttling.User"));
  CHECK(alicloud::matches_code_pattern("Throttling*", "Throttling"));
  CHECK_FALSE(alicloud::matches_code_pattern("Throttling*", "TooManyRequests"));
  CHECK(alicloud::matches_code_pattern("TooManyRequests", "TooManyRequests"));
  CHECK_FALSE(alicloud::matches_code_pattern("TooManyRequests", "TooManyRequestsX"));
  CHECK_FALSE(alicloud::matches_code_pattern("Throttling", "Throttling.User"));
  CHECK(alicloud::matches_code_pattern("*", "anything"));
  CHECK_FALSE(alicloud::matches_code_pattern("", "x"));
  static_assert(alicloud::matches_code_pattern("Service*", "ServiceUnavailable"));

  constexpr alicloud::param_info p{"SiteId", "SiteId", alicloud::param_in::query, alicloud::param_style::none};
  static_assert(p.member == "SiteId" && p.in == alicloud::param_in::query);
  constexpr alicloud::endpoint_entry e{"cn-hangzhou", "esa.cn-hangzhou.aliyuncs.com"};
  static_assert(e.region_id == "cn-hangzhou");
}
