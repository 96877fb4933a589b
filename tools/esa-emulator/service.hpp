#pragma once
// The emulated ESA API, independent of sockets: one HTTP request in, one outcome out (an answer, or a
// fault for the server to act out). Requests are decoded with the generated models and parameter
// codec and validated by the generated validators, so error codes match the real service's.
//
// Processing order for each request:
//   latency and fault draw -> (fault before processing?) -> path, method, query/form decoding ->
//   Action/Version -> signature, clock skew, nonce -> per-key rate limit -> parameters and validation
//   -> operation -> (fault after processing?)
//
// Documented emulator choices (the service's own behaviour is not published for these):
//   - PreloadCaches and PurgeCaches create one task per URL / item; the response TaskId is the task
//     ids joined with ',' in request order (as Alibaba CDN does for several URLs).
//   - A SiteId that names no site gives InvalidParameter. A URL host that is neither the site's name
//     nor a subdomain of it gives InvalidParameter.RecordNotBelongToSite; PreloadCaches without SiteId
//     picks the site serving the host.
//   - TooManyRequests is HTTP 429 for PurgeCaches and 400 for the other operations (the spec's
//     statuses); x-acs-retry-after carries the milliseconds until the next request is admitted.

#include "auth.hpp"
#include "config.hpp"
#include "state.hpp"

#include <alicloud/core/encoding.hpp>
#include <alicloud/core/json.hpp>
#include <alicloud/core/params.hpp>
#include <alicloud/esa/describe_preload_tasks.hpp>
#include <alicloud/esa/describe_purge_tasks.hpp>
#include <alicloud/esa/errors.hpp>
#include <alicloud/esa/get_site.hpp>
#include <alicloud/esa/list_sites.hpp>
#include <alicloud/esa/preload_caches.hpp>
#include <alicloud/esa/product.hpp>
#include <alicloud/esa/purge_caches.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <random>
// GCC 12 with -fsanitize=address reports false -Wmaybe-uninitialized warnings inside <regex> (see
// alicloud/core/validation.hpp); keep them from failing -Werror builds.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace esa_emulator {

/// One received HTTP request, as the server hands it over.
struct http_request {
  std::string method;
  std::string target;  ///< as received (still percent-encoded)
  alicloud::param_list headers;
  std::string body;
  std::string peer;  ///< remote address, for the access log
};

/// What the server must do with the connection.
struct outcome {
  enum class action { respond, reset, stall };
  action what = action::respond;
  int status = 200;
  alicloud::param_list headers;
  std::string body;
  std::chrono::milliseconds delay{0};  ///< wait this long before acting
  bool close = false;                  ///< close the connection after answering
};

/// Counters since start, for tests and the shutdown summary.
struct service_stats {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> throttled{0};
  std::atomic<std::uint64_t> resets{0};
  std::atomic<std::uint64_t> stalls{0};
  std::atomic<std::uint64_t> server_errors{0};
  std::atomic<std::uint64_t> malformed{0};
};

namespace detail {

/// Decodes `a=b&c=d` (`+` is a space, as form encoding and Go's url.Values use). Returns false on a
/// malformed percent escape.
inline bool parse_form(std::string_view text, alicloud::param_list& out, std::string& bad) {
  while (!text.empty()) {
    const auto amp = text.find('&');
    std::string_view part = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    std::string k(part.substr(0, eq));
    std::string v(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
    std::replace(k.begin(), k.end(), '+', ' ');
    std::replace(v.begin(), v.end(), '+', ' ');
    auto dk = alicloud::percent_decode(k);
    auto dv = alicloud::percent_decode(v);
    if (!dk || !dv) {
      bad = std::string(part.substr(0, 80));
      return false;
    }
    if (dk->empty()) continue;
    out.emplace_back(std::move(*dk), std::move(*dv));
  }
  return true;
}

/// Host of an absolute http(s) URL, or nullopt when the text is not one.
inline std::optional<std::string> url_host(std::string_view url) {
  auto starts = [&](std::string_view p) {
    if (url.size() < p.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(url[i])) != p[i]) return false;
    return true;
  };
  std::string_view rest;
  if (starts("https://")) rest = url.substr(8);
  else if (starts("http://")) rest = url.substr(7);
  else return std::nullopt;
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  const auto end = rest.find_first_of("/?#:");
  std::string host(rest.substr(0, end));
  if (host.empty() || host.size() > 253) return std::nullopt;
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return std::nullopt;
  if (end != std::string_view::npos && rest[end] == ':') {
    const auto port_end = rest.find_first_of("/?#", end);
    const auto port = rest.substr(end + 1, port_end == std::string_view::npos ? std::string_view::npos : port_end - end - 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
  }
  return host;
}

inline bool valid_hostname(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  for (char c : h)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '*') return false;
  return true;
}

inline std::string host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    return std::string(host.substr(0, close == std::string_view::npos ? host.size() : close + 1));
  }
  return std::string(host.substr(0, host.find(':')));
}

