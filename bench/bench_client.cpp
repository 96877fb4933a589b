// The client's cost per call: calls/s over loopback HTTPS with keep-alive (the TLS test server of
// the test suite, certificates made at start-up), and the client-side CPU of one call split into
// encode (validate + parameters), sign (ACS3 with a fresh nonce) and decode (typed response), plus the
// whole client path over an instant in-memory transport.

#include <alicloud/esa/client.hpp>

#include "../tests/support/tls_test_server.hpp"

#include <benchmark/benchmark.h>

#include <memory>
#include <string>

namespace {

namespace esa = alicloud::esa;
namespace http = alicloud::http;

alicloud::credentials bench_credentials() {
  alicloud::credentials c;
  c.access_key_id = "LTAI5tBenchKeyId0001";
  c.access_key_secret = "BenchSecretValue-0123456789abcdef";
  return c;
}

esa::DescribePreloadTasksRequest typical_request() {
  esa::DescribePreloadTasksRequest q;
  q.SiteId = 123456789012;
  q.PageNumber = 1;
  q.PageSize = 20;
  q.Status = esa::DescribePreloadTasksRequestStatus::Complete;
  q.Content = "https://www.example.com/static/app.js?v=3";
  return q;
}

/// A 20-task DescribePreloadTasks page, about 3.4 kB.
std::string typical_response() {
  std::string body = R"({"RequestId":"0AEDAF20-4DDF-4165-8750-47FF9C1929C9","PageNumber":1,"PageSize":20,"TotalCount":83,"Tasks":[)";
  for (int i = 0; i < 20; ++i) {
    if (i) body += ",";
    body += R"({"TaskId":")" + std::to_string(1597854579687428LL + i) + R"(","Content":"https://www.example.com/static/img/)" +
            std::to_string(i) + R"(.jpg","Status":"Complete","Process":"100%","Description":"","CreateTime":"2023-03-28 14:28:57"})";
  }
  return body + "]}";
}

/// Answers every request at once with the same response, and keeps no history.
class instant_transport final : public http::transport {
 public:
  explicit instant_transport(std::string body) { res_.status = 200; res_.body = std::move(body); }
  alicloud::result<http::response> send(const http::request&, const http::request_options&) override { return res_; }

 private:
  http::response res_;
};

alicloud::client_config base_config() {
  alicloud::client_config c;
  c.region = "cn-hangzhou";
  c.credentials = std::make_shared<alicloud::static_credentials_provider>(bench_credentials());
  c.env = alicloud::fixed_environment({});
  return c;
}

// ---- client CPU per call, split ----

void BM_Encode(benchmark::State& state) {
  const auto q = typical_request();
  for (auto _ : state) {
    auto v = esa::DescribePreloadTasks::validate(q, alicloud::system_clock());
    auto p = alicloud::encode_params(q, esa::DescribePreloadTasks::parameters);
    benchmark::DoNotOptimize(v);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_Encode);

void BM_Sign(benchmark::State& state) {
  const auto q = typical_request();
  const auto params = *alicloud::encode_params(q, esa::DescribePreloadTasks::parameters);
  const auto creds = bench_credentials();
  for (auto _ : state) {
    auto nonce = alicloud::random_nonce();
    alicloud::signing_request sr{"GET", "esa.cn-hangzhou.aliyuncs.com", "/", params.query, alicloud::empty_param_list(),
                                 "", esa::DescribePreloadTasks::action, esa::DescribePreloadTasks::version};
    auto s = alicloud::sign_acs3(sr, creds, std::chrono::system_clock::now(), *nonce);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Sign);

void BM_Decode(benchmark::State& state) {
  http::response res;
  res.status = 200;
  res.body = typical_response();
  for (auto _ : state) {
    auto r = alicloud::decode_response<esa::DescribePreloadTasks>(res);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * res.body.size()));
}
BENCHMARK(BM_Decode);

/// Everything the client does per call (validate, encode, sign, build the request, hooks off,
/// decode), with a transport that costs nothing.
void BM_ClientCallInstantTransport(benchmark::State& state) {
  auto cfg = base_config();
  cfg.transport = std::make_shared<instant_transport>(typical_response());
  const esa::client c(cfg);
  const auto q = typical_request();
  for (auto _ : state) {
    auto r = c.describe_preload_tasks(q);
    if (!r.ok()) state.SkipWithError("call failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClientCallInstantTransport);

// ---- calls/s over loopback HTTPS with keep-alive ----

struct loopback {
  alicloud_test::test_pki pki;
  std::unique_ptr<alicloud_test::test_server> server;
  std::shared_ptr<http::beast_transport> transport;
  std::unique_ptr<esa::client> client;

  loopback() {
    alicloud_test::test_server::options o;
    o.cert_pem = pki.server.cert_pem;
    o.key_pem = pki.server.key_pem;
    server = std::make_unique<alicloud_test::test_server>(o);
    const std::string body = typical_response();
    server->set_handler([body](const alicloud_test::received_request&) {
      alicloud_test::reply r;
      r.headers = {{"Content-Type", "application/json;charset=utf-8"}};
      r.body = body;
      return r;
    });
    http::beast_transport_options t;
    t.ca_file = pki.ca_file;
    t.use_system_trust_store = false;
    t.proxy = "";
    t.no_proxy = "";
    transport = std::make_shared<http::beast_transport>(t);
    auto cfg = base_config();
    cfg.transport = transport;
    cfg.endpoint = "https://127.0.0.1:" + std::to_string(server->port());
    client = std::make_unique<esa::client>(cfg);
  }
};

loopback& shared_loopback() {
  static loopback instance;
  return instance;
}

void BM_CallsPerSecondTLS(benchmark::State& state) {
  loopback& lb = shared_loopback();
  const auto q = typical_request();
  for (auto _ : state) {
    auto r = lb.client->describe_preload_tasks(q);
    if (!r.ok()) {
      state.SkipWithError(r.error().to_string().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  // Over every run of every BM_CallsPerSecondTLS variant so far: stays at the number of threads used.
  if (state.thread_index() == 0)
    state.counters["handshakes_total"] = static_cast<double>(lb.transport->stats().tls_handshakes);
}
BENCHMARK(BM_CallsPerSecondTLS)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_CallsPerSecondTLS)->UseRealTime()->MinTime(2.0)->Threads(4);

}  // namespace

BENCHMARK_MAIN();
