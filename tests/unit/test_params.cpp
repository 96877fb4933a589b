// Tests of the RPC parameter codec (params.hpp): every flattening style both ways and decoder errors.
#include <alicloud/esa/describe_preload_tasks.hpp>
#include <alicloud/core/model.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pt {

struct StatusEnum : ::alicloud::open_enum<StatusEnum> {
  using open_enum::open_enum;
  static constexpr ::alicloud::enum_constant<StatusEnum> Complete{"Complete"};
  static constexpr std::array<std::string_view, 1> known_values{{"Complete"}};
};

struct TagItem {
  std::optional<std::string> Key;
  std::optional<std::string> Value;
};
BOOST_DESCRIBE_STRUCT(TagItem, (), (Key, Value))

struct Inner {
  std::optional<std::string> Name;
  std::optional<std::vector<std::int32_t>> Ports;
  std::optional<std::string> class_;
  static constexpr std::array<::alicloud::wire_name, 1> alicloud_wire_names{{{"class_", "class"}}};
};
BOOST_DESCRIBE_STRUCT(Inner, (), (Name, Ports, class_))

struct Request {
  std::int64_t SiteId = 0;  // required
  std::optional<std::string> Content;
  std::optional<std::int32_t> PageSize;
  std::optional<bool> Enabled;
  std::optional<double> Ratio;
  std::optional<::alicloud::utc_time> StartTime;
  std::optional<StatusEnum> Status;
  std::optional<std::vector<TagItem>> Tag;
  std::optional<std::vector<std::string>> Ids;
  std::optional<std::vector<std::string>> Names;
  std::optional<std::map<std::string, std::string>> Labels;
  std::optional<Inner> Config;
  std::optional<std::vector<std::int32_t>> Ports;
  std::optional<std::vector<std::string>> Words;
  std::optional<std::vector<std::string>> Pipes;
  std::optional<std::vector<TagItem>> Filters;
  std::optional<std::map<std::string, std::int64_t>> Limits;
  std::optional<std::string> Token;
  std::optional<std::string> Body;
  std::optional<boost::json::value> Extra;
  std::optional<std::vector<Inner>> Items;
  std::optional<std::string> default_;
  std::optional<std::vector<std::vector<std::string>>> Matrix;
  std::optional<std::vector<bool>> Bools;
};
BOOST_DESCRIBE_STRUCT(Request, (),
                      (SiteId, Content, PageSize, Enabled, Ratio, StartTime, Status, Tag, Ids, Names, Labels, Config,
                       Ports, Words, Pipes, Filters, Limits, Token, Body, Extra, Items, default_, Matrix, Bools))

using alicloud::param_in;
using alicloud::param_style;
inline constexpr std::array<::alicloud::param_info, 24> parameters{{
    {"SiteId", "SiteId", param_in::query, param_style::none},
    {"Content", "Content", param_in::query, param_style::none},
    {"PageSize", "PageSize", param_in::query, param_style::none},
    {"Enabled", "Enabled", param_in::query, param_style::none},
    {"Ratio", "Ratio", param_in::query, param_style::none},
    {"StartTime", "StartTime", param_in::query, param_style::none},
    {"Status", "Status", param_in::query, param_style::none},
    {"Tag", "Tag", param_in::query, param_style::repeat_list},
    {"Ids", "Ids", param_in::query, param_style::repeat_list},
    {"Names", "Names", param_in::query, param_style::json},
    {"Labels", "Labels", param_in::query, param_style::json},
    {"Config", "Config", param_in::query, param_style::flat},
    {"Ports", "Ports", param_in::query, param_style::simple},
    {"Words", "Words", param_in::query, param_style::space_delimited},
    {"Pipes", "Pipes", param_in::query, param_style::pipe_delimited},
    {"Filters", "Filters", param_in::query, param_style::none},
    {"Limits", "Limits", param_in::query, param_style::none},
    {"Token", "x-acs-token", param_in::header, param_style::none},
    {"Body", "Body", param_in::form_data, param_style::none},
    {"Extra", "Extra", param_in::body, param_style::flat},
    {"Items", "Items", param_in::path, param_style::json},
    {"default_", "default", param_in::host, param_style::none},
    {"Matrix", "Matrix", param_in::query, param_style::repeat_list},
    {"Bools", "Bools", param_in::query, param_style::simple},
}};

struct Small {
  std::optional<std::int32_t> A;
  std::optional<std::string> B;
};
BOOST_DESCRIBE_STRUCT(Small, (), (A, B))

}  // namespace pt

using alicloud::param_list;

