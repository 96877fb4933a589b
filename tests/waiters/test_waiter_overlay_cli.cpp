// alicloud-gen on bad overlay "waiters" entries: each mistake gets an error naming the overlay file, the
// JSON path and the rule, a non-zero exit, and no output. Also: a waiter whose poll operation is not
// selected with --operations is left out rather than failing.

#include <doctest/doctest.h>

#include "../support/generator_runner.hpp"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <sys/wait.h>

#include <boost/json.hpp>

namespace fs = std::filesystem;

namespace {

using alicloud_test::run_result;
using alicloud_test::temp_dir;
run_result run(const std::string& args) { return alicloud_test::run_generator(args); }

const std::string spec = std::string(FIXTURE_DIR) + "/api-docs.json";

boost::json::object base_overlay() {
  std::ifstream in(std::string(FIXTURE_DIR) + "/overlay.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return boost::json::parse(text).as_object();
}
boost::json::object& first_waiter(boost::json::object& o) {
  return o["operations"].as_object()["StartJobs"].as_object()["waiters"].as_array()[0].as_object();
}

void expect_failure(const boost::json::object& overlay, const std::string& message) {
  temp_dir t;
  fs::path ov = t.path / "overlay.json";
  std::ofstream(ov) << boost::json::serialize(overlay);
  auto r = run("--spec " + spec + " --overlay " + ov.string() + " --include-dir " + (t.path / "inc").string());
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find(ov.string() + ": $.operations.StartJobs.waiters[0]") != std::string::npos);
  CHECK(r.output.find(message) != std::string::npos);
  CHECK_FALSE(fs::exists(t.path / "inc"));
}

}  // namespace

TEST_CASE("the fixture overlay itself generates") {
  temp_dir t;
  auto r = run("--spec " + spec + " --overlay " + std::string(FIXTURE_DIR) + "/overlay.json --include-dir " +
               (t.path / "inc").string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(fs::exists(t.path / "inc/alicloud/jobs/waiters.hpp"));
}

TEST_CASE("bad waiter entries are rejected with the path and the rule") {
  auto o = base_overlay();
  first_waiter(o)["bogus"] = 1;
  expect_failure(o, ".bogus: unknown waiter key");

  o = base_overlay();
  first_waiter(o).erase("name");
  expect_failure(o, "waiter needs \"name\"");

  o = base_overlay();
  first_waiter(o)["name"] = "not valid";
  expect_failure(o, ".name: \"not valid\" is not usable in a C++ function name");

  o = base_overlay();
  first_waiter(o)["poll"] = "Nope";
  expect_failure(o, ".poll: no operation \"Nope\" in the spec");

  o = base_overlay();
  first_waiter(o)["forEach"] = "Region";
  expect_failure(o, ".forEach: \"Region\" is not an array-of-strings parameter of StartJobs");

  o = base_overlay();
  first_waiter(o)["pollRequest"].as_object()["Url"] = "request.Urls";
  expect_failure(o, ".pollRequest.Url: \"request.Urls\" and GetJobs.Url have different types");

  o = base_overlay();
  first_waiter(o)["pollRequest"].as_object()["Url"] = "somewhere.Else";
  expect_failure(o, ".pollRequest.Url: expected \"each\", \"request.<Name>\", \"response.<Name>\" or {\"value\": ...}");

  o = base_overlay();
  first_waiter(o)["pollRequest"].as_object()["Nope"] = "each";
  expect_failure(o, ".pollRequest.Nope: GetJobs has no parameter \"Nope\"");

  o = base_overlay();
  first_waiter(o)["pollRequest"].as_object()["Limit"] = boost::json::object{{"value", "five"}};
  expect_failure(o, ".pollRequest.Limit: expected an integer that fits int32");

  o = base_overlay();
  first_waiter(o)["pollRequest"].as_object().erase("Limit");
  expect_failure(o, ".pollRequest: GetJobs requires \"Limit\"; set it here");

  o = base_overlay();
  first_waiter(o)["items"] = "RequestId";
  expect_failure(o, ".items: \"RequestId\" is not an array of objects in the response of GetJobs");

  o = base_overlay();
  first_waiter(o)["match"].as_object().erase("responseIds");
  expect_failure(o, ".match: \"id\" and \"responseIds\" go together");

  o = base_overlay();
  first_waiter(o)["match"].as_object()["separator"] = ", ";
  expect_failure(o, ".match.separator: expected one character");

  o = base_overlay();
  first_waiter(o)["status"] = "Nope";
  expect_failure(o, ".status: \"Nope\" is not a string, enum or integer member of GetJobsResponseJobsItem");

  o = base_overlay();
  first_waiter(o)["failure"] = boost::json::array{"ok"};
  expect_failure(o, "status \"ok\" is listed twice");

  o = base_overlay();
  first_waiter(o)["success"] = boost::json::array{};
  expect_failure(o, ".success: needs at least one status value");
}

TEST_CASE("a waiter whose poll operation is not selected is left out") {
  temp_dir t;
  auto r = run("--spec " + spec + " --overlay " + std::string(FIXTURE_DIR) +
               "/overlay.json --operations StartJobs --include-dir " + (t.path / "inc").string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(fs::exists(t.path / "inc/alicloud/jobs/start_jobs.hpp"));
  CHECK_FALSE(fs::exists(t.path / "inc/alicloud/jobs/waiters.hpp"));
}
