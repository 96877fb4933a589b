#pragma once
// RPC parameter codec: request struct <-> flat list of (name, value) strings, following the flattening
// rules of Alibaba's runtimes (alibaba-wire-protocol.md §5) and driven by the generated param_info table.
//
// Encoding, per style (after unwrapping std::optional; disengaged optionals are not sent):
//   scalars            decimal integers, true/false, doubles in shortest round-trip form, strings as is,
//                      open enums by value, utc_time as yyyy-MM-ddTHH:mm:ssZ; an empty string is sent (`Name=`)
//   none/repeat_list/  arrays -> Name.1, Name.2 ... (1-based); structs and maps -> Name.Key; recursively,
//   flat/xml           e.g. Tag.1.Key=k&Tag.1.Value=v. Empty arrays/maps send nothing. (No details of the
//                      xml style are known; it is treated like flat.)
//   json               the whole array/struct/map/any as compact JSON in one parameter; scalar types are
//                      sent in their scalar form, as Alibaba's runtime does for plain strings
//   simple/space_/     array elements joined by ',' / ' ' / '|'; string-like elements as is, other
//   pipe_delimited     elements JSON-encoded; an empty array is sent as `Name=`; a non-array behaves as flat
// Parameters are emitted in param_info order; `in` query/path/host -> query, form_data/body -> form,
// header -> headers.
//
// decode_params is the reverse for servers (emulators, tests): scalars are parsed strictly, json-style
// values are parsed as JSON, flattened values are collected from `Name.`-prefixed keys into a JSON tree of
// strings and converted with lenient scalars. Unknown parameter names are ignored; every problem becomes a
// violation (rule "type" -> errc::bad_parameter, "format" -> errc::bad_format, "required" ->
// errc::missing_field) and the error carries all of them.

#include <alicloud/core/error.hpp>
#include <alicloud/core/json.hpp>
#include <alicloud/core/open_enum.hpp>
#include <alicloud/core/operation.hpp>
#include <alicloud/core/param_list.hpp>
#include <alicloud/core/result.hpp>
#include <alicloud/core/timestamp.hpp>

#include <boost/describe/members.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace alicloud {

struct encoded_params {
  param_list query;
  param_list form;
  param_list headers;
};

namespace detail::params {

namespace bj = boost::json;
namespace jd = alicloud::json::detail;

template <class T>
struct unwrap_optional {
  using type = T;
};
template <class U>
struct unwrap_optional<std::optional<U>> {
  using type = U;
};
template <class T>
using unwrap_optional_t = typename unwrap_optional<T>::type;

/// Types whose wire text is the string itself (never JSON-quoted).
template <class T>
inline constexpr bool is_string_like_v =
    std::is_same_v<T, std::string> || std::is_same_v<T, utc_time> || is_open_enum_v<T>;

template <class T>
std::string scalar_text(const T& x) {
  if constexpr (std::is_same_v<T, bool>) {
    return x ? "true" : "false";
  } else if constexpr (std::is_arithmetic_v<T>) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, x);
    return std::string(buf, r.ptr);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return x;
  } else if constexpr (std::is_same_v<T, utc_time>) {
    return x.to_string();
  } else {
    static_assert(is_open_enum_v<T>, "not a scalar parameter type");
    return x.value();
  }
}

/// Text of one element of a simple/space/pipe-delimited list.
template <class T>
std::string element_text(const T& x) {
  if constexpr (jd::is_optional<T>::value) {
    return x ? element_text(*x) : std::string("null");
  } else if constexpr (jd::is_scalar_v<T>) {
    return scalar_text(x);
  } else {
    return alicloud::json::to_json(x);
  }
}

inline void flatten_json(std::string& key, const bj::value& v, param_list& out) {
  const std::size_t base = key.size();
  switch (v.kind()) {
    case bj::kind::null: return;
    case bj::kind::string: out.emplace_back(key, std::string(v.get_string().data(), v.get_string().size())); return;
    case bj::kind::array: {
      const bj::array& a = v.get_array();
      for (std::size_t i = 0; i < a.size(); ++i) {
        key += '.';
        key += std::to_string(i + 1);
        flatten_json(key, a[i], out);
        key.resize(base);
      }
      return;
    }
    case bj::kind::object:
      for (const auto& kv : v.get_object()) {
        key += '.';
        key.append(kv.key().data(), kv.key().size());
        flatten_json(key, kv.value(), out);
        key.resize(base);
      }
      return;
    default: out.emplace_back(key, alicloud::json::to_json(v)); return;
  }
}

