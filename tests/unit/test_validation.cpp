// Tests of validation_context (validation.hpp) through a validator shaped like the generated one.
#include <alicloud/core/model.hpp>
#include <alicloud/core/validation.hpp>

#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace vt {

struct StatusEnum : ::alicloud::open_enum<StatusEnum> {
  using open_enum::open_enum;
  static constexpr ::alicloud::enum_constant<StatusEnum> Refreshing{"Refreshing"};
  static constexpr ::alicloud::enum_constant<StatusEnum> Complete{"Complete"};
  static constexpr ::alicloud::enum_constant<StatusEnum> Failed{"Failed"};
  static constexpr std::array<std::string_view, 3> known_values{{"Refreshing", "Complete", "Failed"}};
};

struct Request {
  std::optional<std::int64_t> SiteId;
  std::optional<std::string> Content;
  std::optional<std::int32_t> PageNumber;
  std::optional<std::int32_t> PageSize;
  std::optional<::alicloud::utc_time> StartTime;
  std::optional<::alicloud::utc_time> EndTime;
  std::optional<StatusEnum> Status;
};

// Mirrors the generated validate_fields of DescribePreloadTasks (contract).
inline void validate_fields(const Request& r, ::alicloud::validation_context& ctx) {
  if (r.PageNumber) ctx.check_range("PageNumber", *r.PageNumber, 1, 100000, "");
  if (r.PageSize) ctx.check_range("PageSize", *r.PageSize, 1, 50, "");
  if (r.Status) ctx.check_enum("Status", *r.Status, "");
  ctx.check_together({{"StartTime", r.StartTime.has_value()}, {"EndTime", r.EndTime.has_value()}}, "MissingTimeParameter");
  if (r.StartTime && r.EndTime) ctx.check_after("EndTime", *r.EndTime, "StartTime", *r.StartTime, "InvalidEndTime.Mismatch");
  if (r.StartTime) ctx.check_not_older("StartTime", *r.StartTime, std::chrono::seconds(259200), "InvalidTime");
  if (r.EndTime) ctx.check_not_older("EndTime", *r.EndTime, std::chrono::seconds(259200), "InvalidTime");
}
inline std::vector<::alicloud::violation> validate(const Request& r, const ::alicloud::clock& clk) {
  ::alicloud::validation_context ctx(clk);
  validate_fields(r, ctx);
  return std::move(ctx).take();
}

}  // namespace vt

using alicloud::utc_time;
using alicloud::validation_context;
using alicloud::violation;

namespace {

const utc_time now_time = *utc_time::parse("2023-03-22T17:00:00Z");
alicloud::manual_clock fixed_clock() { return alicloud::manual_clock(now_time.time_point()); }

std::vector<violation> run(void (*f)(validation_context&)) {
  auto clk = fixed_clock();
  validation_context ctx(clk);
  f(ctx);
  return std::move(ctx).take();
}

}  // namespace

TEST_CASE("generated-style validator: valid request has no violations") {
  auto clk = fixed_clock();
  vt::Request r;
  CHECK(vt::validate(r, clk).empty());
  r.PageNumber = 1;
  r.PageSize = 50;
  r.Status = vt::StatusEnum::Complete;
  r.StartTime = now_time - std::chrono::hours(71);
  r.EndTime = now_time;
  CHECK(vt::validate(r, clk).empty());
}

