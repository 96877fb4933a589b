#pragma once
// Turning wire names into C++ identifiers and file names. Kept apart so the rules are testable
// and identical across every product.

#include <set>
#include <string>
#include <string_view>

namespace gen {

/// True when `s` can be used verbatim as a C++ identifier (not a keyword, reserved name or
/// common macro that would be expanded underneath us).
bool is_safe_identifier(std::string_view s);

/// A safe identifier for `s`: invalid characters become '_', a leading digit gets a '_' prefix,
/// keywords get a '_' suffix.
std::string to_identifier(std::string_view s);

/// DescribePreloadTasks -> describe_preload_tasks; GetWAFRule -> get_waf_rule.
std::string to_snake(std::string_view s);

/// Makes `base` unique within `taken` by appending _2, _3, ... and records it.
std::string unique_name(const std::string& base, std::set<std::string>& taken);

/// C++ string literal text (without quotes) for UTF-8 bytes.
std::string escape_literal(std::string_view s);

/// Spec description text made safe for `///` comments: doc links resolved, trailing
/// backslashes (line splices) removed, trimmed.
std::string comment_text(std::string_view s);

}  // namespace gen
