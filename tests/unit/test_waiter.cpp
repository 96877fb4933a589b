// Generic waiter: polling with a manual clock and sleeper, timeout at the deadline, cancellation (token,
// external flag, real sleeps cut short), tolerated poll errors, progress, and the task-tracking helpers.
#include <alicloud/core/waiter.hpp>
#include <alicloud/core/waiter.hpp>  // include guard

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

using namespace std::chrono_literals;

namespace {

/// A manual clock plus a sleeper that advances it and records each pause.
struct fake_time {
  alicloud::manual_clock clock{alicloud::clock::time_point(std::chrono::hours(24 * 365 * 50))};
  std::vector<std::chrono::nanoseconds> sleeps;

  alicloud::wait_options options(std::chrono::nanoseconds interval, std::chrono::nanoseconds timeout) {
    alicloud::wait_options o;
    o.poll_interval = interval;
    o.timeout = timeout;
    o.clock = &clock;
    o.sleeper = [this](std::chrono::nanoseconds d) {
      sleeps.push_back(d);
      clock.advance(d);
    };
    return o;
  }
};

}  // namespace

TEST_CASE("wait_until: polls at the interval until done and returns the final value") {
  fake_time t;
  int n = 0;
  auto poll = [&]() -> alicloud::result<alicloud::poll_result<int>> {
    ++n;
    return n == 3 ? alicloud::poll_done(n * 10) : alicloud::poll_pending(n * 10);
  };
  std::vector<std::pair<std::size_t, std::chrono::nanoseconds>> seen;
  std::vector<bool> done_flags;
  auto r = alicloud::wait_until(poll, t.options(2s, 1min), [&](const alicloud::wait_progress<int>& p) {
    seen.emplace_back(p.polls, p.elapsed);
    CHECK(p.latest == static_cast<int>(p.polls) * 10);
    done_flags.push_back(p.done);
  });
  REQUIRE(r.ok());
  CHECK(*r == 30);
  CHECK(n == 3);
  CHECK(t.sleeps == std::vector<std::chrono::nanoseconds>{2s, 2s});
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == std::make_pair(std::size_t{1}, std::chrono::nanoseconds(0s)));
  CHECK(seen[2] == std::make_pair(std::size_t{3}, std::chrono::nanoseconds(4s)));
  CHECK(done_flags == std::vector<bool>{false, false, true});
}

TEST_CASE("wait_until: times out with errc::timeout, the last poll at the deadline") {
  fake_time t;
  int n = 0;
  auto poll = [&]() -> alicloud::result<alicloud::poll_result<int>> { return alicloud::poll_pending(++n); };
  auto o = t.options(10s, 25s);
  o.what = "the answer";
  auto r = alicloud::wait_until(poll, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == alicloud::errc::timeout);
  CHECK(r.error().message == "timed out after 25 s waiting for the answer (4 poll(s))");
  CHECK(n == 4);  // t = 0, 10, 20, 25
  CHECK(t.sleeps == std::vector<std::chrono::nanoseconds>{10s, 10s, 5s});
}

TEST_CASE("wait_until: a zero timeout still polls once") {
  fake_time t;
  int n = 0;
  auto poll = [&]() -> alicloud::result<alicloud::poll_result<int>> { return alicloud::poll_pending(++n); };
  auto r = alicloud::wait_until(poll, t.options(1s, 0s));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == alicloud::errc::timeout);
  CHECK(n == 1);
  CHECK(t.sleeps.empty());
}

TEST_CASE("wait_until: no timeout keeps polling") {
  fake_time t;
  int n = 0;
  auto poll = [&]() -> alicloud::result<alicloud::poll_result<int>> {
    ++n;
    return n == 500 ? alicloud::poll_done(n) : alicloud::poll_pending(n);
  };
  auto r = alicloud::wait_until(poll, t.options(1h, std::chrono::nanoseconds::max()));
  REQUIRE(r.ok());
  CHECK(*r == 500);
}

TEST_CASE("wait_until: initial delay comes before the first poll") {
  fake_time t;
  auto o = t.options(1s, 1min);
  o.initial_delay = 3s;
  std::vector<std::chrono::nanoseconds> poll_times;
  auto start = t.clock.now();
  auto poll = [&]() -> alicloud::result<alicloud::poll_result<int>> {
    poll_times.push_back(t.clock.now() - start);
    return alicloud::poll_done(1);
  };
  REQUIRE(alicloud::wait_until(poll, o).ok());
  CHECK(poll_times == std::vector<std::chrono::nanoseconds>{3s});
}

