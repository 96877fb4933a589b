// Credentials, redaction, the environment / CLI config / ini providers, the refreshing cache
// (including a concurrency test) and the chain. Files live in a temporary HOME; the environment is
// injected, so the real one is never read or changed (except one test of process_environment()).

#include <alicloud/core/credentials.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using alicloud::credentials;

namespace {

// Secrets that must never appear in any error text or debug output.
const std::string kSecret = "S3cr3tValueNeverPrinted9";
const std::string kToken = "T0kenValueNeverPrinted7";

std::chrono::system_clock::time_point epoch_seconds(long long s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(s));
}

class temp_home {
 public:
  temp_home() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("alicloud-cred-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~temp_home() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_home(const temp_home&) = delete;
  temp_home& operator=(const temp_home&) = delete;

  std::string str() const { return path_.string(); }
  std::string write(const std::string& rel, const std::string& content) const {
    const auto p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  fs::path path_;
};

alicloud::profile_file_options files(const temp_home& home, std::map<std::string, std::string, std::less<>> env = {}) {
  alicloud::profile_file_options o;
  env["HOME"] = home.str();
  o.env = alicloud::fixed_environment(std::move(env));
  return o;
}

void check_no_secret(const std::string& text) {
  CAPTURE(text);
  CHECK(text.find(kSecret) == std::string::npos);
  CHECK(text.find(kToken) == std::string::npos);
}

std::string error_of(alicloud::credentials_provider& p) {
  auto r = p.get();
  REQUIRE_FALSE(r.ok());
  check_no_secret(r.error().message);
  check_no_secret(r.error().to_string());
  return r.error().message;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

const char* kCliConfig = R"({
  "current": "default",
  "profiles": [
    {"name": "default", "mode": "AK", "access_key_id": "LTAIdefault0001", "access_key_secret": "S3cr3tValueNeverPrinted9",
     "region_id": "cn-hangzhou"},
    {"name": "sts", "mode": "StsToken", "access_key_id": "STS.id0002", "access_key_secret": "S3cr3tValueNeverPrinted9",
     "sts_token": "T0kenValueNeverPrinted7"},
    {"name": "role", "mode": "RamRoleArn", "access_key_id": "x", "access_key_secret": "S3cr3tValueNeverPrinted9",
     "ram_role_arn": "acs:ram::1:role/r"},
    {"name": "badtype", "mode": "AK", "access_key_id": 12345, "access_key_secret": "S3cr3tValueNeverPrinted9"},
    {"name": "nosecret", "mode": "AK", "access_key_id": "LTAInosecret01"},
    {"name": "nomode", "access_key_id": "a", "access_key_secret": "S3cr3tValueNeverPrinted9"},
    {"name": "emptytoken", "mode": "StsToken", "access_key_id": "a", "access_key_secret": "S3cr3tValueNeverPrinted9",
     "sts_token": ""}
  ],
  "meta_path": ""
})";

}  // namespace

