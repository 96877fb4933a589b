// Pagination over fake fetchers: lazy pages and items, stopping rules, and fetch_all's ordering,
// completeness, concurrency bound, early stop, listing-change guard and progress reports.
#include <alicloud/core/pagination.hpp>
#include <alicloud/core/pagination.hpp>  // include guard

#include <alicloud/esa/describe_preload_tasks.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace {

struct ThingReq {
  std::optional<std::int32_t> PageNumber;
  std::optional<std::int32_t> PageSize;
  std::string Filter;
};
struct Thing {
  int id = 0;
};
struct ThingResp {
  std::optional<std::int64_t> TotalCount;
  std::optional<std::vector<Thing>> Items;
};
struct ListThings {
  using request_type = ThingReq;
  using response_type = ThingResp;
  struct pagination {
    static constexpr auto page_number = &ThingReq::PageNumber;
    static constexpr auto page_size = &ThingReq::PageSize;
    static constexpr auto total_count = &ThingResp::TotalCount;
    static constexpr auto items = &ThingResp::Items;
  };
};
// Required (non-optional) members work too.
struct PlainReq {
  std::int64_t Page = 0;
  std::int64_t Size = 0;
};
struct PlainResp {
  std::int64_t Total = 0;
  std::vector<std::string> Names;
};
struct ListPlain {
  using request_type = PlainReq;
  using response_type = PlainResp;
  struct pagination {
    static constexpr auto page_number = &PlainReq::Page;
    static constexpr auto page_size = &PlainReq::Size;
    static constexpr auto total_count = &PlainResp::Total;
    static constexpr auto items = &PlainResp::Names;
  };
};
struct NotPaged {
  using request_type = ThingReq;
  using response_type = ThingResp;
  using pagination = void;
};
static_assert(alicloud::is_paginated_v<ListThings> && !alicloud::is_paginated_v<NotPaged>);
static_assert(std::is_same_v<alicloud::page_item_t<ListThings>, Thing>);
static_assert(std::is_same_v<alicloud::page_item_t<alicloud::esa::DescribePreloadTasks>,
                             alicloud::esa::DescribePreloadTasksResponseTasksItem>);

/// An in-memory listing served page by page, with knobs for latency, failures and misbehaviour.
struct fake_listing {
  int items = 0;
  std::chrono::milliseconds latency{0};
  int fail_page = 0;           // this page number answers with an error
  bool send_total = true;
  int server_max_size = 0;     // caps the page size like a server would (0 = no cap)
  std::function<int(int call)> total_for_call;  // lets TotalCount drift between calls
  bool throw_on_fail = false;

  std::mutex m;
  std::vector<std::pair<int, int>> requests;  // (page, size) in call order
  std::vector<std::thread::id> threads;
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  int calls = 0;

  alicloud::result<ThingResp> operator()(const ThingReq& r) {
    int call = 0;
    {
      std::lock_guard<std::mutex> lk(m);
      call = calls++;
      requests.emplace_back(r.PageNumber.value_or(-1), r.PageSize.value_or(-1));
      threads.push_back(std::this_thread::get_id());
    }
    int now = ++in_flight;
    int seen = max_in_flight.load();
    while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
    }
    if (latency.count() > 0) std::this_thread::sleep_for(latency);
    --in_flight;
    const int page = r.PageNumber.value_or(1);
    if (page == fail_page) {
      if (throw_on_fail) throw std::runtime_error("fetcher blew up");
      alicloud::error e(make_error_code(alicloud::errc::transport), "injected failure on page " + std::to_string(page));
      e.http_status = 503;
      return e;
    }
    const int total = total_for_call ? total_for_call(call) : items;
    int size = r.PageSize.value_or(20);
    if (server_max_size > 0) size = std::min(size, server_max_size);
    ThingResp resp;
    if (send_total) resp.TotalCount = total;
    resp.Items.emplace();
    for (int i = (page - 1) * size; i < std::min(page * size, total); ++i) resp.Items->push_back(Thing{i});
    return resp;
  }

  alicloud::page_fetcher<ListThings> fetcher() {
    return [this](const ThingReq& r) { return (*this)(r); };
  }
  std::vector<int> pages_requested() {
    std::lock_guard<std::mutex> lk(m);
    std::vector<int> p;
    for (auto& [page, size] : requests) p.push_back(page);
    return p;
  }
};