TEST_CASE("wait_until: cancellation before the start, and between polls") {
  fake_time t;
  alicloud::cancel_source src;
  auto o = t.options(1s, 1min);
  o.cancel = src.token();
  int n = 0;
  auto poll = [&]() -> alicloud::result<alicloud::poll_result<int>> {
    if (++n == 2) src.request_cancel();
    return alicloud::poll_pending(n);
  };
  auto r = alicloud::wait_until(poll, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == alicloud::errc::cancelled);
  CHECK(r.error().message.find("after 2 poll(s)") != std::string::npos);
  CHECK(n == 2);

  n = 0;
  auto again = alicloud::wait_until(poll, o);  // already cancelled: no poll at all
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == alicloud::errc::cancelled);
  CHECK(n == 0);
}

TEST_CASE("wait_until: cancelling wakes a real sleep at once") {
  alicloud::cancel_source src;
  alicloud::wait_options o;
  o.poll_interval = 30s;
  o.cancel = src.token();
  std::thread canceller([&] {
    std::this_thread::sleep_for(50ms);
    src.request_cancel();
  });
  const auto begin = std::chrono::steady_clock::now();
  auto r = alicloud::wait_until([]() -> alicloud::result<alicloud::poll_result<int>> { return alicloud::poll_pending(0); }, o);
  const auto took = std::chrono::steady_clock::now() - begin;
  canceller.join();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == alicloud::errc::cancelled);
  CHECK(took < 5s);
}

TEST_CASE("wait_until: an external atomic flag cancels within its granularity") {
  std::atomic<bool> stop{false};
  alicloud::wait_options o;
  o.poll_interval = 30s;
  o.cancel = alicloud::cancel_token::from_flag(stop, 10ms);
  std::thread setter([&] {
    std::this_thread::sleep_for(50ms);
    stop.store(true);
  });
  const auto begin = std::chrono::steady_clock::now();
  auto r = alicloud::wait_until([]() -> alicloud::result<alicloud::poll_result<int>> { return alicloud::poll_pending(0); }, o);
  const auto took = std::chrono::steady_clock::now() - begin;
  setter.join();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == alicloud::errc::cancelled);
  CHECK(took < 5s);
}

TEST_CASE("cancel_token: sleep_for sleeps the full time when nobody cancels") {
  alicloud::cancel_source src;
  const auto begin = std::chrono::steady_clock::now();
  CHECK_FALSE(src.token().sleep_for(30ms));
  CHECK(std::chrono::steady_clock::now() - begin >= 30ms);
  CHECK_FALSE(alicloud::cancel_token().cancellation_requested());
}

TEST_CASE("wait_until: failed polls end the wait unless tolerated") {
  fake_time t;
  int n = 0;
  auto flaky = [&]() -> alicloud::result<alicloud::poll_result<int>> {
    ++n;
    if (n <= 2) {
      alicloud::error e(make_error_code(alicloud::errc::transport), "poll " + std::to_string(n) + " failed");
      return e;
    }
    return alicloud::poll_done(n);
  };
  auto strict = alicloud::wait_until(flaky, t.options(1s, 1min));
  REQUIRE_FALSE(strict.ok());
  CHECK(strict.error().message == "poll 1 failed");
  CHECK(n == 1);

  n = 0;
  auto o = t.options(1s, 1min);
  o.max_poll_errors = 1;
  auto one = alicloud::wait_until(flaky, o);
  REQUIRE_FALSE(one.ok());
  CHECK(one.error().message == "poll 2 failed");

  n = 0;
  o.max_poll_errors = 2;
  auto two = alicloud::wait_until(flaky, o);
  REQUIRE(two.ok());
  CHECK(*two == 3);
}

TEST_CASE("parse_percent, split_list, field_text, assign_field") {
  CHECK(alicloud::parse_percent("37%") == 37.0);
  CHECK(alicloud::parse_percent(" 100 % ") == 100.0);
  CHECK(alicloud::parse_percent("0.5") == 0.5);
  CHECK_FALSE(alicloud::parse_percent("").has_value());
  CHECK_FALSE(alicloud::parse_percent("%").has_value());
  CHECK_FALSE(alicloud::parse_percent("ten%").has_value());
  CHECK_FALSE(alicloud::parse_percent("37%%").has_value());

  CHECK(alicloud::split_list("a, b,,c ") == std::vector<std::string>{"a", "b", "c"});
  CHECK(alicloud::split_list("") == std::vector<std::string>{});
  CHECK(alicloud::split_list("1597854579687428") == std::vector<std::string>{"1597854579687428"});
  CHECK(alicloud::split_list("x|y", '|') == std::vector<std::string>{"x", "y"});

  CHECK(alicloud::field_text(std::optional<std::string>("v")) == "v");
  CHECK(alicloud::field_text(std::optional<std::string>()) == "");
  CHECK(alicloud::field_text(std::optional<std::int64_t>(42)) == "42");

  std::optional<std::int64_t> dst = 5;
  alicloud::assign_field(dst, std::optional<std::int64_t>());
  CHECK_FALSE(dst.has_value());
  alicloud::assign_field(dst, std::int64_t{7});
  CHECK(dst == 7);
  std::string required = "keep";
  alicloud::assign_field(required, std::optional<std::string>());
  CHECK(required == "keep");
  alicloud::assign_field(required, std::optional<std::string>("new"));
  CHECK(required == "new");
}

