// Retries attempt by attempt with the manual clock, the recording sleeper and scripted jitter:
// backoff values, server delay hints, idempotency rules, the overall deadline and clock-skew
// correction. Plus the pure helpers of retry.hpp.

#include <alicloud/core/client_core.hpp>
#include <alicloud/core/fake_transport.hpp>
#include <alicloud/core/retry.hpp>
#include <alicloud/esa.hpp>

#include "../support/client_fixture.hpp"
#include "../support/signature_check.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace esa = alicloud::esa;
namespace http = alicloud::http;
using alicloud_test::error_body;
using alicloud_test::json_response;
using alicloud_test::rig;
using ms = std::chrono::milliseconds;
using namespace std::chrono_literals;

namespace {

const char* ok_body = R"({"RequestId":"OK"})";

struct recorded {
  std::vector<int> attempts;
  std::vector<std::optional<ms>> delays;
  std::vector<int> statuses;
  std::vector<bool> skew;
};

void record_into(alicloud::client_config& cfg, recorded& rec) {
  cfg.hooks.on_attempt = [&rec](const alicloud::attempt_event& ev) {
    rec.attempts.push_back(ev.attempt);
    rec.delays.push_back(ev.retry_delay);
    rec.statuses.push_back(ev.response ? ev.response->status : 0);
    rec.skew.push_back(ev.clock_skew_corrected);
  };
}

esa::PreloadCachesRequest preload() {
  esa::PreloadCachesRequest r;
  r.SiteId = 1;
  r.Content = std::vector<std::string>{"http://a.example/1.jpg"};
  return r;
}

}  // namespace

TEST_CASE("5xx then success: full-jitter backoff per attempt, fresh nonce and signature every time") {
  rig r;
  auto cfg = r.config();
  cfg.retry.base_delay = 100ms;
  cfg.retry.max_delay = 20s;
  recorded rec;
  record_into(cfg, rec);
  r.randoms = {1000, 1000};
  r.transport->push(json_response(500, error_body("InternalError")));
  r.transport->push(json_response(503, error_body("ServiceUnavailable")));
  r.transport->push(json_response(200, ok_body));
  alicloud::client_core c(cfg);
  auto res = c.call<esa::ListSites>({});
  REQUIRE(res.ok());
  // cap 100 -> 1000 % 101 = 91; cap 200 -> 1000 % 201 = 196.
  CHECK(r.sleeps == std::vector<ms>{91ms, 196ms});
  CHECK(rec.attempts == std::vector<int>{1, 2, 3});
  CHECK(rec.statuses == std::vector<int>{500, 503, 200});
  REQUIRE(rec.delays.size() == 3);
  CHECK(rec.delays[0] == ms(91));
  CHECK(rec.delays[1] == ms(196));
  CHECK_FALSE(rec.delays[2]);
  const auto reqs = r.transport->requests();
  REQUIRE(reqs.size() == 3);
  std::set<std::string> nonces, auths;
  for (const auto& q : reqs) {
    nonces.insert(std::string(q.header("x-acs-signature-nonce")));
    auths.insert(std::string(q.header("Authorization")));
    const auto v = alicloud_test::verify_acs3(q.method, q.target, {q.headers.begin(), q.headers.end()}, q.body,
                                              alicloud_test::rig_secret);
    CHECK(v.ok);
  }
  CHECK(nonces.size() == 3);
  CHECK(auths.size() == 3);
  CHECK(r.transport->pending() == 0);
}

TEST_CASE("the backoff cap doubles per retry up to max_delay") {
  rig r;
  auto cfg = r.config();
  cfg.retry.max_attempts = 6;
  cfg.retry.base_delay = 100ms;
  cfg.retry.max_delay = 500ms;
  cfg.retry.deadline = 0ms;
  const std::uint64_t big = 1'000'000'007ULL;
  r.randoms = {big, big, big, big, big};
  for (int i = 0; i < 6; ++i) r.transport->push(json_response(500, error_body("InternalError")));
  alicloud::client_core c(cfg);
  auto res = c.call<esa::ListSites>({});
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code == esa::errc::InternalError);
  CHECK(res.error().message.find("after 6 attempts") != std::string::npos);
  std::vector<ms> expected;
  for (std::uint64_t cap : {100u, 200u, 400u, 500u, 500u}) expected.push_back(ms(big % (cap + 1)));
  CHECK(r.sleeps == expected);
  CHECK(r.transport->request_count() == 6);
}

