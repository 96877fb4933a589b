#pragma once
// The esa command-line tool as a function: run() parses the arguments, validates the request before
// anything goes on the network, calls ESA through alicloud::esa::client and prints a table or JSON.
// Streams, environment and terminal facts are parameters so tests drive it in-process.
//
// Exit codes (stable; scripts rely on them):
//   0 success, 1 unexpected internal error, 2 usage (bad option, bad endpoint),
//   3 request validation failed (nothing sent), 4 the service answered with an error (or a waited-for
//   task ended Failed), 5 network, TLS or timeout failure, 6 no usable credentials.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <alicloud/core/client.hpp>
#include <alicloud/core/credentials.hpp>
#include <alicloud/core/credentials_http.hpp>
#include <alicloud/core/json.hpp>
#include <alicloud/core/pagination.hpp>
#include <alicloud/core/timestamp.hpp>
#include <alicloud/core/waiter.hpp>
#include <alicloud/esa/client.hpp>
#include <alicloud/esa/waiters.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "output.hpp"

namespace esa_cli {

namespace esa = alicloud::esa;
namespace http = alicloud::http;

enum exit_code : int {
  exit_ok = 0,
  exit_internal = 1,
  exit_usage = 2,
  exit_validation = 3,
  exit_service = 4,
  exit_network = 5,
  exit_credentials = 6,
};

inline constexpr std::string_view exit_code_help =
    "Exit codes:\n"
    "  0  success\n"
    "  1  unexpected internal error\n"
    "  2  usage error (unknown option, missing argument, malformed --endpoint)\n"
    "  3  the request is invalid (printed before anything is sent, naming the field and the rule)\n"
    "  4  the service answered with an error (code, message and RequestId are printed),\n"
    "     or a task waited for with --wait ended Failed\n"
    "  5  network, TLS or timeout error\n"
    "  6  no usable credentials\n";

/// What run() needs from its surroundings; main() fills it from the real process.
struct environment_info {
  alicloud::environment env = alicloud::process_environment();
  bool stdout_is_terminal = false;
  bool stderr_is_terminal = false;
  std::size_t terminal_columns = 80;
  /// Tests wrap the transport the CLI would use, to observe what goes on the wire (never called with
  /// --dry-run, which has no wire).
  std::function<std::shared_ptr<http::transport>(std::shared_ptr<http::transport>)> wrap_transport;
};

struct global_options {
  std::string region;
  std::string endpoint;
  std::string profile;
  std::string ca_file;
  std::string output;  ///< "table", "json", or empty: table on a terminal, JSON otherwise
  double timeout_seconds = 0;
  int retries = 3;
  bool verbose = false;
  bool dry_run = false;
};

/// Thrown (after the message was printed) to end run() with a code.
struct exit_now {
  int code;
};

// -------------------------------------------------------------------------------------------------
// Input checks the generated validators cannot make (they see typed fields, not command-line text)

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// Host of an absolute http(s) URL, lower-cased; nullopt when `url` is not one.
inline std::optional<std::string> url_host(std::string_view url) {
  const std::string l = lower(url.substr(0, 8));
  std::size_t start = 0;
  if (l.rfind("https://", 0) == 0)
    start = 8;
  else if (l.rfind("http://", 0) == 0)
    start = 7;
  else
    return std::nullopt;
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  std::string_view rest = url.substr(start);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    rest = rest.substr(0, close + 1);
  } else {
    rest = rest.substr(0, rest.find(':'));
  }
  if (rest.empty()) return std::nullopt;
  return lower(rest);
}

inline bool is_host_name(std::string_view h) {
  if (h.empty() || h.size() > 253 || h.front() == '.' || h.front() == '-' || h.back() == '-') return false;
  for (char c : h)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
          c == '*'))
      return false;
  return true;
}

/// `--start-time`/`--end-time` text: `yyyy-MM-ddTHH:mm:ssZ`, `now`, or `-<n><s|m|h|d>` before now.
inline std::optional<alicloud::utc_time> parse_time_option(std::string_view text, const alicloud::clock& clk) {
  if (auto t = alicloud::utc_time::parse(text)) return t;
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(clk.now());
  if (text == "now") return alicloud::utc_time(now);
  if (text.size() < 3 || text.front() != '-') return std::nullopt;
  std::int64_t n = 0;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9' || n > 100000000) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return std::nullopt;
  }
  return alicloud::utc_time(now - std::chrono::seconds(n * unit));
}

inline void check_time(std::vector<alicloud::violation>& out, const std::string& field, const std::string& text,
                       std::optional<alicloud::utc_time>& into) {
  if (text.empty()) return;
  into = parse_time_option(text, alicloud::system_clock());
  if (!into) {
    out.push_back({field, "format",
                   field +
                       " must be a UTC time written yyyy-MM-ddTHH:mm:ssZ, 'now', or '-<n>s|m|h|d' (before now); got '" +
                       printable(text) + "'",
                   ""});
  }
}

// -------------------------------------------------------------------------------------------------
// A run: options, output, the client

/// Records the request the client signed, already redacted by the client's hook, and sends nothing.
class dry_run_transport final : public http::transport {
 public:
  alicloud::result<http::response> send(const http::request&, const http::request_options&) override {
    return http::make_error(http::errc::invalid_request, "dry run: nothing was sent");
  }
};

