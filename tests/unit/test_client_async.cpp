// The asynchronous twin and the generated facade with the fake transport: callbacks, use_future,
// where the work runs (calling thread, the handler's executor, the client's executor) and lifetime.

#include <alicloud/esa/client.hpp>

#include <alicloud/core/fake_transport.hpp>

#include "../support/client_fixture.hpp"
#include "../support/signature_check.hpp"

#include <alicloud/esa/waiters.hpp>

#include <doctest/doctest.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

namespace esa = alicloud::esa;
namespace http = alicloud::http;
namespace net = boost::asio;
using alicloud_test::json_response;
using alicloud_test::rig;

namespace {

/// Serves 200 with the request's action in RequestId and records the thread each send ran on.
struct threaded_rig : rig {
  std::mutex m;
  std::vector<std::thread::id> send_threads;

  threaded_rig() {
    transport->set_fallback([this](const http::request& q, const http::request_options&) -> alicloud::result<http::response> {
      {
        std::lock_guard<std::mutex> lock(m);
        send_threads.push_back(std::this_thread::get_id());
      }
      return json_response(200, R"({"RequestId":")" + std::string(q.header("x-acs-action")) + R"("})");
    });
  }
  std::vector<std::thread::id> threads() {
    std::lock_guard<std::mutex> lock(m);
    return send_threads;
  }
};

using get_site_result = alicloud::result<esa::GetSiteResponse>;

}  // namespace

TEST_CASE("the facade has one method per operation with the right types") {
  static_assert(std::is_same_v<decltype(std::declval<const esa::client&>().describe_preload_tasks(
                                   std::declval<const esa::DescribePreloadTasksRequest&>())),
                               alicloud::result<esa::DescribePreloadTasksResponse>>);
  static_assert(std::is_same_v<decltype(std::declval<const esa::client&>().preload_caches(
                                   std::declval<const esa::PreloadCachesRequest&>())),
                               alicloud::result<esa::PreloadCachesResponse>>);
  static_assert(std::is_base_of_v<alicloud::client, esa::client>);
  static_assert(std::is_same_v<decltype(std::declval<const esa::client&>().async_list_sites(esa::ListSitesRequest{},
                                                                                            net::use_future)),
                               std::future<alicloud::result<esa::ListSitesResponse>>>);
  threaded_rig r;
  esa::client c(r.config());
  CHECK(c.describe_preload_tasks({})->RequestId == "DescribePreloadTasks");
  CHECK(c.describe_purge_tasks({})->RequestId == "DescribePurgeTasks");
  CHECK(c.get_site({})->RequestId == "GetSite");
  CHECK(c.list_sites({})->RequestId == "ListSites");
  esa::PreloadCachesRequest p;
  p.SiteId = 1;
  p.Content = std::vector<std::string>{"http://a.example/x"};
  CHECK(c.preload_caches(p)->RequestId == "PreloadCaches");
  esa::PurgeCachesRequest pc;
  pc.SiteId = 1;
  pc.Type = esa::PurgeCachesRequestType::file;
  pc.Content.emplace();
  pc.Content->Files = std::vector<::boost::json::value>{::boost::json::value("http://a.example/x")};
  auto purged = c.purge_caches(pc);
  INFO((purged.ok() ? std::string() : purged.error().to_string()));
  CHECK(purged.ok());
  CHECK(r.transport->last_request()->method == "POST");
}

TEST_CASE("callback without any executor: runs on the calling thread, completes before returning") {
  threaded_rig r;
  esa::client c(r.config());
  std::optional<get_site_result> got;
  std::thread::id handler_thread;
  c.async_get_site({}, [&](get_site_result res) {
    handler_thread = std::this_thread::get_id();
    got.emplace(std::move(res));
  });
  REQUIRE(got);
  REQUIRE(got->ok());
  CHECK((*got)->RequestId == "GetSite");
  CHECK(handler_thread == std::this_thread::get_id());
  CHECK(r.threads() == std::vector<std::thread::id>{std::this_thread::get_id()});
}

