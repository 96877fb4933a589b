// Reads api-docs.json (+ overlay), applies the overlay, and resolves every schema to a C++ type.
// Every error names the file, the JSON path and the problem; nothing is written by the loader.

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

#include "ir.hpp"
#include "names.hpp"

namespace json = boost::json;

namespace gen {
namespace {

json::value read_json(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw spec_error(file, "$", "cannot open file for reading");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json::parse_options po;
  po.max_depth = 256;  // vendor WAF schemas nest deeply
  json::stream_parser p({}, po);
  json::error_code ec;
  std::size_t consumed = p.write_some(text.data(), text.size(), ec);
  if (!ec) p.finish(ec);
  if (ec) {
    std::size_t line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(std::min(consumed, text.size())), '\n'));
    throw spec_error(file, "$", "invalid JSON near line " + std::to_string(line) + ": " + ec.message());
  }
  return p.release();
}

std::string str_or(const json::object& o, std::string_view key, std::string fallback = {}) {
  if (auto* v = o.if_contains(key))
    if (v->is_string()) return std::string(v->as_string());
  return fallback;
}

std::string scalar_text(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_uint64()) return std::to_string(v.as_uint64());
  if (v.is_double()) return json::serialize(v);
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  return {};
}

bool truthy(const json::value* v) {
  if (!v) return false;
  if (v->is_bool()) return v->as_bool();
  if (v->is_string()) return v->as_string() == "true";
  return false;
}

struct loader {
  std::string spec_file, overlay_file;
  json::object root;
  json::object overlay;
  product out;
  std::set<std::string> names;  // every type name in the product namespace
  // Component resolution state: name -> resolved type (or in progress).
  std::map<std::string, type_ref> component_types;
  std::set<std::string> components_in_progress;
  std::vector<struct_def> component_structs;
  std::vector<enum_def> component_enums;
  // Overlay waiters, resolved once every operation is loaded (they refer to other operations).
  struct pending_waiter {
    std::string operation;  // spec name
    json::object def;
    std::string path;
  };
  std::vector<pending_waiter> pending_waiters;

  [[noreturn]] void fail(const std::string& path, const std::string& what) const { throw spec_error(spec_file, path, what); }
  [[noreturn]] void fail_overlay(const std::string& path, const std::string& what) const {
    throw spec_error(overlay_file, path, what);
  }

  const json::object& obj(const json::value& v, const std::string& path) const {
    if (!v.is_object()) fail(path, "expected an object");
    return v.as_object();
  }

  std::optional<std::uint64_t> count_limit(const json::object& s, std::string_view key, const std::string& path) const {
    auto* v = s.if_contains(key);
    if (!v) return std::nullopt;
    std::string t = scalar_text(*v);
    if (t.empty()) return std::nullopt;
    std::uint64_t n = 0;
    auto r = std::from_chars(t.data(), t.data() + t.size(), n);
    if (r.ec != std::errc() || r.ptr != t.data() + t.size())
      fail(path + "." + std::string(key), "expected a non-negative integer, got \"" + t + "\"");
    return n;
  }

  std::optional<std::string> number_limit(const json::object& s, std::string_view key, kind k, const std::string& path) const {
    auto* v = s.if_contains(key);
    if (!v) return std::nullopt;
    std::string t = scalar_text(*v);
    if (t.empty()) return std::nullopt;
    std::string where = path + "." + std::string(key);
    if (k == kind::int32 || k == kind::int64) {
      std::int64_t n = 0;
      auto r = std::from_chars(t.data(), t.data() + t.size(), n);
      if (r.ec != std::errc() || r.ptr != t.data() + t.size()) fail(where, "expected an integer, got \"" + t + "\"");
      if (k == kind::int32 && (n < INT32_MIN || n > INT32_MAX)) fail(where, "value " + t + " does not fit int32");
      return std::to_string(n);
    }
    double d = 0;
    auto r = std::from_chars(t.data(), t.data() + t.size(), d);
    if (r.ec != std::errc() || r.ptr != t.data() + t.size()) fail(where, "expected a number, got \"" + t + "\"");
    return t;
  }

  enum_def make_enum(const std::string& name_hint, const json::object& s, const std::string& path) {
    enum_def e;
    e.name = unique_name(to_identifier(name_hint), names);
    e.description = comment_text(str_or(s, "description"));
    std::set<std::string> taken{"value", "is_known", "known_values", "open_enum", e.name};
    const auto& values = s.at("enum");
    if (!values.is_array()) fail(path + ".enum", "expected an array");
    std::set<std::string> seen;
    for (const auto& v : values.as_array()) {
      std::string text = scalar_text(v);
      if (!seen.insert(text).second) continue;  // duplicates in vendor files are harmless
      e.values.push_back(text);
      e.constants.push_back(unique_name(to_identifier(text), taken));
    }
    if (auto* t = s.if_contains("enumValueTitles"); t && t->is_object())
      for (const auto& [k, v] : t->as_object()) e.titles[std::string(k)] = comment_text(scalar_text(v));
    return e;
  }