class session {
 public:
  session(std::ostream& out, std::ostream& err, const environment_info& info, global_options g)
      : out(out), err(err), info(info), g(std::move(g)) {}

  std::ostream& out;
  std::ostream& err;
  const environment_info& info;
  global_options g;

  bool json() const {
    if (g.output.empty()) return !info.stdout_is_terminal;
    return g.output == "json";
  }

  /// Serialises writes to stderr: hooks run on fetch_all's worker threads too.
  std::mutex& err_mutex() { return err_mutex_; }

  [[noreturn]] void fail(int code, const std::string& message) {
    {
      std::lock_guard<std::mutex> lk(err_mutex_);
      err << "esa: " << message << '\n';
    }
    throw exit_now{code};
  }

  /// Ends the run with exit code 3 when the request breaks a rule, printing every broken rule.
  void require_valid(std::vector<alicloud::violation> v, std::string_view action) {
    if (v.empty()) return;
    std::lock_guard<std::mutex> lk(err_mutex_);
    err << "esa: invalid " << action << " request (" << v.size() << (v.size() == 1 ? " problem" : " problems")
        << "; nothing was sent):\n";
    for (const auto& x : v) {
      err << "  " << x.field << " [rule: " << x.rule << "]: " << printable(x.message);
      if (!x.code.empty()) err << " (service code " << x.code << ")";
      err << '\n';
    }
    throw exit_now{exit_validation};
  }

