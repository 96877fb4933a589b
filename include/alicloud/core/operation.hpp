#pragma once
// Vocabulary of the generated operation traits: HTTP method, where and how each request member goes on
// the wire, endpoints, renamed members and error-code patterns. Kept free of any transport so model
// headers stay light.

#include <cstddef>
#include <string_view>
#include <type_traits>

namespace alicloud {

enum class http_method { get, post, put, delete_, patch, head };

/// Upper-case method token as it appears on the request line.
constexpr std::string_view to_string(http_method m) noexcept {
  switch (m) {
    case http_method::get: return "GET";
    case http_method::post: return "POST";
    case http_method::put: return "PUT";
    case http_method::delete_: return "DELETE";
    case http_method::patch: return "PATCH";
    case http_method::head: return "HEAD";
  }
  return "GET";
}

/// Where a parameter travels. The RPC codec maps query/path/host to the query string, form_data/body to
/// the form body and header to HTTP headers.
enum class param_in { query, form_data, body, header, path, host };

/// How a structured parameter is flattened (alibaba-wire-protocol.md §5).
enum class param_style { none, json, repeat_list, flat, simple, space_delimited, pipe_delimited, xml };

/// One request parameter: `member` is the C++ member name, `name` the wire name.
struct param_info {
  std::string_view member;
  std::string_view name;
  param_in in;
  param_style style;
};

struct endpoint_entry {
  std::string_view region_id;
  std::string_view endpoint;
};

/// A member whose wire name is not a valid C++ identifier (or is a keyword); listed in a type's static
/// `alicloud_wire_names` array.
struct wire_name {
  std::string_view member;
  std::string_view wire;
};

/// True when the operation traits declare a pagination struct, false for `using pagination = void`.
template <class Op, class = void>
struct is_paginated : std::false_type {};
template <class Op>
struct is_paginated<Op, std::void_t<typename Op::pagination>> : std::is_class<typename Op::pagination> {};
template <class Op>
inline constexpr bool is_paginated_v = is_paginated<Op>::value;

/// Exact match, or prefix match when the pattern ends with '*' ("Throttling*" matches "Throttling.User").
constexpr bool matches_code_pattern(std::string_view pattern, std::string_view code) noexcept {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return code.substr(0, pattern.size()) == pattern;
  }
  return pattern == code;
}

}  // namespace alicloud
