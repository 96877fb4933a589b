#pragma once
// Request signing: ACS3-HMAC-SHA256 (the V3 signature every current Alibaba Cloud API accepts) and
// the legacy RPC HMAC-SHA1 signature (SignatureVersion 1.0). Signing is a pure function of the
// request, the credentials, the time and the nonce, so the published vectors can be reproduced
// byte for byte; the transport only adds the returned headers and sends the returned path/query.
//
// OpenSSL: only the one-shot HMAC(), EVP_Digest() and RAND_bytes(), none deprecated in 3.0.

#include <alicloud/core/clock.hpp>
#include <alicloud/core/credentials.hpp>
#include <alicloud/core/encoding.hpp>
#include <alicloud/core/error.hpp>
#include <alicloud/core/param_list.hpp>
#include <alicloud/core/result.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace alicloud {

namespace crypto {

inline std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    throw exception(error(make_error_code(errc::transport), "OpenSSL EVP_Digest(SHA-256) failed"));
  }
  return lower_hex(md, len);
}

namespace detail {
inline std::pair<std::array<unsigned char, EVP_MAX_MD_SIZE>, unsigned int> hmac(const EVP_MD* md,
                                                                                 std::string_view key,
                                                                                 std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  if (key.size() > static_cast<std::size_t>(INT_MAX) ||
      HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out.data(), &len) == nullptr) {
    throw exception(error(make_error_code(errc::transport), "OpenSSL HMAC() failed"));
  }
  return {out, len};
}
}  // namespace detail

/// Lower-case hex HMAC-SHA256, the ACS3 signature primitive.
inline std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  const auto [mac, len] = detail::hmac(EVP_sha256(), key, data);
  return lower_hex(mac.data(), len);
}

/// Base64 HMAC-SHA1, the legacy RPC signature primitive.
inline std::string hmac_sha1_base64(std::string_view key, std::string_view data) {
  const auto [mac, len] = detail::hmac(EVP_sha1(), key, data);
  return base64_encode(mac.data(), len);
}

}  // namespace crypto

/// 128 bits from OpenSSL's CSPRNG as 32 lower-case hex characters: unique per request, which is
/// all x-acs-signature-nonce / SignatureNonce need for replay protection.
inline result<std::string> random_nonce() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return error(make_error_code(errc::credentials), "cannot generate a signature nonce: RAND_bytes failed");
  }
  return lower_hex(bytes, sizeof bytes);
}

inline constexpr std::string_view acs3_algorithm = "ACS3-HMAC-SHA256";
inline constexpr std::string_view empty_payload_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

inline const param_list& empty_param_list() {
  static const param_list empty;
  return empty;
}

/// What the signer needs to know about an HTTP request. Values are raw (not percent-encoded);
/// the signer produces the encoded path and query the transport must send.
struct signing_request {
  std::string_view method;  ///< GET, POST... (upper-cased when signing)
  std::string_view host;    ///< exactly the Host header that will be sent (with `:port` when non-default)
  std::string_view path;    ///< raw path; empty means `/` (RPC APIs always use `/`)
  const param_list& query = empty_param_list();    ///< URL query parameters, raw
  const param_list& headers = empty_param_list();  ///< caller headers; `content-type` and `x-acs-*` are signed
  std::string_view body;     ///< the exact body bytes (e.g. a form body); empty for none
  std::string_view action;   ///< x-acs-action (omitted when empty)
  std::string_view version;  ///< x-acs-version (omitted when empty)
};

/// The result of signing. `headers` are to be added to the request as they are; the transport
/// sends `target()` as the request target so the server decodes exactly the signed values.
struct signed_request {
  param_list headers;           ///< x-acs-action, x-acs-version, x-acs-date, x-acs-signature-nonce,
                                ///< x-acs-content-sha256, [x-acs-security-token, x-acs-accesskey-id], Authorization
  std::string canonical_uri;    ///< encoded path
  std::string canonical_query;  ///< encoded query, without `?`
  std::string signed_headers;   ///< e.g. `host;x-acs-action;...`
  /// Debug only: the canonical request with the security token value replaced by `<redacted>`
  /// (identical to the signed text for non-STS credentials). Holds no secret.
  std::string canonical_request;
  std::string string_to_sign;  ///< `ACS3-HMAC-SHA256\n<hex>`; holds no secret

  std::string target() const { return canonical_query.empty() ? canonical_uri : canonical_uri + "?" + canonical_query; }
};