std::vector<int> ids(const std::vector<Thing>& v) {
  std::vector<int> out;
  for (const auto& t : v) out.push_back(t.id);
  return out;
}
std::vector<int> iota_ids(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

}  // namespace

TEST_CASE("pager: stops at TotalCount, last partial page, default page size 20") {
  fake_listing srv;
  srv.items = 45;
  alicloud::pager<ListThings> p(srv.fetcher(), ThingReq{});
  std::vector<std::size_t> sizes;
  while (auto page = p.next()) {
    REQUIRE(page->ok());
    sizes.push_back((*page)->Items->size());
  }
  CHECK(sizes == std::vector<std::size_t>{20, 20, 5});
  CHECK(p.done());
  CHECK(p.pages_fetched() == 3);
  CHECK(p.items_seen() == 45);
  CHECK(p.total_count() == 45);
  CHECK(srv.requests == std::vector<std::pair<int, int>>{{1, 20}, {2, 20}, {3, 20}});
  CHECK_FALSE(p.next().has_value());  // stays finished
}

TEST_CASE("pager: an exact multiple of the page size needs no extra request; request page size is used") {
  fake_listing srv;
  srv.items = 40;
  ThingReq req;
  req.PageSize = 10;
  alicloud::pager<ListThings> p(srv.fetcher(), req);
  int pages = 0;
  while (auto page = p.next()) {
    REQUIRE(page->ok());
    ++pages;
  }
  CHECK(pages == 4);
  CHECK(srv.pages_requested() == std::vector<int>{1, 2, 3, 4});
  for (auto& r : srv.requests) CHECK(r.second == 10);
}

TEST_CASE("pager: TotalCount 0 is one empty page") {
  fake_listing srv;
  srv.items = 0;
  alicloud::pager<ListThings> p(srv.fetcher(), ThingReq{});
  auto page = p.next();
  REQUIRE(page);
  REQUIRE(page->ok());
  CHECK((*page)->Items->empty());
  CHECK_FALSE(p.next());
  CHECK(srv.calls == 1);
}

TEST_CASE("pager: without TotalCount stops at a short page, or at an empty one") {
  fake_listing srv;
  srv.items = 45;
  srv.send_total = false;
  int pages = 0;
  for (auto& page : alicloud::pages<ListThings>(srv.fetcher(), ThingReq{})) {
    REQUIRE(page.ok());
    ++pages;
  }
  CHECK(pages == 3);

  fake_listing exact;
  exact.items = 40;
  exact.send_total = false;
  pages = 0;
  for (auto& page : alicloud::pages<ListThings>(exact.fetcher(), ThingReq{})) {
    REQUIRE(page.ok());
    ++pages;
  }
  CHECK(pages == 3);  // 20, 20, then an empty page ends it
}

TEST_CASE("pager: starts at the request's page number") {
  fake_listing srv;
  srv.items = 100;
  ThingReq req;
  req.PageNumber = 4;
  req.PageSize = 20;
  std::vector<int> got;
  for (auto& item : alicloud::items<ListThings>(srv.fetcher(), req)) {
    REQUIRE(item.ok());
    got.push_back(item->id);
  }
  CHECK(got.size() == 40);
  CHECK(got.front() == 60);
  CHECK(got.back() == 99);
  CHECK(srv.pages_requested() == std::vector<int>{4, 5});
}

TEST_CASE("items: every item in order across pages; a failing page ends the range with its error") {
  fake_listing srv;
  srv.items = 53;
  std::vector<int> got;
  for (auto& item : alicloud::items<ListThings>(srv.fetcher(), ThingReq{})) {
    REQUIRE(item.ok());
    got.push_back(item->id);
  }
  CHECK(got == iota_ids(53));

  fake_listing bad;
  bad.items = 100;
  bad.fail_page = 3;
  got.clear();
  int errors = 0;
  std::error_code code;
  for (auto& item : alicloud::items<ListThings>(bad.fetcher(), ThingReq{})) {
    if (!item) {
      ++errors;
      code = item.error().code;
      CHECK(item.error().http_status == 503);
      continue;
    }
    CHECK(errors == 0);  // nothing after the error
    got.push_back(item->id);
  }
  CHECK(errors == 1);
  CHECK(code == alicloud::errc::transport);
  CHECK(got == iota_ids(40));
  CHECK(bad.pages_requested() == std::vector<int>{1, 2, 3});
}

