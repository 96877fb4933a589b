#pragma once
// Credentials, the provider interface and the providers that need no network: static, environment,
// the aliyun CLI's ~/.aliyun/config.json and the shared ini file ~/.alibabacloud/credentials, plus
// the refreshing cache and the chain. The network providers (ECS RAM role, credentials URI) and the
// default chain live in credentials_http.hpp so code that only signs stays free of sockets.
//
// Secrets (access key secret, security token) never reach an error message or a stream: errors
// name files, profiles, fields and line numbers only, and credentials print redacted.

#include <alicloud/core/clock.hpp>
#include <alicloud/core/encoding.hpp>
#include <alicloud/core/error.hpp>
#include <alicloud/core/result.hpp>

#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace alicloud {

/// An access key (id + secret) or, with a security token, STS temporary credentials.
struct credentials {
  std::string access_key_id;
  std::string access_key_secret;
  std::string security_token;  ///< empty for a long-term access key
  std::optional<std::chrono::system_clock::time_point> expiration;  ///< set for expiring credentials

  bool is_sts() const noexcept { return !security_token.empty(); }
  bool expired_at(std::chrono::system_clock::time_point now) const noexcept {
    return expiration && *expiration <= now;
  }
};

/// The id with its middle masked (`LTAI****wxyz`): enough to tell keys apart in logs without
/// publishing the whole id next to request data.
inline std::string redacted_access_key_id(std::string_view id) {
  if (id.empty()) return "<empty>";
  if (id.size() <= 8) return "****";
  return std::string(id.substr(0, 4)) + "****" + std::string(id.substr(id.size() - 4));
}

/// A printable description with the secret and token replaced by `<redacted>`.
inline std::string to_string(const credentials& c) {
  std::string s = "credentials{access_key_id=" + redacted_access_key_id(c.access_key_id);
  s += ", access_key_secret=";
  s += c.access_key_secret.empty() ? "<empty>" : "<redacted>";
  s += ", security_token=";
  s += c.security_token.empty() ? "<none>" : "<redacted>";
  if (c.expiration) s += ", expiration=" + format_utc_timestamp(*c.expiration);
  s += "}";
  return s;
}

inline std::ostream& operator<<(std::ostream& os, const credentials& c) { return os << to_string(c); }

/// Something that can produce credentials. get() may be called from several threads at once;
/// every provider in this library is safe for that.
class credentials_provider {
 public:
  virtual ~credentials_provider() = default;
  virtual result<credentials> get() = 0;
  /// Short stable name used in chain error reports, e.g. "environment" or "ecs_ram_role".
  virtual std::string_view name() const = 0;
};

/// Environment lookup, injectable so tests need not mutate the process environment.
/// Returns nullopt for an unset variable.
using environment = std::function<std::optional<std::string>(std::string_view name)>;

inline environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    // getenv is safe to call concurrently as long as nobody calls setenv; the library never does.
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

