// The generic client engine against the fake transport: request shape and signature, validation,
// error mapping, endpoint resolution, user agent, hooks and redaction. Retries are in
// test_client_retry.cpp, the asynchronous twin in test_client_async.cpp, real TLS in test_client_tls.cpp.

#include <alicloud/core/client_core.hpp>
#include <alicloud/core/fake_transport.hpp>
#include <alicloud/esa.hpp>

#include "../support/client_fixture.hpp"
#include "../support/signature_check.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace esa = alicloud::esa;
namespace http = alicloud::http;
using alicloud_test::error_body;
using alicloud_test::json_response;
using alicloud_test::rig;

// A hand-written operation with a form body and a header parameter (ESA puts everything in the
// query), to check what the generated traits of other products would drive.
namespace demo {

enum class errc { Busy = 1 };

struct product {
  using errc = demo::errc;
  static constexpr std::string_view code{"Demo"};
  static constexpr std::array<alicloud::endpoint_entry, 1> endpoints{{{"xx-test-1", "demo.special.example.com"}}};
  static constexpr std::array<std::string_view, 1> retryable_errors{{"Busy*"}};
  static std::optional<errc> errc_from_code(std::string_view c) noexcept {
    if (c == "Busy") return errc::Busy;
    return std::nullopt;
  }
};

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "demo"; }
  std::string message(int) const override { return "busy"; }
};
inline std::error_code make_error_code(errc e) {
  static const category_impl c;
  return {static_cast<int>(e), c};
}

struct PutThingRequest {
  std::optional<std::string> Name;
  std::optional<std::vector<std::string>> Tags;
  std::optional<std::string> Trace;
};
BOOST_DESCRIBE_STRUCT(PutThingRequest, (), (Name, Tags, Trace))

struct PutThingResponse {
  std::optional<std::string> RequestId;
  std::optional<std::int64_t> Id;
};
BOOST_DESCRIBE_STRUCT(PutThingResponse, (), (RequestId, Id))

struct PutThing {
  using request_type = PutThingRequest;
  using response_type = PutThingResponse;
  using product_type = product;
  static constexpr std::string_view action{"PutThing"};
  static constexpr std::string_view version{"2030-01-01"};
  static constexpr std::string_view pathname{"/"};
  static constexpr alicloud::http_method method = alicloud::http_method::post;
  static constexpr bool idempotent = false;
  static constexpr std::array<alicloud::param_info, 3> parameters{{
      {"Name", "Name", alicloud::param_in::query, alicloud::param_style::none},
      {"Tags", "Tags", alicloud::param_in::form_data, alicloud::param_style::repeat_list},
      {"Trace", "x-acs-demo-trace", alicloud::param_in::header, alicloud::param_style::none},
  }};
  static std::vector<alicloud::violation> validate(const request_type& r, const alicloud::clock&) {
    std::vector<alicloud::violation> v;
    if (!r.Name) v.push_back({"Name", "required", "Name: required parameter is missing", ""});
    return v;
  }
};

}  // namespace demo

// A product without an error table. Outside an anonymous namespace: its members are read only through
// templates, which clang's -Wunused-const-variable does not see.
struct bare_product {
  static constexpr std::string_view code{"esa"};
  static constexpr std::array<alicloud::endpoint_entry, 0> endpoints{};
  static constexpr std::array<std::string_view, 0> retryable_errors{};
};

template <>
struct std::is_error_code_enum<demo::errc> : std::true_type {};

namespace {

alicloud_test::header_pairs pairs(const http::header_list& h) { return alicloud_test::header_pairs(h.begin(), h.end()); }

void check_signed(const http::request& r, const char* secret = alicloud_test::rig_secret) {
  const auto v = alicloud_test::verify_acs3(r.method, r.target, pairs(r.headers), r.body, secret);
  INFO(v.why);
  CHECK(v.ok);
}

esa::DescribePreloadTasksRequest preload_query() {
  esa::DescribePreloadTasksRequest q;
  q.SiteId = 123456789;
  q.PageSize = 20;
  q.Status = esa::DescribePreloadTasksRequestStatus::Complete;
  q.Content = "http://a.com/1.jpg?b=2&c=d e";
  return q;
}

std::string project_version() {
  std::ifstream in(std::string(ALICLOUD_TEST_SOURCE_DIR) + "/CMakeLists.txt");
  std::stringstream ss;
  ss << in.rdbuf();
  std::smatch m;
  const std::string text = ss.str();
  REQUIRE(std::regex_search(text, m, std::regex(R"(project\(alicloud-cpp VERSION ([0-9.]+))")));
  return m[1];
}

}  // namespace

