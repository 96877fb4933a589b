#pragma once
// Waiting for something to finish by polling: the generic `wait_until`, cancellation, and the pieces
// generated product waiters are assembled from (tracking a list of server-side tasks to a terminal
// state). Product-free: generated code supplies what to poll and how to read an item's state.
//
// Time goes through an injectable alicloud::clock and sleeper, so tests run deterministically with a
// manual_clock whose sleeper advances it. Inject both together: a manual clock with the real sleeper
// never reaches its deadline.

#include <alicloud/core/clock.hpp>
#include <alicloud/core/error.hpp>
#include <alicloud/core/open_enum.hpp>
#include <alicloud/core/pagination.hpp>
#include <alicloud/core/result.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace alicloud {

namespace detail::waiting {

struct cancel_state {
  std::mutex m;
  std::condition_variable cv;
  std::atomic<bool> requested{false};
};

}  // namespace detail::waiting

/// Observes a cancellation request. A default-constructed token is never cancelled. Copies share state.
class cancel_token {
 public:
  cancel_token() = default;

  /// Watches a flag someone else sets, typically a signal handler (an atomic store is all that is
  /// async-signal-safe there). A sleeping waiter notices within `granularity`.
  static cancel_token from_flag(const std::atomic<bool>& flag,
                                std::chrono::milliseconds granularity = std::chrono::milliseconds(50)) {
    cancel_token t;
    t.flag_ = &flag;
    t.granularity_ = granularity.count() > 0 ? granularity : std::chrono::milliseconds(1);
    return t;
  }

  bool cancellation_requested() const noexcept {
    return (state_ && state_->requested.load()) || (flag_ && flag_->load());
  }

  /// Sleeps for `d` unless cancellation comes first; true when cancelled.
  bool sleep_for(std::chrono::nanoseconds d) const {
    const auto deadline = std::chrono::steady_clock::now() + d;
    if (state_) {
      std::unique_lock<std::mutex> lk(state_->m);
      for (;;) {
        if (cancellation_requested()) return true;
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return false;
        std::chrono::nanoseconds step = deadline - now;
        if (flag_) step = std::min<std::chrono::nanoseconds>(step, granularity_);
        state_->cv.wait_for(lk, step);
      }
    }
    for (;;) {
      if (cancellation_requested()) return true;
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      std::chrono::nanoseconds step = deadline - now;
      if (flag_) step = std::min<std::chrono::nanoseconds>(step, granularity_);
      std::this_thread::sleep_for(step);
    }
  }

 private:
  friend class cancel_source;
  std::shared_ptr<detail::waiting::cancel_state> state_;
  const std::atomic<bool>* flag_ = nullptr;
  std::chrono::milliseconds granularity_{50};
};

/// Requests cancellation; wakes every waiter sleeping on one of its tokens at once. Thread-safe.
class cancel_source {
 public:
  cancel_source() : state_(std::make_shared<detail::waiting::cancel_state>()) {}

  void request_cancel() {
    {
      std::lock_guard<std::mutex> lk(state_->m);
      state_->requested.store(true);
    }
    state_->cv.notify_all();
  }
  bool cancellation_requested() const noexcept { return state_->requested.load(); }
  cancel_token token() const {
    cancel_token t;
    t.state_ = state_;
    return t;
  }

 private:
  std::shared_ptr<detail::waiting::cancel_state> state_;
};

struct wait_options {
  /// Pause between polls. The last pause is cut short so a final poll happens at the deadline.
  std::chrono::nanoseconds poll_interval = std::chrono::seconds(5);
  /// Overall limit from the start of the wait; nanoseconds::max() means none. At least one poll is made.
  std::chrono::nanoseconds timeout = std::chrono::minutes(30);
  /// Pause before the first poll (freshly created server-side work is often not visible at once).
  std::chrono::nanoseconds initial_delay{0};
  /// Consecutive failed polls tolerated (the wait carries on at the next interval); one more and the
  /// poll's error is returned. 0: the first failure ends the wait.
  std::size_t max_poll_errors = 0;
  cancel_token cancel;
  /// Clock for the deadline and elapsed time; nullptr means alicloud::system_clock().
  const ::alicloud::clock* clock = nullptr;
  /// Replaces the real pause; tests pass one that advances a manual_clock. Cancellation is checked
  /// after it returns. Empty: sleep on the cancel token, which wakes early on cancellation.
  std::function<void(std::chrono::nanoseconds)> sleeper;
  /// What is awaited, for error messages ("timed out after 30 s waiting for <what>"); empty: "condition".
  std::string what;
};

