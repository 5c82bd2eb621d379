// formats_trace_tool: runs one real ICMP trace with the agent's prober and prints it in one of
// mtr's machine formats through pathpair_formats, so tests can compare our -C/-x/-p/-l output
// with the real mtr on the same namespace path before `pathpair trace` wires these flags.
//
//   formats_trace_tool -l -n -c 3 -i 0.2 198.51.100.10
//   formats_trace_tool -J ... prints the final v1::TraceResult as JSON (for report samples)
//
// The raw format needs per-probe events: until the prober calls a ProbeEventSink itself, this
// tool wraps the socket transport and derives them from the ICMP echo probes it sends and the
// replies it receives (sequence numbers as they are on the wire).
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "agent/engine/trace_result.h"
#include "agent/net/socket_set.h"
#include "agent/net/socket_transport.h"
#include "agent/prober/prober.h"
#include "agent/prober/run_trace.h"
#include "common/time/clock.h"
#include "controller/formats/field_spec.h"
#include "controller/formats/mtr_formats.h"
#include "google/protobuf/util/json_util.h"

namespace pathpair::formats {
namespace {

// Sees every probe and reply that passes through the real transport, and reports the ICMP
// echo ones to a ProbeEventSink.
class ObservingTransport : public net::ProbeTransport {
 public:
  ObservingTransport(net::ProbeTransport& inner, ProbeEventSink& sink)
      : inner_(inner), sink_(sink) {}

  net::TransportCapabilities capabilities() const override { return inner_.capabilities(); }
  int wait_fd() const override { return inner_.wait_fd(); }
  absl::Status ClaimIcmpIdentifier(IpFamily family, uint16_t echo_id) override {
    return inner_.ClaimIcmpIdentifier(family, echo_id);
  }
  void ReleaseIcmpIdentifier(IpFamily family, uint16_t echo_id) override {
    inner_.ReleaseIcmpIdentifier(family, echo_id);
  }

  absl::StatusOr<net::SendReport> Send(const net::OutgoingProbe& probe) override {
    absl::StatusOr<net::SendReport> sent = inner_.Send(probe);
    if (sent.ok() && probe.protocol == packet::ProbeProtocol::kIcmp && probe.bytes.size() >= 8) {
      const uint16_t sequence = static_cast<uint16_t>(probe.bytes[6] << 8 | probe.bytes[7]);
      pending_[sequence] = Pending{probe.ttl, sent->sent_at};
      sink_.OnProbeSent(probe.ttl, sequence, sent->sent_at);
    }
    return sent;
  }

  void Receive(std::vector<net::ReceivedPacket>& out) override {
    const size_t first = out.size();
    inner_.Receive(out);
    for (size_t i = first; i < out.size(); ++i) {
      absl::StatusOr<packet::ParsedReply> reply = prober::ParseReceivedPacket(out[i]);
      if (!reply.ok()) continue;
      std::optional<uint16_t> sequence;
      if (reply->kind == packet::ReplyKind::kEchoReply) {
        sequence = reply->echo_sequence;
      } else if (reply->quote.has_value() &&
                 reply->quote->protocol == packet::ProbeProtocol::kIcmp) {
        sequence = reply->quote->icmp_sequence;
      }
      if (!sequence.has_value()) continue;
      auto it = pending_.find(*sequence);
      if (it == pending_.end()) continue;
      std::vector<ProbeMplsLabel> mpls;
      for (const packet::MplsLabel& l : reply->mpls) {
        mpls.push_back({l.label, l.traffic_class, l.bottom_of_stack, l.ttl});
      }
      sink_.OnReply(it->second.ttl, *sequence, reply->responder,
                    out[i].received_at - it->second.sent_at, mpls);
      pending_.erase(it);
    }
  }

