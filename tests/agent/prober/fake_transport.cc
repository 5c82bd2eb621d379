#include "tests/agent/prober/fake_transport.h"

#include <algorithm>

#include "common/packet/packet.h"
#include "tests/netsim/icmp_error.h"

namespace pathpair::prober {
namespace {

using packet::ProbeProtocol;

// The whole probe packet (IP header included), as a router would quote it.
std::vector<uint8_t> WholeProbe(const net::OutgoingProbe& probe) {
  const size_t header =
      probe.destination.is_v4() ? packet::kIpv4HeaderSize : packet::kIpv6HeaderSize;
  std::vector<uint8_t> out(header + probe.bytes.size());
  const uint8_t protocol = probe.protocol == ProbeProtocol::kUdp   ? 17
                           : probe.protocol == ProbeProtocol::kTcp ? 6
                           : probe.destination.is_v4()             ? 1
                                                                   : 58;
  if (probe.destination.is_v4()) {
    out[0] = 0x45;
    out[2] = static_cast<uint8_t>(out.size() >> 8);
    out[3] = static_cast<uint8_t>(out.size());
    out[8] = 1;
    out[9] = protocol;
    std::copy_n(probe.source.bytes().begin(), 4, out.begin() + 12);
    std::copy_n(probe.destination.bytes().begin(), 4, out.begin() + 16);
    const uint16_t sum = packet::InternetChecksum(std::span<const uint8_t>(out).first(20));
    out[10] = static_cast<uint8_t>(sum >> 8);
    out[11] = static_cast<uint8_t>(sum);
  } else {
    out[0] = 0x60;
    out[4] = static_cast<uint8_t>(probe.bytes.size() >> 8);
    out[5] = static_cast<uint8_t>(probe.bytes.size());
    out[6] = protocol;
    out[7] = 1;
    std::copy_n(probe.source.bytes().begin(), 16, out.begin() + 8);
    std::copy_n(probe.destination.bytes().begin(), 16, out.begin() + 24);
  }
  std::copy(probe.bytes.begin(), probe.bytes.end(), out.begin() + static_cast<ptrdiff_t>(header));
  return out;
}

net::ReceivedPacket Deliver(std::vector<uint8_t> whole, const IpAddress& from, const IpAddress& to,
                            MonoTime at) {
  net::ReceivedPacket packet;
  packet.source = from;
  packet.destination = to;
  packet.received_at = at;
  if (from.is_v4()) {
    packet.format = net::PacketFormat::kIpv4Packet;
    packet.bytes = std::move(whole);
  } else {
    // An IPv6 raw socket strips the IPv6 header.
    const bool tcp = whole.size() > 6 && whole[6] == 6;
    packet.format = tcp ? net::PacketFormat::kTcpSegmentV6 : net::PacketFormat::kIcmpv6Message;
    packet.bytes.assign(whole.begin() + packet::kIpv6HeaderSize, whole.end());
  }
  return packet;
}

std::vector<uint8_t> IcmpError(const net::OutgoingProbe& probe, const IpAddress& responder,
                               netsim::IcmpErrorKind kind, uint8_t code) {
  netsim::IcmpErrorSpec spec;
  spec.kind = kind;
  spec.code = code;
  spec.source = responder;
  std::vector<uint8_t> out(2000);
  absl::StatusOr<size_t> n = netsim::BuildIcmpErrorPacket(spec, WholeProbe(probe), out);
  out.resize(n.ok() ? *n : 0);
  return out;
}

void PutChecksum(std::vector<uint8_t>& data, size_t at, uint16_t sum) {
  data[at] = static_cast<uint8_t>(sum >> 8);
  data[at + 1] = static_cast<uint8_t>(sum);
}

std::vector<uint8_t> EchoReply(const net::OutgoingProbe& probe) {
  std::vector<uint8_t> icmp(probe.bytes.begin(), probe.bytes.end());
  icmp[0] = probe.destination.is_v4() ? 0 : 129;
  PutChecksum(icmp, 2, 0);
  uint32_t pseudo = 0;
  if (probe.destination.is_v6()) {
    pseudo = packet::PseudoHeaderSum(probe.destination, probe.source, 58,
                                     static_cast<uint32_t>(icmp.size()));
  }
  PutChecksum(icmp, 2, packet::InternetChecksum(icmp, pseudo));
  net::OutgoingProbe reply = probe;
  reply.source = probe.destination;
  reply.destination = probe.source;
  reply.bytes = icmp;
  std::vector<uint8_t> whole = WholeProbe(reply);
  whole[probe.destination.is_v4() ? 8 : 7] = 64;
  return whole;
}

std::vector<uint8_t> TcpRst(const net::OutgoingProbe& probe) {
  std::vector<uint8_t> tcp(20, 0);
  // Ports swapped; ack = probe sequence + 1.
  tcp[0] = probe.bytes[2];
  tcp[1] = probe.bytes[3];
  tcp[2] = probe.bytes[0];
  tcp[3] = probe.bytes[1];
  uint32_t seq = (uint32_t{probe.bytes[4]} << 24) | (uint32_t{probe.bytes[5]} << 16) |
                 (uint32_t{probe.bytes[6]} << 8) | probe.bytes[7];
  seq += 1;
  tcp[8] = static_cast<uint8_t>(seq >> 24);
  tcp[9] = static_cast<uint8_t>(seq >> 16);
  tcp[10] = static_cast<uint8_t>(seq >> 8);
  tcp[11] = static_cast<uint8_t>(seq);
  tcp[12] = 0x50;
  tcp[13] = 0x14;  // RST + ACK
  const uint32_t pseudo = packet::PseudoHeaderSum(probe.destination, probe.source, 6, 20);
  PutChecksum(tcp, 16, packet::InternetChecksum(tcp, pseudo));
  net::OutgoingProbe reply = probe;
  reply.source = probe.destination;
  reply.destination = probe.source;
  reply.bytes = tcp;
  std::vector<uint8_t> whole = WholeProbe(reply);
  whole[probe.destination.is_v4() ? 8 : 7] = 64;
  if (probe.destination.is_v4()) {  // TTL changed: redo the header checksum
    whole[10] = whole[11] = 0;
    PutChecksum(whole, 10, packet::InternetChecksum(std::span<const uint8_t>(whole).first(20)));
  }
  return whole;
}

}  // namespace

net::ReceivedPacket MakeReply(const net::OutgoingProbe& probe, const IpAddress& responder,
                              bool from_target, MonoTime at) {
  std::vector<uint8_t> whole;
  if (!from_target) {
    whole = IcmpError(probe, responder, netsim::IcmpErrorKind::kTimeExceeded, 0);
  } else if (probe.protocol == ProbeProtocol::kIcmp) {
    whole = EchoReply(probe);
  } else if (probe.protocol == ProbeProtocol::kUdp) {
    whole = IcmpError(probe, responder, netsim::IcmpErrorKind::kDestinationUnreachable,
                      probe.destination.is_v4() ? 3 : 4);
  } else {
    whole = TcpRst(probe);
  }
  return Deliver(std::move(whole), responder, probe.source, at);
}

absl::StatusOr<net::SendReport> FakeTransport::Send(const net::OutgoingProbe& probe) {
  if (fail_sends_) return absl::UnavailableError("network is unreachable");
  SentRecord record;
  record.bytes.assign(probe.bytes.begin(), probe.bytes.end());
  record.probe = probe;
  record.at = clock_.Now();
  sent_.push_back(record);
  SentRecord& stored = sent_.back();
  stored.probe.bytes = stored.bytes;
  if (!(drop_ && drop_(stored))) {
    auto path = paths_.find(probe.destination);
    if (path != paths_.end()) {
      const std::vector<IpAddress>& routers = path->second;
      const bool at_target = probe.ttl > routers.size();
      const IpAddress responder = at_target ? probe.destination : routers[probe.ttl - 1];
      const int hops = at_target ? static_cast<int>(routers.size()) + 1 : probe.ttl;
      Inject(MakeReply(stored.probe, responder, at_target, stored.at + per_hop_delay_ * hops));
    }
  }
  return net::SendReport{stored.at, net::TimestampSource::kUserSpace};
}

void FakeTransport::Receive(std::vector<net::ReceivedPacket>& out) {
  const MonoTime now = clock_.Now();
  while (!queue_.empty() && queue_.begin()->first <= now) {
    out.push_back(std::move(queue_.begin()->second));
    queue_.erase(queue_.begin());
  }
  if (after_receive_) after_receive_();
}

}  // namespace pathpair::prober
