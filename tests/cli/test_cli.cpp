// The esa CLI end to end, in-process: esa_cli::run() against an in-process esa-emulator on
// 127.0.0.1 over TLS (generated CA), with an injected environment. Every command in both output
// forms, --all, --wait, --dry-run, --verbose redaction, and each documented exit code.

#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <cli.hpp>
#include <emulator.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace esa = alicloud::esa;
namespace http = alicloud::http;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t example_com = 7001000000001;
constexpr std::int64_t shop_example_net = 7001000000002;
const std::string example_com_id = std::to_string(example_com);

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("esa-cli-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

/// Forwards to the CLI's real transport and keeps a copy of every request as sent (unredacted), so
/// tests can look for the real signature in what the CLI printed.
class recording_transport final : public http::transport {
 public:
  std::shared_ptr<http::transport> inner;
  alicloud::result<http::response> send(const http::request& req, const http::request_options& opts) override {
    {
      std::lock_guard<std::mutex> lk(m_);
      sent_.push_back(req);
    }
    return inner->send(req, opts);
  }
  std::vector<http::request> sent() {
    std::lock_guard<std::mutex> lk(m_);
    return sent_;
  }

 private:
  std::mutex m_;
  std::vector<http::request> sent_;
};

struct outcome {
  int code = -1;
  std::string out;
  std::string err;
  std::vector<http::request> sent;  ///< what reached the transport (nothing in a dry run)
};

struct emulator_fixture {
  temp_dir dir;
  std::unique_ptr<esa_emulator::emulator> emu;
  std::string ca_file;
  std::string endpoint;

  explicit emulator_fixture(esa_emulator::config cfg = {}) {
    cfg.listen_host = "127.0.0.1";
    cfg.port = 0;
    cfg.tls = true;
    ca_file = (dir.path / "ca.pem").string();
    cfg.ca_out = ca_file;
    if (cfg.task_duration == std::chrono::milliseconds(5000)) cfg.task_duration = 600ms;
    emu = std::make_unique<esa_emulator::emulator>(cfg);
    emu->start();
    endpoint = emu->url();
    REQUIRE(endpoint.rfind("https://127.0.0.1:", 0) == 0);
  }
  std::uint64_t requests() const { return emu->stats().requests.load(); }
};

using env_map = std::map<std::string, std::string, std::less<>>;

struct terminal {
  bool out = false;
  bool err = false;
};

/// Runs esa with `--endpoint <emulator> --ca-file <its CA>` in front of `args`.
class esa_runner {
 public:
  explicit esa_runner(emulator_fixture& f) : f_(f) {
    env = {{"ALIBABA_CLOUD_ACCESS_KEY_ID", std::string(esa_emulator::demo_access_key_id)},
           {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", std::string(esa_emulator::demo_access_key_secret)},
           {"HOME", home.path.string()},
           // Never probe the instance metadata service from a test.
           {"ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"}};
  }

  outcome operator()(std::vector<std::string> args, terminal t = {}) const {
    std::vector<std::string> full{"--endpoint", f_.endpoint, "--ca-file", f_.ca_file};
    full.insert(full.end(), args.begin(), args.end());
    return raw(std::move(full), t);
  }

  /// Without the endpoint and CA options.
  outcome raw(std::vector<std::string> args, terminal t = {}) const {
    auto rec = std::make_shared<recording_transport>();
    esa_cli::environment_info info;
    info.env = alicloud::fixed_environment(env);
    info.stdout_is_terminal = t.out;
    info.stderr_is_terminal = t.err;
    info.terminal_columns = 100;
    info.wrap_transport = [rec](std::shared_ptr<http::transport> inner) -> std::shared_ptr<http::transport> {
      rec->inner = std::move(inner);
      return rec;
    };
    std::ostringstream out, err;
    outcome o;
    o.code = esa_cli::run(args, out, err, info);
    o.out = out.str();
    o.err = err.str();
    o.sent = rec->sent();
    return o;
  }

  temp_dir home;
  env_map env;

 private:
  emulator_fixture& f_;
};

boost::json::value parse_json(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  REQUIRE_MESSAGE(!ec, "not JSON: " << text);
  return v;
}

template <class T>
T decode(const std::string& text) {
  auto r = alicloud::json::from_json<T>(text);
  REQUIRE_MESSAGE(r.ok(), r.error().to_string() << "\n" << text);
  return std::move(*r);
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

/// A loopback port nothing listens on.
std::uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = a.local_endpoint().port();
  a.close();
  return port;
}

/// The Signature=... value of an Authorization header.
std::string signature_of(const http::request& r) {
  const std::string auth(r.header("Authorization"));
  const auto at = auth.find("Signature=");
  return at == std::string::npos ? std::string() : auth.substr(at + 10);
}

}  // namespace

TEST_CASE("sites and site: table and JSON") {
  emulator_fixture f;
  esa_runner esa(f);

  auto table = esa({"sites", "--output", "table"});
  REQUIRE_MESSAGE(table.code == 0, table.err);
  CHECK(table.err.empty());
  CHECK(table.out.rfind("SITE ID", 0) == 0);
  CHECK(contains(table.out, "7001000000001  example.com"));
  CHECK(contains(table.out, "shop.example.net"));
  CHECK(contains(table.out, "staging.example.org"));
  CHECK(contains(table.out, "Page 1 of 1, 3 sites in total"));

  auto json = esa({"sites", "--output", "json"});
  REQUIRE(json.code == 0);
  auto page = decode<esa::ListSitesResponse>(json.out);
  CHECK(page.TotalCount == 3);
  REQUIRE(page.Sites->size() == 3);
  CHECK((*page.Sites)[1].SiteName == "shop.example.net");
  CHECK(page.RequestId->size() == 36);

  // Filters reach the service.
  auto filtered = esa({"sites", "-o", "json", "--name", "shop.", "--search-type", "prefix"});
  REQUIRE(filtered.code == 0);
  CHECK(decode<esa::ListSitesResponse>(filtered.out).Sites->size() == 1);

  auto pages = esa({"sites", "-o", "json", "--page-size", "1", "--page", "2"});
  REQUIRE(pages.code == 0);
  auto p2 = decode<esa::ListSitesResponse>(pages.out);
  REQUIRE(p2.Sites->size() == 1);
  CHECK((*p2.Sites)[0].SiteName == "shop.example.net");

  auto all = esa({"sites", "-o", "json", "--all", "--page-size", "1"});
  REQUIRE_MESSAGE(all.code == 0, all.err);
  auto list = decode<std::vector<esa::ListSitesResponseSitesItem>>(all.out);
  CHECK(list.size() == 3);
  CHECK(all.sent.size() == 3);  // one request per page

  auto one = esa({"site", std::to_string(shop_example_net), "-o", "table"});
  REQUIRE(one.code == 0);
  CHECK(contains(one.out, "SiteName"));
  CHECK(contains(one.out, "shop.example.net"));
  CHECK(contains(one.out, "CNAME"));
  CHECK(contains(one.out, R"({"env":"prod","team":"shop"})"));

  auto one_json = esa({"site", std::to_string(shop_example_net), "-o", "json"});
  REQUIRE(one_json.code == 0);
  auto site = decode<esa::GetSiteResponse>(one_json.out);
  CHECK(site.SiteModel->SiteId == shop_example_net);
  CHECK(site.SiteModel->Coverage == "overseas");
}

TEST_CASE("output defaults to a table on a terminal and JSON otherwise") {
  emulator_fixture f;
  esa_runner esa(f);
  auto piped = esa({"sites"});
  REQUIRE(piped.code == 0);
  CHECK(parse_json(piped.out).is_object());
  auto tty = esa({"sites"}, terminal{true, false});
  REQUIRE(tty.code == 0);
  CHECK(tty.out.rfind("SITE ID", 0) == 0);
  // --output wins over the terminal test.
  auto forced = esa({"sites", "-o", "json"}, terminal{true, true});
  CHECK(parse_json(forced.out).is_object());
}

TEST_CASE("preload-tasks: filters, pages, --all, both outputs") {
  emulator_fixture f;
  esa_runner esa(f);

  auto table = esa({"preload-tasks", "--site-id", example_com_id, "--output", "table"});
  REQUIRE_MESSAGE(table.code == 0, table.err);
  CHECK(table.out.rfind("TASK ID", 0) == 0);
  CHECK(contains(table.out, "https://example.com/index.html"));
  CHECK(contains(table.out, "Origin Timeout"));
  CHECK_FALSE(contains(table.out, "shop.example.net"));
  CHECK(contains(table.out, "Page 1 of 1, 4 prefetch tasks in total"));

  auto json = esa({"preload-tasks", "--site-id", example_com_id, "-o", "json", "--status", "Failed"});
  REQUIRE(json.code == 0);
  auto failed = decode<esa::DescribePreloadTasksResponse>(json.out);
  REQUIRE(failed.Tasks->size() == 1);
  CHECK((*failed.Tasks)[0].Content == "https://example.com/video/intro.mp4");
  CHECK((*failed.Tasks)[0].Description == "Origin Timeout");

  auto by_content = esa({"preload-tasks", "-o", "json", "--content", "https://shop.example.net/catalog.json"});
  REQUIRE(by_content.code == 0);
  CHECK(decode<esa::DescribePreloadTasksResponse>(by_content.out).TotalCount == 1);

  // Only the task created at start is younger than 100 minutes on example.com.
  auto window =
      esa({"preload-tasks", "-o", "json", "--site-id", example_com_id, "--start-time", "-100m", "--end-time", "now"});
  REQUIRE_MESSAGE(window.code == 0, window.err);
  auto recent = decode<esa::DescribePreloadTasksResponse>(window.out);
  REQUIRE(recent.Tasks->size() == 1);
  CHECK((*recent.Tasks)[0].Content == "https://example.com/downloads/big.iso");
  // The relative times went out as absolute UTC times.
  REQUIRE(window.sent.size() == 1);
  CHECK(contains(window.sent[0].target, "StartTime="));
  CHECK(contains(window.sent[0].target, "EndTime="));

  auto page2 = esa({"preload-tasks", "-o", "table", "--page-size", "2", "--page", "2"});
  REQUIRE(page2.code == 0);
  CHECK(count_lines(page2.out) == 4);  // header, 2 rows, footer
  CHECK(contains(page2.out, "Page 2 of 3, 6 prefetch tasks in total"));

  auto all = esa({"preload-tasks", "--all", "--page-size", "2", "-o", "json"});
  REQUIRE_MESSAGE(all.code == 0, all.err);
  auto items = decode<std::vector<esa::DescribePreloadTasksResponseTasksItem>>(all.out);
  CHECK(items.size() == 6);
  std::set<std::string> ids;
  for (const auto& t : items) ids.insert(*t.TaskId);
  CHECK(ids.size() == 6);
  CHECK(all.sent.size() == 3);
  CHECK(all.err.empty());  // no progress bar without a terminal

  auto all_table = esa({"preload-tasks", "--all", "--page-size", "2", "-o", "table"}, terminal{false, true});
  REQUIRE(all_table.code == 0);
  CHECK(count_lines(all_table.out) == 8);  // header, 6 rows, count
  CHECK(contains(all_table.out, "6 prefetch tasks"));
  // The progress bar goes to stderr only, and is cleared at the end.
  CHECK(contains(all_table.err, "/3 pages"));
  CHECK(contains(all_table.err, "\x1b[2K"));
  CHECK_FALSE(contains(all_table.out, "pages"));
}

TEST_CASE("preload: task ids, then --wait until Complete, in both outputs") {
  emulator_fixture f;
  esa_runner esa(f);

  auto plain = esa({"preload", "https://example.com/one.js", "--site-id", example_com_id, "-o", "json"});
  REQUIRE_MESSAGE(plain.code == 0, plain.err);
  auto created = decode<esa::PreloadCachesResponse>(plain.out);
  REQUIRE(created.TaskId);
  auto listed = esa({"preload-tasks", "-o", "json", "--content", "https://example.com/one.js"});
  REQUIRE(listed.code == 0);
  auto lt = decode<esa::DescribePreloadTasksResponse>(listed.out);
  REQUIRE(lt.Tasks->size() == 1);
  CHECK((*lt.Tasks)[0].TaskId == created.TaskId);

  auto table = esa({"preload", "https://example.com/two.js", "-o", "table"});  // site found by host
  REQUIRE(table.code == 0);
  CHECK(contains(table.out, "TaskId"));
  CHECK(contains(table.out, "RequestId"));

  // --header travels as the Headers JSON parameter.
  auto hdr = esa({"preload", "https://example.com/h.js", "--header", "X-From: cli", "--dry-run"});
  REQUIRE(hdr.code == 0);
  CHECK(contains(hdr.out, "Headers=%7B%22X-From%22%3A%22cli%22%7D"));

  auto waited = esa({"preload", "https://example.com/a.css", "https://example.com/b.css", "--site-id", example_com_id,
                     "--wait", "--poll-interval", "0.2", "-o", "json"});
  REQUIRE_MESSAGE(waited.code == 0, waited.err);
  auto doc = parse_json(waited.out).as_object();
  CHECK(doc.contains("RequestId"));
  CHECK(doc.contains("TaskId"));
  const auto& tasks = doc.at("Tasks").as_array();
  REQUIRE(tasks.size() == 2);
  CHECK(tasks[0].at("Content").as_string() == "https://example.com/a.css");
  CHECK(tasks[1].at("Content").as_string() == "https://example.com/b.css");
  for (const auto& t : tasks) {
    CHECK(t.at("Status").as_string() == "Complete");
    CHECK(t.at("Process").as_string() == "100%");
  }
  // Without a terminal: one plain line per finished task, no escape sequences.
  CHECK(contains(waited.err, "esa: Complete https://example.com/a.css"));
  CHECK(contains(waited.err, "esa: Complete https://example.com/b.css"));
  CHECK_FALSE(contains(waited.err, "\x1b["));
  // It polled: more than the PreloadCaches call plus one listing per URL.
  CHECK(waited.sent.size() > 3);

  auto bars = esa({"preload", "https://example.com/c.css", "--wait", "--poll-interval", "0.2", "-o", "table"},
                  terminal{true, true});
  REQUIRE_MESSAGE(bars.code == 0, bars.err);
  CHECK(contains(bars.out, "Complete"));
  CHECK(contains(bars.out, "https://example.com/c.css"));
  // Bars redrawn in place on the terminal, ending at 100%.
  CHECK(contains(bars.err, "\x1b[1A"));
  CHECK(contains(bars.err, "[####################] 100%"));
  CHECK(contains(bars.err, "Refreshing"));
}

TEST_CASE("preload --wait: a Failed task ends with exit code 4 after the table") {
  esa_emulator::config cfg;
  cfg.fail_rules.push_back({"broken", "Origin Return StatusCode 5XX"});
  emulator_fixture f(cfg);
  esa_runner esa(f);
  auto r = esa({"preload", "https://example.com/ok.js", "https://example.com/broken.js", "--wait", "--poll-interval",
                "0.2", "-o", "table"});
  CHECK(r.code == 4);
  CHECK(contains(r.out, "Complete"));
  CHECK(contains(r.out, "Failed"));
  CHECK(contains(r.out, "Origin Return StatusCode 5XX"));
  CHECK(contains(r.err, "1 of 2 prefetch tasks failed"));
}

TEST_CASE("purge-tasks and purge: every type maps to its Content member") {
  emulator_fixture f;
  esa_runner esa(f);

  auto table = esa({"purge-tasks", "-o", "table", "--type", "hostname"});
  REQUIRE_MESSAGE(table.code == 0, table.err);
  CHECK(table.out.rfind("TASK ID", 0) == 0);
  CHECK(contains(table.out, "hostname"));
  CHECK(contains(table.out, "shop.example.net"));
  CHECK(contains(table.out, "1 purge tasks in total"));
  auto json = esa({"purge-tasks", "-o", "json", "--site-id", example_com_id});
  REQUIRE(json.code == 0);
  CHECK(decode<esa::DescribePurgeTasksResponse>(json.out).TotalCount == 2);

  struct purge_case {
    std::string type;
    std::vector<std::string> content;
    std::string member;          ///< member of the Content JSON the request must carry
    std::string listed_content;  ///< how the emulator lists the created task
  };
  const std::vector<purge_case> cases{
      {"file", {"https://example.com/f1.html"}, "Files", "https://example.com/f1.html"},
      {"directory", {"https://example.com/dir/"}, "Directories", "https://example.com/dir/"},
      {"ignoreparams", {"https://example.com/q.html"}, "IgnoreParams", "https://example.com/q.html"},
      {"hostname", {"example.com"}, "Hostnames", "example.com"},
      {"cachetag", {"tag-77"}, "CacheTags", "tag-77"},
      {"cachekey", {"https://example.com/key.png"}, "CacheKeys", "https://example.com/key.png"},
      {"purgeall", {}, "PurgeAll", "example.com"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.type);
    std::vector<std::string> args{"purge", "--type", c.type, "--site-id", example_com_id, "-o", "json"};
    args.insert(args.end(), c.content.begin(), c.content.end());
    auto r = esa(args);
    REQUIRE_MESSAGE(r.code == 0, r.err);
    auto resp = decode<esa::PurgeCachesResponse>(r.out);
    REQUIRE(resp.TaskId);
    REQUIRE(r.sent.size() == 1);
    // The Content parameter is one JSON object with the member of this type.
    CHECK(contains(r.sent[0].target, "Content=%7B%22" + c.member + "%22"));
    auto listed = esa({"purge-tasks", "-o", "json", "--type", c.type, "--content", c.listed_content});
    REQUIRE(listed.code == 0);
    auto l = decode<esa::DescribePurgeTasksResponse>(listed.out);
    REQUIRE(l.Tasks->size() == 1);
    CHECK((*l.Tasks)[0].TaskId == resp.TaskId);
  }
  // cachekey entries are objects with a Url.
  auto ck = esa({"purge", "--type", "cachekey", "--site-id", example_com_id, "https://example.com/k2", "--dry-run"});
  REQUIRE(ck.code == 0);
  CHECK(
      contains(ck.out, "Content=%7B%22CacheKeys%22%3A%5B%7B%22Url%22%3A%22https%3A%2F%2Fexample.com%2Fk2%22%7D%5D%7D"));
  auto pa = esa({"purge", "--type", "purgeall", "--site-id", example_com_id, "--dry-run"});
  CHECK(contains(pa.out, "Content=%7B%22PurgeAll%22%3Atrue%7D"));

  // Without --site-id the site is found from the content's host (ListSites, then PurgeCaches).
  auto inferred = esa({"purge", "--type", "file", "https://www.shop.example.net/x.html", "-o", "json"});
  REQUIRE_MESSAGE(inferred.code == 0, inferred.err);
  REQUIRE(inferred.sent.size() == 2);
  CHECK(inferred.sent[0].header("x-acs-action") == "ListSites");
  CHECK(inferred.sent[1].header("x-acs-action") == "PurgeCaches");
  CHECK(contains(inferred.sent[1].target, "SiteId=" + std::to_string(shop_example_net)));

  auto table_out =
      esa({"purge", "--type", "file", "--site-id", example_com_id, "https://example.com/t.html", "-o", "table"});
  REQUIRE(table_out.code == 0);
  CHECK(contains(table_out.out, "TaskId"));

  auto mixed = esa({"purge", "--type", "file", "https://example.com/a", "https://shop.example.net/b"});
  CHECK(mixed.code == 3);
  CHECK(contains(mixed.err, "several sites"));
  auto unknown = esa({"purge", "--type", "hostname", "www.nowhere.test"});
  CHECK(unknown.code == 3);
  CHECK(contains(unknown.err, "www.nowhere.test"));
}

TEST_CASE("--dry-run prints the signed request, redacted, and sends nothing") {
  emulator_fixture f;
  esa_runner esa(f);
  const auto before = f.requests();
  auto r = esa({"--dry-run", "preload-tasks", "--site-id", example_com_id, "--status", "Complete"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(f.requests() == before);
  CHECK(r.sent.empty());
  CHECK(r.out.rfind("GET " + f.endpoint + "/?", 0) == 0);
  CHECK(contains(r.out, "SiteId=" + example_com_id));
  CHECK(contains(r.out, "Status=Complete"));
  CHECK(contains(r.out, "x-acs-action: DescribePreloadTasks"));
  CHECK(contains(r.out, "x-acs-version: 2024-09-10"));
  CHECK(contains(r.out, "Authorization: ACS3-HMAC-SHA256 Credential="));
  CHECK(contains(r.out, "Signature=<redacted>"));
  CHECK_FALSE(contains(r.out, std::string(esa_emulator::demo_access_key_secret)));
  CHECK_FALSE(contains(r.out, std::string(esa_emulator::demo_access_key_id)));

  // No network at all: an endpoint nobody listens on, fake STS credentials, every command.
  esa_runner offline(f);
  offline.env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = "LTAIfakefakefake1234";
  offline.env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = "fake-secret-value-0123456789";
  offline.env["ALIBABA_CLOUD_SECURITY_TOKEN"] = "fake-security-token-abcdefgh";
  const std::string dead = "https://127.0.0.1:" + std::to_string(closed_port());
  const std::vector<std::vector<std::string>> commands{
      {"preload-tasks", "--all"},
      {"preload", "https://example.com/x", "--wait"},
      {"purge-tasks", "--type", "file"},
      {"purge", "--type", "file", "--site-id", "1", "https://example.com/x"},
      {"sites"},
      {"site", "5"},
  };
  for (const auto& cmd : commands) {
    std::vector<std::string> args{"--endpoint", dead, "--dry-run"};
    args.insert(args.end(), cmd.begin(), cmd.end());
    CAPTURE(cmd[0]);
    auto o = offline.raw(args);
    REQUIRE_MESSAGE(o.code == 0, o.err);
    CHECK(o.sent.empty());
    CHECK(o.out.find(dead) != std::string::npos);
    CHECK(contains(o.out, "Signature=<redacted>"));
    CHECK(contains(o.out, "x-acs-security-token: <redacted>"));
    CHECK(contains(o.out, "Credential=LTAI****1234"));
    CHECK_FALSE(contains(o.out, "fake-secret-value"));
    CHECK_FALSE(contains(o.out, "fake-security-token"));
    CHECK_FALSE(contains(o.out, "LTAIfakefakefake1234"));
  }
  CHECK(f.requests() == before);
  // Region endpoint when none is given.
  auto regional = offline.raw({"--dry-run", "--region", "ap-southeast-1", "sites"});
  REQUIRE(regional.code == 0);
  CHECK(regional.out.rfind("GET https://esa.ap-southeast-1.aliyuncs.com/", 0) == 0);
}

TEST_CASE("--verbose shows requests and responses without secrets or signatures") {
  esa_emulator::config cfg;
  cfg.keys.push_back({"STS.verbose-key-id", "verbose-secret-0123456789", "verbose-sts-token-abcdefghij"});
  emulator_fixture f(cfg);
  esa_runner esa(f);
  esa.env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = "STS.verbose-key-id";
  esa.env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = "verbose-secret-0123456789";
  esa.env["ALIBABA_CLOUD_SECURITY_TOKEN"] = "verbose-sts-token-abcdefghij";

  auto r = esa({"--verbose", "preload", "https://example.com/v.js", "--wait", "--poll-interval", "0.2", "-o", "json"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(contains(r.err, "> POST " + f.endpoint + "/?"));
  CHECK(contains(r.err, "> GET " + f.endpoint + "/?"));
  CHECK(contains(r.err, "x-acs-action: PreloadCaches"));
  CHECK(contains(r.err, "< HTTP 200"));
  CHECK(contains(r.err, "Signature=<redacted>"));
  CHECK(contains(r.err, "x-acs-security-token: <redacted>"));
  // The real requests carried the token and signatures; none of it may show.
  REQUIRE(r.sent.size() >= 2);
  for (const auto& req : r.sent) {
    CHECK(req.header("x-acs-security-token") == "verbose-sts-token-abcdefghij");
    const std::string sig = signature_of(req);
    REQUIRE(sig.size() == 64);
    CHECK_FALSE(contains(r.err, sig));
    CHECK_FALSE(contains(r.out, sig));
  }
  for (const std::string secret : {"verbose-secret-0123456789", "verbose-sts-token-abcdefghij", "STS.verbose-key-id"}) {
    CHECK_FALSE(contains(r.err, secret));
    CHECK_FALSE(contains(r.out, secret));
  }
  // The JSON result on stdout is untouched by the log on stderr.
  CHECK(parse_json(r.out).is_object());

  // Without --verbose, stderr stays quiet on success.
  auto quiet = esa({"sites", "-o", "json"});
  REQUIRE(quiet.code == 0);
  CHECK(quiet.err.empty());
}

TEST_CASE("exit code 3: validation errors name the field and rule, before any network use") {
  emulator_fixture f;
  esa_runner esa(f);
  const auto before = f.requests();
  struct bad_case {
    std::vector<std::string> args;
    std::vector<std::string> expect;  ///< in stderr
  };
  const std::vector<bad_case> cases{
      {{"preload-tasks", "--page-size", "80"}, {"PageSize", "rule: range"}},
      {{"preload-tasks", "--start-time", "2020-01-01T00:00:00Z", "--end-time", "2020-01-02T00:00:00Z"},
       {"StartTime", "max_age", "InvalidTime"}},
      {{"preload-tasks", "--start-time", "-1h"}, {"EndTime", "rule: together", "MissingTimeParameter"}},
      {{"preload-tasks", "--start-time", "-1h", "--end-time", "-2h"}, {"EndTime", "InvalidEndTime.Mismatch"}},
      {{"preload-tasks", "--start-time", "yesterday", "--end-time", "now"}, {"StartTime", "rule: format"}},
      {{"preload-tasks", "--status", "Sleeping"}, {"Status", "rule: enum"}},
      {{"purge-tasks", "--type", "everything"}, {"Type", "rule: enum"}},
      {{"preload", "ftp://example.com/x"}, {"Content[0]", "rule: format"}},
      {{"preload", "https://example.com/x", "--header", "no-colon"}, {"Headers", "rule: format"}},
      {{"purge", "--type", "bogus", "x"}, {"Type", "rule: enum"}},
      {{"purge", "--type", "file"}, {"Content", "rule: required"}},
      {{"purge", "--type", "purgeall", "--site-id", "1", "x"}, {"Content", "rule: absent"}},
      {{"purge", "--type", "cachetag", "t"}, {"SiteId", "rule: required"}},
      {{"purge", "--type", "hostname", "--site-id", "1", "not a host"}, {"Content[0]", "rule: format"}},
      {{"sites", "--page-size", "501"}, {"PageSize", "rule: range"}},
      {{"sites", "--status", "asleep"}, {"Status", "rule: enum"}},
  };
  for (const auto& c : cases) {
    const std::string shown = join(c.args);
    CAPTURE(shown);
    auto r = esa(c.args);
    CHECK(r.code == 3);
    CHECK(r.out.empty());
    CHECK(r.sent.empty());
    CHECK(contains(r.err, "nothing was sent"));
    for (const auto& e : c.expect) CHECK_MESSAGE(contains(r.err, e), r.err);
  }
  // Validation comes before credentials: with none configured it is still exit 3.
  esa_runner no_creds(f);
  no_creds.env.erase("ALIBABA_CLOUD_ACCESS_KEY_ID");
  no_creds.env.erase("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
  CHECK(no_creds({"preload-tasks", "--page-size", "0"}).code == 3);
  CHECK(f.requests() == before);
}

TEST_CASE("exit code 4: service errors print code, message and RequestId") {
  emulator_fixture f;
  esa_runner esa(f);
  auto r = esa({"site", "123"});
  CHECK(r.code == 4);
  CHECK(r.out.empty());
  CHECK(contains(r.err, "service error InvalidParameter (HTTP 400)"));
  CHECK(contains(r.err, "123"));
  const auto at = r.err.find("RequestId: ");
  REQUIRE(at != std::string::npos);
  CHECK(r.err.substr(at + 11, 36).size() == 36);

  auto not_on_site = esa({"preload", "https://elsewhere.test/a", "--site-id", example_com_id});
  CHECK(not_on_site.code == 4);
  CHECK(contains(not_on_site.err, "elsewhere.test"));

  auto unknown_site = esa({"preload-tasks", "--site-id", "42", "-o", "json"});
  CHECK(unknown_site.code == 4);
  CHECK(unknown_site.out.empty());

  // A signature the service rejects is a service error too (wrong secret).
  esa_runner wrong(f);
  wrong.env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = "not-the-demo-secret";
  auto denied = wrong({"sites", "--retries", "0"});
  CHECK(denied.code == 4);
  CHECK(contains(denied.err, "RequestId: "));
  CHECK_FALSE(contains(denied.err, "not-the-demo-secret"));
}

TEST_CASE("exit code 5: network and TLS errors") {
  emulator_fixture f;
  esa_runner esa(f);
  const std::string dead = "https://127.0.0.1:" + std::to_string(closed_port());
  auto closed = esa.raw({"--endpoint", dead, "--retries", "0", "sites"});
  CHECK(closed.code == 5);
  CHECK(contains(closed.err, "network error"));
  CHECK(contains(closed.err, "127.0.0.1"));
  // Retries happen (each attempt reaches the transport) and still end in 5.
  auto retried = esa.raw({"--endpoint", dead, "--retries", "2", "sites"});
  CHECK(retried.code == 5);
  CHECK(retried.sent.size() == 3);

  // The emulator's certificate is not trusted without its CA.
  auto untrusted = esa.raw({"--endpoint", f.endpoint, "--retries", "0", "sites"});
  CHECK(untrusted.code == 5);
  CHECK(contains(untrusted.err, "certificate"));

  // A server that accepts but never answers: --timeout bounds the call.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto t0 = std::chrono::steady_clock::now();
  auto slow = esa.raw({"--endpoint", "https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()), "--timeout",
                       "0.5", "sites"});
  CHECK(slow.code == 5);
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);
}

TEST_CASE("exit code 6: no credentials; --profile picks a CLI profile") {
  emulator_fixture f;
  esa_runner esa(f);
  esa.env = {{"HOME", esa.home.path.string()}, {"ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"}};
  const auto before = f.requests();
  auto r = esa({"sites"});
  CHECK(r.code == 6);
  CHECK(contains(r.err, "no usable credentials"));
  CHECK(contains(r.err, "ALIBABA_CLOUD_ACCESS_KEY_ID"));
  CHECK(r.sent.empty());
  CHECK(f.requests() == before);
  // --dry-run needs credentials to sign, too.
  CHECK(esa({"--dry-run", "sites"}).code == 6);

  // An aliyun CLI config in HOME with two profiles; --profile selects one.
  fs::create_directories(esa.home.path / ".aliyun");
  std::ofstream(esa.home.path / ".aliyun" / "config.json") << R"({"current":"broken","profiles":[
    {"name":"broken","mode":"AK","access_key_id":"nobody-key-id","access_key_secret":"nobody-secret-123"},
    {"name":"emulator","mode":"AK","access_key_id":"demo-access-key","access_key_secret":"demo-secret"}]})";
  auto with_profile = esa({"--profile", "emulator", "sites", "-o", "json"});
  REQUIRE_MESSAGE(with_profile.code == 0, with_profile.err);
  CHECK(decode<esa::ListSitesResponse>(with_profile.out).TotalCount == 3);
  // The file's current profile has a key the emulator does not know: a service error.
  CHECK(esa({"sites", "--retries", "0"}).code == 4);
  auto missing = esa({"--profile", "nosuch", "sites"});
  CHECK(missing.code == 6);
  CHECK(contains(missing.err, "nosuch"));
  // An explicit profile wins over environment keys.
  esa.env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = "nobody-key-id";
  esa.env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = "nobody-secret-123";
  CHECK(esa({"--profile", "emulator", "sites", "-o", "json"}).code == 0);
}

TEST_CASE("exit code 2: usage errors; --help documents the exit codes") {
  emulator_fixture f;
  esa_runner esa(f);
  CHECK(esa.raw({}).code == 2);
  CHECK(esa({"frobnicate"}).code == 2);
  CHECK(esa({"sites", "--no-such-option"}).code == 2);
  CHECK(esa({"preload"}).code == 2);                         // URL is required
  CHECK(esa({"purge", "https://example.com/x"}).code == 2);  // --type is required
  CHECK(esa({"preload-tasks", "--all", "--page", "2"}).code == 2);
  CHECK(esa({"preload-tasks", "--site-id", "abc"}).code == 2);
  CHECK(esa({"sites", "-o", "yaml"}).code == 2);
  CHECK(esa({"site"}).code == 2);
  auto bad_endpoint = esa.raw({"--endpoint", "ftp://127.0.0.1", "sites"});
  CHECK(bad_endpoint.code == 2);
  CHECK(contains(bad_endpoint.err, "endpoint"));
  auto plain_remote = esa.raw({"--endpoint", "http://example.com", "sites"});
  CHECK(plain_remote.code == 2);
  CHECK(esa.raw({"--ca-file", (f.dir.path / "absent.pem").string(), "sites"}).code == 2);

  auto help = esa.raw({"--help"});
  CHECK(help.code == 0);
  for (const char* needle : {"Exit codes:", "preload-tasks", "purge-tasks", "--dry-run", "--verbose", "--profile",
                             "3  the request is invalid", "6  no usable credentials"})
    CHECK_MESSAGE(contains(help.out, needle), needle);
  auto sub_help = esa.raw({"preload", "--help"});
  CHECK(sub_help.code == 0);
  CHECK(contains(sub_help.out, "--wait"));
}

TEST_CASE("table cells cannot inject terminal escape sequences") {
  CHECK(esa_cli::printable("a\x1b[2Jb\n") == "a?[2Jb?");
  CHECK(esa_cli::printable("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(esa_cli::display_width("caf\xc3\xa9") == 4);
  esa_cli::table t;
  t.headings = {"A", "B"};
  t.rows = {{"x", "1"}, {"longer", "2"}};
  std::ostringstream os;
  t.print(os);
  CHECK(os.str() == "A       B\nx       1\nlonger  2\n");
  CHECK(esa_cli::truncate_to("abcdefghij", 6) == "abc...");
  CHECK(esa_cli::bar(50, 10) == "[#####.....]");
}
