#pragma once
// Server-side signature verification: ACS3-HMAC-SHA256 (Authorization header) and the legacy RPC
// HMAC-SHA1 (Signature query parameter), each recomputed from what was actually received, plus the
// replay (nonce) and clock-skew rules. Failures carry Alibaba's error codes; messages never contain a
// secret, a security token or the expected signature.

#include "config.hpp"

#include <alicloud/core/encoding.hpp>
#include <alicloud/core/param_list.hpp>
#include <alicloud/core/signer.hpp>
#include <alicloud/esa/errors.hpp>

#include <openssl/crypto.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace esa_emulator {

/// An error answer: service code, message, HTTP status.
struct api_error {
  std::string code;
  std::string message;
  int status = 400;
};

inline api_error make_api_error(alicloud::esa::errc e, std::string message) {
  return api_error{std::string(alicloud::esa::wire_code(e)), std::move(message), alicloud::esa::http_status(e)};
}

/// The parts of a request the verifier looks at. Params are decoded (no percent escapes).
struct signed_input {
  std::string_view method;
  std::string_view path;                 ///< decoded path
  const alicloud::param_list* query;     ///< decoded query parameters in received order
  const alicloud::param_list* form;      ///< decoded form parameters (empty when the body is not a form)
  const alicloud::param_list* headers;   ///< every received header
  std::string_view body;
};

/// Who made a verified request.
struct identity {
  std::string access_key_id;
  bool sts = false;
  bool legacy = false;  ///< signed with HMAC-SHA1
};

