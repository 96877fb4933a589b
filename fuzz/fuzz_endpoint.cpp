// Arbitrary bytes as a configured endpoint ("https://host:port") and as a proxy URL: parsing must never
// crash; an accepted endpoint must describe itself back as something that parses to the same endpoint.
#include <alicloud/core/beast_transport.hpp>
#include <alicloud/core/client_core.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ep = alicloud::parse_endpoint(text);
  if (ep.ok()) {
    std::string again = ep->scheme + "://" + ep->authority();
    auto back = alicloud::parse_endpoint(again);
    if (!back.ok()) std::abort();
    if (back->host != ep->host || back->scheme != ep->scheme) std::abort();
  } else if (ep.error().message.empty()) {
    std::abort();
  }
  auto proxy = alicloud::http::detail::parse_proxy(text, "fuzz");
  if (!proxy.ok() && proxy.error().message.empty()) std::abort();
  return 0;
}
