#include "agent/net/control_message.h"

#include <algorithm>

namespace pathpair::net {
namespace {

// Where a control message's data starts, relative to its header (CMSG_DATA - header).
constexpr size_t kHeaderSpace = CMSG_LEN(0);

}  // namespace

ControlMessageWriter::ControlMessageWriter(std::span<uint8_t> buffer) : buffer_(buffer) {}

bool ControlMessageWriter::Add(int level, int type, std::span<const uint8_t> data) {
  const size_t space = CMSG_SPACE(data.size());
  if (buffer_.size() - used_ < space) return false;
  uint8_t* const at = buffer_.data() + used_;
  std::memset(at, 0, space);  // the padding too: the kernel copies it
  cmsghdr header{};
  header.cmsg_len = CMSG_LEN(data.size());
  header.cmsg_level = level;
  header.cmsg_type = type;
  std::memcpy(at, &header, sizeof(header));
  if (!data.empty()) std::memcpy(at + kHeaderSpace, data.data(), data.size());
  used_ += space;
  return true;
}

void ControlMessageWriter::AttachTo(msghdr& header) const {
  header.msg_control = used_ == 0 ? nullptr : buffer_.data();
  header.msg_controllen = used_;
}

ControlMessageReader::ControlMessageReader(const msghdr& header)
    : control_(header.msg_control == nullptr
                   ? std::span<const uint8_t>()
                   : std::span<const uint8_t>(static_cast<const uint8_t*>(header.msg_control),
                                              header.msg_controllen)) {}

ControlMessageReader::ControlMessageReader(std::span<const uint8_t> control) : control_(control) {}

std::optional<ControlMessage> ControlMessageReader::Next() {
  const size_t left = control_.size() - offset_;
  if (left < sizeof(cmsghdr)) return std::nullopt;
  cmsghdr header;
  std::memcpy(&header, control_.data() + offset_, sizeof(header));
  if (header.cmsg_len < kHeaderSpace || header.cmsg_len > left) {
    offset_ = control_.size();  // malformed: nothing after it can be trusted
    return std::nullopt;
  }
  ControlMessage message;
  message.level = header.cmsg_level;
  message.type = header.cmsg_type;
  message.data = control_.subspan(offset_ + kHeaderSpace, header.cmsg_len - kHeaderSpace);
  offset_ += std::min<size_t>(CMSG_ALIGN(header.cmsg_len), left);
  return message;
}

}  // namespace pathpair::net
