#pragma once
// The library's own JSON codec for generated models, driven by Boost.Describe over Boost.JSON values.
//
// Boost.JSON's built-in described-struct conversion is not used: in 1.81 it rejects missing optional
// keys, unknown keys and described bases, and its behaviour changes in almost every release
// (boost-notes.md §1). Owning the conversion keeps the wire rules stable:
//   - unknown keys are ignored; a missing key is fine for std::optional members, an error otherwise;
//   - JSON null gives nullopt; disengaged optionals are not written;
//   - integers are exact, may also arrive as a JSON string ("123"), and must fit the target type;
//   - members listed in T::alicloud_wire_names use their wire name;
//   - nesting is limited by decode_options::max_depth both when parsing and when converting.
// Errors name the JSON path, e.g. `$.Tasks[3].TaskId: expected string, got number`. The path is built only
// after a failure, while unwinding, so successful decoding pays nothing for it.

#include <alicloud/core/error.hpp>
#include <alicloud/core/open_enum.hpp>
#include <alicloud/core/operation.hpp>
#include <alicloud/core/result.hpp>
#include <alicloud/core/timestamp.hpp>

#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace alicloud::json {

struct decode_options {
  /// Deepest allowed nesting of arrays/objects (the root container is level 1).
  std::size_t max_depth = 64;
  /// Also accept bool from "true"/"false" and double from a numeric string; the RPC parameter decoder
  /// needs this because every parameter arrives as text.
  bool lenient_scalars = false;
};

namespace detail {

namespace bj = boost::json;

// ---------------------------------------------------------------------------------------------------
// Type traits shared with the parameter codec.

template <class T>
struct is_optional : std::false_type {};
template <class U>
struct is_optional<std::optional<U>> : std::true_type {};

template <class T>
struct is_vector : std::false_type {};
template <class U, class A>
struct is_vector<std::vector<U, A>> : std::true_type {};

template <class T>
struct is_string_map : std::false_type {};
template <class U, class C, class A>
struct is_string_map<std::map<std::string, U, C, A>> : std::true_type {};

template <class T>
inline constexpr bool is_described_struct_v =
    std::is_class_v<T> && boost::describe::has_describe_members<T>::value && !is_open_enum_v<T>;

/// Types written as a single JSON scalar (and as a single RPC parameter value).
template <class T>
inline constexpr bool is_scalar_v = std::is_arithmetic_v<T> || std::is_same_v<T, std::string> ||
                                    std::is_same_v<T, utc_time> || is_open_enum_v<T>;

template <class T>
using described_members_t =
    boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;

template <class M>
struct member_pointer_traits;
template <class M, class C>
struct member_pointer_traits<M C::*> {
  using member_type = M;
  using class_type = C;
};

template <class D>
using member_type_t = typename member_pointer_traits<std::remove_cv_t<decltype(D::pointer)>>::member_type;

template <class T, class = void>
struct has_wire_names : std::false_type {};
template <class T>
struct has_wire_names<T, std::void_t<decltype(T::alicloud_wire_names)>> : std::true_type {};

template <class T>
constexpr std::optional<std::string_view> find_wire_name(std::string_view member) {
  if constexpr (has_wire_names<T>::value) {
    for (const wire_name& w : T::alicloud_wire_names)
      if (w.member == member) return w.wire;
  }
  return std::nullopt;
}

// A member of a split struct is declared in a described base; its rename may be listed there or in the
// most derived type, so both are consulted (declaring class first).
template <class T, class D>
constexpr std::string_view compute_wire_name() {
  using declaring = typename member_pointer_traits<std::remove_cv_t<decltype(D::pointer)>>::class_type;
  if (auto w = find_wire_name<declaring>(D::name)) return *w;
  if (auto w = find_wire_name<T>(D::name)) return *w;
  return D::name;
}

/// Wire name of the described member D of T, computed at compile time.
template <class T, class D>
inline constexpr std::string_view wire_name_v = compute_wire_name<T, D>();

template <class T>
inline constexpr bool dependent_false_v = false;

// ---------------------------------------------------------------------------------------------------
// Decoding state.

struct path_segment {
  std::string_view key;  // points into the JSON tree or at a static member name; alive until reported
  std::size_t index;
  bool is_index;
};

enum class path_style {
  json,  ///< `$.Tasks[3].TaskId`
  wire,  ///< RPC flattening: `Tag.1.Key` (1-based indices)
};

inline std::string_view kind_name(const bj::value& v) noexcept {
  switch (v.kind()) {
    case bj::kind::null: return "null";
    case bj::kind::bool_: return "bool";
    case bj::kind::int64:
    case bj::kind::uint64:
    case bj::kind::double_: return "number";
    case bj::kind::string: return "string";
    case bj::kind::array: return "array";
    case bj::kind::object: return "object";
  }
  return "value";
}

inline std::string number_text(double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

template <class I>
std::string integer_text(I i) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, i);
  return std::string(buf, r.ptr);
}