/// What one poll saw: whether the wait is over, and the observed value.
template <class T>
struct poll_result {
  bool done = false;
  T value{};
};
template <class T>
poll_result<std::decay_t<T>> poll_done(T&& v) {
  return {true, std::forward<T>(v)};
}
template <class T>
poll_result<std::decay_t<T>> poll_pending(T&& v) {
  return {false, std::forward<T>(v)};
}

/// Passed to progress callbacks after every successful poll.
template <class T>
struct wait_progress {
  std::size_t polls;                 ///< polls made so far, this one included
  std::chrono::nanoseconds elapsed;  ///< since the wait started, by the wait's clock
  const T& latest;                   ///< what this poll saw
  bool done;                         ///< true on the final report
};

namespace detail::waiting {

template <class R>
struct poll_value;
template <class T>
struct poll_value<result<poll_result<T>>> {
  using type = T;
};
template <class R>
using poll_value_t = typename poll_value<std::remove_cv_t<std::remove_reference_t<R>>>::type;

template <class T>
struct identity {
  using type = T;
};
template <class T>
using identity_t = typename identity<T>::type;

inline std::string format_duration(std::chrono::nanoseconds d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  std::string frac = std::to_string(ms % 1000);
  frac.insert(0, 3 - frac.size(), '0');
  return std::to_string(ms / 1000) + "." + frac + " s";
}

}  // namespace detail::waiting

/// Polls `poll` (a callable returning result<poll_result<T>>) until it reports done, then returns the
/// final value. Ends early with:
///  - errc::timeout when the deadline passes (the last poll happens at the deadline);
///  - errc::cancelled when options.cancel is triggered (checked before each poll and after each pause);
///  - the poll's own error once more than max_poll_errors polls in a row failed.
/// `on_progress` runs on the calling thread after every successful poll.
template <class Poll, class T = detail::waiting::poll_value_t<std::invoke_result_t<Poll&>>>
result<T> wait_until(Poll&& poll, const wait_options& options = {},
                     detail::waiting::identity_t<std::function<void(const wait_progress<T>&)>> on_progress = {}) {
  using std::chrono::nanoseconds;
  const ::alicloud::clock& c = options.clock ? *options.clock : system_clock();
  const auto start = c.now();
  const bool unlimited =
      options.timeout == nanoseconds::max() ||
      options.timeout >= std::chrono::duration_cast<nanoseconds>(clock::time_point::max() - start);
  const auto deadline =
      unlimited ? clock::time_point::max() : start + std::chrono::duration_cast<clock::time_point::duration>(options.timeout);
  std::size_t polls = 0, failures = 0;
  const std::string what = options.what.empty() ? std::string("condition") : options.what;

  auto cancelled = [&] {
    return error(make_error_code(errc::cancelled), "cancelled while waiting for " + what + " after " +
                                                       std::to_string(polls) + " poll(s)");
  };
  // false when cancelled during the pause
  auto pause = [&](nanoseconds d) {
    if (d.count() > 0) {
      if (options.sleeper)
        options.sleeper(d);
      else
        options.cancel.sleep_for(d);
    }
    return !options.cancel.cancellation_requested();
  };
  auto remaining = [&](nanoseconds want) {
    if (unlimited) return want;
    const auto now = c.now();
    if (now >= deadline) return nanoseconds(0);
    return std::min<nanoseconds>(want, deadline - now);
  };

  if (options.initial_delay.count() > 0 && !pause(remaining(options.initial_delay))) return cancelled();
  for (;;) {
    if (options.cancel.cancellation_requested()) return cancelled();
    auto r = poll();
    ++polls;
    if (!r) {
      if (++failures > options.max_poll_errors) return std::move(r).error();
    } else {
      failures = 0;
      const auto elapsed = std::chrono::duration_cast<nanoseconds>(c.now() - start);
      if (on_progress) on_progress(wait_progress<T>{polls, elapsed, r->value, r->done});
      if (r->done) return std::move(r->value);
    }
    const auto now = c.now();
    if (now >= deadline)
      return error(make_error_code(errc::timeout),
                   "timed out after " + detail::waiting::format_duration(std::chrono::duration_cast<nanoseconds>(now - start)) +
                       " waiting for " + what + " (" + std::to_string(polls) + " poll(s))");
    if (!pause(remaining(options.poll_interval))) return cancelled();
  }
}