TEST_CASE("GET operation: query in the target, signed ACS3 headers, nothing in the body") {
  rig r;
  r.transport->push(json_response(200, R"({"RequestId":"R-1","PageNumber":1,"PageSize":20,"TotalCount":1,
      "Tasks":[{"TaskId":"1597854579687428","Content":"http://a.com/1.jpg","Status":"Complete","Process":"100%"}]})"));
  alicloud::client_core c(r.config());
  auto res = c.call<esa::DescribePreloadTasks>(preload_query());
  REQUIRE(res.ok());
  CHECK(res->RequestId == "R-1");
  REQUIRE(res->Tasks);
  CHECK(res->Tasks->at(0).TaskId == "1597854579687428");
  CHECK(res->Tasks->at(0).Status == esa::DescribePreloadTasksResponseTasksItemStatus::Complete);

  REQUIRE(r.transport->request_count() == 1);
  const auto q = *r.transport->last_request();
  CHECK(q.method == "GET");
  CHECK(q.scheme == "https");
  CHECK(q.host == "esa.cn-hangzhou.aliyuncs.com");
  CHECK(q.port == 0);
  // Canonical (sorted, RFC 3986) query sent verbatim: what the server decodes is what was signed.
  CHECK(q.target ==
        "/?Content=http%3A%2F%2Fa.com%2F1.jpg%3Fb%3D2%26c%3Dd%20e&PageSize=20&SiteId=123456789&Status=Complete");
  CHECK(q.body.empty());
  CHECK(q.header("Host") == "esa.cn-hangzhou.aliyuncs.com");
  CHECK(q.header("x-acs-action") == "DescribePreloadTasks");
  CHECK(q.header("x-acs-version") == "2024-09-10");
  CHECK(q.header("x-acs-date") == "2024-05-01T00:00:00Z");
  CHECK(q.header("x-acs-content-sha256") == alicloud::empty_payload_sha256);
  CHECK(q.header("x-acs-signature-nonce").size() == 32);
  CHECK(q.header("Accept") == "application/json");
  CHECK(q.header("content-type").empty());
  CHECK(q.header("x-acs-security-token").empty());
  CHECK(q.header("Authorization").find("Credential=LTAI5tTestKeyId0001,") != std::string_view::npos);
  check_signed(q);
  // The signature really depends on the secret.
  CHECK_FALSE(alicloud_test::verify_acs3(q.method, q.target, pairs(q.headers), q.body, "another-secret").ok);
}

TEST_CASE("form_data parameters travel in a form body, header parameters as signed headers") {
  rig r;
  r.transport->push(json_response(200, R"({"RequestId":"R-2","Id":42})"));
  alicloud::client_config cfg = r.config();
  cfg.region = "xx-test-1";
  alicloud::client_core c(cfg);
  demo::PutThingRequest req;
  req.Name = "thing one";
  req.Tags = std::vector<std::string>{"a", "b c&d"};
  req.Trace = "trace-7";
  auto res = c.call<demo::PutThing>(req);
  REQUIRE(res.ok());
  CHECK(*res->Id == 42);
  const auto q = *r.transport->last_request();
  CHECK(q.method == "POST");
  CHECK(q.host == "demo.special.example.com");
  CHECK(q.target == "/?Name=thing%20one");
  CHECK(q.body == "Tags.1=a&Tags.2=b%20c%26d");
  CHECK(q.header("content-type") == "application/x-www-form-urlencoded");
  CHECK(q.header("x-acs-demo-trace") == "trace-7");
  CHECK(q.header("x-acs-content-sha256") == alicloud::crypto::sha256_hex(q.body));
  const auto auth = std::string(q.header("Authorization"));
  CHECK(auth.find("SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-demo-trace;"
                  "x-acs-signature-nonce;x-acs-version,") != std::string::npos);
  check_signed(q);
}

