#pragma once
// Pagination over any operation whose traits declare
//   struct pagination { page_number; page_size; total_count; items; }   (member pointers)
// Everything here works over a page FETCHER, any callable `result<Response>(const Request&)`, so it
// depends on neither the client nor the transport, and tests can serve pages from memory.
//
//   pager<Op>          next()-style lazy page reader
//   pages<Op>(...)     input range of result<Response>, one per page
//   items<Op>(...)     input range of result<Item>, one per item across pages
//   fetch_all<Op>(...) every item, pages after the first fetched concurrently, in order
//
// Where iteration stops: after the page that brings the items seen to TotalCount, at the first empty
// page, or (when a response carries no TotalCount) at the first page shorter than the page size.
// The page size sent is the request's, or page_options::default_page_size (20) when the request leaves
// it unset, so the page arithmetic never depends on a server default.

#include <alicloud/core/error.hpp>
#include <alicloud/core/operation.hpp>
#include <alicloud/core/result.hpp>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace alicloud {

/// What every pagination helper calls to read one page. The client's `call<Op>` bound to a client fits.
template <class Op>
using page_fetcher = std::function<result<typename Op::response_type>(const typename Op::request_type&)>;

namespace detail::paging {

template <class T>
struct strip_optional {
  using type = T;
};
template <class T>
struct strip_optional<std::optional<T>> {
  using type = T;
};

template <class P>
struct member_of;
template <class C, class M>
struct member_of<M C::*> {
  using type = M;
  using value_type = typename strip_optional<M>::type;
};
template <class P>
using member_value_t = typename member_of<std::remove_cv_t<P>>::value_type;

template <class T>
inline constexpr bool is_optional_v = !std::is_same_v<typename strip_optional<T>::type, T>;

template <class M>
std::optional<std::int64_t> read_int(const M& m) {
  if constexpr (is_optional_v<M>) {
    if (!m) return std::nullopt;
    return static_cast<std::int64_t>(*m);
  } else {
    return static_cast<std::int64_t>(m);
  }
}

}  // namespace detail::paging

/// Typed access to the pagination members an operation declares.
template <class Op>
struct page_traits {
  static_assert(is_paginated_v<Op>, "the operation traits declare no pagination (using pagination = void)");
  using request_type = typename Op::request_type;
  using response_type = typename Op::response_type;
  using spec = typename Op::pagination;
  using page_number_type = detail::paging::member_value_t<decltype(spec::page_number)>;
  using page_size_type = detail::paging::member_value_t<decltype(spec::page_size)>;
  using items_type = detail::paging::member_value_t<decltype(spec::items)>;
  using item_type = typename items_type::value_type;
  static_assert(std::is_integral_v<page_number_type> && std::is_integral_v<page_size_type>,
                "page number and page size must be integers");

  static std::optional<std::int64_t> page_number(const request_type& r) { return detail::paging::read_int(r.*spec::page_number); }
  static std::optional<std::int64_t> page_size(const request_type& r) { return detail::paging::read_int(r.*spec::page_size); }
  static std::optional<std::int64_t> total_count(const response_type& r) { return detail::paging::read_int(r.*spec::total_count); }

  /// False when `n` does not fit the request member (an int32 PageNumber, say).
  static bool fits_page_number(std::int64_t n) noexcept { return fits<page_number_type>(n); }
  static void set_page_number(request_type& r, std::int64_t n) { r.*spec::page_number = static_cast<page_number_type>(n); }
  static bool fits_page_size(std::int64_t n) noexcept { return fits<page_size_type>(n); }
  static void set_page_size(request_type& r, std::int64_t n) { r.*spec::page_size = static_cast<page_size_type>(n); }