/// Quoted, shortened copy of a string for error messages.
inline std::string quote_for_message(std::string_view s) {
  constexpr std::size_t limit = 64;
  std::string out = "\"";
  out.append(s.substr(0, limit));
  if (s.size() > limit) out += "...";
  out += '"';
  return out;
}

inline std::string describe_value(const bj::value& v) {
  switch (v.kind()) {
    case bj::kind::null: return "null";
    case bj::kind::bool_: return v.get_bool() ? "true" : "false";
    case bj::kind::int64: return integer_text(v.get_int64());
    case bj::kind::uint64: return integer_text(v.get_uint64());
    case bj::kind::double_: return number_text(v.get_double());
    case bj::kind::string: return quote_for_message(v.get_string());
    case bj::kind::array: return "array";
    case bj::kind::object: return "object";
  }
  return "value";
}

template <class I>
constexpr std::string_view integer_type_name() {
  if constexpr (std::is_signed_v<I>) {
    if constexpr (sizeof(I) == 1) return "int8";
    if constexpr (sizeof(I) == 2) return "int16";
    if constexpr (sizeof(I) == 4) return "int32";
    return "int64";
  } else {
    if constexpr (sizeof(I) == 1) return "uint8";
    if constexpr (sizeof(I) == 2) return "uint16";
    if constexpr (sizeof(I) == 4) return "uint32";
    return "uint64";
  }
}