TEST_CASE("STS credentials add the security token and access key id headers, signed") {
  rig r;
  r.transport->push(json_response(200, R"({"RequestId":"R-3"})"));
  alicloud::client_core c(r.config(/*sts=*/true));
  REQUIRE(c.call<esa::ListSites>({}).ok());
  const auto q = *r.transport->last_request();
  CHECK(q.header("x-acs-security-token") == alicloud_test::rig_token);
  CHECK(q.header("x-acs-accesskey-id") == alicloud_test::rig_key_id);
  check_signed(q);
}

TEST_CASE("validation failures stop the call before anything is sent") {
  rig r;
  alicloud::client_core c(r.config());
  SUBCASE("range") {
    esa::DescribePreloadTasksRequest q;
    q.PageSize = 500;
    auto res = c.call<esa::DescribePreloadTasks>(q);
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == alicloud::errc::validation_failed);
    REQUIRE(res.error().violations.size() == 1);
    CHECK(res.error().violations[0].field == "PageSize");
    CHECK(res.error().violations[0].rule == "range");
    CHECK(res.error().message.find("DescribePreloadTasks") != std::string::npos);
    CHECK(res.error().to_string().find("PageSize") != std::string::npos);
  }
  SUBCASE("the 3-day rule is judged on the client clock") {
    esa::DescribePreloadTasksRequest q;
    q.StartTime = alicloud::utc_time(alicloud_test::rig_epoch() - std::chrono::hours(24 * 4));
    q.EndTime = alicloud::utc_time(alicloud_test::rig_epoch() - std::chrono::hours(24));
    auto res = c.call<esa::DescribePreloadTasks>(q);
    REQUIRE_FALSE(res.ok());
    REQUIRE(res.error().violations.size() == 1);
    CHECK(res.error().violations[0].field == "StartTime");
    CHECK(res.error().violations[0].code == "InvalidTime");
    // Two days later on the same clock the same window is fine... for EndTime only.
    q.StartTime = alicloud::utc_time(alicloud_test::rig_epoch() - std::chrono::hours(24 * 2));
    r.transport->push(json_response(200, R"({"RequestId":"R"})"));
    CHECK(c.call<esa::DescribePreloadTasks>(q).ok());
    CHECK(r.transport->request_count() == 1);
    return;
  }
  SUBCASE("hand-written traits") {
    auto res = c.call<demo::PutThing>({});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == alicloud::errc::validation_failed);
    CHECK(res.error().violations.at(0).field == "Name");
  }
  CHECK(r.transport->request_count() == 0);
}