inline std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace detail

class service {
 public:
  /// Loads the state file (or seeds sample data on a fresh start). Throws state_error.
  explicit service(config cfg)
      : cfg_(std::move(cfg)),
        clock_(*cfg_.clock),
        store_(cfg_.state_file),
        auth_(effective_keys(cfg_), clock_, cfg_.clock_skew),
        rng_(cfg_.seed),
        request_id_base_(detail::splitmix64(std::random_device{}()) ^ (std::uint64_t{std::random_device{}()} << 32)) {
    for (const auto& r : cfg_.fail_rules) fail_res_.emplace_back(std::regex(r.pattern, std::regex::ECMAScript), r.description);
    const std::int64_t now = to_unix_ms(clock_.now());
    const bool loaded = store_.load();
    {
      auto l = store_.lock();
      if (!loaded) {
        if (cfg_.sample_data) store_.seed_sample_data(now, cfg_.task_duration);
        store_.touch();  // a fresh start writes its state file at once
      }
      for (const auto& s : cfg_.extra_sites) store_.ensure_site(s, now);
    }
    store_.commit();
  }

  const config& settings() const { return cfg_; }
  store& data() { return store_; }
  const service_stats& stats() const { return stats_; }

  /// The keys requests are checked against (the demo key when none were configured).
  static std::vector<access_key> effective_keys(const config& c) {
    if (!c.keys.empty()) return c.keys;
    return {access_key{std::string(demo_access_key_id), std::string(demo_access_key_secret), {}}};
  }

  outcome handle(const http_request& req) {
    ++stats_.requests;
    const std::string request_id = new_request_id();
    const std::string host_id = host_id_of(req);
    const draw d = draw_faults();

    outcome out;
    std::string action_for_log = "-";
    std::string key_for_log = "-";
    if (d.fault != fault_kind::none && !d.after) {
      out = act_out(d, request_id, host_id);
    } else {
      out = process(req, request_id, host_id, action_for_log, key_for_log);
      if (d.fault != fault_kind::none) out = act_out(d, request_id, host_id);
    }
    out.delay += d.delay;  // a stall already holds its own duration
    if (out.what == outcome::action::respond && out.status >= 400) ++stats_.errors;
    log(req, action_for_log, key_for_log, out);
    return out;
  }

  /// An error answer for problems the server finds before a request is complete (oversized, timed
  /// out, unparsable); the connection is closed afterwards.
  outcome protocol_error(int status, std::string message, std::string_view host = {}) {
    ++stats_.requests;
    ++stats_.errors;
    api_error e = make_api_error(alicloud::esa::errc::InvalidParameter, std::move(message));
    e.status = status;
    outcome out = error_outcome(e, new_request_id(), host.empty() ? std::string("esa-emulator") : host_without_port(host));
    out.close = true;
    if (cfg_.access_log) *cfg_.access_log << alicloud::format_utc_timestamp(clock_.now()) << " - - " << status << " "
                                          << e.code << " (protocol error)\n" << std::flush;
    return out;
  }

 private:
  using errc = alicloud::esa::errc;
  enum class fault_kind { none, reset, stall, server_error, malformed };
  struct draw {
    fault_kind fault = fault_kind::none;
    bool after = false;
    std::chrono::milliseconds delay{0};
    bool internal_error = false;  // 500 instead of 503
    int malformed_variant = 0;
  };

  struct op_result {
    std::string body;
    std::optional<api_error> error;
  };

  // --------------------------------------------------------------------------------------------
  // request plumbing

