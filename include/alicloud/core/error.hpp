#pragma once
// The one error type every fallible operation of the library reports: a std::error_code for
// programmatic handling plus the service fields Alibaba returns, so nothing from the wire is lost.

#include <ostream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace alicloud {

/// One broken rule of a request, as found by a generated validator or the parameter decoder.
struct violation {
  std::string field;    ///< path of the offending field, e.g. "PageSize" or "Content.CacheKeys[0].Url"
  std::string rule;     ///< "required", "range", "length", "pattern", "enum", "format", "together", ...
  std::string message;  ///< human-readable, names the field and the rule
  std::string code;     ///< the service's error code for this rule when the spec has one, else empty
};

inline std::ostream& operator<<(std::ostream& os, const violation& v) {
  os << v.field << ": " << v.message;
  if (!v.code.empty()) os << " [" << v.code << "]";
  return os;
}

/// Errors raised by the library itself rather than by the service.
enum class errc : int {
  validation_failed = 1,  ///< the request broke spec rules; see error::violations
  json_parse,             ///< bytes were not JSON
  type_mismatch,          ///< JSON value of the wrong type for the target field
  missing_field,          ///< a required JSON key or parameter is absent
  out_of_range,           ///< number does not fit the target type
  depth_exceeded,         ///< nesting deeper than the configured limit
  bad_parameter,          ///< an RPC parameter could not be decoded
  bad_format,             ///< a value does not match its declared text format (e.g. timestamps)
  transport,              ///< network, TLS or HTTP framing failure
  timeout,                ///< a deadline passed
  credentials,            ///< no usable credentials
  service,                ///< the service answered with an error whose code is not in the product table
  cancelled,              ///< the caller cancelled the operation
};

class library_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "alicloud"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::validation_failed: return "request failed validation";
      case errc::json_parse: return "malformed JSON";
      case errc::type_mismatch: return "JSON type mismatch";
      case errc::missing_field: return "missing required field";
      case errc::out_of_range: return "number out of range";
      case errc::depth_exceeded: return "nesting too deep";
      case errc::bad_parameter: return "malformed request parameter";
      case errc::bad_format: return "value has the wrong format";
      case errc::transport: return "transport failure";
      case errc::timeout: return "timed out";
      case errc::credentials: return "no usable credentials";
      case errc::service: return "service error";
      case errc::cancelled: return "cancelled";
    }
    return "unknown alicloud error";
  }
};

inline const std::error_category& library_category() noexcept {
  static const library_category_impl category;
  return category;
}
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), library_category()}; }

/// A failed call. Service errors carry Alibaba's body fields; library errors carry a message.
struct error {
  std::error_code code;            ///< product errc when the service code is known, else alicloud::errc / system
  std::string message;             ///< human-readable; never contains secrets
  int http_status = 0;             ///< 0 when no HTTP response was received
  std::string service_code;        ///< Alibaba "Code" as received, e.g. "InvalidTime"
  std::string request_id;          ///< "RequestId"
  std::string host_id;             ///< "HostId"
  std::string recommend;           ///< "Recommend" diagnosis URL
  std::string access_denied_detail;  ///< "AccessDeniedDetail" as compact JSON text
  std::vector<violation> violations;  ///< set for validation failures

  error() = default;
  error(std::error_code c, std::string msg) : code(c), message(std::move(msg)) {}

  /// One line: code, message, and the service fields that help support find the request.
  std::string to_string() const {
    std::string s = message.empty() ? code.message() : message;
    if (!service_code.empty()) s = service_code + ": " + s;
    if (http_status != 0) s += " (HTTP " + std::to_string(http_status) + ")";
    if (!request_id.empty()) s += " RequestId=" + request_id;
    for (const auto& v : violations) {
      s += "\n  " + v.field + ": " + v.message;
      if (!v.code.empty()) s += " [" + v.code + "]";
    }
    return s;
  }
};

inline std::ostream& operator<<(std::ostream& os, const error& e) { return os << e.to_string(); }

/// Thrown by the throwing conveniences (result::value(), client methods without result).
class exception : public std::system_error {
 public:
  explicit exception(alicloud::error e) : std::system_error(e.code, e.to_string()), error_(std::move(e)) {}
  const alicloud::error& error() const noexcept { return error_; }

 private:
  alicloud::error error_;
};

}  // namespace alicloud

template <>
struct std::is_error_code_enum<alicloud::errc> : std::true_type {};
