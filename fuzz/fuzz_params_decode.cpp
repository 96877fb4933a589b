// Arbitrary bytes as an RPC query string (what the emulator receives): decoding into generated
// request structs must never crash, and whatever decodes must encode and decode to the same value.
#include <alicloud/esa.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

alicloud::param_list split(std::string_view q) {
  alicloud::param_list out;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos)
      out.emplace_back(std::string(pair), "");
    else
      out.emplace_back(std::string(pair.substr(0, eq)), std::string(pair.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

template <class Op>
void exercise(const alicloud::param_list& params) {
  using Req = typename Op::request_type;
  auto r = alicloud::decode_params<Req>(params, Op::parameters);
  if (!r) {
    if (r.error().message.empty()) std::abort();
    return;
  }
  (void)Op::validate(*r, alicloud::system_clock());
  auto enc = alicloud::encode_params(*r, Op::parameters);
  if (!enc) std::abort();
  alicloud::param_list all = enc->query;
  all.insert(all.end(), enc->form.begin(), enc->form.end());
  // What we send we must be able to read back (the emulator's side of the same codec).
  auto again = alicloud::decode_params<Req>(all, Op::parameters);
  if (!again) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto params = split(std::string_view(reinterpret_cast<const char*>(data), size));
  exercise<alicloud::esa::DescribePreloadTasks>(params);
  exercise<alicloud::esa::PreloadCaches>(params);
  exercise<alicloud::esa::PurgeCaches>(params);
  exercise<alicloud::esa::ListSites>(params);
  return 0;
}