// ---------------------------------------------------------------------------------------------------
// Tracking server-side tasks (what generated product waiters are made of).

enum class task_state {
  not_found,  ///< not listed (yet)
  pending,    ///< listed, not finished; also any status the spec does not call success or failure
  succeeded,
  failed,
};

constexpr std::string_view to_string(task_state s) noexcept {
  switch (s) {
    case task_state::not_found: return "not_found";
    case task_state::pending: return "pending";
    case task_state::succeeded: return "succeeded";
    case task_state::failed: return "failed";
  }
  return "unknown";
}

/// One thing being waited for, e.g. one prefetched URL, and the latest listing of its task.
template <class Item>
struct tracked_task {
  std::string target;             ///< what was asked for (e.g. the URL)
  task_state state = task_state::not_found;
  std::optional<Item> item;       ///< the task as last listed
  std::optional<double> percent;  ///< progress parsed from the item ("37%" -> 37)

  bool finished() const noexcept { return state == task_state::succeeded || state == task_state::failed; }
};

template <class Item>
using task_list = std::vector<tracked_task<Item>>;
template <class Item>
using task_progress_callback = std::function<void(const wait_progress<task_list<Item>>&)>;

template <class Item>
std::size_t count_tasks(const task_list<Item>& tasks, task_state s) {
  return static_cast<std::size_t>(
      std::count_if(tasks.begin(), tasks.end(), [s](const tracked_task<Item>& t) { return t.state == s; }));
}

/// How to observe tasks: find the current listing of one target, and read its state and progress.
template <class Item>
struct task_watch {
  std::function<result<std::optional<Item>>(const std::string& target)> lookup;
  std::function<task_state(const Item&)> classify;
  std::function<std::optional<double>(const Item&)> percent;  ///< may be empty
};

/// Waits until the task of every target has succeeded or failed, and returns them in target order (a
/// failed task is a normal outcome, not an error). Each poll looks up only unfinished targets. No
/// targets: returns an empty list at once without polling.
template <class Item>
result<task_list<Item>> wait_for_tasks(std::vector<std::string> targets, task_watch<Item> watch,
                                       const wait_options& options = {},
                                       task_progress_callback<Item> on_progress = {}) {
  task_list<Item> tasks;
  for (auto& t : targets) tasks.push_back(tracked_task<Item>{std::move(t), task_state::not_found, std::nullopt, std::nullopt});
  if (tasks.empty()) return tasks;
  auto poll = [&]() -> result<poll_result<task_list<Item>>> {
    bool all = true;
    for (auto& t : tasks) {
      if (t.finished()) continue;
      auto found = watch.lookup(t.target);
      if (!found) return std::move(found).error();
      if (*found) {
        t.state = watch.classify(**found);
        if (watch.percent) t.percent = watch.percent(**found);
        t.item = std::move(*found);
      } else {
        t.state = task_state::not_found;
      }
      all = all && t.finished();
    }
    return poll_result<task_list<Item>>{all, tasks};
  };
  return wait_until(poll, options, std::move(on_progress));
}