namespace {
struct job {
  std::string id, url, created, status, progress;
};
}  // namespace

TEST_CASE("select_task: by id when ids are known, else the newest") {
  std::vector<job> listed{{"1", "u", "2024-01-01 10:00:00", "Complete", "100%"},
                          {"2", "u", "2024-01-02 10:00:00", "Refreshing", "10%"},
                          {"3", "u", "2024-01-01 12:00:00", "Failed", "0%"}};
  auto id = [](const job& j) { return j.id; };
  auto created = [](const job& j) { return j.created; };
  CHECK(alicloud::select_task(listed, {}, id, created)->id == "2");
  CHECK(alicloud::select_task(listed, {"3", "9"}, id, created)->id == "3");
  CHECK(alicloud::select_task(listed, {"1", "3"}, id, created)->id == "3");
  CHECK_FALSE(alicloud::select_task(listed, {"9"}, id, created).has_value());  // not listed yet
  CHECK_FALSE(alicloud::select_task(std::vector<job>{}, {}, id, created).has_value());
  // Equal keys: the earlier-listed wins.
  CHECK(alicloud::select_task(listed, {}, id, [](const job&) { return std::string(); })->id == "1");
}

TEST_CASE("wait_for_tasks: tracks each target to success or failure, polling only unfinished ones") {
  fake_time t;
  // Per target, the listing returned by each successive lookup.
  std::map<std::string, std::vector<std::optional<job>>> script{
      {"a", {std::nullopt, job{"1", "a", "", "Refreshing", "0%"}, job{"1", "a", "", "Refreshing", "50%"},
             job{"1", "a", "", "Complete", "100%"}}},
      {"b", {job{"2", "b", "", "Refreshing", "10%"}, job{"2", "b", "", "Failed", "10%"}}},
  };
  std::map<std::string, int> lookups;
  alicloud::task_watch<job> watch;
  watch.lookup = [&](const std::string& target) -> alicloud::result<std::optional<job>> {
    auto& steps = script.at(target);
    const auto i = static_cast<std::size_t>(lookups[target]++);
    return steps.at(std::min(i, steps.size() - 1));
  };
  watch.classify = [](const job& j) {
    if (j.status == "Complete") return alicloud::task_state::succeeded;
    if (j.status == "Failed") return alicloud::task_state::failed;
    return alicloud::task_state::pending;
  };
  watch.percent = [](const job& j) { return alicloud::parse_percent(j.progress); };
  std::vector<std::string> report;
  auto r = alicloud::wait_for_tasks<job>({"a", "b"}, watch, t.options(1s, 1min),
                                         [&](const alicloud::wait_progress<alicloud::task_list<job>>& p) {
                                           std::string line;
                                           for (const auto& task : p.latest)
                                             line += task.target + "=" + std::string(alicloud::to_string(task.state)) +
                                                     "@" + (task.percent ? std::to_string(int(*task.percent)) : "-") + " ";
                                           report.push_back(line);
                                         });
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].target == "a");
  CHECK((*r)[0].state == alicloud::task_state::succeeded);
  CHECK((*r)[0].item->progress == "100%");
  CHECK((*r)[1].state == alicloud::task_state::failed);
  CHECK(alicloud::count_tasks(*r, alicloud::task_state::failed) == 1);
  CHECK(lookups["a"] == 4);
  CHECK(lookups["b"] == 2);  // not looked up again once it failed
  CHECK(report == std::vector<std::string>{"a=not_found@- b=pending@10 ", "a=pending@0 b=failed@10 ",
                                           "a=pending@50 b=failed@10 ", "a=succeeded@100 b=failed@10 "});
}

TEST_CASE("wait_for_tasks: no targets is done at once; a lookup error ends the wait") {
  fake_time t;
  alicloud::task_watch<job> watch;
  int calls = 0;
  watch.lookup = [&](const std::string&) -> alicloud::result<std::optional<job>> {
    ++calls;
    return alicloud::error(make_error_code(alicloud::errc::transport), "listing failed");
  };
  watch.classify = [](const job&) { return alicloud::task_state::pending; };
  auto none = alicloud::wait_for_tasks<job>({}, watch, t.options(1s, 1min));
  REQUIRE(none.ok());
  CHECK(none->empty());
  CHECK(calls == 0);
  auto bad = alicloud::wait_for_tasks<job>({"x"}, watch, t.options(1s, 1min));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "listing failed");
}