namespace detail {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

inline std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

inline std::string_view trim_header_value(std::string_view v) {
  const auto is_ws = [](char c) { return c == ' ' || c == '\t'; };
  while (!v.empty() && is_ws(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_ws(v.back())) v.remove_suffix(1);
  return v;
}

inline bool is_signed_header_name(std::string_view lower) {
  return lower == "host" || lower == "content-type" || lower.substr(0, 6) == "x-acs-";
}

// RFC 7230 token characters; anything else in a header name would be a framing bug or injection.
inline bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
          std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos))
      return false;
  }
  return true;
}

inline bool has_line_break(std::string_view v) {
  return v.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

inline error bad_request(std::string msg) { return error(make_error_code(errc::bad_parameter), std::move(msg)); }

}  // namespace detail

/// Canonical headers block (each `name:value\n`) and SignedHeaders of ACS3 §2.4: keeps `host`,
/// `content-type` and `x-acs-*`, lower-cases names, trims values, sorts by name, and joins the
/// values of a repeated name sorted with `,` (the Go/Python behaviour).
struct acs3_header_block {
  std::string canonical_headers;
  std::string signed_headers;
};

inline acs3_header_block acs3_canonical_headers(const param_list& headers) {
  std::vector<std::pair<std::string, std::string>> selected;
  for (const auto& [name, value] : headers) {
    auto lower = detail::ascii_lower(name);
    if (detail::is_signed_header_name(lower)) selected.emplace_back(std::move(lower), detail::trim_header_value(value));
  }
  std::sort(selected.begin(), selected.end());
  acs3_header_block out;
  for (std::size_t i = 0; i < selected.size();) {
    std::size_t j = i;
    std::string joined;
    for (; j < selected.size() && selected[j].first == selected[i].first; ++j) {
      if (j != i) joined += ',';
      joined += selected[j].second;
    }
    out.canonical_headers += selected[i].first + ":" + joined + "\n";
    if (!out.signed_headers.empty()) out.signed_headers += ';';
    out.signed_headers += selected[i].first;
    i = j;
  }
  return out;
}

/// `method \n uri \n query \n canonical_headers \n signed_headers \n payload_hash`, with the
/// components already canonical (building block, exposed for the published vectors).
inline std::string acs3_canonical_request(std::string_view method, std::string_view canonical_uri,
                                          std::string_view canonical_query, const acs3_header_block& headers,
                                          std::string_view hashed_payload) {
  std::string s;
  s.reserve(method.size() + canonical_uri.size() + canonical_query.size() + headers.canonical_headers.size() +
            headers.signed_headers.size() + hashed_payload.size() + 8);
  s.append(method).append("\n").append(canonical_uri).append("\n").append(canonical_query).append("\n");
  s.append(headers.canonical_headers).append("\n").append(headers.signed_headers).append("\n").append(hashed_payload);
  return s;
}

inline std::string acs3_string_to_sign(std::string_view canonical_request) {
  return std::string(acs3_algorithm) + "\n" + crypto::sha256_hex(canonical_request);
}

/// Lower-case hex HMAC-SHA256 keyed with the raw secret (no `&`, unlike the legacy signature).
inline std::string acs3_signature(std::string_view access_key_secret, std::string_view string_to_sign) {
  return crypto::hmac_sha256_hex(access_key_secret, string_to_sign);
}

inline std::string acs3_authorization(std::string_view access_key_id, std::string_view signed_headers,
                                      std::string_view signature) {
  std::string s(acs3_algorithm);
  s.append(" Credential=").append(access_key_id);
  s.append(",SignedHeaders=").append(signed_headers);
  s.append(",Signature=").append(signature);
  return s;
}