TEST_CASE("Alibaba error bodies map to the product errc, unknown codes to errc::service") {
  rig r;
  alicloud::client_config cfg = r.config();
  cfg.retry = alicloud::retry_policy::no_retries();
  alicloud::client_core c(cfg);

  SUBCASE("declared code, every field kept") {
    r.transport->push(json_response(400, R"({"RequestId":"6C6B99AC-39EC-5350-874C-204128C905E6","HostId":"esa.cn-hangzhou.aliyuncs.com",
      "Code":"InvalidTime","Message":"The query time cannot exceed the last 3 days.",
      "Recommend":"https://api.aliyun.com/troubleshoot?q=InvalidTime&product=ESA",
      "AccessDeniedDetail":{"PolicyType":"AccountLevelIdentityBasedPolicy","AuthAction":"esa:DescribePreloadTasks"}})"));
    auto res = c.call<esa::DescribePreloadTasks>({});
    REQUIRE_FALSE(res.ok());
    const auto& e = res.error();
    CHECK(e.code == esa::errc::InvalidTime);
    CHECK(e.code.category() == esa::error_category());
    CHECK(e.service_code == "InvalidTime");
    CHECK(e.http_status == 400);
    CHECK(e.message == "The query time cannot exceed the last 3 days.");
    CHECK(e.request_id == "6C6B99AC-39EC-5350-874C-204128C905E6");
    CHECK(e.host_id == "esa.cn-hangzhou.aliyuncs.com");
    CHECK(e.recommend == "https://api.aliyun.com/troubleshoot?q=InvalidTime&product=ESA");
    CHECK(e.access_denied_detail ==
          R"({"PolicyType":"AccountLevelIdentityBasedPolicy","AuthAction":"esa:DescribePreloadTasks"})");
    CHECK(e.to_string().find("InvalidTime: The query time") == 0);
  }
  SUBCASE("lower-case keys") {
    r.transport->push(json_response(403, R"({"requestId":"r-9","code":"Forbidden.RAM","message":"denied",
      "hostId":"h","recommend":"u","accessDeniedDetail":{"x":1}})"));
    auto res = c.call<esa::GetSite>({});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == esa::errc::Forbidden_RAM);
    CHECK(res.error().request_id == "r-9");
    CHECK(res.error().message == "denied");
    CHECK(res.error().host_id == "h");
    CHECK(res.error().recommend == "u");
    CHECK(res.error().access_denied_detail == R"({"x":1})");
  }
  SUBCASE("unknown code") {
    r.transport->push(json_response(400, error_body("Some.NewCode", "new")));
    auto res = c.call<esa::GetSite>({});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == alicloud::errc::service);
    CHECK(res.error().service_code == "Some.NewCode");
    CHECK(res.error().http_status == 400);
  }
  SUBCASE("non-JSON error body") {
    r.transport->push(502, "<html>Bad Gateway</html>", {{"x-acs-request-id", "HDR-ID"}});
    auto res = c.call<esa::GetSite>({});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == alicloud::errc::service);
    CHECK(res.error().http_status == 502);
    CHECK(res.error().request_id == "HDR-ID");
    CHECK(res.error().message.find("HTTP 502") != std::string::npos);
    CHECK(res.error().message.find("not a JSON object") != std::string::npos);
  }
  SUBCASE("a product without errc_from_code: service codes stay errc::service") {
    http::response res;
    res.status = 400;
    res.body = error_body("InvalidTime");
    CHECK(alicloud::service_error<bare_product>(res, "X").code == alicloud::errc::service);
    CHECK(alicloud::service_error<esa::product>(res, "X").code == esa::errc::InvalidTime);
    CHECK(alicloud::service_error<demo::product>(res, "X").code == alicloud::errc::service);
    res.body = error_body("Busy");
    CHECK(alicloud::service_error<demo::product>(res, "X").code == demo::errc::Busy);
    return;
  }
  SUBCASE("malformed JSON in a 2xx response") {
    r.transport->push(json_response(200, R"({"RequestId":"R",)"));
    auto res = c.call<esa::GetSite>({});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == alicloud::errc::json_parse);
    CHECK(res.error().http_status == 200);
    CHECK(res.error().message.find("GetSite: cannot decode the response") == 0);
  }
  SUBCASE("type mismatch in a 2xx response") {
    r.transport->push(json_response(200, R"({"RequestId":"R","TotalCount":"many"})", {{"x-acs-request-id", "HDR-2"}}));
    auto res = c.call<esa::DescribePreloadTasks>({});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == alicloud::errc::type_mismatch);
    CHECK(res.error().http_status == 200);
    CHECK(res.error().request_id == "HDR-2");
    CHECK(res.error().message.find("TotalCount") != std::string::npos);
  }
  SUBCASE("transport errors keep their alicloud.http code") {
    r.transport->push(http::errc::tls_handshake_failed, "TLS handshake with 1.2.3.4:443 failed");
    auto res = c.call<esa::GetSite>({});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == http::errc::tls_handshake_failed);
    CHECK(res.error().http_status == 0);
  }
  CHECK(r.transport->request_count() == 1);
}

TEST_CASE("call_or_throw and result::value() throw alicloud::exception with the error") {
  rig r;
  alicloud::client_config cfg = r.config();
  cfg.retry = alicloud::retry_policy::no_retries();
  alicloud::client_core c(cfg);
  r.transport->push(json_response(400, error_body("InvalidParameter", "bad", "RID-7")));
  try {
    (void)c.call_or_throw<esa::GetSite>({});
    FAIL("no exception");
  } catch (const alicloud::exception& e) {
    CHECK(e.code() == esa::errc::InvalidParameter);
    CHECK(e.error().request_id == "RID-7");
    CHECK(std::string(e.what()).find("RequestId=RID-7") != std::string::npos);
  }
  r.transport->push(json_response(200, R"({"RequestId":"ok"})"));
  CHECK(c.call_or_throw<esa::GetSite>({}).RequestId == "ok");
}

