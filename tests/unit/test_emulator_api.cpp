// esa-emulator API behaviour over real HTTP: sample data, every documented validation and dispatch
// error, PreloadCaches tasks progressing to Complete/Failed, filters and pagination, PurgeCaches.

#include <doctest/doctest.h>

#include "../support/emulator_harness.hpp"

#include <alicloud/core/json.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

using emu_test::call;
using emu_test::expect_error;
using emu_test::harness;
using emu_test::json_of;
using emu_test::str;
namespace esa = alicloud::esa;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t example_com = 7001000000001;
constexpr std::int64_t shop_example_net = 7001000000002;

esa_emulator::config empty_config() {
  esa_emulator::config c;
  c.sample_data = false;
  c.extra_sites = {{"example.com", example_com}, {"shop.example.net", shop_example_net}};
  return c;
}

std::string at(const harness& h, std::chrono::seconds offset) {
  return alicloud::utc_time(const_cast<harness&>(h).clock().now() + offset).to_string();
}

alicloud::param_list preload_params(std::vector<std::string> urls, std::optional<std::int64_t> site = std::nullopt) {
  esa::PreloadCachesRequest r;
  r.Content = std::move(urls);
  r.SiteId = site;
  return emu_test::params_of<esa::PreloadCaches>(r);
}