  // Resolves a schema to a type. New struct/enum definitions are appended to `out` in dependency
  // order (children first). `request_side` makes `required` meaningful.
  type_ref resolve(const json::value& sv, const std::string& path, const std::string& name_hint, bool request_side,
                   type_set& out_types, bool& uses_components) {
    const auto& s = obj(sv, path);
    if (auto* ref = s.if_contains("$ref")) {
      if (!ref->is_string()) fail(path + ".$ref", "expected a string");
      uses_components = true;
      return resolve_component(std::string(ref->as_string()), path + ".$ref");
    }
    std::string type = str_or(s, "type");
    std::string format = str_or(s, "format");
    type_ref t;
    if (type == "string") {
      if (format == "utc-datetime") {
        t.k = kind::utc_time;
      } else if (auto* en = s.if_contains("enum"); en && en->is_array() && !en->as_array().empty()) {
        out_types.enums.push_back(make_enum(name_hint, s, path));
        t.k = kind::enumeration;
        t.name = out_types.enums.back().name;
      } else {
        t.k = kind::string;
      }
    } else if (type == "integer") {
      if (format == "int32") t.k = kind::int32;
      else if (format.empty() || format == "int64") t.k = kind::int64;
      else fail(path + ".format", "unknown integer format \"" + format + "\"");
    } else if (type == "number") {
      if (!format.empty() && format != "float" && format != "double" && format != "int64" && format != "int32")
        fail(path + ".format", "unknown number format \"" + format + "\"");
      t.k = kind::number;
    } else if (type == "boolean") {
      t.k = kind::boolean;
    } else if (type == "any" || type.empty()) {
      t.k = kind::any;
    } else if (type == "array") {
      auto* items = s.if_contains("items");
      if (!items) fail(path, "array without \"items\"");
      t.k = kind::array;
      t.element = std::make_shared<type_ref>(
          resolve(*items, path + ".items", name_hint + "Item", request_side, out_types, uses_components));
    } else if (type == "object") {
      auto* props = s.if_contains("properties");
      auto* extra = s.if_contains("additionalProperties");
      if (props && props->is_object() && !props->as_object().empty()) {
        t.k = kind::structure;
        t.name = unique_name(to_identifier(name_hint), names);
        struct_def def = build_struct(t.name, s, path, request_side, out_types, uses_components);
        out_types.structs.push_back(std::move(def));
      } else if (extra && extra->is_object()) {
        t.k = kind::map;
        t.element = std::make_shared<type_ref>(resolve(*extra, path + ".additionalProperties", name_hint + "Value",
                                                       request_side, out_types, uses_components));
      } else {
        t.k = kind::any;  // free-form object
      }
    } else {
      fail(path + ".type", "unknown type \"" + type + "\"");
    }
    return t;
  }

  struct_def build_struct(const std::string& name, const json::object& s, const std::string& path, bool request_side,
                          type_set& out_types, bool& uses_components) {
    struct_def def;
    def.name = name;
    def.description = comment_text(str_or(s, "description", str_or(s, "title")));
    def.request_side = request_side;
    def.origin = path;
    const auto& props = obj(s.at("properties"), path + ".properties");
    std::set<std::string> members;
    // Object keys keep spec order; that is also the wire order we emit.
    for (const auto& [key, pv] : props) {
      std::string ppath = path + ".properties." + std::string(key);
      field f;
      f.wire = std::string(key);
      f.member = unique_name(to_identifier(f.wire), members);
      const auto& ps = obj(pv, ppath);
      f.description = comment_text(str_or(ps, "description", str_or(ps, "title")));
      f.required = request_side && truthy(ps.if_contains("required"));
      f.type = resolve(pv, ppath, name + f.member, request_side, out_types, uses_components);
      read_rules(f, ps, ppath);
      def.fields.push_back(std::move(f));
    }
    return def;
  }

  void read_rules(field& f, const json::object& s, const std::string& path) {
    kind k = f.type.k;
    constraints& c = f.rules;
    if (k == kind::int32 || k == kind::int64 || k == kind::number) {
      c.minimum = number_limit(s, "minimum", k, path);
      c.maximum = number_limit(s, "maximum", k, path);
      c.exclusive_minimum = truthy(s.if_contains("exclusiveMinimum"));
      c.exclusive_maximum = truthy(s.if_contains("exclusiveMaximum"));
    }
    if (k == kind::string || k == kind::enumeration) {
      c.min_length = count_limit(s, "minLength", path);
      c.max_length = count_limit(s, "maxLength", path);
      if (auto p = str_or(s, "pattern"); !p.empty()) {
        // The validator compiles patterns with std::regex (ECMAScript); one it cannot compile is
        // dropped here rather than throwing at a user's call site.
        try {
          std::regex re(p, std::regex::ECMAScript);
          c.pattern = p;
        } catch (const std::regex_error&) {
        }
      }
    }
    if (k == kind::array) {
      c.min_items = count_limit(s, "minItems", path);
      c.max_items = count_limit(s, "maxItems", path);
    }
    if (auto* d = s.if_contains("default")) {
      std::string t = scalar_text(*d);
      if (!t.empty()) c.default_value = t;
    }
    if (auto* e = s.if_contains("example")) {
      std::string t = scalar_text(*e);
      if (!t.empty()) c.example = t;
    }
    if (auto fmt = str_or(s, "format"); !fmt.empty()) c.format = fmt;
  }