/// A fixed set of variables (tests, or embedding applications with their own configuration).
inline environment fixed_environment(std::map<std::string, std::string, std::less<>> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

namespace detail {

inline std::optional<std::string> non_empty_env(const environment& env, std::string_view name) {
  if (!env) return std::nullopt;
  auto v = env(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

inline bool env_flag(const environment& env, std::string_view name) {
  auto v = non_empty_env(env, name);
  if (!v) return false;
  std::string lower;
  for (char c : *v) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return lower == "true";
}

inline error credentials_error(std::string message, errc code = errc::credentials) {
  return error(make_error_code(code), std::move(message));
}

inline std::string in_quotes(std::string_view s) { return "'" + std::string(s) + "'"; }

inline std::string trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

/// Reads a small configuration file, distinguishing "absent" (the chain moves on) from unreadable.
inline result<std::string> read_config_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return credentials_error(path + ": file not found");
  if (!fs::is_regular_file(st)) return credentials_error(path + ": not a regular file");
  const auto size = fs::file_size(path, ec);
  // A credentials file is a few hundred bytes; refusing huge ones avoids slurping a wrong path.
  constexpr std::uintmax_t limit = 1024 * 1024;
  if (!ec && size > limit) return credentials_error(path + ": file is larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) return credentials_error(path + ": cannot be opened for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return credentials_error(path + ": read error");
  return ss.str();
}

/// Parses JSON reporting the position of a syntax error as line and column, never the text.
inline result<boost::json::value> parse_json_document(std::string_view text, const std::string& what) {
  boost::json::stream_parser p;
  boost::system::error_code ec;
  std::size_t consumed = p.write_some(text.data(), text.size(), ec);
  std::string problem;
  if (!ec && consumed < text.size()) {
    problem = "unexpected text after the JSON value";
  } else if (!ec) {
    p.finish(ec);
    if (ec) {
      consumed = text.size();
      problem = text.find_first_not_of(" \t\r\n") == std::string_view::npos ? "no JSON value (empty document)"
                                                                             : "incomplete JSON";
    }
  } else {
    problem = ec.message();
  }
  if (problem.empty()) return p.release();
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < consumed && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return credentials_error(what + ": bad JSON at line " + std::to_string(line) + ", column " +
                               std::to_string(column) + ": " + problem,
                           errc::json_parse);
}

inline const char* json_kind_name(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "a number";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::object: return "an object";
  }
  return "an unknown value";
}

/// Reads a string member. Missing → nullopt (the caller decides whether that is an error);
/// present with another type → error naming the context and field.
inline result<std::optional<std::string>> optional_string_member(const boost::json::object& o, std::string_view field,
                                                               const std::string& context) {
  const auto* v = o.if_contains(field);
  if (v == nullptr || v->is_null()) return std::optional<std::string>{};
  if (!v->is_string()) {
    return credentials_error(context + ": field " + in_quotes(field) + " must be a string, not " + json_kind_name(*v),
                             errc::type_mismatch);
  }
  return std::optional<std::string>(std::string(v->get_string()));
}

inline result<std::string> required_string_member(const boost::json::object& o, std::string_view field,
                                                  const std::string& context, std::string_view why = {}) {
  auto r = optional_string_member(o, field, context);
  if (!r) return std::move(r).error();
  const std::string suffix = why.empty() ? std::string() : " (" + std::string(why) + ")";
  if (!*r) return credentials_error(context + ": field " + in_quotes(field) + " is missing" + suffix, errc::missing_field);
  if ((*r)->empty()) return credentials_error(context + ": field " + in_quotes(field) + " is empty" + suffix, errc::missing_field);
  return std::move(**r);
}

/// Parses the credentials JSON of the ECS metadata service and of a credentials URI
/// (`Code`, `AccessKeyId`, `AccessKeySecret`, `SecurityToken`, `Expiration`).
inline result<credentials> parse_sts_credentials_json(std::string_view body, const std::string& what) {
  auto doc = parse_json_document(body, what);
  if (!doc) return std::move(doc).error();
  if (!doc->is_object()) {
    return credentials_error(what + ": expected a JSON object, got " + json_kind_name(*doc), errc::type_mismatch);
  }
  const auto& o = doc->get_object();
  auto code = optional_string_member(o, "Code", what);
  if (!code) return std::move(code).error();
  if (*code && **code != "Success") {
    // The code is a status word chosen by the service, not a secret.
    return credentials_error(what + ": field 'Code' is " + in_quotes(**code) + ", expected 'Success'");
  }
  credentials c;
  const std::pair<const char*, std::string*> fields[] = {{"AccessKeyId", &c.access_key_id},
                                                         {"AccessKeySecret", &c.access_key_secret},
                                                         {"SecurityToken", &c.security_token}};
  for (const auto& [field, target] : fields) {
    auto v = required_string_member(o, field, what);
    if (!v) return std::move(v).error();
    *target = std::move(*v);
  }
  auto exp = required_string_member(o, "Expiration", what);
  if (!exp) return std::move(exp).error();
  c.expiration = parse_utc_timestamp(*exp);
  if (!c.expiration) {
    return credentials_error(what + ": field 'Expiration' is " + in_quotes(*exp) + ", expected yyyy-MM-ddTHH:mm:ssZ",
                             errc::bad_format);
  }
  return c;
}

inline std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + in_quotes(n);
  return s.empty() ? "none" : s;
}

}  // namespace detail

/// Always the same credentials, e.g. from the application's own configuration.
class static_credentials_provider final : public credentials_provider {
 public:
  explicit static_credentials_provider(credentials c) : creds_(std::move(c)) {}
  result<credentials> get() override {
    if (creds_.access_key_id.empty()) return detail::credentials_error("static credentials: access key id is empty");
    if (creds_.access_key_secret.empty()) {
      return detail::credentials_error("static credentials: access key secret is empty");
    }
    return creds_;
  }
  std::string_view name() const override { return "static"; }

 private:
  credentials creds_;
};

/// ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET (both non-empty), plus
/// ALIBABA_CLOUD_SECURITY_TOKEN for STS credentials.
class environment_credentials_provider final : public credentials_provider {
 public:
  explicit environment_credentials_provider(environment env = process_environment()) : env_(std::move(env)) {}
  result<credentials> get() override {
    auto id = detail::non_empty_env(env_, "ALIBABA_CLOUD_ACCESS_KEY_ID");
    auto secret = detail::non_empty_env(env_, "ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    if (!id && !secret) {
      return detail::credentials_error("ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are not set");
    }
    if (!id) return detail::credentials_error("ALIBABA_CLOUD_ACCESS_KEY_ID is not set (the secret variable is)");
    if (!secret) return detail::credentials_error("ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set (the id variable is)");
    credentials c{std::move(*id), std::move(*secret), {}, std::nullopt};
    if (auto token = detail::non_empty_env(env_, "ALIBABA_CLOUD_SECURITY_TOKEN")) c.security_token = std::move(*token);
    return c;
  }
  std::string_view name() const override { return "environment"; }

 private:
  environment env_;
};

/// Factories the file providers use for profiles that name a role rather than a key
/// (`EcsRamRole` / `CredentialsURI` CLI modes, `ecs_ram_role` ini type). credentials_http.hpp
/// fills them; without them such profiles report "not supported".
struct delegate_providers {
  std::function<std::shared_ptr<credentials_provider>(const std::string& role_name)> ecs_ram_role;
  std::function<std::shared_ptr<credentials_provider>(const std::string& uri)> credentials_uri;
};

/// Where the file providers look. Every field has a sensible default taken from `env`.
struct profile_file_options {
  environment env = process_environment();
  std::optional<std::string> home;     ///< default: $HOME (or %USERPROFILE%)
  std::optional<std::string> file;     ///< explicit path; default: the variable / home-relative path
  std::optional<std::string> profile;  ///< explicit profile; default: ALIBABA_CLOUD_PROFILE, then the file's choice
  delegate_providers delegates;
};

namespace detail {
inline result<std::string> home_directory(const profile_file_options& o) {
  if (o.home) return *o.home;
  if (auto h = non_empty_env(o.env, "HOME")) return *h;
  if (auto h = non_empty_env(o.env, "USERPROFILE")) return *h;
  return credentials_error("cannot locate the home directory: HOME is not set");
}
}  // namespace detail

/// The aliyun CLI configuration (`~/.aliyun/config.json`, or ALIBABA_CLOUD_CONFIG_FILE). Profile:
/// explicit, else ALIBABA_CLOUD_PROFILE, else the file's `current`, else `default`. Modes `AK` and
/// `StsToken` are read directly; `EcsRamRole` and `CredentialsURI` go through the delegates.
class cli_profile_credentials_provider final : public credentials_provider {
 public:
  explicit cli_profile_credentials_provider(profile_file_options o = {}) : opts_(std::move(o)) {}

  result<credentials> get() override {
    auto path = config_path();
    if (!path) return std::move(path).error();
    auto text = detail::read_config_file(*path);
    if (!text) return std::move(text).error();
    auto doc = detail::parse_json_document(*text, *path);
    if (!doc) return std::move(doc).error();
    if (!doc->is_object()) {
      return detail::credentials_error(*path + ": the top level must be a JSON object, not " +
                                           detail::json_kind_name(*doc),
                                       errc::type_mismatch);
    }
    const auto& root = doc->get_object();
    auto current = detail::optional_string_member(root, "current", *path);
    if (!current) return std::move(current).error();

    std::string profile_name;
    if (opts_.profile) {
      profile_name = *opts_.profile;
    } else if (auto p = detail::non_empty_env(opts_.env, "ALIBABA_CLOUD_PROFILE")) {
      profile_name = *p;
    } else if (*current && !(*current)->empty()) {
      profile_name = **current;
    } else {
      profile_name = "default";
    }

    const auto* profiles = root.if_contains("profiles");
    if (profiles == nullptr) {
      return detail::credentials_error(*path + ": field 'profiles' is missing", errc::missing_field);
    }
    if (!profiles->is_array()) {
      return detail::credentials_error(
          *path + ": field 'profiles' must be an array, not " + detail::json_kind_name(*profiles), errc::type_mismatch);
    }
    std::vector<std::string> names;
    const boost::json::object* chosen = nullptr;
    std::size_t index = 0;
    for (const auto& p : profiles->get_array()) {
      const std::string where = *path + ": profiles[" + std::to_string(index++) + "]";
      if (!p.is_object()) {
        return detail::credentials_error(where + " must be an object, not " + detail::json_kind_name(p),
                                         errc::type_mismatch);
      }
      auto n = detail::required_string_member(p.get_object(), "name", where);
      if (!n) return std::move(n).error();
      if (*n == profile_name && chosen == nullptr) chosen = &p.get_object();
      names.push_back(std::move(*n));
    }
    if (chosen == nullptr) {
      return detail::credentials_error(*path + ": profile " + detail::in_quotes(profile_name) +
                                       " not found (profiles: " + detail::join_names(names) + ")");
    }
    return from_profile(*chosen, *path + ": profile " + detail::in_quotes(profile_name));
  }

  std::string_view name() const override { return "cli_profile"; }

 private:
  result<std::string> config_path() const {
    if (opts_.file) return *opts_.file;
    if (auto f = detail::non_empty_env(opts_.env, "ALIBABA_CLOUD_CONFIG_FILE")) return *f;
    auto home = detail::home_directory(opts_);
    if (!home) return std::move(home).error();
    return (std::filesystem::path(*home) / ".aliyun" / "config.json").string();
  }

  result<credentials> from_profile(const boost::json::object& p, const std::string& where) {
    auto mode = detail::required_string_member(p, "mode", where);
    if (!mode) return std::move(mode).error();
    const bool ak = *mode == "AK";
    const bool sts = *mode == "StsToken";
    if (ak || sts) {
      const std::string why = "required for mode " + *mode;
      credentials c;
      auto id = detail::required_string_member(p, "access_key_id", where, why);
      if (!id) return std::move(id).error();
      auto secret = detail::required_string_member(p, "access_key_secret", where, why);
      if (!secret) return std::move(secret).error();
      c.access_key_id = std::move(*id);
      c.access_key_secret = std::move(*secret);
      if (sts) {
        auto token = detail::required_string_member(p, "sts_token", where, why);
        if (!token) return std::move(token).error();
        c.security_token = std::move(*token);
      }
      return c;
    }
    if (*mode == "EcsRamRole" && opts_.delegates.ecs_ram_role) {
      auto role = detail::optional_string_member(p, "ram_role_name", where);
      if (!role) return std::move(role).error();
      return opts_.delegates.ecs_ram_role(role->value_or(""))->get();
    }
    if (*mode == "CredentialsURI" && opts_.delegates.credentials_uri) {
      auto uri = detail::required_string_member(p, "credentials_uri", where, "required for mode CredentialsURI");
      if (!uri) return std::move(uri).error();
      return opts_.delegates.credentials_uri(*uri)->get();
    }
    std::string supported = "AK, StsToken";
    if (opts_.delegates.ecs_ram_role) supported += ", EcsRamRole";
    if (opts_.delegates.credentials_uri) supported += ", CredentialsURI";
    return detail::credentials_error(where + ": mode " + detail::in_quotes(*mode) + " is not supported (supported: " +
                                     supported + ")");
  }

  profile_file_options opts_;
};

namespace detail {
/// One `[section]` of an ini file: lower-cased keys, values with inline comments removed.
struct ini_section {
  std::map<std::string, std::string> values;
  std::map<std::string, std::size_t> lines;  ///< key → line number, for error messages
};

/// Minimal ini parser: `[section]`, `key = value` (or `key: value`), full-line `#`/`;` comments,
/// and ` #` / ` ;` inline comments (configparser's rule, as the Python SDK reads the file).
/// Errors cite the line number only, never the line, which may hold a secret.
inline result<std::map<std::string, ini_section>> parse_ini(std::string_view text, const std::string& path) {
  std::map<std::string, ini_section> sections;
  ini_section* current = nullptr;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;  // editors on Windows add a UTF-8 BOM
  while (pos <= text.size()) {
    const auto nl = text.find('\n', pos);
    const std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const std::string at = path + ": line " + std::to_string(line_no);
    if (line[0] == '[') {
      if (line.back() != ']') return credentials_error(at + ": section header is missing ']'", errc::bad_format);
      const std::string name = trim(std::string_view(line).substr(1, line.size() - 2));
      if (name.empty()) return credentials_error(at + ": empty section name", errc::bad_format);
      current = &sections[name];
      continue;
    }
    const auto sep = line.find_first_of("=:");
    if (sep == std::string::npos) {
      return credentials_error(at + ": expected 'key = value' or '[section]'", errc::bad_format);
    }
    std::string key = trim(std::string_view(line).substr(0, sep));
    if (key.empty()) return credentials_error(at + ": missing key before '='", errc::bad_format);
    if (current == nullptr) {
      return credentials_error(at + ": key " + in_quotes(key) + " appears before any [section]", errc::bad_format);
    }
    for (auto& ch : key) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    std::string value(std::string_view(line).substr(sep + 1));
    for (std::size_t i = 1; i < value.size(); ++i) {
      if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
        value.resize(i);
        break;
      }
    }
    current->values[key] = trim(value);
    current->lines[key] = line_no;
  }
  return sections;
}
}  // namespace detail

