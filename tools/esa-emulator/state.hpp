#pragma once
// The emulator's data: sites, prefetch (preload) tasks and purge tasks, with time-driven progress and
// an optional JSON state file.
//
// Progress is a pure function of a task's creation time, its duration and the current time, so nothing
// but the tasks themselves needs persisting and a restart resumes every task where it would have been.
// Persistence is write-through: a mutating request is answered only after a snapshot containing its
// change has been written to a temporary file, fsynced and renamed over the state file, so a crash or
// restart never loses an acknowledged task.

#include "config.hpp"

#include <alicloud/core/timestamp.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace esa_emulator {

struct site {
  std::int64_t id = 0;
  std::string name;
  std::string status = "active";  ///< pending, active, offline, moved
  std::string access_type = "NS";
  std::string coverage = "global";
  std::string cname_zone;
  std::string name_servers;
  std::string instance_id;
  std::string plan_name = "basic";
  std::string plan_spec = "basic";
  std::string resource_group = "rg-default";
  std::string verify_code;
  std::map<std::string, std::string> tags;
  std::int64_t create_time = 0;  ///< unix seconds
  std::int64_t update_time = 0;
  std::int64_t visit_time = 0;

  /// A URL host or hostname belongs to the site when it is the site's name or a subdomain of it.
  bool serves(std::string_view host) const {
    if (host.size() == name.size()) return iequal(host, name);
    return host.size() > name.size() && host[host.size() - name.size() - 1] == '.' &&
           iequal(host.substr(host.size() - name.size()), name);
  }

 private:
  static bool iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      auto l = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
      if (l(a[i]) != l(b[i])) return false;
    }
    return true;
  }
};

enum class task_kind { preload, purge };

struct task {
  std::string id;  ///< decimal string, as the API reports it
  task_kind kind = task_kind::preload;
  std::int64_t site_id = 0;
  std::string content;
  std::string type;              ///< purge type (file, directory...); empty for preload
  std::int64_t created_ms = 0;   ///< unix milliseconds on the emulator clock
  std::int64_t duration_ms = 0;  ///< time from creation to Complete
  std::string failure;           ///< non-empty: the task fails with this Description
};

/// What DescribePreloadTasks/DescribePurgeTasks report for a task at a given time.
struct task_state {
  std::string status;  ///< Refreshing, Complete, Failed
  std::string process;  ///< "0%".."100%"
  std::string description;  ///< set when Failed
};

/// Refreshing with Process rising linearly from 0% (never showing 100% before it is done), then
/// Complete at 100%. A failing task fails halfway through and keeps the Process it had reached.
inline task_state progress(const task& t, std::int64_t now_ms) {
  const std::int64_t elapsed = std::max<std::int64_t>(0, now_ms - t.created_ms);
  auto percent = [&](std::int64_t at) {
    if (t.duration_ms <= 0) return std::int64_t{0};
    return std::min<std::int64_t>(99, at * 100 / t.duration_ms);
  };
  if (!t.failure.empty()) {
    const std::int64_t fail_at = t.duration_ms / 2;
    if (elapsed >= fail_at) return {"Failed", std::to_string(percent(fail_at)) + "%", t.failure};
    return {"Refreshing", std::to_string(percent(elapsed)) + "%", {}};
  }
  if (elapsed >= t.duration_ms) return {"Complete", "100%", {}};
  return {"Refreshing", std::to_string(percent(elapsed)) + "%", {}};
}

