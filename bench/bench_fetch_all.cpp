// fetch_all of 10,000 DescribePreloadTasks items (page size 50 -> 200 pages) from a fake fetcher that
// sleeps 20 ms per page, like a server 20 ms away: concurrent (max_concurrency 8) vs sequential
// (max_concurrency 1). Counters: seq_ms, conc_ms, speedup (target >= 6), same_items (1 when both runs
// returned the same 10,000 items in the same order).

#include <alicloud/core/pagination.hpp>
#include <alicloud/esa/describe_preload_tasks.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <thread>

namespace {

namespace esa = alicloud::esa;
constexpr int total_items = 10000;
constexpr int page_size = 50;
constexpr auto latency = std::chrono::milliseconds(20);

alicloud::result<esa::DescribePreloadTasksResponse> serve(const esa::DescribePreloadTasksRequest& r) {
  std::this_thread::sleep_for(latency);
  const int page = r.PageNumber.value_or(1), size = r.PageSize.value_or(20);
  esa::DescribePreloadTasksResponse resp;
  resp.TotalCount = total_items;
  resp.PageNumber = page;
  resp.PageSize = size;
  resp.Tasks.emplace();
  for (int i = (page - 1) * size; i < std::min(page * size, total_items); ++i) {
    esa::DescribePreloadTasksResponseTasksItem t;
    t.TaskId = std::to_string(1597854579687428LL + i);
    t.Content = "https://a.example.com/" + std::to_string(i) + ".jpg";
    t.Status = esa::DescribePreloadTasksResponseTasksItemStatus::Complete;
    t.Process = "100%";
    resp.Tasks->push_back(std::move(t));
  }
  return resp;
}

using items = std::vector<esa::DescribePreloadTasksResponseTasksItem>;

items run(std::size_t concurrency, benchmark::State& state) {
  esa::DescribePreloadTasksRequest req;
  req.SiteId = 123456789;
  req.PageSize = page_size;
  alicloud::fetch_all_options o;
  o.max_concurrency = concurrency;
  auto r = alicloud::fetch_all<esa::DescribePreloadTasks>(serve, req, o);
  if (!r) {
    state.SkipWithError(r.error().to_string().c_str());
    return {};
  }
  return std::move(*r);
}

void BM_FetchAll_Sequential(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(run(1, state));
}
BENCHMARK(BM_FetchAll_Sequential)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FetchAll_Concurrent8(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(run(8, state));
}
BENCHMARK(BM_FetchAll_Concurrent8)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FetchAll_Speedup(benchmark::State& state) {
  using clock = std::chrono::steady_clock;
  double seq = 0, conc = 0;
  bool same = true;
  for (auto _ : state) {
    auto t0 = clock::now();
    items a = run(1, state);
    auto t1 = clock::now();
    items b = run(8, state);
    auto t2 = clock::now();
    seq += std::chrono::duration<double, std::milli>(t1 - t0).count();
    conc += std::chrono::duration<double, std::milli>(t2 - t1).count();
    bool eq = a.size() == static_cast<std::size_t>(total_items) && a.size() == b.size();
    for (std::size_t i = 0; eq && i < a.size(); ++i) eq = a[i].TaskId == b[i].TaskId && a[i].Content == b[i].Content;
    same = same && eq;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["seq_ms"] = seq / n;
  state.counters["conc_ms"] = conc / n;
  state.counters["speedup"] = seq / conc;
  state.counters["same_items"] = same ? 1 : 0;
  if (!same) state.SkipWithError("concurrent and sequential results differ");
}
BENCHMARK(BM_FetchAll_Speedup)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
