// Exercises the committed golden output of the fixture spec: the shapes the generator must get
// right for any product (renamed wire names, structs split past Boost.Describe's limit, recursive
// schemas, every parameter style, overlay rules) actually work through the core codecs.

#include <alicloud/demo.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

namespace demo = alicloud::demo;

namespace {

std::string find_param(const alicloud::param_list& l, const std::string& name) {
  for (const auto& [k, v] : l)
    if (k == name) return v;
  return "<absent>";
}

bool has_violation(const std::vector<alicloud::violation>& vs, const std::string& field, const std::string& rule) {
  return std::any_of(vs.begin(), vs.end(), [&](const auto& v) { return v.field == field && v.rule == rule; });
}

const auto fixed_now = std::chrono::system_clock::time_point(std::chrono::seconds(1900000000));

}  // namespace

TEST_CASE("renamed wire names are used on the wire and in JSON") {
  demo::PutThingRequest req;
  req.default_ = "kw";
  req._1m = 7;
  req.x_token = "tok";
  req.Body.Field01 = "a";
  req.Body.Field60 = "z";
  req.Body.Field07 = 42;
  auto enc = alicloud::encode_params(req, demo::PutThing::parameters);
  REQUIRE(enc.ok());
  CHECK(find_param(enc->form, "default") == "kw");
  CHECK(find_param(enc->form, "1m") == "7");
  CHECK(find_param(enc->form, "x-token") == "tok");
  // Body (style json, 60 members over two described bases) is one JSON parameter.
  std::string body = find_param(enc->form, "Body");
  CHECK(body.find("\"Field01\":\"a\"") != std::string::npos);
  CHECK(body.find("\"Field60\":\"z\"") != std::string::npos);
  CHECK(body.find("\"Field07\":42") != std::string::npos);
  CHECK(body.find("Field02") == std::string::npos);  // unset optionals are not written

  auto back = alicloud::decode_params<demo::PutThingRequest>(enc->form, demo::PutThing::parameters);
  REQUIRE(back.ok());
  CHECK(back->default_ == "kw");
  CHECK(back->_1m == 7);
  CHECK(back->x_token == "tok");
  CHECK(back->Body.Field60 == "z");
  CHECK(back->Body.Field07 == 42);
}

TEST_CASE("recursive schema round-trips through JSON") {
  std::string text =
      R"({"RequestId":"r","TotalCount":"12","Things":[{"Id":"t1","Score":1.5,"Meta":{"a":"b"},"Extra":[1,{"x":null}],)"
      R"("Free":{"any":"thing"},"Rule":{"Op":"and","Children":[{"Op":"or","Children":[{"Op":"brand-new"}]}]}}]})";
  auto r = alicloud::json::from_json<demo::ListThingsResponse>(text);
  REQUIRE(r.ok());
  CHECK(r->TotalCount == 12);  // int64 sent as a string
  const auto& thing = r->Things->at(0);
  CHECK(thing.Meta->at("a") == "b");
  CHECK(thing.Extra->is_array());
  const auto& rule = *thing.Rule;
  CHECK(rule.Op == demo::RuleOp::and_);
  const auto& grandchild = rule.Children->at(0).Children->at(0);
  CHECK(grandchild.Op->value() == "brand-new");  // unknown enum value kept
  CHECK_FALSE(grandchild.Op->is_known());
  auto again = alicloud::json::from_json<demo::ListThingsResponse>(alicloud::json::to_json(*r));
  REQUIRE(again.ok());
  CHECK(again->Things->at(0).Rule->Children->at(0).Children->at(0).Op->value() == "brand-new");
}

TEST_CASE("enum values that are not identifiers get usable constants") {
  CHECK(demo::RuleOp::not_equal.value == "not-equal");
  CHECK(demo::RuleOp::_2fa.value == "2fa");
  CHECK(demo::RuleOp::very_weak.value == "very weak");
  CHECK(demo::RuleOp::default_.value == "default");
  CHECK(demo::RuleOp::empty.value == "");
}

TEST_CASE("repeatList, flat and simple styles") {
  demo::ListThingsRequest req;
  req.Kind = demo::ListThingsRequestKind::small;
  req.Tag = std::vector<demo::ListThingsRequestTagItem>{{"env", std::string("prod")}, {"team", std::nullopt}};
  req.Ids = std::vector<std::int64_t>{1, 9007199254740993};
  demo::ListThingsRequestFilter filter;
  filter.Name = "abc";
  filter.Deep = demo::ListThingsRequestFilterDeep{};
  filter.Deep->Level = 3;
  req.Filter = filter;
  auto enc = alicloud::encode_params(req, demo::ListThings::parameters);
  REQUIRE(enc.ok());
  CHECK(find_param(enc->query, "Kind") == "small");
  CHECK(find_param(enc->query, "Tag.1.Key") == "env");
  CHECK(find_param(enc->query, "Tag.1.Value") == "prod");
  CHECK(find_param(enc->query, "Tag.2.Key") == "team");
  CHECK(find_param(enc->query, "Tag.2.Value") == "<absent>");
  CHECK(find_param(enc->query, "Ids") == "1,9007199254740993");
  CHECK(find_param(enc->query, "Filter.Name") == "abc");
  CHECK(find_param(enc->query, "Filter.Deep.Level") == "3");

  auto back = alicloud::decode_params<demo::ListThingsRequest>(enc->query, demo::ListThings::parameters);
  REQUIRE(back.ok());
  CHECK(back->Tag->at(1).Key == "team");
  CHECK(back->Ids->at(1) == 9007199254740993);
  CHECK(back->Filter->Deep->Level == 3);
}