/// The shared credentials ini file: ALIBABA_CLOUD_CREDENTIALS_FILE, else
/// `~/.alibabacloud/credentials` (Go SDK), else `~/.alibabacloud/credentials.ini` (Python/Java).
/// Section: explicit, else ALIBABA_CLOUD_PROFILE, else `default`. Types: `access_key`, and
/// `ecs_ram_role` through the delegate.
class ini_file_credentials_provider final : public credentials_provider {
 public:
  explicit ini_file_credentials_provider(profile_file_options o = {}) : opts_(std::move(o)) {}

  result<credentials> get() override {
    auto path = file_path();
    if (!path) return std::move(path).error();
    auto text = detail::read_config_file(*path);
    if (!text) return std::move(text).error();
    auto sections = detail::parse_ini(*text, *path);
    if (!sections) return std::move(sections).error();
    std::string profile = opts_.profile.value_or("");
    if (profile.empty()) profile = detail::non_empty_env(opts_.env, "ALIBABA_CLOUD_PROFILE").value_or("default");
    const auto it = sections->find(profile);
    if (it == sections->end()) {
      std::vector<std::string> names;
      for (const auto& s : *sections) names.push_back(s.first);
      return detail::credentials_error(*path + ": profile " + detail::in_quotes(profile) +
                                       " not found (profiles: " + detail::join_names(names) + ")");
    }
    const auto& sec = it->second;
    const std::string where = *path + ": profile " + detail::in_quotes(profile);
    const auto field = [&](const std::string& key, const std::string& why) -> result<std::string> {
      const auto v = sec.values.find(key);
      if (v == sec.values.end()) {
        return detail::credentials_error(where + ": field " + detail::in_quotes(key) + " is missing (" + why + ")",
                                         errc::missing_field);
      }
      if (v->second.empty()) {
        return detail::credentials_error(where + ": field " + detail::in_quotes(key) + " is empty (line " +
                                             std::to_string(sec.lines.at(key)) + ")",
                                         errc::missing_field);
      }
      return v->second;
    };
    auto type = field("type", "one of access_key, ecs_ram_role");
    if (!type) return std::move(type).error();
    if (*type == "access_key") {
      auto id = field("access_key_id", "required for type access_key");
      if (!id) return std::move(id).error();
      auto secret = field("access_key_secret", "required for type access_key");
      if (!secret) return std::move(secret).error();
      return credentials{std::move(*id), std::move(*secret), {}, std::nullopt};
    }
    if (*type == "ecs_ram_role" && opts_.delegates.ecs_ram_role) {
      const auto role = sec.values.find("role_name");
      return opts_.delegates.ecs_ram_role(role == sec.values.end() ? std::string() : role->second)->get();
    }
    return detail::credentials_error(where + ": type " + detail::in_quotes(*type) + " is not supported (supported: " +
                                     (opts_.delegates.ecs_ram_role ? "access_key, ecs_ram_role" : "access_key") +
                                     ")");
  }