  /// The client, made on first use: credentials are resolved here, after validation, because
  /// resolving them may itself use the network (instance metadata).
  const esa::client& client() {
    if (client_) return *client_;
    alicloud::client_config cfg;
    cfg.env = info.env;
    cfg.region = g.region;
    if (cfg.region.empty() && g.endpoint.empty() &&
        !alicloud::detail::non_empty_env(info.env, "ALIBABA_CLOUD_REGION_ID"))
      cfg.region = "cn-hangzhou";
    cfg.endpoint = g.endpoint;
    cfg.user_agent_suffix = "esa-cli/" + std::string(alicloud::version_string);
    if (g.timeout_seconds > 0) {
      const auto t = std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(g.timeout_seconds * 1000)));
      cfg.request_options.total_timeout = t;
      cfg.request_options.read_timeout = t;
      cfg.request_options.connect_timeout = std::min(cfg.request_options.connect_timeout, t);
      cfg.retry.deadline = t;
    }
    cfg.retry.max_attempts = g.dry_run ? 1 : g.retries + 1;

    std::shared_ptr<http::transport> transport;
    if (g.dry_run) {
      transport = std::make_shared<dry_run_transport>();
    } else {
      http::beast_transport_options o;
      o.ca_file = g.ca_file;
      // The proxy settings come from the environment run() was given, like everything else.
      std::string scheme = "https";
      if (auto ep = alicloud::parse_endpoint(g.endpoint); !g.endpoint.empty() && ep) scheme = ep->scheme;
      auto first_set = [this](std::initializer_list<std::string_view> names) {
        for (auto n : names)
          if (auto v = alicloud::detail::non_empty_env(info.env, n)) return *v;
        return std::string();
      };
      o.proxy = scheme == "http" ? first_set({"HTTP_PROXY", "http_proxy"}) : first_set({"HTTPS_PROXY", "https_proxy"});
      o.no_proxy = first_set({"NO_PROXY", "no_proxy"});
      try {
        transport = std::make_shared<http::beast_transport>(std::move(o));
      } catch (const alicloud::exception& e) {
        fail(exit_usage, e.error().to_string());
      } catch (const std::exception& e) {
        fail(exit_usage, std::string("--ca-file: ") + e.what());
      }
    }
    if (info.wrap_transport && !g.dry_run) transport = info.wrap_transport(std::move(transport));
    cfg.transport = std::move(transport);
    cfg.credentials = make_credentials();
    install_hooks(cfg.hooks);

    try {
      client_.emplace(std::move(cfg));
    } catch (const alicloud::exception& e) {
      fail(exit_usage, e.error().message.empty() ? e.what() : e.error().message);
    }
    if (auto ep = client_->endpoint_for<esa::product>(); !ep) fail(exit_usage, ep.error().message);

    auto creds = client_->config().credentials->get();
    if (!creds) fail(exit_credentials, "no usable credentials: " + creds.error().message);
    return *client_;
  }

  /// The value of a call, or the end of the run: the dry-run request is printed (exit 0), an error is
  /// reported with its exit code.
  template <class T>
  T take(alicloud::result<T> r) {
    if (g.dry_run) print_dry_run();
    if (!r) report(r.error());
    return std::move(*r);
  }

  [[noreturn]] void report(const alicloud::error& e) {
    const int code = classify(e);
    std::lock_guard<std::mutex> lk(err_mutex_);
    if (code == exit_validation) {
      err << "esa: invalid request; nothing was sent:\n";
      for (const auto& v : e.violations)
        err << "  " << v.field << " [rule: " << v.rule << "]: " << printable(v.message) << '\n';
    } else if (code == exit_service) {
      err << "esa: service error";
      if (!e.service_code.empty()) err << " " << printable(e.service_code);
      if (e.http_status != 0) err << " (HTTP " << e.http_status << ")";
      err << ": " << printable(e.message) << '\n';
      if (!e.request_id.empty()) err << "  RequestId: " << printable(e.request_id) << '\n';
      if (!e.host_id.empty()) err << "  HostId: " << printable(e.host_id) << '\n';
      if (!e.recommend.empty()) err << "  Recommend: " << printable(e.recommend) << '\n';
      if (!e.access_denied_detail.empty()) err << "  AccessDeniedDetail: " << printable(e.access_denied_detail) << '\n';
    } else {
      const char* what = code == exit_network       ? "network error"
                         : code == exit_credentials ? "credentials error"
                         : code == exit_usage       ? "configuration error"
                                                    : "error";
      err << "esa: " << what << ": " << printable(e.message.empty() ? e.code.message() : e.message) << '\n';
    }
    throw exit_now{code};
  }

  static int classify(const alicloud::error& e) {
    const auto& lib = alicloud::library_category();
    if (e.code.category() == lib) {
      switch (static_cast<alicloud::errc>(e.code.value())) {
        case alicloud::errc::validation_failed: return exit_validation;
        case alicloud::errc::credentials: return exit_credentials;
        case alicloud::errc::transport:
        case alicloud::errc::timeout: return exit_network;
        default: break;
      }
    }
    if (http::is_transport_error(e)) {
      const auto c = static_cast<http::errc>(e.code.value());
      if (c == http::errc::invalid_config || c == http::errc::insecure_refused) return exit_usage;
      return exit_network;
    }
    if (e.http_status != 0 || !e.service_code.empty()) return exit_service;
    if (e.code.category() == lib && static_cast<alicloud::errc>(e.code.value()) == alicloud::errc::service)
      return exit_service;
    return exit_internal;
  }

  /// A progress bar for fetch_all on a terminal, nothing otherwise.
  std::function<void(std::size_t, std::size_t)> page_progress_callback(std::shared_ptr<page_progress>& holder) {
    if (!info.stderr_is_terminal || g.dry_run) return {};
    holder = std::make_shared<page_progress>(err, info.terminal_columns);
    auto p = holder;
    return [this, p](std::size_t done, std::size_t total) {
      std::lock_guard<std::mutex> lk(err_mutex_);
      p->update(done, total);
    };
  }

  template <class T>
  void print_json(const T& value) {
    out << alicloud::json::to_json(value) << '\n';
  }

 private:
  std::shared_ptr<alicloud::credentials_provider> make_credentials() {
    if (g.profile.empty()) {
      alicloud::default_chain_options o;
      o.env = info.env;
      return alicloud::default_credentials_chain(std::move(o));
    }
    // An explicit profile is what the user asked for: environment keys must not override it.
    alicloud::profile_file_options files;
    files.env = info.env;
    files.profile = g.profile;
    auto env = info.env;
    files.delegates.ecs_ram_role = [env](const std::string& role) -> std::shared_ptr<alicloud::credentials_provider> {
      alicloud::ecs_ram_role_options e;
      e.role_name = role;
      e.env = env;
      return std::make_shared<alicloud::ecs_ram_role_credentials_provider>(std::move(e));
    };
    files.delegates.credentials_uri = [env](const std::string& uri) -> std::shared_ptr<alicloud::credentials_provider> {
      alicloud::credentials_uri_options u;
      u.uri = uri;
      u.env = env;
      return std::make_shared<alicloud::credentials_uri_provider>(std::move(u));
    };
    std::vector<std::shared_ptr<alicloud::credentials_provider>> providers;
    providers.push_back(std::make_shared<alicloud::cli_profile_credentials_provider>(files));
    providers.push_back(std::make_shared<alicloud::ini_file_credentials_provider>(files));
    return std::make_shared<alicloud::cached_credentials_provider>(
        std::make_shared<alicloud::credentials_chain>(std::move(providers), "profile " + g.profile));
  }

  void install_hooks(alicloud::client_hooks& hooks) {
    if (g.dry_run) {
      hooks.on_send = [this](const alicloud::attempt_event& ev) {
        std::lock_guard<std::mutex> lk(err_mutex_);
        if (!dry_request_ && ev.request) dry_request_ = *ev.request;
      };
      return;
    }
    if (!g.verbose) return;
    hooks.on_send = [this](const alicloud::attempt_event& ev) {
      if (!ev.request) return;
      std::lock_guard<std::mutex> lk(err_mutex_);
      const http::request& r = *ev.request;
      err << "> " << r.method << " " << url_of(r) << "  (" << ev.action << ", attempt " << ev.attempt << ")\n";
      for (const auto& [name, value] : r.headers) err << "> " << printable(name) << ": " << printable(value) << '\n';
      if (!r.body.empty()) err << "> \n> " << printable(r.body) << '\n';
      err.flush();
    };
    hooks.on_attempt = [this](const alicloud::attempt_event& ev) {
      std::lock_guard<std::mutex> lk(err_mutex_);
      if (ev.response) {
        err << "< HTTP " << ev.response->status << "  (" << ev.elapsed.count() << " ms";
        const auto rid = ev.response->header("x-acs-request-id");
        if (!rid.empty()) err << ", RequestId " << printable(rid);
        err << ")\n";
        constexpr std::size_t max_body = 4096;
        const std::string& b = ev.response->body;
        if (!b.empty())
          err << "< " << printable(std::string_view(b).substr(0, max_body))
              << (b.size() > max_body ? " ...(truncated)" : "") << '\n';
      } else if (ev.error) {
        err << "< failed after " << ev.elapsed.count() << " ms: " << printable(ev.error->message) << '\n';
      }
      if (ev.retry_delay) err << "  retrying in " << ev.retry_delay->count() << " ms\n";
      if (ev.clock_skew_corrected) err << "  clock skew corrected from the server's Date; resending\n";
      err.flush();
    };
  }

  static std::string url_of(const http::request& r) {
    std::string host(r.header("Host"));
    if (host.empty()) host = r.host;
    return r.scheme + "://" + host + r.target;
  }

  [[noreturn]] void print_dry_run() {
    if (!dry_request_) fail(exit_internal, "--dry-run: the client produced no request");
    const http::request& r = *dry_request_;
    out << r.method << " " << url_of(r) << '\n';
    for (const auto& [name, value] : r.headers) out << name << ": " << value << '\n';
    out << '\n';
    if (!r.body.empty()) out << r.body << '\n';
    throw exit_now{exit_ok};
  }

  std::mutex err_mutex_;
  std::optional<esa::client> client_;
  std::optional<http::request> dry_request_;
};