  static std::size_t item_count(const response_type& r) {
    const auto& m = r.*spec::items;
    if constexpr (detail::paging::is_optional_v<std::remove_cv_t<std::remove_reference_t<decltype(m)>>>)
      return m ? m->size() : 0;
    else
      return m.size();
  }
  /// Moves the page's items out of the response.
  static items_type take_items(response_type&& r) {
    auto& m = r.*spec::items;
    if constexpr (detail::paging::is_optional_v<std::remove_reference_t<decltype(m)>>)
      return m ? std::move(*m) : items_type{};
    else
      return std::move(m);
  }

 private:
  template <class T>
  static bool fits(std::int64_t n) noexcept {
    if (n < static_cast<std::int64_t>(std::numeric_limits<T>::min())) return false;
    return n < 0 || static_cast<std::uint64_t>(n) <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
  }
};

template <class Op>
using page_item_t = typename page_traits<Op>::item_type;

struct page_options {
  /// Page size sent when the request leaves it unset (the usual Alibaba server default).
  std::int64_t default_page_size = 20;
};

namespace detail::paging {

inline error bad_request(const std::string& what) { return error(make_error_code(errc::bad_parameter), what); }

/// Page size and first page number for `r`, written back into `r` so every page request is explicit.
template <class Op>
result<std::pair<std::int64_t, std::int64_t>> prepare(typename Op::request_type& r, std::int64_t default_size) {
  using traits = page_traits<Op>;
  std::int64_t size = traits::page_size(r).value_or(default_size);
  if (size < 1 || !traits::fits_page_size(size))
    return bad_request("page size: must be a positive integer that fits the request's page size member, got " +
                       std::to_string(size));
  std::int64_t first = traits::page_number(r).value_or(1);
  if (first < 1) return bad_request("page number: must be at least 1, got " + std::to_string(first));
  traits::set_page_size(r, size);
  return std::make_pair(size, first);
}

}  // namespace detail::paging

/// Reads the pages of one listing lazily, in order. Not thread-safe; one pager per thread.
template <class Op>
class pager {
 public:
  using traits = page_traits<Op>;
  using request_type = typename Op::request_type;
  using response_type = typename Op::response_type;
  using item_type = typename traits::item_type;

  pager(page_fetcher<Op> fetch, request_type request, page_options options = {})
      : fetch_(std::move(fetch)), request_(std::move(request)) {
    auto p = detail::paging::prepare<Op>(request_, options.default_page_size);
    if (!p) {
      pending_error_ = std::move(p).error();
      return;
    }
    size_ = p->first;
    next_page_ = p->second;
    offset_ = static_cast<std::uint64_t>(next_page_ - 1) * static_cast<std::uint64_t>(size_);
  }

  /// The next page, or nullopt once iteration is over. An error is returned once and ends iteration;
  /// to resume, build a new pager whose request starts at next_page_number().
  std::optional<result<response_type>> next() {
    if (done_) return std::nullopt;
    if (pending_error_) {
      done_ = true;
      return result<response_type>(std::move(*pending_error_));
    }
    if (!traits::fits_page_number(next_page_)) {
      done_ = true;
      return result<response_type>(error(make_error_code(errc::out_of_range),
                                         "page number " + std::to_string(next_page_) + " does not fit the request"));
    }
    traits::set_page_number(request_, next_page_);
    result<response_type> page = fetch_(request_);
    if (!page) {
      done_ = true;
      return page;
    }
    const std::size_t n = traits::item_count(*page);
    if (auto t = traits::total_count(*page)) total_ = t;
    seen_ += n;
    ++pages_;
    ++next_page_;
    if (n == 0)
      done_ = true;
    else if (total_)
      done_ = offset_ + seen_ >= static_cast<std::uint64_t>(std::max<std::int64_t>(*total_, 0));
    else
      done_ = static_cast<std::int64_t>(n) < size_;  // no total: a short page is the last one
    return page;
  }

  bool done() const noexcept { return done_; }
  /// Page number the next call to next() requests.
  std::int64_t next_page_number() const noexcept { return next_page_; }
  std::int64_t page_size() const noexcept { return size_; }
  std::size_t pages_fetched() const noexcept { return pages_; }
  std::uint64_t items_seen() const noexcept { return seen_; }
  /// TotalCount of the latest page that carried one.
  std::optional<std::int64_t> total_count() const noexcept { return total_; }

