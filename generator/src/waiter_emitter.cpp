// Emits <alicloud/<product>/waiters.hpp> from the overlay's waiters: one function per waiter that tracks
// the tasks a call created by polling another operation. The logic lives in alicloud/core/waiter.hpp;
// this only wires the product's members into it, so the output stays small and reviewable.

#include <set>
#include <sstream>

#include "ir.hpp"
#include "names.hpp"

namespace gen {
namespace {

std::string literal(const waiter_assignment& a, const std::string& ns) {
  switch (a.type.k) {
    case kind::string: return "std::string(\"" + escape_literal(a.value) + "\")";
    case kind::enumeration: return ns + a.type.name + "(\"" + escape_literal(a.value) + "\")";
    case kind::int32: return "std::int32_t{" + a.value + "}";
    case kind::int64: return "std::int64_t{" + a.value + "}";
    default: return a.value;  // boolean: true / false
  }
}

std::string list_text(const std::vector<std::string>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

void emit_waiter(std::ostream& o, const product& p, const waiter_def& w) {
  const std::string ns = "::alicloud::" + p.code + "::";
  const std::string item = w.item_type;
  const std::string fn = "wait_" + w.name;

  // Doc comment: what it polls and how it decides, so users need not read the overlay.
  std::ostringstream doc;
  if (!w.description.empty()) doc << w.description << "\n\n";
  doc << "After a " << w.operation << " call, polls " << w.poll << " until the task of "
      << (w.for_each.empty() ? "the call" : "every element of request." + w.for_each) << " succeeded or failed.\n";
  doc << "Poll request:";
  for (std::size_t i = 0; i < w.assignments.size(); ++i) {
    const auto& a = w.assignments[i];
    doc << (i ? "," : "") << " " << a.target << " = ";
    if (a.source == "each") doc << "the element";
    else if (a.source == "value") doc << a.value;
    else doc << a.source << "." << a.member;
  }
  doc << (w.assignments.empty() ? " defaults.\n" : ".\n");
  if (!w.id.empty())
    doc << "Tracks the listed task whose " << w.id << " is in response." << w.response_ids << " (a \"" << w.separator
        << "\"-separated list)" << (w.newest.empty() ? "" : ", or, when the response names none, the newest by " + w.newest)
        << ".\n";
  else if (!w.newest.empty())
    doc << "Tracks the newest listed task by " << w.newest << ".\n";
  else
    doc << "Tracks the first listed task.\n";
  doc << w.status << ": success " << list_text(w.success);
  if (!w.failure.empty()) doc << "; failure " << list_text(w.failure);
  if (!w.pending.empty()) doc << "; pending " << list_text(w.pending);
  doc << " (any other value counts as pending).";
  if (!w.progress.empty()) doc << " Progress from " << w.progress << ".";
  doc << "\n\n";
  doc << "`fetch` sends one " << w.poll << " request (e.g. a lambda over the client). Returns one tracked_task\n"
      << "per element, in order, once every task finished; a failed task is an outcome, not an error. Errors:\n"
      << "errc::timeout, errc::cancelled, or the fetch's own error (see alicloud::wait_until).";
  std::istringstream lines(doc.str());
  for (std::string line; std::getline(lines, line);) o << (line.empty() ? "///\n" : "/// " + line + "\n");

  o << "inline ::alicloud::result<::alicloud::task_list<" << item << ">> " << fn << "(\n"
    << "    const ::alicloud::page_fetcher<" << w.poll << ">& fetch, [[maybe_unused]] const " << w.operation_request
    << "& request,\n"
    << "    [[maybe_unused]] const " << w.operation_response << "& response, ::alicloud::wait_options options = {},\n"
    << "    ::alicloud::task_progress_callback<" << item << "> on_progress = {}) {\n";
  o << "  if (options.what.empty()) options.what = \"the tasks of " << w.operation << " (" << escape_literal(fn) << ")\";\n";
  o << "  std::vector<std::string> targets;\n";
  if (w.for_each.empty()) {
    o << "  targets.emplace_back();\n";
  } else {
    o << "  for (const auto& each : ::alicloud::elements_of(request." << w.for_each << ")) targets.push_back(each);\n";
  }
  if (w.response_ids.empty())
    o << "  const std::vector<std::string> ids;\n";
  else
    o << "  const std::vector<std::string> ids = ::alicloud::split_list(::alicloud::field_text(response." << w.response_ids
      << "), '" << escape_literal(w.separator) << "');\n";
  auto accessor = [&](const char* name, const std::string& member) {
    o << "  auto " << name << " = [](const " << item << "&" << (member.empty() ? "" : " t") << ") { return "
      << (member.empty() ? "std::string()" : "::alicloud::field_text(t." + member + ")") << "; };\n";
  };
  accessor("id_of", w.id);
  accessor("order_of", w.newest);
  o << "  ::alicloud::task_watch<" << item << "> watch;\n";
  o << "  watch.lookup = [&]([[maybe_unused]] const std::string& each) -> ::alicloud::result<std::optional<" << item
    << ">> {\n";
  o << "    " << w.poll_request << " poll{};\n";
  for (const auto& a : w.assignments) {
    if (a.source == "each")
      o << "    ::alicloud::assign_field(poll." << a.target << ", each);\n";
    else if (a.source == "value")
      o << "    ::alicloud::assign_field(poll." << a.target << ", " << literal(a, ns) << ");\n";
    else
      o << "    ::alicloud::assign_field(poll." << a.target << ", " << a.source << "." << a.member << ");\n";
  }
  if (w.poll_paginated) {
    o << "    return ::alicloud::find_listed_task<" << w.poll << ">(fetch, std::move(poll), ids, id_of, order_of);\n";
  } else {
    o << "    auto page = fetch(poll);\n"
      << "    if (!page) return std::move(page).error();\n"
      << "    return ::alicloud::select_task(::alicloud::elements_of(page->" << w.items << "), ids, id_of, order_of);\n";
  }
  o << "  };\n";
  o << "  watch.classify = [](const " << item << "& t) {\n";
  o << "    const std::string s = ::alicloud::field_text(t." << w.status << ");\n";
  for (const auto& v : w.success) o << "    if (s == \"" << escape_literal(v) << "\") return ::alicloud::task_state::succeeded;\n";
  for (const auto& v : w.failure) o << "    if (s == \"" << escape_literal(v) << "\") return ::alicloud::task_state::failed;\n";
  o << "    return ::alicloud::task_state::pending;\n  };\n";
  if (!w.progress.empty())
    o << "  watch.percent = [](const " << item << "& t) { return ::alicloud::parse_percent(::alicloud::field_text(t."
      << w.progress << ")); };\n";
  o << "  return ::alicloud::wait_for_tasks<" << item << ">(std::move(targets), std::move(watch), options, std::move(on_progress));\n";
  o << "}\n\n";
}

}  // namespace

std::vector<output_file> emit_waiters(const product& p, const std::string& banner) {
  if (p.waiters.empty()) return {};
  std::ostringstream o;
  o << banner << "#pragma once\n"
    << "// Waiters: block until the server-side tasks a call started have finished, by polling another\n"
    << "// operation. Built on alicloud/core/waiter.hpp; defined by the overlay's \"waiters\" entries.\n"
    << "// Not part of the umbrella header (it brings in threads and the pagination helpers).\n\n";
  o << "#include <alicloud/core/pagination.hpp>\n#include <alicloud/core/waiter.hpp>\n";
  std::set<std::string> stems;
  for (const auto& w : p.waiters) {
    stems.insert(w.operation_file_stem);
    stems.insert(w.poll_file_stem);
  }
  for (const auto& s : stems) o << "#include <alicloud/" << p.code << "/" << s << ".hpp>\n";
  o << "\n#include <cstdint>\n#include <optional>\n#include <string>\n#include <utility>\n#include <vector>\n\n";
  o << "namespace alicloud::" << p.code << " {\n\n";
  for (const auto& w : p.waiters) emit_waiter(o, p, w);
  o << "}  // namespace alicloud::" << p.code << "\n";
  return {{"alicloud/" + p.code + "/waiters.hpp", o.str()}};
}

}  // namespace gen