/// Recursive dot-joining (repeat_list / flat). `key` is the current name; restored on return.
template <class T>
void flatten(std::string& key, const T& x, param_list& out) {
  const std::size_t base = key.size();
  if constexpr (jd::is_optional<T>::value) {
    if (x) flatten(key, *x, out);
  } else if constexpr (jd::is_scalar_v<T>) {
    out.emplace_back(key, scalar_text(x));
  } else if constexpr (std::is_same_v<T, bj::value>) {
    flatten_json(key, x, out);
  } else if constexpr (jd::is_vector<T>::value) {
    std::size_t i = 0;
    for (const auto& e : x) {
      key += '.';
      key += std::to_string(++i);
      flatten(key, static_cast<const typename T::value_type&>(e), out);
      key.resize(base);
    }
  } else if constexpr (jd::is_string_map<T>::value) {
    for (const auto& [k, e] : x) {
      key += '.';
      key += k;
      flatten(key, e, out);
      key.resize(base);
    }
  } else if constexpr (jd::is_described_struct_v<T>) {
    boost::mp11::mp_for_each<jd::described_members_t<T>>([&](auto desc) {
      using D = decltype(desc);
      key += '.';
      key += jd::wire_name_v<T, D>;
      flatten(key, x.*D::pointer, out);
      key.resize(base);
    });
  } else {
    static_assert(jd::dependent_false_v<T>, "unsupported parameter type");
  }
}

inline char delimiter(param_style s) noexcept {
  switch (s) {
    case param_style::space_delimited: return ' ';
    case param_style::pipe_delimited: return '|';
    default: return ',';
  }
}

inline bool is_delimited(param_style s) noexcept {
  return s == param_style::simple || s == param_style::space_delimited || s == param_style::pipe_delimited;
}

/// Encodes one engaged member value (V = member type without optional).
template <class V>
void encode_member(std::string_view name, param_style style, const V& x, param_list& out) {
  if constexpr (jd::is_scalar_v<V>) {
    out.emplace_back(std::string(name), scalar_text(x));
  } else {
    if (style == param_style::json) {
      out.emplace_back(std::string(name), alicloud::json::to_json(x));
      return;
    }
    if constexpr (jd::is_vector<V>::value) {
      if (is_delimited(style)) {
        std::string joined;
        bool first = true;
        for (const auto& e : x) {
          if (!first) joined += delimiter(style);
          first = false;
          joined += element_text(static_cast<const typename V::value_type&>(e));
        }
        out.emplace_back(std::string(name), std::move(joined));
        return;
      }
    }
    std::string key(name);
    flatten(key, x, out);
  }
}

template <std::size_t N>
const param_info* find_param(const std::array<param_info, N>& params, std::string_view member) noexcept {
  for (const param_info& p : params)
    if (p.member == member) return &p;
  return nullptr;
}

inline alicloud::error missing_metadata(std::string_view member) {
  return alicloud::error(make_error_code(errc::bad_parameter),
                         "request member " + std::string(member) + " has no entry in the operation's parameter table");
}

// ---------------------------------------------------------------------------------------------------
// Decoding.

struct problems {
  std::vector<violation> list;

  void add(std::string field, std::string rule, std::string message) {
    list.push_back(violation{std::move(field), std::move(rule), std::move(message), {}});
  }

  static errc code_of(const std::string& rule) {
    if (rule == "format") return errc::bad_format;
    if (rule == "required") return errc::missing_field;
    return errc::bad_parameter;
  }

  alicloud::error to_error() && {
    alicloud::error e(make_error_code(code_of(list.front().rule)), list.front().message);
    if (list.size() > 1) e.message += " (and " + std::to_string(list.size() - 1) + " more)";
    e.violations = std::move(list);
    return e;
  }
};

// Called qualified: with a std::string argument, unqualified lookup would also find std::quoted by ADL
// (whenever <iomanip> is around) and prefer it.
inline std::string quoted(std::string_view s) { return jd::quote_for_message(s); }

