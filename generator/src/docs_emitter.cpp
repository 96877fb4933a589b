// Emits Markdown reference pages: one per operation plus an index, from the same IR as the
// headers, so the docs cannot drift from the code.

#include <map>
#include <sstream>

#include "ir.hpp"
#include "names.hpp"

namespace gen {
namespace {

std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "<br>";
    else if (c == '|') out += "\\|";
    else out += c;
  }
  return out;
}

std::string type_text(const type_ref& t) {
  switch (t.k) {
    case kind::string: return "string";
    case kind::int32: return "int32";
    case kind::int64: return "int64";
    case kind::number: return "double";
    case kind::boolean: return "bool";
    case kind::any: return "any (JSON)";
    case kind::utc_time: return "utc_time";
    case kind::enumeration: return "enum `" + t.name + "`";
    case kind::structure: return "`" + t.name + "`";
    case kind::array: return "array of " + type_text(*t.element);
    case kind::map: return "map of string to " + type_text(*t.element);
  }
  return "any";
}

struct docs {
  const product& p;
  std::vector<client_method> methods = client_methods(p);
  std::map<std::string, const struct_def*> structs;
  std::map<std::string, const enum_def*> enums;

  explicit docs(const product& prod) : p(prod) {
    for (const auto& s : p.components.structs) structs[s.name] = &s;
    for (const auto& e : p.components.enums) enums[e.name] = &e;
    for (const auto& op : p.operations) {
      for (const auto& s : op.types.structs) structs[s.name] = &s;
      for (const auto& e : op.types.enums) enums[e.name] = &e;
    }
  }