TEST_CASE("throttling: x-acs-retry-after (ms) and Retry-After (seconds or date) replace the jitter") {
  rig r;
  auto cfg = r.config();
  recorded rec;
  record_into(cfg, rec);
  r.randoms = {7, 7, 7};
  r.transport->push(json_response(400, error_body("Throttling.User"), {{"x-acs-retry-after", "1500"}}));
  r.transport->push(json_response(429, R"({"Code":"TooManyRequests","Message":"slow"})", {{"Retry-After", "2"}}));
  // An HTTP date 3 s after the (advanced) manual clock: 2024-05-01T00:00:03.500 + 3 s, whole seconds.
  r.transport->push(json_response(400, error_body("Throttling"), {{"Retry-After", "Wed, 01 May 2024 00:00:07 GMT"}}));
  r.transport->push(json_response(200, ok_body));
  alicloud::client_core c(cfg);
  auto res = c.call<esa::DescribePurgeTasks>({});
  REQUIRE(res.ok());
  // 0 + 1500 ms -> t = 1.5 s; + 2000 ms -> t = 3.5 s; date 7 s - 3.5 s = 3500 ms.
  CHECK(r.sleeps == std::vector<ms>{1500ms, 2000ms, 3500ms});
  CHECK(r.randoms_used.empty());  // server hints, not jitter
  CHECK(r.transport->request_count() == 4);
}

TEST_CASE("a server delay hint is capped at max_server_delay and never outlives the deadline") {
  rig r;
  auto cfg = r.config();
  cfg.retry.max_server_delay = 5s;
  cfg.retry.deadline = 60s;
  r.transport->push(json_response(400, error_body("Throttling"), {{"x-acs-retry-after", "999999"}}));
  r.transport->push(json_response(200, ok_body));
  alicloud::client_core c(cfg);
  REQUIRE(c.call<esa::ListSites>({}).ok());
  CHECK(r.sleeps == std::vector<ms>{5000ms});

  SUBCASE("a hint beyond the deadline ends the call at once") {
    cfg.retry.max_server_delay = 120s;
    alicloud::client_core c2(cfg);
    r.sleeps.clear();
    r.transport->push(json_response(400, error_body("Throttling.User"), {{"Retry-After", "120"}}));
    auto res = c2.call<esa::ListSites>({});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == esa::errc::Throttling_User);
    CHECK(res.error().message.find("retry deadline") != std::string::npos);
    CHECK(r.sleeps.empty());
  }
}