 private:
  struct Pending {
    int ttl;
    MonoTime sent_at;
  };
  net::ProbeTransport& inner_;
  ProbeEventSink& sink_;
  std::map<uint16_t, Pending> pending_;
};

class NullSink : public ProbeEventSink {
 public:
  void OnProbeSent(int, uint16_t, MonoTime) override {}
  void OnReply(int, uint16_t, const IpAddress&, absl::Duration,
               const std::vector<ProbeMplsLabel>&) override {}
};

int Usage() {
  std::cerr << "usage: formats_trace_tool -C|-x|-p|-l|-J [-n] [-b] [-w] [-z] [-e] [-o FIELDS] "
               "[-c N] [-i SECONDS] TARGET\n";
  return 2;
}

int Main(int argc, char** argv) {
  char mode = 0;
  MtrFormatOptions options;
  v1::ProbeOptions probe;
  probe.set_count(3);
  probe.set_interval_us(200'000);
  probe.set_max_ttl(30);
  probe.set_packet_size(64);
  probe.set_probe_timeout_us(1'000'000);
  probe.set_grace_us(1'000'000);
  probe.set_protocol(v1::PROTOCOL_ICMP);
  int opt;
  while ((opt = getopt(argc, argv, "CxplJnbwzeo:c:i:")) != -1) {
    switch (opt) {
      case 'C':
      case 'x':
      case 'p':
      case 'l':
      case 'J':
        mode = static_cast<char>(opt);
        break;
      case 'n':
        options.label.use_names = false;
        break;
      case 'b':
        options.label.show_ips = true;
        break;
      case 'w':
        options.wide = true;
        break;
      case 'z':
        options.show_as = true;
        break;
      case 'e':
        options.show_mpls = true;
        break;
      case 'o': {
        absl::StatusOr<FieldList> fields = ParseFieldSpec(optarg);
        if (!fields.ok()) {
          std::cerr << fields.status().message() << "\n";
          return 2;
        }
        options.fields = *fields;
        break;
      }
      case 'c': {
        int c;
        if (!absl::SimpleAtoi(optarg, &c)) return Usage();
        probe.set_count(c);
        break;
      }
      case 'i': {
        double s;
        if (!absl::SimpleAtod(optarg, &s)) return Usage();
        probe.set_interval_us(static_cast<int64_t>(s * 1e6));
        break;
      }
      default:
        return Usage();
    }
  }
  if (mode == 0 || optind != argc - 1) return Usage();
  probe.set_target(argv[optind]);
  absl::StatusOr<IpAddress> target = IpAddress::Parse(argv[optind]);
  if (!target.ok()) {
    std::cerr << "numeric targets only\n";
    return 2;
  }

  absl::StatusOr<net::SocketSet> sockets =
      net::OpenSocketSet(prober::PlanFor(probe, target->family()));
  if (!sockets.ok()) {
    std::cerr << sockets.status() << "\n";
    return 1;
  }
  absl::StatusOr<std::unique_ptr<net::SocketTransport>> transport =
      net::SocketTransport::Create(*std::move(sockets));
  if (!transport.ok()) {
    std::cerr << transport.status() << "\n";
    return 1;
  }

  RawWriter raw(std::cout, options);
  NullSink null_sink;
  ObservingTransport observing(**transport, mode == 'l' ? static_cast<ProbeEventSink&>(raw)
                                                        : static_cast<ProbeEventSink&>(null_sink));
  SplitWriter split(options);
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  const int64_t start_us = absl::ToUnixMicros(absl::Now());
  auto to_proto = [&](const engine::TraceResult& r) {
    v1::TraceResult p = engine::ToProto(r);
    *p.mutable_options() = probe;
    p.set_source_hostname(host);
    if (p.start_unix_us() == 0) p.set_start_unix_us(start_us);
    return p;
  };

  prober::Prober prober(observing, SystemClock::Get());
  std::optional<v1::TraceResult> final_result;
  prober::TraceCallbacks callbacks;
  callbacks.on_snapshot = [&](const engine::TraceResult& r) {
    if (mode == 'p') std::cout << split.Update(to_proto(r)) << std::flush;
  };
  callbacks.on_finished = [&](const engine::TraceResult& r) { final_result = to_proto(r); };
  prober::TraceRequest request;
  request.options = probe;
  request.target = *target;
  absl::Status added = prober.AddTrace(request, std::move(callbacks)).status();
  if (!added.ok()) {
    std::cerr << added << "\n";
    return 1;
  }
  absl::Status ran = prober.Run();
  if (!ran.ok() || !final_result.has_value()) {
    std::cerr << ran << "\n";
    return 1;
  }
  switch (mode) {
    case 'C':
      std::cout << FormatCsv(*final_result, options);
      break;
    case 'x':
      std::cout << FormatXml(*final_result, options);
      break;
    case 'p':
      std::cout << split.Update(*final_result);
      break;
    case 'J': {  // the whole v1::TraceResult, for building reports from real runs
      std::string json;
      if (!google::protobuf::util::MessageToJsonString(*final_result, &json).ok()) return 1;
      std::cout << json << "\n";
      break;
    }
    default:
      break;
  }
  return 0;
}

}  // namespace
}  // namespace pathpair::formats

int main(int argc, char** argv) { return pathpair::formats::Main(argc, argv); }