namespace detail {

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

inline const std::string* header(const alicloud::param_list& h, std::string_view name) {
  for (const auto& kv : h)
    if (lower(kv.first) == name) return &kv.second;
  return nullptr;
}

inline const std::string* param(const alicloud::param_list& p, std::string_view name) {
  for (const auto& kv : p)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

inline bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

inline std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace detail

class authenticator {
 public:
  authenticator(std::vector<access_key> keys, const alicloud::clock& clock, std::chrono::seconds skew)
      : clock_(clock), skew_(skew) {
    for (auto& k : keys) keys_[k.id] = std::move(k);
  }

  /// Verifies the request; on success records the nonce so it cannot be used again.
  std::pair<std::optional<identity>, std::optional<api_error>> verify(const signed_input& in) {
    const std::string* auth = detail::header(*in.headers, "authorization");
    if (auth && !auth->empty()) return verify_acs3(in, *auth);
    if (detail::param(*in.query, "Signature")) return verify_rpc_v1(in);
    return fail(alicloud::esa::errc::IncompleteSignature,
                "The request is not signed: send an Authorization header (ACS3-HMAC-SHA256) or a Signature "
                "parameter (HMAC-SHA1).");
  }

 private:
  using errc = alicloud::esa::errc;
  using outcome = std::pair<std::optional<identity>, std::optional<api_error>>;

  static outcome fail(errc e, std::string message) { return {std::nullopt, make_api_error(e, std::move(message))}; }

  outcome verify_acs3(const signed_input& in, std::string_view auth) {
    constexpr std::string_view algo = "ACS3-HMAC-SHA256 ";
    if (auth.substr(0, algo.size()) != algo) {
      const auto space = auth.find(' ');
      return fail(errc::IncompleteSignature, "Authorization: unsupported algorithm \"" +
                                                 std::string(auth.substr(0, std::min<std::size_t>(space, 40))) +
                                                 "\"; expected ACS3-HMAC-SHA256.");
    }
    std::string credential, signed_headers, signature;
    std::string_view rest = auth.substr(algo.size());
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string_view part = detail::trim(rest.substr(0, comma));
      const auto eq = part.find('=');
      if (eq != std::string_view::npos) {
        const std::string_view k = part.substr(0, eq), v = part.substr(eq + 1);
        if (k == "Credential") credential = std::string(v);
        else if (k == "SignedHeaders") signed_headers = std::string(v);
        else if (k == "Signature") signature = std::string(v);
      }
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
    for (auto [name, value] : {std::pair<const char*, const std::string*>{"Credential", &credential},
                               {"SignedHeaders", &signed_headers},
                               {"Signature", &signature}}) {
      if (value->empty())
        return fail(errc::IncompleteSignature, std::string("Authorization: ") + name + "= is missing or empty.");
    }
    const auto key = keys_.find(credential);
    if (key == keys_.end())
      return fail(errc::InvalidAccessKeyId_NotFound,
                  "Specified access key is not found: " + alicloud::redacted_access_key_id(credential) + ".");

    for (const char* h : {"x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}) {
      if (!detail::header(*in.headers, h))
        return fail(errc::MissingParameter, std::string("The required header ") + h + " is missing.");
    }
    // Every header named in SignedHeaders must be present, and the ones that carry the request's
    // meaning must be signed, or a replayed signature could be attached to other values.
    std::vector<std::string> names;
    for (std::string_view s = signed_headers; !s.empty();) {
      const auto semi = s.find(';');
      names.push_back(detail::lower(s.substr(0, semi)));
      if (semi == std::string_view::npos) break;
      s = s.substr(semi + 1);
    }
    const std::string* token = detail::header(*in.headers, "x-acs-security-token");
    std::vector<std::string> required = {"host", "x-acs-action", "x-acs-version", "x-acs-date",
                                         "x-acs-signature-nonce", "x-acs-content-sha256"};
    if (token) required.emplace_back("x-acs-security-token");
    for (const auto& r : required) {
      if (detail::header(*in.headers, r) && std::find(names.begin(), names.end(), r) == names.end())
        return fail(errc::IncompleteSignature, "SignedHeaders must include " + r + ".");
    }
    alicloud::param_list selected;
    for (const auto& n : names) {
      bool found = false;
      for (const auto& kv : *in.headers) {
        if (detail::lower(kv.first) == n) {
          selected.emplace_back(n, kv.second);
          found = true;
        }
      }
      if (!found) return fail(errc::IncompleteSignature, "SignedHeaders names " + n + ", which the request does not carry.");
    }

    if (auto e = check_time("x-acs-date", *detail::header(*in.headers, "x-acs-date"))) return {std::nullopt, e};

    const std::string body_hash = alicloud::crypto::sha256_hex(in.body);
    if (detail::lower(*detail::header(*in.headers, "x-acs-content-sha256")) != body_hash)
      return fail(errc::SignatureDoesNotMatch, "x-acs-content-sha256 does not match the SHA-256 of the request body.");

    const auto block = alicloud::acs3_canonical_headers(selected);
    std::string method(in.method);
    for (auto& c : method) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    const std::string canonical =
        alicloud::acs3_canonical_request(method, alicloud::percent_encode_path(in.path),
                                         alicloud::canonical_query_string(*in.query), block, body_hash);
    const std::string sts = alicloud::acs3_string_to_sign(canonical);
    const std::string expected = alicloud::acs3_signature(key->second.secret, sts);
    if (!detail::same_secret(detail::lower(signature), expected))
      return fail(errc::SignatureDoesNotMatch,
                  "The request signature does not conform to Aliyun standards. Server string to sign is: " +
                      escape_newlines(sts));

    if (auto e = check_token(key->second, token)) return {std::nullopt, e};
    if (const std::string* id = detail::header(*in.headers, "x-acs-accesskey-id"); id && *id != credential)
      return fail(errc::IncompleteSignature, "x-acs-accesskey-id does not match the Credential of the Authorization header.");
    if (auto e = use_nonce(credential, *detail::header(*in.headers, "x-acs-signature-nonce"))) return {std::nullopt, e};
    return {identity{credential, !key->second.security_token.empty(), false}, std::nullopt};
  }

  outcome verify_rpc_v1(const signed_input& in) {
    alicloud::param_list all;
    const std::string* signature = nullptr;
    for (const auto* list : {in.query, in.form}) {
      for (const auto& kv : *list) {
        if (kv.first == "Signature") {
          if (!signature) signature = &kv.second;
          continue;
        }
        all.push_back(kv);
      }
    }
    for (const char* p : {"AccessKeyId", "SignatureMethod", "SignatureNonce", "Timestamp"}) {
      if (!detail::param(all, p)) return fail(errc::MissingParameter, std::string("The required parameter ") + p + " is missing.");
    }
    if (*detail::param(all, "SignatureMethod") != "HMAC-SHA1")
      return fail(errc::IncompleteSignature, "SignatureMethod must be HMAC-SHA1 for a Signature parameter.");
    if (const std::string* v = detail::param(all, "SignatureVersion"); v && *v != "1.0")
      return fail(errc::IncompleteSignature, "SignatureVersion must be 1.0.");
    const std::string& id = *detail::param(all, "AccessKeyId");
    const auto key = keys_.find(id);
    if (key == keys_.end())
      return fail(errc::InvalidAccessKeyId_NotFound,
                  "Specified access key is not found: " + alicloud::redacted_access_key_id(id) + ".");
    if (auto e = check_time("Timestamp", *detail::param(all, "Timestamp"))) return {std::nullopt, e};
    std::string method(in.method);
    for (auto& c : method) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    const std::string sts = alicloud::rpc_v1_string_to_sign(method, all);
    const std::string expected = alicloud::rpc_v1_signature(key->second.secret, sts);
    if (!detail::same_secret(*signature, expected))
      return fail(errc::SignatureDoesNotMatch,
                  "Specified signature does not match our calculation. Server string to sign is: " +
                      redact_token_param(sts));
    if (auto e = check_token(key->second, detail::param(all, "SecurityToken"))) return {std::nullopt, e};
    if (auto e = use_nonce(id, *detail::param(all, "SignatureNonce"))) return {std::nullopt, e};
    return {identity{id, !key->second.security_token.empty(), true}, std::nullopt};
  }

  std::optional<api_error> check_time(std::string_view name, const std::string& text) const {
    const auto t = alicloud::parse_utc_timestamp(text);
    if (!t)
      return make_api_error(errc::InvalidParameter, std::string(name) + ": expected yyyy-MM-ddTHH:mm:ssZ (UTC), got \"" +
                                                         text.substr(0, 40) + "\".");
    const auto now = clock_.now();
    const auto diff = std::chrono::duration_cast<std::chrono::seconds>(now > *t ? now - *t : *t - now);
    if (diff > skew_)
      return make_api_error(errc::InvalidTimeStamp_Expired,
                            "Specified time stamp or date value is expired: " + std::string(name) + " " + text +
                                " is " + std::to_string(diff.count()) + " s away from the server time " +
                                alicloud::format_utc_timestamp(now) + " (allowed: " + std::to_string(skew_.count()) +
                                " s).");
    return std::nullopt;
  }

  static std::optional<api_error> check_token(const access_key& key, const std::string* token) {
    if (key.security_token.empty()) {
      if (token && !token->empty())
        return make_api_error(errc::InvalidSecurityToken_Expired,
                              "A security token was sent with a long-term AccessKeyId; only STS AccessKeyIds take one.");
      return std::nullopt;
    }
    if (!token || token->empty())
      return make_api_error(errc::InvalidSecurityToken_Expired,
                            "This is an STS AccessKeyId: the request must carry its security token.");
    if (!detail::same_secret(*token, key.security_token))
      return make_api_error(errc::InvalidSecurityToken_Expired,
                            "The security token does not match the one issued with this AccessKeyId, or it expired.");
    return std::nullopt;
  }

  std::optional<api_error> use_nonce(const std::string& key_id, const std::string& nonce) {
    if (nonce.empty()) return make_api_error(errc::MissingParameter, "The signature nonce is empty.");
    const auto now = clock_.now();
    std::lock_guard<std::mutex> lock(nonce_mutex_);
    // A nonce only has to be remembered while a request carrying it could still pass the time check.
    if (now - last_purge_ > std::chrono::minutes(1)) {
      for (auto it = nonces_.begin(); it != nonces_.end();)
        it = it->second < now ? nonces_.erase(it) : std::next(it);
      last_purge_ = now;
    }
    auto [it, inserted] = nonces_.emplace(key_id + '\n' + nonce, now + 2 * skew_ + std::chrono::minutes(1));
    if (!inserted) {
      if (it->second < now) {
        it->second = now + 2 * skew_ + std::chrono::minutes(1);
        return std::nullopt;
      }
      return make_api_error(errc::SignatureNonceUsed, "Specified signature nonce was used already: \"" +
                                                          nonce.substr(0, 64) + "\". Every request needs a new nonce.");
    }
    return std::nullopt;
  }

  static std::string escape_newlines(std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c == '\n') out += "\\n";
      else out += c;
    }
    return out;
  }

  static std::string redact_token_param(std::string s) {
    // The legacy string to sign embeds every parameter, the STS token included (encoded twice, and
    // never first: AccessKeyId sorts before it).
    const std::string marker = "%26SecurityToken%3D";
    const auto at = s.find(marker);
    if (at == std::string::npos) return s;
    const auto start = at + marker.size();
    auto end = s.find("%26", start);
    if (end == std::string::npos) end = s.size();
    s.replace(start, end - start, "<redacted>");
    return s;
  }

  const alicloud::clock& clock_;
  std::chrono::seconds skew_;
  std::map<std::string, access_key> keys_;
  std::mutex nonce_mutex_;
  std::unordered_map<std::string, alicloud::clock::time_point> nonces_;
  alicloud::clock::time_point last_purge_{};
};

}  // namespace esa_emulator