  std::string_view name() const override { return "credentials_file"; }

 private:
  result<std::string> file_path() const {
    if (opts_.file) return *opts_.file;
    if (auto f = detail::non_empty_env(opts_.env, "ALIBABA_CLOUD_CREDENTIALS_FILE")) return *f;
    auto home = detail::home_directory(opts_);
    if (!home) return std::move(home).error();
    const auto dir = std::filesystem::path(*home) / ".alibabacloud";
    std::error_code ec;
    const auto go_path = (dir / "credentials").string();
    if (std::filesystem::exists(go_path, ec)) return go_path;
    const auto ini_path = (dir / "credentials.ini").string();
    if (std::filesystem::exists(ini_path, ec)) return ini_path;
    return detail::credentials_error(go_path + ": file not found (nor " + ini_path + ")");
  }

  profile_file_options opts_;
};

/// Caches another provider's credentials. Credentials without an expiration are kept for good;
/// expiring ones are refreshed once `refresh_before` or less remains (the SDKs use 180 s). One
/// thread refreshes at a time; meanwhile the others keep using the old credentials while they are
/// still valid, and if a refresh fails, still-valid old credentials are returned rather than an error.
class cached_credentials_provider final : public credentials_provider {
 public:
  explicit cached_credentials_provider(std::shared_ptr<credentials_provider> inner, const clock& clk = system_clock(),
                                       std::chrono::seconds refresh_before = std::chrono::seconds(180))
      : inner_(std::move(inner)), clock_(clk), refresh_before_(refresh_before) {}

