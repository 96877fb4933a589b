// ACS3-HMAC-SHA256 and legacy HMAC-SHA1 signing: the published vectors (TV-A1, TV-A2, TV-A3,
// TV-B1..B3 of alibaba-wire-protocol.md) byte for byte, the RFC 3986 encoder, and edge cases.

#include <alicloud/core/encoding.hpp>
#include <alicloud/core/signer.hpp>

#include <doctest/doctest.h>

#include <set>
#include <sstream>

using alicloud::credentials;
using alicloud::param_list;

namespace {

std::chrono::system_clock::time_point at(const char* iso) {
  auto t = alicloud::parse_utc_timestamp(iso);
  REQUIRE(t.has_value());
  return *t;
}

std::chrono::system_clock::time_point epoch_seconds(long long s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(s));
}

std::string header(const alicloud::signed_request& s, std::string_view name) {
  for (const auto& [n, v] : s.headers)
    if (n == name) return v;
  return "<absent>";
}

int count_header(const alicloud::signed_request& s, std::string_view name) {
  int n = 0;
  for (const auto& h : s.headers) n += h.first == name;
  return n;
}

}  // namespace

TEST_SUITE("encoding") {
  TEST_CASE("RFC 3986 encoder: published example and special characters") {
    CHECK(alicloud::percent_encode("a/b/c/ test") == "a%2Fb%2Fc%2F%20test");
    CHECK(alicloud::percent_encode("*") == "%2A");
    CHECK(alicloud::percent_encode("~") == "~");
    CHECK(alicloud::percent_encode("+") == "%2B");
    CHECK(alicloud::percent_encode("=&") == "%3D%26");
    CHECK(alicloud::percent_encode("AZaz09-_.~") == "AZaz09-_.~");
    CHECK(alicloud::percent_encode("!'()") == "%21%27%28%29");
    CHECK(alicloud::percent_encode("%") == "%25");
    CHECK(alicloud::percent_encode("") == "");
  }

  TEST_CASE("RFC 3986 encoder: UTF-8 bytes with upper-case hex") {
    CHECK(alicloud::percent_encode("中文") == "%E4%B8%AD%E6%96%87");
    CHECK(alicloud::percent_encode("é") == "%C3%A9");
    CHECK(alicloud::percent_encode(std::string_view("\0\xff", 2)) == "%00%FF");
  }

  TEST_CASE("RFC 3986 encoder: every byte") {
    for (int b = 0; b < 256; ++b) {
      const char c = static_cast<char>(b);
      const std::string enc = alicloud::percent_encode(std::string_view(&c, 1));
      const bool unreserved = std::isalnum(b) != 0 || c == '-' || c == '_' || c == '.' || c == '~';
      CAPTURE(b);
      if (unreserved && b < 128) {
        CHECK(enc == std::string(1, c));
      } else {
        REQUIRE(enc.size() == 3);
        CHECK(enc[0] == '%');
        CHECK(std::string("0123456789ABCDEF").find(enc[1]) != std::string::npos);
        CHECK(std::string("0123456789ABCDEF").find(enc[2]) != std::string::npos);
        CHECK(alicloud::percent_decode(enc) == std::string(1, c));
      }
    }
  }

  TEST_CASE("percent_decode round-trips and rejects broken escapes") {
    const std::string tricky = "a b/c*~+=&%中";
    CHECK(alicloud::percent_decode(alicloud::percent_encode(tricky)) == tricky);
    CHECK(alicloud::percent_decode("a+b") == "a+b");
    CHECK_FALSE(alicloud::percent_decode("%").has_value());
    CHECK_FALSE(alicloud::percent_decode("%4").has_value());
    CHECK_FALSE(alicloud::percent_decode("%G1").has_value());
    CHECK(alicloud::percent_decode("%41%4a%4A") == "AJJ");
  }

  TEST_CASE("path encoder (TV-A3 GetEncodePath)") {
    CHECK(alicloud::percent_encode_path("/path/ test") == "/path/%20test");
    CHECK(alicloud::percent_encode_path("") == "/");
    CHECK(alicloud::percent_encode_path("/") == "/");
    CHECK(alicloud::percent_encode_path("/a*b/~c/") == "/a%2Ab/~c/");
  }

  TEST_CASE("canonical query: sorted by name, empty values, repeated names, encoding") {
    CHECK(alicloud::canonical_query_string({}) == "");
    CHECK(alicloud::canonical_query_string({{"test", "ok"}, {"empty", ""}}) == "empty=&test=ok");
    CHECK(alicloud::canonical_query_string({{"b", "2"}, {"a", "1"}, {"B", "0"}}) == "B=0&a=1&b=2");
    // Repeated names: deterministic whatever the caller's order.
    CHECK(alicloud::canonical_query_string({{"k", "z"}, {"k", "a"}, {"k", ""}}) == "k=&k=a&k=z");
    CHECK(alicloud::canonical_query_string({{"k", "a"}, {"k", "z"}}) ==
          alicloud::canonical_query_string({{"k", "z"}, {"k", "a"}}));
    CHECK(alicloud::canonical_query_string({{"Name.1", "a b"}, {"Name.10", "*"}, {"Name.2", "~/"}}) ==
          "Name.1=a%20b&Name.10=%2A&Name.2=~%2F");
    CHECK(alicloud::canonical_query_string({{"q", "中文"}, {"x y", "="}}) == "q=%E4%B8%AD%E6%96%87&x%20y=%3D");
  }

  TEST_CASE("hex and base64 (RFC 4648 vectors)") {
    const auto b64 = [](std::string_view s) {
      return alicloud::base64_encode(reinterpret_cast<const unsigned char*>(s.data()), s.size());
    };
    CHECK(b64("") == "");
    CHECK(b64("f") == "Zg==");
    CHECK(b64("fo") == "Zm8=");
    CHECK(b64("foo") == "Zm9v");
    CHECK(b64("foob") == "Zm9vYg==");
    CHECK(b64("fooba") == "Zm9vYmE=");
    CHECK(b64("foobar") == "Zm9vYmFy");
    const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
    CHECK(alicloud::lower_hex(bytes, 4) == "000fa5ff");
  }

  TEST_CASE("UTC timestamps") {
    CHECK(alicloud::format_utc_timestamp(epoch_seconds(0)) == "1970-01-01T00:00:00Z");
    CHECK(alicloud::format_utc_timestamp(epoch_seconds(1698315752)) == "2023-10-26T10:22:32Z");
    CHECK(alicloud::format_utc_timestamp(epoch_seconds(951782400)) == "2000-02-29T00:00:00Z");
    CHECK(alicloud::format_utc_timestamp(epoch_seconds(1698315752) + std::chrono::milliseconds(999)) ==
          "2023-10-26T10:22:32Z");
    CHECK(alicloud::format_utc_timestamp(epoch_seconds(-1)) == "1969-12-31T23:59:59Z");
    CHECK(alicloud::parse_utc_timestamp("2023-10-26T10:22:32Z") == epoch_seconds(1698315752));
    CHECK(alicloud::parse_utc_timestamp("2016-02-23T12:46:24Z") == epoch_seconds(1456231584));
    CHECK(alicloud::parse_utc_timestamp("2023-10-26T10:22:32.123Z") == epoch_seconds(1698315752));
    for (const char* bad : {"", "2023-10-26T10:22:32", "2023-10-26 10:22:32Z", "2023-13-01T00:00:00Z",
                            "2023-02-29T00:00:00Z", "2023-10-26T24:00:00Z", "2023-10-26T10:22:32+08:00",
                            "2023-10-26T10:22:32ZZ", "2023-1-26T10:22:32Z", "2023-10-26T10:22:32.Z"}) {
      CAPTURE(bad);
      CHECK_FALSE(alicloud::parse_utc_timestamp(bad).has_value());
    }
    // Beyond the platform's system_clock range a timestamp is rejected, never wrapped.
    const auto far = alicloud::parse_utc_timestamp("9999-12-31T23:59:59Z");
    if (std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max()).count() <
        253402300799LL) {
      CHECK_FALSE(far.has_value());
    } else {
      CHECK(far == epoch_seconds(253402300799LL));
    }
    for (long long s : {0LL, 86399LL, 1456231584LL, 4102444800LL}) {
      CHECK(alicloud::parse_utc_timestamp(alicloud::format_utc_timestamp(epoch_seconds(s))) == epoch_seconds(s));
    }
  }
}