inline bool is_plain_key(std::string_view k) noexcept {
  // Identifier-like keys print as `.Key`; anything else as `["key"]` so the path stays unambiguous.
  if (k.empty() || (k[0] >= '0' && k[0] <= '9')) return false;
  for (char c : k) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

class decoder {
 public:
  explicit decoder(const decode_options& opt, bool depth_checked_by_parser = false) noexcept
      : opt_(opt), parser_checked_depth_(depth_checked_by_parser) {}

  const decode_options& options() const noexcept { return opt_; }
  bool parser_checked_depth() const noexcept { return parser_checked_depth_; }

  /// Records the failure at the current node; callers above add their path segment while unwinding.
  bool fail(errc code, std::string detail) {
    code_ = code;
    detail_ = std::move(detail);
    return false;
  }
  bool mismatch(std::string_view expected, const bj::value& got) {
    std::string d = "expected ";
    d += expected;
    d += ", got ";
    d += kind_name(got);
    return fail(errc::type_mismatch, std::move(d));
  }
  void push_key(std::string_view key) { rev_path_.push_back({key, 0, false}); }
  void push_index(std::size_t i) { rev_path_.push_back({{}, i, true}); }

  /// Depth bookkeeping for one container level; check ok() right after construction.
  class level {
   public:
    explicit level(decoder& d) : d_(d) {
      if (++d_.depth_ > d_.opt_.max_depth) {
        ok_ = false;
        d_.fail(errc::depth_exceeded, "nesting deeper than " + std::to_string(d_.opt_.max_depth) + " levels");
      }
    }
    ~level() { --d_.depth_; }
    level(const level&) = delete;
    level& operator=(const level&) = delete;
    bool ok() const noexcept { return ok_; }

   private:
    decoder& d_;
    bool ok_ = true;
  };

  errc code() const noexcept { return code_; }
  const std::string& detail() const noexcept { return detail_; }

  std::string path(std::string_view root, path_style style) const {
    std::string p(root);
    for (auto it = rev_path_.rbegin(); it != rev_path_.rend(); ++it) {
      if (it->is_index) {
        if (style == path_style::wire) {
          p += '.';
          p += std::to_string(it->index + 1);
        } else {
          p += '[';
          p += std::to_string(it->index);
          p += ']';
        }
      } else if (style == path_style::wire || is_plain_key(it->key)) {
        if (!p.empty()) p += '.';
        p += it->key;
      } else {
        p += "[\"";
        for (char c : it->key) {
          if (c == '"' || c == '\\') p += '\\';
          p += c;
        }
        p += "\"]";
      }
    }
    return p;
  }

  alicloud::error make_error(std::string_view root = "$", path_style style = path_style::json) const {
    return alicloud::error(make_error_code(code_), path(root, style) + ": " + detail_);
  }

 private:
  const decode_options& opt_;
  bool parser_checked_depth_;
  std::size_t depth_ = 0;
  errc code_ = errc::type_mismatch;
  std::string detail_;
  std::vector<path_segment> rev_path_;
};

// ---------------------------------------------------------------------------------------------------
// Per-type codecs. A class template (rather than overloads) so recursive and mutually nested types
// resolve at instantiation time regardless of declaration order.

template <class T, class = void>
struct codec {
  static_assert(dependent_false_v<T>,
                "alicloud::json: unsupported type; supported are described structs, std::optional, std::vector, "
                "std::map<std::string, U>, std::string, bool, integers, double, alicloud::utc_time, open enums "
                "and boost::json::value");
};

template <>
struct codec<bool> {
  static bool decode(const bj::value& v, bool& out, decoder& d) {
    if (v.is_bool()) {
      out = v.get_bool();
      return true;
    }
    if (d.options().lenient_scalars && v.is_string()) {
      const bj::string& s = v.get_string();
      if (s == "true" || s == "false") {
        out = s == "true";
        return true;
      }
      return d.fail(errc::bad_format, "expected true or false, got string " + quote_for_message(s));
    }
    return d.mismatch("bool", v);
  }
  static void encode(bool x, bj::value& out) { out = x; }
};

template <class I>
struct codec<I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>>> {
  using limits = std::numeric_limits<I>;

  static bool range_error(decoder& d, const std::string& text) {
    return d.fail(errc::out_of_range,
                  "number " + text + " is out of range for " + std::string(integer_type_name<I>()));
  }

  static bool decode(const bj::value& v, I& out, decoder& d) {
    switch (v.kind()) {
      case bj::kind::int64: {
        const std::int64_t x = v.get_int64();
        if constexpr (std::is_signed_v<I>) {
          if (x < static_cast<std::int64_t>(limits::min()) || x > static_cast<std::int64_t>(limits::max()))
            return range_error(d, integer_text(x));
        } else {
          if (x < 0 || static_cast<std::uint64_t>(x) > static_cast<std::uint64_t>(limits::max()))
            return range_error(d, integer_text(x));
        }
        out = static_cast<I>(x);
        return true;
      }
      case bj::kind::uint64: {
        const std::uint64_t x = v.get_uint64();
        if (x > static_cast<std::uint64_t>(limits::max())) return range_error(d, integer_text(x));
        out = static_cast<I>(x);
        return true;
      }
      case bj::kind::double_: {
        // Boost.JSON yields a double for integers beyond 64 bits and for 1.0-style literals.
        const double x = v.get_double();
        if (std::isfinite(x) && std::trunc(x) != x)
          return d.fail(errc::type_mismatch, "expected integer, got number " + number_text(x));
        const double bound = std::ldexp(1.0, limits::digits);  // 2^31, 2^63, 2^64...
        const double lower = std::is_signed_v<I> ? -bound : 0.0;
        if (!std::isfinite(x) || x < lower || x >= bound) return range_error(d, number_text(x));
        out = static_cast<I>(x);
        return true;
      }
      case bj::kind::string: {
        const bj::string& s = v.get_string();
        const char* first = s.data();
        const char* last = first + s.size();
        I x{};
        auto r = std::from_chars(first, last, x);
        if (r.ec == std::errc::result_out_of_range) return range_error(d, quote_for_message(s));
        if (r.ec != std::errc() || r.ptr != last || s.empty())
          return d.fail(errc::bad_format, "expected integer, got string " + quote_for_message(s));
        out = x;
        return true;
      }
      default: return d.mismatch("integer", v);
    }
  }
  static void encode(I x, bj::value& out) {
    if constexpr (std::is_signed_v<I>)
      out = static_cast<std::int64_t>(x);
    else
      out = static_cast<std::uint64_t>(x);
  }
};

template <class F>
struct codec<F, std::enable_if_t<std::is_floating_point_v<F>>> {
  static bool decode(const bj::value& v, F& out, decoder& d) {
    double x = 0;
    switch (v.kind()) {
      case bj::kind::int64: x = static_cast<double>(v.get_int64()); break;
      case bj::kind::uint64: x = static_cast<double>(v.get_uint64()); break;
      case bj::kind::double_: x = v.get_double(); break;
      case bj::kind::string: {
        if (!d.options().lenient_scalars) return d.mismatch("number", v);
        const bj::string& s = v.get_string();
        const char* last = s.data() + s.size();
        auto r = std::from_chars(s.data(), last, x);
        if (r.ec != std::errc() || r.ptr != last || s.empty())
          return d.fail(errc::bad_format, "expected number, got string " + quote_for_message(s));
        break;
      }
      default: return d.mismatch("number", v);
    }
    // Boost.JSON turns 1e400 into infinity; that is not a value the service meant.
    if (!std::isfinite(x) || std::fabs(x) > static_cast<double>(std::numeric_limits<F>::max()))
      return d.fail(errc::out_of_range, "number " + describe_value(v) + " is out of range");
    out = static_cast<F>(x);
    return true;
  }
  static void encode(F x, bj::value& out) { out = static_cast<double>(x); }
};

template <>
struct codec<std::string> {
  static bool decode(const bj::value& v, std::string& out, decoder& d) {
    const bj::string* s = v.if_string();
    if (!s) return d.mismatch("string", v);
    out.assign(s->data(), s->size());
    return true;
  }
  static void encode(const std::string& x, bj::value& out) { out.emplace_string().assign(x.data(), x.size()); }
};

template <>
struct codec<utc_time> {
  static bool decode(const bj::value& v, utc_time& out, decoder& d) {
    const bj::string* s = v.if_string();
    if (!s) return d.mismatch("string", v);
    auto t = utc_time::parse(std::string_view(s->data(), s->size()));
    if (!t) return d.fail(errc::bad_format, "expected yyyy-MM-ddTHH:mm:ssZ, got " + quote_for_message(*s));
    out = *t;
    return true;
  }
  static void encode(const utc_time& x, bj::value& out) { out.emplace_string() = x.to_string(); }
};

template <class E>
struct codec<E, std::enable_if_t<is_open_enum_v<E>>> {
  static bool decode(const bj::value& v, E& out, decoder& d) {
    const bj::string* s = v.if_string();
    if (!s) return d.mismatch("string", v);
    out = E(std::string_view(s->data(), s->size()));
    return true;
  }
  static void encode(const E& x, bj::value& out) { out.emplace_string() = x.value(); }
};

template <class U>
struct codec<std::optional<U>> {
  static bool decode(const bj::value& v, std::optional<U>& out, decoder& d) {
    if (v.is_null()) {
      out.reset();
      return true;
    }
    return codec<U>::decode(v, out.emplace(), d);
  }
  static void encode(const std::optional<U>& x, bj::value& out) {
    if (x)
      codec<U>::encode(*x, out);
    else
      out = nullptr;
  }
};

template <class U, class A>
struct codec<std::vector<U, A>> {
  static bool decode(const bj::value& v, std::vector<U, A>& out, decoder& d) {
    const bj::array* a = v.if_array();
    if (!a) return d.mismatch("array", v);
    decoder::level lvl(d);
    if (!lvl.ok()) return false;
    out.clear();
    out.reserve(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      bool ok;
      if constexpr (std::is_same_v<U, bool>) {  // vector<bool> has no bool& to decode into
        bool b = false;
        ok = codec<bool>::decode((*a)[i], b, d);
        out.push_back(b);
      } else {
        ok = codec<U>::decode((*a)[i], out.emplace_back(), d);
      }
      if (!ok) {
        d.push_index(i);
        return false;
      }
    }
    return true;
  }
  static void encode(const std::vector<U, A>& x, bj::value& out) {
    bj::array& a = out.emplace_array();
    a.reserve(x.size());
    for (const auto& e : x) {
      a.emplace_back(nullptr);
      codec<U>::encode(e, a.back());
    }
  }
};

template <class U, class C, class A>
struct codec<std::map<std::string, U, C, A>> {
  static bool decode(const bj::value& v, std::map<std::string, U, C, A>& out, decoder& d) {
    const bj::object* o = v.if_object();
    if (!o) return d.mismatch("object", v);
    decoder::level lvl(d);
    if (!lvl.ok()) return false;
    out.clear();
    for (const auto& kv : *o) {
      const std::string_view key(kv.key().data(), kv.key().size());
      auto it = out.try_emplace(out.end(), std::string(key));
      if (!codec<U>::decode(kv.value(), it->second, d)) {
        d.push_key(key);
        return false;
      }
    }
    return true;
  }
  static void encode(const std::map<std::string, U, C, A>& x, bj::value& out) {
    bj::object& o = out.emplace_object();
    o.reserve(x.size());
    for (const auto& [k, e] : x) codec<U>::encode(e, o[k]);
  }
};

// Free-form JSON ("any"). When the value did not come from our own parser, its depth is checked here,
// since nothing else would.
template <>
struct codec<bj::value> {
  static bool check_depth(const bj::value& v, decoder& d) {
    if (const bj::array* a = v.if_array()) {
      decoder::level lvl(d);
      if (!lvl.ok()) return false;
      for (std::size_t i = 0; i < a->size(); ++i)
        if (!check_depth((*a)[i], d)) {
          d.push_index(i);
          return false;
        }
    } else if (const bj::object* o = v.if_object()) {
      decoder::level lvl(d);
      if (!lvl.ok()) return false;
      for (const auto& kv : *o)
        if (!check_depth(kv.value(), d)) {
          d.push_key(std::string_view(kv.key().data(), kv.key().size()));
          return false;
        }
    }
    return true;
  }
  static bool decode(const bj::value& v, bj::value& out, decoder& d) {
    if (!d.parser_checked_depth() && !check_depth(v, d)) return false;
    // Copy assignment keeps out's own storage, so nothing refers to the (possibly temporary) parse arena.
    out = v;
    return true;
  }
  static void encode(const bj::value& x, bj::value& out) { out = x; }
};

template <class T>
struct codec<T, std::enable_if_t<is_described_struct_v<T>>> {
  static bool decode(const bj::value& v, T& out, decoder& d) {
    const bj::object* o = v.if_object();
    if (!o) return d.mismatch("object", v);
    decoder::level lvl(d);
    if (!lvl.ok()) return false;
    bool ok = true;
    boost::mp11::mp_for_each<described_members_t<T>>([&](auto desc) {
      using D = decltype(desc);
      using M = member_type_t<D>;
      if (!ok) return;
      constexpr std::string_view name = wire_name_v<T, D>;
      M& member = out.*D::pointer;
      if (const bj::value* p = o->if_contains(name)) {
        if (!codec<M>::decode(*p, member, d)) {
          d.push_key(name);
          ok = false;
        }
      } else if constexpr (!is_optional<M>::value) {
        d.fail(errc::missing_field, "missing required field");
        d.push_key(name);
        ok = false;
      }
    });
    return ok;
  }
  static void encode(const T& x, bj::value& out) {
    bj::object& o = out.emplace_object();
    o.reserve(boost::mp11::mp_size<described_members_t<T>>::value);
    boost::mp11::mp_for_each<described_members_t<T>>([&](auto desc) {
      using D = decltype(desc);
      using M = member_type_t<D>;
      const M& member = x.*D::pointer;
      if constexpr (is_optional<M>::value) {
        if (!member) return;
      }
      codec<M>::encode(member, o[wire_name_v<T, D>]);
    });
  }
};

// ---------------------------------------------------------------------------------------------------
// Serialisation. Boost.JSON 1.81 writes doubles in exponent form (0.1 -> "1E-1"); this writer uses the
// shortest round-trip form instead and otherwise produces the same compact JSON.

inline void write_string(std::string_view s, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the pending run of characters needing no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xf];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

inline void write_value(const bj::value& v, std::string& out) {
  switch (v.kind()) {
    case bj::kind::null: out += "null"; return;
    case bj::kind::bool_: out += v.get_bool() ? "true" : "false"; return;
    case bj::kind::int64: out += integer_text(v.get_int64()); return;
    case bj::kind::uint64: out += integer_text(v.get_uint64()); return;
    case bj::kind::double_: {
      const double x = v.get_double();
      // JSON has no NaN or infinity.
      out += std::isfinite(x) ? number_text(x) : std::string("null");
      return;
    }
    case bj::kind::string: write_string(std::string_view(v.get_string().data(), v.get_string().size()), out); return;
    case bj::kind::array: {
      out += '[';
      bool first = true;
      for (const bj::value& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_value(e, out);
      }
      out += ']';
      return;
    }
    case bj::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        write_string(std::string_view(kv.key().data(), kv.key().size()), out);
        out += ':';
        write_value(kv.value(), out);
      }
      out += '}';
      return;
    }
  }
}

