// The asynchronous twin with C++20 coroutines (use_awaitable). Built as C++20 (tests/client.cmake);
// the body compiles to nothing in a C++17 build.

#include <doctest/doctest.h>

#if __cplusplus >= 202002L && defined(__cpp_impl_coroutine)

#include <alicloud/esa/client.hpp>

#include <alicloud/core/fake_transport.hpp>

#include "../support/client_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

namespace esa = alicloud::esa;
namespace http = alicloud::http;
namespace net = boost::asio;
using alicloud_test::json_response;

namespace {

struct counting_rig : alicloud_test::rig {
  std::mutex m;
  std::set<std::thread::id> threads;
  counting_rig() {
    transport->set_fallback([this](const http::request& q, const http::request_options&) -> alicloud::result<http::response> {
      {
        std::lock_guard<std::mutex> lock(m);
        threads.insert(std::this_thread::get_id());
      }
      if (q.target == "/?SiteId=13") return json_response(404, alicloud_test::error_body("InvalidParameter"));
      return json_response(200, R"({"RequestId":")" + std::string(q.header("x-acs-action")) + R"("})");
    });
  }
};

}  // namespace

TEST_CASE("co_await on a pool-backed client: 50 coroutines x 10 calls, results and errors without exceptions") {
  counting_rig r;
  auto cfg = r.config();
  cfg.retry = alicloud::retry_policy::no_retries();
  net::thread_pool pool(4);
  esa::client c(cfg, pool.get_executor());
  net::io_context ioc;
  std::atomic<int> ok{0}, service_errors{0}, other{0};
  for (int k = 0; k < 50; ++k) {
    net::co_spawn(
        ioc,
        [&, k]() -> net::awaitable<void> {
          for (int i = 0; i < 10; ++i) {
            esa::GetSiteRequest q;
            q.SiteId = k * 10 + i;
            alicloud::result<esa::GetSiteResponse> res = co_await c.async_get_site(q, net::use_awaitable);
            if (res.ok() && res->RequestId == "GetSite")
              ++ok;
            else if (!res.ok() && res.error().code == esa::errc::InvalidParameter)
              ++service_errors;
            else
              ++other;
          }
        },
        net::detached);
  }
  const auto main_id = std::this_thread::get_id();
  ioc.run();
  CHECK(ok == 499);
  CHECK(service_errors == 1);  // SiteId 13
  CHECK(other == 0);
  CHECK(r.threads.count(main_id) == 0);  // the blocking work stayed on the pool
  pool.join();
}

TEST_CASE("co_await without a client executor runs the call on the coroutine's executor") {
  counting_rig r;
  esa::client c(r.config());
  net::io_context ioc;
  std::optional<alicloud::result<esa::ListSitesResponse>> got;
  net::co_spawn(
      ioc, [&]() -> net::awaitable<void> { got.emplace(co_await c.async_list_sites({}, net::use_awaitable)); },
      net::detached);
  CHECK(r.transport->request_count() == 0);
  ioc.run();
  REQUIRE(got);
  REQUIRE(got->ok());
  CHECK((*got)->RequestId == "ListSites");
  CHECK(r.threads == std::set<std::thread::id>{std::this_thread::get_id()});
}

#else

TEST_CASE("use_awaitable needs C++20 coroutines") { MESSAGE("built without C++20 coroutines; skipped"); }

#endif
