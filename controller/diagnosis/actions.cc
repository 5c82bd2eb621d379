#include "controller/diagnosis/actions.h"

#include "absl/strings/str_cat.h"

namespace pathpair::diagnosis {
namespace {

std::string AsText(const v1::Finding& finding) {
  if (finding.asn() == 0) return "";
  return finding.as_name().empty() ? absl::StrCat("AS", finding.asn())
                                   : absl::StrCat("AS", finding.asn(), " ", finding.as_name());
}

std::string NodeText(const v1::Finding& finding) {
  if (finding.address().empty()) return "the node";
  return finding.has_ttl() ? absl::StrCat("hop ", finding.ttl(), " (", finding.address(), ")")
                           : finding.address();
}

constexpr char kConfirmWithReverse[] =
    " Confirm with a reverse trace (pathpair test) before reporting: the return path may be "
    "the cause.";

}  // namespace

std::string ContactFor(const v1::Finding& finding) {
  const std::string as = AsText(finding);
  switch (finding.area()) {
    case v1::NETWORK_AREA_CLIENT_LAN:
      return "Troubleshoot the client's local network (cabling, Wi-Fi, home router or "
             "firewall).";
    case v1::NETWORK_AREA_CLIENT_ISP:
      return absl::StrCat("Report the issue to the local ISP", as.empty() ? "" : " (" + as + ")",
                          ", quoting ", NodeText(finding), ".");
    case v1::NETWORK_AREA_CARRIER:
      return as.empty() ? absl::StrCat("Report the issue to the ISP that owns ", NodeText(finding),
                                       " (look the address up in whois), directly or through your "
                                       "provider's support.")
                        : absl::StrCat("Report the issue to the ISP that owns ", NodeText(finding),
                                       ": ", as, ", directly or through your provider's support.");
    case v1::NETWORK_AREA_DESTINATION:
      return absl::StrCat("Report the issue to the destination host's network provider",
                          as.empty() ? "" : " (" + as + ")", ".");
    default:
      return absl::StrCat("Find who owns ", NodeText(finding),
                          " (whois) and report the issue to them.");
  }
}

std::string ActionFor(const v1::Finding& finding, bool has_reverse_trace) {
  const std::string confirm = has_reverse_trace ? "" : kConfirmWithReverse;
  switch (finding.code()) {
    case v1::HEALTHY:
      return "Nothing to do.";
    case v1::ICMP_RATE_LIMITED_HOP:
      return "None: the node limits the ICMP replies it sends; traffic through it is not lost. "
             "Ignore this hop's Loss%.";
    case v1::UNRESPONSIVE_HOP:
      return "None: the node does not answer probes but forwards traffic.";
    case v1::ICMP_SLOW_PATH_LATENCY:
      return "None: the node is slow to answer probes itself; traffic through it is not "
             "delayed.";
    case v1::TRANSIENT_SPIKE:
      return "None unless it recurs: one probe was delayed.";
    case v1::LOAD_BALANCED_HOP:
      return "None: the traffic is load-balanced at this hop; read each responder's figures "
             "separately.";
    case v1::ASYMMETRIC_PATH:
      return "None by itself: diagnose each direction with its own trace.";
    case v1::DEST_ICMP_BLOCKED:
      if (finding.severity() == v1::SEVERITY_INFO) {
        return "None for the path: the destination is up and its firewall drops ICMP. Re-run in "
               "TCP (-T) or UDP (-u) mode to measure the destination itself.";
      }
      return "Check the destination's security policy (firewall, iptables, security group): it "
             "drops ICMP. Re-run in TCP (-T) or UDP (-u) mode to measure the destination.";
    case v1::LONG_DISTANCE_LINK:
      return "None: the delay is the distance the packets travel; nothing to report.";
    case v1::DEST_ICMP_RATE_LIMITED:
      if (finding.severity() == v1::SEVERITY_INFO) {
        return "None: the destination's kernel rations its ICMP replies; packets get through.";
      }
      return "Check the destination's security policy or ICMP rate limit, or re-run in TCP (-T) "
             "or UDP (-u) mode; a reverse trace (pathpair test) tells real loss from rate "
             "limiting.";
    case v1::PACKET_LOSS:
    case v1::LATENCY_INCREASE:
    case v1::HIGH_JITTER:
      return absl::StrCat(ContactFor(finding), confirm);
    case v1::LINK_INTERRUPTION:
    case v1::ROUTING_LOOP:
      return absl::StrCat(ContactFor(finding),
                          has_reverse_trace ? "" : " A reverse trace (pathpair test) confirms it.");
    case v1::DEST_UNREACHABLE:
      return absl::StrCat(
          "The node refuses to forward to the destination (no route or a "
          "filter). ",
          ContactFor(finding));
    case v1::LOSS_FORWARD_DIRECTION:
    case v1::LOSS_REVERSE_DIRECTION:
    case v1::LOSS_BOTH_DIRECTIONS:
      return ContactFor(finding);
    case v1::LATENCY_ON_RETURN_PATH:
    case v1::LATENCY_ON_FORWARD_PATH: {
      const char* trace = finding.code() == v1::LATENCY_ON_RETURN_PATH ? "reverse" : "forward";
      if (!finding.has_ttl()) {
        return absl::StrCat("Look for the hop where the ", trace,
                            " trace's latency steps up, and report the delay to its owner.");
      }
      return absl::StrCat("Look for the delay in the ", trace, " trace; ", ContactFor(finding));
    }
    default:
      return "";
  }
}

}  // namespace pathpair::diagnosis
