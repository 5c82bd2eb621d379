#include "tests/controller/asn/fake_dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <string>
#include <utility>

namespace pathpair::asn::testing {
namespace {

constexpr size_t kHeaderBytes = 12;

}  // namespace

FakeDns::FakeDns(std::map<std::string, std::string> txt_records)
    : records_(std::move(txt_records)) {
  fd_ = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd_ < 0) return;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FakeDns::~FakeDns() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
}

std::string FakeDns::servers() const { return "127.0.0.1:" + std::to_string(port_); }

void FakeDns::Serve() {
  unsigned char query[512];
  while (!stop_) {
    pollfd waiting{fd_, POLLIN, 0};
    if (poll(&waiting, 1, 20) <= 0) continue;
    sockaddr_in peer{};
    socklen_t peer_length = sizeof(peer);
    const ssize_t got =
        recvfrom(fd_, query, sizeof(query), 0, reinterpret_cast<sockaddr*>(&peer), &peer_length);
    if (got < static_cast<ssize_t>(kHeaderBytes + 5)) continue;
    ++queries_;
    // The question: labels, a zero byte, QTYPE, QCLASS.
    std::string name;
    size_t at = kHeaderBytes;
    while (at < static_cast<size_t>(got) && query[at] != 0) {
      const size_t label = query[at];
      if (at + 1 + label > static_cast<size_t>(got)) break;
      if (!name.empty()) name.push_back('.');
      for (size_t i = 0; i < label; ++i) {
        name.push_back(static_cast<char>(std::tolower(query[at + 1 + i])));
      }
      at += 1 + label;
    }
    const size_t question_end = at + 5;  // zero byte, QTYPE, QCLASS
    if (question_end > static_cast<size_t>(got)) continue;
    auto record = records_.find(name);
    std::string reply(reinterpret_cast<const char*>(query), question_end);
    reply[2] = static_cast<char>(0x81);                                    // QR, RD
    reply[3] = static_cast<char>(record == records_.end() ? 0x83 : 0x80);  // RA, NXDOMAIN
    reply[4] = 0;
    reply[5] = 1;  // QDCOUNT
    reply[6] = 0;
    reply[7] = record == records_.end() ? 0 : 1;  // ANCOUNT
    for (int i = 8; i < 12; ++i) reply[i] = 0;    // NSCOUNT, ARCOUNT
    if (record != records_.end()) {
      const std::string& text = record->second;
      const unsigned char answer[] = {0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60};
      reply.append(reinterpret_cast<const char*>(answer), sizeof(answer));
      const size_t rdlength = text.size() + 1;
      reply.push_back(static_cast<char>(rdlength >> 8));
      reply.push_back(static_cast<char>(rdlength & 0xff));
      reply.push_back(static_cast<char>(text.size()));
      reply += text;
    }
    while (hold_ && !stop_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), peer_length);
  }
}

}  // namespace pathpair::asn::testing