  std::string constraints_text(const field& f) {
    std::vector<std::string> parts;
    const auto& c = f.rules;
    if (c.minimum) parts.push_back(std::string(c.exclusive_minimum ? "> " : ">= ") + *c.minimum);
    if (c.maximum) parts.push_back("<= " + *c.maximum);
    if (c.min_length) parts.push_back("length >= " + std::to_string(*c.min_length));
    if (c.max_length) parts.push_back("length <= " + std::to_string(*c.max_length));
    if (c.min_items) parts.push_back("items >= " + std::to_string(*c.min_items));
    if (c.max_items) parts.push_back("items <= " + std::to_string(*c.max_items));
    if (c.pattern) parts.push_back("pattern `" + *c.pattern + "`");
    if (c.default_value) parts.push_back("default " + *c.default_value);
    if (f.type.k == kind::enumeration)
      if (auto it = enums.find(f.type.name); it != enums.end()) {
        std::string v = "one of ";
        for (std::size_t i = 0; i < it->second->values.size(); ++i) v += (i ? ", " : "") + ("`" + it->second->values[i] + "`");
        parts.push_back(v);
      }
    if (f.type.k == kind::utc_time) parts.push_back("`yyyy-MM-ddTHH:mm:ssZ`");
    std::string s;
    for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? "; " : "") + parts[i];
    return s;
  }

  void fields_table(std::ostringstream& o, const struct_def& s, const std::string& prefix, bool request, int depth,
                    std::set<std::string>& seen) {
    if (!seen.insert(s.name).second || depth > 6) return;  // recursive schemas are listed once
    for (const auto& f : s.fields) {
      std::string name = prefix + f.wire;
      o << "| `" << name << "` | " << type_text(f.type) << " | ";
      if (request) o << (f.required ? "yes" : "no") << " | " << md_cell(f.in + (f.style.empty() ? "" : ", " + f.style)) << " | ";
      o << md_cell(constraints_text(f)) << " | " << md_cell(f.description) << " |\n";
      const type_ref* t = &f.type;
      std::string sub = name;
      while (t->is_container()) {
        sub += t->k == kind::array ? "[]" : "{}";
        t = t->element.get();
      }
      if (t->k == kind::structure)
        if (auto it = structs.find(t->name); it != structs.end()) fields_table(o, *it->second, sub + ".", request, depth + 1, seen);
    }
    seen.erase(s.name);
  }

  std::string page(const operation& op) {
    std::ostringstream o;
    o << "<!-- " << banner_line() << " -->\n";
    o << "# " << op.name << "\n\n";
    if (!op.summary.empty()) o << op.summary << "\n\n";
    if (!op.description.empty() && op.description != op.summary) o << op.description << "\n\n";
    o << "| | |\n|---|---|\n";
    o << "| Product / version | " << p.name << " " << p.version << " (" << p.style << ") |\n";
    o << "| HTTP method | " << op.method << " |\n";
    o << "| Idempotent (retried freely) | " << (op.idempotent ? "yes" : "no") << " |\n";
    o << "| Header | `#include <alicloud/" << p.code << "/" << op.file_stem << ".hpp>` |\n";
    {
      const auto& m = methods.at(static_cast<std::size_t>(&op - p.operations.data()));
      o << "| Client method | `alicloud::" << p.code << "::client::" << m.name << "(request)`, `" << m.async_name
        << "(request, token)` |\n";
    }
    o << "| Types | `alicloud::" << p.code << "::" << op.request_type << "`, `alicloud::" << p.code << "::" << op.response_type
      << "`, traits `alicloud::" << p.code << "::" << op.name << "` |\n";
    if (op.paging)
      o << "| Pagination | page `" << op.paging->page_number << "`, size `" << op.paging->page_size << "`, total `"
        << op.paging->total_count << "`, items `" << op.paging->items << "` |\n";
    if (op.deprecated) o << "| Deprecated | yes |\n";
    o << "\n";
    for (const auto& r : op.ram) {
      o << "RAM action `" << r.action << "` (access level " << r.access_level << ")";
      for (const auto& res : r.resources) o << ", resource `" << res << "`";
      o << ".\n\n";
    }
    std::set<std::string> seen;
    o << "## Request parameters\n\n";
    o << "| Name | Type | Required | Sent in | Rules | Description |\n|---|---|---|---|---|---|\n";
    fields_table(o, *structs.at(op.request_type), "", true, 0, seen);
    if (!op.rules.empty()) {
      o << "\nCross-field rules (from the overlay):\n\n";
      for (const auto& r : op.rules) {
        o << "- ";
        std::string fl;
        for (std::size_t i = 0; i < r.fields.size(); ++i) fl += (i ? ", " : "") + ("`" + r.fields[i] + "`");
        if (r.kind == "together") o << fl << ": give all or none";
        else if (r.kind == "after") o << fl << " must be later than `" << r.other << "`";
        else o << fl << " must not be older than " << r.seconds << " s";
        o << " (`" << r.error_code << "`)\n";
      }
    }
    o << "\n## Response\n\n| Name | Type | Rules | Description |\n|---|---|---|---|\n";
    fields_table(o, *structs.at(op.response_type), "", false, 0, seen);
    if (!op.errors.empty()) {
      o << "\n## Error codes\n\n| HTTP status | Code | Message |\n|---|---|---|\n";
      for (const auto& e : op.errors)
        o << "| " << e.http_status << " | `" << e.code << "` | " << md_cell(e.message) << " |\n";
    }
    if (!op.response_demo.empty()) o << "\n## Example response\n\n```json\n" << op.response_demo << "\n```\n";
    return o.str();
  }

  std::string banner_line() const {
    return "Generated by alicloud-gen from " + p.spec_file + (p.overlay_file.empty() ? "" : " + " + p.overlay_file) +
           ". Do not edit: regenerate with scripts/regenerate.sh.";
  }

  std::string index() {
    std::ostringstream o;
    o << "<!-- " << banner_line() << " -->\n";
    o << "# " << p.name << " " << p.version << " API reference\n\n";
    o << "Umbrella header: `#include <alicloud/" << p.code << ".hpp>`; namespace `alicloud::" << p.code << "`.\n\n";
    o << "Client: `#include <alicloud/" << p.code << "/client.hpp>`; class `alicloud::" << p.code
      << "::client` with one method per operation and an `async_` twin taking any Asio completion token.\n\n";
    o << "| Operation | Method | Summary |\n|---|---|---|\n";
    for (const auto& op : p.operations)
      o << "| [" << op.name << "](" << op.name << ".md) | " << op.method << " | " << md_cell(op.summary) << " |\n";
    if (!p.endpoints.empty()) {
      o << "\n## Endpoints\n\n| Region | Endpoint |\n|---|---|\n";
      for (const auto& [r, e] : p.endpoints) o << "| " << r << " | " << e << " |\n";
    }
    return o.str();
  }
};

}  // namespace

std::vector<output_file> emit_docs(const product& p) {
  docs d(p);
  std::vector<output_file> files;
  std::string dir = "api/" + p.code + "/";
  files.push_back({dir + "README.md", d.index()});
  for (const auto& op : p.operations) files.push_back({dir + op.name + ".md", d.page(op)});
  return files;
}

}  // namespace gen
