#pragma once
// A scripted in-memory transport for tests: replies are served first-in first-out and every request
// is recorded, so a test can check exactly what the client sent without a network or TLS.

#include <alicloud/core/http.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace alicloud::http {

class fake_transport final : public transport {
 public:
  /// Computes a reply from the request; runs outside the fake's lock, so it may block or sleep.
  using handler = std::function<result<response>(const request&, const request_options&)>;

  struct call {
    request req;
    request_options options;
  };

  fake_transport() = default;

  fake_transport& push(response r) { return push_entry(std::move(r)); }
  fake_transport& push(alicloud::error e) { return push_entry(std::move(e)); }
  fake_transport& push(handler h) { return push_entry(std::move(h)); }
  fake_transport& push(int status, std::string body = {}, header_list headers = {}) {
    response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return push(std::move(r));
  }
  /// Shorthand for scripting a transport failure.
  fake_transport& push(errc e, std::string message = {}) {
    return push(make_error(e, message.empty() ? make_error_code(e).message() : std::move(message)));
  }

  /// Serves every request once the script is exhausted (otherwise such a request fails loudly).
  void set_fallback(handler h) {
    std::lock_guard<std::mutex> lock(mutex_);
    fallback_ = std::move(h);
  }

  result<response> send(const request& req, const request_options& opts) override {
    std::optional<entry> next;
    handler fallback;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      calls_.push_back(call{req, opts});
      if (!script_.empty()) {
        next = std::move(script_.front());
        script_.pop_front();
      } else {
        fallback = fallback_;
      }
    }
    if (!next) {
      if (fallback) return fallback(req, opts);
      // Deliberately not an alicloud.http code: an unscripted call is a test bug, never "not sent".
      return alicloud::error(make_error_code(alicloud::errc::transport),
                             "fake_transport: no scripted reply left for " + req.method + " " + req.host + req.target);
    }
    if (auto* r = std::get_if<response>(&*next)) return std::move(*r);
    if (auto* e = std::get_if<alicloud::error>(&*next)) return std::move(*e);
    return std::get<handler>(*next)(req, opts);
  }

  std::vector<call> calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }
  std::vector<request> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<request> out;
    out.reserve(calls_.size());
    for (const auto& c : calls_) out.push_back(c.req);
    return out;
  }
  std::size_t request_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_.size();
  }
  /// The most recent request, if any.
  std::optional<request> last_request() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (calls_.empty()) return std::nullopt;
    return calls_.back().req;
  }
  /// Scripted replies not yet consumed; a test can assert 0 to prove every reply was used.
  std::size_t pending() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return script_.size();
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    script_.clear();
    calls_.clear();
    fallback_ = nullptr;
  }

 private:
  using entry = std::variant<response, alicloud::error, handler>;

  fake_transport& push_entry(entry e) {
    std::lock_guard<std::mutex> lock(mutex_);
    script_.push_back(std::move(e));
    return *this;
  }

  mutable std::mutex mutex_;
  std::deque<entry> script_;
  std::vector<call> calls_;
  handler fallback_;
};

}  // namespace alicloud::http