TEST_SUITE("acs3") {
  TEST_CASE("TV-A3 primitives") {
    CHECK(alicloud::crypto::sha256_hex("test") == "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    CHECK(alicloud::crypto::sha256_hex("") == alicloud::empty_payload_sha256);
    CHECK(alicloud::crypto::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // RFC 4231 test case 2.
    CHECK(alicloud::crypto::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }

  TEST_CASE("TV-A1: official V3 documentation example, end to end") {
    const param_list query{{"RegionId", "cn-shanghai"},
                           {"ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"}};
    const alicloud::signing_request req{"POST", "ecs.cn-shanghai.aliyuncs.com", "/", query,
                                        alicloud::empty_param_list(), "", "RunInstances", "2014-05-26"};
    const credentials creds{"YourAccessKeyId", "YourAccessKeySecret", "", std::nullopt};
    auto r = alicloud::sign_acs3(req, creds, epoch_seconds(1698315752), "3156853299f313e23d1673dc12e1703d");
    REQUIRE(r.ok());
    CHECK(r->canonical_request ==
          "POST\n"
          "/\n"
          "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\n"
          "host:ecs.cn-shanghai.aliyuncs.com\n"
          "x-acs-action:RunInstances\n"
          "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
          "x-acs-date:2023-10-26T10:22:32Z\n"
          "x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\n"
          "x-acs-version:2014-05-26\n"
          "\n"
          "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(alicloud::crypto::sha256_hex(r->canonical_request) ==
          "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259");
    CHECK(r->string_to_sign == "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259");
    CHECK(header(*r, "Authorization") ==
          "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;"
          "x-acs-date;x-acs-signature-nonce;x-acs-version,Signature="
          "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
    CHECK(header(*r, "x-acs-date") == "2023-10-26T10:22:32Z");
    CHECK(header(*r, "x-acs-signature-nonce") == "3156853299f313e23d1673dc12e1703d");
    CHECK(header(*r, "x-acs-content-sha256") == alicloud::empty_payload_sha256);
    CHECK(header(*r, "x-acs-action") == "RunInstances");
    CHECK(header(*r, "x-acs-version") == "2014-05-26");
    CHECK(header(*r, "x-acs-security-token") == "<absent>");
    CHECK(header(*r, "x-acs-accesskey-id") == "<absent>");
    CHECK(r->signed_headers == "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version");
    CHECK(r->target() == "/?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai");
    CHECK(r->headers.back().first == "Authorization");
    // A lower-case method is normalised, not rejected.
    const alicloud::signing_request lower{"post", "ecs.cn-shanghai.aliyuncs.com", "", query,
                                          alicloud::empty_param_list(), "", "RunInstances", "2014-05-26"};
    auto r2 = alicloud::sign_acs3(lower, creds, at("2023-10-26T10:22:32Z"), "3156853299f313e23d1673dc12e1703d");
    REQUIRE(r2.ok());
    CHECK(header(*r2, "Authorization") == header(*r, "Authorization"));
  }

  TEST_CASE("TV-A2: SDK GetAuthorization vectors through the building blocks") {
    const std::string payload = "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23";
    const std::string query = alicloud::canonical_query_string({{"test", "ok"}, {"empty", ""}});
    CHECK(query == "empty=&test=ok");

    SUBCASE("Java row: one header value, GET, URI /") {
      const auto block = alicloud::acs3_canonical_headers({{"x-acs-test", "http"}});
      const auto canonical = alicloud::acs3_canonical_request("GET", "/", query, block, payload);
      CHECK(canonical == "GET\n/\nempty=&test=ok\nx-acs-test:http\n\nx-acs-test\n" + payload);
      const auto sts = alicloud::acs3_string_to_sign(canonical);
      CHECK(sts == "ACS3-HMAC-SHA256\n" + alicloud::crypto::sha256_hex(canonical));
      const auto sig = alicloud::acs3_signature("secret", sts);
      CHECK(sig == "02e81f9f3cc8839151b0c7278024cbc4bfc9fa786085a0b8305f825f17b5dae7");
      CHECK(alicloud::acs3_authorization("acesskey", block.signed_headers, sig) ==
            "ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,"
            "Signature=02e81f9f3cc8839151b0c7278024cbc4bfc9fa786085a0b8305f825f17b5dae7");
    }
    SUBCASE("Python row: duplicate header names merged, values sorted") {
      const auto block = alicloud::acs3_canonical_headers({{"x-acs-test", "http"}, {"x-acs-TEST", "https"}});
      CHECK(block.canonical_headers == "x-acs-test:http,https\n");
      CHECK(block.signed_headers == "x-acs-test");
      const auto canonical = alicloud::acs3_canonical_request("GET", "/", query, block, payload);
      CHECK(alicloud::acs3_signature("secret", alicloud::acs3_string_to_sign(canonical)) ==
            "d16b30a7699ae9e43875b13195b2f81bcc3ed10c14a9b5eb780e51619aa50be1");
    }
    SUBCASE("Go row: empty method") {
      const auto block = alicloud::acs3_canonical_headers({{"x-acs-TEST", "https"}, {"x-acs-test", "http"}});
      const auto canonical = alicloud::acs3_canonical_request("", "/", query, block, payload);
      CHECK(alicloud::acs3_signature("secret", alicloud::acs3_string_to_sign(canonical)) ==
            "4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3");
    }
    SUBCASE("C++ row: empty canonical URI") {
      const auto block = alicloud::acs3_canonical_headers({{"x-acs-test", "http"}, {"x-acs-test", "https"}});
      const auto canonical = alicloud::acs3_canonical_request("GET", "", query, block, payload);
      CHECK(alicloud::acs3_signature("secret", alicloud::acs3_string_to_sign(canonical)) ==
            "910e59dd385879346de704a06c96613f8157aa7124e6d1c4f2bdffa1e5588187");
    }
  }

  TEST_CASE("canonical headers: selection, case, trimming") {
    const auto block = alicloud::acs3_canonical_headers({{"Content-Type", "  application/json; charset=utf-8\t"},
                                                         {"User-Agent", "x"},
                                                         {"Accept", "application/json"},
                                                         {"X-Acs-Zeta", " a  b "},
                                                         {"HOST", "h.example"}});
    CHECK(block.canonical_headers ==
          "content-type:application/json; charset=utf-8\nhost:h.example\nx-acs-zeta:a  b\n");
    CHECK(block.signed_headers == "content-type;host;x-acs-zeta");
  }

  TEST_CASE("form body: content-type signed, payload hashed, query left empty") {
    const param_list form{{"Name", "a b"}, {"Tag.1.Key", "k*"}, {"Empty", ""}};
    const std::string body = alicloud::form_urlencoded_body(form);
    CHECK(body == "Empty=&Name=a%20b&Tag.1.Key=k%2A");
    const param_list headers{{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    const alicloud::signing_request req{"POST", "esa.cn-hangzhou.aliyuncs.com", "/", alicloud::empty_param_list(),
                                        headers, body, "CreateSite", "2024-09-10"};
    const credentials creds{"id", "sk-value", "", std::nullopt};
    auto r = alicloud::sign_acs3(req, creds, at("2024-01-02T03:04:05Z"), "n1");
    REQUIRE(r.ok());
    const std::string hash = alicloud::crypto::sha256_hex(body);
    CHECK(header(*r, "x-acs-content-sha256") == hash);
    const std::string expected_canonical =
        "POST\n/\n\n"
        "content-type:application/x-www-form-urlencoded\n"
        "host:esa.cn-hangzhou.aliyuncs.com\n"
        "x-acs-action:CreateSite\n"
        "x-acs-content-sha256:" + hash + "\n"
        "x-acs-date:2024-01-02T03:04:05Z\n"
        "x-acs-signature-nonce:n1\n"
        "x-acs-version:2024-09-10\n\n"
        "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n" + hash;
    CHECK(r->canonical_request == expected_canonical);
    CHECK(r->target() == "/");
    const auto sig = alicloud::crypto::hmac_sha256_hex("sk-value", alicloud::acs3_string_to_sign(expected_canonical));
    CHECK(header(*r, "Authorization").find(",Signature=" + sig) != std::string::npos);
    // The caller's content-type is signed but not returned: the transport already sends it.
    CHECK(count_header(*r, "content-type") == 0);
  }

  TEST_CASE("unicode, reserved characters, empty values and repeated parameters in the query") {
    const param_list query{{"Name", "中文 名*"}, {"Path", "/a/b?c=d&e"}, {"Empty", ""}, {"Tag", "b"}, {"Tag", "a"}};
    const alicloud::signing_request req{"GET", "h", "/", query, {}, "", "A", "V"};
    auto r = alicloud::sign_acs3(req, credentials{"id", "s", "", std::nullopt}, epoch_seconds(0), "n");
    REQUIRE(r.ok());
    CHECK(r->canonical_query ==
          "Empty=&Name=%E4%B8%AD%E6%96%87%20%E5%90%8D%2A&Path=%2Fa%2Fb%3Fc%3Dd%26e&Tag=a&Tag=b");
    CHECK(r->canonical_request.rfind("GET\n/\n" + r->canonical_query + "\nhost:h\n", 0) == 0);
    // Another caller order of the same parameters signs identically.
    const param_list shuffled{{"Tag", "a"}, {"Empty", ""}, {"Tag", "b"}, {"Path", "/a/b?c=d&e"}, {"Name", "中文 名*"}};
    const alicloud::signing_request req2{"GET", "h", "/", shuffled, {}, "", "A", "V"};
    auto r2 = alicloud::sign_acs3(req2, credentials{"id", "s", "", std::nullopt}, epoch_seconds(0), "n");
    REQUIRE(r2.ok());
    CHECK(header(*r2, "Authorization") == header(*r, "Authorization"));
  }

  TEST_CASE("ROA-style path is encoded per segment") {
    const alicloud::signing_request req{"GET", "h", "/path/ a*b/", {}, {}, "", "", ""};
    auto r = alicloud::sign_acs3(req, credentials{"id", "s", "", std::nullopt}, epoch_seconds(0), "n");
    REQUIRE(r.ok());
    CHECK(r->canonical_uri == "/path/%20a%2Ab/");
    CHECK(r->canonical_request.rfind("GET\n/path/%20a%2Ab/\n\n", 0) == 0);
    // Without action/version, those headers are neither sent nor signed.
    CHECK(count_header(*r, "x-acs-action") == 0);
    CHECK(r->signed_headers == "host;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce");
  }

  TEST_CASE("STS credentials: token and key id headers signed, token redacted in debug output") {
    const std::string token = "STS.TokenValue+/=Secret987";
    const credentials creds{"STS.NUid", "StsSecretValue", token, epoch_seconds(2000000000)};
    const alicloud::signing_request req{"GET", "h", "/", {{"A", "1"}}, {}, "", "Act", "2024-09-10"};
    auto r = alicloud::sign_acs3(req, creds, epoch_seconds(1700000000), "nonce");
    REQUIRE(r.ok());
    CHECK(header(*r, "x-acs-security-token") == token);
    CHECK(header(*r, "x-acs-accesskey-id") == "STS.NUid");
    CHECK(r->signed_headers ==
          "host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;"
          "x-acs-signature-nonce;x-acs-version");
    CHECK(header(*r, "Authorization").find("Credential=STS.NUid,") != std::string::npos);
    CHECK(r->canonical_request.find(token) == std::string::npos);
    CHECK(r->canonical_request.find("x-acs-security-token:<redacted>\n") != std::string::npos);
    // The signature covers the real token: recompute from the unredacted canonical request.
    std::string real = r->canonical_request;
    real.replace(real.find("<redacted>"), 10, token);
    CHECK(alicloud::acs3_string_to_sign(real) == r->string_to_sign);
    const auto sig = alicloud::acs3_signature("StsSecretValue", r->string_to_sign);
    CHECK(header(*r, "Authorization").find(sig) != std::string::npos);

    std::ostringstream os;
    os << *r << creds;
    const std::string printed = os.str();
    CHECK(printed.find(token) == std::string::npos);
    CHECK(printed.find("StsSecretValue") == std::string::npos);
    CHECK(printed.find(sig) == std::string::npos);
    CHECK(printed.find("Signature=<redacted>") != std::string::npos);
    CHECK(printed.find("x-acs-date: 2023-11-14T22:13:20Z") != std::string::npos);
  }

  TEST_CASE("secret never appears in any debug output") {
    const std::string secret = "VerySecretKeyMaterial42";
    const credentials creds{"LTAI5tExampleId00", secret, "", std::nullopt};
    const alicloud::signing_request req{"POST", "h", "/", {{"Secret", "not-the-secret"}}, {}, "body", "A", "V"};
    auto r = alicloud::sign_acs3(req, creds, epoch_seconds(1), "n");
    REQUIRE(r.ok());
    std::ostringstream os;
    os << *r << "\n" << creds;
    CHECK(os.str().find(secret) == std::string::npos);
    CHECK(r->canonical_request.find(secret) == std::string::npos);
    CHECK(r->string_to_sign.find(secret) == std::string::npos);
    CHECK(os.str().find("LTAI****Id00") != std::string::npos);
  }

  TEST_CASE("bad input is rejected with the field and the rule") {
    const credentials ok{"id", "s", "", std::nullopt};
    const auto sign = [&](const alicloud::signing_request& req, const credentials& c = credentials{"id", "s", "", {}}) {
      return alicloud::sign_acs3(req, c, epoch_seconds(100), "n");
    };
    (void)ok;
    SUBCASE("empty credentials") {
      auto r = sign({"GET", "h", "/", {}, {}, "", "A", "V"}, credentials{"", "s", "", {}});
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == alicloud::errc::credentials);
      CHECK(r.error().message.find("access key id") != std::string::npos);
      auto r2 = sign({"GET", "h", "/", {}, {}, "", "A", "V"}, credentials{"id", "", "", {}});
      REQUIRE_FALSE(r2.ok());
      CHECK(r2.error().message.find("secret is empty") != std::string::npos);
    }
    SUBCASE("expired STS credentials") {
      auto r = sign({"GET", "h", "/", {}, {}, "", "A", "V"}, credentials{"id", "s", "t", epoch_seconds(100)});
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == alicloud::errc::credentials);
      CHECK(r.error().message.find("expired at 1970-01-01T00:01:40Z") != std::string::npos);
    }
    SUBCASE("method and host") {
      auto r = sign({"", "h", "/", {}, {}, "", "A", "V"});
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == alicloud::errc::bad_parameter);
      CHECK(r.error().message.rfind("method:", 0) == 0);
      auto r2 = sign({"GET", "", "/", {}, {}, "", "A", "V"});
      REQUIRE_FALSE(r2.ok());
      CHECK(r2.error().message.rfind("host:", 0) == 0);
    }
    SUBCASE("header injection") {
      auto r = sign({"GET", "h", "/", {}, {{"x-acs-foo", "a\r\nEvil: 1"}}, "", "A", "V"});
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().message.find("x-acs-foo") != std::string::npos);
      CHECK(r.error().message.find("line break") != std::string::npos);
      auto r2 = sign({"GET", "h", "/", {}, {{"bad name", "v"}}, "", "A", "V"});
      REQUIRE_FALSE(r2.ok());
      CHECK(r2.error().message.find("invalid header name") != std::string::npos);
    }
    SUBCASE("headers the signer owns") {
      for (const char* name : {"X-Acs-Date", "x-acs-signature-nonce", "Authorization", "Host", "x-acs-action"}) {
        auto r = sign({"GET", "h", "/", {}, {{name, "v"}}, "", "A", "V"});
        CAPTURE(name);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("set by the signer") != std::string::npos);
      }
    }
    SUBCASE("empty parameter name") {
      auto r = sign({"GET", "h", "/", {{"", "v"}}, {}, "", "A", "V"});
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().message.find("empty name") != std::string::npos);
    }
  }

  TEST_CASE("default nonce: 128 random bits, fresh per signature, time from the injected clock") {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
      auto n = alicloud::random_nonce();
      REQUIRE(n.ok());
      CHECK(n->size() == 32);
      CHECK(n->find_first_not_of("0123456789abcdef") == std::string::npos);
      seen.insert(*n);
    }
    CHECK(seen.size() == 200);
    alicloud::manual_clock clk(epoch_seconds(1698315752));
    const alicloud::signing_request req{"GET", "h", "/", {}, {}, "", "A", "V"};
    const credentials creds{"id", "s", "", std::nullopt};
    auto a = alicloud::sign_acs3(req, creds, clk);
    auto b = alicloud::sign_acs3(req, creds, clk);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(header(*a, "x-acs-date") == "2023-10-26T10:22:32Z");
    CHECK(header(*a, "x-acs-signature-nonce") != header(*b, "x-acs-signature-nonce"));
    CHECK(header(*a, "Authorization") != header(*b, "Authorization"));
  }
}