inline std::int64_t to_unix_ms(alicloud::clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

/// `yyyy-MM-dd HH:mm:ss` (UTC, no zone): the task CreateTime layout of the API.
inline std::string task_time_text(std::int64_t unix_ms) {
  std::int64_t s = unix_ms / 1000;
  if (unix_ms < 0 && unix_ms % 1000 != 0) --s;
  std::string iso = alicloud::utc_time::from_unix_seconds(s).to_string();
  iso[10] = ' ';
  iso.pop_back();
  return iso;
}

inline std::string iso_time_text(std::int64_t unix_s) { return alicloud::utc_time::from_unix_seconds(unix_s).to_string(); }

/// Thrown when the state file exists but cannot be used; the emulator then refuses to start rather
/// than overwrite data it could not read.
class state_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// All data, guarded by one mutex. Callers hold `lock()` while reading or mutating, then call
/// commit() (without the lock) before acknowledging a mutation.
class store {
 public:
  /// First id handed out on a fresh start; ids are 16-digit decimal strings like the service's.
  static constexpr std::uint64_t first_task_id = 1711100000000001ULL;

  explicit store(std::string state_file) : path_(std::move(state_file)) {}

  std::unique_lock<std::mutex> lock() const { return std::unique_lock<std::mutex>(mutex_); }

  // --- accessors; the caller holds lock() ---
  std::vector<site>& sites() { return sites_; }
  const std::vector<site>& sites() const { return sites_; }
  std::vector<task>& tasks(task_kind k) { return k == task_kind::preload ? preload_ : purge_; }
  const std::vector<task>& tasks(task_kind k) const { return k == task_kind::preload ? preload_ : purge_; }

  const site* find_site(std::int64_t id) const {
    for (const auto& s : sites_)
      if (s.id == id) return &s;
    return nullptr;
  }
  /// The site serving `host` with the longest (most specific) name.
  const site* site_for_host(std::string_view host) const {
    const site* best = nullptr;
    for (const auto& s : sites_)
      if (s.serves(host) && (!best || s.name.size() > best->name.size())) best = &s;
    return best;
  }

  std::string next_task_id() { return std::to_string(next_id_++); }
  /// Marks the data changed; commit() then writes it.
  void touch() { ++generation_; }

  // --- persistence ---

  bool persistent() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

  /// Loads the state file. Returns false when there is none (fresh start); throws state_error when it
  /// exists but is unreadable or malformed.
  bool load() {
    if (path_.empty()) return false;
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec)) return false;
    std::ifstream in(path_, std::ios::binary);
    if (!in) throw state_error("state file " + path_ + ": cannot be opened");
    std::stringstream buf;
    buf << in.rdbuf();
    boost::json::error_code jec;
    const boost::json::value v = boost::json::parse(buf.str(), jec);
    if (jec) throw state_error("state file " + path_ + ": not valid JSON (" + jec.message() + ")");
    try {
      from_json(v);
    } catch (const std::exception& e) {
      throw state_error("state file " + path_ + ": " + e.what());
    }
    written_ = generation_;
    return true;
  }

  /// Writes a snapshot that includes every change made before the call (a no-op when another thread
  /// already wrote one, or without a state file). Throws std::runtime_error when the file cannot be
  /// written.
  void commit() {
    if (path_.empty()) return;
    std::string text;
    std::uint64_t gen = 0;
    {
      auto l = lock();
      gen = generation_;
      text = boost::json::serialize(to_json());
    }
    std::lock_guard<std::mutex> file_lock(file_mutex_);
    if (written_ >= gen) return;
    write_atomically(path_, text);
    written_ = gen;
  }

  /// Tasks and sites in a fresh emulator, timed relative to `now_ms` so they fall inside the 3-day
  /// query window.
  void seed_sample_data(std::int64_t now_ms, std::chrono::milliseconds task_duration) {
    const std::int64_t now_s = now_ms / 1000;
    auto add_site = [&](std::int64_t id, std::string name, std::string status, std::string access, std::string coverage,
                        std::map<std::string, std::string> tags) {
      site s;
      s.id = id;
      s.name = std::move(name);
      s.status = std::move(status);
      s.access_type = std::move(access);
      s.coverage = std::move(coverage);
      s.tags = std::move(tags);
      s.instance_id = "esa-site-" + std::to_string(id);
      s.verify_code = "verify_" + std::to_string(id % 100000);
      if (s.access_type == "NS")
        s.name_servers = "ns1.esa-emulator.test,ns2.esa-emulator.test";
      else
        s.cname_zone = s.name + ".cname.esa-emulator.test";
      s.create_time = now_s - 30 * 86400;
      s.update_time = now_s - 86400;
      s.visit_time = now_s - 3600;
      sites_.push_back(std::move(s));
    };
    add_site(7001000000001, "example.com", "active", "NS", "global", {{"env", "prod"}});
    add_site(7001000000002, "shop.example.net", "active", "CNAME", "overseas", {{"env", "prod"}, {"team", "shop"}});
    add_site(7001000000003, "staging.example.org", "pending", "NS", "domestic", {{"env", "staging"}});
    sites_[1].plan_name = sites_[1].plan_spec = "enterprise";

    const std::int64_t minute = 60000;
    auto add_task = [&](task_kind kind, std::int64_t site_id, std::string content, std::string type, std::int64_t age_ms,
                        std::int64_t duration, std::string failure) {
      task t;
      t.id = next_task_id();
      t.kind = kind;
      t.site_id = site_id;
      t.content = std::move(content);
      t.type = std::move(type);
      t.created_ms = now_ms - age_ms;
      t.duration_ms = duration;
      t.failure = std::move(failure);
      tasks(kind).push_back(std::move(t));
    };
    const std::int64_t d = task_duration.count();
    add_task(task_kind::preload, 7001000000001, "https://example.com/index.html", "", 180 * minute, d, "");
    add_task(task_kind::preload, 7001000000001, "https://example.com/assets/app.js", "", 150 * minute, d, "");
    add_task(task_kind::preload, 7001000000001, "https://example.com/video/intro.mp4", "", 120 * minute, d,
             "Origin Timeout");
    add_task(task_kind::preload, 7001000000002, "https://shop.example.net/catalog.json", "", 90 * minute, d, "");
    add_task(task_kind::preload, 7001000000002, "https://shop.example.net/img/hero.webp", "", 60 * minute, d,
             "Origin Return StatusCode 5XX");
    // Still running for a while after start, so a fresh emulator shows every status.
    add_task(task_kind::preload, 7001000000001, "https://example.com/downloads/big.iso", "", 0, 10 * minute, "");
    add_task(task_kind::purge, 7001000000001, "https://example.com/index.html", "file", 170 * minute, d, "");
    add_task(task_kind::purge, 7001000000001, "https://example.com/static/", "directory", 140 * minute, d, "");
    add_task(task_kind::purge, 7001000000002, "shop.example.net", "hostname", 100 * minute, d, "");
    add_task(task_kind::purge, 7001000000002, "release-42", "cachetag", 45 * minute, d, "");
    touch();
  }

  /// Adds a configured site unless one with that name exists. Ids default to the next free one.
  void ensure_site(const site_spec& spec, std::int64_t now_ms) {
    for (const auto& s : sites_)
      if (s.name == spec.name) return;
    std::int64_t id = spec.id.value_or(0);
    if (id == 0) {
      id = 7001000000001;
      for (const auto& s : sites_) id = std::max(id, s.id + 1);
    } else if (find_site(id)) {
      throw state_error("--site " + spec.name + "=" + std::to_string(id) + ": the id is already used by " +
                        find_site(id)->name);
    }
    site s;
    s.id = id;
    s.name = spec.name;
    s.instance_id = "esa-site-" + std::to_string(id);
    s.name_servers = "ns1.esa-emulator.test,ns2.esa-emulator.test";
    s.create_time = s.update_time = s.visit_time = now_ms / 1000;
    sites_.push_back(std::move(s));
    touch();
  }

 private:
  static void write_atomically(const std::string& path, const std::string& text) {
    const std::filesystem::path target(path);
    const std::filesystem::path tmp = target.string() + ".tmp." + std::to_string(::getpid());
    auto fail = [&](const char* what) {
      const int err = errno;
      throw std::runtime_error("state file " + path + ": " + what + " failed: " + std::strerror(err));
    };
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) fail("creating the temporary file");
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        ::close(fd);
        ::unlink(tmp.c_str());
        fail("writing");
      }
      done += static_cast<std::size_t>(n);
    }
    // Data must be on disk before the rename makes it the state file, or a crash could leave an
    // empty or partial file under the real name.
    if (::fsync(fd) != 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      fail("fsync");
    }
    ::close(fd);
    if (std::rename(tmp.c_str(), target.c_str()) != 0) {
      ::unlink(tmp.c_str());
      fail("rename");
    }
    // The rename itself lives in the directory; sync it so the new name survives a crash too.
    const std::string dir = target.has_parent_path() ? target.parent_path().string() : std::string(".");
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }

  boost::json::value to_json() const {
    boost::json::object root;
    root["format"] = "esa-emulator-state";
    root["version"] = 1;
    root["next_task_id"] = std::to_string(next_id_);
    boost::json::array sites;
    for (const auto& s : sites_) {
      boost::json::object o;
      o["id"] = s.id;
      o["name"] = s.name;
      o["status"] = s.status;
      o["access_type"] = s.access_type;
      o["coverage"] = s.coverage;
      o["cname_zone"] = s.cname_zone;
      o["name_servers"] = s.name_servers;
      o["instance_id"] = s.instance_id;
      o["plan_name"] = s.plan_name;
      o["plan_spec"] = s.plan_spec;
      o["resource_group"] = s.resource_group;
      o["verify_code"] = s.verify_code;
      boost::json::object tags;
      for (const auto& [k, v] : s.tags) tags[k] = v;
      o["tags"] = std::move(tags);
      o["create_time"] = s.create_time;
      o["update_time"] = s.update_time;
      o["visit_time"] = s.visit_time;
      sites.push_back(std::move(o));
    }
    root["sites"] = std::move(sites);
    auto tasks_json = [](const std::vector<task>& list) {
      boost::json::array a;
      for (const auto& t : list) {
        boost::json::object o;
        o["id"] = t.id;
        o["site_id"] = t.site_id;
        o["content"] = t.content;
        if (!t.type.empty()) o["type"] = t.type;
        o["created_ms"] = t.created_ms;
        o["duration_ms"] = t.duration_ms;
        if (!t.failure.empty()) o["failure"] = t.failure;
        a.push_back(std::move(o));
      }
      return a;
    };
    root["preload_tasks"] = tasks_json(preload_);
    root["purge_tasks"] = tasks_json(purge_);
    return root;
  }

  // Strict reading: a state file with an unexpected shape is reported, never half-loaded.
  static const boost::json::value& member(const boost::json::object& o, const char* key, const std::string& where) {
    const boost::json::value* v = o.if_contains(key);
    if (!v) throw std::runtime_error(where + "." + key + " is missing");
    return *v;
  }
  static std::string str(const boost::json::object& o, const char* key, const std::string& where, bool optional = false) {
    const boost::json::value* v = o.if_contains(key);
    if (!v && optional) return {};
    if (!v || !v->is_string()) throw std::runtime_error(where + "." + key + " must be a string");
    return std::string(v->get_string());
  }
  static std::int64_t num(const boost::json::object& o, const char* key, const std::string& where) {
    const boost::json::value& v = member(o, key, where);
    if (!v.is_int64()) throw std::runtime_error(where + "." + key + " must be an integer");
    return v.get_int64();
  }

  void from_json(const boost::json::value& v) {
    const boost::json::object* root = v.if_object();
    if (!root) throw std::runtime_error("the top level must be an object");
    if (str(*root, "format", "state") != "esa-emulator-state") throw std::runtime_error("not an esa-emulator state file");
    const std::string next = str(*root, "next_task_id", "state");
    std::uint64_t next_id = 0;
    if (!detail::parse_unsigned(next, next_id)) throw std::runtime_error("state.next_task_id must be a decimal string");
    std::vector<site> sites;
    const boost::json::value& sv = member(*root, "sites", "state");
    if (!sv.is_array()) throw std::runtime_error("state.sites must be an array");
    for (std::size_t i = 0; i < sv.get_array().size(); ++i) {
      const std::string where = "state.sites[" + std::to_string(i) + "]";
      const boost::json::object* o = sv.get_array()[i].if_object();
      if (!o) throw std::runtime_error(where + " must be an object");
      site s;
      s.id = num(*o, "id", where);
      s.name = str(*o, "name", where);
      s.status = str(*o, "status", where);
      s.access_type = str(*o, "access_type", where);
      s.coverage = str(*o, "coverage", where);
      s.cname_zone = str(*o, "cname_zone", where, true);
      s.name_servers = str(*o, "name_servers", where, true);
      s.instance_id = str(*o, "instance_id", where, true);
      s.plan_name = str(*o, "plan_name", where, true);
      s.plan_spec = str(*o, "plan_spec", where, true);
      s.resource_group = str(*o, "resource_group", where, true);
      s.verify_code = str(*o, "verify_code", where, true);
      if (const auto* tags = o->if_contains("tags")) {
        if (!tags->is_object()) throw std::runtime_error(where + ".tags must be an object");
        for (const auto& kv : tags->get_object()) {
          if (!kv.value().is_string()) throw std::runtime_error(where + ".tags values must be strings");
          s.tags[std::string(kv.key())] = std::string(kv.value().get_string());
        }
      }
      s.create_time = num(*o, "create_time", where);
      s.update_time = num(*o, "update_time", where);
      s.visit_time = num(*o, "visit_time", where);
      sites.push_back(std::move(s));
    }
    auto read_tasks = [&](const char* key, task_kind kind) {
      std::vector<task> out;
      const boost::json::value& tv = member(*root, key, "state");
      if (!tv.is_array()) throw std::runtime_error(std::string("state.") + key + " must be an array");
      for (std::size_t i = 0; i < tv.get_array().size(); ++i) {
        const std::string where = std::string("state.") + key + "[" + std::to_string(i) + "]";
        const boost::json::object* o = tv.get_array()[i].if_object();
        if (!o) throw std::runtime_error(where + " must be an object");
        task t;
        t.kind = kind;
        t.id = str(*o, "id", where);
        t.site_id = num(*o, "site_id", where);
        t.content = str(*o, "content", where);
        t.type = str(*o, "type", where, true);
        t.created_ms = num(*o, "created_ms", where);
        t.duration_ms = num(*o, "duration_ms", where);
        t.failure = str(*o, "failure", where, true);
        out.push_back(std::move(t));
      }
      return out;
    };
    auto preload = read_tasks("preload_tasks", task_kind::preload);
    auto purge = read_tasks("purge_tasks", task_kind::purge);
    sites_ = std::move(sites);
    preload_ = std::move(preload);
    purge_ = std::move(purge);
    next_id_ = next_id;
  }

  std::string path_;
  mutable std::mutex mutex_;
  std::vector<site> sites_;
  std::vector<task> preload_;
  std::vector<task> purge_;
  std::uint64_t next_id_ = first_task_id;
  std::uint64_t generation_ = 0;

  std::mutex file_mutex_;
  std::uint64_t written_ = 0;  ///< generation of the last snapshot on disk; guarded by file_mutex_
};

}  // namespace esa_emulator
