#pragma once
// An injectable wall clock: validators (the 3-day rule), signing dates, credential expiry and retry
// deadlines all read time through this, so tests can pin it.

#include <atomic>
#include <chrono>

namespace alicloud {

class clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  virtual ~clock() = default;
  virtual time_point now() const = 0;
};

class system_clock_source final : public clock {
 public:
  time_point now() const override { return std::chrono::system_clock::now(); }
};

/// The process-wide real clock.
inline const clock& system_clock() noexcept {
  static const system_clock_source instance;
  return instance;
}

/// A clock that only moves when told to; safe to read from several threads.
class manual_clock final : public clock {
 public:
  explicit manual_clock(time_point start) : ticks_(start.time_since_epoch().count()) {}
  time_point now() const override { return time_point(time_point::duration(ticks_.load())); }
  void set(time_point t) { ticks_.store(t.time_since_epoch().count()); }
  void advance(std::chrono::nanoseconds d) {
    ticks_.fetch_add(std::chrono::duration_cast<time_point::duration>(d).count());
  }

 private:
  std::atomic<time_point::rep> ticks_;
};

}  // namespace alicloud
