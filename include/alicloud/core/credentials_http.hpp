#pragma once
// The credential providers that fetch over HTTP (ECS RAM role through the instance metadata
// service, credentials URI) and the default chain in the order of Alibaba's SDKs. They speak
// through http::transport; by default the plain-HTTP client of plain_http.hpp, which suffices for
// the metadata service and loopback sidecars. Pass a TLS transport for an https credentials URI.

#include <alicloud/core/clock.hpp>
#include <alicloud/core/credentials.hpp>
#include <alicloud/core/error.hpp>
#include <alicloud/core/http.hpp>
#include <alicloud/core/plain_http.hpp>
#include <alicloud/core/result.hpp>

#include <boost/url/parse.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace alicloud {

namespace detail {

/// A parsed http(s) URL as the transport wants it, plus a printable form without query or
/// userinfo (either may carry a token, and error messages must not).
struct parsed_url {
  http::request base;
  std::string origin;   ///< scheme://host[:port]
  std::string display;  ///< origin + path
};

inline result<parsed_url> parse_http_url(std::string_view url, const std::string& what) {
  auto u = boost::urls::parse_uri(url);
  if (!u) return credentials_error(what + ": not a valid URL", errc::bad_format);
  const auto scheme = std::string(u->scheme());
  if (scheme != "http" && scheme != "https") {
    return credentials_error(what + ": scheme must be http or https, not " + in_quotes(scheme), errc::bad_format);
  }
  if (u->host_address().empty()) return credentials_error(what + ": URL has no host", errc::bad_format);
  parsed_url out;
  out.base.scheme = scheme;
  out.base.host = std::string(u->host_address());
  out.base.port = u->has_port() ? u->port_number() : 0;
  if (u->has_port() && out.base.port == 0) return credentials_error(what + ": invalid port", errc::bad_format);
  std::string path(u->encoded_path());
  if (path.empty()) path = "/";
  out.base.target = path;
  if (u->has_query()) out.base.target += "?" + std::string(u->encoded_query());
  out.origin = scheme + "://" + std::string(u->encoded_host());
  if (u->has_port()) out.origin += ":" + std::string(u->port());
  out.display = out.origin + path;
  return out;
}

inline std::string describe_transport_error(const error& e) { return e.message.empty() ? e.code.message() : e.message; }

/// Timeouts for a credential fetch; small body limits because the answers are a few hundred bytes.
inline http::request_options credential_fetch_options(std::chrono::milliseconds connect, std::chrono::milliseconds read) {
  http::request_options o;
  o.connect_timeout = connect;
  o.read_timeout = read;
  o.total_timeout = connect + read;
  o.max_response_body = 64 * 1024;
  o.max_request_body = 64 * 1024;
  return o;
}

}  // namespace detail

/// Settings of the ECS RAM role provider. Defaults follow the official SDKs.
struct ecs_ram_role_options {
  /// Base URL of the instance metadata service; tests point it at a loopback fake.
  std::string endpoint = "http://100.100.100.200";
  /// Role to use; empty: ALIBABA_CLOUD_ECS_METADATA, else asked from the metadata service.
  std::string role_name;
  /// Fail instead of falling back to IMDSv1 when no IMDSv2 token can be had; default:
  /// ALIBABA_CLOUD_IMDSV1_DISABLED=true.
  std::optional<bool> disable_imdsv1;
  std::chrono::seconds token_ttl{21600};
  http::request_options http = detail::credential_fetch_options(std::chrono::milliseconds(1000),
                                                                std::chrono::milliseconds(1000));
  std::shared_ptr<http::transport> transport;  ///< default: plain_http_transport
  environment env = process_environment();
  const clock* clk = &system_clock();
  std::chrono::seconds refresh_before{180};
};

namespace detail {

class ecs_metadata_fetcher final : public credentials_provider {
 public:
  explicit ecs_metadata_fetcher(ecs_ram_role_options o) : o_(std::move(o)) {
    if (!o_.transport) o_.transport = std::make_shared<http::plain_http_transport>();
    if (o_.role_name.empty()) o_.role_name = non_empty_env(o_.env, "ALIBABA_CLOUD_ECS_METADATA").value_or("");
    if (!o_.disable_imdsv1) o_.disable_imdsv1 = env_flag(o_.env, "ALIBABA_CLOUD_IMDSV1_DISABLED");
  }