  outcome process(const http_request& req, const std::string& request_id, const std::string& host_id,
                  std::string& action_for_log, std::string& key_for_log) {
    auto fail = [&](const api_error& e) { return error_outcome(e, request_id, host_id); };

    const std::string_view target = req.target;
    const auto qpos = target.find('?');
    const auto raw_path = target.substr(0, qpos);
    const auto path = alicloud::percent_decode(raw_path);
    if (!path) return fail(make_api_error(errc::InvalidParameter, "The request path has a malformed percent escape."));
    if (*path != "/")
      return fail(make_api_error(errc::InvalidAction_NotFound,
                                 "Specified api is not found: the ESA RPC API is served at \"/\", not \"" +
                                     path->substr(0, 80) + "\"."));
    if (req.method != "GET" && req.method != "POST") {
      api_error e = make_api_error(errc::InvalidParameter, "HTTP method " + req.method.substr(0, 20) +
                                                               " is not supported; use GET or POST.");
      e.status = 405;
      return fail(e);
    }
    alicloud::param_list query, form;
    std::string bad;
    if (qpos != std::string_view::npos && !detail::parse_form(target.substr(qpos + 1), query, bad))
      return fail(make_api_error(errc::InvalidParameter, "The query string has a malformed percent escape in \"" + bad + "\"."));
    const std::string* content_type = detail::header(req.headers, "content-type");
    if (content_type && detail::lower(*content_type).rfind("application/x-www-form-urlencoded", 0) == 0 &&
        !detail::parse_form(req.body, form, bad))
      return fail(make_api_error(errc::InvalidParameter, "The form body has a malformed percent escape in \"" + bad + "\"."));

    // ACS3 requests name the operation in headers, legacy ones in the query; accept either.
    const bool legacy = !detail::header(req.headers, "authorization") && detail::param(query, "Signature");
    auto pick = [&](const char* header_name, const char* param_name) -> const std::string* {
      const std::string* h = detail::header(req.headers, header_name);
      const std::string* p = detail::param(query, param_name);
      if (legacy) return p ? p : h;
      return h ? h : p;
    };
    const std::string* action = pick("x-acs-action", "Action");
    const std::string* version = pick("x-acs-version", "Version");
    if (!action || action->empty())
      return fail(make_api_error(errc::MissingParameter, "The x-acs-action header (or Action parameter) is missing."));
    action_for_log = action->substr(0, 64);
    if (!known_action(*action))
      return fail(make_api_error(errc::InvalidAction_NotFound,
                                 "Specified api is not found, please check your url and method: action \"" +
                                     action->substr(0, 64) + "\" does not exist in ESA " +
                                     std::string(alicloud::esa::product::version) + "."));
    if (!version || version->empty())
      return fail(make_api_error(errc::MissingParameter, "The x-acs-version header (or Version parameter) is missing."));
    if (*version != alicloud::esa::product::version)
      return fail(make_api_error(errc::InvalidVersion, "Specified parameter Version \"" + version->substr(0, 32) +
                                                           "\" is not valid; ESA serves " +
                                                           std::string(alicloud::esa::product::version) + "."));

    const signed_input sin{req.method, *path, &query, &form, &req.headers, req.body};
    auto [who, auth_error] = auth_.verify(sin);
    if (auth_error) return fail(*auth_error);
    key_for_log = alicloud::redacted_access_key_id(who->access_key_id);

    if (auto retry_after = admit(who->access_key_id)) {
      ++stats_.throttled;
      api_error e = make_api_error(errc::TooManyRequests, "Too many requests. Please try again later.");
      if (*action == "PurgeCaches") e.status = 429;
      outcome o = fail(e);
      o.headers.emplace_back("x-acs-retry-after", std::to_string(*retry_after));
      return o;
    }

    alicloud::param_list params = query;
    params.insert(params.end(), form.begin(), form.end());
    op_result r = dispatch(*action, params, request_id);
    if (r.error) return fail(*r.error);
    outcome o;
    o.status = 200;
    o.body = std::move(r.body);
    o.headers = {{"Content-Type", "application/json;charset=utf-8"}, {"x-acs-request-id", request_id}};
    return o;
  }

  static bool known_action(std::string_view a) {
    return a == alicloud::esa::DescribePreloadTasks::action || a == alicloud::esa::PreloadCaches::action ||
           a == alicloud::esa::DescribePurgeTasks::action || a == alicloud::esa::PurgeCaches::action ||
           a == alicloud::esa::ListSites::action || a == alicloud::esa::GetSite::action;
  }

  op_result dispatch(std::string_view action, const alicloud::param_list& params, const std::string& rid) {
    namespace esa = alicloud::esa;
    if (action == esa::DescribePreloadTasks::action)
      return run<esa::DescribePreloadTasks>(params, [&](const auto& r) { return describe_tasks(r, task_kind::preload, rid); });
    if (action == esa::DescribePurgeTasks::action)
      return run<esa::DescribePurgeTasks>(params, [&](const auto& r) { return describe_tasks(r, task_kind::purge, rid); });
    if (action == esa::PreloadCaches::action)
      return run<esa::PreloadCaches>(params, [&](const auto& r) { return preload_caches(r, rid); });
    if (action == esa::PurgeCaches::action)
      return run<esa::PurgeCaches>(params, [&](const auto& r) { return purge_caches(r, rid); });
    if (action == esa::ListSites::action)
      return run<esa::ListSites>(params, [&](const auto& r) { return list_sites(r, rid); });
    return run<esa::GetSite>(params, [&](const auto& r) { return get_site(r, rid); });
  }

