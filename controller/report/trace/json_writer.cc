#include "controller/report/trace/json_writer.h"

#include <cmath>
#include <string>

#include "absl/strings/str_format.h"
#include "controller/report/common/time_format.h"
#include "controller/report/trace/hop_fields.h"
#include "controller/report/trace/host_label.h"

namespace pathpair::output {
namespace {

using Json = nlohmann::ordered_json;

// Milliseconds to the microsecond: enough for any clock, and short in the text.
double Ms(double value) {
  if (!std::isfinite(value)) return 0.0;
  return std::round(value * 1000.0) / 1000.0;
}

Json MplsJson(const google::protobuf::RepeatedPtrField<v1::MplsLabel>& labels) {
  Json list = Json::array();
  for (const v1::MplsLabel& l : labels) {
    list.push_back(Json{{"label", l.label()},
                        {"tc", l.traffic_class()},
                        {"s", l.bottom_of_stack() ? 1 : 0},
                        {"ttl", l.ttl()}});
  }
  return list;
}

Json ResponderJson(const v1::Responder& r, bool use_names) {
  Json j = Json::object();
  j["host"] = formats::HostLabel(r, formats::LabelOptions{.use_names = use_names});
  j["ip"] = r.address();
  j["Rcv"] = r.received();
  j["Last"] = Ms(r.rtt().last_ms());
  j["Avg"] = Ms(r.rtt().avg_ms());
  j["Best"] = Ms(r.rtt().best_ms());
  j["Wrst"] = Ms(r.rtt().worst_ms());
  j["StDev"] = Ms(r.rtt().stdev_ms());
  j["Gmean"] = Ms(r.rtt().gmean_ms());
  j["p50"] = Ms(r.rtt().p50_ms());
  j["p95"] = Ms(r.rtt().p95_ms());
  j["p99"] = Ms(r.rtt().p99_ms());
  j["mpls"] = MplsJson(r.mpls());
  return j;
}

Json HubJson(const v1::HopResult& hop, bool use_names) {
  const v1::RttStats& rtt = hop.rtt();
  Json j = Json::object();
  // mtr's keys, in mtr's order and types.
  j["count"] = hop.ttl();
  j["host"] = formats::HopHostLabel(hop, formats::LabelOptions{.use_names = use_names});
  j["Loss%"] = Ms(LossPercent(hop.sent(), hop.received()));
  j["Snt"] = hop.sent();
  j["Last"] = Ms(rtt.last_ms());
  j["Avg"] = Ms(rtt.avg_ms());
  j["Best"] = Ms(rtt.best_ms());
  j["Wrst"] = Ms(rtt.worst_ms());
  j["StDev"] = Ms(rtt.stdev_ms());
  // pathpair's extensions.
  j["Rcv"] = hop.received();
  j["Drop"] = DroppedProbes(hop);
  j["Gmean"] = Ms(rtt.gmean_ms());
  j["Jttr"] = Ms(rtt.jitter_ms());
  j["Javg"] = Ms(rtt.jitter_avg_ms());
  j["Jmax"] = Ms(rtt.jitter_max_ms());
  j["Jint"] = Ms(rtt.jitter_interarrival_ms());
  j["p50"] = Ms(rtt.p50_ms());
  j["p95"] = Ms(rtt.p95_ms());
  j["p99"] = Ms(rtt.p99_ms());
  Json hosts = Json::array();
  for (const v1::Responder& r : hop.responders()) hosts.push_back(ResponderJson(r, use_names));
  j["hosts"] = std::move(hosts);
  j["mpls"] = hop.responders().empty() ? Json::array() : MplsJson(hop.responders(0).mpls());
  return j;
}

}  // namespace

Json TraceToJson(const v1::TraceResult& result, const JsonOptions& options) {
  const v1::ProbeOptions& p = result.options();
  Json mtr = Json::object();
  mtr["src"] = result.source_hostname();
  mtr["dst"] = p.target();
  mtr["tos"] = p.tos();
  mtr["tests"] = p.count();
  mtr["psize"] = absl::StrFormat("%d", p.packet_size());
  mtr["bitpattern"] = absl::StrFormat("0x%02X", p.bit_pattern() & 0xff);
  mtr["start"] = FormatIsoUtc(result.start_unix_us());
  mtr["end"] = FormatIsoUtc(result.end_unix_us());
  mtr["reached"] = result.reached();
  mtr["protocol"] = formats::ProtocolName(p.protocol());
  if (p.flows() > 1) mtr["flows"] = p.flows();  // --flows: absent for one flow, as in mtr
  if (!result.error().empty()) mtr["error"] = result.error();
  // Cut short (Ctrl-C, an agent's Stop): the hubs cover `rounds` of `rounds_started` rounds.
  if (result.interrupted() || result.incomplete()) {
    mtr["interrupted"] = result.interrupted();
    mtr["incomplete"] = result.incomplete();
    mtr["rounds"] = result.rounds();
    mtr["rounds_started"] = result.rounds_started();
  }

  Json hubs = Json::array();
  for (const v1::HopResult& hop : result.hops()) hubs.push_back(HubJson(hop, options.use_names));

  Json report = Json::object();
  report["mtr"] = std::move(mtr);
  report["hubs"] = std::move(hubs);
  report["diagnosis"] = Json::array();
  Json root = Json::object();
  root["report"] = std::move(report);
  return root;
}

std::string DumpJson(const Json& json) {
  return json.dump(4, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string FormatJson(const v1::TraceResult& result, const JsonOptions& options) {
  return DumpJson(TraceToJson(result, options));
}

}  // namespace pathpair::output
