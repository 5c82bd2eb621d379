#include "agent/engine/trace_result.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"

namespace pathpair::engine {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

IpAddress Addr(const char* text) { return *IpAddress::Parse(text); }

// Distinct non-zero values, so a field carried into the wrong slot is caught.
RttSummary Rtt(int base) {
  RttSummary r;
  r.count = base;
  r.last = absl::Microseconds(base * 1000 + 1);
  r.best = absl::Microseconds(base * 1000 + 2);
  r.avg = absl::Microseconds(base * 1000 + 3);
  r.worst = absl::Microseconds(base * 1000 + 4);
  r.stdev = absl::Microseconds(base * 1000 + 5);
  r.gmean = absl::Microseconds(base * 1000 + 6);
  r.jitter = absl::Microseconds(base * 1000 + 7);
  r.jitter_avg = absl::Microseconds(base * 1000 + 8);
  r.jitter_max = absl::Microseconds(base * 1000 + 9);
  r.jitter_interarrival = absl::Microseconds(base * 1000 + 10);
  r.p50 = absl::Microseconds(base * 1000 + 11);
  r.p95 = absl::Microseconds(base * 1000 + 12);
  r.p99 = absl::Microseconds(base * 1000 + 13);
  return r;
}

TraceResult FullResult() {
  TraceResult result;
  result.options.set_target("example.test");
  result.options.set_count(10);
  result.source_address = Addr("198.51.100.1");
  result.source_hostname = "probe-host";
  result.target_address = Addr("203.0.113.9");
  result.start = absl::FromUnixMicros(1700000000123456);
  result.end = absl::FromUnixMicros(1700000010654321);
  result.reached = true;
  result.rounds = 10;
  result.rounds_started = 12;
  result.interrupted = true;
  result.incomplete = true;
  result.final = true;
  result.error = "stopped";
  HopResult hop;
  hop.ttl = Ttl(3);
  hop.sent = 10;
  hop.received = 9;
  hop.rtt = Rtt(7);
  hop.termination = HopTermination::kUnreachable;
  hop.unreachable_code = 13;
  ResponderResult responder;
  responder.address = Addr("2001:db8::1");
  responder.hostname = "r1.example.test";
  responder.received = 9;
  responder.rtt = Rtt(8);
  responder.mpls = {
      packet::MplsLabel{.label = 16001, .traffic_class = 5, .bottom_of_stack = true, .ttl = 254}};
  hop.responders = {responder};
  result.hops = {hop};
  return result;
}

// Every field of `message` (and of its sub-messages) holds a non-default value: a field added
// to the proto but not carried by ToProto fails here.
void ExpectEveryFieldSet(const Message& message, const std::string& path) {
  const Reflection* reflection = message.GetReflection();
  const auto* descriptor = message.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    const std::string name = path + "." + field->name();
    if (field->is_repeated()) {
      ASSERT_GT(reflection->FieldSize(message, field), 0) << name;
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        ExpectEveryFieldSet(reflection->GetRepeatedMessage(message, field, 0), name);
      }
      continue;
    }
    EXPECT_TRUE(reflection->HasField(message, field)) << name << " not carried";
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        field->message_type()->full_name() != "pathpair.v1.ProbeOptions") {
      ExpectEveryFieldSet(reflection->GetMessage(message, field), name);
    }
  }
}

TEST(TraceResultTest, EveryProtoFieldIsCarried) {
  const v1::TraceResult proto = ToProto(FullResult());
  ExpectEveryFieldSet(proto, "TraceResult");
}