TEST_SUITE("rpc v1") {
  TEST_CASE("TV-B3 HMAC-SHA1 primitives") {
    CHECK(alicloud::crypto::hmac_sha1_base64("secret", "source") == "Jv4yi8SobFhg5t1C7nWLbhBSFZQ=");
    CHECK(alicloud::crypto::hmac_sha1_base64("secret", "中文") == "CqCYIa39h9SSWuXnTz8F5hh9UPA=");
    CHECK(alicloud::crypto::hmac_sha1_base64("secret", "GET\n\n\n\n\n") == "XGXDWA78AEvx/wmfxKoVCq/afWw=");
  }

  TEST_CASE("TV-B1: DescribeRegions") {
    const param_list params{{"AccessKeyId", "testid"},
                            {"Action", "DescribeRegions"},
                            {"Format", "XML"},
                            {"SignatureMethod", "HMAC-SHA1"},
                            {"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
                            {"SignatureVersion", "1.0"},
                            {"Timestamp", "2016-02-23T12:46:24Z"},
                            {"Version", "2014-05-26"}};
    const auto sts = alicloud::rpc_v1_string_to_sign("GET", params);
    CHECK(sts ==
          "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26"
          "SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-"
          "23T12%253A46%253A24Z%26Version%3D2014-05-26");
    CHECK(alicloud::rpc_v1_signature("testsecret", sts) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    CHECK(alicloud::rpc_v1_signature("testsecret", alicloud::rpc_v1_string_to_sign("POST", params)) ==
          "MxbnVAM4w6sft9xjVpe/GCKueuk=");
  }

  TEST_CASE("TV-B2: DescribeDedicatedHosts, end to end through sign_rpc_v1") {
    const param_list query{{"Action", "DescribeDedicatedHosts"},
                           {"Format", "JSON"},
                           {"Version", "2014-05-26"},
                           {"RegionId", "cn-beijing"}};
    auto r = alicloud::sign_rpc_v1("GET", query, {}, credentials{"testid", "testsecret", "", std::nullopt},
                                   epoch_seconds(1678696470), "edb2b34af0af9a6d14deaf7c1a5315eb");
    REQUIRE(r.ok());
    CHECK(r->string_to_sign ==
          "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeDedicatedHosts%26Format%3DJSON%26RegionId%3Dcn-beijing%26"
          "SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dedb2b34af0af9a6d14deaf7c1a5315eb%26SignatureVersion%3D1.0%26"
          "Timestamp%3D2023-03-13T08%253A34%253A30Z%26Version%3D2014-05-26");
    CHECK(r->query.back() == std::pair<std::string, std::string>{"Signature", "9NaGiOspFP5UPcwX8Iwt2YJXXuk="});
    CHECK(r->encoded_query ==
          "AccessKeyId=testid&Action=DescribeDedicatedHosts&Format=JSON&RegionId=cn-beijing&"
          "Signature=9NaGiOspFP5UPcwX8Iwt2YJXXuk%3D&SignatureMethod=HMAC-SHA1&"
          "SignatureNonce=edb2b34af0af9a6d14deaf7c1a5315eb&SignatureVersion=1.0&Timestamp=2023-03-13T08%3A34%3A30Z&"
          "Version=2014-05-26");
    // The canonicalized query of the published example (everything except Signature).
    param_list without_sig = r->query;
    without_sig.pop_back();
    CHECK(alicloud::canonical_query_string(without_sig) ==
          "AccessKeyId=testid&Action=DescribeDedicatedHosts&Format=JSON&RegionId=cn-beijing&SignatureMethod=HMAC-SHA1&"
          "SignatureNonce=edb2b34af0af9a6d14deaf7c1a5315eb&SignatureVersion=1.0&Timestamp=2023-03-13T08%3A34%3A30Z&"
          "Version=2014-05-26");
    auto post = alicloud::sign_rpc_v1("POST", query, {}, credentials{"testid", "testsecret", "", std::nullopt},
                                      epoch_seconds(1678696470), "edb2b34af0af9a6d14deaf7c1a5315eb");
    REQUIRE(post.ok());
    CHECK(post->query.back().second == "ZvQ9xGiFnquSJRvj+WE6kdSpTwU=");
  }

  TEST_CASE("TV-B3 SDK rows: query and form signed together; empty method") {
    const auto sts = alicloud::rpc_v1_string_to_sign("GET", {{"query", "test"}, {"body", "test"}});
    CHECK(sts == "GET&%2F&body%3Dtest%26query%3Dtest");
    CHECK(alicloud::rpc_v1_signature("secret", sts) == "XlUyV4sXjOuX5FnjUz9IF9tm5rU=");
    const auto go = alicloud::rpc_v1_string_to_sign("", {{"test", "ok"}});
    CHECK(go == "&%2F&test%3Dok");
    CHECK(alicloud::rpc_v1_signature("accessKeySecret", go) == "jHx/oHoHNrbVfhncHEvPdHXZwHU=");
  }

  TEST_CASE("sign_rpc_v1: form parameters are signed but not put in the query; STS token") {
    const credentials creds{"STS.id", "sec", "TokenValue123", std::nullopt};
    auto r = alicloud::sign_rpc_v1("post", {{"Action", "AssumeRole"}}, {{"RoleArn", "acs:ram::1:role/x"}}, creds,
                                   epoch_seconds(0), "n");
    REQUIRE(r.ok());
    CHECK(r->encoded_query.find("RoleArn") == std::string::npos);
    CHECK(r->encoded_query.find("SecurityToken=TokenValue123") != std::string::npos);
    CHECK(r->string_to_sign.find("TokenValue123") == std::string::npos);
    CHECK(r->string_to_sign.rfind("POST&%2F&", 0) == 0);
    CHECK(r->string_to_sign.find("RoleArn%3Dacs%253Aram%253A%253A1%253Arole%252Fx") != std::string::npos);
    param_list all = r->query;
    all.pop_back();
    all.emplace_back("RoleArn", "acs:ram::1:role/x");
    CHECK(r->query.back().second == alicloud::rpc_v1_signature("sec", alicloud::rpc_v1_string_to_sign("POST", all)));

    auto dup = alicloud::sign_rpc_v1("GET", {{"Timestamp", "x"}}, {}, creds, epoch_seconds(0), "n");
    REQUIRE_FALSE(dup.ok());
    CHECK(dup.error().message.find("'Timestamp': set by the signer") != std::string::npos);
  }
}