namespace {

pt::Request full_request() {
  pt::Request r;
  r.SiteId = 9223372036854775807;
  r.Content = "";
  r.PageSize = -5;
  r.Enabled = false;
  r.Ratio = 0.1;
  r.StartTime = alicloud::utc_time::parse("2023-03-22T17:00:00Z");
  r.Status = pt::StatusEnum("Brand New");
  r.Tag = std::vector<pt::TagItem>{{"k1", "v1"}, {"k2", std::nullopt}};
  r.Ids = std::vector<std::string>{"a", "", "c"};
  r.Names = std::vector<std::string>{"x", "y\"z"};
  r.Labels = std::map<std::string, std::string>{{"b", "2"}, {"a", "1"}};
  r.Config = pt::Inner{"n", std::vector<std::int32_t>{80, 443}, "gold"};
  r.Ports = std::vector<std::int32_t>{1, 2, 3};
  r.Words = std::vector<std::string>{"hello", "world"};
  r.Pipes = std::vector<std::string>{"a", "b"};
  r.Filters = std::vector<pt::TagItem>{{std::nullopt, "only-value"}};
  r.Limits = std::map<std::string, std::int64_t>{{"max", 10}};
  r.Token = "tok";
  r.Body = "b o d y";
  r.Extra = boost::json::value{{"k", 1}, {"arr", {true, "s"}}, {"nul", nullptr}};
  r.Items = std::vector<pt::Inner>{pt::Inner{"i", std::nullopt, std::nullopt}};
  r.default_ = "dflt";
  r.Matrix = std::vector<std::vector<std::string>>{{"a", "b"}, {"c"}};
  r.Bools = std::vector<bool>{true, false};
  return r;
}

param_list merged(const alicloud::encoded_params& e) {
  param_list all = e.query;
  all.insert(all.end(), e.form.begin(), e.form.end());
  all.insert(all.end(), e.headers.begin(), e.headers.end());
  return all;
}

alicloud::error decode_error(const param_list& all) {
  auto r = alicloud::decode_params<pt::Request>(all, pt::parameters);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

}  // namespace

TEST_CASE("encode_params: every style, in table order, split by location") {
  auto e = alicloud::encode_params(full_request(), pt::parameters);
  REQUIRE(e.ok());
  const param_list query{
      {"SiteId", "9223372036854775807"},
      {"Content", ""},
      {"PageSize", "-5"},
      {"Enabled", "false"},
      {"Ratio", "0.1"},
      {"StartTime", "2023-03-22T17:00:00Z"},
      {"Status", "Brand New"},
      {"Tag.1.Key", "k1"},
      {"Tag.1.Value", "v1"},
      {"Tag.2.Key", "k2"},
      {"Ids.1", "a"},
      {"Ids.2", ""},
      {"Ids.3", "c"},
      {"Names", R"(["x","y\"z"])"},
      {"Labels", R"({"a":"1","b":"2"})"},
      {"Config.Name", "n"},
      {"Config.Ports.1", "80"},
      {"Config.Ports.2", "443"},
      {"Config.class", "gold"},
      {"Ports", "1,2,3"},
      {"Words", "hello world"},
      {"Pipes", "a|b"},
      {"Filters.1.Value", "only-value"},
      {"Limits.max", "10"},
      {"Items", R"([{"Name":"i"}])"},
      {"default", "dflt"},
      {"Matrix.1.1", "a"},
      {"Matrix.1.2", "b"},
      {"Matrix.2.1", "c"},
      {"Bools", "true,false"},
  };
  CHECK(e->query == query);
  const param_list form{{"Body", "b o d y"}, {"Extra.k", "1"}, {"Extra.arr.1", "true"}, {"Extra.arr.2", "s"}};
  CHECK(e->form == form);
  const param_list headers{{"x-acs-token", "tok"}};
  CHECK(e->headers == headers);
}

TEST_CASE("encode_params: unset members are omitted, required ones always sent") {
  pt::Request r;
  auto e = alicloud::encode_params(r, pt::parameters);
  REQUIRE(e.ok());
  CHECK(e->query == param_list{{"SiteId", "0"}});
  CHECK(e->form.empty());
  CHECK(e->headers.empty());

  r.Ids.emplace();    // empty repeat list: nothing
  r.Ports.emplace();  // empty simple list: `Ports=`
  r.Names.emplace();  // empty json list: `[]`
  r.Config.emplace();  // flat struct without members: nothing
  e = alicloud::encode_params(r, pt::parameters);
  REQUIRE(e.ok());
  CHECK(e->query == param_list{{"SiteId", "0"}, {"Names", "[]"}, {"Ports", ""}});
}