std::vector<std::string> split_ids(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = s.find(',', start);
    out.push_back(s.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

/// DescribePreloadTasks (or DescribePurgeTasks), decoded with the generated response model.
template <class Resp = esa::DescribePreloadTasksResponse>
Resp describe(harness& h, alicloud::param_list q, const char* action = "DescribePreloadTasks") {
  auto r = h.call_ok(call{action, std::move(q)});
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto decoded = alicloud::json::from_json<Resp>(r.body);
  REQUIRE_MESSAGE(decoded.ok(), decoded.error().to_string());
  return std::move(*decoded);
}

}  // namespace

TEST_CASE("a fresh emulator serves sample sites through ListSites and GetSite") {
  harness h;
  auto r = h.call_ok(call{"ListSites", {}});
  REQUIRE(r.status == 200);
  CHECK(std::string(r.header("content-type")).find("application/json") == 0);
  auto sites = alicloud::json::from_json<esa::ListSitesResponse>(r.body);
  REQUIRE(sites.ok());
  CHECK(sites->TotalCount == 3);
  REQUIRE(sites->Sites->size() == 3);
  CHECK((*sites->Sites)[0].SiteName == "example.com");
  CHECK((*sites->Sites)[0].SiteId == example_com);
  CHECK(sites->RequestId->size() == 36);
  CHECK(std::string(r.header("x-acs-request-id")) == *sites->RequestId);
  // Site times are ISO 8601 UTC.
  CHECK(alicloud::utc_time::parse(*(*sites->Sites)[0].CreateTime).has_value());

  auto names = [&](alicloud::param_list q) {
    auto resp = h.call_ok(call{"ListSites", std::move(q)});
    REQUIRE(resp.status == 200);
    auto s = alicloud::json::from_json<esa::ListSitesResponse>(resp.body);
    REQUIRE(s.ok());
    std::vector<std::string> out;
    for (const auto& site : *s->Sites) out.push_back(*site.SiteName);
    return out;
  };
  CHECK(names({{"SiteName", "example.com"}}) == std::vector<std::string>{"example.com"});
  CHECK(names({{"SiteName", "example"}}).empty());  // exact is the default
  CHECK(names({{"SiteName", "shop."}, {"SiteSearchType", "prefix"}}) == std::vector<std::string>{"shop.example.net"});
  CHECK(names({{"SiteName", ".org"}, {"SiteSearchType", "suffix"}}) == std::vector<std::string>{"staging.example.org"});
  CHECK(names({{"SiteName", "example"}, {"SiteSearchType", "fuzzy"}}).size() == 3);
  CHECK(names({{"Status", "pending"}}) == std::vector<std::string>{"staging.example.org"});
  CHECK(names({{"AccessType", "CNAME"}}) == std::vector<std::string>{"shop.example.net"});
  CHECK(names({{"TagFilter", R"([{"Key":"team","Value":"shop"}])"}}) == std::vector<std::string>{"shop.example.net"});
  CHECK(names({{"TagFilter", R"([{"Key":"env","Value":"staging"}])"}}) == std::vector<std::string>{"staging.example.org"});
  CHECK(names({{"PageSize", "1"}, {"PageNumber", "2"}}) == std::vector<std::string>{"shop.example.net"});

  auto g = h.call_ok(call{"GetSite", {{"SiteId", std::to_string(shop_example_net)}}});
  REQUIRE(g.status == 200);
  auto site = alicloud::json::from_json<esa::GetSiteResponse>(g.body);
  REQUIRE(site.ok());
  CHECK(site->SiteModel->SiteName == "shop.example.net");
  CHECK(site->SiteModel->AccessType == "CNAME");
  CHECK(site->SiteModel->Tags->at("team").as_string() == "shop");

  expect_error(h.call_ok(call{"GetSite", {{"SiteId", "123"}}}), 400, "InvalidParameter");
  auto missing = expect_error(h.call_ok(call{"GetSite", {}}), 400, "MissingParameter");
  CHECK(str(missing, "Message").find("SiteId") != std::string::npos);
  expect_error(h.call_ok(call{"GetSite", {{"SiteId", "abc"}}}), 400, "InvalidParameter");
  expect_error(h.call_ok(call{"ListSites", {{"Status", "sleeping"}}}), 400, "InvalidParameter");
  expect_error(h.call_ok(call{"ListSites", {{"TagFilter", "not json"}}}), 400, "InvalidParameter");
}

TEST_CASE("the sample tasks show every status") {
  harness h;
  auto resp = describe(h, {{"SiteId", std::to_string(example_com)}});
  std::set<std::string> statuses;
  for (const auto& t : *resp.Tasks) statuses.insert(t.Status->value());
  CHECK(statuses == std::set<std::string>{"Complete", "Failed", "Refreshing"});
  auto purge = describe<esa::DescribePurgeTasksResponse>(h, {}, "DescribePurgeTasks");
  CHECK(purge.TotalCount == 4);
}

TEST_CASE("validation errors carry the codes the service documents") {
  harness h;
  auto check_code = [&](const char* action, alicloud::param_list q, const std::string& code, const std::string& mentions) {
    auto o = expect_error(h.call_ok(call{action, std::move(q)}), 400, code);
    CHECK_MESSAGE(str(o, "Message").find(mentions) != std::string::npos, str(o, "Message"));
  };
  SUBCASE("StartTime without EndTime") {
    check_code("DescribePreloadTasks", {{"StartTime", at(h, -3600s)}}, "MissingTimeParameter", "EndTime");
    check_code("DescribePurgeTasks", {{"EndTime", at(h, -60s)}}, "MissingTimeParameter", "StartTime");
  }
  SUBCASE("EndTime before StartTime") {
    check_code("DescribePreloadTasks", {{"StartTime", at(h, -60s)}, {"EndTime", at(h, -3600s)}},
               "InvalidEndTime.Mismatch", "EndTime");
  }
  SUBCASE("a window older than three days") {
    check_code("DescribePreloadTasks", {{"StartTime", at(h, -4 * 86400s)}, {"EndTime", at(h, -60s)}}, "InvalidTime",
               "StartTime");
  }
  SUBCASE("range violations") {
    check_code("DescribePreloadTasks", {{"PageSize", "51"}}, "InvalidParameter", "PageSize");
    check_code("DescribePreloadTasks", {{"PageSize", "0"}}, "InvalidParameter", "PageSize");
    check_code("DescribePurgeTasks", {{"PageNumber", "100001"}}, "InvalidParameter", "PageNumber");
    check_code("ListSites", {{"PageSize", "501"}}, "InvalidParameter", "PageSize");
  }
  SUBCASE("enum violations") {
    check_code("DescribePreloadTasks", {{"Status", "Done"}}, "InvalidParameter", "Status");
    check_code("DescribePurgeTasks", {{"Type", "everything"}}, "InvalidParameter", "Type");
  }
  SUBCASE("type and format violations") {
    check_code("DescribePreloadTasks", {{"SiteId", "12x"}}, "InvalidParameter", "SiteId");
    check_code("DescribePreloadTasks", {{"StartTime", "yesterday"}, {"EndTime", at(h, 0s)}}, "InvalidParameter",
               "StartTime");
    check_code("PreloadCaches", {{"Content", "[not json"}}, "InvalidParameter", "Content");
    check_code("PreloadCaches", {{"Content", R"({"a":1})"}}, "InvalidParameter", "Content");
  }
  SUBCASE("required parameters") {
    check_code("PurgeCaches", {{"Type", "file"}}, "MissingParameter", "SiteId");
    check_code("PurgeCaches", {{"SiteId", std::to_string(example_com)}}, "MissingParameter", "Type");
    check_code("PurgeCaches", {{"SiteId", std::to_string(example_com)}, {"Type", "wipe"}}, "InvalidParameter", "Type");
  }
  SUBCASE("every problem is reported at once") {
    auto o = expect_error(h.call_ok(call{"DescribePreloadTasks", {{"PageSize", "0"}, {"Status", "Done"}}}), 400,
                          "InvalidParameter");
    CHECK(str(o, "Message").find("PageSize") != std::string::npos);
    CHECK(str(o, "Message").find("Status") != std::string::npos);
  }
}

TEST_CASE("dispatch errors: unknown action, wrong version, missing action, wrong path or method") {
  harness h;
  expect_error(h.call_ok(call{"DescribeNothing", {}}), 404, "InvalidAction.NotFound");
  call v{"ListSites", {}};
  v.version = "2018-05-10";
  expect_error(h.call_ok(v), 400, "InvalidVersion");
  expect_error(h.call_ok(call{"", {}}), 400, "MissingParameter");
  call path{"ListSites", {}};
  path.tamper = [](alicloud::http::request& r) { r.target = "/v1" + r.target; };
  expect_error(h.call_ok(path), 404, "InvalidAction.NotFound");
  call put{"ListSites", {}};
  put.method = "PUT";
  expect_error(h.call_ok(put), 405, "InvalidParameter");
}

TEST_CASE("PreloadCaches creates one task per URL that progresses to Complete or Failed") {
  auto cfg = empty_config();
  cfg.task_duration = 10s;
  cfg.fail_rules = {{"/broken/", "Origin Return StatusCode 5XX"}};
  harness h(cfg);
  const std::vector<std::string> urls = {"https://example.com/a.js", "https://example.com/broken/b.css",
                                         "https://cdn.example.com/c.png"};
  auto r = h.call_ok(call{"PreloadCaches", preload_params(urls), {}, "POST"});
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto created = alicloud::json::from_json<esa::PreloadCachesResponse>(r.body);
  REQUIRE(created.ok());
  const auto ids = split_ids(*created->TaskId);
  REQUIRE(ids.size() == 3);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 3);

  auto state_of = [&](const std::string& url) {
    auto resp = describe(h, {{"Content", url}});
    REQUIRE(resp.TotalCount == 1);
    return (*resp.Tasks)[0];
  };
  auto first = state_of(urls[0]);
  CHECK(first.TaskId == ids[0]);
  CHECK(first.Status->value() == "Refreshing");
  CHECK(first.Process == "0%");
  CHECK_FALSE(first.Description.has_value());
  CHECK(first.CreateTime == esa_emulator::task_time_text(esa_emulator::to_unix_ms(h.clock().now())));
  CHECK(state_of(urls[2]).TaskId == ids[2]);

  h.clock().advance(2s);
  CHECK(state_of(urls[0]).Process == "20%");
  h.clock().advance(3s);
  auto broken = state_of(urls[1]);
  CHECK(broken.Status->value() == "Failed");
  CHECK(broken.Description == "Origin Return StatusCode 5XX");
  CHECK(broken.Process == "50%");
  CHECK(state_of(urls[0]).Status->value() == "Refreshing");
  h.clock().advance(5s);
  auto done = state_of(urls[0]);
  CHECK(done.Status->value() == "Complete");
  CHECK(done.Process == "100%");
  CHECK(state_of(urls[1]).Status->value() == "Failed");

  // A form body works as well as the query (POST with x-www-form-urlencoded).
  call form{"PreloadCaches", {}, preload_params({"https://example.com/form.html"}), "POST"};
  auto f = h.call_ok(form);
  INFO(f.body);
  CHECK(f.status == 200);
  CHECK(describe(h, {{"Content", "https://example.com/form.html"}}).TotalCount == 1);
}