// -------------------------------------------------------------------------------------------------
// Commands

struct list_options {
  std::int64_t site_id = 0;
  std::string content, status, type, start_time, end_time;
  std::int32_t page = 1, page_size = 20;
  bool all = false;
  CLI::Option* site_id_opt = nullptr;
  CLI::Option* page_opt = nullptr;
  CLI::Option* page_size_opt = nullptr;
};

inline const std::vector<column>& task_columns(bool with_type) {
  static const std::vector<column> preload{{"TASK ID", "TaskId"},   {"STATUS", "Status"},
                                           {"PROGRESS", "Process"}, {"CREATED", "CreateTime"},
                                           {"CONTENT", "Content"},  {"DESCRIPTION", "Description"}};
  static const std::vector<column> purge{
      {"TASK ID", "TaskId"},     {"TYPE", "Type"},       {"STATUS", "Status"},          {"PROGRESS", "Process"},
      {"CREATED", "CreateTime"}, {"CONTENT", "Content"}, {"DESCRIPTION", "Description"}};
  return with_type ? purge : preload;
}

inline std::string page_footer(std::optional<std::int64_t> page, std::optional<std::int64_t> size,
                               std::optional<std::int64_t> total, std::size_t shown, std::string_view noun) {
  std::string s;
  if (total) {
    const std::int64_t sz = size.value_or(0) > 0 ? *size : 1;
    const std::int64_t pages = std::max<std::int64_t>(1, (*total + sz - 1) / sz);
    s = "Page " + std::to_string(page.value_or(1)) + " of " + std::to_string(pages) + ", " + std::to_string(*total) +
        " " + std::string(noun) + " in total";
  } else {
    s = std::to_string(shown) + " " + std::string(noun) + " on this page";
  }
  return s;
}

/// preload-tasks and purge-tasks: one page, or every page with --all.
template <class Op>
int list_tasks(session& s, const list_options& o, bool purge) {
  using Req = typename Op::request_type;
  Req req{};
  std::vector<alicloud::violation> v;
  if (o.site_id_opt->count()) req.SiteId = o.site_id;
  if (!o.content.empty()) req.Content = o.content;
  if (!o.status.empty()) req.Status.emplace(o.status);
  if constexpr (std::is_same_v<Op, esa::DescribePurgeTasks>) {
    if (!o.type.empty()) req.Type.emplace(o.type);
  }
  check_time(v, "StartTime", o.start_time, req.StartTime);
  check_time(v, "EndTime", o.end_time, req.EndTime);
  if (o.page_opt->count()) req.PageNumber = o.page;
  if (o.page_size_opt->count()) req.PageSize = o.page_size;
  if (v.empty()) v = Op::validate(req, alicloud::system_clock());
  s.require_valid(std::move(v), Op::action);

  const esa::client& c = s.client();
  alicloud::page_fetcher<Op> fetch = [&c](const Req& r) { return c.template call<Op>(r); };
  const std::string_view noun = purge ? "purge tasks" : "prefetch tasks";
  if (o.all) {
    alicloud::fetch_all_options fo;
    std::shared_ptr<page_progress> bar;
    fo.on_progress = s.page_progress_callback(bar);
    auto items = alicloud::fetch_all<Op>(fetch, req, fo);
    if (bar) {
      std::lock_guard<std::mutex> lk(s.err_mutex());
      bar->finish();
    }
    auto list = s.take(std::move(items));
    if (s.json()) {
      s.print_json(list);
    } else {
      make_table(list, task_columns(purge)).print(s.out);
      s.out << list.size() << " " << noun << '\n';
    }
    return exit_ok;
  }
  auto page = s.take(fetch(req));
  if (s.json()) {
    s.print_json(page);
  } else {
    using items_t = typename decltype(page.Tasks)::value_type;
    const items_t tasks = page.Tasks ? *page.Tasks : items_t{};
    make_table(tasks, task_columns(purge)).print(s.out);
    s.out << page_footer(page.PageNumber, page.PageSize, page.TotalCount, tasks.size(), noun) << '\n';
  }
  return exit_ok;
}

struct preload_options {
  std::vector<std::string> urls;
  std::int64_t site_id = 0;
  CLI::Option* site_id_opt = nullptr;
  std::vector<std::string> headers;
  bool wait = false;
  double poll_interval = 2;
  double wait_timeout = 1800;
};

