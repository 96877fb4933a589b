#pragma once
// Output helpers of the esa CLI: aligned tables and key/value views built from the generated models'
// JSON form, and progress bars for terminals. Everything writes to caller-supplied streams so tests
// can capture it.

#include <algorithm>
#include <alicloud/core/json.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace esa_cli {

/// Text safe to put on a terminal: service-provided strings could otherwise carry escape sequences
/// that rewrite the screen. Control characters become '?'; UTF-8 passes through.
inline std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  return out;
}

/// Columns a string occupies, counting UTF-8 code points (wide CJK glyphs are counted as one; good
/// enough for aligning ASCII-dominated API data).
inline std::size_t display_width(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

/// Cuts `s` to at most `width` columns, marking the cut with "...".
inline std::string truncate_to(std::string_view s, std::size_t width) {
  if (display_width(s) <= width) return std::string(s);
  if (width <= 3) return std::string(width, '.');
  std::string out;
  std::size_t cols = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool lead = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (lead && ++cols > width - 3) break;
    out.push_back(s[i]);
  }
  return out + "...";
}

/// A JSON value as one table cell: strings as is, numbers and booleans as written in JSON, null as
/// empty, arrays and objects as compact JSON.
inline std::string cell_text(const boost::json::value* v) {
  if (!v || v->is_null()) return {};
  if (v->is_string()) return printable(std::string_view(v->get_string().data(), v->get_string().size()));
  return printable(alicloud::json::to_json(*v));
}

struct column {
  std::string heading;  ///< shown in the header row
  std::string member;   ///< JSON member of the item
};

/// Rows of cells under headings, aligned on two-space gutters; the last column is not padded so no
/// line ends in blanks.
struct table {
  std::vector<std::string> headings;
  std::vector<std::vector<std::string>> rows;

  void print(std::ostream& os) const {
    std::vector<std::size_t> width(headings.size(), 0);
    for (std::size_t c = 0; c < headings.size(); ++c) width[c] = display_width(headings[c]);
    for (const auto& r : rows)
      for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], display_width(r[c]));
    auto line = [&](const std::vector<std::string>& cells) {
      std::string s;
      for (std::size_t c = 0; c < headings.size(); ++c) {
        const std::string text = c < cells.size() ? cells[c] : std::string();
        s += text;
        if (c + 1 < headings.size()) s.append(width[c] - display_width(text) + 2, ' ');
      }
      while (!s.empty() && s.back() == ' ') s.pop_back();
      os << s << '\n';
    };
    line(headings);
    for (const auto& r : rows) line(r);
  }
};

/// A table of model items: each item is converted to its JSON form and the columns pick members.
template <class Item>
table make_table(const std::vector<Item>& items, const std::vector<column>& columns) {
  table t;
  for (const auto& c : columns) t.headings.push_back(c.heading);
  for (const auto& item : items) {
    const boost::json::value v = alicloud::json::to_value(item);
    std::vector<std::string> row;
    for (const auto& c : columns)
      row.push_back(cell_text(v.is_object() ? v.get_object().if_contains(c.member) : nullptr));
    t.rows.push_back(std::move(row));
  }
  return t;
}

/// A single model as "Member  value" lines, in declaration order, absent members left out.
template <class Model>
void print_fields(std::ostream& os, const Model& m) {
  const boost::json::value v = alicloud::json::to_value(m);
  std::vector<std::pair<std::string, std::string>> rows;
  if (v.is_object())
    for (const auto& kv : v.get_object()) rows.emplace_back(std::string(kv.key()), cell_text(&kv.value()));
  std::size_t w = 0;
  for (const auto& r : rows) w = std::max(w, display_width(r.first));
  for (const auto& r : rows) {
    std::string line = r.first;
    line.append(w - display_width(r.first) + 2, ' ');
    line += r.second;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    os << line << '\n';
  }
}

/// `[#####.....]` for a percentage in 0..100.
inline std::string bar(double percent, std::size_t width) {
  const double p = std::clamp(percent, 0.0, 100.0);
  const auto filled = static_cast<std::size_t>(p / 100.0 * static_cast<double>(width) + 0.5);
  return "[" + std::string(filled, '#') + std::string(width - std::min(filled, width), '.') + "]";
}

/// Redraws a block of lines in place on a terminal (cursor up, clear line). The block may grow but
/// not shrink between draws.
class live_block {
 public:
  explicit live_block(std::ostream& os) : os_(os) {}

  void draw(const std::vector<std::string>& lines) {
    if (drawn_ > 0) os_ << "\x1b[" << drawn_ << "A";
    for (const auto& l : lines) os_ << "\r\x1b[2K" << l << '\n';
    drawn_ = lines.size();
    os_.flush();
  }

 private:
  std::ostream& os_;
  std::size_t drawn_ = 0;
};

/// One-line progress of a paginated read, rewritten in place with '\r'; cleared by finish().
class page_progress {
 public:
  page_progress(std::ostream& os, std::size_t columns) : os_(os), columns_(columns) {}

  void update(std::size_t done, std::size_t total) {
    std::string text;
    if (total > 0) {
      text = bar(100.0 * static_cast<double>(done) / static_cast<double>(total), 30) + " " + std::to_string(done) +
             "/" + std::to_string(total) + " pages";
    } else {
      text = "page " + std::to_string(done) + "...";
    }
    os_ << "\r\x1b[2K" << truncate_to(text, columns_ > 1 ? columns_ - 1 : 1) << std::flush;
    shown_ = true;
  }
  void finish() {
    if (shown_) os_ << "\r\x1b[2K" << std::flush;
    shown_ = false;
  }

 private:
  std::ostream& os_;
  std::size_t columns_;
  bool shown_ = false;
};

}  // namespace esa_cli