/// Strict scalar parsing; returns false after recording a violation.
template <class V>
bool parse_scalar(std::string_view name, std::string_view text, V& out, problems& errs) {
  const std::string field(name);
  if constexpr (std::is_same_v<V, bool>) {
    if (text == "true" || text == "false") {
      out = text == "true";
      return true;
    }
    errs.add(field, "type", field + ": expected true or false, got " + params::quoted(text));
    return false;
  } else if constexpr (std::is_integral_v<V>) {
    const char* last = text.data() + text.size();
    auto r = std::from_chars(text.data(), last, out);
    if (r.ec == std::errc::result_out_of_range) {
      errs.add(field, "type",
               field + ": " + params::quoted(text) + " is out of range for " + std::string(jd::integer_type_name<V>()));
      return false;
    }
    if (r.ec != std::errc() || r.ptr != last || text.empty()) {
      errs.add(field, "type", field + ": expected an integer, got " + params::quoted(text));
      return false;
    }
    return true;
  } else if constexpr (std::is_floating_point_v<V>) {
    const char* last = text.data() + text.size();
    auto r = std::from_chars(text.data(), last, out);
    if (r.ec != std::errc() || r.ptr != last || text.empty() || !std::isfinite(out)) {
      errs.add(field, "type", field + ": expected a number, got " + params::quoted(text));
      return false;
    }
    return true;
  } else if constexpr (std::is_same_v<V, std::string>) {
    out.assign(text.data(), text.size());
    return true;
  } else if constexpr (std::is_same_v<V, utc_time>) {
    if (auto t = utc_time::parse(text)) {
      out = *t;
      return true;
    }
    errs.add(field, "format", field + ": expected yyyy-MM-ddTHH:mm:ssZ, got " + params::quoted(text));
    return false;
  } else {
    static_assert(is_open_enum_v<V>, "not a scalar parameter type");
    out = V(text);
    return true;
  }
}