TEST_CASE("encode_params: scalar formatting") {
  pt::Request r;
  r.Ratio = 1e21;
  r.Enabled = true;
  r.PageSize = 2147483647;
  auto e = alicloud::encode_params(r, pt::parameters);
  REQUIRE(e.ok());
  CHECK(e->query == param_list{{"SiteId", "0"}, {"PageSize", "2147483647"}, {"Enabled", "true"}, {"Ratio", "1e+21"}});
  r.Ratio = 100.0;
  CHECK(alicloud::encode_params(r, pt::parameters)->query.back() == std::pair<std::string, std::string>{"Ratio", "100"});
  r.Ratio = 0.30000000000000004;
  CHECK(alicloud::encode_params(r, pt::parameters)->query.back().second == "0.30000000000000004");
}

TEST_CASE("json style on scalar members sends the plain value; xml style flattens") {
  constexpr std::array<alicloud::param_info, 2> params{{
      {"A", "A", alicloud::param_in::query, alicloud::param_style::json},
      {"B", "B", alicloud::param_in::query, alicloud::param_style::json},
  }};
  pt::Small s{7, "text"};
  auto e = alicloud::encode_params(s, params);
  REQUIRE(e.ok());
  CHECK(e->query == param_list{{"A", "7"}, {"B", "text"}});
  auto back = alicloud::decode_params<pt::Small>(e->query, params);
  REQUIRE(back.ok());
  CHECK(back->A == 7);
  CHECK(back->B == "text");

  pt::Request r;
  r.Tag = std::vector<pt::TagItem>{{"k", "v"}};
  std::array<alicloud::param_info, 24> xml = pt::parameters;
  xml[7].style = alicloud::param_style::xml;
  auto x = alicloud::encode_params(r, xml);
  REQUIRE(x.ok());
  CHECK(x->query == param_list{{"SiteId", "0"}, {"Tag.1.Key", "k"}, {"Tag.1.Value", "v"}});
}

TEST_CASE("members without parameter metadata are a clear error") {
  constexpr std::array<alicloud::param_info, 1> params{{
      {"A", "A", alicloud::param_in::query, alicloud::param_style::none},
  }};
  pt::Small s{1, "x"};
  auto e = alicloud::encode_params(s, params);
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().code == alicloud::errc::bad_parameter);
  CHECK(e.error().message == "request member B has no entry in the operation's parameter table");
  auto d = alicloud::decode_params<pt::Small>({{"A", "1"}}, params);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().message == "request member B has no entry in the operation's parameter table");
}

TEST_CASE("decode_params round-trips every style") {
  const pt::Request original = full_request();
  auto e = alicloud::encode_params(original, pt::parameters);
  REQUIRE(e.ok());
  auto d = alicloud::decode_params<pt::Request>(merged(*e), pt::parameters);
  REQUIRE_MESSAGE(d.ok(), d.error().to_string());
  // Compare through the JSON codec: every member, nested values included.
  pt::Request expected = original;
  // A flattened `any` comes back as strings in objects: without a type there is no telling a list
  // from a map keyed "1", "2"; nulls are not sent at all.
  expected.Extra = boost::json::value{{"k", "1"}, {"arr", {{"1", "true"}, {"2", "s"}}}};
  CHECK(alicloud::json::to_json(*d) == alicloud::json::to_json(expected));
  CHECK(d->SiteId == 9223372036854775807);
  CHECK(d->Content == "");
  CHECK(d->Ratio == 0.1);
  CHECK(d->Status == pt::StatusEnum("Brand New"));
  CHECK(d->Tag->at(1).Key == "k2");
  CHECK_FALSE(d->Tag->at(1).Value.has_value());
  CHECK(d->Ids->at(1) == "");
  CHECK(d->Names->at(1) == "y\"z");
  CHECK(d->Config->class_ == "gold");
  CHECK(*d->Bools == std::vector<bool>{true, false});
  CHECK(d->Matrix->at(1).at(0) == "c");

  // And again: decode(encode(decode(x))) is stable.
  auto e2 = alicloud::encode_params(*d, pt::parameters);
  REQUIRE(e2.ok());
  auto d2 = alicloud::decode_params<pt::Request>(merged(*e2), pt::parameters);
  REQUIRE(d2.ok());
  CHECK(alicloud::json::to_json(*d2) == alicloud::json::to_json(*d));
}