 private:
  page_fetcher<Op> fetch_;
  request_type request_;
  std::optional<error> pending_error_;
  std::int64_t size_ = 0;
  std::int64_t next_page_ = 1;
  std::uint64_t offset_ = 0;  // items before the first requested page
  std::uint64_t seen_ = 0;
  std::size_t pages_ = 0;
  std::optional<std::int64_t> total_;
  bool done_ = false;
};

namespace detail {

/// Input iterator over a range that produces one element at a time: `advance()` makes the next element
/// current (false at the end) and `current_` holds it. Shared by page_range and item_range.
template <class Range>
class pull_iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = typename Range::value_type;
  using difference_type = std::ptrdiff_t;
  using pointer = value_type*;
  using reference = value_type&;

  pull_iterator() = default;
  explicit pull_iterator(Range* r) : range_(r) {}
  reference operator*() const { return *range_->current_; }
  pointer operator->() const { return &*range_->current_; }
  pull_iterator& operator++() {
    if (!range_->advance()) range_ = nullptr;
    return *this;
  }
  void operator++(int) { ++*this; }
  friend bool operator==(const pull_iterator& a, const pull_iterator& b) noexcept { return a.range_ == b.range_; }
  friend bool operator!=(const pull_iterator& a, const pull_iterator& b) noexcept { return a.range_ != b.range_; }

 private:
  Range* range_ = nullptr;
};

}  // namespace detail

/// Input range over the pages of a listing: each element is a result<Response>; an error is the last
/// element. Iterate it once.
template <class Op>
class page_range {
 public:
  using value_type = result<typename Op::response_type>;

  using iterator = detail::pull_iterator<page_range>;

  page_range(page_fetcher<Op> fetch, typename Op::request_type request, page_options options = {})
      : pager_(std::move(fetch), std::move(request), options) {}

  iterator begin() { return iterator(advance() ? this : nullptr); }
  iterator end() { return iterator(); }
  const pager<Op>& state() const noexcept { return pager_; }

 private:
  friend iterator;
  bool advance() {
    current_ = pager_.next();
    return current_.has_value();
  }
  pager<Op> pager_;
  std::optional<value_type> current_;
};

/// Input range over the items of every page, in order: each element is a result<Item>; a failed page
/// fetch shows up as one error element, after which the range ends. Iterate it once.
template <class Op>
class item_range {
 public:
  using item_type = page_item_t<Op>;
  using value_type = result<item_type>;

  using iterator = detail::pull_iterator<item_range>;

  item_range(page_fetcher<Op> fetch, typename Op::request_type request, page_options options = {})
      : pager_(std::move(fetch), std::move(request), options) {}

  iterator begin() { return iterator(advance() ? this : nullptr); }
  iterator end() { return iterator(); }
  const pager<Op>& state() const noexcept { return pager_; }

 private:
  friend iterator;
  bool advance() {
    for (;;) {
      if (index_ < page_.size()) {
        current_.emplace(std::move(page_[index_++]));
        return true;
      }
      auto next = pager_.next();
      if (!next) return false;
      if (!*next) {
        page_.clear();
        index_ = 0;
        current_.emplace(std::move(*next).error());
        return true;
      }
      page_ = page_traits<Op>::take_items(std::move(**next));
      index_ = 0;
    }
  }
  pager<Op> pager_;
  typename page_traits<Op>::items_type page_;
  std::size_t index_ = 0;
  std::optional<value_type> current_;
};

/// Lazily read pages: `for (auto& page : pages<Op>(fetch, req)) { if (!page) ...; }`.
template <class Op>
page_range<Op> pages(page_fetcher<Op> fetch, typename Op::request_type request, page_options options = {}) {
  return page_range<Op>(std::move(fetch), std::move(request), options);
}