inline const std::string* find_exact(const param_list& all, std::string_view name) noexcept {
  for (const auto& kv : all)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

inline bool is_decimal_index(std::string_view s) noexcept {
  if (s.empty() || s.size() > 9 || s[0] == '0') return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

/// Turns objects keyed "1".."n" into arrays wherever T expects an array. `path` is the wire name of v.
template <class T>
bool normalize(bj::value& v, std::string& path, problems& errs) {
  if constexpr (jd::is_optional<T>::value) {
    return normalize<typename T::value_type>(v, path, errs);
  } else if constexpr (jd::is_vector<T>::value) {
    bj::object* o = v.if_object();
    if (!o) return true;  // a wrong shape is reported by the conversion
    std::vector<std::pair<std::size_t, bj::value*>> items;
    items.reserve(o->size());
    for (auto& kv : *o) {
      const std::string_view k(kv.key().data(), kv.key().size());
      if (!is_decimal_index(k)) {
        errs.add(path + "." + std::string(k), "type",
                 path + "." + std::string(k) + ": expected a list index (1, 2, ...), got " + params::quoted(k));
        return false;
      }
      items.emplace_back(static_cast<std::size_t>(std::stoul(std::string(k))), &kv.value());
    }
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < items.size(); ++i)
      if (items[i].first != i + 1) {
        const std::string missing = path + "." + std::to_string(i + 1);
        errs.add(missing, "type",
                 path + ": list indices must run from 1 without gaps, " + missing + " is missing");
        return false;
      }
    bj::array a(v.storage());
    a.reserve(items.size());
    for (auto& item : items) a.push_back(std::move(*item.second));
    v = std::move(a);
    const std::size_t base = path.size();
    for (std::size_t i = 0; i < items.size(); ++i) {
      path += '.';
      path += std::to_string(i + 1);
      const bool ok = normalize<typename T::value_type>(v.get_array()[i], path, errs);
      path.resize(base);
      if (!ok) return false;
    }
    return true;
  } else if constexpr (jd::is_string_map<T>::value) {
    if (bj::object* o = v.if_object()) {
      const std::size_t base = path.size();
      for (auto& kv : *o) {
        path += '.';
        path.append(kv.key().data(), kv.key().size());
        const bool ok = normalize<typename T::mapped_type>(kv.value(), path, errs);
        path.resize(base);
        if (!ok) return false;
      }
    }
    return true;
  } else if constexpr (jd::is_described_struct_v<T>) {
    bj::object* o = v.if_object();
    if (!o) return true;
    bool ok = true;
    const std::size_t base = path.size();
    boost::mp11::mp_for_each<jd::described_members_t<T>>([&](auto desc) {
      using D = decltype(desc);
      if (!ok) return;
      constexpr std::string_view name = jd::wire_name_v<T, D>;
      if (bj::value* child = o->if_contains(name)) {
        path += '.';
        path += name;
        ok = normalize<jd::member_type_t<D>>(*child, path, errs);
        path.resize(base);
      }
    });
    return ok;
  } else {
    return true;
  }
}

/// Builds {"1":{"Key":"k"}} from Tag.1.Key=k for the keys starting with `name.` (root stays empty when
/// there are none). False after recording a violation.
inline bool collect_tree(const param_list& all, std::string_view name, std::optional<bj::value>& root,
                         problems& errs) {
  for (const auto& [key, text] : all) {
    if (key.size() <= name.size() + 1 || key.compare(0, name.size(), name) != 0 || key[name.size()] != '.') continue;
    if (!root) root.emplace(bj::object());
    bj::value* node = &*root;
    std::string_view rest = std::string_view(key).substr(name.size() + 1);
    while (true) {
      const std::size_t dot = rest.find('.');
      const std::string_view seg = rest.substr(0, dot);
      if (seg.empty()) {
        errs.add(key, "type", key + ": malformed parameter name (empty segment)");
        return false;
      }
      bj::object* o = node->if_object();
      if (!o) {
        errs.add(key, "type", key + ": conflicts with another parameter of " + std::string(name));
        return false;
      }
      bj::value& child = (*o)[seg];
      if (dot == std::string_view::npos) {
        if (!child.is_null()) {
          errs.add(key, "type", key + ": conflicts with another parameter of " + std::string(name));
          return false;
        }
        child.emplace_string().assign(text.data(), text.size());
        break;
      }
      if (child.is_null()) child.emplace_object();
      node = &child;
      rest = rest.substr(dot + 1);
    }
  }
  return true;
}

inline std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  if (s.empty()) return parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

/// Converts a JSON value into V, reporting failures with the parameter's name as the path root.
template <class V>
bool convert(const bj::value& v, V& out, std::string_view name, jd::path_style style, problems& errs) {
  alicloud::json::decode_options opts;
  opts.lenient_scalars = true;
  jd::decoder d(opts);
  if (jd::decode_into(v, out, d)) return true;
  const std::string path = d.path(name, style);
  std::string rule = d.code() == errc::bad_format ? "format" : d.code() == errc::missing_field ? "required" : "type";
  errs.add(path, std::move(rule), path + ": " + d.detail());
  return false;
}

/// Decodes one member (V = member type without optional). Returns false when absent.
template <class V>
bool decode_member(const param_list& all, const param_info& p, V& out, bool& failed, problems& errs) {
  if constexpr (jd::is_scalar_v<V>) {
    const std::string* text = find_exact(all, p.name);
    if (!text) return false;
    failed = !parse_scalar(p.name, *text, out, errs);
    return true;
  } else {
    if (p.style == param_style::json) {
      const std::string* text = find_exact(all, p.name);
      if (!text) return false;
      std::optional<alicloud::error> err;
      alicloud::json::decode_options opts;
      boost::json::monotonic_resource arena;
      const bj::value v = jd::parse_text(*text, opts, &arena, err);
      if (err) {
        const std::string field(p.name);
        errs.add(field, "format", field + ": expected JSON, got " + params::quoted(*text) + " (" + err->message + ")");
        failed = true;
        return true;
      }
      failed = !convert(v, out, p.name, jd::path_style::json, errs);
      return true;
    }
    if constexpr (jd::is_vector<V>::value) {
      if (is_delimited(p.style)) {
        const std::string* text = find_exact(all, p.name);
        if (!text) return false;
        bj::array a;
        for (std::string_view part : split(*text, delimiter(p.style))) {
          if constexpr (is_string_like_v<typename V::value_type>) {
            a.emplace_back(bj::string_view(part.data(), part.size()));
          } else {
            // Non-string elements were JSON-encoded; a part that is not JSON stays a string so the
            // conversion can name it in its error.
            bj::error_code ec;
            bj::value e = bj::parse(bj::string_view(part.data(), part.size()), ec);
            if (ec)
              a.emplace_back(bj::string_view(part.data(), part.size()));
            else
              a.push_back(std::move(e));
          }
        }
        failed = !convert(bj::value(std::move(a)), out, p.name, jd::path_style::json, errs);
        return true;
      }
    }
    std::optional<bj::value> tree;
    if (!collect_tree(all, p.name, tree, errs)) {
      failed = true;
      return true;
    }
    if (!tree) {
      // No Name.x keys: a lone `Name=value` is given to the conversion so a wrong shape is reported.
      const std::string* text = find_exact(all, p.name);
      if (!text) return false;
      tree.emplace(bj::string(text->data(), text->size()));
    }
    std::string path(p.name);
    if (!normalize<V>(*tree, path, errs)) {
      failed = true;
      return true;
    }
    failed = !convert(*tree, out, p.name, jd::path_style::wire, errs);
    return true;
  }
}

}  // namespace detail::params