  type_ref resolve_component(const std::string& ref, const std::string& path) {
    const std::string prefix = "#/components/schemas/";
    if (ref.rfind(prefix, 0) != 0) fail(path, "unsupported $ref \"" + ref + "\" (only " + prefix + "<Name>)");
    std::string cname = ref.substr(prefix.size());
    if (auto it = component_types.find(cname); it != component_types.end()) return it->second;
    const json::value* schemas = nullptr;
    if (auto* comps = root.if_contains("components"); comps && comps->is_object())
      schemas = comps->as_object().if_contains("schemas");
    const json::value* target = (schemas && schemas->is_object()) ? schemas->as_object().if_contains(cname) : nullptr;
    if (!target) fail(path, "dangling $ref \"" + ref + "\": no such schema in components.schemas");
    std::string cpath = "$.components.schemas." + cname;
    const auto& s = obj(*target, cpath);
    auto* props = s.if_contains("properties");
    if (str_or(s, "type") == "object" && props && props->is_object() && !props->as_object().empty()) {
      // Register first so self-references (through arrays) resolve to the struct being built.
      type_ref t{kind::structure, unique_name(to_identifier(cname), names), nullptr};
      component_types[cname] = t;
      type_set local;
      bool dummy = false;
      struct_def def = build_struct(t.name, s, cpath, /*request_side=*/true, local, dummy);
      for (auto& e : local.enums) component_enums.push_back(std::move(e));
      for (auto& st : local.structs) component_structs.push_back(std::move(st));
      component_structs.push_back(std::move(def));
      return t;
    }
    if (components_in_progress.count(cname)) fail(cpath, "schema refers to itself without an object in between");
    components_in_progress.insert(cname);
    type_set local;
    bool dummy = false;
    type_ref t = resolve(*target, cpath, cname, true, local, dummy);
    for (auto& e : local.enums) component_enums.push_back(std::move(e));
    for (auto& st : local.structs) component_structs.push_back(std::move(st));
    components_in_progress.erase(cname);
    component_types[cname] = t;
    return t;
  }

  // ---- overlay ----

