// Arbitrary bytes as a service response body: decoding into the generated ESA response structs must
// never crash, leak or hang, and whatever decodes must survive an encode/decode round trip.
#include <alicloud/esa.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

template <class T>
void exercise(std::string_view text) {
  alicloud::json::decode_options opts;
  auto r = alicloud::json::from_json<T>(text, opts);
  if (!r) {
    if (r.error().message.empty()) std::abort();  // every failure must explain itself
    return;
  }
  // What we write we must read back. (Not byte-identical: Boost 1.81 parses doubles imprecisely, so a
  // value like 2.22e25 may come back one ulp away.)
  auto again = alicloud::json::from_json<T>(alicloud::json::to_json(*r));
  if (!again) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  exercise<alicloud::esa::DescribePreloadTasksResponse>(text);
  exercise<alicloud::esa::ListSitesResponse>(text);
  exercise<alicloud::esa::GetSiteResponse>(text);
  exercise<alicloud::esa::PurgeCachesRequest>(text);
  return 0;
}