/// Per-task progress while waiting: bars redrawn in place on a terminal, one plain line per finished
/// task otherwise.
class wait_display {
 public:
  using item = esa::DescribePreloadTasksResponseTasksItem;
  explicit wait_display(session& s) : s_(s), block_(s.err) {}

  void update(const alicloud::task_list<item>& tasks) {
    std::lock_guard<std::mutex> lk(s_.err_mutex());
    if (s_.info.stderr_is_terminal) {
      std::vector<std::string> lines;
      const std::size_t cols = std::max<std::size_t>(s_.info.terminal_columns, 40);
      for (const auto& t : tasks) {
        const double pct = t.percent.value_or(t.state == alicloud::task_state::succeeded ? 100.0 : 0.0);
        std::string status = t.item ? alicloud::field_text(t.item->Status) : std::string("Waiting");
        if (status.empty()) status = std::string(alicloud::to_string(t.state));
        char pct_text[16];
        std::snprintf(pct_text, sizeof pct_text, "%3.0f%%", pct);
        std::string line = bar(pct, 20) + " " + pct_text + "  " + printable(status);
        line.append(line.size() < 40 ? 40 - line.size() : 1, ' ');
        line += truncate_to(printable(t.target), cols - std::min(cols - 1, line.size()) - 1);
        lines.push_back(std::move(line));
      }
      block_.draw(lines);
      return;
    }
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      const auto& t = tasks[i];
      if (!t.finished() || reported_.count(i)) continue;
      reported_.insert(i);
      s_.err << "esa: " << (t.item ? printable(alicloud::field_text(t.item->Status)) : std::string("finished")) << " "
             << printable(t.target);
      if (t.item && t.item->Description && !t.item->Description->empty())
        s_.err << ": " << printable(*t.item->Description);
      s_.err << '\n';
    }
    s_.err.flush();
  }

 private:
  session& s_;
  live_block block_;
  std::set<std::size_t> reported_;
};

inline int preload(session& s, const preload_options& o) {
  esa::PreloadCachesRequest req;
  std::vector<alicloud::violation> v;
  if (o.site_id_opt->count()) req.SiteId = o.site_id;
  req.Content = o.urls;
  for (std::size_t i = 0; i < o.urls.size(); ++i) {
    if (!url_host(o.urls[i]))
      v.push_back({"Content[" + std::to_string(i) + "]", "format",
                   "Content[" + std::to_string(i) + "] must be an absolute http:// or https:// URL with a host; got '" +
                       printable(o.urls[i]) + "'",
                   ""});
  }
  if (!o.headers.empty()) {
    req.Headers.emplace();
    for (const auto& h : o.headers) {
      const auto colon = h.find(':');
      std::string name = colon == std::string::npos ? std::string() : h.substr(0, colon);
      std::string value = colon == std::string::npos ? std::string() : h.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      const bool bad_chars =
          h.find_first_of("\r\n") != std::string::npos || name.find_first_of(" \t") != std::string::npos;
      if (name.empty() || bad_chars) {
        v.push_back({"Headers", "format",
                     "Headers entries (--header) must be NAME:VALUE with a non-empty name without blanks and no line "
                     "breaks; got '" +
                         printable(h) + "'",
                     ""});
        continue;
      }
      (*req.Headers)[name] = value;
    }
  }
  if (o.wait && !(o.poll_interval > 0))
    v.push_back({"--poll-interval", "range", "--poll-interval must be a positive number of seconds", ""});
  if (v.empty()) v = esa::PreloadCaches::validate(req, alicloud::system_clock());
  s.require_valid(std::move(v), esa::PreloadCaches::action);

  const esa::client& c = s.client();
  auto resp = s.take(c.preload_caches(req));
  if (!o.wait) {
    if (s.json())
      s.print_json(resp);
    else
      print_fields(s.out, resp);
    return exit_ok;
  }

  alicloud::wait_options wo;
  wo.poll_interval = std::chrono::milliseconds(static_cast<std::int64_t>(o.poll_interval * 1000));
  wo.timeout = o.wait_timeout > 0 ? std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::milliseconds(static_cast<std::int64_t>(o.wait_timeout * 1000)))
                                  : std::chrono::nanoseconds::max();
  alicloud::page_fetcher<esa::DescribePreloadTasks> fetch = [&c](const esa::DescribePreloadTasksRequest& r) {
    return c.describe_preload_tasks(r);
  };
  wait_display display(s);
  auto done = esa::wait_preload_caches(
      fetch, req, resp, wo,
      [&display](const alicloud::wait_progress<alicloud::task_list<esa::DescribePreloadTasksResponseTasksItem>>& p) {
        display.update(p.latest);
      });
  auto tasks = s.take(std::move(done));
  display.update(tasks);

  std::vector<esa::DescribePreloadTasksResponseTasksItem> items;
  for (const auto& t : tasks) {
    if (t.item) {
      items.push_back(*t.item);
    } else {
      esa::DescribePreloadTasksResponseTasksItem missing;
      missing.Content = t.target;
      items.push_back(std::move(missing));
    }
  }
  if (s.json()) {
    boost::json::value doc = alicloud::json::to_value(resp);
    doc.as_object()["Tasks"] = alicloud::json::to_value(items);
    s.out << alicloud::json::to_json(doc) << '\n';
  } else {
    make_table(items, {{"TASK ID", "TaskId"},
                       {"STATUS", "Status"},
                       {"PROGRESS", "Process"},
                       {"CONTENT", "Content"},
                       {"DESCRIPTION", "Description"}})
        .print(s.out);
  }
  const std::size_t failed = alicloud::count_tasks(tasks, alicloud::task_state::failed);
  if (failed > 0) {
    std::lock_guard<std::mutex> lk(s.err_mutex());
    s.err << "esa: " << failed << " of " << tasks.size() << " prefetch tasks failed\n";
    return exit_service;
  }
  return exit_ok;
}