TEST_CASE("pages/items: bad page size is a clear error naming the rule, no fetch") {
  fake_listing srv;
  srv.items = 10;
  ThingReq req;
  req.PageSize = 0;
  auto range = alicloud::pages<ListThings>(srv.fetcher(), req);
  auto it = range.begin();
  REQUIRE(it != range.end());
  REQUIRE_FALSE(it->ok());
  CHECK(it->error().code == alicloud::errc::bad_parameter);
  CHECK(it->error().message.find("page size") != std::string::npos);
  CHECK(++it == range.end());
  CHECK(srv.calls == 0);

  req.PageSize = 10;
  req.PageNumber = 0;
  auto r = alicloud::fetch_all<ListThings>(srv.fetcher(), req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("page number") != std::string::npos);
}

TEST_CASE("pagination works with required (non-optional) members") {
  std::vector<std::string> names;
  for (int i = 0; i < 7; ++i) names.push_back("n" + std::to_string(i));
  alicloud::page_fetcher<ListPlain> fetch = [&](const PlainReq& r) -> alicloud::result<PlainResp> {
    PlainResp resp;
    resp.Total = static_cast<std::int64_t>(names.size());
    for (auto i = (r.Page - 1) * r.Size; i < std::min<std::int64_t>(r.Page * r.Size, resp.Total); ++i)
      resp.Names.push_back(names[static_cast<std::size_t>(i)]);
    return resp;
  };
  PlainReq req;
  req.Size = 3;
  req.Page = 1;
  std::vector<std::string> got;
  for (auto& n : alicloud::items<ListPlain>(fetch, req)) got.push_back(n.value());
  CHECK(got == names);
  auto all = alicloud::fetch_all<ListPlain>(fetch, req);
  REQUIRE(all.ok());
  CHECK(*all == names);
}

TEST_CASE("fetch_all: all items in order, each page once, concurrency bounded and used") {
  fake_listing srv;
  srv.items = 1000;
  srv.latency = std::chrono::milliseconds(3);
  ThingReq req;
  req.PageSize = 7;  // 143 pages, the last one partial (1000 = 142*7 + 6)
  std::vector<std::pair<std::size_t, std::size_t>> progress;
  alicloud::fetch_all_options o;
  o.max_concurrency = 4;
  o.on_progress = [&](std::size_t done, std::size_t total) { progress.emplace_back(done, total); };
  auto r = alicloud::fetch_all<ListThings>(srv.fetcher(), req, o);
  REQUIRE(r.ok());
  CHECK(ids(*r) == iota_ids(1000));
  auto pages = srv.pages_requested();
  std::sort(pages.begin(), pages.end());
  std::vector<int> want(143);
  for (int i = 0; i < 143; ++i) want[static_cast<std::size_t>(i)] = i + 1;
  CHECK(pages == want);
  CHECK(srv.max_in_flight.load() <= 4);
  CHECK(srv.max_in_flight.load() >= 2);
  for (auto& [page, size] : srv.requests) CHECK(size == 7);
  REQUIRE(progress.size() == 143);
  for (std::size_t i = 0; i < progress.size(); ++i) {
    CHECK(progress[i].first == i + 1);
    CHECK(progress[i].second == 143);
  }
}

TEST_CASE("fetch_all: concurrency 1 is sequential on the calling thread") {
  fake_listing srv;
  srv.items = 95;
  alicloud::fetch_all_options o;
  o.max_concurrency = 1;
  auto r = alicloud::fetch_all<ListThings>(srv.fetcher(), ThingReq{}, o);
  REQUIRE(r.ok());
  CHECK(ids(*r) == iota_ids(95));
  CHECK(srv.pages_requested() == std::vector<int>{1, 2, 3, 4, 5});
  for (auto id : srv.threads) CHECK(id == std::this_thread::get_id());
  CHECK(srv.max_in_flight.load() == 1);
}

TEST_CASE("fetch_all: TotalCount 0, one page, and a partial last page") {
  for (int n : {0, 1, 19, 20, 21, 45}) {
    CAPTURE(n);
    fake_listing srv;
    srv.items = n;
    std::size_t last_done = 0, last_total = 0;
    alicloud::fetch_all_options o;
    o.on_progress = [&](std::size_t d, std::size_t t) {
      last_done = d;
      last_total = t;
    };
    auto r = alicloud::fetch_all<ListThings>(srv.fetcher(), ThingReq{}, o);
    REQUIRE(r.ok());
    CHECK(ids(*r) == iota_ids(n));
    const int pages = n == 0 ? 1 : (n + 19) / 20;
    CHECK(srv.calls == pages);
    CHECK(last_done == static_cast<std::size_t>(pages));
    CHECK(last_total == static_cast<std::size_t>(pages));
  }
}

