#include "controller/diagnosis/path_rules.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/net/ip_address.h"
#include "controller/diagnosis/statistics.h"

namespace pathpair::diagnosis {
namespace {

// Names for the ICMP Destination Unreachable codes most often seen (IPv4 type 3).
std::string UnreachableName(int code) {
  switch (code) {
    case 0:
      return "network unreachable";
    case 1:
      return "host unreachable";
    case 2:
      return "protocol unreachable";
    case 3:
      return "port unreachable";
    case 9:
    case 10:
    case 13:
      return "administratively prohibited";
    default:
      return absl::StrCat("code ", code);
  }
}

v1::FindingCode ReportUnreachable(const PathView& path, int index, Findings& out) {
  const HopView& hop = path.hops[index];
  v1::Finding finding =
      HopFinding(v1::DEST_UNREACHABLE, v1::SEVERITY_PROBLEM, hop,
                 absl::StrCat("Hop ", hop.ttl, " (", hop.address.empty() ? "?" : hop.address,
                              ") answered Destination Unreachable (",
                              UnreachableName(hop.unreachable_code), "): the path ends there."));
  AddNumber(finding, "unreachable_code", hop.unreachable_code);
  AddText(finding, "meaning", UnreachableName(hop.unreachable_code));
  AddNumber(finding, "received", static_cast<double>(hop.received));
  finding.set_confidence(kUnreachableConfidence);
  out.push_back(std::move(finding));
  return v1::DEST_UNREACHABLE;
}

v1::FindingCode ReportLoop(const PathView& path, int start, int period, Findings& out) {
  const HopView& hop = path.hops[start];
  std::vector<std::string> cycle;
  const int first = start + 1 - period;
  for (int i = first; i <= start; ++i) {
    cycle.push_back(path.hops[i].address.empty() ? "???" : path.hops[i].address);
  }
  const int first_repeat_ttl = path.hops[start + 1].ttl;
  v1::Finding finding = HopFinding(
      v1::ROUTING_LOOP, v1::SEVERITY_PROBLEM, hop,
      absl::StrCat("Routing loop: packets enter a loop after hop ", hop.ttl, "; from hop ",
                   first_repeat_ttl, " on the addresses ", absl::StrJoin(cycle, ", "),
                   " repeat and the destination is never reached."));
  AddList(finding, "loop_addresses", cycle);
  AddNumber(finding, "period_hops", period);
  AddNumber(finding, "first_repeat_ttl", first_repeat_ttl);
  AddNumber(finding, "last_ttl", path.hops.back().ttl);
  finding.set_confidence(kLoopConfidence);
  out.push_back(std::move(finding));
  return v1::ROUTING_LOOP;
}

}  // namespace

bool SharesDestinationPrefix(const std::string& address, const std::string& target) {
  auto a = IpAddress::Parse(address);
  auto b = IpAddress::Parse(target);
  if (!a.ok() || !b.ok() || a->family() != b->family()) return false;
  return a->SharesPrefix(*b, a->is_v4() ? kDestinationPrefixV4 : kDestinationPrefixV6);
}

int FindLoopStart(const PathView& path, int& period) {
  const int count = static_cast<int>(path.hops.size());
  for (int t = 0; t < count; ++t) {
    if (path.hops[t].address.empty()) continue;
    for (int p = 1; p <= kMaxLoopPeriod && t + p < count; ++p) {
      if (path.hops[t + p].address != path.hops[t].address) continue;
      // Count the TTLs from t + p on that repeat the address one period earlier; silent hops
      // inside the loop are neutral.
      int repeated = 0;
      for (int i = t + p; i < count; ++i) {
        const std::string& now = path.hops[i].address;
        const std::string& before = path.hops[i - p].address;
        if (now.empty() || before.empty()) continue;
        if (now != before) break;
        ++repeated;
      }
      if (repeated >= kMinLoopRepeatedHops) {
        period = p;
        return t + p - 1;
      }
    }
  }
  return -1;
}

v1::FindingCode FindTermination(const PathView& path, bool last_hop_in_destination_network,
                                v1::DestinationCheck check, Findings& out) {
  if (path.reached) return v1::FINDING_CODE_UNSPECIFIED;
  const int last = path.LastRespondingIndex();
  if (last >= 0 && path.hops[last].termination == v1::HOP_TERMINATION_UNREACHABLE) {
    return ReportUnreachable(path, last, out);
  }
  int period = 0;
  const int loop_start = FindLoopStart(path, period);
  if (loop_start >= 0) return ReportLoop(path, loop_start, period, out);

  const int count = static_cast<int>(path.hops.size());
  if (last < 0) {
    if (count == 0) return v1::FINDING_CODE_UNSPECIFIED;
    v1::Finding finding =
        PathFinding(v1::LINK_INTERRUPTION, v1::SEVERITY_PROBLEM,
                    "No hop answered at all: the connection is down at or next to the client.");
    int64_t sent = 0;
    for (const HopView& hop : path.hops) sent += hop.sent;
    AddNumber(finding, "first_silent_ttl", path.hops.front().ttl);
    AddNumber(finding, "silent_hops", count);
    finding.set_probes(sent);
    finding.set_confidence(kInterruptionConfidence);
    finding.set_area(v1::NETWORK_AREA_CLIENT_LAN);
    out.push_back(std::move(finding));
    return v1::LINK_INTERRUPTION;
  }
  if (last == count - 1) return v1::FINDING_CODE_UNSPECIFIED;  // stopped with hops answering

  const HopView& hop = path.hops[last];
  const HopView& silent = path.hops[last + 1];
  int64_t silent_sent = 0;
  for (int i = last + 1; i < count; ++i) silent_sent += path.hops[i].sent;
  const bool icmp = path.protocol == v1::PROTOCOL_ICMP || path.protocol == v1::PROTOCOL_UNSPECIFIED;
  const bool checked = check != v1::DESTINATION_CHECK_NOT_RUN;
  const bool looks_blocked =
      check == v1::DESTINATION_CHECK_ANSWERED ||
      (!checked && (last_hop_in_destination_network ||
                    SharesDestinationPrefix(hop.address, path.target_address)));
  if (icmp && looks_blocked) {
    // Checked: the host is up and only drops ICMP (info). Otherwise it may also be a link down
    // right before it: a problem.
    v1::Finding finding = HopFinding(
        v1::DEST_ICMP_BLOCKED, checked ? v1::SEVERITY_INFO : v1::SEVERITY_PROBLEM, silent,
        checked ? absl::StrCat("The hops up to the destination's network answer (last: hop ",
                               hop.ttl, ", ", hop.address,
                               ") and the destination is up (it answers TCP/UDP), but it never "
                               "answers ICMP: its firewall drops ICMP. Only its own ICMP figures "
                               "are missing.")
                : absl::StrCat("The hops up to the destination's network answer (last: hop ",
                               hop.ttl, ", ", hop.address,
                               ") but the destination never does: its firewall or security "
                               "policy blocks ICMP."));
    finding.set_address(path.target_address);
    AddNumber(finding, "last_answering_ttl", hop.ttl);
    AddNumber(finding, "last_answering_loss_pct", hop.loss_pct());
    AddNumber(finding, "destination_loss_pct", 100);
    AddNumber(finding, "silent_probes", static_cast<double>(silent_sent));
    AddText(finding, "destination_check", checked ? "answered" : "not run");
    finding.set_probes(silent_sent + hop.sent);
    finding.set_confidence(checked ? kCheckedConfidence : kDestinationBlockedConfidence);
    out.push_back(std::move(finding));
    return v1::DEST_ICMP_BLOCKED;
  }
  std::string summary = absl::StrCat(
      "No reply after hop ", hop.ttl, " (", hop.address.empty() ? "?" : hop.address, "): from hop ",
      silent.ttl,
      " on nothing answers and the destination is not reached; the link is interrupted at "
      "that node.");
  if (icmp && !checked) {
    absl::StrAppend(&summary,
                    " (Unless the destination drops ICMP: a TCP (-T) or UDP (-u) trace tells.)");
  }
  v1::Finding finding =
      HopFinding(v1::LINK_INTERRUPTION, v1::SEVERITY_PROBLEM, hop, std::move(summary));
  AddNumber(finding, "last_answering_ttl", hop.ttl);
  AddNumber(finding, "first_silent_ttl", silent.ttl);
  AddNumber(finding, "silent_hops", count - last - 1);
  AddNumber(finding, "silent_probes", static_cast<double>(silent_sent));
  if (checked) AddText(finding, "destination_check", "silent");
  finding.set_probes(silent_sent);
  finding.set_confidence(checked ? kCheckedConfidence : kInterruptionConfidence);
  out.push_back(std::move(finding));
  return v1::LINK_INTERRUPTION;
}

void FindLoadBalancedHops(const PathView& path, Findings& out) {
  for (const HopView& hop : path.hops) {
    if (hop.addresses.size() < 2) continue;
    v1::Finding finding = HopFinding(
        v1::LOAD_BALANCED_HOP, v1::SEVERITY_INFO, hop,
        absl::StrCat(hop.addresses.size(), " addresses answer at hop ", hop.ttl,
                     ": the traffic is load-balanced (ECMP) there, and the hop's figures mix "
                     "them."));
    AddList(finding, "responders", hop.addresses);
    finding.set_confidence(kLoadBalancedConfidence);
    out.push_back(std::move(finding));
  }
}

}  // namespace pathpair::diagnosis