  result<credentials> get() override {
    std::unique_lock<std::mutex> lk(mutex_);
    for (;;) {
      const auto now = clock_.now();
      if (cached_ && fresh(*cached_, now)) return *cached_;
      if (!refreshing_) break;
      if (cached_ && !cached_->expired_at(now)) return *cached_;
      changed_.wait(lk);
    }
    refreshing_ = true;
    lk.unlock();
    result<credentials> r = fetch();
    lk.lock();
    refreshing_ = false;
    changed_.notify_all();
    const auto now = clock_.now();
    if (r && r->expired_at(now)) {
      r = detail::credentials_error(std::string(inner_->name()) + ": returned credentials that expired at " +
                                    format_utc_timestamp(*r->expiration));
    }
    if (r) {
      cached_ = *r;
      return r;
    }
    if (cached_ && !cached_->expired_at(now)) return *cached_;
    return r;
  }

  std::string_view name() const override { return inner_->name(); }

  /// Forgets the cached credentials, e.g. after the service rejected them.
  void invalidate() {
    std::lock_guard<std::mutex> lk(mutex_);
    cached_.reset();
  }

 private:
  bool fresh(const credentials& c, clock::time_point now) const {
    return !c.expiration || *c.expiration - now > refresh_before_;
  }

  result<credentials> fetch() {
    try {
      return inner_->get();
    } catch (const std::exception& e) {
      // A throwing provider must not leave refreshing_ set and every other thread waiting forever.
      return detail::credentials_error(std::string(inner_->name()) + ": " + e.what());
    }
  }

