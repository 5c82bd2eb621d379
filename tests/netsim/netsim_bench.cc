// pathpair-netsim-bench: measures the error that pathpair-netsim adds to round-trip times.
//
//   pathpair-netsim-bench [--scenario FILE] [--rate PROBES_PER_S] [--seconds S] [--max-ttl N]
//                         [--netsim PATH]
//
// It runs `pathpair-netsim run SCENARIO --event-log LOG -- pathpair-netsim-bench --probe ...`:
// the probe side (inside the client namespace) sends ICMP echo requests over a raw socket at the
// given total rate, cycling the TTL over 1..max-ttl, and records when each left and when its
// answer (Time Exceeded or echo reply) came back, on CLOCK_MONOTONIC. Afterwards the parent
// reads the event log, computes each probe's ideal RTT (the emulated delays only; for echo
// replies minus the server kernel's turnaround, which is endpoint time) and prints how far the
// probe's measured RTT is from it, and how late the emulator wrote packets.
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/net/ip_address.h"
#include "common/packet/packet.h"

namespace {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

struct Args {
  std::string scenario = PATHPAIR_DEFAULT_SCENARIO;
  std::string netsim;
  double rate = 1000;
  double seconds = 5;
  int max_ttl = 15;
  bool probe = false;
  std::string out;
};

// The probe side: runs inside the client namespace.
int Probe(const Args& a) {
  const char* target_text = getenv("NETSIM_SERVER_IP");
  if (!target_text) {
    std::cerr << "NETSIM_SERVER_IP not set\n";
    return 2;
  }
  absl::StatusOr<pathpair::IpAddress> target = pathpair::IpAddress::Parse(target_text);
  absl::StatusOr<pathpair::IpAddress> source =
      pathpair::IpAddress::Parse(getenv("NETSIM_CLIENT_IP") ? getenv("NETSIM_CLIENT_IP") : "");
  if (!target.ok() || !source.ok()) return 2;
  // The probe side measures the emulator, not the machine's load: give it a real-time priority
  // like the emulator's, so that waiting for a CPU does not show up as RTT error.
  sched_param param{};
  param.sched_priority = 9;
  sched_setscheduler(0, SCHED_FIFO, &param);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
  if (fd < 0) {
    perror("socket");
    return 2;
  }
  sockaddr_storage to;
  socklen_t to_len = target->ToSockaddr(0, &to);
  const uint16_t id = static_cast<uint16_t>(getpid());
  const int64_t interval = static_cast<int64_t>(1e9 / a.rate);
  const int total = static_cast<int>(a.rate * a.seconds);
  std::vector<int64_t> sent(total, 0), received(total, 0);
  int64_t next = NowNs() + 100000000;  // let the emulator settle
  const int64_t end_of_sending = next + interval * total;
  int index = 0;
  uint8_t buf[2048];
  for (;;) {
    const int64_t now = NowNs();
    if (index < total && now >= next) {
      pathpair::packet::ProbeSpec spec;
      spec.protocol = pathpair::packet::ProbeProtocol::kIcmp;
      spec.source = *source;
      spec.destination = *target;
      spec.icmp_id = id;
      spec.sequence = static_cast<uint16_t>(index);
      spec.packet_size = 64;
      absl::StatusOr<size_t> n = pathpair::packet::BuildProbeTransport(spec, buf);
      int ttl = 1 + index % a.max_ttl;
      setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
      sent[index] = NowNs();
      if (n.ok()) sendto(fd, buf, *n, 0, reinterpret_cast<sockaddr*>(&to), to_len);
      ++index;
      next += interval;
      continue;
    }
    if (index >= total && now > end_of_sending + 1500000000) break;
    int64_t wait_ns = index < total ? next - now : 50000000;
    timespec ts{static_cast<time_t>(wait_ns / 1000000000), static_cast<long>(wait_ns % 1000000000)};
    pollfd p{fd, POLLIN, 0};
    if (ppoll(&p, 1, &ts, nullptr) <= 0) continue;
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      const int64_t at = NowNs();
      absl::StatusOr<pathpair::packet::ParsedReply> r =
          pathpair::packet::ParseIpv4Packet(std::span<const uint8_t>(buf, n));
      if (!r.ok()) continue;
      int seq = -1;
      if (r->kind == pathpair::packet::ReplyKind::kEchoReply && r->echo_id == id) {
        seq = r->echo_sequence;
      } else if (r->quote && r->quote->icmp_id == id) {
        seq = r->quote->icmp_sequence;
      }
      if (seq >= 0 && seq < total && received[seq] == 0) received[seq] = at;
    }
  }
  std::ofstream out(a.out);
  for (int i = 0; i < total; ++i) {
    out << i << " " << sent[i] << " " << received[i] << "\n";
  }
  return 0;
}

struct Stats {
  std::vector<double> v;
  void Add(double x) { v.push_back(x); }
  std::string Line(const char* unit) {
    if (v.empty()) return "no samples";
    std::sort(v.begin(), v.end());
    auto q = [&](double f) { return v[std::min(v.size() - 1, static_cast<size_t>(f * v.size()))]; };
    double sum = 0;
    for (double x : v) sum += x;
    char line[256];
    snprintf(line, sizeof line, "n=%zu mean=%.1f p50=%.1f p90=%.1f p99=%.1f max=%.1f %s", v.size(),
             sum / v.size(), q(0.5), q(0.9), q(0.99), v.back(), unit);
    return line;
  }
};