  static std::vector<std::string> split_path(const std::string& p) {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : p) {
      if (c == '.') {
        parts.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    parts.push_back(cur);
    return parts;
  }

  // Walks `segments` (each "Name" or "Name[]") from a schema; returns the schema object to patch.
  json::object* descend(json::object* schema, const std::vector<std::string>& segments, std::size_t from,
                        const std::string& opath) {
    for (std::size_t i = from; i < segments.size(); ++i) {
      std::string seg = segments[i];
      int arrays = 0;
      while (seg.size() > 2 && seg.compare(seg.size() - 2, 2, "[]") == 0) {
        seg.resize(seg.size() - 2);
        ++arrays;
      }
      auto* props = schema->if_contains("properties");
      auto* next = (props && props->is_object()) ? props->as_object().if_contains(seg) : nullptr;
      if (!next || !next->is_object()) fail_overlay(opath, "no property \"" + seg + "\" at this path in the spec");
      schema = &next->as_object();
      for (int a = 0; a < arrays; ++a) {
        auto* items = schema->if_contains("items");
        if (!items || !items->is_object()) fail_overlay(opath, "\"" + seg + "\" is not an array");
        schema = &items->as_object();
      }
    }
    return schema;
  }

  static void patch(json::object& target, const json::object& with) {
    for (const auto& [k, v] : with)
      if (!k.starts_with("_")) target[k] = v;
  }

  void apply_overlay_operation(const std::string& op_name, json::object& api, const json::object& ov,
                               operation& op) {
    std::string base = "$.operations." + op_name;
    for (const auto& [key, v] : ov) {
      std::string k(key);
      std::string opath = base + "." + k;
      if (k.rfind("_", 0) == 0) continue;
      if (k == "idempotent") {
        if (!v.is_bool()) fail_overlay(opath, "expected true or false");
        op.idempotent = v.as_bool();
      } else if (k == "parameters") {
        if (!v.is_object()) fail_overlay(opath, "expected an object");
        for (const auto& [pkey, pv] : v.as_object()) {
          std::string ppath = opath + "." + std::string(pkey);
          if (!pv.is_object()) fail_overlay(ppath, "expected an object of schema keys");
          auto segs = split_path(std::string(pkey));
          // The first segment names a parameter; "[]" suffixes step into array items.
          int arrays = 0;
          while (segs[0].size() > 2 && segs[0].compare(segs[0].size() - 2, 2, "[]") == 0) {
            segs[0].resize(segs[0].size() - 2);
            ++arrays;
          }
          json::object* schema = nullptr;
          if (auto* params = api.if_contains("parameters"); params && params->is_array()) {
            for (auto& p : params->as_array()) {
              if (p.is_object() && str_or(p.as_object(), "name") == segs[0]) {
                auto* sc = p.as_object().if_contains("schema");
                if (sc && sc->is_object()) schema = &sc->as_object();
              }
            }
          }
          if (!schema) fail_overlay(ppath, "operation has no parameter \"" + segs[0] + "\"");
          for (int a = 0; a < arrays; ++a) {
            auto* items = schema->if_contains("items");
            if (!items || !items->is_object()) fail_overlay(ppath, "\"" + segs[0] + "\" is not an array");
            schema = &items->as_object();
          }
          patch(*descend(schema, segs, 1, ppath), pv.as_object());
        }
      } else if (k == "responseProperties") {
        if (!v.is_object()) fail_overlay(opath, "expected an object");
        json::object* schema = nullptr;
        if (auto* rs = api.if_contains("responses"); rs && rs->is_object())
          if (auto* ok = rs->as_object().if_contains("200"); ok && ok->is_object())
            if (auto* sc = ok->as_object().if_contains("schema"); sc && sc->is_object()) schema = &sc->as_object();
        if (!schema) fail_overlay(opath, "operation has no 200 response schema");
        for (const auto& [pkey, pv] : v.as_object()) {
          std::string ppath = opath + "." + std::string(pkey);
          if (!pv.is_object()) fail_overlay(ppath, "expected an object of schema keys");
          patch(*descend(schema, split_path(std::string(pkey)), 0, ppath), pv.as_object());
        }
      } else if (k == "rules") {
        if (!v.is_array()) fail_overlay(opath, "expected an array");
        std::size_t i = 0;
        for (const auto& rv : v.as_array()) {
          std::string rpath = opath + "[" + std::to_string(i++) + "]";
          if (!rv.is_object()) fail_overlay(rpath, "expected an object");
          const auto& ro = rv.as_object();
          rule r;
          r.kind = str_or(ro, "rule");
          r.error_code = str_or(ro, "errorCode");
          r.other = str_or(ro, "other");
          if (auto f = str_or(ro, "field"); !f.empty()) r.fields.push_back(f);
          if (auto* fs = ro.if_contains("fields"); fs && fs->is_array())
            for (const auto& f : fs->as_array()) r.fields.push_back(scalar_text(f));
          if (auto* sec = ro.if_contains("seconds"); sec && sec->is_int64()) r.seconds = sec->as_int64();
          if (r.kind != "together" && r.kind != "after" && r.kind != "notOlderThan")
            fail_overlay(rpath + ".rule", "unknown rule \"" + r.kind + "\" (together, after, notOlderThan)");
          if (r.fields.empty()) fail_overlay(rpath, "rule names no fields");
          if (r.kind == "after" && r.other.empty()) fail_overlay(rpath, "\"after\" needs \"other\"");
          if (r.kind == "notOlderThan" && r.seconds <= 0) fail_overlay(rpath, "\"notOlderThan\" needs positive \"seconds\"");
          op.rules.push_back(std::move(r));
        }
      } else if (k == "pagination") {
        if (!v.is_object()) fail_overlay(opath, "expected an object");
        const auto& po = v.as_object();
        pagination pg{str_or(po, "pageNumber"), str_or(po, "pageSize"), str_or(po, "totalCount"), str_or(po, "items")};
        if (pg.page_number.empty() || pg.page_size.empty() || pg.total_count.empty() || pg.items.empty())
          fail_overlay(opath, "needs pageNumber, pageSize, totalCount and items");
        op.paging = pg;
      } else if (k == "waiters") {
        if (!v.is_array()) fail_overlay(opath, "expected an array of waiter objects");
        std::size_t i = 0;
        for (const auto& w : v.as_array()) {
          std::string wpath = opath + "[" + std::to_string(i++) + "]";
          if (!w.is_object()) fail_overlay(wpath, "expected an object");
          pending_waiters.push_back({op_name, w.as_object(), wpath});
        }
      } else {
        fail_overlay(opath, "unknown overlay key \"" + k + "\"");
      }
    }
  }

  // ---- operations ----

  static const char* in_known(const std::string& in) {
    for (const char* k : {"query", "formData", "body", "header", "path", "host"})
      if (in == k) return k;
    return nullptr;
  }
  static const char* style_known(const std::string& st) {
    for (const char* k : {"json", "repeatList", "flat", "simple", "spaceDelimited", "pipeDelimited", "xml"})
      if (st == k) return k;
    return nullptr;
  }

  const field* find_field(const struct_def& s, const std::string& wire) const {
    for (const auto& f : s.fields)
      if (f.wire == wire) return &f;
    return nullptr;
  }

  void check_rules(const operation& op, const struct_def& req, const struct_def& resp) {
    std::string base = "$.operations." + op.name;
    for (std::size_t i = 0; i < op.rules.size(); ++i) {
      const auto& r = op.rules[i];
      std::string rpath = base + ".rules[" + std::to_string(i) + "]";
      std::vector<std::string> all = r.fields;
      if (!r.other.empty()) all.push_back(r.other);
      for (const auto& name : all) {
        const field* f = find_field(req, name);
        if (!f) fail_overlay(rpath, "request has no parameter \"" + name + "\"");
        if (f->required && r.kind == "together") fail_overlay(rpath, "\"" + name + "\" is required; \"together\" needs optional fields");
        if ((r.kind == "after" || r.kind == "notOlderThan") && f->type.k != kind::utc_time)
          fail_overlay(rpath, "\"" + name + "\" must have format utc-datetime for rule \"" + r.kind + "\"");
      }
    }
    if (op.paging) {
      std::string ppath = base + ".pagination";
      auto need_int = [&](const struct_def& s, const std::string& n, const char* what) {
        const field* f = find_field(s, n);
        if (!f || (f->type.k != kind::int32 && f->type.k != kind::int64))
          fail_overlay(ppath, std::string(what) + " \"" + n + "\" is not an integer member of " + s.name);
      };
      need_int(req, op.paging->page_number, "pageNumber");
      need_int(req, op.paging->page_size, "pageSize");
      need_int(resp, op.paging->total_count, "totalCount");
      const field* items = find_field(resp, op.paging->items);
      if (!items || items->type.k != kind::array) fail_overlay(ppath, "items \"" + op.paging->items + "\" is not an array member of " + resp.name);
    }
  }

  operation load_operation(const std::string& name, json::object api, const json::object* ov) {
    operation op;
    op.name = to_identifier(name);
    std::string path = "$.apis." + name;
    op.title = comment_text(str_or(api, "title"));
    op.summary = comment_text(str_or(api, "summary"));
    op.description = comment_text(str_or(api, "description"));
    op.operation_type = str_or(api, "operationType");
    op.deprecated = truthy(api.if_contains("deprecated"));
    op.idempotent = op.operation_type == "read";
    if (auto* m = api.if_contains("methods"); m && m->is_array())
      for (const auto& x : m->as_array()) op.methods.push_back(scalar_text(x));
    if (auto* sch = api.if_contains("schemes"); sch && sch->is_array())
      for (const auto& x : sch->as_array()) op.schemes.push_back(scalar_text(x));
    if (ov) apply_overlay_operation(name, api, *ov, op);

    names.insert(op.name);
    op.file_stem = to_snake(op.name);
    op.request_type = unique_name(op.name + "Request", names);
    op.response_type = unique_name(op.name + "Response", names);

    // Request: one member per parameter.
    struct_def req;
    req.name = op.request_type;
    req.request_side = true;
    req.description = "Request of " + op.name + ".";
    req.origin = path + ".parameters";
    bool form = false;
    std::set<std::string> members;
    if (auto* params = api.if_contains("parameters")) {
      if (!params->is_array()) fail(path + ".parameters", "expected an array");
      std::size_t i = 0;
      for (const auto& pv : params->as_array()) {
        std::string ppath = path + ".parameters[" + std::to_string(i++) + "]";
        const auto& p = obj(pv, ppath);
        field f;
        f.wire = str_or(p, "name");
        if (f.wire.empty()) fail(ppath + ".name", "parameter without a name");
        f.in = str_or(p, "in", "query");
        if (!in_known(f.in)) fail(ppath + ".in", "unknown parameter location \"" + f.in + "\"");
        form = form || f.in == "formData" || f.in == "body";
        f.style = str_or(p, "style");
        if (!f.style.empty() && !style_known(f.style)) fail(ppath + ".style", "unknown parameter style \"" + f.style + "\"");
        auto* sv = p.if_contains("schema");
        if (!sv) fail(ppath, "parameter without a schema");
        const auto& s = obj(*sv, ppath + ".schema");
        f.member = unique_name(to_identifier(f.wire), members);
        f.description = comment_text(str_or(s, "description", str_or(s, "title")));
        f.required = truthy(s.if_contains("required"));
        f.type = resolve(*sv, ppath + ".schema", req.name + f.member, true, op.types, op.uses_components);
        read_rules(f, s, ppath + ".schema");
        req.fields.push_back(std::move(f));
      }
    }

    // Response: the 200 (or first 2xx) schema.
    struct_def resp;
    resp.name = op.response_type;
    resp.description = "Response of " + op.name + ".";
    if (auto* rs = api.if_contains("responses"); rs && rs->is_object()) {
      const json::value* chosen = nullptr;
      std::string code;
      for (const auto& [k, v] : rs->as_object()) {
        std::string sk(k);
        if (sk.size() == 3 && sk[0] == '2' && (!chosen || sk < code)) {
          chosen = &v;
          code = sk;
        }
      }
      if (chosen && chosen->is_object()) {
        if (auto* sc = chosen->as_object().if_contains("schema")) {
          std::string spath = path + ".responses." + code + ".schema";
          const auto& so = obj(*sc, spath);
          auto* props = so.if_contains("properties");
          if (props && props->is_object() && !props->as_object().empty()) {
            resp = build_struct(resp.name, so, spath, false, op.types, op.uses_components);
            resp.description = "Response of " + op.name + ".";
          }
        }
      }
    }
    check_rules(op, req, resp);
    op.types.structs.push_back(std::move(req));
    op.types.structs.push_back(std::move(resp));

    // Method: a form body needs POST; otherwise the first listed method.
    if (op.methods.empty()) op.methods.push_back("post");
    op.method = form && std::find(op.methods.begin(), op.methods.end(), "post") != op.methods.end() ? "post" : op.methods.front();
    if (form && op.method == "get") op.method = "post";

    if (auto* ec = api.if_contains("errorCodes"); ec && ec->is_object()) {
      for (const auto& [status, list] : ec->as_object()) {
        std::string epath = path + ".errorCodes." + std::string(status);
        int st = 0;
        auto r = std::from_chars(status.data(), status.data() + status.size(), st);
        if (r.ec != std::errc() || r.ptr != status.data() + status.size())
          fail(epath, "HTTP status must be a number");
        if (!list.is_array()) fail(epath, "expected an array");
        for (const auto& e : list.as_array()) {
          if (!e.is_object()) fail(epath, "expected objects");
          error_code c{str_or(e.as_object(), "errorCode"), str_or(e.as_object(), "errorMessage"), st};
          if (c.code.empty()) fail(epath, "error without errorCode");
          op.errors.push_back(std::move(c));
        }
      }
    }
    if (auto* ram = api.if_contains("ramActions"); ram && ram->is_array()) {
      for (const auto& a : ram->as_array()) {
        if (!a.is_object()) continue;
        ram_action ra{str_or(a.as_object(), "action"), str_or(a.as_object(), "accessLevel"), {}};
        if (auto* rt = a.as_object().if_contains("resourceTypes"); rt && rt->is_array())
          for (const auto& r : rt->as_array())
            if (r.is_object()) ra.resources.push_back(str_or(r.as_object(), "arn"));
        op.ram.push_back(std::move(ra));
      }
    }
    if (auto demo = str_or(api, "responseDemo"); !demo.empty()) {
      json::error_code jec;
      auto dv = json::parse(demo, jec);
      if (!jec && dv.is_array())
        for (const auto& d : dv.as_array())
          if (d.is_object() && str_or(d.as_object(), "type") == "json") {
            op.response_demo = str_or(d.as_object(), "example");
            break;
          }
    }
    return op;
  }

  void run(const load_options& opts) {
    spec_file = opts.spec_path;
    overlay_file = opts.overlay_path;
    auto rv = read_json(spec_file);
    if (!rv.is_object()) fail("$", "expected a JSON object at the top level");
    root = std::move(rv.as_object());
    if (!overlay_file.empty()) {
      auto ovv = read_json(overlay_file);
      if (!ovv.is_object()) fail_overlay("$", "expected a JSON object at the top level");
      overlay = std::move(ovv.as_object());
      for (const auto& [k, v] : overlay) {
        (void)v;
        if (k != "product" && k != "operations" && !k.starts_with("_"))
          fail_overlay("$." + std::string(k), "unknown overlay key");
      }
    }
    auto* info = root.if_contains("info");
    if (!info || !info->is_object()) fail("$.info", "missing \"info\" object");
    out.name = str_or(info->as_object(), "product");
    out.version = str_or(info->as_object(), "version");
    out.style = str_or(info->as_object(), "style", "RPC");
    if (out.name.empty()) fail("$.info.product", "missing product code");
    if (out.version.empty()) fail("$.info.version", "missing version");
    if (out.style != "RPC") fail("$.info.style", "only RPC-style products are supported, got \"" + out.style + "\"");
    for (char c : out.name) out.code += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!is_safe_identifier(out.code)) fail("$.info.product", "product code \"" + out.name + "\" is not usable as a namespace");
    auto base = [](const std::string& p) { auto s = p.find_last_of('/'); return s == std::string::npos ? p : p.substr(s + 1); };
    out.spec_file = base(spec_file);
    out.overlay_file = overlay_file.empty() ? "" : base(overlay_file);

    if (auto* eps = root.if_contains("endpoints"); eps && eps->is_array())
      for (const auto& e : eps->as_array())
        if (e.is_object())
          out.endpoints.emplace_back(str_or(e.as_object(), "regionId"), str_or(e.as_object(), "endpoint"));

    // Names the generated namespace already uses.
    for (const char* n : {"product", "errc", "error_table", "error_category", "make_error_code", "errc_from_code",
                          "wire_code", "http_status", "validate", "validate_fields", "client", "operations"})
      names.insert(n);

    auto* apis = root.if_contains("apis");
    if (!apis || !apis->is_object()) fail("$.apis", "missing \"apis\" object");
    std::vector<std::string> wanted = opts.operations;
    for (const auto& w : wanted)
      if (!apis->as_object().if_contains(w)) fail("$.apis", "requested operation \"" + w + "\" is not in the spec");

    const json::object* ov_ops = nullptr;
    if (auto* o = overlay.if_contains("operations")) {
      if (!o->is_object()) fail_overlay("$.operations", "expected an object");
      ov_ops = &o->as_object();
      for (const auto& [k, v] : *ov_ops) {
        if (k.starts_with("_")) continue;
        if (!apis->as_object().if_contains(k)) fail_overlay("$.operations." + std::string(k), "no such operation in the spec");
        if (!v.is_object()) fail_overlay("$.operations." + std::string(k), "expected an object");
      }
    }

    std::vector<std::string> op_names;
    for (const auto& [k, v] : apis->as_object()) {
      (void)v;
      std::string n(k);
      if (wanted.empty() || std::find(wanted.begin(), wanted.end(), n) != wanted.end()) op_names.push_back(n);
    }
    std::sort(op_names.begin(), op_names.end());
    std::set<std::string> stems;
    for (const auto& n : op_names) {
      const auto& api = obj(apis->as_object().at(n), "$.apis." + n);
      const json::object* ov = nullptr;
      if (ov_ops)
        if (auto* o = ov_ops->if_contains(n)) ov = &o->as_object();
      operation op = load_operation(n, api, ov);
      op.file_stem = unique_name(op.file_stem, stems);
      out.operations.push_back(std::move(op));
    }

    if (auto* prod = overlay.if_contains("product")) {
      if (!prod->is_object()) fail_overlay("$.product", "expected an object");
      for (const auto& [k, v] : prod->as_object()) {
        std::string kp = "$.product." + std::string(k);
        if (k.starts_with("_")) continue;
        if (k == "retryableErrors") {
          if (!v.is_array()) fail_overlay(kp, "expected an array of strings");
          for (const auto& x : v.as_array()) out.retryable_errors.push_back(scalar_text(x));
        } else if (k == "commonErrors") {
          if (!v.is_array()) fail_overlay(kp, "expected an array");
          for (const auto& x : v.as_array()) {
            if (!x.is_object()) fail_overlay(kp, "expected objects");
            const auto& xo = x.as_object();
            error_code c{str_or(xo, "errorCode"), str_or(xo, "errorMessage"), 400};
            if (auto* st = xo.if_contains("httpStatus"); st && st->is_int64()) c.http_status = static_cast<int>(st->as_int64());
            if (c.code.empty()) fail_overlay(kp, "error without errorCode");
            out.common_errors.push_back(std::move(c));
          }
        } else {
          fail_overlay(kp, "unknown overlay key");
        }
      }
    }
    resolve_waiters();
    order_components();
  }