/// Decodes into `out`; on failure the decoder holds the error.
template <class T>
bool decode_into(const bj::value& v, T& out, decoder& d) {
  return codec<T>::decode(v, out, d);
}

/// Parses JSON text into `arena`-backed storage; on failure sets `err` and returns null.
inline bj::value parse_text(std::string_view text, const decode_options& opt, bj::storage_ptr arena,
                            std::optional<alicloud::error>& err) {
  unsigned char temp[BOOST_JSON_STACK_BUFFER_SIZE];
  bj::parse_options po;
  po.max_depth = opt.max_depth;
  bj::parser p(bj::storage_ptr(), po, temp);
  p.reset(std::move(arena));
  bj::error_code ec;
  const std::size_t n = p.write(text.data(), text.size(), ec);
  if (ec) {
    if (ec == bj::error::too_deep)
      err.emplace(make_error_code(errc::depth_exceeded),
                  "JSON nesting deeper than " + std::to_string(opt.max_depth) + " levels");
    else
      err.emplace(make_error_code(errc::json_parse), "invalid JSON at offset " + std::to_string(n) + ": " + ec.message());
    return nullptr;
  }
  return p.release();
}

}  // namespace detail

/// Converts an already parsed JSON value.
template <class T>
result<T> from_value(const boost::json::value& v, const decode_options& options = {}) {
  detail::decoder d(options);
  T out{};
  if (!detail::decode_into(v, out, d)) return d.make_error();
  return result<T>(std::move(out));
}