TEST_SUITE("credentials") {
  TEST_CASE("credentials print redacted") {
    const credentials ak{"LTAI5tAbCdEfGhIj", kSecret, "", std::nullopt};
    const credentials sts{"STS.NTxyz123456", kSecret, kToken, epoch_seconds(1698315752)};
    std::ostringstream os;
    os << ak << "\n" << sts;
    check_no_secret(os.str());
    CHECK(alicloud::to_string(ak) ==
          "credentials{access_key_id=LTAI****GhIj, access_key_secret=<redacted>, security_token=<none>}");
    CHECK(alicloud::to_string(sts) ==
          "credentials{access_key_id=STS.****3456, access_key_secret=<redacted>, security_token=<redacted>, "
          "expiration=2023-10-26T10:22:32Z}");
    CHECK(alicloud::redacted_access_key_id("short") == "****");
    CHECK_FALSE(ak.is_sts());
    CHECK(sts.is_sts());
    CHECK_FALSE(ak.expired_at(epoch_seconds(4000000000)));
    CHECK(sts.expired_at(epoch_seconds(1698315752)));
    CHECK_FALSE(sts.expired_at(epoch_seconds(1698315751)));
  }

  TEST_CASE("static provider") {
    alicloud::static_credentials_provider p({"id", kSecret, "", std::nullopt});
    auto r = p.get();
    REQUIRE(r.ok());
    CHECK(r->access_key_id == "id");
    CHECK(p.name() == "static");
    alicloud::static_credentials_provider empty({"", kSecret, "", std::nullopt});
    CHECK(contains(error_of(empty), "access key id is empty"));
  }

  TEST_CASE("environment provider") {
    using alicloud::fixed_environment;
    SUBCASE("access key") {
      alicloud::environment_credentials_provider p(fixed_environment(
          {{"ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv"}, {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", kSecret}}));
      auto r = p.get();
      REQUIRE(r.ok());
      CHECK(r->access_key_id == "LTAIenv");
      CHECK(r->access_key_secret == kSecret);
      CHECK_FALSE(r->is_sts());
    }
    SUBCASE("STS") {
      alicloud::environment_credentials_provider p(fixed_environment({{"ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.env"},
                                                                      {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", kSecret},
                                                                      {"ALIBABA_CLOUD_SECURITY_TOKEN", kToken}}));
      auto r = p.get();
      REQUIRE(r.ok());
      CHECK(r->security_token == kToken);
    }
    SUBCASE("missing variables are named") {
      alicloud::environment_credentials_provider none(fixed_environment({}));
      CHECK(error_of(none) == "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are not set");
      alicloud::environment_credentials_provider no_secret(
          fixed_environment({{"ALIBABA_CLOUD_ACCESS_KEY_ID", "x"}, {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""}}));
      CHECK(contains(error_of(no_secret), "ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set"));
      alicloud::environment_credentials_provider no_id(
          fixed_environment({{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", kSecret}}));
      CHECK(contains(error_of(no_id), "ALIBABA_CLOUD_ACCESS_KEY_ID is not set"));
    }
  }

  TEST_CASE("process_environment reads the real environment") {
    const char* name = "ALICLOUD_CPP_TEST_ENV_PROBE_7F3A";
    auto env = alicloud::process_environment();
    CHECK_FALSE(env(name).has_value());
    ::setenv(name, "probe-value", 1);
    CHECK(env(name) == std::optional<std::string>("probe-value"));
    ::unsetenv(name);
  }

  TEST_CASE("CLI config: profiles and modes") {
    temp_home home;
    const std::string path = home.write(".aliyun/config.json", kCliConfig);

    SUBCASE("current profile, mode AK") {
      alicloud::cli_profile_credentials_provider p(files(home));
      auto r = p.get();
      REQUIRE(r.ok());
      CHECK(r->access_key_id == "LTAIdefault0001");
      CHECK(r->access_key_secret == kSecret);
      CHECK_FALSE(r->is_sts());
      CHECK(p.name() == "cli_profile");
    }
    SUBCASE("ALIBABA_CLOUD_PROFILE selects StsToken profile") {
      alicloud::cli_profile_credentials_provider p(files(home, {{"ALIBABA_CLOUD_PROFILE", "sts"}}));
      auto r = p.get();
      REQUIRE(r.ok());
      CHECK(r->access_key_id == "STS.id0002");
      CHECK(r->security_token == kToken);
    }
    SUBCASE("explicit profile beats the variable") {
      auto o = files(home, {{"ALIBABA_CLOUD_PROFILE", "sts"}});
      o.profile = "default";
      alicloud::cli_profile_credentials_provider p(o);
      auto r = p.get();
      REQUIRE(r.ok());
      CHECK(r->access_key_id == "LTAIdefault0001");
    }
    SUBCASE("profile not found lists the profiles") {
      alicloud::cli_profile_credentials_provider p(files(home, {{"ALIBABA_CLOUD_PROFILE", "prod"}}));
      const auto e = error_of(p);
      CHECK(e == path + ": profile 'prod' not found (profiles: 'default', 'sts', 'role', 'badtype', 'nosecret', "
                        "'nomode', 'emptytoken')");
    }
    SUBCASE("wrong type names file, profile and field") {
      alicloud::cli_profile_credentials_provider p(files(home, {{"ALIBABA_CLOUD_PROFILE", "badtype"}}));
      auto r = p.get();
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == alicloud::errc::type_mismatch);
      CHECK(r.error().message ==
            path + ": profile 'badtype': field 'access_key_id' must be a string, not a number");
    }
    SUBCASE("missing field names the mode rule") {
      alicloud::cli_profile_credentials_provider p(files(home, {{"ALIBABA_CLOUD_PROFILE", "nosecret"}}));
      auto r = p.get();
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == alicloud::errc::missing_field);
      CHECK(r.error().message ==
            path + ": profile 'nosecret': field 'access_key_secret' is missing (required for mode AK)");
      alicloud::cli_profile_credentials_provider m(files(home, {{"ALIBABA_CLOUD_PROFILE", "nomode"}}));
      CHECK(error_of(m) == path + ": profile 'nomode': field 'mode' is missing");
      alicloud::cli_profile_credentials_provider t(files(home, {{"ALIBABA_CLOUD_PROFILE", "emptytoken"}}));
      CHECK(error_of(t) == path + ": profile 'emptytoken': field 'sts_token' is empty (required for mode StsToken)");
    }
    SUBCASE("unsupported mode") {
      alicloud::cli_profile_credentials_provider p(files(home, {{"ALIBABA_CLOUD_PROFILE", "role"}}));
      CHECK(error_of(p) == path + ": profile 'role': mode 'RamRoleArn' is not supported (supported: AK, StsToken)");
    }
    SUBCASE("ALIBABA_CLOUD_CONFIG_FILE overrides the location") {
      const std::string other = home.write("elsewhere/cfg.json",
                                           R"({"profiles":[{"name":"default","mode":"AK","access_key_id":"OTHER",)"
                                           R"("access_key_secret":"x"}]})");
      alicloud::cli_profile_credentials_provider p(files(home, {{"ALIBABA_CLOUD_CONFIG_FILE", other}}));
      auto r = p.get();
      REQUIRE(r.ok());
      CHECK(r->access_key_id == "OTHER");  // no "current": falls back to "default"
    }
  }

  TEST_CASE("CLI config: malformed files") {
    temp_home home;
    SUBCASE("file not found") {
      alicloud::cli_profile_credentials_provider p(files(home));
      CHECK(error_of(p) == (fs::path(home.str()) / ".aliyun" / "config.json").string() + ": file not found");
    }
    SUBCASE("bad JSON at line N, without echoing the text") {
      const std::string path = home.write(".aliyun/config.json",
                                          "{\n  \"current\": \"default\",\n  \"profiles\": [\n    {\"name\": \"default\", "
                                          "\"access_key_secret\": \"" + kSecret + "\",}\n  ]\n}\n");
      alicloud::cli_profile_credentials_provider p(files(home));
      auto r = p.get();
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == alicloud::errc::json_parse);
      CHECK(contains(r.error().message, path + ": bad JSON at line 4, column "));
      check_no_secret(r.error().message);
    }
    SUBCASE("truncated JSON") {
      const std::string path = home.write(".aliyun/config.json", "{\n\"profiles\": [\n");
      alicloud::cli_profile_credentials_provider p(files(home));
      CHECK(contains(error_of(p), path + ": bad JSON at line 3, column 1: incomplete JSON"));
    }
    SUBCASE("empty file") {
      const std::string path = home.write(".aliyun/config.json", "  \n");
      alicloud::cli_profile_credentials_provider p(files(home));
      CHECK(contains(error_of(p), path + ": bad JSON at line 2, column 1: no JSON value"));
    }
    SUBCASE("trailing garbage") {
      const std::string path = home.write(".aliyun/config.json", "{\"profiles\": []}\nxyz");
      alicloud::cli_profile_credentials_provider p(files(home));
      CHECK(error_of(p) == path + ": bad JSON at line 2, column 1: unexpected text after the JSON value");
    }
    SUBCASE("wrong shapes") {
      std::string path = home.write(".aliyun/config.json", "[1,2]");
      alicloud::cli_profile_credentials_provider p(files(home));
      CHECK(error_of(p) == path + ": the top level must be a JSON object, not an array");
      home.write(".aliyun/config.json", R"({"profiles": {"name": "default"}})");
      CHECK(error_of(p) == path + ": field 'profiles' must be an array, not an object");
      home.write(".aliyun/config.json", R"({"current": "x"})");
      CHECK(error_of(p) == path + ": field 'profiles' is missing");
      home.write(".aliyun/config.json", R"({"profiles": [{"name": "a"}, "oops"]})");
      CHECK(error_of(p) == path + ": profiles[1] must be an object, not a string");
      home.write(".aliyun/config.json", R"({"profiles": [{"mode": "AK"}]})");
      CHECK(error_of(p) == path + ": profiles[0]: field 'name' is missing");
      home.write(".aliyun/config.json", R"({"current": 3, "profiles": []})");
      CHECK(error_of(p) == path + ": field 'current' must be a string, not a number");
    }
    SUBCASE("directory instead of file") {
      fs::create_directories(fs::path(home.str()) / ".aliyun" / "config.json");
      alicloud::cli_profile_credentials_provider p(files(home));
      CHECK(contains(error_of(p), "config.json: not a regular file"));
    }
    SUBCASE("no HOME") {
      alicloud::profile_file_options o;
      o.env = alicloud::fixed_environment({});
      alicloud::cli_profile_credentials_provider p(o);
      CHECK(contains(error_of(p), "HOME is not set"));
    }
  }

  TEST_CASE("shared ini file") {
    temp_home home;
    const std::string ini = "# Alibaba Cloud credentials\n"
                            "[default]\n"
                            "enable = true\n"
                            "type = access_key                 # certification type: access_key\n"
                            "access_key_id = LTAIini00001\n"
                            "access_key_secret = " + kSecret + "\n"
                            "\n"
                            "; second profile\n"
                            "[client1]\n"
                            "Type = access_key\n"
                            "access_key_id: LTAIclient0001\n"
                            "access_key_secret = " + kSecret + "   ; inline\n"
                            "[client2]\n"
                            "type = ecs_ram_role\n"
                            "role_name = EcsRamRoleTest\n"
                            "[client3]\n"
                            "type = access_key\n"
                            "access_key_secret = " + kSecret + "\n"
                            "[client4]\n"
                            "access_key_id = x\n"
                            "[client5]\n"
                            "type = ram_role_arn\n"
                            "[client6]\n"
                            "type = access_key\n"
                            "access_key_id = x\n"
                            "access_key_secret =\n";
    const std::string path = home.write(".alibabacloud/credentials", ini);

    SUBCASE("default section, inline comment stripped") {
      alicloud::ini_file_credentials_provider p(files(home));
      auto r = p.get();
      REQUIRE(r.ok());
      CHECK(r->access_key_id == "LTAIini00001");
      CHECK(r->access_key_secret == kSecret);
      CHECK(p.name() == "credentials_file");
    }
    SUBCASE("ALIBABA_CLOUD_PROFILE, key case and ':' separator") {
      alicloud::ini_file_credentials_provider p(files(home, {{"ALIBABA_CLOUD_PROFILE", "client1"}}));
      auto r = p.get();
      REQUIRE(r.ok());
      CHECK(r->access_key_id == "LTAIclient0001");
      CHECK(r->access_key_secret == kSecret);
    }
    SUBCASE("errors name file, profile and field") {
      alicloud::ini_file_credentials_provider nf(files(home, {{"ALIBABA_CLOUD_PROFILE", "nope"}}));
      CHECK(error_of(nf) == path + ": profile 'nope' not found (profiles: 'client1', 'client2', 'client3', "
                                   "'client4', 'client5', 'client6', 'default')");
      alicloud::ini_file_credentials_provider c3(files(home, {{"ALIBABA_CLOUD_PROFILE", "client3"}}));
      CHECK(error_of(c3) ==
            path + ": profile 'client3': field 'access_key_id' is missing (required for type access_key)");
      alicloud::ini_file_credentials_provider c4(files(home, {{"ALIBABA_CLOUD_PROFILE", "client4"}}));
      CHECK(error_of(c4) ==
            path + ": profile 'client4': field 'type' is missing (one of access_key, ecs_ram_role)");
      alicloud::ini_file_credentials_provider c5(files(home, {{"ALIBABA_CLOUD_PROFILE", "client5"}}));
      CHECK(error_of(c5) ==
            path + ": profile 'client5': type 'ram_role_arn' is not supported (supported: access_key)");
      alicloud::ini_file_credentials_provider c6(files(home, {{"ALIBABA_CLOUD_PROFILE", "client6"}}));
      CHECK(error_of(c6) == path + ": profile 'client6': field 'access_key_secret' is empty (line 26)");
      // Without a delegate, an ECS role profile says so.
      alicloud::ini_file_credentials_provider c2(files(home, {{"ALIBABA_CLOUD_PROFILE", "client2"}}));
      CHECK(contains(error_of(c2), "type 'ecs_ram_role' is not supported"));
    }
    SUBCASE("ecs_ram_role through the delegate") {
      auto o = files(home, {{"ALIBABA_CLOUD_PROFILE", "client2"}});
      std::string seen_role;
      o.delegates.ecs_ram_role = [&](const std::string& role) -> std::shared_ptr<alicloud::credentials_provider> {
        seen_role = role;
        return std::make_shared<alicloud::static_credentials_provider>(credentials{"STS.role", kSecret, kToken, {}});
      };
      alicloud::ini_file_credentials_provider p(o);
      auto r = p.get();
      REQUIRE(r.ok());
      CHECK(seen_role == "EcsRamRoleTest");
      CHECK(r->access_key_id == "STS.role");
    }
    SUBCASE("ALIBABA_CLOUD_CREDENTIALS_FILE") {
      const std::string other = home.write("x/creds.ini", "[default]\ntype=access_key\naccess_key_id=FROMVAR\n"
                                                          "access_key_secret=s\n");
      alicloud::ini_file_credentials_provider p(files(home, {{"ALIBABA_CLOUD_CREDENTIALS_FILE", other}}));
      auto r = p.get();
      REQUIRE(r.ok());
      CHECK(r->access_key_id == "FROMVAR");
      alicloud::ini_file_credentials_provider missing(
          files(home, {{"ALIBABA_CLOUD_CREDENTIALS_FILE", home.str() + "/nope.ini"}}));
      CHECK(error_of(missing) == home.str() + "/nope.ini: file not found");
    }
  }

  TEST_CASE("shared ini file: location fallback and malformed lines") {
    temp_home home;
    alicloud::ini_file_credentials_provider p(files(home));
    const auto dir = fs::path(home.str()) / ".alibabacloud";
    CHECK(error_of(p) == (dir / "credentials").string() + ": file not found (nor " +
                             (dir / "credentials.ini").string() + ")");
    home.write(".alibabacloud/credentials.ini", "[default]\ntype = access_key\naccess_key_id = PYINI\n"
                                                "access_key_secret = s\n");
    auto r = p.get();
    REQUIRE(r.ok());
    CHECK(r->access_key_id == "PYINI");

    const std::string path = home.write(".alibabacloud/credentials", "[default]\ntype = access_key\n" + kSecret + "\n");
    auto bad = p.get();
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == alicloud::errc::bad_format);
    CHECK(bad.error().message == path + ": line 3: expected 'key = value' or '[section]'");
    home.write(".alibabacloud/credentials", "access_key_secret = " + kSecret + "\n[default]\n");
    CHECK(error_of(p) == path + ": line 1: key 'access_key_secret' appears before any [section]");
    home.write(".alibabacloud/credentials", "\n\n[default\n");
    CHECK(error_of(p) == path + ": line 3: section header is missing ']'");
  }

  TEST_CASE("cached provider: keeps, refreshes before expiry, survives failed refresh") {
    struct scripted final : alicloud::credentials_provider {
      const alicloud::clock& clk;
      int calls = 0;
      bool fail = false;
      std::chrono::seconds lifetime{3600};
      explicit scripted(const alicloud::clock& c) : clk(c) {}
      alicloud::result<credentials> get() override {
        ++calls;
        if (fail) return alicloud::error(make_error_code(alicloud::errc::credentials), "backend down");
        return credentials{"STS.gen" + std::to_string(calls), kSecret, kToken, clk.now() + lifetime};
      }
      std::string_view name() const override { return "scripted"; }
    };
    alicloud::manual_clock clk(epoch_seconds(1700000000));
    auto inner = std::make_shared<scripted>(clk);
    alicloud::cached_credentials_provider cache(inner, clk);
    CHECK(cache.name() == "scripted");

    auto a = cache.get();
    REQUIRE(a.ok());
    CHECK(a->access_key_id == "STS.gen1");
    clk.advance(std::chrono::seconds(3600 - 181));
    CHECK(cache.get()->access_key_id == "STS.gen1");
    CHECK(inner->calls == 1);
    clk.advance(std::chrono::seconds(1));  // 180 s left: refresh now
    CHECK(cache.get()->access_key_id == "STS.gen2");
    CHECK(inner->calls == 2);

    inner->fail = true;
    clk.advance(std::chrono::seconds(3600 - 100));  // 100 s left, refresh fails, old still valid
    auto still = cache.get();
    REQUIRE(still.ok());
    CHECK(still->access_key_id == "STS.gen2");
    clk.advance(std::chrono::seconds(100));  // expired and refresh fails
    auto gone = cache.get();
    REQUIRE_FALSE(gone.ok());
    CHECK(gone.error().message == "backend down");

    inner->fail = false;
    inner->lifetime = std::chrono::seconds(0);  // a backend handing out dead credentials
    auto dead = cache.get();
    REQUIRE_FALSE(dead.ok());
    CHECK(contains(dead.error().message, "scripted: returned credentials that expired at"));

    inner->lifetime = std::chrono::seconds(3600);
    REQUIRE(cache.get().ok());
    const int before = inner->calls;
    cache.invalidate();
    REQUIRE(cache.get().ok());
    CHECK(inner->calls == before + 1);
  }

  TEST_CASE("cached provider: non-expiring credentials are fetched once") {
    struct counting final : alicloud::credentials_provider {
      int calls = 0;
      alicloud::result<credentials> get() override {
        ++calls;
        return credentials{"id", kSecret, "", std::nullopt};
      }
      std::string_view name() const override { return "counting"; }
    };
    auto inner = std::make_shared<counting>();
    alicloud::manual_clock clk(epoch_seconds(0));
    alicloud::cached_credentials_provider cache(inner, clk);
    for (int i = 0; i < 5; ++i) {
      REQUIRE(cache.get().ok());
      clk.advance(std::chrono::hours(24 * 365));
    }
    CHECK(inner->calls == 1);
  }

  TEST_CASE("cached provider: concurrent readers while the clock moves") {
    struct slow_sts final : alicloud::credentials_provider {
      const alicloud::clock& clk;
      std::atomic<int> calls{0};
      std::atomic<int> in_flight{0};
      std::atomic<int> max_in_flight{0};
      explicit slow_sts(const alicloud::clock& c) : clk(c) {}
      alicloud::result<credentials> get() override {
        const int now_in = ++in_flight;
        int seen = max_in_flight.load();
        while (now_in > seen && !max_in_flight.compare_exchange_weak(seen, now_in)) {
        }
        const int n = ++calls;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        credentials c{"STS.c" + std::to_string(n), kSecret, kToken, clk.now() + std::chrono::seconds(600)};
        --in_flight;
        return c;
      }
      std::string_view name() const override { return "slow_sts"; }
    };
    alicloud::manual_clock clk(epoch_seconds(1700000000));
    auto inner = std::make_shared<slow_sts>(clk);
    alicloud::cached_credentials_provider cache(inner, clk);

    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::atomic<long> reads{0};
    constexpr int steps = 500;
    std::thread ticker([&] {
      for (int i = 0; i < steps; ++i) {
        clk.advance(std::chrono::seconds(10));
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      stop = true;
    });
    std::vector<std::thread> readers;
    for (int t = 0; t < 8; ++t) {
      readers.emplace_back([&] {
        while (!stop) {
          const auto before = clk.now();
          auto r = cache.get();
          ++reads;
          // Never an error, never credentials that were already expired when the call started.
          if (!r.ok() || !r->expiration || *r->expiration <= before || r->security_token != kToken) ++failures;
        }
      });
    }
    ticker.join();
    for (auto& t : readers) t.join();
    CHECK(failures == 0);
    CHECK(reads > 100);
    CHECK(inner->max_in_flight == 1);
    // 5000 s of clock time with 600 s credentials refreshed 180 s early: one fetch per >= 420 s.
    CHECK(inner->calls >= 2);
    CHECK(inner->calls <= 5000 / 420 + 1);
  }

  TEST_CASE("chain: order, reuse of the last provider, and the all-failed report") {
    temp_home home;
    struct flaky final : alicloud::credentials_provider {
      std::string n;
      bool ok = false;
      int calls = 0;
      explicit flaky(std::string name) : n(std::move(name)) {}
      alicloud::result<credentials> get() override {
        ++calls;
        if (!ok) return alicloud::error(make_error_code(alicloud::errc::credentials), n + " is off");
        return credentials{n, kSecret, "", std::nullopt};
      }
      std::string_view name() const override { return n; }
    };
    auto a = std::make_shared<flaky>("first");
    auto b = std::make_shared<flaky>("second");
    auto c = std::make_shared<flaky>("third");
    alicloud::credentials_chain chain({a, b, c}, "test");
    CHECK(chain.name() == "test");

    auto none = chain.get();
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().code == alicloud::errc::credentials);
    CHECK(none.error().message ==
          "no credentials found by the test chain; tried:\n  first: first is off\n  second: second is off\n"
          "  third: third is off");

    b->ok = c->ok = true;
    CHECK(chain.get()->access_key_id == "second");
    const int a_calls = a->calls;
    CHECK(chain.get()->access_key_id == "second");
    CHECK(a->calls == a_calls);  // the winner is asked first
    b->ok = false;
    CHECK(chain.get()->access_key_id == "third");  // falls back to the full list
    a->ok = true;
    CHECK(chain.get()->access_key_id == "third");

    alicloud::credentials_chain empty({});
    CHECK(contains(error_of(empty), "has no providers"));
  }

  TEST_CASE("chain over real providers: environment first, then CLI, then ini; secrets never reported") {
    temp_home home;
    home.write(".aliyun/config.json", R"({"current":"default","profiles":[{"name":"default","mode":"AK",)"
                                      R"("access_key_id":"FROMCLI","access_key_secret":")" + kSecret + R"("}]})");
    home.write(".alibabacloud/credentials", "[default]\ntype=access_key\naccess_key_id=FROMINI\naccess_key_secret=" +
                                                kSecret + "\n");
    auto make = [&](std::map<std::string, std::string, std::less<>> env) {
      auto o = files(home, std::move(env));
      return alicloud::credentials_chain(
          {std::make_shared<alicloud::environment_credentials_provider>(o.env),
           std::make_shared<alicloud::cli_profile_credentials_provider>(o),
           std::make_shared<alicloud::ini_file_credentials_provider>(o)},
          "default");
    };
    CHECK(make({{"ALIBABA_CLOUD_ACCESS_KEY_ID", "FROMENV"}, {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "x"}})
              .get()
              ->access_key_id == "FROMENV");
    CHECK(make({}).get()->access_key_id == "FROMCLI");
    CHECK(make({{"ALIBABA_CLOUD_PROFILE", "missing"}}).get().ok() == false);

    home.write(".aliyun/config.json", "{\"profiles\": [\n{\"name\": \"default\", \"access_key_secret\": \"" + kSecret +
                                          "\" \"mode\": \"AK\"}]}");
    CHECK(make({}).get()->access_key_id == "FROMINI");
    fs::remove(fs::path(home.str()) / ".alibabacloud" / "credentials");
    auto chain = make({{"ALIBABA_CLOUD_ACCESS_KEY_ID", "only-id"}});
    const auto e = error_of(chain);
    CHECK(contains(e, "\n  environment: ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set (the id variable is)"));
    CHECK(contains(e, "\n  cli_profile: " + (fs::path(home.str()) / ".aliyun" / "config.json").string() +
                          ": bad JSON at line 2, column "));
    CHECK(contains(e, "\n  credentials_file: " + (fs::path(home.str()) / ".alibabacloud" / "credentials").string() +
                          ": file not found"));
  }
}