struct purge_options {
  std::string type;
  std::vector<std::string> content;
  std::int64_t site_id = 0;
  CLI::Option* site_id_opt = nullptr;
  bool force = false;
};

/// The site serving every host in `hosts`, found with ListSites (exact name, or a parent domain).
inline std::int64_t find_site_for(session& s, const std::vector<std::string>& hosts) {
  const esa::client& c = s.client();
  alicloud::page_fetcher<esa::ListSites> fetch = [&c](const esa::ListSitesRequest& r) { return c.list_sites(r); };
  esa::ListSitesRequest req;
  req.PageSize = 500;
  auto sites = s.take(alicloud::fetch_all<esa::ListSites>(fetch, req));
  std::map<std::int64_t, std::string> chosen;
  for (const auto& host : hosts) {
    const esa::ListSitesResponseSitesItem* best = nullptr;
    for (const auto& site : sites) {
      if (!site.SiteName || !site.SiteId) continue;
      const std::string name = lower(*site.SiteName);
      const bool serves = host == name || (host.size() > name.size() &&
                                           host.compare(host.size() - name.size(), name.size(), name) == 0 &&
                                           host[host.size() - name.size() - 1] == '.');
      if (serves && (!best || best->SiteName->size() < name.size())) best = &site;
    }
    if (!best)
      s.fail(exit_validation, "SiteId [rule: required]: no site of this account serves '" + printable(host) +
                                  "'; give --site-id (see `esa sites`)");
    chosen[*best->SiteId] = *best->SiteName;
  }
  if (chosen.size() > 1) {
    std::string list;
    for (const auto& [id, name] : chosen) list += (list.empty() ? "" : ", ") + name + " (" + std::to_string(id) + ")";
    s.fail(exit_validation, "SiteId [rule: single site]: the content belongs to several sites: " + list +
                                "; purge each site separately with --site-id");
  }
  return chosen.begin()->first;
}

inline int purge(session& s, const purge_options& o) {
  esa::PurgeCachesRequest req;
  req.Type = esa::PurgeCachesRequestType(o.type);
  std::vector<alicloud::violation> v = esa::PurgeCaches::validate(req, alicloud::system_clock());
  esa::PurgeCachesRequestContent content;
  std::vector<std::string> hosts;
  const std::string& t = o.type;
  const bool url_type = t == "file" || t == "directory" || t == "ignoreparams" || t == "cachekey";
  if (v.empty()) {
    if (t == "purgeall") {
      if (!o.content.empty())
        v.push_back({"Content", "absent", "Content must be absent for type purgeall (it purges the whole site)", ""});
      content.PurgeAll = true;
    } else if (o.content.empty()) {
      v.push_back(
          {"Content", "required", "Content is required for type " + t + ": give at least one CONTENT argument", ""});
    }
    for (std::size_t i = 0; i < o.content.size(); ++i) {
      const std::string& item = o.content[i];
      const std::string field = "Content[" + std::to_string(i) + "]";
      if (url_type) {
        auto host = url_host(item);
        if (!host) {
          v.push_back(
              {field, "format",
               field + " must be an absolute http:// or https:// URL for type " + t + "; got '" + printable(item) + "'",
               ""});
          continue;
        }
        hosts.push_back(*host);
      } else if (t == "hostname") {
        if (!is_host_name(item)) {
          v.push_back(
              {field, "format", field + " must be a host name for type hostname; got '" + printable(item) + "'", ""});
          continue;
        }
        hosts.push_back(lower(item));
      } else if (item.empty()) {
        v.push_back({field, "length", field + " must not be empty", ""});
      }
    }
    if (t == "file") {
      content.Files.emplace();
      for (const auto& c : o.content) content.Files->emplace_back(c);
    } else if (t == "directory") {
      content.Directories = o.content;
    } else if (t == "ignoreparams") {
      content.IgnoreParams = o.content;
    } else if (t == "hostname") {
      content.Hostnames = o.content;
    } else if (t == "cachetag") {
      content.CacheTags = o.content;
    } else if (t == "cachekey") {
      content.CacheKeys.emplace();
      for (const auto& c : o.content) {
        esa::PurgeCachesRequestContentCacheKeysItem k;
        k.Url = c;
        content.CacheKeys->push_back(std::move(k));
      }
    }
    if (!o.site_id_opt->count() && (t == "cachetag" || t == "purgeall"))
      v.push_back({"SiteId", "required",
                   "SiteId is required for type " + t + " (it names no host to find the site by); give --site-id", ""});
  }
  s.require_valid(std::move(v), esa::PurgeCaches::action);
  req.Content = std::move(content);
  if (o.force) req.Force = true;

  req.SiteId = o.site_id_opt->count() ? o.site_id : find_site_for(s, hosts);
  auto resp = s.take(s.client().purge_caches(req));
  if (s.json())
    s.print_json(resp);
  else
    print_fields(s.out, resp);
  return exit_ok;
}

