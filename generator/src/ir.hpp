#pragma once
// The generator's intermediate representation: the spec after overlay merging, with every schema
// resolved to a C++ type. Emitters only read this; all spec interpretation happens in the loader.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace gen {

/// A spec problem: which file, where in it (JSON path), and what is wrong.
struct spec_error : std::runtime_error {
  spec_error(const std::string& file, const std::string& path, const std::string& what)
      : std::runtime_error(file + ": " + path + ": " + what) {}
};

enum class kind { string, int32, int64, number, boolean, any, utc_time, enumeration, structure, array, map };

struct type_ref {
  kind k = kind::any;
  std::string name;                  // struct or enum name for structure/enumeration
  std::shared_ptr<type_ref> element; // array element / map value

  bool is_container() const { return k == kind::array || k == kind::map; }
};

struct constraints {
  std::optional<std::string> minimum, maximum;  // kept as spec text, emitted as literals
  bool exclusive_minimum = false, exclusive_maximum = false;
  std::optional<std::uint64_t> min_length, max_length, min_items, max_items;
  std::optional<std::string> pattern;
  std::optional<std::string> default_value;
  std::optional<std::string> example;
  std::optional<std::string> format;  // spec format text, e.g. int64 or utc-datetime

  bool any() const {
    return minimum || maximum || min_length || max_length || min_items || max_items || pattern;
  }
};

struct field {
  std::string wire;    // name on the wire / in JSON
  std::string member;  // C++ identifier (== wire unless renamed)
  std::string description;
  bool required = false;  // only request-side fields can be required
  type_ref type;
  constraints rules;
  // Parameter placement; empty for nested properties and responses.
  std::string in;     // query, formData, body, header, path, host
  std::string style;  // json, repeatList, flat, simple, ... or empty
};

struct struct_def {
  std::string name;
  std::string description;
  std::vector<field> fields;
  bool request_side = false;  // validators are emitted for request-side structs only
  std::string origin;         // JSON path it came from, for docs and messages
};

struct enum_def {
  std::string name;
  std::string description;
  std::vector<std::string> values;
  std::vector<std::string> constants;  // C++ names, parallel to values
  std::map<std::string, std::string> titles;
};

struct error_code {
  std::string code;
  std::string message;
  int http_status = 400;
};

struct rule {
  std::string kind;  // together, after, notOlderThan
  std::vector<std::string> fields;
  std::string other;
  std::int64_t seconds = 0;
  std::string error_code;
};

struct pagination {
  std::string page_number, page_size, total_count, items;
};

struct ram_action {
  std::string action, access_level;
  std::vector<std::string> resources;
};

/// Types owned by one header (an operation's, or the shared schemas header), in emission order.
struct type_set {
  std::vector<enum_def> enums;
  std::vector<struct_def> structs;  // dependency order: a struct follows what it holds by value
};

struct operation {
  std::string name;       // DescribePreloadTasks
  std::string file_stem;  // describe_preload_tasks
  std::string title, summary, description;
  std::string method;     // get / post
  std::vector<std::string> methods;
  std::vector<std::string> schemes;
  bool idempotent = false;
  bool deprecated = false;
  std::string operation_type;
  std::string request_type, response_type;
  type_set types;
  bool uses_components = false;
  std::vector<error_code> errors;  // as declared for this operation
  std::vector<rule> rules;
  std::optional<pagination> paging;
  std::vector<ram_action> ram;
  std::string response_demo;  // first JSON example, if any
};

/// One poll request member set by a waiter: from the element being tracked ("each"), from the creating
/// call's request or response, or a literal from the overlay.
struct waiter_assignment {
  std::string target;  // poll request member (C++ name)
  std::string source;  // each, request, response, value
  std::string member;  // request/response member (C++ name)
  std::string value;   // literal text (value)
  type_ref type;       // the target's type, to render the literal
};

/// A waiter (overlay operations.<Op>.waiters[]): after a call of `operation`, poll `poll` until the
/// task of every `for_each` element reached a success or failure status. Names are C++ member names.
struct waiter_def {
  std::string name;  // the function is wait_<name>
  std::string description;
  std::string operation, operation_request, operation_response;  // creating op traits / structs
  std::string poll, poll_request, poll_file_stem, operation_file_stem;
  bool poll_paginated = false;
  std::string for_each;  // request member (array of strings); empty: one unnamed target
  std::vector<waiter_assignment> assignments;
  std::string items, item_type;  // poll response list member and its element struct
  std::string id, response_ids, newest;  // item member, response member, item member (each optional)
  std::string separator = ",";
  std::string status, progress;  // item members
  std::vector<std::string> success, failure, pending;  // status values
};

struct product {
  std::string code;     // esa
  std::string name;     // ESA
  std::string version;  // 2024-09-10
  std::string style;    // RPC
  std::string spec_file;     // basename, for banners
  std::string overlay_file;  // basename or empty
  std::vector<std::pair<std::string, std::string>> endpoints;
  std::vector<std::string> retryable_errors;
  std::vector<error_code> common_errors;
  type_set components;  // shared $ref targets that emitted operations use
  std::vector<operation> operations;  // sorted by name
  std::vector<waiter_def> waiters;     // sorted by name
};

struct load_options {
  std::string spec_path;
  std::string overlay_path;
  std::vector<std::string> operations;  // empty = all
};

product load(const load_options& opts);

struct output_file {
  std::string path;  // relative to the include or docs root
  std::string content;
};

std::vector<output_file> emit_cpp(const product& p);
/// <alicloud/<product>/waiters.hpp> when the overlay declares waiters; nothing otherwise. `banner` heads
/// the file (emit_cpp passes the one every generated header gets).
std::vector<output_file> emit_waiters(const product& p, const std::string& banner);
/// The comment banner every generated header starts with.
std::string generated_banner(const product& p);

/// Names of an operation's methods on the generated client (snake_case, clear of keywords and of
/// alicloud::client's own members).
struct client_method {
  std::string name;        // describe_preload_tasks
  std::string async_name;  // async_describe_preload_tasks
};
/// One entry per operation, parallel to product::operations.
std::vector<client_method> client_methods(const product& p);
/// <alicloud/<product>/client.hpp>: the typed client facade.
std::string emit_client_header(const product& p);
std::vector<output_file> emit_docs(const product& p);
std::vector<output_file> emit_selftests(const product& p);

}  // namespace gen
