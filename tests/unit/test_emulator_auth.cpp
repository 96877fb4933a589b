// esa-emulator authentication: ACS3-HMAC-SHA256 and legacy HMAC-SHA1 verification recomputed from
// what was received, replayed nonces, clock skew, unknown keys, wrong signatures, tampering, STS
// tokens, and the per-key rate limit. No error message may leak a secret or a token.

#include <doctest/doctest.h>

#include "../support/emulator_harness.hpp"

#include <string>

using emu_test::call;
using emu_test::expect_error;
using emu_test::harness;
using emu_test::str;
using namespace std::chrono_literals;

namespace {

const alicloud::credentials long_key{"long-key-id", "long-secret", {}, std::nullopt};
const alicloud::credentials sts_key{"sts-key-id", "sts-secret", "sts-token-value", std::nullopt};

esa_emulator::config keyed_config() {
  esa_emulator::config c;
  c.keys = {{std::string(esa_emulator::demo_access_key_id), std::string(esa_emulator::demo_access_key_secret), {}},
            {long_key.access_key_id, long_key.access_key_secret, {}},
            {sts_key.access_key_id, sts_key.access_key_secret, sts_key.security_token}};
  return c;
}

void no_secrets(const alicloud::http::response& r) {
  INFO(r.body);
  for (const char* secret : {"demo-secret", "long-secret", "sts-secret", "sts-token-value"})
    CHECK(r.body.find(secret) == std::string::npos);
}

void erase_header(alicloud::http::request& r, const std::string& name) {
  for (auto it = r.headers.begin(); it != r.headers.end();)
    it = alicloud::http::iequals(it->first, name) ? r.headers.erase(it) : std::next(it);
}

void set_header(alicloud::http::request& r, const std::string& name, const std::string& value) {
  erase_header(r, name);
  r.headers.emplace_back(name, value);
}

void replace_in(std::string& s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from << " not in " << s);
  s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("ACS3: a correctly signed request is accepted, whatever the encoding of the query") {
  harness h(keyed_config());
  CHECK(h.call_ok(call{"ListSites"}).status == 200);
  // Values that need percent-encoding (the signature covers the decoded values re-encoded canonically).
  call odd{"ListSites", {{"SiteName", "a b*~/+=&"}, {"ResourceGroupId", ""}}};
  auto r = h.call_ok(odd);
  INFO(r.body);
  CHECK(r.status == 200);
  // Go's url.Values encodes a space as '+'; the server decodes it back before verifying.
  call plus{"ListSites", {{"SiteName", "a b"}}};
  plus.tamper = [](alicloud::http::request& req) { replace_in(req.target, "a%20b", "a+b"); };
  CHECK(h.call_ok(plus).status == 200);
  call other{"ListSites"};
  other.creds = long_key;
  CHECK(h.call_ok(other).status == 200);
}

TEST_CASE("ACS3: a replayed nonce is rejected, a rejected request does not burn its nonce") {
  harness h(keyed_config());
  call c{"ListSites"};
  c.nonce = "nonce-0001";
  CHECK(h.call_ok(c).status == 200);
  auto again = expect_error(h.call_ok(c), 400, "SignatureNonceUsed");
  CHECK(str(again, "Message").find("nonce-0001") != std::string::npos);
  // Nonces are per access key.
  c.creds = long_key;
  CHECK(h.call_ok(c).status == 200);

  call bad{"ListSites"};
  bad.nonce = "nonce-0002";
  bad.creds = alicloud::credentials{"long-key-id", "wrong", {}, std::nullopt};
  expect_error(h.call_ok(bad), 400, "SignatureDoesNotMatch");
  bad.creds = long_key;
  CHECK(h.call_ok(bad).status == 200);
}

TEST_CASE("ACS3: a date outside the 15-minute window is rejected") {
  harness h(keyed_config());
  call c{"ListSites"};
  c.signed_at = h.clock().now() - 16min;
  expect_error(h.call_ok(c), 400, "InvalidTimeStamp.Expired");
  c.signed_at = h.clock().now() + 16min;
  expect_error(h.call_ok(c), 400, "InvalidTimeStamp.Expired");
  c.signed_at = h.clock().now() - 14min;
  CHECK(h.call_ok(c).status == 200);
  call garbled{"ListSites"};
  garbled.tamper = [](alicloud::http::request& r) { set_header(r, "x-acs-date", "yesterday"); };
  auto o = expect_error(h.call_ok(garbled), 400, "InvalidParameter");
  CHECK(str(o, "Message").find("x-acs-date") != std::string::npos);
}

TEST_CASE("ACS3: unknown keys, wrong signatures and tampering are rejected without leaking secrets") {
  harness h(keyed_config());
  SUBCASE("unknown access key") {
    call c{"ListSites"};
    c.creds = alicloud::credentials{"LTAI5tUnknownKey1234", "whatever", {}, std::nullopt};
    auto r = h.call_ok(c);
    auto o = expect_error(r, 404, "InvalidAccessKeyId.NotFound");
    CHECK(str(o, "Message").find("LTAI5tUnknownKey1234") == std::string::npos);  // redacted
  }
  SUBCASE("wrong secret") {
    call c{"ListSites"};
    c.creds = alicloud::credentials{"long-key-id", "not-the-secret", {}, std::nullopt};
    auto r = h.call_ok(c);
    auto o = expect_error(r, 400, "SignatureDoesNotMatch");
    // The server's string to sign helps debugging and holds no secret.
    CHECK(str(o, "Message").find("ACS3-HMAC-SHA256\\n") != std::string::npos);
    no_secrets(r);
  }
  SUBCASE("query changed after signing") {
    call c{"DescribePreloadTasks", {{"PageSize", "5"}}};
    c.tamper = [](alicloud::http::request& r) { replace_in(r.target, "PageSize=5", "PageSize=6"); };
    no_secrets(h.call_ok(c));
    expect_error(h.call_ok(c), 400, "SignatureDoesNotMatch");
  }
  SUBCASE("signed header changed after signing") {
    call c{"ListSites"};
    c.tamper = [](alicloud::http::request& r) { set_header(r, "x-acs-action", "DescribePreloadTasks"); };
    expect_error(h.call_ok(c), 400, "SignatureDoesNotMatch");
  }
  SUBCASE("method changed after signing") {
    call c{"ListSites"};
    c.tamper = [](alicloud::http::request& r) { r.method = "POST"; };
    expect_error(h.call_ok(c), 400, "SignatureDoesNotMatch");
  }
  SUBCASE("body changed after signing") {
    call c{"PreloadCaches", {}, {{"Content", R"(["https://example.com/a"])"}}, "POST"};
    c.tamper = [](alicloud::http::request& r) { r.body += "&SiteId=1"; };
    auto o = expect_error(h.call_ok(c), 400, "SignatureDoesNotMatch");
    CHECK(str(o, "Message").find("x-acs-content-sha256") != std::string::npos);
  }
  SUBCASE("missing headers") {
    for (const char* name : {"x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}) {
      call c{"ListSites"};
      c.tamper = [name](alicloud::http::request& r) { erase_header(r, name); };
      auto o = expect_error(h.call_ok(c), 400, "MissingParameter");
      CHECK(str(o, "Message").find(name) != std::string::npos);
    }
  }
  SUBCASE("malformed or incomplete Authorization") {
    auto with_auth = [&](std::function<void(std::string&)> edit) {
      call c{"ListSites"};
      c.tamper = [edit](alicloud::http::request& r) {
        for (auto& kv : r.headers)
          if (kv.first == "Authorization") edit(kv.second);
      };
      return h.call_ok(c);
    };
    expect_error(with_auth([](std::string& a) { a = "Bearer abc"; }), 400, "IncompleteSignature");
    expect_error(with_auth([](std::string& a) { a = a.substr(0, a.find(",Signature=")); }), 400, "IncompleteSignature");
    expect_error(with_auth([](std::string& a) { replace_in(a, "x-acs-date;", ""); }), 400, "IncompleteSignature");
    expect_error(with_auth([](std::string& a) { replace_in(a, "host;", "host;x-acs-missing;"); }), 400,
                 "IncompleteSignature");
    call unsigned_call{"ListSites"};
    unsigned_call.tamper = [](alicloud::http::request& r) { erase_header(r, "Authorization"); };
    expect_error(h.call_ok(unsigned_call), 400, "IncompleteSignature");
  }
}

TEST_CASE("ACS3 with STS credentials: the token must be present and match") {
  harness h(keyed_config());
  call ok{"ListSites"};
  ok.creds = sts_key;
  CHECK(h.call_ok(ok).status == 200);

  call wrong{"ListSites"};
  wrong.creds = alicloud::credentials{sts_key.access_key_id, sts_key.access_key_secret, "stolen-token", std::nullopt};
  auto r = h.call_ok(wrong);
  expect_error(r, 400, "InvalidSecurityToken.Expired");
  no_secrets(r);

  call none{"ListSites"};
  none.creds = alicloud::credentials{sts_key.access_key_id, sts_key.access_key_secret, {}, std::nullopt};
  expect_error(h.call_ok(none), 400, "InvalidSecurityToken.Expired");

  call long_with_token{"ListSites"};
  long_with_token.creds = alicloud::credentials{long_key.access_key_id, long_key.access_key_secret, "t", std::nullopt};
  expect_error(h.call_ok(long_with_token), 400, "InvalidSecurityToken.Expired");

  // The token header must be signed.
  call unsigned_token{"ListSites"};
  unsigned_token.creds = sts_key;
  unsigned_token.tamper = [](alicloud::http::request& r) {
    for (auto& kv : r.headers)
      if (kv.first == "Authorization") replace_in(kv.second, ";x-acs-security-token", "");
  };
  expect_error(h.call_ok(unsigned_token), 400, "IncompleteSignature");
}

TEST_CASE("legacy HMAC-SHA1 (Signature parameter) is accepted and checked like ACS3") {
  harness h(keyed_config());
  call get{"ListSites", {{"SiteName", "example.com"}}};
  get.legacy = true;
  auto r = h.call_ok(get);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(emu_test::json_of(r).at("TotalCount").as_int64() == 1);

  call post{"PreloadCaches", {}, {{"Content", R"(["https://example.com/legacy.js"])"}}, "POST"};
  post.legacy = true;
  auto p = h.call_ok(post);
  INFO(p.body);
  CHECK(p.status == 200);

  call replay{"ListSites"};
  replay.legacy = true;
  replay.nonce = "legacy-nonce";
  CHECK(h.call_ok(replay).status == 200);
  expect_error(h.call_ok(replay), 400, "SignatureNonceUsed");

  call wrong{"ListSites"};
  wrong.legacy = true;
  wrong.creds = alicloud::credentials{"long-key-id", "nope", {}, std::nullopt};
  auto w = h.call_ok(wrong);
  auto o = expect_error(w, 400, "SignatureDoesNotMatch");
  CHECK(str(o, "Message").find("GET&%2F&") != std::string::npos);
  no_secrets(w);

  call stale{"ListSites"};
  stale.legacy = true;
  stale.signed_at = h.clock().now() - 20min;
  expect_error(h.call_ok(stale), 400, "InvalidTimeStamp.Expired");

  call unknown{"ListSites"};
  unknown.legacy = true;
  unknown.creds = alicloud::credentials{"nobody", "x", {}, std::nullopt};
  expect_error(h.call_ok(unknown), 404, "InvalidAccessKeyId.NotFound");

  call tampered{"DescribePreloadTasks", {{"PageSize", "5"}}};
  tampered.legacy = true;
  tampered.tamper = [](alicloud::http::request& req) { replace_in(req.target, "PageSize=5", "PageSize=6"); };
  expect_error(h.call_ok(tampered), 400, "SignatureDoesNotMatch");

  call no_nonce{"ListSites"};
  no_nonce.legacy = true;
  no_nonce.nonce = "drop-me";
  no_nonce.tamper = [](alicloud::http::request& req) { replace_in(req.target, "SignatureNonce=drop-me&", ""); };
  expect_error(h.call_ok(no_nonce), 400, "MissingParameter");

  call sts{"ListSites"};
  sts.legacy = true;
  sts.creds = sts_key;
  CHECK(h.call_ok(sts).status == 200);
  call sts_bad{"ListSites"};
  sts_bad.legacy = true;
  sts_bad.creds = alicloud::credentials{sts_key.access_key_id, "wrong-secret", sts_key.security_token, std::nullopt};
  auto sb = h.call_ok(sts_bad);
  expect_error(sb, 400, "SignatureDoesNotMatch");
  no_secrets(sb);  // the token inside the server's string to sign is redacted
  call sts_token{"ListSites"};
  sts_token.legacy = true;
  sts_token.creds = alicloud::credentials{sts_key.access_key_id, sts_key.access_key_secret, "other", std::nullopt};
  expect_error(h.call_ok(sts_token), 400, "InvalidSecurityToken.Expired");
}

TEST_CASE("the per-key rate limit answers TooManyRequests (429 for PurgeCaches) and refills over time") {
  auto cfg = keyed_config();
  cfg.rate_limit = 2;
  cfg.rate_burst = 2;
  harness h(cfg);
  CHECK(h.call_ok(call{"ListSites"}).status == 200);
  CHECK(h.call_ok(call{"ListSites"}).status == 200);
  auto limited = h.call_ok(call{"ListSites"});
  expect_error(limited, 400, "TooManyRequests");
  CHECK(std::string(limited.header("x-acs-retry-after")) == "500");
  call purge{"PurgeCaches", {{"SiteId", "7001000000001"}, {"Type", "purgeall"}}, {}, "POST"};
  expect_error(h.call_ok(purge), 429, "TooManyRequests");
  CHECK(h.emu().stats().throttled.load() == 2);

  call other{"ListSites"};
  other.creds = long_key;  // its own bucket
  CHECK(h.call_ok(other).status == 200);

  h.clock().advance(500ms);
  CHECK(h.call_ok(call{"ListSites"}).status == 200);
  expect_error(h.call_ok(call{"ListSites"}), 400, "TooManyRequests");
  // A throttled PurgeCaches did nothing.
  call check{"DescribePurgeTasks", {{"Type", "purgeall"}}};
  check.creds = long_key;
  auto tasks = h.call_ok(check);
  REQUIRE(tasks.status == 200);
  CHECK(emu_test::json_of(tasks).at("TotalCount").as_int64() == 0);
}