TEST_CASE("what is retried for an idempotent operation, and what is not") {
  rig r;
  auto cfg = r.config();
  alicloud::client_core c(cfg);
  SUBCASE("network failures, even maybe-sent ones") {
    r.transport->push(http::errc::read_failed);
    r.transport->push(http::errc::timeout_after_send);
    r.transport->push(http::errc::connect_failed);
    r.transport->push(json_response(200, ok_body));
    REQUIRE(c.call<esa::GetSite>({}).ok());
    CHECK(r.transport->request_count() == 4);
    // Never a blind transport-level resend: it would repeat the nonce; the client re-signs instead.
    for (const auto& call : r.transport->calls()) CHECK_FALSE(call.options.resend_on_stale_connection);
  }
  SUBCASE("ESA's TooManyRequests (HTTP 400) and a product-table code") {
    r.transport->push(json_response(400, error_body("TooManyRequests")));
    r.transport->push(json_response(200, ok_body));
    REQUIRE(c.call<esa::GetSite>({}).ok());
    CHECK(r.transport->request_count() == 2);
  }
  SUBCASE("extra codes from the policy") {
    auto cfg2 = r.config();
    cfg2.retry.retryable_codes = {"PreloadQueue*"};
    r.transport->push(json_response(400, error_body("PreloadQueueFull")));
    r.transport->push(json_response(200, ok_body));
    REQUIRE(alicloud::client_core(cfg2).call<esa::GetSite>({}).ok());
    CHECK(r.transport->request_count() == 2);
  }
  SUBCASE("HTTP 429 without a known code") {
    r.transport->push(429, "");
    r.transport->push(json_response(200, ok_body));
    REQUIRE(c.call<esa::GetSite>({}).ok());
    CHECK(r.transport->request_count() == 2);
  }
  SUBCASE("client errors are final") {
    r.transport->push(json_response(400, error_body("InvalidParameter")));
    auto res = c.call<esa::GetSite>({});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == esa::errc::InvalidParameter);
    CHECK(res.error().message == "failed");  // no "after N attempts" for a single attempt
    CHECK(r.transport->request_count() == 1);
    CHECK(r.sleeps.empty());
  }
  SUBCASE("undecodable success bodies are final") {
    r.transport->push(json_response(200, "not json"));
    REQUIRE_FALSE(c.call<esa::GetSite>({}).ok());
    CHECK(r.transport->request_count() == 1);
  }
  SUBCASE("max_attempts bounds the sends") {
    for (int i = 0; i < 10; ++i) r.transport->push(http::errc::connect_failed);
    auto res = c.call<esa::GetSite>({});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == http::errc::connect_failed);
    CHECK(r.transport->request_count() == 4);
    CHECK(r.sleeps.size() == 3);
  }
  SUBCASE("no_retries()") {
    auto cfg2 = r.config();
    cfg2.retry = alicloud::retry_policy::no_retries();
    r.transport->push(json_response(503, error_body("ServiceUnavailable")));
    REQUIRE_FALSE(alicloud::client_core(cfg2).call<esa::GetSite>({}).ok());
    CHECK(r.transport->request_count() == 1);
  }
}

TEST_CASE("non-idempotent PreloadCaches is retried only when the request provably never left") {
  rig r;
  auto cfg = r.config();
  alicloud::client_core c(cfg);
  SUBCASE("maybe sent: read failure after writing") {
    r.transport->push(http::errc::read_failed, "connection reset after the request was written");
    auto res = c.call<esa::PreloadCaches>(preload());
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == http::errc::read_failed);
    CHECK(r.transport->request_count() == 1);
    CHECK(r.sleeps.empty());
  }
  SUBCASE("maybe sent: timeout after send") {
    r.transport->push(http::errc::timeout_after_send);
    REQUIRE_FALSE(c.call<esa::PreloadCaches>(preload()).ok());
    CHECK(r.transport->request_count() == 1);
  }
  SUBCASE("never sent: connect_failed, then success") {
    r.transport->push(http::errc::connect_failed);
    r.transport->push(http::errc::tls_handshake_failed);
    r.transport->push(json_response(200, R"({"RequestId":"P","PreloadTaskId":"t-1"})"));
    auto res = c.call<esa::PreloadCaches>(preload());
    REQUIRE(res.ok());
    CHECK(r.transport->request_count() == 3);
    CHECK(r.sleeps.size() == 2);
  }
  SUBCASE("5xx: maybe executed, not retried") {
    r.transport->push(json_response(500, error_body("InternalError")));
    REQUIRE_FALSE(c.call<esa::PreloadCaches>(preload()).ok());
    CHECK(r.transport->request_count() == 1);
  }
  SUBCASE("throttled: not retried by default, retried when the policy allows") {
    r.transport->push(json_response(400, error_body("TooManyRequests")));
    REQUIRE_FALSE(c.call<esa::PreloadCaches>(preload()).ok());
    CHECK(r.transport->request_count() == 1);
    auto cfg2 = r.config();
    cfg2.retry.retry_throttled_non_idempotent = true;
    r.transport->push(json_response(400, error_body("TooManyRequests")));
    r.transport->push(json_response(200, ok_body));
    REQUIRE(alicloud::client_core(cfg2).call<esa::PreloadCaches>(preload()).ok());
    CHECK(r.transport->request_count() == 3);
  }
  // The transport must not resend a non-idempotent request on a stale keep-alive connection either.
  for (const auto& call : r.transport->calls()) CHECK_FALSE(call.options.resend_on_stale_connection);
}

