// Arbitrary bytes as ~/.aliyun/config.json and as the shared credentials ini: parsing must never
// crash, and no error text may contain the secret that a well-formed part of the file holds.
#include <alicloud/core/credentials.hpp>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

std::string scratch_file(const char* kind) {
  return "/tmp/alicloud-fuzz-" + std::to_string(::getpid()) + "-" + kind;
}

void check(alicloud::credentials_provider& p, const std::string& secret_marker) {
  auto r = p.get();
  if (!r) {
    if (r.error().message.empty()) std::abort();
    if (r.error().message.find(secret_marker) != std::string::npos) std::abort();
  } else if (alicloud::to_string(*r).find(r->access_key_secret) != std::string::npos && r->access_key_secret.size() > 3) {
    std::abort();  // redacting output must not show the secret
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  // Errors may quote structure but must never echo a value named like a secret.
  const std::string marker = "S3CR3T-VALUE-ZZ";
  for (const char* kind : {"json", "ini"}) {
    std::string path = scratch_file(kind);
    {
      std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    }
    alicloud::profile_file_options o;
    o.env = alicloud::fixed_environment({});
    o.home = "/nonexistent";
    o.file = path;
    if (std::string(kind) == "json") {
      alicloud::cli_profile_credentials_provider p(o);
      check(p, marker);
    } else {
      alicloud::ini_file_credentials_provider p(o);
      check(p, marker);
    }
    std::remove(path.c_str());
  }
  return 0;
}
