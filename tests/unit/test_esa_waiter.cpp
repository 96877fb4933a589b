// The generated ESA waiter (wait_preload_caches) over a fake DescribePreloadTasks that moves tasks from
// Refreshing 0% to Complete or Failed: task matching by TaskId list or newest CreateTime, tasks not yet
// listed, paging inside a poll, progress, timeout, cancellation and poll errors.
#include <alicloud/esa/waiters.hpp>
#include <alicloud/esa/waiters.hpp>  // include guard

#include <doctest/doctest.h>

#include <map>

using namespace std::chrono_literals;
namespace esa = alicloud::esa;

namespace {

using item = esa::DescribePreloadTasksResponseTasksItem;

/// DescribePreloadTasks over an in-memory task table. Each task follows a script of (Status, Process),
/// one step per listing of its URL; a task may only become visible after some listings.
struct fake_esa {
  struct task {
    std::string id, url, created;
    std::vector<std::pair<std::string, std::string>> script;
    int hidden_for = 0;  // listings of its URL before it shows up
  };
  std::int64_t site = 7001;
  std::vector<task> tasks;
  std::map<std::string, int> listings;  // per URL: page-1 requests so far
  std::vector<esa::DescribePreloadTasksRequest> sent;
  int fail_calls = 0;  // the next N calls fail with TooManyRequests

  alicloud::result<esa::DescribePreloadTasksResponse> operator()(const esa::DescribePreloadTasksRequest& r) {
    sent.push_back(r);
    CHECK(esa::validate(r).empty());  // the waiter only sends valid requests
    if (fail_calls > 0) {
      --fail_calls;
      alicloud::error e(make_error_code(esa::errc::TooManyRequests), "Too many requests.");
      e.service_code = "TooManyRequests";
      e.http_status = 400;
      return e;
    }
    const std::string url = r.Content.value_or("");
    if (r.PageNumber.value_or(1) == 1) ++listings[url];
    const int round = listings[url];
    std::vector<item> matching;
    for (const auto& t : tasks) {
      if (r.SiteId != site || (r.Content && t.url != url) || round <= t.hidden_for) continue;
      const auto& step = t.script.at(std::min<std::size_t>(static_cast<std::size_t>(round - t.hidden_for - 1), t.script.size() - 1));
      item i;
      i.TaskId = t.id;
      i.Content = t.url;
      i.Status = esa::DescribePreloadTasksResponseTasksItemStatus(step.first);
      i.Process = step.second;
      i.CreateTime = t.created;
      matching.push_back(i);
    }
    esa::DescribePreloadTasksResponse resp;
    resp.RequestId = "req-" + std::to_string(sent.size());
    resp.TotalCount = static_cast<std::int64_t>(matching.size());
    const std::int64_t size = r.PageSize.value_or(20), page = r.PageNumber.value_or(1);
    resp.PageNumber = page;
    resp.PageSize = size;
    resp.Tasks.emplace();
    for (auto i = (page - 1) * size; i < std::min<std::int64_t>(page * size, resp.TotalCount.value()); ++i)
      resp.Tasks->push_back(matching[static_cast<std::size_t>(i)]);
    return resp;
  }

  alicloud::page_fetcher<esa::DescribePreloadTasks> fetcher() {
    return [this](const esa::DescribePreloadTasksRequest& r) { return (*this)(r); };
  }
};

struct fake_time {
  alicloud::manual_clock clock{alicloud::clock::time_point(std::chrono::hours(24 * 365 * 54))};
  std::vector<std::chrono::nanoseconds> sleeps;
  alicloud::wait_options options(std::chrono::nanoseconds timeout = 10min) {
    alicloud::wait_options o;
    o.poll_interval = 5s;
    o.timeout = timeout;
    o.clock = &clock;
    o.sleeper = [this](std::chrono::nanoseconds d) {
      sleeps.push_back(d);
      clock.advance(d);
    };
    return o;
  }
};

esa::PreloadCachesRequest preload(std::vector<std::string> urls, std::int64_t site = 7001) {
  esa::PreloadCachesRequest r;
  r.SiteId = site;
  r.Content = std::move(urls);
  return r;
}
esa::PreloadCachesResponse created(std::optional<std::string> task_id) {
  esa::PreloadCachesResponse r;
  r.RequestId = "create-1";
  r.TaskId = std::move(task_id);
  return r;
}

/// "state@percent" per task, one string per progress report.
std::string summary(const alicloud::task_list<item>& tasks) {
  std::string s;
  for (const auto& t : tasks) {
    if (!s.empty()) s += " ";
    s += std::string(alicloud::to_string(t.state)) + "@" + (t.item ? t.item->Process.value_or("?") : "-");
  }
  return s;
}

}  // namespace