TEST_CASE("endpoint resolution: explicit endpoint, then the product table, then the pattern") {
  rig r;
  r.transport->set_fallback([](const http::request&, const http::request_options&) -> alicloud::result<http::response> {
    return json_response(200, R"({"RequestId":"x"})");
  });
  auto host_of = [&](alicloud::client_config cfg) {
    alicloud::client_core c(std::move(cfg));
    auto res = c.call<esa::ListSites>({});
    REQUIRE(res.ok());
    const auto q = *r.transport->last_request();
    check_signed(q);
    return q.scheme + "://" + q.host + ":" + std::to_string(q.port) + " Host=" + std::string(q.header("Host"));
  };
  auto cfg = r.config();
  cfg.region = "ap-southeast-1";
  CHECK(host_of(cfg) == "https://esa.ap-southeast-1.aliyuncs.com:0 Host=esa.ap-southeast-1.aliyuncs.com");
  cfg.region = "eu-central-1";
  CHECK(host_of(cfg) == "https://esa.eu-central-1.aliyuncs.com:0 Host=esa.eu-central-1.aliyuncs.com");
  cfg.endpoint = "https://127.0.0.1:8443";
  CHECK(host_of(cfg) == "https://127.0.0.1:8443 Host=127.0.0.1:8443");
  cfg.endpoint = "esa.example.net";
  CHECK(host_of(cfg) == "https://esa.example.net:0 Host=esa.example.net");
  cfg.endpoint = "esa.example.net:443/";
  CHECK(host_of(cfg) == "https://esa.example.net:443 Host=esa.example.net");
  cfg.endpoint = "http://127.0.0.1:8080";
  CHECK(host_of(cfg) == "http://127.0.0.1:8080 Host=127.0.0.1:8080");
  cfg.endpoint = "http://[::1]:8080";
  CHECK(host_of(cfg) == "http://::1:8080 Host=[::1]:8080");
  cfg.endpoint = "http://localhost";
  CHECK(host_of(cfg) == "http://localhost:0 Host=localhost");

  SUBCASE("region from ALIBABA_CLOUD_REGION_ID; the config wins over it") {
    auto c2 = r.config();
    c2.region.clear();
    c2.env = alicloud::fixed_environment({{"ALIBABA_CLOUD_REGION_ID", "ap-southeast-1"}});
    CHECK(host_of(c2) == "https://esa.ap-southeast-1.aliyuncs.com:0 Host=esa.ap-southeast-1.aliyuncs.com");
    CHECK(alicloud::client_core(c2).region() == "ap-southeast-1");
    c2.region = "cn-hangzhou";
    CHECK(host_of(c2) == "https://esa.cn-hangzhou.aliyuncs.com:0 Host=esa.cn-hangzhou.aliyuncs.com");
  }
  SUBCASE("no region: a clear error, nothing sent") {
    auto c2 = r.config();
    c2.region.clear();
    const auto before = r.transport->request_count();
    alicloud::client_core c(c2);
    auto res = c.call<esa::ListSites>({});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == http::errc::invalid_config);
    CHECK(res.error().message.find("client_config.region") != std::string::npos);
    CHECK(res.error().message.find("ALIBABA_CLOUD_REGION_ID") != std::string::npos);
    c2.region = "cn hangzhou.evil.com/";
    auto bad = alicloud::client_core(c2).call<esa::ListSites>({});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("is not a region id") != std::string::npos);
    CHECK(r.transport->request_count() == before);
  }
  SUBCASE("unusable endpoints are refused at construction, naming the field") {
    for (const char* bad : {"ftp://x.example", "https://", "x.example/path", "x.example:0", "x.example:70000",
                            "user@x.example", "[::1", "x.example:", "x exa"}) {
      auto c2 = r.config();
      c2.endpoint = bad;
      INFO(bad);
      try {
        alicloud::client_core c(c2);
        FAIL("accepted");
      } catch (const alicloud::exception& e) {
        CHECK(e.code() == http::errc::invalid_config);
        CHECK(std::string(e.what()).find("client_config.endpoint") != std::string::npos);
      }
    }
    auto c3 = r.config();
    c3.endpoint = "http://esa.example.net";
    CHECK_THROWS_AS(alicloud::client_core{c3}, alicloud::exception);
    c3.allow_insecure_http = true;
    CHECK(host_of(c3) == "http://esa.example.net:0 Host=esa.example.net");
  }
}