struct sites_options {
  std::string name, search_type, status;
  std::int32_t page = 1, page_size = 20;
  bool all = false;
  CLI::Option* page_opt = nullptr;
  CLI::Option* page_size_opt = nullptr;
};

inline int sites(session& s, const sites_options& o) {
  esa::ListSitesRequest req;
  if (!o.name.empty()) req.SiteName = o.name;
  if (!o.search_type.empty()) req.SiteSearchType.emplace(o.search_type);
  if (!o.status.empty()) req.Status.emplace(o.status);
  if (o.page_opt->count()) req.PageNumber = o.page;
  if (o.page_size_opt->count()) req.PageSize = o.page_size;
  s.require_valid(esa::ListSites::validate(req, alicloud::system_clock()), esa::ListSites::action);
  const esa::client& c = s.client();
  static const std::vector<column> cols{{"SITE ID", "SiteId"},    {"NAME", "SiteName"},     {"STATUS", "Status"},
                                        {"ACCESS", "AccessType"}, {"COVERAGE", "Coverage"}, {"PLAN", "PlanName"},
                                        {"CREATED", "CreateTime"}};
  if (o.all) {
    alicloud::page_fetcher<esa::ListSites> fetch = [&c](const esa::ListSitesRequest& r) { return c.list_sites(r); };
    alicloud::fetch_all_options fo;
    std::shared_ptr<page_progress> bar;
    fo.on_progress = s.page_progress_callback(bar);
    auto items = alicloud::fetch_all<esa::ListSites>(fetch, req, fo);
    if (bar) {
      std::lock_guard<std::mutex> lk(s.err_mutex());
      bar->finish();
    }
    auto list = s.take(std::move(items));
    if (s.json()) {
      s.print_json(list);
    } else {
      make_table(list, cols).print(s.out);
      s.out << list.size() << " sites\n";
    }
    return exit_ok;
  }
  auto page = s.take(c.list_sites(req));
  if (s.json()) {
    s.print_json(page);
  } else {
    const auto& list = page.Sites ? *page.Sites : decltype(page.Sites)::value_type{};
    make_table(list, cols).print(s.out);
    auto opt64 = [](const std::optional<std::int32_t>& x) {
      return x ? std::optional<std::int64_t>(*x) : std::nullopt;
    };
    s.out << page_footer(opt64(page.PageNumber), opt64(page.PageSize), opt64(page.TotalCount), list.size(), "sites")
          << '\n';
  }
  return exit_ok;
}

inline int site(session& s, std::int64_t id) {
  esa::GetSiteRequest req;
  req.SiteId = id;
  s.require_valid(esa::GetSite::validate(req, alicloud::system_clock()), esa::GetSite::action);
  auto resp = s.take(s.client().get_site(req));
  if (s.json()) {
    s.print_json(resp);
  } else if (resp.SiteModel) {
    print_fields(s.out, *resp.SiteModel);
  }
  return exit_ok;
}

// -------------------------------------------------------------------------------------------------
// Entry point

inline void add_list_options(CLI::App* cmd, list_options& o, bool purge) {
  o.site_id_opt = cmd->add_option("--site-id", o.site_id, "Site whose tasks are listed (see `esa sites`)");
  cmd->add_option("--content", o.content, "Only tasks whose URL/content equals this exactly");
  if (purge)
    cmd->add_option(
        "--type", o.type,
        "Only purge tasks of this type: file, directory, ignoreparams, hostname, purgeall, cachetag, cachekey");
  cmd->add_option("--status", o.status, "Only tasks in this state: Refreshing, Complete or Failed");
  cmd->add_option("--start-time", o.start_time,
                  "Start of the creation-time window: yyyy-MM-ddTHH:mm:ssZ, now, or -<n>s|m|h|d (at most 3 days back; "
                  "needs --end-time)");
  cmd->add_option("--end-time", o.end_time, "End of the creation-time window (same forms; needs --start-time)");
  o.page_opt = cmd->add_option("--page", o.page, "Page number, from 1");
  o.page_size_opt = cmd->add_option("--page-size", o.page_size, "Tasks per page, 1-50 (server default 20)");
  auto all = cmd->add_flag("--all", o.all, "Read every page (concurrently) and print all tasks");
  all->excludes(o.page_opt);
}