TEST_CASE("wait_preload_caches: tasks progress Refreshing 0% -> 100% -> Complete, and to Failed") {
  fake_esa srv;
  const std::string u1 = "https://a.example.com/1.jpg", u2 = "https://a.example.com/2.jpg";
  // An older finished task for u1: TaskId matching must ignore it.
  srv.tasks.push_back({"t0", u1, "2024-05-01 08:00:00", {{"Complete", "100%"}}, 0});
  srv.tasks.push_back({"t1", u1, "2024-05-03 10:00:00",
                       {{"Refreshing", "0%"}, {"Refreshing", "37%"}, {"Refreshing", "100%"}, {"Complete", "100%"}}, 0});
  srv.tasks.push_back({"t2", u2, "2024-05-03 10:00:00", {{"Refreshing", "0%"}, {"Failed", "0%"}}, 0});
  fake_time t;
  std::vector<std::string> reports;
  std::vector<std::size_t> polls;
  auto r = esa::wait_preload_caches(srv.fetcher(), preload({u1, u2}), created("t1,t2"), t.options(),
                                    [&](const alicloud::wait_progress<alicloud::task_list<item>>& p) {
                                      reports.push_back(summary(p.latest));
                                      polls.push_back(p.polls);
                                    });
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].target == u1);
  CHECK((*r)[0].item->TaskId == "t1");
  CHECK((*r)[0].state == alicloud::task_state::succeeded);
  CHECK((*r)[0].item->Status == esa::DescribePreloadTasksResponseTasksItemStatus::Complete);
  CHECK((*r)[0].percent == 100.0);
  CHECK((*r)[1].item->TaskId == "t2");
  CHECK((*r)[1].state == alicloud::task_state::failed);
  CHECK(reports == std::vector<std::string>{"pending@0% pending@0%", "pending@37% failed@0%", "pending@100% failed@0%",
                                            "succeeded@100% failed@0%"});
  CHECK(polls == std::vector<std::size_t>{1, 2, 3, 4});
  CHECK(t.sleeps == std::vector<std::chrono::nanoseconds>{5s, 5s, 5s});
  // Every poll is filtered by site and exact URL; u2 is not listed again once it failed.
  for (const auto& s : srv.sent) {
    CHECK(s.SiteId == 7001);
    REQUIRE(s.Content.has_value());
  }
  CHECK(srv.listings[u1] == 4);
  CHECK(srv.listings[u2] == 2);
}

TEST_CASE("wait_preload_caches: without a TaskId the newest task of the URL by CreateTime is tracked") {
  fake_esa srv;
  const std::string u = "https://b.example.com/x.css";
  srv.tasks.push_back({"old", u, "2024-05-02 23:59:59", {{"Complete", "100%"}}, 0});
  srv.tasks.push_back({"new", u, "2024-05-03 00:00:01", {{"Refreshing", "10%"}, {"Complete", "100%"}}, 0});
  srv.tasks.push_back({"older", u, "2024-04-30 12:00:00", {{"Failed", "0%"}}, 0});
  fake_time t;
  auto r = esa::wait_preload_caches(srv.fetcher(), preload({u}), created(std::nullopt), t.options());
  REQUIRE(r.ok());
  CHECK((*r)[0].item->TaskId == "new");
  CHECK((*r)[0].state == alicloud::task_state::succeeded);
  CHECK(srv.listings[u] == 2);  // finished only when the new task did, not at the old Complete one
}