/// "37%" -> 37, " 100 % " -> 100, "0.5" -> 0.5; nullopt for anything else.
inline std::optional<double> parse_percent(std::string_view s) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  s = trim(s);
  if (!s.empty() && s.back() == '%') s = trim(s.substr(0, s.size() - 1));
  if (s.empty()) return std::nullopt;
  double d = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return d;
}

/// Splits "a, b,,c" into {"a", "b", "c"}: pieces trimmed, empty pieces dropped.
inline std::vector<std::string> split_list(std::string_view s, char separator = ',') {
  std::vector<std::string> out;
  while (true) {
    const auto pos = s.find(separator);
    std::string_view piece = s.substr(0, pos);
    while (!piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    while (!piece.empty() && piece.back() == ' ') piece.remove_suffix(1);
    if (!piece.empty()) out.emplace_back(piece);
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return out;
}

/// Text of a model member: strings as is, open enums by value, integers in decimal; "" when empty.
template <class T>
std::string field_text(const T& v) {
  if constexpr (detail::paging::is_optional_v<T>) {
    return v ? field_text(*v) : std::string();
  } else if constexpr (is_open_enum_v<T>) {
    return v.value();
  } else if constexpr (std::is_same_v<T, std::string>) {
    return v;
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else {
    static_assert(std::is_integral_v<T>, "field_text: unsupported member type");
    return std::to_string(v);
  }
}

/// dst = src across optional and required members; an empty optional source empties an optional target
/// and leaves a required one alone.
template <class D, class S>
void assign_field(D& dst, const S& src) {
  if constexpr (detail::paging::is_optional_v<S>) {
    if (src)
      assign_field(dst, *src);
    else if constexpr (detail::paging::is_optional_v<D>)
      dst.reset();
  } else {
    dst = src;
  }
}

/// The elements of a list member, optional or not (an empty optional has none).
template <class T, class A>
const std::vector<T, A>& elements_of(const std::vector<T, A>& v) noexcept {
  return v;
}
template <class T, class A>
const std::vector<T, A>& elements_of(const std::optional<std::vector<T, A>>& v) {
  static const std::vector<T, A> none;
  return v ? *v : none;
}

/// The listing entry to track among `listed`: when `ids` is not empty, only entries whose id is one of
/// them qualify (none yet: nullopt, the task is not listed yet); otherwise all do. Among those the
/// newest by `order_of` (text that sorts chronologically, like "2024-01-02 03:04:05") wins, the
/// earlier-listed on ties.
template <class Item, class IdOf, class OrderOf>
std::optional<Item> select_task(const std::vector<Item>& listed, const std::vector<std::string>& ids, IdOf id_of,
                                OrderOf order_of) {
  const Item* best = nullptr;
  std::string best_key;
  for (const auto& item : listed) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), id_of(item)) == ids.end()) continue;
    std::string key = order_of(item);
    if (!best || key > best_key) {
      best = &item;
      best_key = std::move(key);
    }
  }
  if (!best) return std::nullopt;
  return *best;
}

/// Lists the pages of `Op` for `request` and selects the task to track (see select_task). With ids it
/// stops at the first page holding one of them; without, it reads up to `max_pages` pages.
template <class Op, class IdOf, class OrderOf>
result<std::optional<page_item_t<Op>>> find_listed_task(const page_fetcher<Op>& fetch,
                                                        typename Op::request_type request,
                                                        const std::vector<std::string>& ids, IdOf id_of,
                                                        OrderOf order_of, std::size_t max_pages = 50) {
  std::vector<page_item_t<Op>> listed;
  std::size_t n = 0;
  for (auto& page : pages<Op>(fetch, std::move(request))) {
    if (!page) return std::move(page).error();
    auto got = page_traits<Op>::take_items(std::move(*page));
    bool hit = false;
    for (auto& item : got) {
      hit = hit || (!ids.empty() && std::find(ids.begin(), ids.end(), id_of(item)) != ids.end());
      listed.push_back(std::move(item));
    }
    if (hit || ++n >= max_pages) break;
  }
  return select_task(listed, ids, id_of, order_of);
}

}  // namespace alicloud