  result<credentials> get() override {
    auto base = parse_http_url(o_.endpoint, "ECS metadata endpoint " + in_quotes(o_.endpoint));
    if (!base) return std::move(base).error();
    // Base path kept so an endpoint like http://host/prefix works; the SDK paths are appended.
    std::string prefix = base->base.target.substr(0, base->base.target.find('?'));
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();

    // Transport failures stay distinguishable from HTTP statuses: an unreachable service is not
    // retried over IMDSv1, which would only double the wait on machines that are not ECS instances.
    struct outcome {
      std::optional<error> failure;
      bool unreachable = false;
      std::string body;
    };
    const auto call = [&](const char* method, const std::string& path, http::header_list headers,
                          const std::string& purpose) -> outcome {
      http::request req = base->base;
      req.method = method;
      req.target = prefix + path;
      req.headers = std::move(headers);
      const std::string shown = std::string(method) + " " + base->origin + prefix + path + " (" + purpose + ")";
      auto res = o_.transport->send(req, o_.http);
      if (!res) {
        return {credentials_error(shown + ": " + describe_transport_error(res.error())), http::never_sent(res.error()), {}};
      }
      if (res->status != 200) {
        return {credentials_error(shown + ": HTTP " + std::to_string(res->status)), false, {}};
      }
      return {std::nullopt, false, std::move(res->body)};
    };

    http::header_list auth;
    auto token = call("PUT", "/latest/api/token",
                      {{"X-aliyun-ecs-metadata-token-ttl-seconds", std::to_string(o_.token_ttl.count())}},
                      "IMDSv2 token");
    if (!token.failure && !trim(token.body).empty()) {
      auth.emplace_back("X-aliyun-ecs-metadata-token", trim(token.body));
    } else if (token.unreachable) {
      return std::move(*token.failure);
    } else if (*o_.disable_imdsv1) {
      const std::string why = token.failure ? token.failure->message : std::string("the IMDSv2 token is empty");
      return credentials_error(why + " (IMDSv1 fallback disabled by ALIBABA_CLOUD_IMDSV1_DISABLED)");
    }

    std::string role = o_.role_name;
    if (role.empty()) {
      auto listed = call("GET", "/latest/meta-data/ram/security-credentials/", auth, "RAM role name");
      if (listed.failure) return std::move(*listed.failure);
      role = trim(listed.body);
      if (role.empty()) return credentials_error("the metadata service lists no RAM role for this instance");
      if (role.find_first_of("\r\n/") != std::string::npos) {
        return credentials_error("the metadata service returned an unexpected RAM role list");
      }
    }
    auto body = call("GET", "/latest/meta-data/ram/security-credentials/" + percent_encode(role), auth,
                     "credentials of role " + in_quotes(role));
    if (body.failure) return std::move(*body.failure);
    return parse_sts_credentials_json(body.body, "ECS metadata credentials of role " + in_quotes(role));
  }

  std::string_view name() const override { return "ecs_ram_role"; }

 private:
  ecs_ram_role_options o_;
};

}  // namespace detail

/// STS credentials of the RAM role attached to this ECS instance, through the metadata service
/// with the IMDSv2 token flow (PUT /latest/api/token, then the role name, then its credentials).
/// Cached and refreshed `refresh_before` (180 s) ahead of expiry; safe for concurrent use.
class ecs_ram_role_credentials_provider final : public credentials_provider {
 public:
  explicit ecs_ram_role_credentials_provider(ecs_ram_role_options o = {})
      : cache_(std::make_shared<detail::ecs_metadata_fetcher>(o), *o.clk, o.refresh_before) {}
  result<credentials> get() override { return cache_.get(); }
  std::string_view name() const override { return "ecs_ram_role"; }
  void invalidate() { cache_.invalidate(); }

 private:
  cached_credentials_provider cache_;
};

/// Settings of the credentials URI provider.
struct credentials_uri_options {
  std::string uri;  ///< empty: ALIBABA_CLOUD_CREDENTIALS_URI
  http::request_options http = detail::credential_fetch_options(std::chrono::milliseconds(5000),
                                                                std::chrono::milliseconds(10000));
  std::shared_ptr<http::transport> transport;  ///< default: plain_http_transport (http:// only)
  environment env = process_environment();
  const clock* clk = &system_clock();
  std::chrono::seconds refresh_before{180};
};

namespace detail {

class credentials_uri_fetcher final : public credentials_provider {
 public:
  explicit credentials_uri_fetcher(credentials_uri_options o) : o_(std::move(o)) {
    if (!o_.transport) o_.transport = std::make_shared<http::plain_http_transport>();
    if (o_.uri.empty()) o_.uri = non_empty_env(o_.env, "ALIBABA_CLOUD_CREDENTIALS_URI").value_or("");
  }

  result<credentials> get() override {
    if (o_.uri.empty()) return credentials_error("ALIBABA_CLOUD_CREDENTIALS_URI is not set");
    auto url = parse_http_url(o_.uri, "credentials URI");
    if (!url) return std::move(url).error();
    http::request req = url->base;
    req.method = "GET";
    req.headers.emplace_back("Accept", "application/json");
    auto res = o_.transport->send(req, o_.http);
    if (!res) return credentials_error("GET " + url->display + ": " + describe_transport_error(res.error()));
    if (res->status != 200) return credentials_error("GET " + url->display + ": HTTP " + std::to_string(res->status));
    return parse_sts_credentials_json(res->body, "credentials from " + url->display);
  }

  std::string_view name() const override { return "credentials_uri"; }

 private:
  credentials_uri_options o_;
};

}  // namespace detail