/// Parses and converts JSON text. Uses a stack-seeded arena for the intermediate tree, so the only
/// lasting allocations are those of the result.
template <class T>
result<T> from_json(std::string_view text, const decode_options& options = {}) {
  unsigned char buffer[4096];
  boost::json::monotonic_resource arena(buffer, sizeof buffer);
  std::optional<alicloud::error> err;
  // Initialised from release(), never assigned: assigning into a value with another storage deep-copies.
  const boost::json::value v = detail::parse_text(text, options, &arena, err);  // dies before the arena
  if (err) return std::move(*err);
  detail::decoder d(options, /*depth_checked_by_parser=*/true);
  T out{};
  if (!detail::decode_into(v, out, d)) return d.make_error();
  return result<T>(std::move(out));
}

template <class T>
boost::json::value to_value(const T& x, boost::json::storage_ptr sp = {}) {
  boost::json::value out(std::move(sp));
  detail::codec<T>::encode(x, out);
  return out;
}

/// Compact JSON text of a JSON value (doubles in shortest round-trip form, NaN/infinity as null).
inline std::string to_json(const boost::json::value& v) {
  std::string out;
  detail::write_value(v, out);
  return out;
}

/// Compact JSON text of a model; members in declaration order, disengaged optionals omitted.
template <class T>
std::string to_json(const T& x) {
  boost::json::monotonic_resource arena;
  return to_json(to_value(x, &arena));
}

}  // namespace alicloud::json
