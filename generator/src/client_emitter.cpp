// Emits <alicloud/<product>/client.hpp>: a typed facade over alicloud::client with one method per
// operation and its asynchronous twin. It is the only generated header that reaches Asio and Beast
// (through <alicloud/core/client.hpp>), so it stays out of the product umbrella header.

#include <set>
#include <sstream>

#include "ir.hpp"
#include "names.hpp"

namespace gen {

namespace {

// Members of alicloud::client (and its base) that a generated method must not hide.
const std::set<std::string>& base_members() {
  static const std::set<std::string> names = {
      "call",         "call_or_throw", "async_call", "config",        "region", "user_agent", "clock_offset",
      "endpoint_for", "get_executor",  "executor_type", "client",     "client_core", "fetcher", "pages",
      "items",        "fetch_all"};
  return names;
}

struct method_names {
  std::string name, async_name;
  std::string pages, items, all;  // paginated operations only
};

// Sync names first, so an operation called AsyncFoo cannot take the name Foo's twin needs: the twin
// gets the suffix instead. Then the twins, then the pagination helpers. The result depends only on the
// sorted operation list.
std::vector<method_names> all_method_names(const product& p) {
  std::set<std::string> taken = base_members();
  std::vector<method_names> out;
  out.reserve(p.operations.size());
  for (const auto& op : p.operations) out.push_back({unique_name(to_identifier(to_snake(op.name)), taken), {}, {}, {}, {}});
  for (auto& m : out) m.async_name = unique_name("async_" + m.name, taken);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!p.operations[i].paging) continue;
    out[i].pages = unique_name(out[i].name + "_pages", taken);
    out[i].items = unique_name(out[i].name + "_items", taken);
    out[i].all = unique_name(out[i].name + "_all", taken);
  }
  return out;
}

}  // namespace

std::vector<client_method> client_methods(const product& p) {
  std::vector<client_method> out;
  for (auto& m : all_method_names(p)) out.push_back({std::move(m.name), std::move(m.async_name)});
  return out;
}

std::string emit_client_header(const product& p) {
  const std::string ns = "alicloud::" + p.code;
  const auto methods = all_method_names(p);
  std::ostringstream o;
  o << generated_banner(p) << "#pragma once\n";
  o << "// The " << p.name << " client: one method per operation, each with an asynchronous twin taking any\n"
    << "// Asio completion token. This is the only generated header that includes Asio and Beast (through\n"
    << "// <alicloud/core/client.hpp>); <alicloud/" << p.code << ".hpp> does not include it.\n\n";
  o << "#include <alicloud/core/client.hpp>\n";
  o << "#include <alicloud/" << p.code << ".hpp>\n\n#include <utility>\n\n";
  o << "namespace " << ns << " {\n\n";
  o << "/// Client of " << p.name << " " << p.version << ". Construct it from an alicloud::client_config (region or\n"
    << "/// endpoint, credentials, transport, retry policy, hooks), optionally with an executor for the\n"
    << "/// asynchronous methods. Copies share the connection pool and state; safe to use from several threads.\n"
    << "/// Synchronous methods return alicloud::result (call .value() to throw instead); asynchronous ones\n"
    << "/// complete with void(alicloud::result<Response>). See <alicloud/core/client.hpp> for where work runs.\n"
    << "/// Paginated operations also get <name>_pages(), <name>_items() and <name>_all() (concurrent fetch_all);\n"
    << "/// fetcher<Op>() is the page fetcher the generated waiters take.\n";
  o << "class client : public ::alicloud::client {\n public:\n  using ::alicloud::client::client;\n";
  for (std::size_t i = 0; i < p.operations.size(); ++i) {
    const auto& op = p.operations[i];
    const auto& m = methods[i];
    o << "\n";
    std::string summary = comment_text(op.summary.empty() ? op.title : op.summary);
    for (auto& c : summary)
      if (c == '\n' || c == '\r') c = ' ';
    if (!summary.empty()) o << "  /// " << summary << "\n";
    o << "  /// " << op.name << (op.idempotent ? " (idempotent: retried per the policy)." : " (not idempotent: retried only when provably never sent).")
      << (op.deprecated ? " Deprecated by the service." : "") << "\n";
    o << "  ::alicloud::result<" << op.response_type << "> " << m.name << "(const " << op.request_type
      << "& request) const {\n";
    o << "    return call<" << op.name << ">(request);\n  }\n";
    o << "  /// Asynchronous " << m.name << "(); completion signature void(alicloud::result<" << op.response_type << ">).\n";
    o << "  template <class CompletionToken>\n";
    o << "  auto " << m.async_name << "(" << op.request_type << " request, CompletionToken&& token) const {\n";
    o << "    return async_call<" << op.name << ">(std::move(request), std::forward<CompletionToken>(token));\n  }\n";
    if (op.paging) {
      const std::string traits = "::alicloud::page_traits<" + op.name + ">";
      o << "  /// " << op.name << " page by page, lazily: `for (auto& page : c." << m.pages << "(req))`; each page is one call.\n";
      o << "  ::alicloud::page_range<" << op.name << "> " << m.pages << "(" << op.request_type
        << " request, ::alicloud::page_options options = {}) const {\n";
      o << "    return pages<" << op.name << ">(std::move(request), options);\n  }\n";
      o << "  /// The items of every page of " << op.name << ", lazily and in order.\n";
      o << "  ::alicloud::item_range<" << op.name << "> " << m.items << "(" << op.request_type
        << " request, ::alicloud::page_options options = {}) const {\n";
      o << "    return items<" << op.name << ">(std::move(request), options);\n  }\n";
      o << "  /// Every item of the listing: the first page, then the rest concurrently (alicloud::fetch_all).\n";
      o << "  ::alicloud::result<" << traits << "::items_type> " << m.all << "(" << op.request_type
        << " request, const ::alicloud::fetch_all_options& options = {}) const {\n";
      o << "    return fetch_all<" << op.name << ">(std::move(request), options);\n  }\n";
    }
  }
  o << "};\n\n}  // namespace " << ns << "\n";
  return o.str();
}

}  // namespace gen