/// STS credentials from `GET <uri>` answering
/// `{"Code":"Success","AccessKeyId":..,"AccessKeySecret":..,"SecurityToken":..,"Expiration":..}`.
/// Cached and refreshed ahead of expiry like the ECS provider.
class credentials_uri_provider final : public credentials_provider {
 public:
  explicit credentials_uri_provider(credentials_uri_options o = {})
      : cache_(std::make_shared<detail::credentials_uri_fetcher>(o), *o.clk, o.refresh_before) {}
  result<credentials> get() override { return cache_.get(); }
  std::string_view name() const override { return "credentials_uri"; }
  void invalidate() { cache_.invalidate(); }

 private:
  cached_credentials_provider cache_;
};

/// A provider that always fails with a fixed reason: a chain entry for a configured source this
/// library does not implement, so the final error still explains why it was passed over.
class unsupported_credentials_provider final : public credentials_provider {
 public:
  unsupported_credentials_provider(std::string name, std::string reason)
      : name_(std::move(name)), reason_(std::move(reason)) {}
  result<credentials> get() override { return detail::credentials_error(reason_); }
  std::string_view name() const override { return name_; }

 private:
  std::string name_;
  std::string reason_;
};

/// Inputs of the default chain; all default to the real process environment and clock.
struct default_chain_options {
  environment env = process_environment();
  std::optional<std::string> home;                        ///< default: $HOME
  const clock* clk = &system_clock();
  std::string ecs_metadata_endpoint = "http://100.100.100.200";
  std::shared_ptr<http::transport> transport;             ///< for metadata/URI; default: plain HTTP
  std::chrono::milliseconds metadata_timeout{1000};       ///< connect and read, each (SDK: 1 s)
};

/// The default chain, in the order of credentials-go / -python / -java:
///  1. environment variables
///  2. OIDC role ARN, when ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and
///     ALIBABA_CLOUD_OIDC_TOKEN_FILE are all set (reported as not implemented)
///  3. CLI profile ~/.aliyun/config.json, unless ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true
///  4. shared ini file ~/.alibabacloud/credentials
///  5. ECS RAM role, unless ALIBABA_CLOUD_ECS_METADATA_DISABLED=true
///  6. credentials URI, when ALIBABA_CLOUD_CREDENTIALS_URI is set
/// The whole chain is cached (expiring credentials refreshed 180 s early) and remembers the
/// provider that worked. Which sources are enabled is decided once, at construction.
inline std::shared_ptr<cached_credentials_provider> default_credentials_chain(default_chain_options o = {}) {
  if (!o.transport) o.transport = std::make_shared<http::plain_http_transport>();
  auto ecs_options = [o](std::string role) {
    ecs_ram_role_options e;
    e.endpoint = o.ecs_metadata_endpoint;
    e.role_name = std::move(role);
    e.http.connect_timeout = o.metadata_timeout;
    e.http.read_timeout = o.metadata_timeout;
    e.http.total_timeout = o.metadata_timeout * 2;
    e.transport = o.transport;
    e.env = o.env;
    e.clk = o.clk;
    return e;
  };
  auto uri_options = [o](std::string uri) {
    credentials_uri_options u;
    u.uri = std::move(uri);
    u.transport = o.transport;
    u.env = o.env;
    u.clk = o.clk;
    return u;
  };
  profile_file_options files;
  files.env = o.env;
  files.home = o.home;
  files.delegates.ecs_ram_role = [ecs_options](const std::string& role) -> std::shared_ptr<credentials_provider> {
    return std::make_shared<ecs_ram_role_credentials_provider>(ecs_options(role));
  };
  files.delegates.credentials_uri = [uri_options](const std::string& uri) -> std::shared_ptr<credentials_provider> {
    return std::make_shared<credentials_uri_provider>(uri_options(uri));
  };

  std::vector<std::shared_ptr<credentials_provider>> providers;
  providers.push_back(std::make_shared<environment_credentials_provider>(o.env));
  if (detail::non_empty_env(o.env, "ALIBABA_CLOUD_ROLE_ARN") &&
      detail::non_empty_env(o.env, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN") &&
      detail::non_empty_env(o.env, "ALIBABA_CLOUD_OIDC_TOKEN_FILE")) {
    providers.push_back(std::make_shared<unsupported_credentials_provider>(
        "oidc_role_arn", "OIDC role ARN (RRSA) is configured but not implemented by this library"));
  }
  if (!detail::env_flag(o.env, "ALIBABA_CLOUD_CLI_PROFILE_DISABLED")) {
    providers.push_back(std::make_shared<cli_profile_credentials_provider>(files));
  }
  providers.push_back(std::make_shared<ini_file_credentials_provider>(files));
  if (!detail::env_flag(o.env, "ALIBABA_CLOUD_ECS_METADATA_DISABLED")) {
    providers.push_back(std::make_shared<ecs_ram_role_credentials_provider>(ecs_options({})));
  }
  if (detail::non_empty_env(o.env, "ALIBABA_CLOUD_CREDENTIALS_URI")) {
    providers.push_back(std::make_shared<credentials_uri_provider>(uri_options({})));
  }
  return std::make_shared<cached_credentials_provider>(
      std::make_shared<credentials_chain>(std::move(providers), "default"), *o.clk);
}

}  // namespace alicloud