TEST_CASE("wait_preload_caches: a task not listed yet is waited for") {
  fake_esa srv;
  const std::string u = "https://c.example.com/late";
  srv.tasks.push_back({"late", u, "2024-05-03 10:00:00", {{"Refreshing", "50%"}, {"Complete", "100%"}}, 2});
  fake_time t;
  std::vector<std::string> reports;
  auto r = esa::wait_preload_caches(srv.fetcher(), preload({u}), created("late"), t.options(), [&](const auto& p) {
    reports.push_back(summary(p.latest));
  });
  REQUIRE(r.ok());
  CHECK(reports == std::vector<std::string>{"not_found@-", "not_found@-", "pending@50%", "succeeded@100%"});
}

TEST_CASE("wait_preload_caches: the matching task is found on a later page of the listing") {
  fake_esa srv;
  const std::string u = "https://d.example.com/busy";
  for (int i = 0; i < 45; ++i)
    srv.tasks.push_back({"h" + std::to_string(i), u, "2024-05-01 00:00:00", {{"Complete", "100%"}}, 0});
  srv.tasks.push_back({"mine", u, "2024-05-03 00:00:00", {{"Complete", "100%"}}, 0});
  fake_time t;
  auto r = esa::wait_preload_caches(srv.fetcher(), preload({u}), created("mine"), t.options());
  REQUIRE(r.ok());
  CHECK((*r)[0].item->TaskId == "mine");
  REQUIRE(srv.sent.size() == 3);  // pages 1-3 of 20
  CHECK(srv.sent[2].PageNumber == 3);
  CHECK(srv.sent[2].PageSize == 20);
}

TEST_CASE("wait_preload_caches: timeout, cancellation, poll errors") {
  const std::string u = "https://e.example.com/stuck";
  auto stuck = [&] {
    fake_esa srv;
    srv.tasks.push_back({"s", u, "2024-05-03 00:00:00", {{"Refreshing", "99%"}}, 0});
    return srv;
  };
  SUBCASE("timeout") {
    auto srv = stuck();
    fake_time t;
    auto r = esa::wait_preload_caches(srv.fetcher(), preload({u}), created("s"), t.options(1min));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == alicloud::errc::timeout);
    CHECK(r.error().message == "timed out after 60 s waiting for the tasks of PreloadCaches (wait_preload_caches) (13 poll(s))");
  }
  SUBCASE("cancelled from the progress callback") {
    auto srv = stuck();
    fake_time t;
    alicloud::cancel_source stop;
    auto o = t.options();
    o.cancel = stop.token();
    auto r = esa::wait_preload_caches(srv.fetcher(), preload({u}), created("s"), o, [&](const auto& p) {
      if (p.polls == 3) stop.request_cancel();
    });
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == alicloud::errc::cancelled);
    CHECK(srv.sent.size() == 3);
  }
  SUBCASE("a failing poll ends the wait with the service error") {
    auto srv = stuck();
    srv.fail_calls = 1;
    fake_time t;
    auto r = esa::wait_preload_caches(srv.fetcher(), preload({u}), created("s"), t.options());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == esa::errc::TooManyRequests);
    CHECK(r.error().service_code == "TooManyRequests");
  }
  SUBCASE("tolerated poll errors") {
    fake_esa srv;
    srv.tasks.push_back({"ok", u, "2024-05-03 00:00:00", {{"Refreshing", "1%"}, {"Complete", "100%"}}, 0});
    srv.fail_calls = 2;
    fake_time t;
    auto o = t.options();
    o.max_poll_errors = 2;
    auto r = esa::wait_preload_caches(srv.fetcher(), preload({u}), created("ok"), o);
    REQUIRE(r.ok());
    CHECK((*r)[0].state == alicloud::task_state::succeeded);
  }
}

TEST_CASE("wait_preload_caches: another site's tasks are not seen; no URLs means nothing to wait for") {
  fake_esa srv;
  const std::string u = "https://f.example.com/a";
  srv.tasks.push_back({"x", u, "2024-05-03 00:00:00", {{"Complete", "100%"}}, 0});
  fake_time t;
  auto other = esa::wait_preload_caches(srv.fetcher(), preload({u}, 9999), created("x"), t.options(20s));
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().code == alicloud::errc::timeout);

  auto none = esa::wait_preload_caches(srv.fetcher(), esa::PreloadCachesRequest{}, created("x"), t.options());
  REQUIRE(none.ok());
  CHECK(none->empty());
}