/// Lazily read items across pages: `for (auto& item : items<Op>(fetch, req)) { if (!item) ...; }`.
template <class Op>
item_range<Op> items(page_fetcher<Op> fetch, typename Op::request_type request, page_options options = {}) {
  return item_range<Op>(std::move(fetch), std::move(request), options);
}

/// Runs a task somewhere, eventually (a thread pool's post, an Asio executor wrapped in a lambda).
using task_executor = std::function<void(std::function<void()>)>;

struct fetch_all_options {
  /// Pages fetched at the same time, counting the calling thread (which fetches too). 0 or 1: sequential
  /// on the calling thread, no thread started.
  std::size_t max_concurrency = 4;
  /// Page size sent when the request leaves it unset.
  std::int64_t default_page_size = 20;
  /// When set, the extra workers (max_concurrency - 1 of them) are handed to it instead of std::threads.
  /// fetch_all returns once every page is in and no fetch is running; a task the executor starts later
  /// finds no work and returns at once without calling the fetcher. The executor must run tasks on
  /// other threads or inline; it must not queue them behind the calling thread.
  task_executor executor;
  /// Called after each page that arrived: (pages done, pages planned). Calls come from whichever thread
  /// fetched the page but never overlap, and pages_done strictly increases. pages_total is 0 while it
  /// is unknown (a response without TotalCount makes fetch_all read sequentially). After a restart the
  /// count starts again at 1.
  std::function<void(std::size_t pages_done, std::size_t pages_total)> on_progress;
  /// Whole-listing re-reads allowed when the listing changed under us (see fetch_all).
  std::size_t max_restarts = 2;
  /// Refuse plans with more pages than this: a bogus TotalCount must not allocate without bound.
  std::size_t max_pages = 100000;
};

namespace detail::paging {

/// Error code of a listing that changed while it was read; the caller may simply try again.
inline std::error_code listing_changed_code() { return std::make_error_code(std::errc::resource_unavailable_try_again); }

template <class Op>
struct fetch_all_state {
  using traits = page_traits<Op>;
  using request_type = typename Op::request_type;
  using items_type = typename traits::items_type;

  page_fetcher<Op> fetch;
  request_type base;
  std::int64_t first_page = 0;  // page number of slot 0
  std::int64_t size = 0;        // page size the server uses
  std::int64_t total = 0;       // TotalCount of the first page
  std::size_t pages_total = 0;  // including the first page
  std::function<void(std::size_t, std::size_t)> on_progress;

  std::mutex m;
  std::condition_variable cv;
  std::vector<std::optional<items_type>> slots;
  std::size_t next = 0;       // next slot handed out
  std::size_t in_flight = 0;  // fetches running
  bool stop = false;          // an error: no more pages handed out
  bool closed = false;        // fetch_all returned: late tasks must not fetch
  std::optional<error> err;
  bool changed = false;       // err is a listing change (restartable)
  std::exception_ptr exception;

  std::mutex progress_m;
  std::size_t reported = 1;  // the first page was reported by fetch_all itself

  std::size_t expected_items(std::int64_t page) const {
    const std::int64_t before = (page - 1) * size;
    return static_cast<std::size_t>(std::min(size, total - before));
  }

  void fail(error e, bool listing_changed) {
    std::lock_guard<std::mutex> lk(m);
    if (!err && !exception) {
      err = std::move(e);
      changed = listing_changed;
    }
    stop = true;
  }

