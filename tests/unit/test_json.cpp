// Tests of the describe-driven JSON codec (include/alicloud/core/json.hpp).
#include <alicloud/core/model.hpp>

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace jt {

struct TaskStatus : ::alicloud::open_enum<TaskStatus> {
  using open_enum::open_enum;
  static constexpr ::alicloud::enum_constant<TaskStatus> Refreshing{"Refreshing"};
  static constexpr ::alicloud::enum_constant<TaskStatus> Complete{"Complete"};
  static constexpr ::alicloud::enum_constant<TaskStatus> Failed{"Failed"};
  static constexpr std::array<std::string_view, 3> known_values{{"Refreshing", "Complete", "Failed"}};
};

struct TasksItem {
  std::optional<std::string> TaskId;
  std::optional<std::string> Content;
  std::optional<TaskStatus> Status;
  std::optional<std::string> Process;
  std::optional<std::string> Description;
  std::optional<std::string> CreateTime;
};
BOOST_DESCRIBE_STRUCT(TasksItem, (), (TaskId, Content, Status, Process, Description, CreateTime))

struct Response {
  std::optional<std::string> RequestId;
  std::optional<std::int64_t> PageNumber;
  std::optional<std::int64_t> PageSize;
  std::optional<std::int64_t> TotalCount;
  std::optional<std::vector<TasksItem>> Tasks;
};
BOOST_DESCRIBE_STRUCT(Response, (), (RequestId, PageNumber, PageSize, TotalCount, Tasks))

struct Renamed {
  std::optional<std::string> default_;
  std::optional<std::int32_t> _1m;
  std::optional<std::string> Plain;
  static constexpr std::array<::alicloud::wire_name, 2> alicloud_wire_names{{{"default_", "default"}, {"_1m", "1m"}}};
};
BOOST_DESCRIBE_STRUCT(Renamed, (), (default_, _1m, Plain))

// Split struct: members spread over a described base, the way the generator handles > 52 members.
struct Split_part1 {
  std::int32_t A = 0;
  std::optional<std::string> B;
  std::optional<std::string> class_;
  static constexpr std::array<::alicloud::wire_name, 1> alicloud_wire_names{{{"class_", "class"}}};
};
BOOST_DESCRIBE_STRUCT(Split_part1, (), (A, B, class_))
struct Split : Split_part1 {
  std::optional<std::int64_t> C;
  std::optional<std::vector<std::string>> D;
};
BOOST_DESCRIBE_STRUCT(Split, (Split_part1), (C, D))

struct Rule {
  std::optional<std::string> Op;
  std::optional<std::vector<Rule>> Criteria;
};
BOOST_DESCRIBE_STRUCT(Rule, (), (Op, Criteria))

struct Kitchen {
  std::int32_t Count = 0;          // required
  std::string Name;                // required
  std::optional<double> Ratio;
  std::optional<bool> Enabled;
  std::optional<std::uint64_t> Big;
  std::optional<std::vector<std::int32_t>> Ints;
  std::optional<std::vector<bool>> Flags;
  std::optional<std::map<std::string, std::int64_t>> Counters;
  std::optional<std::map<std::string, TasksItem>> ByName;
  std::optional<boost::json::value> Any;
  std::optional<::alicloud::utc_time> When;
  std::optional<std::vector<std::optional<std::string>>> Holes;
};
BOOST_DESCRIBE_STRUCT(Kitchen, (), (Count, Name, Ratio, Enabled, Big, Ints, Flags, Counters, ByName, Any, When, Holes))

struct Deep {
  std::optional<std::vector<Deep>> Next;
};
BOOST_DESCRIBE_STRUCT(Deep, (), (Next))

}  // namespace jt

using alicloud::json::from_json;
using alicloud::json::from_value;
using alicloud::json::to_json;
using alicloud::json::to_value;

