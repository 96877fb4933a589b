// The committed ESA bindings against the user's document (shared/seed): every documented
// constraint violated gives the right field, rule and service code; valid requests pass; the
// seed's example response decodes exactly; the error table carries the seed's codes.

#include <alicloud/esa.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

namespace esa = alicloud::esa;
using std::chrono::hours;
using std::chrono::seconds;

namespace {

const auto now = std::chrono::system_clock::time_point(seconds(1700000000));  // 2023-11-14T22:13:20Z
alicloud::manual_clock test_clock(now);

std::vector<alicloud::violation> check(const esa::DescribePreloadTasksRequest& r) { return esa::validate(r, test_clock); }

const alicloud::violation* find(const std::vector<alicloud::violation>& vs, const std::string& field, const std::string& rule) {
  auto it = std::find_if(vs.begin(), vs.end(), [&](const auto& v) { return v.field == field && v.rule == rule; });
  return it == vs.end() ? nullptr : &*it;
}

std::string dump(const std::vector<alicloud::violation>& vs) {
  std::string s;
  for (const auto& v : vs) s += v.field + " " + v.rule + ": " + v.message + " [" + v.code + "]\n";
  return s;
}

alicloud::utc_time at(std::chrono::system_clock::duration ago) { return alicloud::utc_time(now - ago); }

}  // namespace

TEST_CASE("DescribePreloadTasks: valid requests pass") {
  esa::DescribePreloadTasksRequest r;
  CHECK(check(r).empty());  // every parameter is optional
  r.SiteId = 123456789;
  r.Content = "http://a.com/1.jpg?b=2";
  r.PageNumber = 1;
  r.PageSize = 50;
  r.StartTime = at(hours(71));
  r.EndTime = at(hours(1));
  r.Status = esa::DescribePreloadTasksRequestStatus::Complete;
  INFO(dump(check(r)));
  CHECK(check(r).empty());
  r.PageNumber = 100000;
  r.PageSize = 1;
  CHECK(check(r).empty());
}