TEST_CASE("generated-style validator: every rule broken at once") {
  auto clk = fixed_clock();
  vt::Request r;
  r.PageNumber = 0;
  r.PageSize = 51;
  r.Status = vt::StatusEnum("Done");
  r.StartTime = now_time - std::chrono::hours(73);
  r.EndTime = now_time - std::chrono::hours(80);
  auto v = vt::validate(r, clk);
  REQUIRE(v.size() == 6);
  CHECK(v[0].field == "PageNumber");
  CHECK(v[0].rule == "range");
  CHECK(v[0].message == "PageNumber must be between 1 and 100000, got 0");
  CHECK(v[0].code == "InvalidParameter");
  CHECK(v[1].message == "PageSize must be between 1 and 50, got 51");
  CHECK(v[2].field == "Status");
  CHECK(v[2].rule == "enum");
  CHECK(v[2].message == R"(Status must be one of Refreshing, Complete, Failed, got "Done")");
  CHECK(v[3].field == "EndTime");
  CHECK(v[3].rule == "after");
  CHECK(v[3].code == "InvalidEndTime.Mismatch");
  CHECK(v[3].message == "EndTime must be later than StartTime (2023-03-19T16:00:00Z), got 2023-03-19T09:00:00Z");
  CHECK(v[4].field == "StartTime");
  CHECK(v[4].rule == "max_age");
  CHECK(v[4].code == "InvalidTime");
  CHECK(v[4].message ==
        "StartTime must not be older than 3 days (259200 seconds, earliest 2023-03-19T17:00:00Z), got "
        "2023-03-19T16:00:00Z");
  CHECK(v[5].field == "EndTime");

  r = {};
  r.StartTime = now_time;
  v = vt::validate(r, clk);
  REQUIRE(v.size() == 1);
  CHECK(v[0].field == "EndTime");
  CHECK(v[0].rule == "together");
  CHECK(v[0].code == "MissingTimeParameter");
  CHECK(v[0].message == "StartTime and EndTime must be given together; missing EndTime");
}

TEST_CASE("check_range variants") {
  auto v = run([](validation_context& c) {
    c.check_range("A", std::int32_t{5}, 1, 10, "");                    // ok
    c.check_range("B", std::int32_t{1}, 1, std::nullopt, "");          // ok, inclusive min
    c.check_range("C", std::int32_t{1}, 1, std::nullopt, "", true);    // exclusive min broken
    c.check_range("D", std::int64_t{11}, std::nullopt, 10, "");        // max broken
    c.check_range("E", std::int64_t{10}, std::nullopt, 10, "", false, true);  // exclusive max broken
    c.check_range("F", std::int64_t{0}, 0, 10, "", true, false);       // both, exclusive min
    c.check_range("G", std::int64_t{-9223372036854775807 - 1}, -5, 5, "Code.G");
    c.check_range("H", 0.5, 0.0, 1.0, "");                             // ok
    c.check_range("I", 1.5, 0.0, 1.0, "");
    c.check_range("J", 0.0, 0.0, std::nullopt, "", true);
    c.check_range("K", std::uint64_t{18446744073709551615ull}, 0, 100, "");
    c.check_range("L", std::uint64_t{18446744073709551615ull}, 0, std::nullopt, "");  // ok
    c.check_range("M", std::int32_t{7}, std::nullopt, std::nullopt, "");             // no bounds: ok
    c.check_range("N", 2.0f, std::nullopt, 1.5, "");
  });
  REQUIRE(v.size() == 9);
  CHECK(v[0].field == "C");
  CHECK(v[0].message == "C must be greater than 1, got 1");
  CHECK(v[1].message == "D must be at most 10, got 11");
  CHECK(v[2].message == "E must be less than 10, got 10");
  CHECK(v[3].message == "F must be greater than 0 and at most 10, got 0");
  CHECK(v[4].message == "G must be between -5 and 5, got -9223372036854775808");
  CHECK(v[4].code == "Code.G");
  CHECK(v[5].message == "I must be between 0 and 1, got 1.5");
  CHECK(v[6].message == "J must be greater than 0, got 0");
  CHECK(v[7].message == "K must be between 0 and 100, got 18446744073709551615");
  CHECK(v[8].message == "N must be at most 1.5, got 2");
  for (const auto& x : v) CHECK(x.rule == "range");
}

TEST_CASE("check_length counts code points") {
  auto v = run([](validation_context& c) {
    c.check_length("A", std::string("abc"), 1, 3, "");
    c.check_length("B", std::string("\xe4\xbd\xa0\xe5\xa5\xbd"), std::nullopt, 2, "");  // 2 code points, 6 bytes
    c.check_length("C", std::string("abcd"), 1, 3, "");
    c.check_length("D", std::string(""), 1, std::nullopt, "X");
    c.check_length("E", std::string("\xe4\xbd\xa0\xe5\xa5\xbd!"), std::nullopt, 2, "");
  });
  REQUIRE(v.size() == 3);
  CHECK(v[0].field == "C");
  CHECK(v[0].rule == "length");
  CHECK(v[0].message == "C length must be between 1 and 3 characters, got 4");
  CHECK(v[1].message == "D length must be at least 1 characters, got 0");
  CHECK(v[1].code == "X");
  CHECK(v[2].message == "E length must be at most 2 characters, got 3");
}