TEST_CASE("PreloadCaches rejects bad URLs, foreign hosts, unknown sites and overflow") {
  auto cfg = empty_config();
  cfg.max_urls_per_request = 3;
  cfg.preload_queue_limit = 4;
  cfg.task_duration = 10s;
  harness h(cfg);
  auto post = [&](alicloud::param_list q) { return h.call_ok(call{"PreloadCaches", std::move(q), {}, "POST"}); };
  expect_error(post(preload_params({"ftp://example.com/x"})), 400, "InvalidParameters.InvalidUrls");
  expect_error(post(preload_params({"https://example.com/ok", "example.com/no-scheme"})), 400,
               "InvalidParameters.InvalidUrls");
  expect_error(post(preload_params({"https://exam ple.com/"})), 400, "InvalidParameters.InvalidUrls");
  auto foreign = expect_error(post(preload_params({"https://other.test/x"})), 400, "InvalidParameter.RecordNotBelongToSite");
  CHECK(str(foreign, "Message").find("other.test") != std::string::npos);
  expect_error(post(preload_params({"https://shop.example.net/x"}, example_com)), 400,
               "InvalidParameter.RecordNotBelongToSite");
  // A suffix that is not at a label boundary is another domain.
  expect_error(post(preload_params({"https://badexample.com/x"}, example_com)), 400,
               "InvalidParameter.RecordNotBelongToSite");
  expect_error(post(preload_params({"https://example.com/x"}, 42)), 400, "InvalidParameter");
  expect_error(post({}), 400, "MissingParameter");
  expect_error(post(preload_params({})), 400, "MissingParameter");
  expect_error(post(preload_params({"https://example.com/1", "https://example.com/2", "https://example.com/3",
                                    "https://example.com/4"})),
               400, "DomainNameOverLimit");
  // None of the rejected requests created anything.
  CHECK(describe(h, {}).TotalCount == 0);

  REQUIRE(post(preload_params({"https://example.com/1", "https://example.com/2", "https://example.com/3"})).status == 200);
  expect_error(post(preload_params({"https://example.com/4", "https://example.com/5"})), 400, "PreloadQueueFull");
  REQUIRE(post(preload_params({"https://example.com/4"})).status == 200);
  h.clock().advance(10s);  // all complete: the queue drains
  CHECK(post(preload_params({"https://example.com/5", "https://example.com/6"})).status == 200);
  CHECK(describe(h, {}).TotalCount == 6);
}