  /// Decodes and validates with the generated codec and validator, then runs the operation.
  template <class Op, class F>
  op_result run(const alicloud::param_list& params, F&& f) {
    auto decoded = alicloud::decode_params<typename Op::request_type>(params, Op::parameters);
    if (!decoded) {
      const auto& err = decoded.error();
      if (err.violations.empty()) return {{}, make_api_error(errc::InternalError, "decoding failed: " + err.message)};
      return {{}, from_violations(err.violations)};
    }
    const auto violations = Op::validate(*decoded, clock_);
    if (!violations.empty()) return {{}, from_violations(violations)};
    try {
      return f(*decoded);
    } catch (const std::exception& e) {
      // Only the state file write throws here; the change is in memory but not durable.
      return {{}, make_api_error(errc::InternalError, std::string("The request could not be completed: ") + e.what())};
    }
  }

  static api_error from_violations(const std::vector<alicloud::violation>& vs) {
    std::string code = vs.front().code;
    if (code.empty()) {
      const auto& rule = vs.front().rule;
      code = (rule == "required" || rule == "together") ? "MissingParameter" : "InvalidParameter";
    }
    std::string message;
    for (const auto& v : vs) {
      if (!message.empty()) message += "; ";
      message += v.message;
    }
    const auto e = alicloud::esa::errc_from_code(code);
    return api_error{code, message, e ? alicloud::esa::http_status(*e) : 400};
  }

  outcome error_outcome(const api_error& e, const std::string& request_id, const std::string& host_id) const {
    boost::json::object o;
    o["RequestId"] = request_id;
    o["HostId"] = host_id;
    o["Code"] = e.code;
    o["Message"] = e.message;
    o["Recommend"] = "https://api.aliyun.com/troubleshoot?q=" + e.code + "&product=ESA&requestId=" + request_id;
    outcome out;
    out.status = e.status;
    out.body = alicloud::json::to_json(boost::json::value(std::move(o)));
    out.headers = {{"Content-Type", "application/json;charset=utf-8"}, {"x-acs-request-id", request_id}};
    return out;
  }

  // --------------------------------------------------------------------------------------------
  // operations

  template <class Req>
  op_result describe_tasks(const Req& r, task_kind kind, const std::string& rid) {
    const std::int64_t now = to_unix_ms(clock_.now());
    std::vector<task> matched;
    std::vector<task_state> states;
    {
      auto l = store_.lock();
      if (r.SiteId && !store_.find_site(*r.SiteId)) return {{}, no_site(*r.SiteId)};
      for (const auto& t : store_.tasks(kind)) {
        if (r.SiteId && t.site_id != *r.SiteId) continue;
        if (r.Content && t.content != *r.Content) continue;
        if (r.StartTime && t.created_ms < r.StartTime->unix_seconds() * 1000) continue;
        if (r.EndTime && t.created_ms >= (r.EndTime->unix_seconds() + 1) * 1000) continue;
        if constexpr (std::is_same_v<Req, alicloud::esa::DescribePurgeTasksRequest>) {
          if (r.Type && t.type != r.Type->value()) continue;
        }
        task_state st = progress(t, now);
        if (r.Status && st.status != r.Status->value()) continue;
        matched.push_back(t);
        states.push_back(std::move(st));
      }
    }
    std::vector<std::size_t> order(matched.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    // Newest first, like the console; ids break ties so pages are stable.
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const task& x = matched[a];
      const task& y = matched[b];
      if (x.created_ms != y.created_ms) return x.created_ms > y.created_ms;
      if (x.id.size() != y.id.size()) return x.id.size() > y.id.size();
      return x.id > y.id;
    });
    const std::int64_t page = r.PageNumber.value_or(1);
    const std::int64_t size = r.PageSize.value_or(20);
    const std::size_t first = static_cast<std::size_t>(std::min<std::int64_t>((page - 1) * size, static_cast<std::int64_t>(order.size())));
    const std::size_t last = std::min(order.size(), first + static_cast<std::size_t>(size));

