#include "controller/paired/oneway_clock.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace pathpair::paired {
namespace {

struct MethodName {
  v1::ClockMethod method;
  const char* name;
};

constexpr MethodName kMethodNames[] = {
    {v1::CLOCK_METHOD_UNSPECIFIED, "unspecified"},
    {v1::CLOCK_METHOD_SAME_HOST, "same_host"},
    {v1::CLOCK_METHOD_SYNCHRONIZED, "synchronized"},
    {v1::CLOCK_METHOD_ESTIMATED, "estimated"},
    {v1::CLOCK_METHOD_NONE, "none"},
};

constexpr char kFixClocks[] = "NTP, chrony or PTP";

bool HasBound(v1::ClockMethod method) {
  return method == v1::CLOCK_METHOD_SAME_HOST || method == v1::CLOCK_METHOD_SYNCHRONIZED ||
         method == v1::CLOCK_METHOD_ESTIMATED;
}

// Enough digits for the figure's size: 0.001 ms, 1.25 ms, 23.1 ms, 1000.2 ms.
std::string Ms(double ms) {
  const double size = std::abs(ms);
  if (size < 0.1) return absl::StrFormat("%.3f ms", ms);
  if (size < 10) return absl::StrFormat("%.2f ms", ms);
  return absl::StrFormat("%.1f ms", ms);
}

v1::DelayStats Shifted(const v1::DelayStats& raw, double by_ms) {
  v1::DelayStats out = raw;
  out.set_min_ms(raw.min_ms() + by_ms);
  out.set_avg_ms(raw.avg_ms() + by_ms);
  out.set_max_ms(raw.max_ms() + by_ms);
  return out;  // the spread needs no correction
}

// The error a claim of one clock or of synchronised clocks stands for (ms).
double ClaimedErrorMs(v1::ClockMethod method, const v1::ClockStatus& client,
                      const v1::ClockStatus& server) {
  if (method == v1::CLOCK_METHOD_SAME_HOST) return kSameHostErrorMs;
  // esterror is the kernel's (untrusted, over the wire) figure: negative counts as none.
  const int64_t sum_us = std::max<int64_t>(0, client.estimated_error_us()) +
                         std::max<int64_t>(0, server.estimated_error_us());
  return std::max(static_cast<double>(sum_us) / 1000.0, kSameHostErrorMs);
}

// When a direction's offset estimate puts the clocks further apart than `claimed_ms` and the
// estimate's own bound allow, the claim cannot be true: says so; nullopt when it holds.
std::optional<std::string> Contradiction(const v1::OneWayMeasurement& m, v1::ClockMethod method,
                                         double claimed_ms, const char* direction) {
  const v1::ClockOffset& estimate = m.offset_estimate();
  if (!estimate.estimated() || !std::isfinite(estimate.offset_ms())) return std::nullopt;
  const double apart = std::abs(estimate.offset_ms());
  if (apart <= std::abs(estimate.error_bound_ms()) + claimed_ms) return std::nullopt;
  const std::string claim =
      method == v1::CLOCK_METHOD_SAME_HOST
          ? "both ends report the same boot id (one clock)"
          : absl::StrCat("both clocks report synchronisation (error +-", Ms(claimed_ms), ")");
  return absl::StrCat(claim, ", but the exchange ", direction, " puts them ", Ms(apart),
                      " apart (+-", Ms(std::abs(estimate.error_bound_ms())),
                      "), so the offset estimate is used instead");
}

void Apply(v1::ClockMethod method, double claimed_ms, const std::string& note,
           v1::OneWayMeasurement& m) {
  v1::OneWayDirection& stats = *m.mutable_stats();
  v1::OneWayClock& clock = *m.mutable_clock();
  clock.set_note(note);
  if (method == v1::CLOCK_METHOD_ESTIMATED && !m.offset_estimate().estimated()) {
    method = v1::CLOCK_METHOD_NONE;
  }
  clock.set_method(method);
  switch (method) {
    case v1::CLOCK_METHOD_SAME_HOST:
    case v1::CLOCK_METHOD_SYNCHRONIZED:
      clock.set_error_ms(claimed_ms);
      *stats.mutable_delay() = stats.raw_delay();
      return;
    case v1::CLOCK_METHOD_ESTIMATED:
      clock.set_error_ms(std::abs(m.offset_estimate().error_bound_ms()));
      // raw = receive (ours) - send (peer's); the peer's clock is offset_ms ahead of ours.
      *stats.mutable_delay() = Shifted(stats.raw_delay(), m.offset_estimate().offset_ms());
      return;
    default:
      clock.set_error_ms(0);
      *stats.mutable_delay() = stats.raw_delay();
      return;
  }
}

std::string MethodWords(v1::ClockMethod method) {
  switch (method) {
    case v1::CLOCK_METHOD_SAME_HOST:
      return "one host (both ends report the same boot id): the delays are raw timestamps of "
             "one kernel clock";
    case v1::CLOCK_METHOD_SYNCHRONIZED:
      return absl::StrCat("synchronised (both ends' clocks are disciplined by ", kFixClocks,
                          "): the delays are raw timestamps");
    case v1::CLOCK_METHOD_ESTIMATED:
      return "not known to be synchronised: the delays are corrected by the clock offset "
             "estimated from the exchange itself";
    default:
      return "not synchronised, and no offset could be estimated: the delays include the "
             "clocks' difference";
  }
}

std::string ErrorSource(v1::ClockMethod method) {
  switch (method) {
    case v1::CLOCK_METHOD_SAME_HOST:
      return "the timestamps' granularity";
    case v1::CLOCK_METHOD_SYNCHRONIZED:
      return "the sum of both clocks' estimated errors";
    case v1::CLOCK_METHOD_ESTIMATED:
      return "half the smallest round trip";
    default:
      return "";
  }
}

std::string Caveat(v1::ClockMethod method) {
  switch (method) {
    case v1::CLOCK_METHOD_ESTIMATED:
      return absl::StrCat(
          " A constant difference between the two directions cannot be placed: the estimate "
          "assumes equal delay both ways and splits any constant asymmetry evenly. Synchronise "
          "both ends' clocks (",
          kFixClocks, ") to place it.");
    case v1::CLOCK_METHOD_NONE:
    case v1::CLOCK_METHOD_UNSPECIFIED:
      return absl::StrCat(
          " Only the delays' variation is meaningful. Synchronise both ends' clocks (", kFixClocks,
          ") to measure one-way delay.");
    default:
      return "";
  }
}

}  // namespace