TEST_CASE("the overall deadline bounds attempts, waits and each attempt's transport timeout") {
  rig r;
  auto cfg = r.config();
  cfg.retry.deadline = 1000ms;
  cfg.retry.base_delay = 200ms;
  cfg.request_options.total_timeout = 30s;
  r.randoms = {150, 150, 150};
  // Every attempt takes 400 ms of (manual) time and fails with 503.
  for (int i = 0; i < 4; ++i) {
    r.transport->push([&r](const http::request&, const http::request_options&) -> alicloud::result<http::response> {
      r.clk.advance(400ms);
      return json_response(503, error_body("ServiceUnavailable"));
    });
  }
  alicloud::client_core c(cfg);
  auto res = c.call<esa::ListSites>({});
  REQUIRE_FALSE(res.ok());
  // t=0 send (400) -> t=400, wait 150 -> t=550, send: 450 ms left (400) -> t=950, a 150 ms wait would end at
  // 1100 >= 1000: give up.
  CHECK(r.transport->request_count() == 2);
  CHECK(r.sleeps == std::vector<ms>{150ms});
  const auto calls = r.transport->calls();
  CHECK(calls[0].options.total_timeout == 1000ms);
  CHECK(calls[1].options.total_timeout == 450ms);
  CHECK(res.error().message.find("retry deadline") != std::string::npos);
  CHECK(res.error().code == esa::errc::ServiceUnavailable);
}

TEST_CASE("clock skew: a time error with a far server Date is corrected once and resent at once") {
  rig r;
  auto cfg = r.config();
  recorded rec;
  record_into(cfg, rec);
  // The server is 10 minutes ahead of the client.
  const char* server_date = "Wed, 01 May 2024 00:10:00 GMT";
  r.transport->push(json_response(400, error_body("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."),
                                  {{"Date", server_date}}));
  r.transport->push(json_response(200, ok_body));
  alicloud::client_core c(cfg);
  REQUIRE(c.call<esa::ListSites>({}).ok());
  const auto reqs = r.transport->requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].header("x-acs-date") == "2024-05-01T00:00:00Z");
  CHECK(reqs[1].header("x-acs-date") == "2024-05-01T00:10:00Z");
  CHECK(reqs[0].header("x-acs-signature-nonce") != reqs[1].header("x-acs-signature-nonce"));
  CHECK(r.sleeps.empty());
  CHECK(c.clock_offset() == ms(600000));
  CHECK(rec.skew == std::vector<bool>{true, false});
  REQUIRE(rec.delays.size() == 2);
  CHECK(rec.delays[0] == ms(0));

  SUBCASE("the offset sticks for later calls, and copies share it") {
    alicloud::client_core copy = c;
    r.transport->push(json_response(200, ok_body));
    REQUIRE(copy.call<esa::ListSites>({}).ok());
    CHECK(r.transport->last_request()->header("x-acs-date") == "2024-05-01T00:10:00Z");
  }
  SUBCASE("validation rules use the corrected clock too") {
    esa::DescribePreloadTasksRequest q;
    // Within 3 days of the client's own clock, but 3 days and 5 minutes before the server's.
    q.StartTime = alicloud::utc_time(alicloud_test::rig_epoch() - std::chrono::hours(72) + 5min);
    q.EndTime = alicloud::utc_time(alicloud_test::rig_epoch());
    const auto before = r.transport->request_count();
    auto res = c.call<esa::DescribePreloadTasks>(q);
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == alicloud::errc::validation_failed);
    CHECK(res.error().violations.at(0).field == "StartTime");
    CHECK(r.transport->request_count() == before);
  }
}