namespace {

constexpr const char* seed_response =
    R"({"RequestId":"0AEDAF20-4DDF-4165-8750-47FF9C1929C9","PageNumber":1,"PageSize":10,"TotalCount":83,)"
    R"("Tasks":[{"Status":"Complete","CreateTime":"2023-03-28 14:28:57","Process":"100%",)"
    R"("Description":"Internal Error","Content":"http://a.com/1.jpg?b=2","TaskId":"1597854579687428"}]})";

template <class T>
alicloud::error decode_error(std::string_view text, const alicloud::json::decode_options& o = {}) {
  auto r = from_json<T>(text, o);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string nested_deep(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += R"({"Next":[)";
  s += "{}";
  for (int i = 0; i < depth; ++i) s += "]}";
  return s;
}

}  // namespace

TEST_CASE("seed example response decodes exactly") {
  auto r = from_json<jt::Response>(seed_response);
  REQUIRE(r.ok());
  CHECK(r->RequestId == "0AEDAF20-4DDF-4165-8750-47FF9C1929C9");
  CHECK(r->PageNumber == 1);
  CHECK(r->PageSize == 10);
  CHECK(r->TotalCount == 83);
  REQUIRE(r->Tasks.has_value());
  REQUIRE(r->Tasks->size() == 1);
  const jt::TasksItem& t = r->Tasks->front();
  CHECK(t.TaskId == "1597854579687428");
  CHECK(t.Content == "http://a.com/1.jpg?b=2");
  REQUIRE(t.Status.has_value());
  CHECK(*t.Status == jt::TaskStatus::Complete);
  CHECK(t.Status->is_known());
  CHECK(t.Process == "100%");
  CHECK(t.Description == "Internal Error");
  CHECK(t.CreateTime == "2023-03-28 14:28:57");
}

TEST_CASE("round trip through to_json keeps every value and omits disengaged optionals") {
  auto r = from_json<jt::Response>(seed_response);
  REQUIRE(r.ok());
  const std::string text = to_json(*r);
  CHECK(text.find("null") == std::string::npos);
  auto again = from_json<jt::Response>(text);
  REQUIRE(again.ok());
  CHECK(to_json(*again) == text);
  CHECK(again->Tasks->at(0).TaskId == "1597854579687428");

  jt::Response partial;
  partial.RequestId = "x";
  CHECK(to_json(partial) == R"({"RequestId":"x"})");
  partial.Tasks.emplace();
  CHECK(to_json(partial) == R"({"RequestId":"x","Tasks":[]})");
}

TEST_CASE("members are written in declaration order with the exact wire form") {
  jt::TasksItem t;
  t.TaskId = "1";
  t.Status = jt::TaskStatus::Failed;
  t.CreateTime = "c";
  CHECK(to_json(t) == R"({"TaskId":"1","Status":"Failed","CreateTime":"c"})");
}

TEST_CASE("unknown keys are ignored, unknown enum values are kept") {
  auto r = from_json<jt::Response>(
      R"({"Extra":{"a":[1,2,{"b":null}]},"Tasks":[{"Status":"Paused","Whatever":1}],"RequestId":"r"})");
  REQUIRE(r.ok());
  CHECK(r->RequestId == "r");
  REQUIRE(r->Tasks->size() == 1);
  CHECK(r->Tasks->at(0).Status->value() == "Paused");
  CHECK_FALSE(r->Tasks->at(0).Status->is_known());
  CHECK(to_json(r->Tasks->at(0)) == R"({"Status":"Paused"})");
}

TEST_CASE("wrong types report the exact JSON path") {
  auto e = decode_error<jt::Response>(R"({"Tasks":[{},{},{},{"TaskId":5}]})");
  CHECK(e.code == alicloud::errc::type_mismatch);
  CHECK(e.message == "$.Tasks[3].TaskId: expected string, got number");

  e = decode_error<jt::Response>(R"({"Tasks":{"TaskId":"1"}})");
  CHECK(e.code == alicloud::errc::type_mismatch);
  CHECK(e.message == "$.Tasks: expected array, got object");

  e = decode_error<jt::Response>(R"({"PageSize":true})");
  CHECK(e.message == "$.PageSize: expected integer, got bool");

  e = decode_error<jt::Response>(R"([1])");
  CHECK(e.message == "$: expected object, got array");

  e = decode_error<jt::Response>(R"({"Tasks":[{"Status":1}]})");
  CHECK(e.message == "$.Tasks[0].Status: expected string, got number");

  e = decode_error<jt::Kitchen>(R"({"Count":1,"Name":"n","ByName":{"a b":{"TaskId":[]}}})");
  CHECK(e.message == R"($.ByName["a b"].TaskId: expected string, got array)");

  e = decode_error<jt::Kitchen>(R"({"Count":1,"Name":"n","Counters":{"k":"x"}})");
  CHECK(e.code == alicloud::errc::bad_format);
  CHECK(e.message == R"($.Counters.k: expected integer, got string "x")");

  e = decode_error<jt::Rule>(R"({"Criteria":[{"Criteria":[{"Op":"a"},{"Op":false}]}]})");
  CHECK(e.message == "$.Criteria[0].Criteria[1].Op: expected string, got bool");
}

TEST_CASE("required members must be present, optional ones may be missing or null") {
  auto e = decode_error<jt::Kitchen>(R"({"Name":"n"})");
  CHECK(e.code == alicloud::errc::missing_field);
  CHECK(e.message == "$.Count: missing required field");

  e = decode_error<jt::Kitchen>(R"({"Count":1,"Name":null})");
  CHECK(e.code == alicloud::errc::type_mismatch);
  CHECK(e.message == "$.Name: expected string, got null");

  auto r = from_json<jt::Kitchen>(R"({"Count":1,"Name":"","Ratio":null,"Ints":null,"Any":null})");
  REQUIRE(r.ok());
  CHECK(r->Count == 1);
  CHECK(r->Name.empty());
  CHECK_FALSE(r->Ratio.has_value());
  CHECK_FALSE(r->Ints.has_value());
  CHECK_FALSE(r->Any.has_value());  // null for an optional any is "absent"
  CHECK(to_json(*r) == R"({"Count":1,"Name":""})");
}

TEST_CASE("integers: int64 exact, strings accepted, overflow rejected") {
  auto r = from_json<jt::Response>(R"({"TotalCount":9223372036854775807,"PageNumber":-9223372036854775808})");
  REQUIRE(r.ok());
  CHECK(*r->TotalCount == std::numeric_limits<std::int64_t>::max());
  CHECK(*r->PageNumber == std::numeric_limits<std::int64_t>::min());
  CHECK(to_json(*r) == R"({"PageNumber":-9223372036854775808,"TotalCount":9223372036854775807})");

  r = from_json<jt::Response>(R"({"TotalCount":"9223372036854775807","PageSize":"-12"})");
  REQUIRE(r.ok());
  CHECK(*r->TotalCount == std::numeric_limits<std::int64_t>::max());
  CHECK(*r->PageSize == -12);

  auto e = decode_error<jt::Response>(R"({"TotalCount":9223372036854775808})");
  CHECK(e.code == alicloud::errc::out_of_range);
  CHECK(e.message == "$.TotalCount: number 9223372036854775808 is out of range for int64");

  e = decode_error<jt::Response>(R"({"TotalCount":123456789012345678901234567890})");
  CHECK(e.code == alicloud::errc::out_of_range);
  CHECK(e.message.rfind("$.TotalCount: number 1.2345678901234568e+29 is out of range for int64", 0) == 0);

  e = decode_error<jt::Response>(R"({"TotalCount":"9223372036854775808"})");
  CHECK(e.code == alicloud::errc::out_of_range);

  e = decode_error<jt::Response>(R"({"TotalCount":"12abc"})");
  CHECK(e.code == alicloud::errc::bad_format);
  CHECK(e.message == R"($.TotalCount: expected integer, got string "12abc")");
  CHECK(decode_error<jt::Response>(R"({"TotalCount":""})").code == alicloud::errc::bad_format);
  CHECK(decode_error<jt::Response>(R"({"TotalCount":" 1"})").code == alicloud::errc::bad_format);
  CHECK(decode_error<jt::Response>(R"({"TotalCount":"+1"})").code == alicloud::errc::bad_format);

  e = decode_error<jt::Response>(R"({"TotalCount":1.5})");
  CHECK(e.code == alicloud::errc::type_mismatch);
  CHECK(e.message == "$.TotalCount: expected integer, got number 1.5");

  r = from_json<jt::Response>(R"({"TotalCount":3.0})");
  REQUIRE(r.ok());
  CHECK(*r->TotalCount == 3);

  // int32
  auto k = from_json<jt::Kitchen>(R"({"Count":2147483647,"Name":"n","Ints":[-2147483648,"7"]})");
  REQUIRE(k.ok());
  CHECK(k->Count == 2147483647);
  CHECK(*k->Ints == std::vector<std::int32_t>{-2147483648, 7});
  e = decode_error<jt::Kitchen>(R"({"Count":2147483648,"Name":"n"})");
  CHECK(e.code == alicloud::errc::out_of_range);
  CHECK(e.message == "$.Count: number 2147483648 is out of range for int32");
  e = decode_error<jt::Kitchen>(R"({"Count":1,"Name":"n","Ints":[1,-2147483649]})");
  CHECK(e.message == "$.Ints[1]: number -2147483649 is out of range for int32");
  CHECK(decode_error<jt::Kitchen>(R"({"Count":"2147483648","Name":"n"})").code == alicloud::errc::out_of_range);

  // uint64 keeps the full range
  k = from_json<jt::Kitchen>(R"({"Count":1,"Name":"n","Big":18446744073709551615})");
  REQUIRE(k.ok());
  CHECK(*k->Big == std::numeric_limits<std::uint64_t>::max());
  CHECK(to_json(*k) == R"({"Count":1,"Name":"n","Big":18446744073709551615})");
  CHECK(decode_error<jt::Kitchen>(R"({"Count":1,"Name":"n","Big":-1})").code == alicloud::errc::out_of_range);
}

TEST_CASE("doubles, bools and lenient scalars") {
  auto k = from_json<jt::Kitchen>(R"({"Count":1,"Name":"n","Ratio":3,"Enabled":false})");
  REQUIRE(k.ok());
  CHECK(*k->Ratio == 3.0);
  CHECK(*k->Enabled == false);
  k->Ratio = 0.1;
  CHECK(to_json(*k) == R"({"Count":1,"Name":"n","Ratio":0.1,"Enabled":false})");

  auto e = decode_error<jt::Kitchen>(R"({"Count":1,"Name":"n","Ratio":1e400})");
  CHECK(e.code == alicloud::errc::out_of_range);
  CHECK(e.message.rfind("$.Ratio: number", 0) == 0);

  e = decode_error<jt::Kitchen>(R"({"Count":1,"Name":"n","Ratio":"0.5"})");
  CHECK(e.code == alicloud::errc::type_mismatch);
  CHECK(e.message == "$.Ratio: expected number, got string");
  e = decode_error<jt::Kitchen>(R"({"Count":1,"Name":"n","Enabled":"true"})");
  CHECK(e.message == "$.Enabled: expected bool, got string");

  alicloud::json::decode_options lenient;
  lenient.lenient_scalars = true;
  k = from_json<jt::Kitchen>(R"({"Count":"1","Name":"n","Ratio":"0.5","Enabled":"true","Flags":["false",true]})",
                             lenient);
  REQUIRE(k.ok());
  CHECK(*k->Ratio == 0.5);
  CHECK(*k->Enabled == true);
  CHECK(*k->Flags == std::vector<bool>{false, true});
  e = decode_error<jt::Kitchen>(R"({"Count":1,"Name":"n","Enabled":"yes"})", lenient);
  CHECK(e.code == alicloud::errc::bad_format);
  CHECK(e.message == R"($.Enabled: expected true or false, got string "yes")");
  e = decode_error<jt::Kitchen>(R"({"Count":1,"Name":"n","Ratio":"0.5x"})", lenient);
  CHECK(e.code == alicloud::errc::bad_format);
}

TEST_CASE("renamed members use the wire name in both directions") {
  auto r = from_json<jt::Renamed>(R"({"default":"d","1m":60,"Plain":"p","default_":"ignored"})");
  REQUIRE(r.ok());
  CHECK(r->default_ == "d");
  CHECK(r->_1m == 60);
  CHECK(r->Plain == "p");
  CHECK(to_json(*r) == R"({"default":"d","1m":60,"Plain":"p"})");
  auto e = decode_error<jt::Renamed>(R"({"1m":"x"})");
  CHECK(e.message == R"($["1m"]: expected integer, got string "x")");
}

TEST_CASE("split structs with described bases decode and encode every member") {
  auto r = from_json<jt::Split>(R"({"A":1,"B":"b","class":"k","C":3,"D":["x","y"]})");
  REQUIRE(r.ok());
  CHECK(r->A == 1);
  CHECK(r->B == "b");
  CHECK(r->class_ == "k");
  CHECK(r->C == 3);
  CHECK(*r->D == std::vector<std::string>{"x", "y"});
  CHECK(to_json(*r) == R"({"A":1,"B":"b","class":"k","C":3,"D":["x","y"]})");
  auto e = decode_error<jt::Split>(R"({"C":3})");
  CHECK(e.code == alicloud::errc::missing_field);
  CHECK(e.message == "$.A: missing required field");
}

TEST_CASE("recursive structs, maps, any, vector<bool>, optional elements") {
  const std::string text =
      R"({"Count":1,"Name":"n","Flags":[true,false],"Counters":{"a":1,"b":-2},)"
      R"("ByName":{"x":{"TaskId":"t"}},"Any":{"k":[1,"two",null,{"z":2.5}]},"When":"2024-02-29T23:59:59Z",)"
      R"("Holes":["a",null,"c"]})";
  auto k = from_json<jt::Kitchen>(text);
  REQUIRE(k.ok());
  CHECK(*k->Flags == std::vector<bool>{true, false});
  CHECK(k->Counters->at("a") == 1);
  CHECK(k->Counters->at("b") == -2);
  CHECK(k->ByName->at("x").TaskId == "t");
  REQUIRE(k->Any.has_value());
  CHECK(k->Any->at("k").as_array().size() == 4);
  CHECK(k->Any->at("k").at(3).at("z").as_double() == 2.5);
  CHECK(k->When->to_string() == "2024-02-29T23:59:59Z");
  REQUIRE(k->Holes->size() == 3);
  CHECK_FALSE(k->Holes->at(1).has_value());
  CHECK(to_json(*k) == text);

  auto rule = from_json<jt::Rule>(R"({"Op":"and","Criteria":[{"Op":"eq"},{"Op":"or","Criteria":[{"Op":"lt"}]}]})");
  REQUIRE(rule.ok());
  CHECK(rule->Criteria->at(1).Criteria->at(0).Op == "lt");
  CHECK(to_json(*rule) == R"({"Op":"and","Criteria":[{"Op":"eq"},{"Op":"or","Criteria":[{"Op":"lt"}]}]})");

  auto e = decode_error<jt::Kitchen>(R"({"Count":1,"Name":"n","When":"2023-03-28 14:28:57"})");
  CHECK(e.code == alicloud::errc::bad_format);
  CHECK(e.message == R"($.When: expected yyyy-MM-ddTHH:mm:ssZ, got "2023-03-28 14:28:57")");
}

TEST_CASE("an any value outlives the parse arena") {
  std::optional<boost::json::value> kept;
  {
    auto k = from_json<jt::Kitchen>(R"({"Count":1,"Name":"n","Any":{"long key that is not small":"and a long value too"}})");
    REQUIRE(k.ok());
    kept = std::move(k->Any);
  }
  // Overwrite the stack where from_json's arena lived.
  volatile char scratch[8192];
  for (auto& c : scratch) c = 'x';
  CHECK(kept->at("long key that is not small").as_string() == "and a long value too");
}

TEST_CASE("top-level non-struct types") {
  auto v = from_json<std::vector<std::int64_t>>("[1,2,\"3\"]");
  REQUIRE(v.ok());
  CHECK(*v == std::vector<std::int64_t>{1, 2, 3});
  auto m = from_json<std::map<std::string, std::string>>(R"({"a":"b"})");
  REQUIRE(m.ok());
  CHECK(m->at("a") == "b");
  CHECK(to_json(*m) == R"({"a":"b"})");
  auto s = from_json<std::string>(R"("x\"y")");
  REQUIRE(s.ok());
  CHECK(*s == "x\"y");
  CHECK(to_json(std::string("a\"b\\c\n\x01")) == R"("a\"b\\c\n\u0001")");
  CHECK(to_json(std::string("\xe4\xbd\xa0")) == "\"\xe4\xbd\xa0\"");
  auto any = from_json<boost::json::value>(R"({"a":[1,2]})");
  REQUIRE(any.ok());
  CHECK(to_json(*any) == R"({"a":[1,2]})");
  CHECK(to_json(boost::json::value(1e300 * 1e300)) == "null");
  CHECK(to_json(boost::json::value(-0.25)) == "-0.25");
}

TEST_CASE("malformed JSON") {
  auto e = decode_error<jt::Response>(R"({"RequestId":)");
  CHECK(e.code == alicloud::errc::json_parse);
  CHECK(e.message.rfind("invalid JSON", 0) == 0);
  CHECK(decode_error<jt::Response>("").code == alicloud::errc::json_parse);
  CHECK(decode_error<jt::Response>(R"({"a":1} x)").code == alicloud::errc::json_parse);
  CHECK(decode_error<jt::Response>(R"({"a":1,})").code == alicloud::errc::json_parse);
  CHECK(decode_error<jt::Response>("{'a':1}").code == alicloud::errc::json_parse);
}

TEST_CASE("nesting depth is limited when parsing and when converting") {
  alicloud::json::decode_options o;
  o.max_depth = 8;
  // Deep: each level is an object plus an array.
  CHECK(from_json<jt::Deep>(nested_deep(3), o).ok());  // 3*2 + 1 = 7 levels
  auto e = decode_error<jt::Deep>(nested_deep(4), o);  // 9 levels
  CHECK(e.code == alicloud::errc::depth_exceeded);

  e = decode_error<boost::json::value>(nested_arrays(65));
  CHECK(e.code == alicloud::errc::depth_exceeded);
  CHECK(from_json<boost::json::value>(nested_arrays(64)).ok());

  // from_value has no parser in front of it: the conversion enforces the limit itself.
  boost::json::value deep = boost::json::parse(nested_deep(4));
  auto r = from_value<jt::Deep>(deep, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == alicloud::errc::depth_exceeded);
  CHECK(r.error().message == "$.Next[0].Next[0].Next[0].Next[0]: nesting deeper than 8 levels");
  CHECK(from_value<jt::Deep>(deep).ok());

  boost::json::value any_deep = boost::json::parse(R"({"Count":1,"Name":"n","Any":)" + nested_arrays(10) + "}");
  auto k = from_value<jt::Kitchen>(any_deep, o);
  REQUIRE_FALSE(k.ok());
  CHECK(k.error().code == alicloud::errc::depth_exceeded);
  CHECK(k.error().message.rfind("$.Any[0][0][0][0][0][0]", 0) == 0);
}

TEST_CASE("from_value and to_value with a custom storage") {
  boost::json::monotonic_resource mr;
  jt::Response resp;
  resp.TotalCount = 5;
  resp.Tasks = std::vector<jt::TasksItem>(2);
  resp.Tasks->at(1).Status = jt::TaskStatus("New");
  boost::json::value v = to_value(resp, &mr);
  CHECK(v.storage().get() == &mr);
  CHECK(v.at("Tasks").at(1).at("Status").as_string() == "New");
  auto back = from_value<jt::Response>(v);
  REQUIRE(back.ok());
  CHECK(back->TotalCount == 5);
  CHECK(back->Tasks->at(1).Status == jt::TaskStatus("New"));
}