v1::ClockMethod ChooseClockMethod(const v1::ClockStatus& client, const v1::ClockStatus& server) {
  if (!client.boot_id().empty() && client.boot_id() == server.boot_id()) {
    return v1::CLOCK_METHOD_SAME_HOST;
  }
  if (client.synchronized() && server.synchronized()) return v1::CLOCK_METHOD_SYNCHRONIZED;
  return v1::CLOCK_METHOD_ESTIMATED;
}

void ResolveOneWayClocks(v1::PairedRun& run) {
  struct Direction {
    bool present;
    v1::OneWayMeasurement* measurement;
    const char* name;
  };
  const std::vector<Direction> directions = {
      {run.has_oneway_forward(), run.mutable_oneway_forward(), "client -> server"},
      {run.has_oneway_reverse(), run.mutable_oneway_reverse(), "server -> client"}};
  v1::ClockMethod method = ChooseClockMethod(run.client().clock(), run.server().clock());
  const double claimed_ms = ClaimedErrorMs(method, run.client().clock(), run.server().clock());
  std::string note;
  if (method != v1::CLOCK_METHOD_ESTIMATED) {
    for (const Direction& d : directions) {
      if (!d.present) continue;
      if (std::optional<std::string> why =
              Contradiction(*d.measurement, method, claimed_ms, d.name)) {
        note = *std::move(why);
        method = v1::CLOCK_METHOD_ESTIMATED;
        break;
      }
    }
  }
  for (const Direction& d : directions) {
    if (d.present) Apply(method, claimed_ms, note, *d.measurement);
  }
}

v1::OneWayClock EffectiveClock(const v1::OneWayMeasurement& measurement) {
  if (measurement.clock().method() != v1::CLOCK_METHOD_UNSPECIFIED) return measurement.clock();
  v1::OneWayClock clock;
  if (measurement.offset_estimate().estimated()) {
    clock.set_method(v1::CLOCK_METHOD_ESTIMATED);
    clock.set_error_ms(std::abs(measurement.offset_estimate().error_bound_ms()));
  } else {
    clock.set_method(v1::CLOCK_METHOD_NONE);
  }
  return clock;
}