/// Signs with ACS3-HMAC-SHA256 at time `now` with `nonce`. Fails (never throws for bad input) on
/// empty or expired credentials, a missing method/host/nonce, invalid header names, line breaks in
/// header values, empty parameter names, or caller headers the signer itself sets.
inline result<signed_request> sign_acs3(const signing_request& req, const credentials& creds,
                                        std::chrono::system_clock::time_point now, std::string_view nonce) {
  if (creds.access_key_id.empty()) return error(make_error_code(errc::credentials), "access key id is empty");
  if (creds.access_key_secret.empty()) return error(make_error_code(errc::credentials), "access key secret is empty");
  if (creds.expired_at(now)) {
    return error(make_error_code(errc::credentials),
                 "credentials " + redacted_access_key_id(creds.access_key_id) + " expired at " +
                     format_utc_timestamp(*creds.expiration));
  }
  if (req.method.empty() || !detail::is_token(req.method)) {
    return detail::bad_request("method: must be a non-empty HTTP token, e.g. GET or POST");
  }
  if (req.host.empty() || detail::has_line_break(req.host) || req.host.find(' ') != std::string_view::npos) {
    return detail::bad_request("host: must be a non-empty host[:port] without spaces or line breaks");
  }
  if (nonce.empty() || detail::has_line_break(nonce)) {
    return detail::bad_request("nonce: must be non-empty and contain no line breaks");
  }
  for (const auto& [name, value] : req.query) {
    if (name.empty()) return detail::bad_request("query: a parameter has an empty name (value length " +
                                                 std::to_string(value.size()) + ")");
  }
  param_list to_sign;
  to_sign.reserve(req.headers.size() + 8);
  for (const auto& [name, value] : req.headers) {
    if (!detail::is_token(name)) return detail::bad_request("header '" + name + "': invalid header name");
    const auto lower = detail::ascii_lower(name);
    if (detail::has_line_break(value)) return detail::bad_request("header '" + name + "': value contains a line break");
    if (lower == "host" || lower == "authorization" || lower == "x-acs-date" || lower == "x-acs-signature-nonce" ||
        lower == "x-acs-content-sha256" || lower == "x-acs-action" || lower == "x-acs-version" ||
        lower == "x-acs-security-token" || lower == "x-acs-accesskey-id") {
      return detail::bad_request("header '" + name + "': set by the signer; pass it through signing_request instead");
    }
    if (detail::is_signed_header_name(lower)) to_sign.emplace_back(lower, std::string(value));
  }
  for (std::string_view v : {req.action, req.version, std::string_view(creds.access_key_id)}) {
    if (detail::has_line_break(v)) return detail::bad_request("action/version/access key id: contains a line break");
  }
  if (detail::has_line_break(creds.security_token)) {
    return error(make_error_code(errc::credentials), "security token contains a line break");
  }

  signed_request out;
  const std::string payload_hash = crypto::sha256_hex(req.body);
  if (!req.action.empty()) out.headers.emplace_back("x-acs-action", std::string(req.action));
  if (!req.version.empty()) out.headers.emplace_back("x-acs-version", std::string(req.version));
  out.headers.emplace_back("x-acs-date", format_utc_timestamp(now));
  out.headers.emplace_back("x-acs-signature-nonce", std::string(nonce));
  out.headers.emplace_back("x-acs-content-sha256", payload_hash);
  if (creds.is_sts()) {
    out.headers.emplace_back("x-acs-security-token", creds.security_token);
    out.headers.emplace_back("x-acs-accesskey-id", creds.access_key_id);
  }
  to_sign.emplace_back("host", std::string(req.host));
  for (const auto& h : out.headers) to_sign.push_back(h);

  const auto block = acs3_canonical_headers(to_sign);
  out.canonical_uri = percent_encode_path(req.path);
  out.canonical_query = canonical_query_string(req.query);
  out.signed_headers = block.signed_headers;
  const std::string method = detail::ascii_upper(req.method);
  const std::string canonical =
      acs3_canonical_request(method, out.canonical_uri, out.canonical_query, block, payload_hash);
  out.string_to_sign = acs3_string_to_sign(canonical);
  const std::string signature = acs3_signature(creds.access_key_secret, out.string_to_sign);
  out.headers.emplace_back("Authorization", acs3_authorization(creds.access_key_id, out.signed_headers, signature));

  if (creds.is_sts()) {
    acs3_header_block redacted = block;
    const std::string needle = "x-acs-security-token:" + creds.security_token + "\n";
    const auto at = redacted.canonical_headers.find(needle);
    if (at != std::string::npos) {
      redacted.canonical_headers.replace(at, needle.size(), "x-acs-security-token:<redacted>\n");
    }
    out.canonical_request =
        acs3_canonical_request(method, out.canonical_uri, out.canonical_query, redacted, payload_hash);
  } else {
    out.canonical_request = canonical;
  }
  return out;
}

/// Signs now, with a fresh random nonce: what the client does for every attempt.
inline result<signed_request> sign_acs3(const signing_request& req, const credentials& creds,
                                        const clock& clk = system_clock()) {
  auto nonce = random_nonce();
  if (!nonce) return std::move(nonce).error();
  return sign_acs3(req, creds, clk.now(), *nonce);
}

