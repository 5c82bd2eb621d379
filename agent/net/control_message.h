// Ancillary data (control messages, "cmsgs") of sendmsg and recvmsg, written and read in one
// place so that no caller does CMSG arithmetic by hand. The writer fills a caller-owned, aligned
// buffer (no allocation: the send path builds one per probe); the reader walks a received
// msghdr's control data and never reads past it, whatever the lengths inside claim.
//
//   ControlBuffer<ControlSpace(sizeof(int)) * 2> control;
//   ControlMessageWriter writer(control.bytes);
//   writer.Add(IPPROTO_IP, IP_TTL, int{ttl});
//   writer.Add(IPPROTO_IP, IP_TOS, int{tos});
//   writer.AttachTo(header);                        // then sendmsg(fd, &header, 0)
//
//   ControlMessageReader reader(header);            // after recvmsg
//   while (std::optional<ControlMessage> c = reader.Next()) {
//     if (c->Is(SOL_SOCKET, SO_TIMESTAMPNS)) stamp = c->As<timespec>();
//   }
#ifndef PATHPAIR_AGENT_NET_CONTROL_MESSAGE_H_
#define PATHPAIR_AGENT_NET_CONTROL_MESSAGE_H_

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>

namespace pathpair::net {

// The buffer space one control message with `payload` bytes of data takes (CMSG_SPACE).
constexpr size_t ControlSpace(size_t payload) { return CMSG_SPACE(payload); }

// Space for control messages, aligned as the kernel's cmsghdr requires.
template <size_t kBytes>
struct alignas(cmsghdr) ControlBuffer {
  uint8_t bytes[kBytes];
};

// One received control message; `data` points into the msghdr's control buffer.
struct ControlMessage {
  int level = 0;
  int type = 0;
  std::span<const uint8_t> data;

  bool Is(int want_level, int want_type) const { return level == want_level && type == want_type; }
  // The data as a T, or nullopt when it is shorter than a T. (Copied: control data need not be
  // aligned for T.)
  template <typename T>
  std::optional<T> As() const {
    static_assert(std::is_trivially_copyable_v<T>);
    if (data.size() < sizeof(T)) return std::nullopt;
    T value;
    std::memcpy(&value, data.data(), sizeof(T));
    return value;
  }
};

class ControlMessageWriter {
 public:
  // `buffer` must be aligned for cmsghdr (a ControlBuffer is) and outlive the writer's use.
  explicit ControlMessageWriter(std::span<uint8_t> buffer);

  // Appends one control message. Returns false, and writes nothing, when it does not fit.
  bool Add(int level, int type, std::span<const uint8_t> data);
  template <typename T>
  bool Add(int level, int type, const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    return Add(level, type,
               std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&value), sizeof(T)));
  }

  // Points `header` at the messages written so far (none: no control data at all).
  void AttachTo(msghdr& header) const;

  // The bytes written, padding included.
  std::span<const uint8_t> written() const { return buffer_.first(used_); }

 private:
  std::span<uint8_t> buffer_;
  size_t used_ = 0;
};

class ControlMessageReader {
 public:
  // Reads header.msg_control / msg_controllen as recvmsg left them; `header` and its control
  // buffer must outlive the reader.
  explicit ControlMessageReader(const msghdr& header);
  // Reads raw control data (e.g. what a test's fake kernel was given).
  explicit ControlMessageReader(std::span<const uint8_t> control);

  // The next control message, or nullopt at the end or at the first malformed one.
  std::optional<ControlMessage> Next();

 private:
  std::span<const uint8_t> control_;
  size_t offset_ = 0;
};

}  // namespace pathpair::net

#endif  // PATHPAIR_AGENT_NET_CONTROL_MESSAGE_H_
