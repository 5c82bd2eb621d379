#include "tests/netsim/event_log.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pathpair::netsim {
namespace {
int64_t Ns(MonoTime t) { return absl::ToInt64Nanoseconds(t.SinceEpoch()); }
}  // namespace

// Hand-written rather than through a JSON library: this runs in the emulator's real-time loop,
// once per packet. Every string written is an address, a router name (validated to be printable
// in scenarios, escaped anyway) or a fixed word.
namespace {
void AppendString(std::string& out, absl::string_view text) {
  out.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", c));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}
}  // namespace

std::string PacketRecordJson(const PacketRecord& r, std::optional<MonoTime> tx) {
  std::string j;
  j.reserve(512);
  absl::StrAppend(&j, "{\"event\":\"packet\",\"id\":", r.id, ",\"cause_id\":", r.cause_id,
                  ",\"origin\":");
  AppendString(j, r.origin);
  absl::StrAppend(&j, ",\"route\":\"", r.route, "\",\"src\":\"", r.source.ToString(),
                  "\",\"dst\":\"", r.destination.ToString(), "\",\"proto\":", r.protocol,
                  ",\"ttl\":", r.ttl, ",\"len\":", r.length);
  if (r.icmp_type >= 0) {
    absl::StrAppend(&j, ",\"icmp_type\":", r.icmp_type, ",\"icmp_code\":", r.icmp_code);
  }
  if (r.icmp_id >= 0) {
    absl::StrAppend(&j, ",\"icmp_id\":", r.icmp_id, ",\"icmp_seq\":", r.icmp_seq);
  }
  absl::StrAppend(&j, ",\"sport\":", r.source_port, ",\"dport\":", r.destination_port,
                  ",\"rx_ns\":", Ns(r.received), ",\"hops\":[");
  for (size_t i = 0; i < r.hops.size(); ++i) {
    const HopEvent& h = r.hops[i];
    absl::StrAppend(&j, i ? "," : "", "{\"hop\":", h.hop, ",\"router\":");
    AppendString(j, h.router);
    absl::StrAppend(&j, ",\"t_ns\":", Ns(h.at), ",\"what\":\"", h.what, "\"}");
  }
  absl::StrAppend(&j, "],\"fate\":\"", r.fate, "\"");
  if (tx) {
    absl::StrAppend(&j, ",\"scheduled_ns\":", Ns(r.scheduled), ",\"tx_ns\":", Ns(*tx));
  }
  j.push_back('}');
  return j;
}

EventLog::EventLog(FILE* file) : file_(file) {
  if (file_) setvbuf(file_, nullptr, _IOFBF, 1 << 20);
}

EventLog::~EventLog() {
  if (file_) fclose(file_);
}

void EventLog::Start(const v1::Scenario& scenario, MonoTime start) {
  if (!file_) return;
  nlohmann::ordered_json j;
  j["event"] = "start";
  j["scenario"] = scenario.name();
  j["seed"] = scenario.seed();
  j["start_ns"] = Ns(start);
  j["clock"] = "CLOCK_MONOTONIC";
  std::string line = j.dump();
  line.push_back('\n');
  fwrite(line.data(), 1, line.size(), file_);
}

void EventLog::Write(const PacketRecord& record, std::optional<MonoTime> tx) {
  if (!file_) return;
  std::string line = PacketRecordJson(record, tx);
  line.push_back('\n');
  fwrite(line.data(), 1, line.size(), file_);
}

void EventLog::Flush() {
  if (file_) fflush(file_);
}

}  // namespace pathpair::netsim
