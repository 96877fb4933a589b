#include "names.hpp"

#include <cctype>
#include <cstdio>

namespace gen {
namespace {

// Keywords, alternative tokens, and macros that glibc or GNU modes define: a member with one of
// these names would not compile (or would silently become a number) in some user's build.
constexpr std::string_view reserved[] = {
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case",
    "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval",
    "constexpr", "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype",
    "default", "delete", "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern",
    "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new",
    "noexcept", "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected", "public",
    "register", "reinterpret_cast", "requires", "return", "short", "signed", "sizeof", "static",
    "static_assert", "static_cast", "struct", "switch", "template", "this", "thread_local", "throw", "true",
    "try", "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual", "void", "volatile",
    "wchar_t", "while", "xor", "xor_eq", "final", "override", "import", "module",
    // macros and names that collide in practice
    "NULL", "EOF", "errno", "assert", "stdin", "stdout", "stderr", "linux", "unix", "major", "minor",
    "TRUE", "FALSE", "DOMAIN", "BUFSIZ", "offsetof", "alicloud_wire_names", "std", "boost", "alicloud"};

bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

bool is_safe_identifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!is_ident_char(c)) return false;
  // Reserved for the implementation: __x anywhere, _X at the start.
  if (s.find("__") != std::string_view::npos) return false;
  if (s.size() > 1 && s[0] == '_' && std::isupper(static_cast<unsigned char>(s[1]))) return false;
  for (auto r : reserved)
    if (r == s) return false;
  return true;
}

std::string to_identifier(std::string_view s) {
  if (is_safe_identifier(s)) return std::string(s);
  std::string out;
  for (char c : s) {
    char d = is_ident_char(c) ? c : '_';
    if (d == '_' && !out.empty() && out.back() == '_') continue;  // no "__"
    out += d;
  }
  if (out.empty() || out == "_") out = "empty";
  if (std::isdigit(static_cast<unsigned char>(out[0]))) out = "_" + out;
  if (out.size() > 1 && out[0] == '_' && std::isupper(static_cast<unsigned char>(out[1]))) out = "v" + out;
  if (!is_safe_identifier(out)) out += "_";
  return out;
}

std::string to_snake(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool upper = std::isupper(static_cast<unsigned char>(c));
    if (upper && i > 0) {
      char prev = s[i - 1];
      bool prev_lower = std::islower(static_cast<unsigned char>(prev)) || std::isdigit(static_cast<unsigned char>(prev));
      bool next_lower = i + 1 < s.size() && std::islower(static_cast<unsigned char>(s[i + 1]));
      bool prev_upper = std::isupper(static_cast<unsigned char>(prev));
      if (prev_lower || (prev_upper && next_lower)) out += '_';
    }
    if (is_ident_char(c))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  return out;
}

std::string unique_name(const std::string& base, std::set<std::string>& taken) {
  std::string name = base;
  for (int i = 2; taken.count(name); ++i) name = base + "_" + std::to_string(i);
  taken.insert(name);
  return name;
}

std::string escape_literal(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '?': out += "?"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\%03o", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string comment_text(std::string_view s) {
  std::string out;
  // Doc-link shorthand "(~~2850189~~)" names an Alibaba help document.
  for (std::size_t i = 0; i < s.size();) {
    if (s.compare(i, 2, "~~") == 0) {
      auto end = s.find("~~", i + 2);
      if (end != std::string_view::npos) {
        out += "https://help.aliyun.com/document_detail/";
        out += s.substr(i + 2, end - i - 2);
        out += ".html";
        i = end + 2;
        continue;
      }
    }
    char c = s[i++];
    out += (c == '\r' || c == '\t') ? ' ' : c;
  }
  // A comment line ending in '\' would splice the next source line into the comment.
  std::string cleaned;
  std::size_t start = 0;
  while (start <= out.size()) {
    auto nl = out.find('\n', start);
    std::string line = out.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    while (!line.empty() && (line.back() == '\\' || line.back() == ' ')) line.pop_back();
    cleaned += line;
    if (nl == std::string::npos) break;
    cleaned += '\n';
    start = nl + 1;
  }
  while (!cleaned.empty() && (cleaned.back() == '\n' || cleaned.back() == ' ')) cleaned.pop_back();
  std::size_t first = cleaned.find_first_not_of("\n ");
  return first == std::string::npos ? std::string() : cleaned.substr(first);
}

}  // namespace gen
