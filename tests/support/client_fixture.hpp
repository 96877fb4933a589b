#pragma once
// A deterministic client rig: manual clock, a sleeper that records each wait and advances the clock
// instead of sleeping, scripted jitter, fixed credentials, and a fake transport.

#include <alicloud/core/client_core.hpp>
#include <alicloud/core/fake_transport.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace alicloud_test {

/// 2024-05-01T00:00:00Z
inline std::chrono::system_clock::time_point rig_epoch() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1714521600));
}

inline constexpr const char* rig_key_id = "LTAI5tTestKeyId0001";
inline constexpr const char* rig_secret = "TopSecretValue-0123456789abcdef";
inline constexpr const char* rig_token = "CAIS-sts-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ";

struct rig {
  alicloud::manual_clock clk{rig_epoch()};
  std::shared_ptr<alicloud::http::fake_transport> transport = std::make_shared<alicloud::http::fake_transport>();
  std::mutex mutex;
  std::vector<std::chrono::milliseconds> sleeps;
  std::deque<std::uint64_t> randoms;  ///< served first; then 0
  std::vector<std::uint64_t> randoms_used;

  alicloud::credentials creds(bool sts = false) const {
    alicloud::credentials c;
    c.access_key_id = rig_key_id;
    c.access_key_secret = rig_secret;
    if (sts) c.security_token = rig_token;
    return c;
  }

  alicloud::client_config config(bool sts = false) {
    alicloud::client_config c;
    c.region = "cn-hangzhou";
    c.transport = transport;
    c.credentials = std::make_shared<alicloud::static_credentials_provider>(creds(sts));
    c.clk = &clk;
    c.env = alicloud::fixed_environment({});
    c.sleeper = [this](std::chrono::milliseconds d) {
      std::lock_guard<std::mutex> lock(mutex);
      sleeps.push_back(d);
      clk.advance(d);
    };
    c.random = [this]() -> std::uint64_t {
      std::lock_guard<std::mutex> lock(mutex);
      std::uint64_t v = 0;
      if (!randoms.empty()) {
        v = randoms.front();
        randoms.pop_front();
      }
      randoms_used.push_back(v);
      return v;
    };
    return c;
  }
};

/// An HTTP response with a JSON body.
inline alicloud::http::response json_response(int status, std::string body, alicloud::http::header_list headers = {}) {
  alicloud::http::response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.headers.emplace_back("Content-Type", "application/json;charset=utf-8");
  return r;
}

inline std::string error_body(const std::string& code, const std::string& message = "failed",
                              const std::string& request_id = "REQ-1") {
  return R"({"RequestId":")" + request_id + R"(","HostId":"esa.cn-hangzhou.aliyuncs.com","Code":")" + code +
         R"(","Message":")" + message + R"("})";
}

}  // namespace alicloud_test
