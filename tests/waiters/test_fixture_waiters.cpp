// Generated waiters from the fixtures: jobs (unpaginated poll, integer ids and progress, literals, a
// waiter without forEach) generated at build time, and demo (the golden fixture's paginated waiter with
// an enum literal, a renamed source member and a custom separator).
#include <alicloud/jobs/waiters.hpp>
#include <alicloud/demo/waiters.hpp>

#include <doctest/doctest.h>

#include <map>

using namespace std::chrono_literals;

namespace {

struct fake_time {
  alicloud::manual_clock clock{alicloud::clock::time_point(std::chrono::hours(24 * 365 * 50))};
  alicloud::wait_options options() {
    alicloud::wait_options o;
    o.poll_interval = 1s;
    o.timeout = 1min;
    o.clock = &clock;
    o.sleeper = [this](std::chrono::nanoseconds d) { clock.advance(d); };
    return o;
  }
};

namespace jobs = alicloud::jobs;

jobs::GetJobsResponseJobsItem job(std::int64_t id, const std::string& url, const char* state, int percent,
                                  const std::string& started) {
  jobs::GetJobsResponseJobsItem j;
  j.JobId = id;
  j.Url = url;
  j.State = jobs::GetJobsResponseJobsItemState(state);
  j.Percent = percent;
  j.Started = started;
  return j;
}

}  // namespace

TEST_CASE("jobs: unpaginated poll, ids from a space-separated list, literals and request members set") {
  fake_time t;
  std::map<std::string, int> polls;
  std::vector<jobs::GetJobsRequest> sent;
  alicloud::page_fetcher<jobs::GetJobs> fetch = [&](const jobs::GetJobsRequest& r) {
    sent.push_back(r);
    const int n = polls[*r.Url]++;
    jobs::GetJobsResponse resp;
    resp.Jobs.emplace();
    // An older finished job for the same URL is listed first; it must not be mistaken for ours.
    resp.Jobs->push_back(job(5, *r.Url, "ok", 100, "2031-01-01 00:00:00"));
    if (*r.Url == "u1") resp.Jobs->push_back(job(11, "u1", n < 2 ? "running" : "ok", n < 2 ? 40 * n : 100, "2031-01-02 00:00:00"));
    if (*r.Url == "u2" && n >= 1) resp.Jobs->push_back(job(12, "u2", "error", 10, "2031-01-02 00:00:00"));
    return alicloud::result<jobs::GetJobsResponse>(resp);
  };
  jobs::StartJobsRequest req;
  req.Region = "r1";
  req.Urls = std::vector<std::string>{"u1", "u2"};
  jobs::StartJobsResponse resp;
  resp.JobIds = "11 12";
  std::vector<std::string> lines;
  auto r = jobs::wait_start_jobs(fetch, req, resp, t.options(),
                                 [&](const alicloud::wait_progress<alicloud::task_list<jobs::GetJobsResponseJobsItem>>& p) {
                                   std::string line;
                                   for (const auto& task : p.latest)
                                     line += std::string(alicloud::to_string(task.state)) + ":" +
                                             (task.percent ? std::to_string(static_cast<int>(*task.percent)) : "-") + " ";
                                   lines.push_back(line);
                                 });
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].target == "u1");
  CHECK((*r)[0].state == alicloud::task_state::succeeded);
  CHECK((*r)[0].item->JobId == 11);
  CHECK((*r)[1].state == alicloud::task_state::failed);
  CHECK((*r)[1].item->JobId == 12);
  CHECK(lines == std::vector<std::string>{"pending:0 not_found:- ", "pending:40 failed:10 ", "succeeded:100 failed:10 "});
  for (const auto& s : sent) {
    CHECK(s.Region == "r1");
    CHECK(s.Verbose == true);
    CHECK(s.Limit == 5);
  }
  CHECK(polls["u1"] == 3);
  CHECK(polls["u2"] == 2);
}