inline int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
               const environment_info& info = {}) {
  CLI::App app{"esa: Alibaba Cloud ESA (Edge Security Acceleration) cache prefetch and purge, API 2024-09-10", "esa"};
  app.footer(std::string(exit_code_help) +
             "\nCredentials: the default chain (ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET[/ALIBABA_CLOUD_SECURITY_TOKEN], "
             "~/.aliyun/config.json, ~/.alibabacloud/credentials, ECS RAM role, ALIBABA_CLOUD_CREDENTIALS_URI), or "
             "--profile.\nSee docs/cli.md.");
  app.require_subcommand(1);
  // Global options may also follow the subcommand name.
  app.fallthrough();
  global_options g;
  app.add_option("--region", g.region,
                 "Region id, e.g. cn-hangzhou (default: ALIBABA_CLOUD_REGION_ID, else cn-hangzhou)");
  app.add_option("--endpoint", g.endpoint, "Endpoint overriding the region's: host[:port] or https://host[:port]");
  app.add_option("--profile", g.profile,
                 "Credentials from this profile of ~/.aliyun/config.json (or section of ~/.alibabacloud/credentials) "
                 "instead of the default chain");
  app.add_option("--ca-file", g.ca_file, "Extra trusted CA certificates (PEM), e.g. the emulator's")
      ->check(CLI::ExistingFile);
  app.add_option("--output,-o", g.output, "table or json (default: table on a terminal, json otherwise)")
      ->check(CLI::IsMember({"table", "json"}));
  app.add_option("--timeout", g.timeout_seconds, "Limit per API call in seconds, retries included")
      ->check(CLI::PositiveNumber);
  app.add_option("--retries", g.retries, "Retries after a retryable failure (default 3)")->check(CLI::Range(0, 10));
  app.add_flag("--verbose,-v", g.verbose, "Print each request and response on stderr (secrets redacted)");
  app.add_flag("--dry-run", g.dry_run,
               "Print the signed request that would be sent (signature, token and key redacted) and send nothing");

  list_options preload_tasks_o;
  auto* preload_tasks_cmd = app.add_subcommand("preload-tasks", "List prefetch tasks (DescribePreloadTasks)");
  add_list_options(preload_tasks_cmd, preload_tasks_o, false);

  preload_options preload_o;
  auto* preload_cmd = app.add_subcommand("preload", "Prefetch URLs into the edge cache (PreloadCaches)");
  preload_cmd->add_option("URL", preload_o.urls, "URLs to prefetch")->required();
  preload_o.site_id_opt = preload_cmd->add_option("--site-id", preload_o.site_id, "Site that owns the URLs");
  preload_cmd->add_option("--header", preload_o.headers,
                          "Header NAME:VALUE sent to the origin when prefetching (repeatable)");
  preload_cmd->add_flag("--wait", preload_o.wait, "Wait until every task is Complete or Failed, showing progress");
  preload_cmd->add_option("--poll-interval", preload_o.poll_interval, "Seconds between polls with --wait")
      ->capture_default_str();
  preload_cmd
      ->add_option("--wait-timeout", preload_o.wait_timeout, "Give up waiting after this many seconds (0: never)")
      ->capture_default_str();

  list_options purge_tasks_o;
  auto* purge_tasks_cmd = app.add_subcommand("purge-tasks", "List purge tasks (DescribePurgeTasks)");
  add_list_options(purge_tasks_cmd, purge_tasks_o, true);

  purge_options purge_o;
  auto* purge_cmd = app.add_subcommand("purge", "Purge cached content (PurgeCaches)");
  purge_cmd
      ->add_option("--type", purge_o.type,
                   "file (URLs), directory (URL prefixes), ignoreparams (URLs without query), hostname, "
                   "cachetag, cachekey (URLs), purgeall (no CONTENT)")
      ->required();
  purge_o.site_id_opt = purge_cmd->add_option("--site-id", purge_o.site_id,
                                              "Site to purge (default: the site serving the content's host)");
  purge_cmd->add_flag("--force", purge_o.force, "Purge every matching object, not only those changed at the origin");
  purge_cmd->add_option("CONTENT", purge_o.content, "What to purge, as the type requires");

  sites_options sites_o;
  auto* sites_cmd = app.add_subcommand("sites", "List sites (ListSites)");
  sites_cmd->add_option("--name", sites_o.name, "Site name to search for");
  sites_cmd->add_option("--search-type", sites_o.search_type,
                        "How --name matches: exact (default), prefix, suffix, fuzzy");
  sites_cmd->add_option("--status", sites_o.status, "Only sites in this state: pending, active, offline, moved");
  sites_o.page_opt = sites_cmd->add_option("--page", sites_o.page, "Page number, from 1");
  sites_o.page_size_opt = sites_cmd->add_option("--page-size", sites_o.page_size, "Sites per page, 1-500");
  sites_cmd->add_flag("--all", sites_o.all, "Read every page")->excludes(sites_o.page_opt);

  std::int64_t site_id = 0;
  auto* site_cmd = app.add_subcommand("site", "Show one site (GetSite)");
  site_cmd->add_option("ID", site_id, "Site id")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? exit_ok : exit_usage;
  }

  session s(out, err, info, g);
  try {
    if (*preload_tasks_cmd) return list_tasks<esa::DescribePreloadTasks>(s, preload_tasks_o, false);
    if (*preload_cmd) return preload(s, preload_o);
    if (*purge_tasks_cmd) return list_tasks<esa::DescribePurgeTasks>(s, purge_tasks_o, true);
    if (*purge_cmd) return purge(s, purge_o);
    if (*sites_cmd) return sites(s, sites_o);
    if (*site_cmd) return site(s, site_id);
  } catch (const exit_now& e) {
    out.flush();
    return e.code;
  } catch (const std::exception& e) {
    err << "esa: internal error: " << e.what() << '\n';
    return exit_internal;
  }
  return exit_usage;
}

/// Convenience for tests: arguments without the program name.
inline int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
               const environment_info& info = {}) {
  std::vector<const char*> argv{"esa"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return run(static_cast<int>(argv.size()), argv.data(), out, err, info);
}

}  // namespace esa_cli