    using Resp = std::conditional_t<std::is_same_v<Req, alicloud::esa::DescribePurgeTasksRequest>,
                                    alicloud::esa::DescribePurgeTasksResponse, alicloud::esa::DescribePreloadTasksResponse>;
    Resp resp;
    resp.PageNumber = page;
    resp.PageSize = size;
    resp.TotalCount = static_cast<std::int64_t>(order.size());
    resp.Tasks.emplace();
    for (std::size_t i = first; i < last; ++i) {
      const task& t = matched[order[i]];
      const task_state& st = states[order[i]];
      typename decltype(resp.Tasks)::value_type::value_type item;
      item.TaskId = t.id;
      item.Content = t.content;
      item.Status.emplace(st.status);
      item.Process = st.process;
      if (!st.description.empty()) item.Description = st.description;
      item.CreateTime = task_time_text(t.created_ms);
      if constexpr (std::is_same_v<Req, alicloud::esa::DescribePurgeTasksRequest>) item.Type = t.type;
      resp.Tasks->push_back(std::move(item));
    }
    return finish(resp, rid);
  }

  op_result preload_caches(const alicloud::esa::PreloadCachesRequest& r, const std::string& rid) {
    if (!r.Content || r.Content->empty())
      return {{}, make_api_error(errc::MissingParameter, "Content: at least one URL to prefetch is required.")};
    if (r.Content->size() > cfg_.max_urls_per_request)
      return {{}, make_api_error(errc::DomainNameOverLimit, "Content: " + std::to_string(r.Content->size()) +
                                                                " URLs given; at most " +
                                                                std::to_string(cfg_.max_urls_per_request) +
                                                                " are accepted per request.")};
    const std::int64_t now = to_unix_ms(clock_.now());
    std::vector<std::string> ids;
    {
      auto l = store_.lock();
      const site* fixed = nullptr;
      if (r.SiteId) {
        fixed = store_.find_site(*r.SiteId);
        if (!fixed) return {{}, no_site(*r.SiteId)};
      }
      std::vector<std::int64_t> site_ids;
      for (std::size_t i = 0; i < r.Content->size(); ++i) {
        const std::string& url = (*r.Content)[i];
        auto host = detail::url_host(url);
        if (!host)
          return {{}, make_api_error(errc::InvalidParameters_InvalidUrls,
                                     "Content[" + std::to_string(i) + "]: \"" + url.substr(0, 200) +
                                         "\" is not an absolute http:// or https:// URL.")};
        const site* s = fixed ? fixed : store_.site_for_host(*host);
        if (!s || !s->serves(*host))
          return {{}, not_on_site("Content[" + std::to_string(i) + "]", *host, fixed)};
        site_ids.push_back(s->id);
      }
      std::size_t running = 0;
      for (const auto& t : store_.tasks(task_kind::preload))
        if (progress(t, now).status == "Refreshing") ++running;
      if (running + r.Content->size() > cfg_.preload_queue_limit)
        return {{}, make_api_error(errc::PreloadQueueFull,
                                   "The prefetch queue is full: " + std::to_string(running) + " tasks are running, " +
                                       std::to_string(r.Content->size()) + " more would exceed the limit of " +
                                       std::to_string(cfg_.preload_queue_limit) + ". Retry later.")};
      for (std::size_t i = 0; i < r.Content->size(); ++i)
        ids.push_back(add_task(task_kind::preload, site_ids[i], (*r.Content)[i], "", now));
      store_.touch();
    }
    store_.commit();
    alicloud::esa::PreloadCachesResponse resp;
    resp.TaskId = detail::join(ids, ",");
    return finish(resp, rid);
  }

  op_result purge_caches(const alicloud::esa::PurgeCachesRequest& r, const std::string& rid) {
    const std::string type = r.Type.value();
    const std::int64_t now = to_unix_ms(clock_.now());
    std::vector<std::string> ids;
    {
      auto l = store_.lock();
      const site* s = store_.find_site(r.SiteId);
      if (!s) return {{}, no_site(r.SiteId)};
      std::vector<std::string> items;
      std::string member;
      enum class check { url, host, text } how = check::url;
      const auto& c = r.Content;
      auto strings = [&](const std::optional<std::vector<std::string>>& v) {
        if (v) items = *v;
      };
      if (type == "file") {
        member = "Files";
        if (c && c->Files) {
          for (std::size_t i = 0; i < c->Files->size(); ++i) {
            const boost::json::value& f = (*c->Files)[i];
            if (f.is_string()) {
              items.emplace_back(f.get_string());
            } else if (f.is_object() && f.get_object().if_contains("Url") && f.get_object().at("Url").is_string()) {
              items.emplace_back(f.get_object().at("Url").get_string());
            } else {
              return {{}, make_api_error(errc::InvalidParameter, "Content.Files[" + std::to_string(i) +
                                                                     "]: expected a URL string or an object with a Url string.")};
            }
          }
        }
      } else if (type == "directory") {
        member = "Directories";
        if (c) strings(c->Directories);
      } else if (type == "ignoreparams") {
        member = "IgnoreParams";
        if (c) strings(c->IgnoreParams);
      } else if (type == "cachetag") {
        member = "CacheTags";
        how = check::text;
        if (c) strings(c->CacheTags);
      } else if (type == "hostname") {
        member = "Hostnames";
        how = check::host;
        if (c) strings(c->Hostnames);
      } else if (type == "cachekey") {
        member = "CacheKeys";
        if (c && c->CacheKeys) {
          for (std::size_t i = 0; i < c->CacheKeys->size(); ++i) {
            const auto& k = (*c->CacheKeys)[i];
            if (!k.Url || k.Url->empty())
              return {{}, make_api_error(errc::MissingParameter, "Content.CacheKeys[" + std::to_string(i) + "].Url is required.")};
            items.push_back(*k.Url);
          }
        }
      } else {  // purgeall: the validator admits only the documented types
        member = "PurgeAll";
        if (c && c->PurgeAll && !*c->PurgeAll)
          return {{}, make_api_error(errc::InvalidParameter, "Content.PurgeAll must be true when Type is purgeall.")};
        items.push_back(s->name);
        how = check::text;
      }
      if (items.empty())
        return {{}, make_api_error(errc::MissingParameter, "Content." + member + " is required and must not be empty when Type is " + type + ".")};
      if (items.size() > cfg_.max_urls_per_request)
        return {{}, make_api_error(errc::DomainNameOverLimit, "Content." + member + ": " + std::to_string(items.size()) +
                                                                  " items given; at most " +
                                                                  std::to_string(cfg_.max_urls_per_request) + " are accepted per request.")};
      for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string field = "Content." + member + "[" + std::to_string(i) + "]";
        if (how == check::url) {
          auto host = detail::url_host(items[i]);
          if (!host)
            return {{}, make_api_error(errc::InvalidParameters_InvalidUrls,
                                       field + ": \"" + items[i].substr(0, 200) + "\" is not an absolute http:// or https:// URL.")};
          if (!s->serves(*host)) return {{}, not_on_site(field, *host, s)};
        } else if (how == check::host) {
          if (!detail::valid_hostname(items[i]))
            return {{}, make_api_error(errc::InvalidParameter, field + ": \"" + items[i].substr(0, 200) + "\" is not a host name.")};
          if (!s->serves(items[i])) return {{}, not_on_site(field, items[i], s)};
        } else if (items[i].empty() || items[i].size() > 1024) {
          return {{}, make_api_error(errc::InvalidParameter, field + ": must be 1 to 1024 characters long.")};
        }
      }
      for (const auto& item : items) ids.push_back(add_task(task_kind::purge, s->id, item, type, now));
      store_.touch();
    }
    store_.commit();
    alicloud::esa::PurgeCachesResponse resp;
    resp.TaskId = detail::join(ids, ",");
    return finish(resp, rid);
  }

  template <class Item>
  static Item site_item(const site& s) {
    Item i;
    i.SiteId = s.id;
    i.SiteName = s.name;
    i.Status = s.status;
    i.AccessType = s.access_type;
    i.Coverage = s.coverage;
    if (!s.cname_zone.empty()) i.CnameZone = s.cname_zone;
    if (!s.name_servers.empty()) i.NameServerList = s.name_servers;
    i.InstanceId = s.instance_id;
    i.PlanName = s.plan_name;
    i.PlanSpecName = s.plan_spec;
    i.ResourceGroupId = s.resource_group;
    if (!s.verify_code.empty()) i.VerifyCode = s.verify_code;
    i.Tags.emplace();
    for (const auto& [k, v] : s.tags) (*i.Tags)[k] = boost::json::value(v);
    i.CreateTime = iso_time_text(s.create_time);
    i.UpdateTime = iso_time_text(s.update_time);
    i.VisitTime = iso_time_text(s.visit_time);
    return i;
  }

  op_result list_sites(const alicloud::esa::ListSitesRequest& r, const std::string& rid) {
    std::vector<site> matched;
    {
      auto l = store_.lock();
      for (const auto& s : store_.sites()) {
        if (r.SiteName) {
          const std::string mode = r.SiteSearchType ? r.SiteSearchType->value() : "exact";
          const std::string& n = *r.SiteName;
          bool ok;
          if (mode == "prefix") ok = s.name.rfind(n, 0) == 0;
          else if (mode == "suffix") ok = s.name.size() >= n.size() && s.name.compare(s.name.size() - n.size(), n.size(), n) == 0;
          else if (mode == "fuzzy") ok = s.name.find(n) != std::string::npos;
          else ok = s.name == n;
          if (!ok) continue;
        }
        if (r.Status && s.status != r.Status->value()) continue;
        if (r.Coverage && s.coverage != r.Coverage->value()) continue;
        if (r.AccessType && s.access_type != r.AccessType->value()) continue;
        if (r.ResourceGroupId && s.resource_group != *r.ResourceGroupId) continue;
        if (r.OnlyEnterprise && *r.OnlyEnterprise && s.plan_name != "enterprise") continue;
        if (r.TagFilter) {
          bool all = true;
          for (const auto& f : *r.TagFilter) {
            if (!f.Key) continue;
            const auto it = s.tags.find(*f.Key);
            if (it == s.tags.end() || (f.Value && it->second != *f.Value)) all = false;
          }
          if (!all) continue;
        }
        matched.push_back(s);
      }
    }
    const std::string order = r.OrderBy ? r.OrderBy->value() : "";
    std::stable_sort(matched.begin(), matched.end(), [&](const site& a, const site& b) {
      if (order == "gmtCreate") return a.create_time > b.create_time;
      if (order == "visitTime") return a.visit_time > b.visit_time;
      return a.id < b.id;
    });
    const std::int64_t page = r.PageNumber.value_or(1);
    const std::int64_t size = r.PageSize.value_or(500);
    const std::size_t first = static_cast<std::size_t>(std::min<std::int64_t>((page - 1) * size, static_cast<std::int64_t>(matched.size())));
    const std::size_t last = std::min(matched.size(), first + static_cast<std::size_t>(size));
    alicloud::esa::ListSitesResponse resp;
    resp.PageNumber = static_cast<std::int32_t>(page);
    resp.PageSize = static_cast<std::int32_t>(size);
    resp.TotalCount = static_cast<std::int32_t>(matched.size());
    resp.Sites.emplace();
    for (std::size_t i = first; i < last; ++i)
      resp.Sites->push_back(site_item<alicloud::esa::ListSitesResponseSitesItem>(matched[i]));
    return finish(resp, rid);
  }

  op_result get_site(const alicloud::esa::GetSiteRequest& r, const std::string& rid) {
    alicloud::esa::GetSiteResponse resp;
    {
      auto l = store_.lock();
      const site* s = store_.find_site(r.SiteId);
      if (!s) return {{}, no_site(r.SiteId)};
      resp.SiteModel = site_item<alicloud::esa::GetSiteResponseSiteModel>(*s);
    }
    resp.SiteModel->VersionManagement = false;
    return finish(resp, rid);
  }

  // --------------------------------------------------------------------------------------------
  // helpers

  /// The caller holds the store lock.
  std::string add_task(task_kind kind, std::int64_t site_id, const std::string& content, const std::string& type,
                       std::int64_t now) {
    task t;
    t.id = store_.next_task_id();
    t.kind = kind;
    t.site_id = site_id;
    t.content = content;
    t.type = type;
    t.created_ms = now;
    t.duration_ms = cfg_.task_duration.count();
    for (const auto& [re, description] : fail_res_) {
      if (std::regex_search(content, re)) {
        t.failure = description;
        break;
      }
    }
    std::string id = t.id;
    store_.tasks(kind).push_back(std::move(t));
    return id;
  }

  static api_error no_site(std::int64_t id) {
    return make_api_error(errc::InvalidParameter, "SiteId: no site with id " + std::to_string(id) +
                                                      " exists in this account; list them with ListSites.");
  }

  static api_error not_on_site(const std::string& field, const std::string& host, const site* s) {
    if (!s)
      return make_api_error(errc::InvalidParameter_RecordNotBelongToSite,
                            field + ": host " + host + " is not a record of any site in this account.");
    return make_api_error(errc::InvalidParameter_RecordNotBelongToSite,
                          field + ": host " + host + " is not a record of site " + s->name + " (SiteId " +
                              std::to_string(s->id) + ").");
  }

  /// Serializes a response model (the generated struct, so the shape is the API's).
  template <class Resp>
  static op_result finish(Resp& resp, const std::string& rid) {
    resp.RequestId = rid;
    return {alicloud::json::to_json(resp), std::nullopt};
  }

  std::string new_request_id() {
    const std::uint64_t n = request_counter_.fetch_add(1);
    const std::uint64_t hi = detail::splitmix64(request_id_base_ + n);
    const std::uint64_t lo = detail::splitmix64(hi ^ n);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08X-%04X-4%03X-%04X-%012llX", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xfff),
                  static_cast<unsigned>(0x8000 | ((lo >> 48) & 0x3fff)),
                  static_cast<unsigned long long>(lo & 0xffffffffffffULL));
    return buf;
  }

  static std::string host_without_port(std::string_view host) { return detail::host_without_port(host); }

  std::string host_id_of(const http_request& req) const {
    const std::string* h = detail::header(req.headers, "host");
    if (!h || h->empty()) return "esa-emulator";
    return host_without_port(*h);
  }

  draw draw_faults() {
    draw d;
    std::lock_guard<std::mutex> lock(rng_mutex_);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    d.delay = cfg_.latency;
    if (cfg_.latency_jitter.count() > 0)
      d.delay += std::chrono::milliseconds(
          std::uniform_int_distribution<std::int64_t>(0, cfg_.latency_jitter.count())(rng_));
    const auto& f = cfg_.faults;
    if (f.reset + f.stall + f.server_error + f.malformed <= 0) return d;
    double x = u(rng_);
    if ((x -= f.reset) < 0) d.fault = fault_kind::reset;
    else if ((x -= f.stall) < 0) d.fault = fault_kind::stall;
    else if ((x -= f.server_error) < 0) d.fault = fault_kind::server_error;
    else if ((x -= f.malformed) < 0) d.fault = fault_kind::malformed;
    if (d.fault != fault_kind::none) {
      d.after = d.fault != fault_kind::server_error && u(rng_) < f.after_processing;
      d.internal_error = u(rng_) < 0.25;
      d.malformed_variant = std::uniform_int_distribution<int>(0, 2)(rng_);
    }
    return d;
  }

  outcome act_out(const draw& d, const std::string& request_id, const std::string& host_id) {
    outcome o;
    switch (d.fault) {
      case fault_kind::reset:
        ++stats_.resets;
        o.what = outcome::action::reset;
        return o;
      case fault_kind::stall:
        ++stats_.stalls;
        o.what = outcome::action::stall;
        o.delay = cfg_.stall_duration;
        return o;
      case fault_kind::server_error: {
        ++stats_.server_errors;
        return error_outcome(d.internal_error ? make_api_error(errc::InternalError, "The request processing has failed due to some unknown error.")
                                      : make_api_error(errc::ServiceUnavailable, "The request has failed due to a temporary failure of the server."),
                             request_id, host_id);
      }
      case fault_kind::malformed: {
        ++stats_.malformed;
        static constexpr std::string_view bodies[] = {
            R"({"RequestId":"REQ","TotalCount":3,"Tasks":[{"TaskId":"17111)",
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "\x1f\x8b\x08\x00garbage\xff\xfe",
        };
        o.status = 200;
        o.headers = {{"Content-Type", "application/json;charset=utf-8"}, {"x-acs-request-id", request_id}};
        o.body = std::string(bodies[d.malformed_variant % 3]);
        return o;
      }
      case fault_kind::none: break;
    }
    return o;
  }

  /// nullopt when admitted; otherwise milliseconds until a token is available.
  std::optional<std::int64_t> admit(const std::string& key_id) {
    if (cfg_.rate_limit <= 0) return std::nullopt;
    const double burst = cfg_.rate_burst > 0 ? cfg_.rate_burst : std::max(1.0, cfg_.rate_limit);
    const auto now = clock_.now();
    std::lock_guard<std::mutex> lock(bucket_mutex_);
    auto [it, inserted] = buckets_.try_emplace(key_id, bucket{burst, now});
    bucket& b = it->second;
    if (!inserted) {
      const double secs = std::chrono::duration<double>(now - b.last).count();
      if (secs > 0) b.tokens = std::min(burst, b.tokens + secs * cfg_.rate_limit);
      b.last = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return std::nullopt;
    }
    return static_cast<std::int64_t>(std::ceil((1 - b.tokens) / cfg_.rate_limit * 1000));
  }

  void log(const http_request& req, const std::string& action, const std::string& key, const outcome& o) {
    if (!cfg_.access_log) return;
    std::string what;
    switch (o.what) {
      case outcome::action::respond: what = std::to_string(o.status); break;
      case outcome::action::reset: what = "RESET"; break;
      case outcome::action::stall: what = "STALL"; break;
    }
    std::lock_guard<std::mutex> lock(log_mutex_);
    *cfg_.access_log << alicloud::format_utc_timestamp(clock_.now()) << " " << (req.peer.empty() ? "-" : req.peer) << " "
                     << req.method.substr(0, 10) << " " << action << " key=" << key << " " << what << "\n"
                     << std::flush;
  }

  struct bucket {
    double tokens;
    alicloud::clock::time_point last;
  };

  config cfg_;
  const alicloud::clock& clock_;
  store store_;
  authenticator auth_;
  std::vector<std::pair<std::regex, std::string>> fail_res_;
  service_stats stats_;

  std::mutex rng_mutex_;
  std::mt19937_64 rng_;

  std::uint64_t request_id_base_;
  std::atomic<std::uint64_t> request_counter_{0};

  std::mutex bucket_mutex_;
  std::map<std::string, bucket> buckets_;
  std::mutex log_mutex_;
};

}  // namespace esa_emulator
