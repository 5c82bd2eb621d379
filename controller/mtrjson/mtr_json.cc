#include "controller/mtrjson/mtr_json.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/net/ip_address.h"
#include "controller/mtrjson/untrusted_json.h"

namespace pathpair::mtrjson {
namespace {

using Json = nlohmann::json;

constexpr char kUnknownHost[] = "???";
constexpr int kMaxTtl = 255;

// A number, or a string holding one (0.92/0.93 print some integers as strings; "0x.." hex).
std::optional<double> Number(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  double value = 0;
  if (it->is_number()) {
    value = it->get<double>();
  } else if (it->is_string()) {
    absl::string_view text = absl::StripAsciiWhitespace(it->get_ref<const std::string&>());
    if (absl::ConsumePrefix(&text, "0x") || absl::ConsumePrefix(&text, "0X")) {
      uint32_t hex = 0;
      if (!absl::SimpleHexAtoi(text, &hex)) return std::nullopt;
      value = hex;
    } else if (!absl::SimpleAtod(text, &value)) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::string String(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return "";
}

// true only for a JSON true (pathpair's own keys; mtr has no booleans to read).
bool Flag(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

int64_t Count(std::optional<double> value) {
  if (!value.has_value() || *value < 0) return 0;
  return static_cast<int64_t>(std::llround(std::min(*value, 1e12)));
}

double Ms(std::optional<double> value) {
  return value.has_value() && *value > 0 ? std::min(*value, 1e9) : 0;
}

// mtr 0.92 prints `"hubs": [` and then, with no hubs, closes the objects without the "]".
std::string RepairEmptyHubs(absl::string_view text) {
  std::string repaired(text);
  const size_t hubs = repaired.find("\"hubs\"");
  if (hubs == std::string::npos) return repaired;
  const size_t bracket = repaired.find('[', hubs);
  if (bracket == std::string::npos) return repaired;
  size_t next = repaired.find_first_not_of(" \t\r\n", bracket + 1);
  if (next != std::string::npos && repaired[next] == '}') repaired.insert(next, "]\n");
  return repaired;
}

// "name (1.2.3.4)" (mtr -b) -> name and address; an address alone; or a name alone.
void SetHost(const std::string& host, v1::Responder* responder) {
  if (IpAddress::Parse(host).ok()) {
    responder->set_address(host);
    return;
  }
  const size_t open = host.rfind(" (");
  if (open != std::string::npos && !host.empty() && host.back() == ')') {
    const std::string inner = host.substr(open + 2, host.size() - open - 3);
    if (IpAddress::Parse(inner).ok()) {
      responder->set_hostname(host.substr(0, open));
      responder->set_address(inner);
      return;
    }
  }
  responder->set_hostname(host);
}

absl::StatusOr<v1::HopResult> ParseHub(const Json& hub, int index) {
  if (!hub.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("hub ", index, " is not an object"));
  }
  v1::HopResult hop;
  const std::optional<double> count = Number(hub, "count");
  const int64_t ttl = count.has_value() ? Count(count) : index + 1;
  if (ttl < 1 || ttl > kMaxTtl) {
    return absl::InvalidArgumentError(absl::StrCat("hub ", index, " has hop number ", ttl));
  }
  hop.set_ttl(static_cast<int32_t>(ttl));

  const std::optional<double> snt = Number(hub, "Snt");
  const std::optional<double> rcv = Number(hub, "Rcv");
  const std::optional<double> drop = Number(hub, "Drop");
  const std::optional<double> loss = Number(hub, "Loss%");
  int64_t sent = Count(snt);
  if (!snt.has_value() && rcv.has_value() && drop.has_value()) sent = Count(rcv) + Count(drop);
  int64_t received = 0;
  if (rcv.has_value()) {
    received = Count(rcv);
  } else if (drop.has_value()) {
    received = sent - Count(drop);
  } else if (loss.has_value()) {
    const double fraction = std::clamp(*loss / 100.0, 0.0, 1.0);
    received = std::llround(static_cast<double>(sent) * (1 - fraction));
  } else {
    received = sent;  // no loss column at all: nothing says anything was lost
  }
  received = std::clamp<int64_t>(received, 0, std::max<int64_t>(sent, 0));
  const std::string host = String(hub, "host");
  if (host == kUnknownHost || host.empty()) received = 0;
  hop.set_sent(sent);
  hop.set_received(received);

  if (received > 0) {
    v1::RttStats* rtt = hop.mutable_rtt();
    rtt->set_count(received);
    rtt->set_last_ms(Ms(Number(hub, "Last")));
    rtt->set_best_ms(Ms(Number(hub, "Best")));
    rtt->set_avg_ms(Ms(Number(hub, "Avg")));
    rtt->set_worst_ms(Ms(Number(hub, "Wrst")));
    rtt->set_stdev_ms(Ms(Number(hub, "StDev")));
    rtt->set_gmean_ms(Ms(Number(hub, "Gmean")));
    rtt->set_jitter_ms(Ms(Number(hub, "Jttr")));
    rtt->set_jitter_avg_ms(Ms(Number(hub, "Javg")));
    rtt->set_jitter_max_ms(Ms(Number(hub, "Jmax")));
    rtt->set_jitter_interarrival_ms(Ms(Number(hub, "Jint")));
    v1::Responder* responder = hop.add_responders();
    SetHost(host, responder);
    responder->set_received(received);
    *responder->mutable_rtt() = *rtt;
  }
  return hop;
}

// The report object of mtr's JSON, validated: an object with a "hubs" array.
absl::StatusOr<Json> ParseReport(absl::string_view text) {
  if (text.size() > kMaxMtrJsonBytes) {
    return absl::InvalidArgumentError(absl::StrCat("mtr JSON too large (", text.size(), " bytes)"));
  }
  Json root = ParseUntrustedJson(text);
  if (root.is_discarded()) root = ParseUntrustedJson(RepairEmptyHubs(text));
  if (root.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat("not valid JSON (or nested more than ",
                                                   kMaxUntrustedJsonDepth, " levels deep)"));
  }
  if (!root.is_object() || !root.contains("report") || !root["report"].is_object()) {
    return absl::InvalidArgumentError("not an mtr JSON report: no \"report\" object");
  }
  Json report = std::move(root["report"]);
  auto hubs = report.find("hubs");
  if (hubs == report.end() || !hubs->is_array()) {
    return absl::InvalidArgumentError("not an mtr JSON report: no \"hubs\" array");
  }
  if (hubs->size() > kMaxTtl) {
    return absl::InvalidArgumentError(absl::StrCat("too many hubs (", hubs->size(), ")"));
  }
  return report;
}

}  // namespace

bool LooksLikeMtrJson(absl::string_view text) {
  return absl::StrContains(text, "\"report\"") && absl::StrContains(text, "\"hubs\"");
}

absl::StatusOr<std::map<std::string, uint32_t>> ParseMtrJsonAsNumbers(absl::string_view text) {
  absl::StatusOr<Json> report = ParseReport(text);
  if (!report.ok()) return report.status();
  std::map<std::string, uint32_t> numbers;
  for (const Json& hub : report->at("hubs")) {
    if (!hub.is_object()) continue;
    v1::Responder responder;
    SetHost(String(hub, "host"), &responder);
    const std::string field = String(hub, "ASN");
    absl::string_view as = absl::StripAsciiWhitespace(field);
    uint32_t number = 0;
    if (responder.address().empty() || !absl::ConsumePrefix(&as, "AS") ||
        !absl::SimpleAtoi(as, &number) || number == 0) {
      continue;
    }
    numbers[responder.address()] = number;
  }
  return numbers;
}

absl::StatusOr<v1::TraceResult> ParseMtrJson(absl::string_view text) {
  absl::StatusOr<Json> parsed = ParseReport(text);
  if (!parsed.ok()) return parsed.status();
  const Json& report = *parsed;
  auto hubs = report.find("hubs");

  v1::TraceResult trace;
  trace.set_final(true);
  auto mtr = report.find("mtr");
  if (mtr != report.end() && mtr->is_object()) {
    const std::string dst = String(*mtr, "dst");
    trace.mutable_options()->set_target(dst);
    if (IpAddress::Parse(dst).ok()) trace.set_target_address(dst);
    trace.set_source_hostname(String(*mtr, "src"));
    if (auto tests = Number(*mtr, "tests")) {
      trace.mutable_options()->set_count(
          static_cast<int32_t>(std::min<int64_t>(Count(tests), 1 << 30)));
    }
    if (auto tos = Number(*mtr, "tos")) {
      trace.mutable_options()->set_tos(static_cast<int32_t>(Count(tos) & 0xff));
    }
    if (auto psize = Number(*mtr, "psize")) {  // "rand(..)" stays unset
      trace.mutable_options()->set_packet_size(
          static_cast<int32_t>(std::min<int64_t>(Count(psize), 65535)));
    }
    if (auto pattern = Number(*mtr, "bitpattern")) {
      trace.mutable_options()->set_bit_pattern(static_cast<int32_t>(Count(pattern) & 0xff));
    }
  }

  int index = 0;
  int64_t rounds = 0;
  for (const Json& hub : *hubs) {
    absl::StatusOr<v1::HopResult> hop = ParseHub(hub, index++);
    if (!hop.ok()) return hop.status();
    if (trace.hops_size() > 0 && hop->ttl() <= trace.hops(trace.hops_size() - 1).ttl()) {
      return absl::InvalidArgumentError(
          absl::StrCat("hub ", index - 1, ": hop numbers must increase"));
    }
    rounds = std::max(rounds, hop->sent());
    *trace.add_hops() = *std::move(hop);
  }
  trace.set_rounds(static_cast<int32_t>(std::min<int64_t>(rounds, 1 << 30)));
  // pathpair's own JSON (-j, the paired report) says when a trace was cut short, and how many
  // rounds its figures cover; the diagnosis must know (issue 15).
  if (mtr != report.end() && mtr->is_object()) {
    trace.set_interrupted(Flag(*mtr, "interrupted"));
    trace.set_incomplete(Flag(*mtr, "incomplete") || trace.interrupted());
    if (auto covered = Number(*mtr, "rounds"); covered.has_value() && trace.incomplete()) {
      trace.set_rounds(static_cast<int32_t>(std::min<int64_t>(Count(covered), 1 << 30)));
    }
    if (auto started = Number(*mtr, "rounds_started"); started.has_value()) {
      trace.set_rounds_started(static_cast<int32_t>(std::min<int64_t>(Count(started), 1 << 30)));
    }
  }

  // Reached: when "dst" is an address, a hub answered from it. Otherwise (a host name) the last
  // hub answered, since mtr lists one "???" past the last known hop when the target stays
  // silent, and its host appears nowhere else: at the maximum TTL of a routing loop the last hub
  // answers too, but from an address seen before.
  int destination = -1;
  const int count = trace.hops_size();
  auto host_of = [&](int i) -> std::string {
    const v1::HopResult& hop = trace.hops(i);
    if (hop.responders_size() == 0) return "";
    const v1::Responder& responder = hop.responders(0);
    return responder.address().empty() ? responder.hostname() : responder.address();
  };
  if (!trace.target_address().empty()) {
    for (int i = 0; i < count && destination < 0; ++i) {
      if (host_of(i) == trace.target_address()) destination = i;
    }
  } else if (count > 0 && trace.hops(count - 1).received() > 0) {
    const std::string last = host_of(count - 1);
    bool seen_before = false;
    for (int i = 0; i < count - 1; ++i) seen_before = seen_before || host_of(i) == last;
    if (!seen_before) destination = count - 1;
  }
  if (destination >= 0) {
    trace.set_reached(true);
    trace.mutable_hops(destination)->set_termination(v1::HOP_TERMINATION_DESTINATION);
  }
  return trace;
}

}  // namespace pathpair::mtrjson