TEST_CASE("client_core refuses a config without transport or credentials") {
  rig r;
  auto cfg = r.config();
  cfg.transport = nullptr;
  CHECK_THROWS_WITH_AS(alicloud::client_core{cfg}, doctest::Contains("client_config.transport"), alicloud::exception);
  cfg = r.config();
  cfg.credentials = nullptr;
  CHECK_THROWS_WITH_AS(alicloud::client_core{cfg}, doctest::Contains("client_config.credentials"), alicloud::exception);
  cfg = r.config();
  cfg.retry.max_attempts = 0;
  CHECK_THROWS_WITH_AS(alicloud::client_core{cfg}, doctest::Contains("max_attempts"), alicloud::exception);
}

TEST_CASE("credential failures are reported, not retried") {
  rig r;
  auto cfg = r.config();
  cfg.credentials = std::make_shared<alicloud::static_credentials_provider>(alicloud::credentials{});
  auto res = alicloud::client_core(cfg).call<esa::ListSites>({});
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code == alicloud::errc::credentials);
  CHECK(r.transport->request_count() == 0);
}

TEST_CASE("user agent: alicloud-cpp/<project version> (<os>; <arch>) plus the configured suffix") {
  rig r;
  r.transport->set_fallback([](const http::request&, const http::request_options&) -> alicloud::result<http::response> {
    return json_response(200, R"({"RequestId":"x"})");
  });
  const std::string version = project_version();
  CHECK(std::string(alicloud::version_string) == version);
  auto cfg = r.config();
  {
    alicloud::client_core c(cfg);
    REQUIRE(c.call<esa::ListSites>({}).ok());
    const std::string ua(r.transport->last_request()->header("User-Agent"));
    CHECK(ua == c.user_agent());
    CHECK(std::regex_match(ua, std::regex("alicloud-cpp/" + std::regex_replace(version, std::regex("\\."), "\\.") +
                                          R"( \((linux|darwin|windows|freebsd|unknown); [a-z0-9_]+\) Cpp/\d+)")));
  }
  cfg.user_agent_suffix = "my-app/2.0";
  CHECK(alicloud::client_core(cfg).user_agent().substr(alicloud::client_core(cfg).user_agent().size() - 11) ==
        " my-app/2.0");
  cfg.user_agent_suffix.clear();
  cfg.env = alicloud::fixed_environment({{"ALIBABA_CLOUD_USER_AGENT", "from-env/1"}});
  alicloud::client_core c(cfg);
  REQUIRE(c.call<esa::ListSites>({}).ok());
  const std::string ua(r.transport->last_request()->header("User-Agent"));
  CHECK(ua.find("alicloud-cpp/") == 0);
  CHECK(ua.substr(ua.size() - 11) == " from-env/1");
  cfg.user_agent_suffix = "bad\r\nX-Injected: 1";
  CHECK_THROWS_AS(alicloud::client_core{cfg}, alicloud::exception);
}