TEST_CASE("errors arrive through the handler too") {
  threaded_rig r;
  esa::client c(r.config());
  std::optional<alicloud::result<esa::DescribePreloadTasksResponse>> got;
  esa::DescribePreloadTasksRequest bad;
  bad.PageSize = 0;
  c.async_describe_preload_tasks(bad, [&](auto res) { got.emplace(std::move(res)); });
  REQUIRE(got);
  REQUIRE_FALSE(got->ok());
  CHECK(got->error().code == alicloud::errc::validation_failed);
  CHECK(r.transport->request_count() == 0);
}

TEST_CASE("a handler bound to an io_context: the work runs inside run(), not in async_call") {
  threaded_rig r;
  esa::client c(r.config());
  net::io_context ioc;
  std::optional<get_site_result> got;
  std::thread::id handler_thread;
  c.async_get_site({}, net::bind_executor(ioc, [&](get_site_result res) {
                      handler_thread = std::this_thread::get_id();
                      got.emplace(std::move(res));
                    }));
  CHECK_FALSE(got);
  CHECK(r.transport->request_count() == 0);
  std::thread runner([&] { ioc.run(); });
  const auto runner_id = runner.get_id();
  runner.join();
  REQUIRE(got);
  CHECK(got->ok());
  CHECK(handler_thread == runner_id);
  CHECK(r.threads() == std::vector<std::thread::id>{runner_id});
}

TEST_CASE("the client's executor runs the work; the handler runs on its own executor") {
  threaded_rig r;
  net::thread_pool pool(2);
  esa::client c(r.config(), pool.get_executor());
  CHECK(c.get_executor() == alicloud::client::executor_type(pool.get_executor()));

  SUBCASE("use_future") {
    auto f1 = c.async_list_sites({}, net::use_future);
    auto f2 = c.async_get_site({}, net::use_future);
    auto r1 = f1.get();
    auto r2 = f2.get();
    REQUIRE(r1.ok());
    REQUIRE(r2.ok());
    CHECK(r1->RequestId == "ListSites");
    CHECK(r2->RequestId == "GetSite");
    for (auto id : r.threads()) CHECK(id != std::this_thread::get_id());
  }
  SUBCASE("handler bound to a strand of an io_context: run() waits for the pool's work") {
    net::io_context ioc;
    auto strand = net::make_strand(ioc);
    std::atomic<int> done{0};
    std::thread::id handler_thread;
    for (int i = 0; i < 20; ++i) {
      c.async_get_site({}, net::bind_executor(strand, [&](get_site_result res) {
                         CHECK(res.ok());
                         handler_thread = std::this_thread::get_id();
                         ++done;
                       }));
    }
    // The outstanding work keeps run() from returning before every handler ran.
    ioc.run();
    CHECK(done == 20);
    CHECK(handler_thread == std::this_thread::get_id());
    for (auto id : r.threads()) CHECK(id != std::this_thread::get_id());
  }
  pool.join();
}

TEST_CASE("an operation keeps the client state alive after the client object is gone") {
  threaded_rig r;
  net::thread_pool pool(1);
  std::promise<void> gate;
  auto opened = gate.get_future().share();
  r.transport->push([opened](const http::request&, const http::request_options&) -> alicloud::result<http::response> {
    opened.wait();
    return json_response(200, R"({"RequestId":"late"})");
  });
  std::future<alicloud::result<esa::ListSitesResponse>> f;
  {
    esa::client c(r.config(), pool.get_executor());
    f = c.async_list_sites({}, net::use_future);
  }
  gate.set_value();
  auto res = f.get();
  REQUIRE(res.ok());
  CHECK(res->RequestId == "late");
  pool.join();
}

