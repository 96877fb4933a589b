#pragma once
// Server-side check of an ACS3-HMAC-SHA256 request, built from the signer's published-vector-tested
// building blocks (canonical headers, canonical request, string to sign) rather than from
// sign_acs3 itself: the request the client produced must verify exactly as Alibaba's gateway would
// verify it (decode the target, hash the body, re-derive the signature from the received headers).

#include <alicloud/core/encoding.hpp>
#include <alicloud/core/param_list.hpp>
#include <alicloud/core/signer.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace alicloud_test {

struct signature_check {
  bool ok = false;
  std::string why;  ///< reason when !ok (never contains the secret)
};

using header_pairs = std::vector<std::pair<std::string, std::string>>;

inline bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

inline std::string find_header_ci(const header_pairs& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (iequals_ascii(k, name)) return v;
  return {};
}

/// Decodes `a=b&c=d` (RFC 3986 percent-encoding) into pairs; nullopt on a malformed escape.
inline std::optional<alicloud::param_list> decode_query(std::string_view q) {
  alicloud::param_list out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const auto item = q.substr(0, amp);
    const auto eq = item.find('=');
    auto k = alicloud::percent_decode(item.substr(0, eq));
    auto v = alicloud::percent_decode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1));
    if (!k || !v) return std::nullopt;
    out.emplace_back(std::move(*k), std::move(*v));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

/// Verifies method + target + headers + body against `secret`, as the gateway would.
inline signature_check verify_acs3(std::string_view method, std::string_view target, const header_pairs& headers,
                                   std::string_view body, std::string_view secret) {
  signature_check r;
  const std::string auth = find_header_ci(headers, "Authorization");
  const std::string prefix = "ACS3-HMAC-SHA256 Credential=";
  if (auth.compare(0, prefix.size(), prefix) != 0) return {false, "Authorization is not ACS3-HMAC-SHA256"};
  const auto sh = auth.find(",SignedHeaders=");
  const auto sg = auth.find(",Signature=");
  if (sh == std::string::npos || sg == std::string::npos || sg < sh) return {false, "Authorization is malformed"};
  const std::string signed_headers = auth.substr(sh + 15, sg - sh - 15);
  const std::string signature = auth.substr(sg + 11);

  const auto qpos = target.find('?');
  const std::string_view path = target.substr(0, qpos);
  auto query = decode_query(qpos == std::string_view::npos ? std::string_view() : target.substr(qpos + 1));
  if (!query) return {false, "target has a malformed percent escape"};
  const std::string payload_hash = alicloud::crypto::sha256_hex(body);
  if (find_header_ci(headers, "x-acs-content-sha256") != payload_hash) return {false, "x-acs-content-sha256 != SHA-256(body)"};

  // Only the headers the client claims to have signed; each must be present.
  alicloud::param_list selected;
  std::string_view names = signed_headers;
  while (!names.empty()) {
    const auto semi = names.find(';');
    const std::string name(names.substr(0, semi));
    bool found = false;
    for (const auto& [k, v] : headers)
      if (iequals_ascii(k, name)) {
        selected.emplace_back(name, v);
        found = true;
      }
    if (!found) return {false, "signed header '" + name + "' is missing"};
    if (semi == std::string_view::npos) break;
    names.remove_prefix(semi + 1);
  }
  const auto block = alicloud::acs3_canonical_headers(selected);
  if (block.signed_headers != signed_headers) return {false, "SignedHeaders not in canonical order: " + signed_headers};
  // Every x-acs-* header and host must be signed (the V3 rule), or a proxy could alter them.
  for (const auto& [k, v] : headers) {
    std::string lower;
    for (char c : k) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if ((lower == "host" || lower == "content-type" || lower.rfind("x-acs-", 0) == 0) &&
        (";" + signed_headers + ";").find(";" + lower + ";") == std::string::npos)
      return {false, "header '" + lower + "' is sent but not signed"};
  }
  const std::string canonical = alicloud::acs3_canonical_request(
      method, alicloud::percent_encode_path(path), alicloud::canonical_query_string(*query), block, payload_hash);
  const std::string expected = alicloud::acs3_signature(secret, alicloud::acs3_string_to_sign(canonical));
  if (expected != signature) return {false, "signature mismatch"};
  r.ok = true;
  return r;
}

}  // namespace alicloud_test