/// Flattens a request into query, form and header parameters following `params` (the generated
/// Op::parameters table). Every described member must have a table entry.
template <class Req, std::size_t N>
result<encoded_params> encode_params(const Req& req, const std::array<param_info, N>& params) {
  namespace pd = detail::params;
  namespace jd = json::detail;
  static_assert(jd::is_described_struct_v<Req>, "encode_params needs a described request struct");
  encoded_params out;
  // Emit in table order; members are looked up once each.
  std::optional<std::string_view> missing;
  boost::mp11::mp_for_each<jd::described_members_t<Req>>([&](auto desc) {
    using D = decltype(desc);
    if (!missing && !pd::find_param(params, D::name)) missing = D::name;
  });
  if (missing) return pd::missing_metadata(*missing);

  for (const param_info& p : params) {
    boost::mp11::mp_for_each<jd::described_members_t<Req>>([&](auto desc) {
      using D = decltype(desc);
      using M = jd::member_type_t<D>;
      if (p.member != std::string_view(D::name)) return;
      param_list& dest = p.in == param_in::header ? out.headers
                         : (p.in == param_in::form_data || p.in == param_in::body) ? out.form
                                                                                    : out.query;
      const M& m = req.*D::pointer;
      if constexpr (jd::is_optional<M>::value) {
        if (m) pd::encode_member(p.name, p.style, *m, dest);
      } else {
        pd::encode_member(p.name, p.style, m, dest);
      }
    });
  }
  return out;
}

/// Rebuilds a request from its parameters (`all` = query and form merged). Unknown names are ignored.
template <class Req, std::size_t N>
result<Req> decode_params(const param_list& all, const std::array<param_info, N>& params) {
  namespace pd = detail::params;
  namespace jd = json::detail;
  static_assert(jd::is_described_struct_v<Req>, "decode_params needs a described request struct");
  Req req{};
  pd::problems errs;
  std::optional<std::string_view> missing;
  boost::mp11::mp_for_each<jd::described_members_t<Req>>([&](auto desc) {
    using D = decltype(desc);
    using M = jd::member_type_t<D>;
    const param_info* p = pd::find_param(params, D::name);
    if (!p) {
      if (!missing) missing = D::name;
      return;
    }
    M& m = req.*D::pointer;
    bool failed = false;
    bool present;
    if constexpr (jd::is_optional<M>::value) {
      using V = typename M::value_type;
      V value{};
      present = pd::decode_member(all, *p, value, failed, errs);
      if (present && !failed) m = std::move(value);
    } else {
      present = pd::decode_member(all, *p, m, failed, errs);
      if (!present) {
        const std::string field(p->name);
        errs.add(field, "required", field + ": required parameter is missing");
      }
    }
  });
  if (missing) return pd::missing_metadata(*missing);
  if (!errs.list.empty()) return std::move(errs).to_error();
  return result<Req>(std::move(req));
}

}  // namespace alicloud