TEST_CASE("DescribePreloadTasks filters by site, content, status and time window, and pages") {
  auto cfg = empty_config();
  cfg.task_duration = 30s;
  harness h(cfg);
  const auto t0 = h.clock().now();
  std::vector<std::string> ids;  // in creation order
  for (int i = 0; i < 25; ++i) {
    const bool shop = i % 5 == 0;
    const std::string url = shop ? "https://shop.example.net/p" + std::to_string(i) : "https://example.com/p" + std::to_string(i);
    auto r = h.call_ok(call{"PreloadCaches", preload_params({url}), {}, "POST"});
    REQUIRE(r.status == 200);
    ids.push_back(str(json_of(r), "TaskId"));
    h.clock().advance(60s);
  }
  h.clock().advance(-45s);  // the last task is 15 s old: still Refreshing; all others are done

  auto all = describe(h, {});
  CHECK(all.TotalCount == 25);
  CHECK(all.PageSize == 20);
  CHECK(all.PageNumber == 1);
  REQUIRE(all.Tasks->size() == 20);
  CHECK((*all.Tasks)[0].TaskId == ids.back());  // newest first

  std::vector<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    auto p = describe(h, {{"PageSize", "10"}, {"PageNumber", std::to_string(page)}});
    CHECK(p.TotalCount == 25);
    CHECK(p.Tasks->size() == (page < 3 ? 10u : 5u));
    for (const auto& t : *p.Tasks) seen.push_back(*t.TaskId);
  }
  std::vector<std::string> expected(ids.rbegin(), ids.rend());
  CHECK(seen == expected);
  auto beyond = describe(h, {{"PageSize", "10"}, {"PageNumber", "4"}});
  CHECK(beyond.TotalCount == 25);
  CHECK(beyond.Tasks->empty());

  CHECK(describe(h, {{"SiteId", std::to_string(shop_example_net)}}).TotalCount == 5);
  CHECK(describe(h, {{"SiteId", std::to_string(example_com)}}).TotalCount == 20);
  expect_error(h.call_ok(call{"DescribePreloadTasks", {{"SiteId", "99"}}}), 400, "InvalidParameter");

  auto exact = describe(h, {{"Content", "https://example.com/p7"}});
  REQUIRE(exact.TotalCount == 1);
  CHECK((*exact.Tasks)[0].TaskId == ids[7]);
  CHECK(describe(h, {{"Content", "https://example.com/p"}}).TotalCount == 0);  // exact match only

  auto running = describe(h, {{"Status", "Refreshing"}});
  REQUIRE(running.TotalCount == 1);
  CHECK((*running.Tasks)[0].TaskId == ids[24]);
  CHECK(describe(h, {{"Status", "Complete"}}).TotalCount == 24);
  CHECK(describe(h, {{"Status", "Failed"}}).TotalCount == 0);

  // Tasks 5..9 were created at t0+5min .. t0+9min.
  auto window = describe(h, {{"StartTime", alicloud::utc_time(t0 + 5min).to_string()},
                             {"EndTime", alicloud::utc_time(t0 + 9min).to_string()},
                             {"PageSize", "50"}});
  CHECK(window.TotalCount == 5);
  std::set<std::string> window_ids;
  for (const auto& t : *window.Tasks) window_ids.insert(*t.TaskId);
  CHECK(window_ids == std::set<std::string>(ids.begin() + 5, ids.begin() + 10));
  auto combined = describe(h, {{"StartTime", alicloud::utc_time(t0 + 5min).to_string()},
                               {"EndTime", alicloud::utc_time(t0 + 9min).to_string()},
                               {"SiteId", std::to_string(shop_example_net)}});
  CHECK(combined.TotalCount == 1);  // task 5
}

