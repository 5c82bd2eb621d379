#include "controller/report/trace/json_writer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::output {
namespace {

using Json = nlohmann::ordered_json;

std::vector<std::string> Keys(const Json& object) {
  std::vector<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
  return keys;
}

v1::TraceResult Sample() {
  v1::TraceResult r;
  r.set_source_hostname("client");
  r.set_start_unix_us(1'700'000'000'250'000);
  r.set_end_unix_us(1'700'000'010'000'000);
  r.set_reached(true);
  v1::ProbeOptions* o = r.mutable_options();
  o->set_target("server.example");
  o->set_count(10);
  o->set_packet_size(64);
  o->set_bit_pattern(0xab);
  o->set_tos(16);
  o->set_protocol(v1::PROTOCOL_UDP);
  v1::HopResult* hop = r.add_hops();
  hop->set_ttl(1);
  hop->set_sent(10);
  hop->set_received(8);
  hop->mutable_rtt()->set_avg_ms(1.23456789);
  hop->mutable_rtt()->set_p99_ms(3.5);
  v1::Responder* a = hop->add_responders();
  a->set_address("198.51.100.1");
  a->set_hostname("gw.example");
  a->set_received(6);
  v1::MplsLabel* label = a->add_mpls();
  label->set_label(16001);
  label->set_traffic_class(5);
  label->set_bottom_of_stack(true);
  label->set_ttl(1);
  v1::Responder* b = hop->add_responders();
  b->set_address("198.51.100.5");
  b->set_received(2);
  r.add_hops()->set_ttl(2);  // nobody answered
  return r;
}

TEST(JsonWriterTest, MtrKeysTypesAndOrderThenExtensions) {
  const Json j = Json::parse(FormatJson(Sample(), JsonOptions{.use_names = false}));
  EXPECT_EQ(Keys(j), std::vector<std::string>{"report"});
  EXPECT_EQ(Keys(j["report"]), (std::vector<std::string>{"mtr", "hubs", "diagnosis"}));
  const Json& mtr = j["report"]["mtr"];
  EXPECT_EQ(Keys(mtr),
            (std::vector<std::string>{"src", "dst", "tos", "tests", "psize", "bitpattern", "start",
                                      "end", "reached", "protocol"}));
  EXPECT_EQ(mtr["src"], "client");
  EXPECT_EQ(mtr["dst"], "server.example");
  EXPECT_TRUE(mtr["tos"].is_number_integer());
  EXPECT_EQ(mtr["tos"], 16);
  EXPECT_EQ(mtr["tests"], 10);
  EXPECT_EQ(mtr["psize"], "64");
  EXPECT_EQ(mtr["bitpattern"], "0xAB");
  EXPECT_EQ(mtr["start"], "2023-11-14T22:13:20.250Z");
  EXPECT_EQ(mtr["end"], "2023-11-14T22:13:30.000Z");
  EXPECT_EQ(mtr["reached"], true);
  EXPECT_EQ(mtr["protocol"], "udp");
  EXPECT_TRUE(j["report"]["diagnosis"].is_array());
  EXPECT_TRUE(j["report"]["diagnosis"].empty());

  // Several flows (--flows) are recorded after the protocol; one flow adds no key.
  v1::TraceResult flows = Sample();
  flows.mutable_options()->set_flows(8);
  const Json jf = Json::parse(FormatJson(flows, JsonOptions{.use_names = false}));
  EXPECT_EQ(Keys(jf["report"]["mtr"]).back(), "flows");
  EXPECT_EQ(jf["report"]["mtr"]["flows"], 8);

  const Json& hub = j["report"]["hubs"][0];
  EXPECT_EQ(Keys(hub), (std::vector<std::string>{"count", "host",  "Loss%", "Snt",  "Last", "Avg",
                                                 "Best",  "Wrst",  "StDev", "Rcv",  "Drop", "Gmean",
                                                 "Jttr",  "Javg",  "Jmax",  "Jint", "p50",  "p95",
                                                 "p99",   "hosts", "mpls"}));
  EXPECT_TRUE(hub["count"].is_number_integer());
  EXPECT_EQ(hub["count"], 1);
  EXPECT_EQ(hub["host"], "198.51.100.1");
  EXPECT_TRUE(hub["Loss%"].is_number_float());
  EXPECT_DOUBLE_EQ(hub["Loss%"].get<double>(), 20.0);
  EXPECT_TRUE(hub["Snt"].is_number_integer());
  EXPECT_EQ(hub["Snt"], 10);
  EXPECT_TRUE(hub["Last"].is_number_float());
  EXPECT_DOUBLE_EQ(hub["Avg"].get<double>(), 1.235);
  EXPECT_EQ(hub["Rcv"], 8);
  EXPECT_EQ(hub["Drop"], 2);
  EXPECT_DOUBLE_EQ(hub["p99"].get<double>(), 3.5);
  ASSERT_EQ(hub["hosts"].size(), 2u);
  EXPECT_EQ(hub["hosts"][0]["ip"], "198.51.100.1");
  EXPECT_EQ(hub["hosts"][0]["Rcv"], 6);
  EXPECT_EQ(hub["hosts"][1]["host"], "198.51.100.5");
  EXPECT_EQ(hub["hosts"][1]["Rcv"], 2);
  ASSERT_EQ(hub["mpls"].size(), 1u);
  EXPECT_EQ(hub["mpls"][0], (Json{{"label", 16001}, {"tc", 5}, {"s", 1}, {"ttl", 1}}));

  const Json& unknown = j["report"]["hubs"][1];
  EXPECT_EQ(unknown["host"], "???");
  EXPECT_EQ(unknown["Snt"], 0);
  EXPECT_TRUE(unknown["hosts"].empty());
}

TEST(JsonWriterTest, NamesWhenAsked) {
  const Json j = TraceToJson(Sample(), JsonOptions{.use_names = true});
  EXPECT_EQ(j["report"]["hubs"][0]["host"], "gw.example");
  EXPECT_EQ(j["report"]["hubs"][0]["hosts"][0]["host"], "gw.example");
  EXPECT_EQ(j["report"]["hubs"][0]["hosts"][0]["ip"], "198.51.100.1");
}

TEST(JsonWriterTest, ValidJsonWithNoHopsAndAnError) {
  v1::TraceResult r;
  r.set_error("no route to host");
  const std::string text = FormatJson(r, JsonOptions{});
  const Json j = Json::parse(text);
  EXPECT_TRUE(j["report"]["hubs"].is_array());
  EXPECT_TRUE(j["report"]["hubs"].empty());
  EXPECT_EQ(j["report"]["mtr"]["error"], "no route to host");
  EXPECT_EQ(text.back(), '\n');
}

TEST(JsonWriterTest, MtrIndentation) {
  const std::string text = FormatJson(Sample(), JsonOptions{});
  EXPECT_THAT(text, ::testing::StartsWith("{\n    \"report\": {\n        \"mtr\": {\n"
                                          "            \"src\": \"client\",\n"));
}

TEST(JsonWriterTest, InvalidUtf8FromDnsDoesNotThrow) {
  v1::TraceResult r = Sample();
  r.mutable_hops(0)->mutable_responders(0)->set_hostname("bad\xff\xfe");
  EXPECT_NO_THROW(Json::parse(FormatJson(r, JsonOptions{.use_names = true})));
}

// Issue 15: a trace cut short says so, and how many rounds its hubs cover.
TEST(JsonWriterTest, InterruptedTraceCarriesItsCompleteness) {
  v1::TraceResult r = Sample();
  r.set_rounds(7);
  r.set_rounds_started(9);
  EXPECT_FALSE(TraceToJson(r, JsonOptions{})["report"]["mtr"].contains("interrupted"));
  r.set_interrupted(true);
  r.set_incomplete(true);
  r.set_error("cancelled");
  const Json mtr = Json::parse(FormatJson(r, JsonOptions{}))["report"]["mtr"];
  EXPECT_EQ(Keys(mtr),
            (std::vector<std::string>{"src", "dst", "tos", "tests", "psize", "bitpattern", "start",
                                      "end", "reached", "protocol", "error", "interrupted",
                                      "incomplete", "rounds", "rounds_started"}));
  EXPECT_EQ(mtr["interrupted"], true);
  EXPECT_EQ(mtr["incomplete"], true);
  EXPECT_EQ(mtr["rounds"], 7);
  EXPECT_EQ(mtr["rounds_started"], 9);
}

}  // namespace
}  // namespace pathpair::output