TEST_CASE("DescribePreloadTasks: each seed constraint violated") {
  SUBCASE("PageNumber 1..100000") {
    for (std::int32_t bad : {0, -1, 100001}) {
      esa::DescribePreloadTasksRequest r;
      r.PageNumber = bad;
      auto vs = check(r);
      INFO(dump(vs));
      REQUIRE(vs.size() == 1);
      CHECK(vs[0].field == "PageNumber");
      CHECK(vs[0].rule == "range");
      CHECK(vs[0].message.find(std::to_string(bad)) != std::string::npos);
    }
  }
  SUBCASE("PageSize 1..50 (the seed; the metadata says 100)") {
    for (std::int32_t bad : {0, 51, 100}) {
      esa::DescribePreloadTasksRequest r;
      r.PageSize = bad;
      auto vs = check(r);
      REQUIRE(vs.size() == 1);
      CHECK(vs[0].field == "PageSize");
      CHECK(vs[0].message.find("50") != std::string::npos);
    }
  }
  SUBCASE("Status must be Complete, Refreshing or Failed") {
    esa::DescribePreloadTasksRequest r;
    r.Status = esa::DescribePreloadTasksRequestStatus("Complte");  // the typo in some vendor texts
    auto vs = check(r);
    REQUIRE(vs.size() == 1);
    CHECK(vs[0].field == "Status");
    CHECK(vs[0].rule == "enum");
    CHECK(vs[0].message.find("Complte") != std::string::npos);
  }
  SUBCASE("StartTime and EndTime together -> MissingTimeParameter") {
    esa::DescribePreloadTasksRequest r;
    r.StartTime = at(hours(2));
    auto vs = check(r);
    INFO(dump(vs));
    REQUIRE(vs.size() == 1);
    CHECK(vs[0].code == "MissingTimeParameter");
    CHECK(vs[0].message.find("EndTime") != std::string::npos);
    esa::DescribePreloadTasksRequest only_end;
    only_end.EndTime = at(hours(2));
    REQUIRE(check(only_end).size() == 1);
    CHECK(check(only_end)[0].code == "MissingTimeParameter");
  }
  SUBCASE("EndTime later than StartTime -> InvalidEndTime.Mismatch") {
    esa::DescribePreloadTasksRequest r;
    r.StartTime = at(hours(1));
    r.EndTime = at(hours(2));
    auto vs = check(r);
    REQUIRE(vs.size() == 1);
    CHECK(vs[0].field == "EndTime");
    CHECK(vs[0].code == "InvalidEndTime.Mismatch");
    r.EndTime = r.StartTime;  // equal is not later
    REQUIRE(check(r).size() == 1);
  }
  SUBCASE("no older than 3 days -> InvalidTime, against the injected clock") {
    esa::DescribePreloadTasksRequest r;
    r.StartTime = at(hours(72) + seconds(1));
    r.EndTime = at(hours(1));
    auto vs = check(r);
    INFO(dump(vs));
    REQUIRE(vs.size() == 1);
    CHECK(vs[0].field == "StartTime");
    CHECK(vs[0].code == "InvalidTime");
    r.StartTime = at(hours(72));
    CHECK(check(r).empty());
    // The same request judged by a clock one day later fails on StartTime only.
    alicloud::manual_clock later(now + hours(24));
    auto late = esa::validate(r, later);
    REQUIRE(late.size() == 1);
    CHECK(late[0].field == "StartTime");
  }
  SUBCASE("everything wrong at once: every violation reported") {
    esa::DescribePreloadTasksRequest r;
    r.PageNumber = 0;
    r.PageSize = 99;
    r.Status = esa::DescribePreloadTasksRequestStatus("Done");
    r.EndTime = at(hours(100));
    auto vs = check(r);
    INFO(dump(vs));
    CHECK(find(vs, "PageNumber", "range"));
    CHECK(find(vs, "PageSize", "range"));
    CHECK(find(vs, "Status", "enum"));
    CHECK(find(vs, "EndTime", "max_age"));
    CHECK(std::any_of(vs.begin(), vs.end(), [](const auto& v) { return v.code == "MissingTimeParameter"; }));
  }
}

TEST_CASE("DescribePreloadTasks: time format is exactly yyyy-MM-ddTHH:mm:ssZ on the wire") {
  esa::DescribePreloadTasksRequest r;
  r.StartTime = alicloud::utc_time::parse("2023-03-22T17:00:00Z");
  r.EndTime = alicloud::utc_time::parse("2023-03-23T06:23:00Z");
  r.PageSize = 20;
  auto enc = alicloud::encode_params(r, esa::DescribePreloadTasks::parameters);
  REQUIRE(enc.ok());
  CHECK(enc->form.empty());  // GET: everything in the query
  auto get = [&](const std::string& k) {
    for (const auto& [n, v] : enc->query)
      if (n == k) return v;
    return std::string("<absent>");
  };
  CHECK(get("StartTime") == "2023-03-22T17:00:00Z");
  CHECK(get("EndTime") == "2023-03-23T06:23:00Z");
  CHECK(get("PageSize") == "20");
  CHECK(get("Status") == "<absent>");

  // A server decoding a badly formatted time reports the field and the format rule.
  auto bad = alicloud::decode_params<esa::DescribePreloadTasksRequest>({{"StartTime", "2023-03-22 17:00:00"}},
                                                                      esa::DescribePreloadTasks::parameters);
  REQUIRE_FALSE(bad.ok());
  INFO(bad.error().to_string());
  CHECK(bad.error().message.find("StartTime") != std::string::npos);
  REQUIRE_FALSE(bad.error().violations.empty());
  CHECK(bad.error().violations[0].field == "StartTime");
  CHECK(bad.error().violations[0].rule == "format");
  auto not_int = alicloud::decode_params<esa::DescribePreloadTasksRequest>({{"PageSize", "twenty"}},
                                                                          esa::DescribePreloadTasks::parameters);
  REQUIRE_FALSE(not_int.ok());
  CHECK(not_int.error().violations.at(0).field == "PageSize");
}