TEST_CASE("validator: spec constraints, nested paths and overlay rules") {
  alicloud::manual_clock clock(fixed_now);
  demo::ListThingsRequest ok;
  ok.Kind = demo::ListThingsRequestKind::large;
  CHECK(demo::validate(ok, clock).empty());

  demo::ListThingsRequest bad;
  bad.PageSize = 51;  // overlay narrows 100 to 50
  bad.Tag = std::vector<demo::ListThingsRequestTagItem>(4);
  bad.Tag->at(0).Key = "";                       // required, minLength 1
  bad.Tag->at(1).Key = "k";
  bad.Tag->at(1).Value = std::string(17, 'v');   // overlay maxLength 16
  bad.Filter = demo::ListThingsRequestFilter{};
  bad.Filter->Name = "ABC";                      // pattern ^[a-z]+$
  bad.Since = alicloud::utc_time(fixed_now - std::chrono::hours(48));  // older than the overlay's 1 day
  auto vs = demo::validate(bad, clock);
  std::string all;
  for (const auto& v : vs) all += v.field + " " + v.rule + ": " + v.message + " [" + v.code + "]\n";
  INFO(all);
  CHECK_FALSE(has_violation(vs, "Tag[0].Key", "length"));  // a missing value is reported once
  CHECK(has_violation(vs, "Kind", "required"));
  CHECK(has_violation(vs, "PageSize", "range"));
  CHECK(has_violation(vs, "Tag", "items"));
  CHECK(has_violation(vs, "Tag[0].Key", "required"));
  CHECK(has_violation(vs, "Tag[1].Value", "length"));
  CHECK(has_violation(vs, "Filter.Name", "pattern"));
  CHECK(has_violation(vs, "Since", "max_age"));
  auto together = std::find_if(vs.begin(), vs.end(), [](const auto& v) { return v.rule == "together"; });
  REQUIRE(together != vs.end());
  CHECK(together->code == "Thing.MissingTime");

  demo::ListThingsRequest window;
  window.Kind = demo::ListThingsRequestKind::small;
  window.Since = alicloud::utc_time(fixed_now - std::chrono::hours(1));
  window.Until = alicloud::utc_time(fixed_now - std::chrono::hours(2));
  auto ws = demo::validate(window, clock);
  REQUIRE(ws.size() == 1);
  CHECK(ws[0].field == "Until");
  CHECK(ws[0].code == "Thing.BadWindow");
}

TEST_CASE("recursive request-side schema is validated at every depth") {
  demo::PutThingRequest req;
  demo::Rule leaf;
  leaf.Weight = 11;  // maximum 10
  demo::Rule root;
  root.Op = demo::RuleOp::or_;
  root.Children = std::vector<demo::Rule>{leaf};
  req.Rule = root;
  req.Ratio = 3.0;  // maximum 2.5
  auto vs = demo::validate(req);
  CHECK(has_violation(vs, "Rule.Children[0].Weight", "range"));
  CHECK(has_violation(vs, "Ratio", "range"));
}

TEST_CASE("traits and product facts") {
  CHECK(demo::ListThings::method == alicloud::http_method::get);
  CHECK(demo::PutThing::method == alicloud::http_method::post);
  CHECK(demo::ListThings::idempotent);
  CHECK_FALSE(demo::PutThing::idempotent);
  CHECK(alicloud::is_paginated<demo::ListThings>::value);
  CHECK_FALSE(alicloud::is_paginated<demo::PutThing>::value);
  CHECK(demo::product::endpoints[0].endpoint == "demo.cn-test.example.com");
  CHECK(alicloud::matches_code_pattern(demo::product::retryable_errors[0], "Throttling.Demo"));
}

TEST_CASE("error enum: codes that are not identifiers, status conflicts, lookup") {
  auto e = demo::errc_from_code("%s.OverQuota");
  REQUIRE(e.has_value());
  std::error_code ec = *e;
  CHECK(ec.category().name() == std::string("alicloud.demo"));
  CHECK(demo::wire_code(*e) == "%s.OverQuota");
  CHECK(demo::http_status(*demo::errc_from_code("Throttling.Demo")) == 429);
  CHECK(demo::http_status(*demo::errc_from_code("InternalError")) == 500);  // from the overlay
  CHECK(ec.message().find("exceeded") != std::string::npos);
  CHECK_FALSE(demo::errc_from_code("NoSuchCode").has_value());
}