  // One worker: takes pages until none is left or an error stopped the run.
  void work() {
    for (;;) {
      std::size_t i = 0;
      {
        std::lock_guard<std::mutex> lk(m);
        if (stop || closed || next >= slots.size()) return;
        i = next++;
        ++in_flight;
      }
      const std::int64_t page_no = first_page + static_cast<std::int64_t>(i);
      std::optional<items_type> got;
      try {
        request_type req = base;
        traits::set_page_number(req, page_no);
        auto page = fetch(req);
        if (!page) {
          fail(std::move(page).error(), false);
        } else if (auto t = traits::total_count(*page); t && *t != total) {
          fail(error(listing_changed_code(), "listing changed while reading it: page " + std::to_string(page_no) +
                                                 " reports TotalCount " + std::to_string(*t) + ", the first page " +
                                                 std::to_string(total)),
               true);
        } else if (traits::item_count(*page) != expected_items(page_no)) {
          fail(error(listing_changed_code(), "listing changed while reading it: page " + std::to_string(page_no) +
                                                 " has " + std::to_string(traits::item_count(*page)) +
                                                 " items, expected " + std::to_string(expected_items(page_no))),
               true);
        } else {
          got = traits::take_items(std::move(*page));
        }
      } catch (...) {
        std::lock_guard<std::mutex> lk(m);
        if (!exception) exception = std::current_exception();
        stop = true;
      }
      const bool ok = got.has_value();
      {
        std::lock_guard<std::mutex> lk(m);
        if (ok) slots[i] = std::move(got);
        --in_flight;
      }
      cv.notify_all();
      if (ok && on_progress) {
        try {
          std::lock_guard<std::mutex> lk(progress_m);
          on_progress(++reported, pages_total);
        } catch (...) {
          std::lock_guard<std::mutex> lk(m);
          if (!exception) exception = std::current_exception();
          stop = true;
        }
      }
    }
  }
};

template <class Op>
result<typename page_traits<Op>::items_type> fetch_all_once(const page_fetcher<Op>& fetch,
                                                             typename Op::request_type request,
                                                             const fetch_all_options& o, bool& listing_changed) {
  using traits = page_traits<Op>;
  using items_type = typename traits::items_type;
  listing_changed = false;
  auto prep = prepare<Op>(request, o.default_page_size);
  if (!prep) return std::move(prep).error();
  std::int64_t size = prep->first;
  const std::int64_t start = prep->second;
  if (!traits::fits_page_number(start))
    return error(make_error_code(errc::out_of_range), "page number " + std::to_string(start) + " does not fit the request");
  traits::set_page_number(request, start);

  auto first = fetch(request);
  if (!first) return std::move(first).error();
  const std::optional<std::int64_t> total = traits::total_count(*first);
  const std::size_t n = traits::item_count(*first);
  items_type all = traits::take_items(std::move(*first));

  if (!total) {
    // Nothing to plan with: read on sequentially until a short or empty page.
    std::size_t done = 1;
    if (o.on_progress) o.on_progress(done, 0);
    std::size_t last_n = n;
    for (std::int64_t page_no = start + 1; last_n != 0 && static_cast<std::int64_t>(last_n) >= size; ++page_no) {
      if (done >= o.max_pages)
        return error(make_error_code(errc::out_of_range), "listing has more than max_pages (" +
                                                              std::to_string(o.max_pages) + ") pages");
      if (!traits::fits_page_number(page_no))
        return error(make_error_code(errc::out_of_range), "page number " + std::to_string(page_no) + " does not fit the request");
      traits::set_page_number(request, page_no);
      auto page = fetch(request);
      if (!page) return std::move(page).error();
      last_n = traits::item_count(*page);
      auto got = traits::take_items(std::move(*page));
      for (auto& x : got) all.push_back(std::move(x));
      if (o.on_progress) o.on_progress(++done, 0);
    }
    return all;
  }

  if (*total < 0) return error(make_error_code(errc::out_of_range), "TotalCount is negative: " + std::to_string(*total));
  // When more items follow, the first page is full by definition, so its length is the page size the
  // server really uses (it may cap ours); page numbers count in that size.
  if (n > 0 && static_cast<std::int64_t>(n) != size &&
      (start - 1) * static_cast<std::int64_t>(n) + static_cast<std::int64_t>(n) < *total)
    size = static_cast<std::int64_t>(n);
  const std::int64_t offset = (start - 1) * size;
  const std::int64_t remaining = *total - offset - static_cast<std::int64_t>(n);
  const std::int64_t extra = (n == 0 || remaining <= 0) ? 0 : (remaining + size - 1) / size;
  if (static_cast<std::uint64_t>(extra) + 1 > o.max_pages)
    return error(make_error_code(errc::out_of_range), "TotalCount " + std::to_string(*total) + " needs " +
                                                          std::to_string(extra + 1) + " pages, more than max_pages (" +
                                                          std::to_string(o.max_pages) + ")");
  if (extra > 0 && !traits::fits_page_number(start + extra))
    return error(make_error_code(errc::out_of_range), "page number " + std::to_string(start + extra) + " does not fit the request");

  const std::size_t pages_total = static_cast<std::size_t>(extra) + 1;
  if (o.on_progress) o.on_progress(1, pages_total);
  if (extra == 0) return all;

  auto st = std::make_shared<fetch_all_state<Op>>();
  st->fetch = fetch;
  st->base = request;
  st->first_page = start + 1;
  st->size = size;
  st->total = *total;
  st->pages_total = pages_total;
  st->on_progress = o.on_progress;
  st->slots.resize(static_cast<std::size_t>(extra));

  const std::size_t workers = std::max<std::size_t>(1, std::min<std::size_t>(o.max_concurrency, st->slots.size()));
  std::vector<std::thread> threads;
  for (std::size_t w = 1; w < workers; ++w) {
    try {
      if (o.executor)
        o.executor([st] { st->work(); });
      else
        threads.emplace_back([st] { st->work(); });
    } catch (...) {
      break;  // fewer workers than asked; the calling thread still gets every page done
    }
  }
  st->work();
  {
    std::unique_lock<std::mutex> lk(st->m);
    // Once the calling thread's loop ends, no page is left to hand out (or a failure stopped the run);
    // what remains is waiting for fetches in progress.
    st->cv.wait(lk, [&] { return st->in_flight == 0; });
    st->closed = true;
  }
  for (auto& t : threads) t.join();

  if (st->exception) std::rethrow_exception(st->exception);
  if (st->err) {
    listing_changed = st->changed;
    return std::move(*st->err);
  }
  all.reserve(static_cast<std::size_t>(*total - offset));
  for (auto& slot : st->slots)
    for (auto& x : *slot) all.push_back(std::move(x));
  return all;
}

}  // namespace detail::paging