int Analyse(const std::string& log_path, const std::string& probe_path) {
  using nlohmann::json;
  std::map<int, json> requests;  // by icmp_seq
  std::map<uint64_t, json> errors_by_cause;
  std::map<int, json> echo_replies;  // by icmp_seq
  Stats lateness;
  std::ifstream log(log_path);
  std::string line;
  while (std::getline(log, line)) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || j.value("event", "") != "packet") continue;
    if (j.contains("tx_ns"))
      lateness.Add((j["tx_ns"].get<int64_t>() - j["scheduled_ns"].get<int64_t>()) / 1000.0);
    const std::string origin = j.value("origin", "");
    const int type = j.value("icmp_type", -1);
    if (origin == "client" && type == 8) {
      requests[j.value("icmp_seq", -1)] = j;
    } else if (origin == "server" && type == 0) {
      echo_replies[j.value("icmp_seq", -1)] = j;
    } else if (j.value("cause_id", 0) != 0) {
      errors_by_cause[j["cause_id"].get<uint64_t>()] = j;
    }
  }
  Stats rtt_error, rtt_error_te, rtt_error_echo, ingress, egress;
  int probes = 0, answered = 0;
  std::ifstream in(probe_path);
  int seq;
  int64_t sent, received;
  while (in >> seq >> sent >> received) {
    ++probes;
    if (received == 0) continue;
    ++answered;
    auto req = requests.find(seq & 0xffff);
    if (req == requests.end()) continue;
    const json& r = req->second;
    const int64_t rx = r["rx_ns"].get<int64_t>();
    double ideal_ns = 0;
    if (r.value("fate", "") == "delivered") {
      auto rep = echo_replies.find(seq & 0xffff);
      if (rep == echo_replies.end() || !rep->second.contains("scheduled_ns")) continue;
      const json& e = rep->second;
      const int64_t turnaround = e["rx_ns"].get<int64_t>() - r["tx_ns"].get<int64_t>();
      ideal_ns = (r["scheduled_ns"].get<int64_t>() - rx) +
                 (e["scheduled_ns"].get<int64_t>() - e["rx_ns"].get<int64_t>());
      const double err = ((received - sent) - turnaround - ideal_ns) / 1000.0;
      rtt_error.Add(err);
      rtt_error_echo.Add(err);
    } else {
      auto te = errors_by_cause.find(r["id"].get<uint64_t>());
      if (te == errors_by_cause.end() || !te->second.contains("scheduled_ns")) continue;
      ideal_ns = te->second["scheduled_ns"].get<int64_t>() - rx;
      const double err = ((received - sent) - ideal_ns) / 1000.0;
      ingress.Add((rx - sent) / 1000.0);
      egress.Add((received - te->second["tx_ns"].get<int64_t>()) / 1000.0);
      rtt_error.Add(err);
      rtt_error_te.Add(err);
    }
  }
  printf("probes sent %d, answered %d\n", probes, answered);
  printf("emulator write lateness (tx - scheduled, per delivered packet): %s\n",
         lateness.Line("us").c_str());
  printf("probe sendto -> emulator read (ingress):                     %s\n",
         ingress.Line("us").c_str());
  printf("emulator write -> probe receive (egress):                     %s\n",
         egress.Line("us").c_str());
  printf("RTT error added (measured RTT - emulated RTT), all probes:    %s\n",
         rtt_error.Line("us").c_str());
  printf("  of which Time Exceeded:                                     %s\n",
         rtt_error_te.Line("us").c_str());
  printf("  of which echo replies (server turnaround excluded):          %s\n",
         rtt_error_echo.Line("us").c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  const std::string self = std::filesystem::canonical("/proc/self/exe").string();
  a.netsim = (std::filesystem::path(self).parent_path() / "pathpair-netsim").string();
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (k == "--scenario")
      a.scenario = value();
    else if (k == "--netsim")
      a.netsim = value();
    else if (k == "--rate")
      a.rate = atof(value().c_str());
    else if (k == "--seconds")
      a.seconds = atof(value().c_str());
    else if (k == "--max-ttl")
      a.max_ttl = atoi(value().c_str());
    else if (k == "--out")
      a.out = value();
    else if (k == "--probe")
      a.probe = true;
    else {
      std::cerr << "usage: pathpair-netsim-bench [--scenario FILE] [--rate N] [--seconds S] "
                   "[--max-ttl N] [--netsim PATH]\n";
      return 2;
    }
  }
  if (a.rate <= 0 || a.seconds <= 0 || a.max_ttl < 1 || a.max_ttl > 64) return 2;
  if (a.probe) return Probe(a);
  char log_path[] = "/tmp/netsim-bench-log-XXXXXX";
  char probe_path[] = "/tmp/netsim-bench-probes-XXXXXX";
  close(mkstemp(log_path));
  close(mkstemp(probe_path));
  const std::string command = a.netsim + " run " + a.scenario + " --event-log " + log_path +
                              " -- " + self + " --probe --rate " + std::to_string(a.rate) +
                              " --seconds " + std::to_string(a.seconds) + " --max-ttl " +
                              std::to_string(a.max_ttl) + " --out " + probe_path;
  printf("scenario %s, %.0f probes/s for %.1f s, TTL 1..%d\n", a.scenario.c_str(), a.rate,
         a.seconds, a.max_ttl);
  fflush(stdout);
  const int rc = system(command.c_str());
  int result = 1;
  if (rc == 0)
    result = Analyse(log_path, probe_path);
  else
    std::cerr << "pathpair-netsim run failed: " << rc << "\n";
  unlink(log_path);
  unlink(probe_path);
  return result;
}