  // ---- waiters ----

  const operation* loaded_operation(const std::string& spec_name) const {
    std::string id = to_identifier(spec_name);
    for (const auto& op : out.operations)
      if (op.name == id) return &op;
    return nullptr;
  }
  const struct_def* struct_named(const std::string& name) const {
    for (const auto& op : out.operations)
      for (const auto& s : op.types.structs)
        if (s.name == name) return &s;
    for (const auto& s : component_structs)
      if (s.name == name) return &s;
    return nullptr;
  }
  static bool same_type(const type_ref& a, const type_ref& b) {
    if (a.k != b.k || a.name != b.name) return false;
    if (a.element || b.element) return a.element && b.element && same_type(*a.element, *b.element);
    return true;
  }
  static bool texty(kind k) { return k == kind::string || k == kind::enumeration || k == kind::int32 || k == kind::int64; }

  std::vector<std::string> string_list(const json::value& v, const std::string& path) const {
    if (!v.is_array()) fail_overlay(path, "expected an array of strings");
    std::vector<std::string> out_list;
    for (const auto& x : v.as_array()) {
      if (!x.is_string() || x.as_string().empty()) fail_overlay(path, "expected non-empty strings");
      out_list.emplace_back(x.as_string());
    }
    return out_list;
  }

  void resolve_waiters() {
    const auto& apis = root.at("apis").as_object();
    std::set<std::string> waiter_names;
    for (const auto& pw : pending_waiters) {
      const std::string& wp = pw.path;
      const json::object& d = pw.def;
      static const std::set<std::string> known{"name", "description", "poll", "forEach", "pollRequest", "items",
                                               "match", "status", "progress", "success", "failure", "pending"};
      for (const auto& [k, v] : d) {
        (void)v;
        if (!k.starts_with("_") && !known.count(std::string(k)))
          fail_overlay(wp + "." + std::string(k), "unknown waiter key (name, description, poll, forEach, pollRequest, "
                                                   "items, match, status, progress, success, failure, pending)");
      }
      auto text = [&](const char* key, bool required) {
        auto* v = d.if_contains(key);
        if (!v) {
          if (required) fail_overlay(wp, std::string("waiter needs \"") + key + "\"");
          return std::string();
        }
        if (!v->is_string() || v->as_string().empty()) fail_overlay(wp + "." + key, "expected a non-empty string");
        return std::string(v->as_string());
      };
      waiter_def w;
      w.name = text("name", true);
      if (!is_safe_identifier(w.name) || !is_safe_identifier("wait_" + w.name))
        fail_overlay(wp + ".name", "\"" + w.name + "\" is not usable in a C++ function name");
      if (!waiter_names.insert(w.name).second) fail_overlay(wp + ".name", "duplicate waiter name \"" + w.name + "\"");
      w.description = comment_text(text("description", false));
      const std::string poll_name = text("poll", true);
      if (!apis.if_contains(poll_name)) fail_overlay(wp + ".poll", "no operation \"" + poll_name + "\" in the spec");
      const operation* op = loaded_operation(pw.operation);
      const operation* poll = loaded_operation(poll_name);
      if (!op) continue;
      if (!poll) continue;  // the poll operation was not selected with --operations: no waiter
      w.operation = op->name;
      w.operation_request = op->request_type;
      w.operation_response = op->response_type;
      w.operation_file_stem = op->file_stem;
      w.poll = poll->name;
      w.poll_request = poll->request_type;
      w.poll_file_stem = poll->file_stem;
      w.poll_paginated = poll->paging.has_value();
      const struct_def* req = struct_named(op->request_type);
      const struct_def* resp = struct_named(op->response_type);
      const struct_def* preq = struct_named(poll->request_type);
      const struct_def* presp = struct_named(poll->response_type);

      if (auto fe = text("forEach", false); !fe.empty()) {
        const field* f = find_field(*req, fe);
        if (!f || f->type.k != kind::array || f->type.element->k != kind::string)
          fail_overlay(wp + ".forEach", "\"" + fe + "\" is not an array-of-strings parameter of " + op->name);
        w.for_each = f->member;
      }

      std::set<std::string> assigned;
      if (auto* pr = d.if_contains("pollRequest")) {
        if (!pr->is_object()) fail_overlay(wp + ".pollRequest", "expected an object");
        for (const auto& [tk, sv] : pr->as_object()) {
          std::string apath = wp + ".pollRequest." + std::string(tk);
          if (tk.starts_with("_")) continue;
          const field* target = find_field(*preq, std::string(tk));
          if (!target) fail_overlay(apath, poll->name + " has no parameter \"" + std::string(tk) + "\"");
          waiter_assignment a;
          a.target = target->member;
          a.type = target->type;
          if (sv.is_object()) {
            auto* lit = sv.as_object().if_contains("value");
            if (!lit || sv.as_object().size() != 1) fail_overlay(apath, "a literal is written {\"value\": ...}");
            a.source = "value";
            a.value = scalar_text(*lit);
            check_literal(*target, *lit, apath);
          } else if (sv.is_string() && sv.as_string() == "each") {
            if (w.for_each.empty()) fail_overlay(apath, "\"each\" needs \"forEach\"");
            if (target->type.k != kind::string) fail_overlay(apath, "\"each\" is a string; \"" + std::string(tk) + "\" is not");
            a.source = "each";
          } else if (sv.is_string()) {
            std::string src(sv.as_string());
            auto dot = src.find('.');
            std::string side = src.substr(0, dot);
            if (dot == std::string::npos || (side != "request" && side != "response"))
              fail_overlay(apath, "expected \"each\", \"request.<Name>\", \"response.<Name>\" or {\"value\": ...}");
            const struct_def* from = side == "request" ? req : resp;
            const field* f = find_field(*from, src.substr(dot + 1));
            if (!f) fail_overlay(apath, op->name + " " + side + " has no member \"" + src.substr(dot + 1) + "\"");
            if (!same_type(f->type, target->type))
              fail_overlay(apath, "\"" + src + "\" and " + poll->name + "." + std::string(tk) + " have different types");
            a.source = side;
            a.member = f->member;
          } else {
            fail_overlay(apath, "expected a string or {\"value\": ...}");
          }
          assigned.insert(target->wire);
          w.assignments.push_back(std::move(a));
        }
      }
      for (const auto& f : preq->fields) {
        bool paging = poll->paging && (f.wire == poll->paging->page_number || f.wire == poll->paging->page_size);
        if (f.required && !paging && !assigned.count(f.wire))
          fail_overlay(wp + ".pollRequest", poll->name + " requires \"" + f.wire + "\"; set it here");
      }

      const std::string items = text("items", true);
      const field* list = find_field(*presp, items);
      if (!list || list->type.k != kind::array || list->type.element->k != kind::structure)
        fail_overlay(wp + ".items", "\"" + items + "\" is not an array of objects in the response of " + poll->name);
      w.items = list->member;
      w.item_type = list->type.element->name;
      const struct_def* item = struct_named(w.item_type);
      auto item_member = [&](const std::string& name, const std::string& path) {
        const field* f = find_field(*item, name);
        if (!f || !texty(f->type.k))
          fail_overlay(path, "\"" + name + "\" is not a string, enum or integer member of " + w.item_type);
        return f->member;
      };

      if (auto* m = d.if_contains("match")) {
        std::string mp = wp + ".match";
        if (!m->is_object()) fail_overlay(mp, "expected an object");
        for (const auto& [k, v] : m->as_object()) {
          std::string kp = mp + "." + std::string(k);
          if (k.starts_with("_")) continue;
          if (!v.is_string() || v.as_string().empty()) fail_overlay(kp, "expected a non-empty string");
          std::string val(v.as_string());
          if (k == "id") {
            w.id = item_member(val, kp);
          } else if (k == "responseIds") {
            const field* f = find_field(*resp, val);
            if (!f || !texty(f->type.k))
              fail_overlay(kp, "\"" + val + "\" is not a string or integer member of " + op->response_type);
            w.response_ids = f->member;
          } else if (k == "separator") {
            if (val.size() != 1) fail_overlay(kp, "expected one character");
            w.separator = val;
          } else if (k == "newest") {
            w.newest = item_member(val, kp);
          } else {
            fail_overlay(kp, "unknown match key (id, responseIds, separator, newest)");
          }
        }
        if (w.id.empty() != w.response_ids.empty()) fail_overlay(mp, "\"id\" and \"responseIds\" go together");
      }
      w.status = item_member(text("status", true), wp + ".status");
      if (auto pg = text("progress", false); !pg.empty()) w.progress = item_member(pg, wp + ".progress");
      auto values = [&](const char* key, bool required) {
        auto* v = d.if_contains(key);
        if (!v) {
          if (required) fail_overlay(wp, std::string("waiter needs \"") + key + "\"");
          return std::vector<std::string>{};
        }
        auto list_values = string_list(*v, wp + "." + key);
        if (required && list_values.empty()) fail_overlay(wp + "." + key, "needs at least one status value");
        return list_values;
      };
      w.success = values("success", true);
      w.failure = values("failure", false);
      w.pending = values("pending", false);
      std::set<std::string> seen;
      for (const auto* group : {&w.success, &w.failure, &w.pending})
        for (const auto& s : *group)
          if (!seen.insert(s).second) fail_overlay(wp, "status \"" + s + "\" is listed twice");
      out.waiters.push_back(std::move(w));
    }
    std::sort(out.waiters.begin(), out.waiters.end(),
              [](const waiter_def& a, const waiter_def& b) { return a.name < b.name; });
  }