  std::shared_ptr<credentials_provider> inner_;
  const clock& clock_;
  std::chrono::seconds refresh_before_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<credentials> cached_;
  bool refreshing_ = false;
};

/// Tries providers in order; the first success wins and is tried first next time (the SDKs'
/// "reuse last provider"), falling back to the full list if it later fails. When all fail, the
/// error lists every provider with its reason.
class credentials_chain final : public credentials_provider {
 public:
  explicit credentials_chain(std::vector<std::shared_ptr<credentials_provider>> providers,
                             std::string name = "chain")
      : providers_(std::move(providers)), name_(std::move(name)) {}

  result<credentials> get() override {
    const std::size_t last = last_.load(std::memory_order_acquire);
    std::string last_reason;
    if (last < providers_.size()) {
      auto r = providers_[last]->get();
      if (r) return r;
      last_reason = r.error().message;
    }
    std::string report;
    for (std::size_t i = 0; i < providers_.size(); ++i) {
      std::string reason;
      if (i == last) {
        reason = last_reason;
      } else {
        auto r = providers_[i]->get();
        if (r) {
          last_.store(i, std::memory_order_release);
          return r;
        }
        reason = r.error().message.empty() ? r.error().code.message() : r.error().message;
      }
      report += "\n  ";
      report += providers_[i]->name();
      report += ": ";
      report += reason;
    }
    if (providers_.empty()) report = " (the chain has no providers)";
    return detail::credentials_error("no credentials found by the " + name_ + " chain; tried:" + report);
  }

  std::string_view name() const override { return name_; }
  const std::vector<std::shared_ptr<credentials_provider>>& providers() const noexcept { return providers_; }

 private:
  std::vector<std::shared_ptr<credentials_provider>> providers_;
  std::string name_;
  std::atomic<std::size_t> last_{static_cast<std::size_t>(-1)};
};

}  // namespace alicloud