TEST_CASE("clock skew correction: only once, only with a real skew, even for non-idempotent calls") {
  rig r;
  auto cfg = r.config();
  SUBCASE("a second time error is returned") {
    for (int i = 0; i < 2; ++i)
      r.transport->push(json_response(400, error_body("InvalidTimeStamp.Expired"), {{"Date", "Tue, 30 Apr 2024 23:50:00 GMT"}}));
    auto res = alicloud::client_core(cfg).call<esa::ListSites>({});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == esa::errc::InvalidTimeStamp_Expired);
    CHECK(r.transport->request_count() == 2);
  }
  SUBCASE("SignatureDoesNotMatch with an in-sync Date is a real signature problem") {
    r.transport->push(json_response(400, error_body("SignatureDoesNotMatch"), {{"Date", "Wed, 01 May 2024 00:00:02 GMT"}}));
    auto res = alicloud::client_core(cfg).call<esa::ListSites>({});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == esa::errc::SignatureDoesNotMatch);
    CHECK(r.transport->request_count() == 1);
  }
  SUBCASE("without a Date header nothing can be corrected") {
    r.transport->push(json_response(400, error_body("InvalidTimeStamp.Expired")));
    REQUIRE_FALSE(alicloud::client_core(cfg).call<esa::ListSites>({}).ok());
    CHECK(r.transport->request_count() == 1);
  }
  SUBCASE("non-idempotent, with retries disabled: the rejected request was not executed, so resend") {
    cfg.retry = alicloud::retry_policy::no_retries();
    r.transport->push(json_response(400, error_body("SignatureDoesNotMatch"), {{"Date", "Wed, 01 May 2024 01:00:00 GMT"}}));
    r.transport->push(json_response(200, ok_body));
    alicloud::client_core c(cfg);
    REQUIRE(c.call<esa::PreloadCaches>(preload()).ok());
    CHECK(r.transport->request_count() == 2);
    CHECK(c.clock_offset() == ms(3600000));
  }
  SUBCASE("disabled by the policy") {
    cfg.retry.correct_clock_skew = false;
    r.transport->push(json_response(400, error_body("InvalidTimeStamp.Expired"), {{"Date", "Wed, 01 May 2024 01:00:00 GMT"}}));
    REQUIRE_FALSE(alicloud::client_core(cfg).call<esa::ListSites>({}).ok());
    CHECK(r.transport->request_count() == 1);
  }
}

