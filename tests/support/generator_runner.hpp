#pragma once
// Runs the real alicloud-gen binary (path in ALICLOUD_GEN) and captures its exit code and output, plus
// a scratch directory removed afterwards: shared by the generator and overlay CLI tests.

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <sys/wait.h>

namespace alicloud_test {

struct run_result {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

inline run_result run_generator(const std::string& args) {
  std::string cmd = std::string(ALICLOUD_GEN) + " " + args + " 2>&1";
  run_result r;
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("alicloud-gen-test-" + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::filesystem::path write(const std::string& name, const std::string& content) const {
    auto p = path / name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
};

}  // namespace alicloud_test