TEST(TraceResultTest, ValuesLandInTheirFields) {
  const v1::TraceResult proto = ToProto(FullResult());
  EXPECT_EQ(proto.options().target(), "example.test");
  EXPECT_EQ(proto.options().count(), 10);
  EXPECT_EQ(proto.source_address(), "198.51.100.1");
  EXPECT_EQ(proto.source_hostname(), "probe-host");
  EXPECT_EQ(proto.target_address(), "203.0.113.9");
  EXPECT_EQ(proto.start_unix_us(), 1700000000123456);
  EXPECT_EQ(proto.end_unix_us(), 1700000010654321);
  EXPECT_TRUE(proto.reached());
  EXPECT_EQ(proto.rounds(), 10);
  EXPECT_EQ(proto.rounds_started(), 12);
  EXPECT_TRUE(proto.interrupted());
  EXPECT_TRUE(proto.incomplete());
  EXPECT_TRUE(proto.final());
  EXPECT_EQ(proto.error(), "stopped");
  ASSERT_EQ(proto.hops_size(), 1);
  const v1::HopResult& hop = proto.hops(0);
  EXPECT_EQ(hop.ttl(), 3);
  EXPECT_EQ(hop.sent(), 10);
  EXPECT_EQ(hop.received(), 9);
  EXPECT_EQ(hop.termination(), v1::HOP_TERMINATION_UNREACHABLE);
  EXPECT_EQ(hop.unreachable_code(), 13);
  const v1::RttStats& rtt = hop.rtt();
  EXPECT_EQ(rtt.count(), 7);
  EXPECT_DOUBLE_EQ(rtt.last_ms(), 7.001);
  EXPECT_DOUBLE_EQ(rtt.best_ms(), 7.002);
  EXPECT_DOUBLE_EQ(rtt.avg_ms(), 7.003);
  EXPECT_DOUBLE_EQ(rtt.worst_ms(), 7.004);
  EXPECT_DOUBLE_EQ(rtt.stdev_ms(), 7.005);
  EXPECT_DOUBLE_EQ(rtt.gmean_ms(), 7.006);
  EXPECT_DOUBLE_EQ(rtt.jitter_ms(), 7.007);
  EXPECT_DOUBLE_EQ(rtt.jitter_avg_ms(), 7.008);
  EXPECT_DOUBLE_EQ(rtt.jitter_max_ms(), 7.009);
  EXPECT_DOUBLE_EQ(rtt.jitter_interarrival_ms(), 7.010);
  EXPECT_DOUBLE_EQ(rtt.p50_ms(), 7.011);
  EXPECT_DOUBLE_EQ(rtt.p95_ms(), 7.012);
  EXPECT_DOUBLE_EQ(rtt.p99_ms(), 7.013);
  ASSERT_EQ(hop.responders_size(), 1);
  const v1::Responder& responder = hop.responders(0);
  EXPECT_EQ(responder.address(), "2001:db8::1");
  EXPECT_EQ(responder.hostname(), "r1.example.test");
  EXPECT_EQ(responder.received(), 9);
  EXPECT_EQ(responder.rtt().count(), 8);
  EXPECT_DOUBLE_EQ(responder.rtt().p99_ms(), 8.013);
  ASSERT_EQ(responder.mpls_size(), 1);
  EXPECT_EQ(responder.mpls(0).label(), 16001u);
  EXPECT_EQ(responder.mpls(0).traffic_class(), 5u);
  EXPECT_TRUE(responder.mpls(0).bottom_of_stack());
  EXPECT_EQ(responder.mpls(0).ttl(), 254u);
}

TEST(TraceResultTest, UnsetOptionalFieldsStayEmpty) {
  TraceResult result;
  result.target_address = Addr("203.0.113.9");
  const v1::TraceResult proto = ToProto(result);
  EXPECT_EQ(proto.source_address(), "");
  EXPECT_EQ(proto.start_unix_us(), 0);
  EXPECT_EQ(proto.end_unix_us(), 0);
  EXPECT_FALSE(proto.final());
  EXPECT_EQ(proto.hops_size(), 0);
}

TEST(TraceResultTest, ProtocolAndTerminationEnums) {
  EXPECT_EQ(ToProto(packet::ProbeProtocol::kIcmp), v1::PROTOCOL_ICMP);
  EXPECT_EQ(ToProto(packet::ProbeProtocol::kUdp), v1::PROTOCOL_UDP);
  EXPECT_EQ(ToProto(packet::ProbeProtocol::kTcp), v1::PROTOCOL_TCP);
  HopResult hop;
  hop.termination = HopTermination::kDestination;
  EXPECT_EQ(ToProto(hop).termination(), v1::HOP_TERMINATION_DESTINATION);
  hop.termination = HopTermination::kNone;
  EXPECT_EQ(ToProto(hop).termination(), v1::HOP_TERMINATION_NONE);
}

}  // namespace
}  // namespace pathpair::engine