TEST_CASE("DescribePreloadTasks: the seed's example response decodes exactly") {
  const char* seed = R"({
    "RequestId": "0AEDAF20-4DDF-4165-8750-47FF9C1929C9", "PageNumber": 1, "PageSize": 10, "TotalCount": 83,
    "Tasks": [{"Status": "Complete", "CreateTime": "2023-03-28 14:28:57", "Process": "100%",
               "Description": "Internal Error", "Content": "http://a.com/1.jpg?b=2", "TaskId": "1597854579687428"}]})";
  auto r = alicloud::json::from_json<esa::DescribePreloadTasksResponse>(seed);
  REQUIRE(r.ok());
  CHECK(r->RequestId == "0AEDAF20-4DDF-4165-8750-47FF9C1929C9");
  CHECK(r->PageNumber == 1);
  CHECK(r->PageSize == 10);
  CHECK(r->TotalCount == 83);
  REQUIRE(r->Tasks->size() == 1);
  const auto& t = r->Tasks->front();
  CHECK(t.Status == esa::DescribePreloadTasksResponseTasksItemStatus::Complete);
  CHECK(t.CreateTime == "2023-03-28 14:28:57");
  CHECK(t.Process == "100%");
  CHECK(t.Description == "Internal Error");
  CHECK(t.Content == "http://a.com/1.jpg?b=2");
  CHECK(t.TaskId == "1597854579687428");  // a string, never an integer

  auto round = alicloud::json::from_json<esa::DescribePreloadTasksResponse>(alicloud::json::to_json(*r));
  REQUIRE(round.ok());
  CHECK(round->Tasks->front().TaskId == t.TaskId);
  CHECK(round->TotalCount == 83);

  SUBCASE("TaskId sent as a number is a clear error") {
    auto bad = alicloud::json::from_json<esa::DescribePreloadTasksResponse>(R"({"Tasks":[{"TaskId":1597854579687428}]})");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("$.Tasks[0].TaskId") != std::string::npos);
  }
}

TEST_CASE("ESA error enum carries the seed's nine codes with HTTP 400 and their messages") {
  struct row {
    const char* code;
    const char* message;
  };
  const row seed[] = {
      {"MissingTimeParameter", "The StartTime and EndTime must be both specified."},
      {"InvalidEndTime.Mismatch", "The specified EndTime is earlier than the StartTime."},
      {"DomainNameOverLimit", "A maximum of 500 domains are supported for each request."},
      {"InvalidTime", "The query time cannot exceed the last 3 days."},
      {"MissingParameter.ObjectType", "The ObjectType parameter is required if DomainName or ObjectType is specified."},
      {"InvalidStationParameter", "The specified Station is invalid."},
      {"TooManyRequests", "Too many requests.Please try again later."},
      {"InvalidTaskId.Malformed", "The specified taskId is invalid."},
      {"InvalidParameters.InvalidUrls", "The specified urls are invalid."},
  };
  for (const auto& s : seed) {
    CAPTURE(s.code);
    auto e = esa::errc_from_code(s.code);
    REQUIRE(e.has_value());
    CHECK(esa::wire_code(*e) == s.code);
    CHECK(esa::http_status(*e) == 400);
    std::error_code ec = *e;
    CHECK(ec.message().find(s.message) != std::string::npos);
    CHECK(std::string(ec.category().name()) == "alicloud.esa");
    CHECK(std::find(esa::DescribePreloadTasks::error_codes.begin(), esa::DescribePreloadTasks::error_codes.end(),
                    std::string_view(s.code)) != esa::DescribePreloadTasks::error_codes.end());
  }
  CHECK(esa::make_error_code(*esa::errc_from_code("InvalidTime")) != esa::make_error_code(*esa::errc_from_code("TooManyRequests")));
  CHECK(esa::errc::InvalidEndTime_Mismatch == *esa::errc_from_code("InvalidEndTime.Mismatch"));
}