/// Prints the headers with the signature and the security token redacted, plus the debug strings.
inline std::ostream& operator<<(std::ostream& os, const signed_request& s) {
  os << "target: " << s.target() << "\n";
  for (const auto& [name, value] : s.headers) {
    os << name << ": ";
    if (name == "x-acs-security-token") {
      os << "<redacted>";
    } else if (name == "Authorization") {
      const auto sig = value.rfind(",Signature=");
      os << (sig == std::string::npos ? std::string("<redacted>") : value.substr(0, sig) + ",Signature=<redacted>");
    } else {
      os << value;
    }
    os << "\n";
  }
  return os << "canonical request:\n" << s.canonical_request << "\nstring to sign:\n" << s.string_to_sign << "\n";
}

// ---------------------------------------------------------------------------------------------
// Legacy RPC signature (HMAC-SHA1, SignatureVersion 1.0), for APIs or paths that still need it
// (e.g. STS AssumeRole as the official SDKs call it).

/// `METHOD&%2F&percentEncode(CanonicalizedQueryString)` over all parameters (query and form
/// together, without `Signature`).
inline std::string rpc_v1_string_to_sign(std::string_view method, const param_list& params) {
  std::string s(method);
  s += "&%2F&";
  percent_encode_to(s, canonical_query_string(params));
  return s;
}

/// Base64 HMAC-SHA1 keyed with `secret + "&"`.
inline std::string rpc_v1_signature(std::string_view access_key_secret, std::string_view string_to_sign) {
  std::string key(access_key_secret);
  key += '&';
  return crypto::hmac_sha1_base64(key, string_to_sign);
}

struct rpc_v1_signed_request {
  param_list query;            ///< the caller's query plus the common signature parameters and `Signature`
  std::string encoded_query;   ///< `canonical_query_string(query)`: send verbatim after `?`
  std::string string_to_sign;  ///< debug; holds no secret (the security token, if any, is redacted)
};

/// Adds AccessKeyId, SignatureMethod, SignatureVersion, SignatureNonce, Timestamp (and
/// SecurityToken for STS) to `query`, signs query + `form` together, and appends `Signature`. The
/// caller supplies Action, Version and Format in `query`.
inline result<rpc_v1_signed_request> sign_rpc_v1(std::string_view method, const param_list& query,
                                                 const param_list& form, const credentials& creds,
                                                 std::chrono::system_clock::time_point now, std::string_view nonce) {
  if (creds.access_key_id.empty()) return error(make_error_code(errc::credentials), "access key id is empty");
  if (creds.access_key_secret.empty()) return error(make_error_code(errc::credentials), "access key secret is empty");
  if (creds.expired_at(now)) {
    return error(make_error_code(errc::credentials),
                 "credentials " + redacted_access_key_id(creds.access_key_id) + " expired at " +
                     format_utc_timestamp(*creds.expiration));
  }
  if (method.empty() || !detail::is_token(method)) {
    return detail::bad_request("method: must be a non-empty HTTP token, e.g. GET or POST");
  }
  if (nonce.empty()) return detail::bad_request("nonce: must be non-empty");
  static constexpr std::string_view reserved[] = {"AccessKeyId",  "SignatureMethod", "SignatureVersion",
                                                  "SignatureNonce", "Timestamp",      "SecurityToken",
                                                  "Signature"};
  for (const param_list* list : {&query, &form}) {
    for (const auto& [name, value] : *list) {
      if (name.empty()) return detail::bad_request("parameter with an empty name");
      if (std::find(std::begin(reserved), std::end(reserved), name) != std::end(reserved)) {
        return detail::bad_request("parameter '" + name + "': set by the signer");
      }
    }
  }
  rpc_v1_signed_request out;
  out.query = query;
  out.query.emplace_back("AccessKeyId", creds.access_key_id);
  out.query.emplace_back("SignatureMethod", "HMAC-SHA1");
  out.query.emplace_back("SignatureVersion", "1.0");
  out.query.emplace_back("SignatureNonce", std::string(nonce));
  out.query.emplace_back("Timestamp", format_utc_timestamp(now));
  if (creds.is_sts()) out.query.emplace_back("SecurityToken", creds.security_token);
  param_list all = out.query;
  all.insert(all.end(), form.begin(), form.end());
  const std::string upper = detail::ascii_upper(method);
  const std::string sts = rpc_v1_string_to_sign(upper, all);
  out.query.emplace_back("Signature", rpc_v1_signature(creds.access_key_secret, sts));
  out.encoded_query = canonical_query_string(out.query);
  if (creds.is_sts()) {
    for (auto& p : all) {
      if (p.first == "SecurityToken") p.second = "<redacted>";
    }
    out.string_to_sign = rpc_v1_string_to_sign(upper, all);
  } else {
    out.string_to_sign = sts;
  }
  return out;
}

}  // namespace alicloud
