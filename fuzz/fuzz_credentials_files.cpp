// Arbitrary bytes as ~/.aliyun/config.json and as the shared credentials ini: parsing must never
// crash, and no error text may contain the secret that a well-formed part of the file holds.
#include <alicloud/core/credentials.hpp>
#include <boost/json/parse.hpp>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>
#include <unistd.h>

namespace {

std::string scratch_file(const char* kind) {
  return "/tmp/alicloud-fuzz-" + std::to_string(::getpid()) + "-" + kind;
}

// Values the input assigns to secret fields; a value that also appears anywhere else in the input
// (as a profile name, a mode...) may rightly be quoted, and short ones occur in ordinary words.
std::vector<std::string> keep_unique(const std::string& text, std::vector<std::string> values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    if (v.size() < 8) continue;
    std::size_t total = 0;
    for (auto p = text.find(v); p != std::string::npos; p = text.find(v, p + 1)) ++total;
    if (total == 1) out.push_back(v);
  }
  return out;
}

std::vector<std::string> json_secrets(const std::string& text) {
  std::vector<std::string> values;
  boost::json::error_code ec;
  auto doc = boost::json::parse(text, ec);
  if (ec || !doc.is_object()) return values;
  auto* profiles = doc.as_object().if_contains("profiles");
  if (!profiles || !profiles->is_array()) return values;
  for (const auto& p : profiles->as_array())
    if (p.is_object())
      for (const char* key : {"access_key_secret", "sts_token"})
        if (auto* v = p.as_object().if_contains(key); v && v->is_string()) values.emplace_back(v->as_string());
  return keep_unique(text, values);
}

std::vector<std::string> ini_secrets(const std::string& text) {
  std::vector<std::string> values;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    start = nl == std::string::npos ? text.size() : nl + 1;
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line.compare(first, 17, "access_key_secret") != 0) continue;
    auto eq = line.find_first_of("=:", first + 17);
    if (eq == std::string::npos) continue;
    auto vb = line.find_first_not_of(" \t", eq + 1);
    if (vb == std::string::npos) continue;
    auto ve = line.find_first_of(" \t;#\r", vb);
    values.push_back(line.substr(vb, ve == std::string::npos ? std::string::npos : ve - vb));
  }
  return keep_unique(text, values);
}

template <class Provider>
std::string error_text(const std::string& text, const char* kind) {
  std::string path = scratch_file(kind);
  {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }
  alicloud::profile_file_options o;
  o.env = alicloud::fixed_environment({});
  o.home = "/nonexistent";
  o.file = path;
  Provider p(o);
  auto r = p.get();
  std::remove(path.c_str());
  if (r) {
    // Redacting output must not show the secret.
    if (r->access_key_secret.size() >= 8 && alicloud::to_string(*r).find(r->access_key_secret) != std::string::npos)
      std::abort();
    return {};
  }
  if (r.error().message.empty()) std::abort();  // every failure explains itself
  return r.error().message;
}

// Differential check: a secret found in an error must disappear when only the secret changes in the
// file; otherwise the matching text comes from elsewhere (a path, a line number) and is not a leak.
template <class Provider>
void check(const std::string& text, const char* kind, const std::vector<std::string>& secrets) {
  std::string msg = error_text<Provider>(text, kind);
  for (const auto& secret : secrets) {
    if (msg.find(secret) == std::string::npos) continue;
    std::string masked = text;
    masked.replace(masked.find(secret), secret.size(), std::string(secret.size(), 'Q'));
    if (error_text<Provider>(masked, kind).find(secret) == std::string::npos) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  check<alicloud::cli_profile_credentials_provider>(text, "json", json_secrets(text));
  check<alicloud::ini_file_credentials_provider>(text, "ini", ini_secrets(text));
  return 0;
}