const char* ClockMethodName(v1::ClockMethod method) {
  for (const MethodName& m : kMethodNames) {
    if (m.method == method) return m.name;
  }
  return "unspecified";
}

std::optional<v1::ClockMethod> ClockMethodFromName(absl::string_view name) {
  for (const MethodName& m : kMethodNames) {
    if (name == m.name) return m.method;
  }
  return std::nullopt;
}

nlohmann::ordered_json OneWayClockToJson(const v1::OneWayClock& clock) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["method"] = ClockMethodName(clock.method());
  j["error_ms"] = HasBound(clock.method()) ? nlohmann::ordered_json(clock.error_ms())
                                           : nlohmann::ordered_json();
  j["note"] =
      clock.note().empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(clock.note());
  return j;
}

absl::StatusOr<v1::OneWayClock> OneWayClockFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return absl::InvalidArgumentError("\"clock\" is not an object");
  v1::OneWayClock clock;
  const auto method = json.find("method");
  const std::optional<v1::ClockMethod> known = method != json.end() && method->is_string()
                                                   ? ClockMethodFromName(method->get<std::string>())
                                                   : std::nullopt;
  if (!known.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"clock\".\"method\" must be same_host, synchronized, estimated or none, not ",
        method != json.end() ? method->dump() : std::string("nothing")));
  }
  clock.set_method(*known);
  if (const auto error = json.find("error_ms"); error != json.end() && !error->is_null()) {
    if (!error->is_number()) {
      return absl::InvalidArgumentError("\"clock\".\"error_ms\" must be a number or null");
    }
    clock.set_error_ms(error->get<double>());
  }
  if (const auto note = json.find("note"); note != json.end() && note->is_string()) {
    clock.set_note(note->get<std::string>());
  }
  return clock;
}

std::string ClockErrorText(const v1::OneWayClock& clock) {
  return HasBound(clock.method()) ? absl::StrCat("+-", Ms(clock.error_ms())) : "";
}

std::string DescribeRunClocks(const v1::PairedRun& run) {
  if (!run.oneway_requested()) return "";
  struct Direction {
    const char* name;
    v1::OneWayClock clock;
  };
  std::vector<Direction> directions;
  if (run.has_oneway_forward()) {
    directions.push_back({"client -> server", EffectiveClock(run.oneway_forward())});
  }
  if (run.has_oneway_reverse()) {
    directions.push_back({"server -> client", EffectiveClock(run.oneway_reverse())});
  }
  if (directions.empty()) return "";
  const bool one_method = std::all_of(
      directions.begin(), directions.end(),
      [&](const Direction& d) { return d.clock.method() == directions.front().clock.method(); });
  // The method in words and its error: "<method> (<name>), error +-X ms (<why that bound>)",
  // with the error per direction when it differs as printed.
  const auto method_text = [&](const std::vector<Direction>& those) {
    const v1::OneWayClock& clock = those.front().clock;
    std::string text =
        absl::StrCat(MethodWords(clock.method()), " (", ClockMethodName(clock.method()), ")");
    if (!HasBound(clock.method())) return text;
    const bool one_error = std::all_of(those.begin(), those.end(), [&](const Direction& d) {
      return ClockErrorText(d.clock) == ClockErrorText(clock);
    });
    const std::string errors =
        one_error ? ClockErrorText(clock)
                  : absl::StrJoin(those, " and ", [](std::string* out, const Direction& d) {
                      absl::StrAppend(out, ClockErrorText(d.clock), " ", d.name);
                    });
    absl::StrAppend(&text, ", error ", errors, " (", ErrorSource(clock.method()), ")");
    return text;
  };
  std::string out = "Clocks: ";
  if (one_method) {
    absl::StrAppend(&out, method_text(directions));
  } else {
    for (size_t i = 0; i < directions.size(); ++i) {
      absl::StrAppend(&out, i == 0 ? "" : "; ", directions[i].name, ": ",
                      method_text({directions[i]}));
    }
  }
  absl::StrAppend(&out, ".");
  // One note and one caveat stand for the run.
  for (const Direction& d : directions) {
    if (d.clock.note().empty()) continue;
    absl::StrAppend(&out, " Note: ", d.clock.note(), ".");
    break;
  }
  for (const Direction& d : directions) {
    if (const std::string caveat = Caveat(d.clock.method()); !caveat.empty()) {
      absl::StrAppend(&out, caveat);
      break;
    }
  }
  return out;
}

}  // namespace pathpair::paired