/// Every item of a listing, in page order then server order within a page.
///
/// Reads the first page on the calling thread, plans the remaining pages from its TotalCount and page
/// size, then fetches them with up to `max_concurrency` fetches at a time: the calling thread plus
/// `max_concurrency - 1` workers (std::threads started here and joined before returning, or tasks given
/// to `options.executor`). Nothing keeps running after it returns.
///
/// Guarantees: items come back in order, each planned page exactly once. The first failed fetch stops
/// the run: no further page is handed out, fetches already running finish, and that error is returned
/// (an exception thrown by the fetcher or the progress callback is rethrown on the calling thread).
///
/// The listing changing under us: every later page must report the first page's TotalCount and hold
/// exactly the items the plan expects (the page size, or the remainder on the last page). Otherwise
/// items may have shifted between pages, so results could be duplicated or missing; the whole listing
/// is read again, up to `max_restarts` times, after which the error is returned with code
/// std::errc::resource_unavailable_try_again. Responses without TotalCount are read sequentially until a
/// short or empty page.
template <class Op>
result<typename page_traits<Op>::items_type> fetch_all(page_fetcher<Op> fetch, typename Op::request_type request,
                                                       const fetch_all_options& options = {}) {
  for (std::size_t attempt = 0;; ++attempt) {
    bool changed = false;
    auto r = detail::paging::fetch_all_once<Op>(fetch, request, options, changed);
    if (r || !changed || attempt >= options.max_restarts) return r;
  }
}

}  // namespace alicloud
