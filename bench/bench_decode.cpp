// Decoding a 50-task DescribePreloadTasks page into esa::DescribePreloadTasksResponse with the library's
// codec vs a bare boost::json::parse of the same bytes (the floor: any typed decoder parses first).
// BM_DecodeRatio reports typed/bare time as the counter `ratio` (target <= 1.5), and `ratio_vs_arena`
// against a parse into a stack-seeded monotonic arena, which is how from_json itself parses: that one
// isolates the cost of the conversion to structs.

#include <alicloud/esa/describe_preload_tasks.hpp>

#include <benchmark/benchmark.h>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <string>

namespace {

// A realistic page: URLs of varying length, all three states, progress, failure reasons on failed tasks.
std::string page_json() {
  std::string s = R"({"RequestId":"0AEDAF20-4DDF-4165-8750-47FF9C1929C9","PageNumber":1,"PageSize":50,"TotalCount":83,"Tasks":[)";
  const char* states[] = {"Complete", "Refreshing", "Failed"};
  for (int i = 0; i < 50; ++i) {
    char buf[512];
    const char* st = states[i % 3];
    std::snprintf(buf, sizeof buf,
                  R"(%s{"TaskId":"15978545796874%02d","Content":"https://static.example-%d.com/assets/img/%d/photo_%d.jpg?v=%d&b=2",)"
                  R"("Status":"%s","Process":"%d%%",%s"CreateTime":"2024-05-0%d 14:%02d:57"})",
                  i ? "," : "", i, i % 7, i * 13, i, i * 31, st, (i * 37) % 101,
                  i % 3 == 2 ? R"("Description":"Origin Return StatusCode 5XX",)" : "", 1 + i % 3, i);
    s += buf;
  }
  s += "]}";
  return s;
}

const std::string& page() {
  static const std::string text = page_json();
  return text;
}

void BM_DecodeTyped(benchmark::State& state) {
  const std::string& text = page();
  for (auto _ : state) {
    auto r = alicloud::json::from_json<alicloud::esa::DescribePreloadTasksResponse>(text);
    if (!r || r->Tasks->size() != 50) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_DecodeTyped);

void BM_ParseBare(benchmark::State& state) {
  const std::string& text = page();
  for (auto _ : state) {
    auto v = boost::json::parse(text);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseBare);

void BM_ParseArena(benchmark::State& state) {
  const std::string& text = page();
  for (auto _ : state) {
    unsigned char buffer[4096];
    boost::json::monotonic_resource arena(buffer, sizeof buffer);
    auto v = boost::json::parse(text, &arena);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseArena);

// CPU time of this thread: the machine is shared, and wall time would count other processes' slices.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// All three in the same process, interleaved in batches so frequency changes and cache state hit them
// alike; timed in thread CPU time.
void BM_DecodeRatio(benchmark::State& state) {
  const std::string& text = page();
  double typed = 0, bare = 0, arena_parse = 0;
  constexpr int batch = 200;
  for (auto _ : state) {
    double t0 = thread_cpu_seconds();
    for (int i = 0; i < batch; ++i) {
      auto r = alicloud::json::from_json<alicloud::esa::DescribePreloadTasksResponse>(text);
      benchmark::DoNotOptimize(r);
    }
    double t1 = thread_cpu_seconds();
    for (int i = 0; i < batch; ++i) {
      auto v = boost::json::parse(text);
      benchmark::DoNotOptimize(v);
    }
    double t2 = thread_cpu_seconds();
    for (int i = 0; i < batch; ++i) {
      unsigned char buffer[4096];
      boost::json::monotonic_resource arena(buffer, sizeof buffer);
      auto v = boost::json::parse(text, &arena);
      benchmark::DoNotOptimize(v);
    }
    double t3 = thread_cpu_seconds();
    typed += t1 - t0;
    bare += t2 - t1;
    arena_parse += t3 - t2;
  }
  const double n = static_cast<double>(state.iterations()) * batch;
  state.counters["typed_us"] = typed * 1e6 / n;
  state.counters["bare_us"] = bare * 1e6 / n;
  state.counters["arena_us"] = arena_parse * 1e6 / n;
  state.counters["ratio"] = typed / bare;
  state.counters["ratio_vs_arena"] = typed / arena_parse;
  state.counters["bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_DecodeRatio)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