TEST_CASE("fetch_all: the first error stops the run and is returned") {
  fake_listing srv;
  srv.items = 2000;  // 100 pages
  srv.latency = std::chrono::milliseconds(5);
  srv.fail_page = 5;
  alicloud::fetch_all_options o;
  o.max_concurrency = 3;
  auto r = alicloud::fetch_all<ListThings>(srv.fetcher(), ThingReq{}, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == alicloud::errc::transport);
  CHECK(r.error().message == "injected failure on page 5");
  // Page 5 is handed out among the first few; after it fails at most the fetches already running
  // finish, so far fewer than 100 pages are requested.
  CHECK(srv.calls < 12);
  CHECK(srv.in_flight.load() == 0);  // nothing still running after return
}

TEST_CASE("fetch_all: an error on the first page is returned without starting workers") {
  fake_listing srv;
  srv.items = 100;
  srv.fail_page = 1;
  auto r = alicloud::fetch_all<ListThings>(srv.fetcher(), ThingReq{});
  REQUIRE_FALSE(r.ok());
  CHECK(srv.calls == 1);
}

TEST_CASE("fetch_all: an exception from the fetcher reaches the caller after workers stop") {
  fake_listing srv;
  srv.items = 400;
  srv.fail_page = 7;
  srv.throw_on_fail = true;
  alicloud::fetch_all_options o;
  o.max_concurrency = 4;
  CHECK_THROWS_WITH_AS((void)alicloud::fetch_all<ListThings>(srv.fetcher(), ThingReq{}, o), "fetcher blew up",
                       std::runtime_error);
  CHECK(srv.in_flight.load() == 0);
}

TEST_CASE("fetch_all: TotalCount changing mid-way restarts the read, then gives up") {
  SUBCASE("a change once: the second read is consistent") {
    fake_listing srv;
    // First call (page 1) sees 100 items, every later call 101: the first run fails its check,
    // the restart plans with 101 and succeeds.
    srv.total_for_call = [](int call) { return call == 0 ? 100 : 101; };
    alicloud::fetch_all_options o;
    o.max_concurrency = 2;
    auto r = alicloud::fetch_all<ListThings>(srv.fetcher(), ThingReq{}, o);
    REQUIRE(r.ok());
    CHECK(ids(*r) == iota_ids(101));
    auto pages = srv.pages_requested();
    CHECK(std::count(pages.begin(), pages.end(), 1) == 2);  // the listing was read twice
  }
  SUBCASE("always changing: the error says the listing changed") {
    fake_listing srv;
    srv.total_for_call = [](int call) { return 100 + call; };
    alicloud::fetch_all_options o;
    o.max_restarts = 3;
    auto r = alicloud::fetch_all<ListThings>(srv.fetcher(), ThingReq{}, o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == std::errc::resource_unavailable_try_again);
    CHECK(r.error().message.find("TotalCount") != std::string::npos);
    auto pages = srv.pages_requested();
    CHECK(std::count(pages.begin(), pages.end(), 1) == 4);  // first read + 3 restarts
  }
  SUBCASE("a page with the wrong number of items is caught too") {
    fake_listing srv;
    srv.items = 60;
    alicloud::page_fetcher<ListThings> short_page = [&](const ThingReq& r) {
      auto resp = srv(r);
      if (resp && r.PageNumber == 2) resp->Items->pop_back();  // total unchanged, an item vanished
      return resp;
    };
    alicloud::fetch_all_options o;
    o.max_restarts = 0;
    auto r = alicloud::fetch_all<ListThings>(short_page, ThingReq{}, o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == std::errc::resource_unavailable_try_again);
    CHECK(r.error().message.find("page 2 has 19 items, expected 20") != std::string::npos);
  }
}

TEST_CASE("fetch_all: a server that caps the page size still yields everything once") {
  fake_listing srv;
  srv.items = 230;
  srv.server_max_size = 50;
  ThingReq req;
  req.PageSize = 100;
  auto r = alicloud::fetch_all<ListThings>(srv.fetcher(), req);
  REQUIRE(r.ok());
  CHECK(ids(*r) == iota_ids(230));
  auto pages = srv.pages_requested();
  std::sort(pages.begin(), pages.end());
  CHECK(pages == std::vector<int>{1, 2, 3, 4, 5});
}