TEST_CASE("check_pattern: ECMAScript search semantics, cached, invalid patterns skipped") {
  auto v = run([](validation_context& c) {
    c.check_pattern("A", "abc", "^[a-z]+$", "");
    c.check_pattern("B", "aBc", "^[a-z]+$", "");
    c.check_pattern("C", "xx123yy", "[0-9]{3}", "");  // unanchored: found inside
    c.check_pattern("D", "xx12yy", "[0-9]{3}", "Bad.D");
    c.check_pattern("E", "anything", "([", "");  // not a valid regex: not checked
    c.check_pattern("F", std::string(100, 'Z'), "^a", "");
  });
  REQUIRE(v.size() == 3);
  CHECK(v[0].field == "B");
  CHECK(v[0].rule == "pattern");
  CHECK(v[0].message == R"(B must match the pattern ^[a-z]+$, got "aBc")");
  CHECK(v[1].code == "Bad.D");
  CHECK(v[2].message == "F must match the pattern ^a, got \"" + std::string(64, 'Z') + "...\"");

  // Same pattern from many threads at once: compiled once, no data race (run under TSan in CI).
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&failures, t] {
      auto clk = fixed_clock();
      for (int i = 0; i < 200; ++i) {
        validation_context ctx(clk);
        ctx.check_pattern("P", (i + t) % 2 ? "ok-" + std::to_string(i) : "NO", "^[a-z]+-[0-9]+$", "");
        ctx.check_pattern("Q", "v" + std::to_string(i % 7), "^v[0-" + std::to_string(i % 7) + "]$", "");
        const bool expect_fail = (i + t) % 2 == 0;
        if (ctx.violations().size() != (expect_fail ? 1u : 0u)) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
}

TEST_CASE("check_items, check_enum, check_required") {
  auto v = run([](validation_context& c) {
    c.check_items("A", 3, 1, 3, "");
    c.check_items("B", 0, 1, std::nullopt, "");
    c.check_items("C", 21, 1, 20, "");
    c.check_enum("D", vt::StatusEnum(vt::StatusEnum::Failed), "");
    c.check_enum("E", vt::StatusEnum(), "");
    c.check_required("F", std::string("x"), "");
    c.check_required("G", std::string(), "");
    c.check_required("H", std::vector<int>{}, "");
    c.check_required("I", std::map<std::string, int>{{"a", 1}}, "");
    c.check_required("J", std::optional<std::string>{}, "");
    c.check_required("K", std::int32_t{0}, "");  // a plain number is always present
    c.check_required("L", vt::StatusEnum(), "Custom");
    c.check_required("M", boost::json::value(), "");
    c.check_required("N", boost::json::value(1), "");
    c.check_required("O", utc_time(), "");
  });
  REQUIRE(v.size() == 8);
  CHECK(v[0].field == "B");
  CHECK(v[0].rule == "items");
  CHECK(v[0].message == "B item count must be at least 1, got 0");
  CHECK(v[1].message == "C item count must be between 1 and 20, got 21");
  CHECK(v[2].field == "E");
  CHECK(v[2].message == R"(E must be one of Refreshing, Complete, Failed, got "")");
  CHECK(v[3].field == "G");
  CHECK(v[3].rule == "required");
  CHECK(v[3].code == "MissingParameter");
  CHECK(v[3].message == "G is required and must not be empty");
  CHECK(v[4].field == "H");
  CHECK(v[5].field == "J");
  CHECK(v[5].message == "J is required");
  CHECK(v[6].field == "L");
  CHECK(v[6].code == "Custom");
  CHECK(v[7].field == "M");
}

TEST_CASE("check_together with several fields") {
  auto v = run([](validation_context& c) {
    c.check_together({{"A", true}, {"B", true}}, "");
    c.check_together({{"A", false}, {"B", false}, {"C", false}}, "");
    c.check_together({{"A", true}, {"B", false}, {"C", false}}, "");
  });
  REQUIRE(v.size() == 1);
  CHECK(v[0].field == "B");
  CHECK(v[0].rule == "together");
  CHECK(v[0].code == "MissingParameter");
  CHECK(v[0].message == "A, B and C must be given together; missing B, C");
}

TEST_CASE("check_after and check_not_older boundaries") {
  auto clk = fixed_clock();
  validation_context ctx(clk);
  ctx.check_after("End", now_time + std::chrono::seconds(1), "Start", now_time, "");
  ctx.check_after("End", now_time, "Start", now_time, "");  // equal is not later
  ctx.check_not_older("T", now_time - std::chrono::seconds(259200), std::chrono::seconds(259200), "");  // exactly
  ctx.check_not_older("T", now_time + std::chrono::hours(1), std::chrono::seconds(259200), "");        // future
  ctx.check_not_older("U", now_time - std::chrono::seconds(259201), std::chrono::seconds(259200), "");
  ctx.check_not_older("V", now_time - std::chrono::seconds(91), std::chrono::seconds(90), "");
  CHECK(&ctx.time_source() == &clk);
  auto v = std::move(ctx).take();
  REQUIRE(v.size() == 3);
  CHECK(v[0].field == "End");
  CHECK(v[0].rule == "after");
  CHECK(v[0].code == "InvalidParameter");
  CHECK(v[0].message == "End must be later than Start (2023-03-22T17:00:00Z), got 2023-03-22T17:00:00Z");
  CHECK(v[1].field == "U");
  CHECK(v[1].rule == "max_age");
  CHECK(v[2].message ==
        "V must not be older than 90 seconds (90 seconds, earliest 2023-03-22T16:58:30Z), got 2023-03-22T16:58:29Z");

  // The clock is read at check time.
  validation_context later(clk);
  clk.advance(std::chrono::hours(24 * 4));
  later.check_not_older("T", now_time, std::chrono::seconds(259200), "");
  CHECK(later.violations().size() == 1);
}

TEST_CASE("scopes prefix field paths and are restored") {
  auto clk = fixed_clock();
  validation_context ctx(clk);
  {
    auto s = ctx.scope("Content");
    ctx.check_required("Type", std::string(), "");
    for (std::size_t i = 0; i < 2; ++i) {
      auto item = ctx.scope("CacheKeys", i);
      ctx.check_length("Url", std::string("http://x"), std::nullopt, 3, "");
      {
        auto deeper = ctx.scope("Parts", 7);
        ctx.check_range("", std::int32_t{9}, 0, 5, "");
        ctx.check_together({{"A", true}, {"B", false}}, "");
      }
    }
  }
  ctx.check_range("Top", std::int32_t{9}, 0, 5, "");
  CHECK_FALSE(ctx.ok());
  auto v = std::move(ctx).take();
  REQUIRE(v.size() == 8);
  CHECK(v[0].field == "Content.Type");
  CHECK(v[0].message == "Content.Type is required and must not be empty");
  CHECK(v[1].field == "Content.CacheKeys[0].Url");
  CHECK(v[1].message == "Content.CacheKeys[0].Url length must be at most 3 characters, got 8");
  CHECK(v[2].field == "Content.CacheKeys[0].Parts[7]");
  CHECK(v[3].field == "Content.CacheKeys[0].Parts[7].B");
  CHECK(v[3].message == "Content.CacheKeys[0].Parts[7].A and Content.CacheKeys[0].Parts[7].B must be given together; "
                        "missing Content.CacheKeys[0].Parts[7].B");
  CHECK(v[4].field == "Content.CacheKeys[1].Url");
  CHECK(v[7].field == "Top");
}

TEST_CASE("custom violations and default codes") {
  auto clk = fixed_clock();
  validation_context ctx(clk);
  CHECK(ctx.ok());
  {
    auto s = ctx.scope("X");
    ctx.add("Y", "custom", "whatever", "");
    ctx.add("Z", "required", "z", "");
    ctx.add("W", "together", "w", "Own");
  }
  const auto& v = ctx.violations();
  REQUIRE(v.size() == 3);
  CHECK(v[0].field == "X.Y");
  CHECK(v[0].code == "InvalidParameter");
  CHECK(v[1].code == "MissingParameter");
  CHECK(v[2].code == "Own");
}