TEST_CASE("hooks see every attempt, with the signature, token and secrets redacted") {
  rig r;
  auto cfg = r.config(/*sts=*/true);
  cfg.retry.base_delay = std::chrono::milliseconds(10);
  std::vector<std::string> log;
  std::vector<int> send_attempts, done_attempts;
  std::vector<std::optional<std::chrono::milliseconds>> delays;
  auto dump = [&](const alicloud::attempt_event& ev) {
    std::string s = std::string(ev.action) + " #" + std::to_string(ev.attempt) + " " + ev.request->method + " " +
                    ev.request->target + "\n";
    for (const auto& [k, v] : ev.request->headers) s += k + ": " + v + "\n";
    s += ev.request->body + "\n";
    if (ev.response) {
      s += std::to_string(ev.response->status) + "\n" + ev.response->body + "\n";
      for (const auto& [k, v] : ev.response->headers) s += k + ": " + v + "\n";
    }
    if (ev.error) s += ev.error->to_string() + "\n" + ev.error->access_denied_detail + "\n";
    log.push_back(s);
  };
  cfg.hooks.on_send = [&](const alicloud::attempt_event& ev) {
    send_attempts.push_back(ev.attempt);
    CHECK(ev.response == nullptr);
    CHECK(ev.error == nullptr);
    dump(ev);
  };
  cfg.hooks.on_attempt = [&](const alicloud::attempt_event& ev) {
    done_attempts.push_back(ev.attempt);
    delays.push_back(ev.retry_delay);
    dump(ev);
  };
  // A careless server echoing the token and the secret back must not leak them through hooks or errors.
  const std::string echo = std::string("token ") + alicloud_test::rig_token + " secret " + alicloud_test::rig_secret;
  r.transport->push(json_response(503, error_body("ServiceUnavailable", echo)));
  r.transport->push(json_response(200, R"({"RequestId":"ok","Note":")" + echo + R"("})"));
  alicloud::client_core c(cfg);
  auto res = c.call<esa::ListSites>({});
  REQUIRE(res.ok());
  CHECK(send_attempts == std::vector<int>{1, 2});
  CHECK(done_attempts == std::vector<int>{1, 2});
  REQUIRE(delays.size() == 2);
  CHECK(delays[0].has_value());
  CHECK_FALSE(delays[1].has_value());

  std::set<std::string> signatures;
  for (const auto& q : r.transport->requests()) {
    const std::string auth(q.header("Authorization"));
    signatures.insert(auth.substr(auth.find("Signature=") + 10));
  }
  REQUIRE(signatures.size() == 2);
  std::string all;
  for (const auto& s : log) all += s;
  INFO(all);
  CHECK(all.find(alicloud_test::rig_secret) == std::string::npos);
  CHECK(all.find(alicloud_test::rig_token) == std::string::npos);
  CHECK(all.find(alicloud_test::rig_key_id) == std::string::npos);
  for (const auto& sig : signatures) CHECK(all.find(sig) == std::string::npos);
  CHECK(all.find("Signature=<redacted>") != std::string::npos);
  CHECK(all.find("x-acs-security-token: <redacted>") != std::string::npos);
  CHECK(all.find("Credential=LTAI****0001") != std::string::npos);
  CHECK(all.find("ServiceUnavailable") != std::string::npos);

  // The error message itself is scrubbed too.
  auto cfg2 = r.config(true);
  cfg2.retry = alicloud::retry_policy::no_retries();
  r.transport->push(json_response(400, error_body("InvalidParameter", echo)));
  auto failed = alicloud::client_core(cfg2).call<esa::ListSites>({});
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().to_string().find(alicloud_test::rig_secret) == std::string::npos);
  CHECK(failed.error().to_string().find(alicloud_test::rig_token) == std::string::npos);
  CHECK(failed.error().message.find("<redacted>") != std::string::npos);
}

TEST_CASE("redact() masks Authorization, the token and the key id but keeps the rest") {
  http::request q;
  q.target = "/?A=1";
  q.headers = {{"Authorization", std::string("ACS3-HMAC-SHA256 Credential=") + alicloud_test::rig_key_id +
                                     ",SignedHeaders=host,Signature=abcdef0123"},
               {"x-acs-security-token", alicloud_test::rig_token},
               {"x-acs-accesskey-id", alicloud_test::rig_key_id},
               {"x-acs-date", "2024-05-01T00:00:00Z"}};
  rig r;
  const auto red = alicloud::redact(q, r.creds(true));
  CHECK(red.header("Authorization") == "ACS3-HMAC-SHA256 Credential=LTAI****0001,SignedHeaders=host,Signature=<redacted>");
  CHECK(red.header("x-acs-security-token") == "<redacted>");
  CHECK(red.header("x-acs-accesskey-id") == "LTAI****0001");
  CHECK(red.header("x-acs-date") == "2024-05-01T00:00:00Z");
  CHECK(red.target == "/?A=1");
}

TEST_CASE("copies share state; each attempt gets a fresh nonce") {
  rig r;
  r.transport->set_fallback([](const http::request&, const http::request_options&) -> alicloud::result<http::response> {
    return json_response(200, R"({"RequestId":"x"})");
  });
  alicloud::client_core a(r.config());
  alicloud::client_core b = a;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(a.call<esa::ListSites>({}).ok());
    REQUIRE(b.call<esa::ListSites>({}).ok());
  }
  std::set<std::string> nonces;
  for (const auto& q : r.transport->requests()) nonces.insert(std::string(q.header("x-acs-signature-nonce")));
  CHECK(nonces.size() == 10);
  CHECK(&a.config() == &b.config());
}