TEST_CASE("retry helpers") {
  SUBCASE("full_jitter_backoff") {
    alicloud::retry_policy p;
    p.base_delay = 100ms;
    p.max_delay = 1000ms;
    CHECK(alicloud::full_jitter_backoff(p, 1, 0) == 0ms);
    CHECK(alicloud::full_jitter_backoff(p, 1, 100) == 100ms);
    CHECK(alicloud::full_jitter_backoff(p, 1, 101) == 0ms);
    CHECK(alicloud::full_jitter_backoff(p, 3, 400) == 400ms);
    CHECK(alicloud::full_jitter_backoff(p, 60, ~0ULL) <= 1000ms);  // no overflow for large retry numbers
    CHECK(alicloud::full_jitter_backoff(p, 60, 1000) == 1000ms);
  }
  SUBCASE("seeded_random is reproducible") {
    auto a = alicloud::seeded_random(42), b = alicloud::seeded_random(42), c = alicloud::seeded_random(43);
    const auto a1 = a(), a2 = a();
    CHECK(a1 == b());
    CHECK(a2 == b());
    CHECK(a1 != c());
    CHECK(a1 != a2);
  }
  SUBCASE("parse_http_date") {
    const auto t = alicloud::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
    REQUIRE(t);
    CHECK(alicloud::format_utc_timestamp(*t) == "1994-11-06T08:49:37Z");
    CHECK(alicloud::parse_http_date(" Thu, 29 Feb 2024 23:59:59 GMT ").has_value());
    for (const char* bad : {"", "Sun, 06 Nov 1994 08:49:37 UTC", "Sunday, 06-Nov-94 08:49:37 GMT",
                            "Sun Nov  6 08:49:37 1994", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                            "Sun, 06 Nov 1994 25:49:37 GMT", "Thu, 29 Feb 2023 00:00:00 GMT"})
      CHECK_MESSAGE(!alicloud::parse_http_date(bad), bad);
  }
  SUBCASE("retry_after_hint") {
    const auto now = alicloud_test::rig_epoch();
    http::response res;
    CHECK_FALSE(alicloud::retry_after_hint(res, now));
    res.headers = {{"Retry-After", "3"}};
    CHECK(alicloud::retry_after_hint(res, now) == ms(3000));
    res.headers = {{"retry-after", "Wed, 01 May 2024 00:00:05 GMT"}};
    CHECK(alicloud::retry_after_hint(res, now) == ms(5000));
    res.headers = {{"Retry-After", "Tue, 30 Apr 2024 00:00:05 GMT"}};
    CHECK(alicloud::retry_after_hint(res, now) == ms(0));
    res.headers = {{"Retry-After", "3"}, {"X-Acs-Retry-After", " 250 "}};
    CHECK(alicloud::retry_after_hint(res, now) == ms(250));
    res.headers = {{"x-acs-retry-after", "0"}, {"Retry-After", "1"}};
    CHECK(alicloud::retry_after_hint(res, now) == ms(1000));
    res.headers = {{"x-acs-retry-after", "-5"}};
    CHECK_FALSE(alicloud::retry_after_hint(res, now));
    res.headers = {{"Retry-After", "soon"}};
    CHECK_FALSE(alicloud::retry_after_hint(res, now));
  }
  SUBCASE("classify_failure") {
    alicloud::retry_policy p;
    const std::array<std::string_view, 2> codes{{"TooManyRequests", "Throttling*"}};
    alicloud::error e = http::make_error(http::errc::write_failed, "x");
    CHECK(alicloud::classify_failure(e, codes, p) == alicloud::failure_kind::network);
    CHECK(alicloud::retry_allowed(alicloud::failure_kind::network, e, false, p) == false);
    e = http::make_error(http::errc::resolve_failed, "x");
    CHECK(alicloud::retry_allowed(alicloud::failure_kind::network, e, false, p) == true);
    e = alicloud::error(alicloud::make_error_code(alicloud::errc::credentials), "x");
    CHECK(alicloud::classify_failure(e, codes, p) == alicloud::failure_kind::permanent);
    e = alicloud::error(alicloud::make_error_code(alicloud::errc::service), "x");
    e.http_status = 400;
    e.service_code = "Throttling.Api";
    CHECK(alicloud::classify_failure(e, codes, p) == alicloud::failure_kind::throttled);
    e.service_code = "ThrottlingX";  // prefix match, as the product table says
    CHECK(alicloud::classify_failure(e, codes, p) == alicloud::failure_kind::throttled);
    e.service_code = "InvalidParameter";
    CHECK(alicloud::classify_failure(e, codes, p) == alicloud::failure_kind::permanent);
    e.http_status = 502;
    CHECK(alicloud::classify_failure(e, codes, p) == alicloud::failure_kind::server_error);
  }
}

TEST_CASE("a wait that overruns the deadline ends the call with the last failure") {
  rig r;
  auto cfg = r.config();
  cfg.retry.deadline = 1000ms;
  r.randoms = {100};
  // A sleeper that oversleeps by two seconds, as a loaded machine might.
  cfg.sleeper = [&r](ms d) { r.clk.advance(d + 2s); };
  r.transport->push(json_response(503, error_body("ServiceUnavailable", "busy")));
  auto res = alicloud::client_core(cfg).call<esa::ListSites>({});
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code == esa::errc::ServiceUnavailable);
  CHECK(res.error().message == "busy (retry deadline reached after 1 attempt)");
  CHECK(r.transport->request_count() == 1);
}