TEST_CASE("fetch_all: without TotalCount reads sequentially with unknown total in progress") {
  fake_listing srv;
  srv.items = 50;
  srv.send_total = false;
  std::vector<std::size_t> totals;
  alicloud::fetch_all_options o;
  o.on_progress = [&](std::size_t, std::size_t t) { totals.push_back(t); };
  auto r = alicloud::fetch_all<ListThings>(srv.fetcher(), ThingReq{}, o);
  REQUIRE(r.ok());
  CHECK(ids(*r) == iota_ids(50));
  CHECK(totals == std::vector<std::size_t>{0, 0, 0});
}

TEST_CASE("fetch_all: a user executor runs the extra workers; no task fetches after return") {
  fake_listing srv;
  srv.items = 600;
  srv.latency = std::chrono::milliseconds(2);
  std::mutex m;
  std::vector<std::thread> pool;
  std::atomic<int> submitted{0};
  alicloud::fetch_all_options o;
  o.max_concurrency = 5;
  o.executor = [&](std::function<void()> task) {
    ++submitted;
    std::lock_guard<std::mutex> lk(m);
    pool.emplace_back(std::move(task));
  };
  auto r = alicloud::fetch_all<ListThings>(srv.fetcher(), ThingReq{}, o);
  const int calls_at_return = [&] {
    std::lock_guard<std::mutex> lk(srv.m);
    return srv.calls;
  }();
  for (auto& t : pool) t.join();
  REQUIRE(r.ok());
  CHECK(ids(*r) == iota_ids(600));
  CHECK(submitted.load() == 4);
  CHECK(srv.calls == calls_at_return);
  CHECK(srv.calls == 30);
  std::set<std::thread::id> distinct(srv.threads.begin(), srv.threads.end());
  CHECK(distinct.size() >= 2);
}

TEST_CASE("fetch_all: a late executor task finds nothing to do") {
  fake_listing srv;
  srv.items = 100;
  std::vector<std::function<void()>> parked;
  alicloud::fetch_all_options o;
  o.max_concurrency = 3;
  o.executor = [&](std::function<void()> task) { parked.push_back(std::move(task)); };  // never run in time
  auto r = alicloud::fetch_all<ListThings>(srv.fetcher(), ThingReq{}, o);
  REQUIRE(r.ok());
  CHECK(ids(*r) == iota_ids(100));
  const int calls = srv.calls;
  for (auto& t : parked) t();  // run after fetch_all returned: must not fetch
  CHECK(srv.calls == calls);
  CHECK(parked.size() == 2);
}

TEST_CASE("fetch_all: an implausible TotalCount is refused before allocating") {
  alicloud::page_fetcher<ListThings> fetch = [](const ThingReq&) -> alicloud::result<ThingResp> {
    ThingResp r;
    r.TotalCount = std::int64_t{1} << 40;
    r.Items = std::vector<Thing>(20);
    return r;
  };
  auto r = alicloud::fetch_all<ListThings>(fetch, ThingReq{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == alicloud::errc::out_of_range);
  CHECK(r.error().message.find("max_pages") != std::string::npos);
}

TEST_CASE("pagination over the generated ESA DescribePreloadTasks traits") {
  namespace esa = alicloud::esa;
  std::vector<esa::DescribePreloadTasksRequest> seen;
  alicloud::page_fetcher<esa::DescribePreloadTasks> fetch = [&](const esa::DescribePreloadTasksRequest& r) {
    seen.push_back(r);
    esa::DescribePreloadTasksResponse resp;
    resp.TotalCount = 5;
    resp.PageNumber = *r.PageNumber;
    resp.Tasks.emplace();
    for (int i = (*r.PageNumber - 1) * *r.PageSize; i < std::min(*r.PageNumber * *r.PageSize, 5); ++i) {
      esa::DescribePreloadTasksResponseTasksItem t;
      t.TaskId = std::to_string(1000 + i);
      resp.Tasks->push_back(t);
    }
    return alicloud::result<esa::DescribePreloadTasksResponse>(resp);
  };
  esa::DescribePreloadTasksRequest req;
  req.SiteId = 42;
  req.PageSize = 2;
  auto all = alicloud::fetch_all<esa::DescribePreloadTasks>(fetch, req);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 5);
  CHECK(all->at(4).TaskId == "1004");
  for (const auto& r : seen) CHECK(r.SiteId == 42);  // other request members are kept on every page
}