TEST_CASE("PurgeCaches creates tasks for every purge type and DescribePurgeTasks filters them") {
  auto cfg = empty_config();
  cfg.task_duration = 4s;
  harness h(cfg);
  auto purge = [&](const std::string& type, const std::string& content, std::int64_t site = example_com) {
    alicloud::param_list q = {{"SiteId", std::to_string(site)}, {"Type", type}};
    if (!content.empty()) q.emplace_back("Content", content);
    return h.call_ok(call{"PurgeCaches", q, {}, "POST"});
  };
  auto ok = [&](const std::string& type, const std::string& content, std::size_t tasks) {
    auto r = purge(type, content);
    INFO(type << ": " << r.body);
    REQUIRE(r.status == 200);
    auto resp = alicloud::json::from_json<esa::PurgeCachesResponse>(r.body);
    REQUIRE(resp.ok());
    CHECK(split_ids(*resp->TaskId).size() == tasks);
  };
  ok("file", R"({"Files":["https://example.com/a.html",{"Url":"https://example.com/b.html","Headers":{"X":"1"}}]})", 2);
  ok("directory", R"({"Directories":["https://example.com/static/"]})", 1);
  ok("hostname", R"({"Hostnames":["example.com","img.example.com"]})", 2);
  ok("cachetag", R"({"CacheTags":["v1"]})", 1);
  ok("ignoreparams", R"({"IgnoreParams":["https://example.com/q?x=1"]})", 1);
  ok("cachekey", R"({"CacheKeys":[{"Url":"https://example.com/k","Headers":{"Accept":"a"}}]})", 1);
  ok("purgeall", "", 1);

  expect_error(purge("file", R"({"Directories":["https://example.com/"]})"), 400, "MissingParameter");
  expect_error(purge("file", R"({"Files":["https://shop.example.net/x"]})"), 400, "InvalidParameter.RecordNotBelongToSite");
  expect_error(purge("file", R"({"Files":["/relative"]})"), 400, "InvalidParameters.InvalidUrls");
  expect_error(purge("hostname", R"({"Hostnames":["other.test"]})"), 400, "InvalidParameter.RecordNotBelongToSite");
  expect_error(purge("file", R"({"Files":["https://example.com/x"]})", 5), 400, "InvalidParameter");
  expect_error(purge("file", R"({"Files":"https://example.com/x"})"), 400, "InvalidParameter");

  using R = esa::DescribePurgeTasksResponse;
  CHECK(describe<R>(h, {}, "DescribePurgeTasks").TotalCount == 9);
  auto files = describe<R>(h, {{"Type", "file"}}, "DescribePurgeTasks");
  REQUIRE(files.TotalCount == 2);
  for (const auto& t : *files.Tasks) CHECK(t.Type == "file");
  auto all = describe<R>(h, {{"Type", "purgeall"}}, "DescribePurgeTasks");
  REQUIRE(all.TotalCount == 1);
  CHECK((*all.Tasks)[0].Content == "example.com");
  CHECK(describe<R>(h, {{"Status", "Refreshing"}}, "DescribePurgeTasks").TotalCount == 9);
  h.clock().advance(4s);
  CHECK(describe<R>(h, {{"Status", "Complete"}}, "DescribePurgeTasks").TotalCount == 9);
  CHECK(describe<R>(h, {{"Content", "img.example.com"}, {"Type", "hostname"}}, "DescribePurgeTasks").TotalCount == 1);
  // Purge and prefetch tasks are separate lists.
  CHECK(describe(h, {}).TotalCount == 0);
}
