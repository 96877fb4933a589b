// Uses the installed ESA headers: build, validate and encode a request, decode a response.
#include <alicloud/esa.hpp>

#include <iostream>

int main() {
  namespace esa = alicloud::esa;
  esa::DescribePreloadTasksRequest req;
  req.PageSize = 51;
  auto violations = esa::validate(req);
  if (violations.size() != 1 || violations[0].field != "PageSize") return 1;
  req.PageSize = 50;
  auto enc = alicloud::encode_params(req, esa::DescribePreloadTasks::parameters);
  if (!enc || enc->query.size() != 1) return 2;
  auto resp = alicloud::json::from_json<esa::DescribePreloadTasksResponse>(R"({"TotalCount":3})");
  if (!resp || resp->TotalCount != 3) return 3;
  std::cout << "consumer ok\n";
  return 0;
}