TEST_CASE("decode_params: order of list indices on the wire does not matter, unknown names are ignored") {
  param_list all{{"Tag.2.Key", "second"}, {"Unknown", "x"}, {"Tag.1.Key", "first"}, {"SiteId", "1"},
                 {"Ids.10", "j"},        {"Ids.9", "i"},      {"Ids.8", "h"},          {"Ids.7", "g"},
                 {"Ids.6", "f"},         {"Ids.5", "e"},      {"Ids.4", "d"},          {"Ids.3", "c"},
                 {"Ids.2", "b"},         {"Ids.1", "a"},      {"TagX.1", "ignored"},   {"Ports", "7"}};
  auto d = alicloud::decode_params<pt::Request>(all, pt::parameters);
  REQUIRE(d.ok());
  CHECK(d->Tag->at(0).Key == "first");
  CHECK(d->Tag->at(1).Key == "second");
  CHECK(*d->Ids == std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"});
  CHECK(*d->Ports == std::vector<std::int32_t>{7});
  CHECK_FALSE(d->Content.has_value());

  d = alicloud::decode_params<pt::Request>({{"SiteId", "1"}, {"Ports", ""}, {"Words", "one"}}, pt::parameters);
  REQUIRE(d.ok());
  CHECK(d->Ports->empty());
  CHECK(*d->Words == std::vector<std::string>{"one"});
}

TEST_CASE("decode_params: bad scalars name the parameter and the problem") {
  auto e = decode_error({{"SiteId", "1"}, {"PageSize", "abc"}});
  CHECK(e.code == alicloud::errc::bad_parameter);
  CHECK(e.message == R"(PageSize: expected an integer, got "abc")");
  REQUIRE(e.violations.size() == 1);
  CHECK(e.violations[0].field == "PageSize");
  CHECK(e.violations[0].rule == "type");
  CHECK(e.violations[0].message == e.message);

  e = decode_error({{"SiteId", "1"}, {"StartTime", "yesterday"}});
  CHECK(e.code == alicloud::errc::bad_format);
  CHECK(e.message == R"(StartTime: expected yyyy-MM-ddTHH:mm:ssZ, got "yesterday")");
  CHECK(e.violations.at(0).rule == "format");

  e = decode_error({{"SiteId", "1"}, {"PageSize", "2147483648"}});
  CHECK(e.message == R"(PageSize: "2147483648" is out of range for int32)");
  e = decode_error({{"SiteId", "1"}, {"PageSize", " 1"}});
  CHECK(e.message == R"(PageSize: expected an integer, got " 1")");
  e = decode_error({{"SiteId", "1"}, {"PageSize", ""}});
  CHECK(e.message == R"(PageSize: expected an integer, got "")");
  e = decode_error({{"SiteId", "1"}, {"Enabled", "True"}});
  CHECK(e.message == R"(Enabled: expected true or false, got "True")");
  e = decode_error({{"SiteId", "1"}, {"Ratio", "1.5x"}});
  CHECK(e.message == R"(Ratio: expected a number, got "1.5x")");
  e = decode_error({{"SiteId", "1"}, {"Ratio", "inf"}});
  CHECK(e.violations.at(0).field == "Ratio");
}

TEST_CASE("decode_params: required members, structure errors and several problems at once") {
  auto e = decode_error({{"PageSize", "10"}});
  CHECK(e.code == alicloud::errc::missing_field);
  CHECK(e.message == "SiteId: required parameter is missing");
  CHECK(e.violations.at(0).rule == "required");
  CHECK(e.violations.at(0).field == "SiteId");

  e = decode_error({{"SiteId", "1"}, {"Tag.1.Key", "a"}, {"Tag.3.Key", "c"}});
  CHECK(e.message == "Tag: list indices must run from 1 without gaps, Tag.2 is missing");
  CHECK(e.violations.at(0).field == "Tag.2");

  e = decode_error({{"SiteId", "1"}, {"Tag.x.Key", "a"}});
  CHECK(e.message == R"(Tag.x: expected a list index (1, 2, ...), got "x")");
  e = decode_error({{"SiteId", "1"}, {"Tag.0.Key", "a"}});
  CHECK(e.violations.at(0).field == "Tag.0");

  e = decode_error({{"SiteId", "1"}, {"Tag.1", "a"}, {"Tag.1.Key", "b"}});
  CHECK(e.message == "Tag.1.Key: conflicts with another parameter of Tag");
  e = decode_error({{"SiteId", "1"}, {"Tag..Key", "b"}});
  CHECK(e.message == "Tag..Key: malformed parameter name (empty segment)");

  e = decode_error({{"SiteId", "1"}, {"Config.Ports.1", "80"}, {"Config.Ports.2", "http"}});
  CHECK(e.code == alicloud::errc::bad_format);
  CHECK(e.message == R"(Config.Ports.2: expected integer, got string "http")");
  CHECK(e.violations.at(0).field == "Config.Ports.2");

  e = decode_error({{"SiteId", "1"}, {"Limits.max", "99999999999999999999"}});
  CHECK(e.message == R"(Limits.max: number "99999999999999999999" is out of range for int64)");

  e = decode_error({{"SiteId", "1"}, {"Tag", "not a list"}});
  CHECK(e.message == "Tag: expected array, got string");

  e = decode_error({{"SiteId", "1"}, {"Names", "[\"a\","}});
  CHECK(e.code == alicloud::errc::bad_format);
  CHECK(e.message.rfind(R"(Names: expected JSON, got "["a"," (invalid JSON at offset )", 0) == 0);
  e = decode_error({{"SiteId", "1"}, {"Names", R"(["a",2])"}});
  CHECK(e.code == alicloud::errc::bad_parameter);
  CHECK(e.message == "Names[1]: expected string, got number");
  e = decode_error({{"SiteId", "1"}, {"Items", R"([{"Ports":[1,"x"]}])"}});
  CHECK(e.message == R"(Items[0].Ports[1]: expected integer, got string "x")");

  e = decode_error({{"SiteId", "1"}, {"Ports", "1,x,3"}});
  CHECK(e.message == R"(Ports[1]: expected integer, got string "x")");
  e = decode_error({{"SiteId", "1"}, {"Bools", "true,maybe"}});
  CHECK(e.message == R"(Bools[1]: expected true or false, got string "maybe")");

  e = decode_error({{"PageSize", "x"}, {"StartTime", "2023-02-29T00:00:00Z"}, {"Ids.2", "b"}});
  REQUIRE(e.violations.size() == 4);
  CHECK(e.message == R"(SiteId: required parameter is missing (and 3 more))");
  CHECK(e.violations[0].field == "SiteId");
  CHECK(e.violations[1].field == "PageSize");
  CHECK(e.violations[2].field == "StartTime");
  CHECK(e.violations[3].field == "Ids.1");
  CHECK(e.to_string().find("StartTime: expected yyyy-MM-ddTHH:mm:ssZ") != std::string::npos);
}

// The committed generated header, not a copy of it: if the core stops accepting what alicloud-gen emits,
// this breaks.
TEST_CASE("generated DescribePreloadTasks: request, validator and traits work with the core codecs") {
  using Op = alicloud::esa::DescribePreloadTasks;
  static_assert(alicloud::is_paginated_v<Op>);
  static_assert(Op::method == alicloud::http_method::get);
  static_assert(alicloud::matches_code_pattern(Op::product_type::retryable_errors[1], "Throttling.User"));

  alicloud::esa::DescribePreloadTasksRequest r;
  r.SiteId = 123;
  r.PageSize = 50;
  r.StartTime = alicloud::utc_time::parse("2023-03-20T00:00:00Z");
  r.EndTime = alicloud::utc_time::parse("2023-03-21T00:00:00Z");
  r.Status = alicloud::esa::DescribePreloadTasksRequestStatus::Complete;
  auto e = alicloud::encode_params(r, Op::parameters);
  REQUIRE(e.ok());
  CHECK(e->query == param_list{{"SiteId", "123"},
                               {"PageSize", "50"},
                               {"StartTime", "2023-03-20T00:00:00Z"},
                               {"EndTime", "2023-03-21T00:00:00Z"},
                               {"Status", "Complete"}});
  auto d = alicloud::decode_params<Op::request_type>(e->query, Op::parameters);
  REQUIRE(d.ok());
  CHECK(d->Status == alicloud::esa::DescribePreloadTasksRequestStatus::Complete);
  CHECK(d->StartTime == r.StartTime);

  alicloud::manual_clock clk(alicloud::utc_time::parse("2023-03-22T00:00:00Z")->time_point());
  CHECK(Op::validate(r, clk).empty());
  r.PageSize = 51;
  r.EndTime.reset();
  auto v = Op::validate(r, clk);
  REQUIRE(v.size() == 2);
  CHECK(v[0].message == "PageSize must be between 1 and 50, got 51");
  CHECK(v[1].code == "MissingTimeParameter");

  auto resp = alicloud::json::from_json<Op::response_type>(
      R"({"RequestId":"r","PageNumber":1,"PageSize":10,"TotalCount":83,"Tasks":[{"Status":"Complete","TaskId":"1"}]})");
  REQUIRE(resp.ok());
  CHECK((*resp).*Op::pagination::total_count == 83);
  CHECK(((*resp).*Op::pagination::items)->at(0).Status->value() == "Complete");
}