TEST_CASE("the default transport and credentials are filled in by alicloud::client") {
  alicloud::client_config cfg;
  cfg.region = "cn-hangzhou";
  cfg.env = alicloud::fixed_environment({{"ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenvenvenv1"},
                                         {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret-value"},
                                         {"ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"},
                                         {"ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true"}});
  esa::client c(cfg);
  REQUIRE(c.config().transport);
  CHECK(dynamic_cast<http::beast_transport*>(c.config().transport.get()) != nullptr);
  REQUIRE(c.config().credentials);
  auto creds = c.config().credentials->get();
  REQUIRE(creds.ok());
  CHECK(creds->access_key_id == "LTAIenvenvenv1");
  // Plain http to a non-loopback host is refused before any connection is attempted.
  cfg.endpoint = "http://esa.example.com";
  CHECK_THROWS_AS(esa::client{cfg}, alicloud::exception);
}

TEST_CASE("pagination through the facade: pages, items and fetch_all are signed calls; fetcher feeds a waiter") {
  rig r;
  std::mutex m;
  int bad = 0;
  // 45 preload tasks in pages; with a Content filter, the single task for that URL.
  r.transport->set_fallback([&](const http::request& q, const http::request_options&) -> alicloud::result<http::response> {
    const auto v = alicloud_test::verify_acs3(q.method, q.target, {q.headers.begin(), q.headers.end()}, q.body,
                                              alicloud_test::rig_secret);
    if (!v.ok) {
      std::lock_guard<std::mutex> lock(m);
      ++bad;
    }
    const auto params = *alicloud_test::decode_query(q.target.substr(q.target.find('?') + 1));
    auto get = [&](const std::string& name, const std::string& dflt) {
      for (const auto& [k, val] : params)
        if (k == name) return val;
      return dflt;
    };
    const std::string content = get("Content", "");
    if (!content.empty()) {
      const std::string id = content.back() == 'x' ? "101" : "102";
      return json_response(200, R"({"RequestId":"w","TotalCount":1,"PageNumber":1,"PageSize":20,"Tasks":[{"TaskId":")" + id +
                                    R"(","Content":")" + content + R"(","Status":"Complete","Process":"100%","CreateTime":"2024-05-01 00:00:00"}]})");
    }
    const int page = std::stoi(get("PageNumber", "1")), size = std::stoi(get("PageSize", "20"));
    std::string tasks;
    for (int i = (page - 1) * size; i < std::min(page * size, 45); ++i)
      tasks += (tasks.empty() ? "" : ",") + std::string(R"({"TaskId":")") + std::to_string(i) + R"(","Status":"Complete"})";
    return json_response(200, R"({"RequestId":"p","TotalCount":45,"PageNumber":)" + std::to_string(page) +
                                  R"(,"PageSize":)" + std::to_string(size) + R"(,"Tasks":[)" + tasks + "]}");
  });
  esa::client c(r.config());
  esa::DescribePreloadTasksRequest q;
  q.SiteId = 9;
  q.PageSize = 20;

  auto all = c.describe_preload_tasks_all(q);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 45);
  for (int i = 0; i < 45; ++i) CHECK(all->at(static_cast<std::size_t>(i)).TaskId == std::to_string(i));

  int pages = 0;
  for (auto& page : c.describe_preload_tasks_pages(q)) {
    REQUIRE(page.ok());
    ++pages;
  }
  CHECK(pages == 3);
  int items = 0;
  for (auto& item : c.describe_preload_tasks_items(q)) {
    REQUIRE(item.ok());
    CHECK(item->TaskId == std::to_string(items));
    ++items;
  }
  CHECK(items == 45);
  CHECK(r.transport->request_count() == 9);

  // The waiter of PreloadCaches polls DescribePreloadTasks through the client.
  esa::PreloadCachesRequest created;
  created.SiteId = 9;
  created.Content = std::vector<std::string>{"https://a.example/x", "https://a.example/y"};
  esa::PreloadCachesResponse response;
  response.TaskId = "101,102";
  alicloud::wait_options wo;
  wo.poll_interval = std::chrono::milliseconds(1);
  wo.timeout = std::chrono::seconds(10);
  auto waited = esa::wait_preload_caches(c.fetcher<esa::DescribePreloadTasks>(), created, response, wo);
  INFO((waited.ok() ? std::string() : waited.error().to_string()));
  REQUIRE(waited.ok());
  CHECK(bad == 0);
  CHECK(r.transport->request_count() >= 11);
}