TEST_CASE("jobs: without forEach or match, the first listed job is tracked") {
  fake_time t;
  int calls = 0;
  alicloud::page_fetcher<jobs::GetJobs> fetch = [&](const jobs::GetJobsRequest& r) {
    ++calls;
    CHECK(r.Limit == 1);
    CHECK_FALSE(r.Url.has_value());
    jobs::GetJobsResponse resp;
    resp.Jobs = std::vector<jobs::GetJobsResponseJobsItem>{job(7, "x", calls < 3 ? "queued" : "error", 0, ""),
                                                           job(8, "y", "ok", 100, "")};
    return alicloud::result<jobs::GetJobsResponse>(resp);
  };
  jobs::StartJobsRequest req;
  req.Region = "r2";
  auto r = jobs::wait_any_job(fetch, req, jobs::StartJobsResponse{}, t.options());
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].target.empty());
  CHECK((*r)[0].item->JobId == 7);
  CHECK((*r)[0].state == alicloud::task_state::succeeded);  // this waiter lists "error" under success
  CHECK(calls == 3);
}

TEST_CASE("jobs: timeout names the waiter") {
  fake_time t;
  alicloud::page_fetcher<jobs::GetJobs> fetch = [&](const jobs::GetJobsRequest&) {
    jobs::GetJobsResponse resp;
    resp.Jobs = std::vector<jobs::GetJobsResponseJobsItem>{job(7, "x", "running", 1, "")};
    return alicloud::result<jobs::GetJobsResponse>(resp);
  };
  jobs::StartJobsRequest req;
  req.Region = "r";
  auto r = jobs::wait_any_job(fetch, req, jobs::StartJobsResponse{}, t.options());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == alicloud::errc::timeout);
  CHECK(r.error().message.find("StartJobs (wait_any_job)") != std::string::npos);
}

TEST_CASE("demo: paginated poll finds the task on a later page; literal enum and renamed member sent") {
  namespace demo = alicloud::demo;
  fake_time t;
  std::vector<demo::ListThingsRequest> sent;
  std::map<std::string, int> rounds_of;  // per name: how many listings have started
  alicloud::page_fetcher<demo::ListThings> fetch = [&](const demo::ListThingsRequest& r) {
    sent.push_back(r);
    if (r.PageNumber == 1) ++rounds_of[*r.Name];
    const int rounds = rounds_of[*r.Name];
    // 25 unrelated things, then ours: page 1 (20 items) does not hold it, page 2 does.
    std::vector<demo::ListThingsResponseThingsItem> all(25);
    for (std::size_t i = 0; i < all.size(); ++i) {
      all[i].Id = "old" + std::to_string(i);
      all[i].State = "done";
    }
    demo::ListThingsResponseThingsItem mine;
    mine.Id = *r.Name == "a" ? "id-a" : "id-b";
    mine.State = rounds < 2 ? "working" : "done";
    mine.Progress = rounds < 2 ? "50%" : "100%";
    all.push_back(mine);
    demo::ListThingsResponse resp;
    resp.TotalCount = static_cast<std::int64_t>(all.size());
    const auto from = static_cast<std::size_t>((*r.PageNumber - 1) * *r.PageSize);
    resp.Things.emplace();
    for (auto i = from; i < std::min(all.size(), from + static_cast<std::size_t>(*r.PageSize)); ++i)
      resp.Things->push_back(all[i]);
    return alicloud::result<demo::ListThingsResponse>(resp);
  };
  demo::PutThingRequest req;
  req.x_token = "owner-1";
  req.Names = std::vector<std::string>{"a", "b"};
  demo::PutThingResponse resp;
  resp.ThingId = "id-a;id-b";
  auto r = demo::wait_put_thing(fetch, req, resp, t.options());
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].item->Id == "id-a");
  CHECK((*r)[1].item->Id == "id-b");
  CHECK((*r)[1].percent == 100.0);
  for (const auto& s : sent) {
    CHECK(s.Kind == demo::ListThingsRequestKind::small);
    CHECK(s.Owner == "owner-1");
  }
  CHECK(sent.size() == 2 * 2 * 2);  // 2 rounds x 2 names x 2 pages
}
