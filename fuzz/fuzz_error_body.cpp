// Arbitrary bytes as a non-2xx response body (and as the status line's companion headers): mapping to
// alicloud::error must never crash, must always explain itself, and must keep the service code when the
// body carries one.
#include <alicloud/core/client_core.hpp>
#include <alicloud/esa/describe_preload_tasks.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  alicloud::http::response res;
  // First byte picks the status so 4xx, 5xx and 2xx paths are all explored.
  static const int statuses[] = {200, 400, 403, 404, 429, 500, 503};
  res.status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
  res.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  res.headers = {{"Content-Type", "application/json"}, {"x-acs-request-id", "fuzz-request"}};
  auto r = alicloud::decode_response<alicloud::esa::DescribePreloadTasks>(res);
  if (res.status >= 300) {
    if (r.ok()) std::abort();  // an error status is never a success
    if (r.error().http_status != res.status) std::abort();
  }
  if (!r.ok() && r.error().message.empty() && r.error().service_code.empty()) std::abort();
  return 0;
}