TEST_CASE("ESA traits follow the spec and the overlay") {
  CHECK(esa::DescribePreloadTasks::action == "DescribePreloadTasks");
  CHECK(esa::DescribePreloadTasks::version == "2024-09-10");
  CHECK(esa::DescribePreloadTasks::method == alicloud::http_method::get);
  CHECK(esa::DescribePreloadTasks::idempotent);
  CHECK(esa::PreloadCaches::method == alicloud::http_method::post);
  CHECK_FALSE(esa::PreloadCaches::idempotent);
  CHECK_FALSE(esa::PurgeCaches::idempotent);
  CHECK(esa::ListSites::idempotent);
  CHECK(esa::GetSite::idempotent);
  CHECK(alicloud::is_paginated<esa::DescribePreloadTasks>::value);
  CHECK(alicloud::is_paginated<esa::DescribePurgeTasks>::value);
  CHECK(alicloud::is_paginated<esa::ListSites>::value);
  CHECK_FALSE(alicloud::is_paginated<esa::GetSite>::value);
  CHECK(esa::DescribePreloadTasks::pagination::items == &esa::DescribePreloadTasksResponse::Tasks);
  CHECK(esa::product::endpoints.size() == 2);
  CHECK(esa::product::endpoints[0].region_id == "cn-hangzhou");
  CHECK(esa::product::endpoints[0].endpoint == "esa.cn-hangzhou.aliyuncs.com");
  CHECK(alicloud::matches_code_pattern(esa::product::retryable_errors[1], "Throttling.User"));
}

TEST_CASE("PreloadCaches and PurgeCaches: json-style parameters and required fields") {
  esa::PreloadCachesRequest p;
  p.Content = std::vector<std::string>{"http://a.com/1.jpg?b=1", "http://a.com/2.jpg"};
  p.Headers = std::map<std::string, std::string>{{"Accept-Encoding", "gzip"}};
  auto enc = alicloud::encode_params(p, esa::PreloadCaches::parameters);
  REQUIRE(enc.ok());
  std::string content, headers;
  for (const auto& [k, v] : enc->query) {
    if (k == "Content") content = v;
    if (k == "Headers") headers = v;
  }
  CHECK(content == R"(["http://a.com/1.jpg?b=1","http://a.com/2.jpg"])");
  CHECK(headers == R"({"Accept-Encoding":"gzip"})");
  auto back = alicloud::decode_params<esa::PreloadCachesRequest>(enc->query, esa::PreloadCaches::parameters);
  REQUIRE(back.ok());
  CHECK(back->Content->size() == 2);

  esa::PurgeCachesRequest purge;  // SiteId and Type required
  auto vs = esa::validate(purge);
  REQUIRE(vs.size() == 1);
  CHECK(vs[0].field == "Type");
  CHECK(vs[0].rule == "required");
  purge.Type = esa::PurgeCachesRequestType("everything");
  vs = esa::validate(purge);
  REQUIRE(vs.size() == 1);
  CHECK(vs[0].rule == "enum");
  purge.Type = esa::PurgeCachesRequestType::file;
  purge.SiteId = 42;
  esa::PurgeCachesRequestContent c;
  c.Files = std::vector<boost::json::value>{"http://a.com/x", boost::json::object{{"Url", "http://a.com/y"}}};
  purge.Content = c;
  CHECK(esa::validate(purge).empty());
  auto penc = alicloud::encode_params(purge, esa::PurgeCaches::parameters);
  REQUIRE(penc.ok());
  bool found = false;
  for (const auto& [k, v] : penc->query)
    if (k == "Content") {
      found = true;
      CHECK(v == R"({"Files":["http://a.com/x",{"Url":"http://a.com/y"}]})");
    }
  CHECK(found);
}