  void check_literal(const field& target, const json::value& v, const std::string& path) const {
    switch (target.type.k) {
      case kind::string:
        if (!v.is_string()) fail_overlay(path, "expected a string value");
        break;
      case kind::enumeration: {
        if (!v.is_string()) fail_overlay(path, "expected a string value");
        for (const auto& e : enum_values(target.type.name))
          if (e == v.as_string()) return;
        fail_overlay(path, "\"" + std::string(v.as_string()) + "\" is not a value of " + target.type.name);
      }
      case kind::int32:
      case kind::int64:
        if (!v.is_int64() || (target.type.k == kind::int32 && (v.as_int64() < INT32_MIN || v.as_int64() > INT32_MAX)))
          fail_overlay(path, "expected an integer that fits " + std::string(target.type.k == kind::int32 ? "int32" : "int64"));
        break;
      case kind::boolean:
        if (!v.is_bool()) fail_overlay(path, "expected true or false");
        break;
      default:
        fail_overlay(path, "literals are only supported for string, enum, integer and boolean parameters");
    }
  }
  std::vector<std::string> enum_values(const std::string& name) const {
    for (const auto& op : out.operations)
      for (const auto& e : op.types.enums)
        if (e.name == name) return e.values;
    for (const auto& e : component_enums)
      if (e.name == name) return e.values;
    return {};
  }

  // Structs must follow what they hold by value (T or optional<T>); vectors may hold incomplete
  // types, which is what lets recursive schemas work.
  void order_components() {
    std::map<std::string, const struct_def*> by_name;
    for (const auto& s : component_structs) by_name[s.name] = &s;
    std::vector<struct_def> ordered;
    std::set<std::string> done, visiting;
    std::function<void(const struct_def&)> visit = [&](const struct_def& s) {
      if (done.count(s.name)) return;
      if (visiting.count(s.name)) throw spec_error(spec_file, s.origin, "schemas contain each other by value");
      visiting.insert(s.name);
      for (const auto& f : s.fields) {
        const type_ref* t = &f.type;
        while (t->k == kind::map) t = t->element.get();
        if (t->k == kind::structure)
          if (auto it = by_name.find(t->name); it != by_name.end()) visit(*it->second);
      }
      visiting.erase(s.name);
      done.insert(s.name);
      ordered.push_back(s);
    };
    for (const auto& s : component_structs) visit(s);
    out.components.structs = std::move(ordered);
    out.components.enums = std::move(component_enums);
  }
};

}  // namespace

product load(const load_options& opts) {
  loader l;
  l.run(opts);
  return std::move(l.out);
}

}  // namespace gen
