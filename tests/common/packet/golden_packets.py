#!/usr/bin/env python3
"""Derives the golden bytes of packet_test.cc independently of the C++ codec.

    python3 tests/common/packet/golden_packets.py   # prints the C++ arrays pasted in the test

Every field is packed by hand with `struct` from the RFCs (791, 792, 768, 793, 8200, 4443,
4884, 4950) and every checksum summed per RFC 1071. kernel_check.py feeds the same packets to
the Linux kernel to show that it accepts them.
"""

import ipaddress
import struct


def checksum(data, initial=0):
    if len(data) % 2:
        data = data + b"\0"
    total = initial + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def addr(text):
    return ipaddress.ip_address(text).packed


def pseudo(src, dst, protocol, length):
    if len(src) == 4:
        raw = src + dst + struct.pack("!BBH", 0, protocol, length)
    else:
        raw = src + dst + struct.pack("!I3xB", length, protocol)
    return sum(struct.unpack("!%dH" % (len(raw) // 2), raw))


def ipv4(src, dst, protocol, ttl, tos, ident, payload):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), ident, 0, ttl, protocol,
                         0, addr(src), addr(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ipv6(src, dst, next_header, hop_limit, traffic_class, payload):
    return struct.pack("!IHBB16s16s", (6 << 28) | (traffic_class << 20), len(payload),
                       next_header, hop_limit, addr(src), addr(dst)) + payload


def icmp_echo(v6, ident, seq, payload_size, fill, src=None, dst=None):
    body = bytearray(struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, ident, seq) +
                     bytes([fill]) * payload_size)
    initial = pseudo(addr(src), addr(dst), 58, len(body)) if v6 else 0
    body[2:4] = struct.pack("!H", checksum(bytes(body), initial))
    return bytes(body)


def udp(src, dst, sport, dport, seq, payload_size, fill):
    """Paris-style: the checksum field holds seq; the first payload word makes it valid."""
    body = bytearray(struct.pack("!HHHH", sport, dport, 8 + payload_size, seq) +
                     bytes([fill]) * payload_size)
    body[8:10] = b"\0\0"
    initial = pseudo(addr(src), addr(dst), 17, len(body))
    body[8:10] = struct.pack("!H", checksum(bytes(body), initial))
    assert checksum(bytes(body), initial) == 0
    return bytes(body)


def tcp_syn(src, dst, sport, dport, seq):
    body = bytearray(struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 65535, 0, 0))
    body[16:18] = struct.pack("!H", checksum(bytes(body), pseudo(addr(src), addr(dst), 6, 20)))
    return bytes(body)


def mpls_extension(labels):
    entries = b"".join(struct.pack("!I", (label << 12) | (tc << 9) | (s << 8) | ttl)
                       for label, tc, s, ttl in labels)
    ext = bytearray(struct.pack("!BBH", 0x20, 0, 0) +
                    struct.pack("!HBB", 4 + len(entries), 1, 1) + entries)
    ext[2:4] = struct.pack("!H", checksum(bytes(ext)))
    return bytes(ext)


US4, TARGET4, ROUTER4 = "198.51.100.1", "203.0.113.9", "198.51.100.254"
US6, TARGET6, ROUTER6 = "2001:db8::1", "2001:db8:1::9", "2001:db8::fe"

PACKETS = {}
PACKETS["kIcmp4Probe"] = ipv4(US4, TARGET4, 1, 5, 0, 0x1234, icmp_echo(False, 0xBEEF, 7, 8, 0xAB))
PACKETS["kUdp4Probe"] = ipv4(US4, TARGET4, 17, 3, 0, 0,
                             udp(US4, TARGET4, 33000, 33434, 0x1001, 12, 0))
PACKETS["kTcp4Probe"] = ipv4(US4, TARGET4, 6, 9, 0x10, 0x4321,
                             tcp_syn(US4, TARGET4, 40000, 80, 0xABCD0005))
PACKETS["kIcmp6Probe"] = ipv6(US6, TARGET6, 58, 4, 0,
                              icmp_echo(True, 0x1111, 2, 8, 0x55, US6, TARGET6))
PACKETS["kUdp6Probe"] = ipv6(US6, TARGET6, 17, 2, 0,
                             udp(US6, TARGET6, 33001, 33435, 0x2222, 4, 0x20))
PACKETS["kTcp6Probe"] = ipv6(US6, TARGET6, 6, 7, 0, tcp_syn(US6, TARGET6, 40001, 443, 0x00010009))

# ICMPv4 Time Exceeded quoting kUdp4Probe, quote padded to 128 bytes (length 32 words in byte 5)
# and one MPLS label.
_quote = PACKETS["kUdp4Probe"] + bytes(128 - len(PACKETS["kUdp4Probe"]))
_icmp = bytearray(struct.pack("!BBHBBH", 11, 0, 0, 0, 32, 0) + _quote +
                  mpls_extension([(16005, 0, 1, 1)]))
_icmp[2:4] = struct.pack("!H", checksum(bytes(_icmp)))
PACKETS["kTimeExceeded4Mpls"] = ipv4(ROUTER4, US4, 1, 255, 0, 0, bytes(_icmp))

# ICMPv6 Port Unreachable (type 1 code 4) from the target, quoting kUdp6Probe whole.
_icmp = bytearray(struct.pack("!BBHI", 1, 4, 0, 0) + PACKETS["kUdp6Probe"])
_icmp[2:4] = struct.pack("!H", checksum(bytes(_icmp), pseudo(addr(TARGET6), addr(US6), 58,
                                                             len(_icmp))))
PACKETS["kPortUnreachable6"] = ipv6(TARGET6, US6, 58, 64, 0, bytes(_icmp))

# ICMPv6 Time Exceeded quoting kIcmp6Probe, padded to 128 (16 64-bit words in byte 4), 2 labels.
_quote = PACKETS["kIcmp6Probe"] + bytes(128 - len(PACKETS["kIcmp6Probe"]))
_icmp = bytearray(struct.pack("!BBHBBH", 3, 0, 0, 16, 0, 0) + _quote +
                  mpls_extension([(24001, 5, 0, 254), (3, 0, 1, 1)]))
_icmp[2:4] = struct.pack("!H", checksum(bytes(_icmp), pseudo(addr(ROUTER6), addr(US6), 58,
                                                             len(_icmp))))
PACKETS["kTimeExceeded6Mpls"] = ipv6(ROUTER6, US6, 58, 64, 0, bytes(_icmp))


def hand_made_checksums():
    """The checksums written into HandMadeTimeExceeded() in packet_test.cc."""
    probe = bytearray(ipv4(US4, TARGET4, 1, 1, 0, 0x1C46, icmp_echo(False, 1234, 1, 56, 0)))
    probe[6:8] = b"\x40\x00"  # DF
    probe[10:12] = b"\0\0"
    probe[10:12] = struct.pack("!H", checksum(bytes(probe[:20])))
    ext = mpls_extension([(299792, 0, 0, 1), (17, 0, 1, 1)])
    icmp = bytearray(struct.pack("!BBHBBH", 11, 0, 0, 0, 0, 0) + bytes(probe) +
                     bytes(128 - len(probe)) + ext)
    icmp[2:4] = struct.pack("!H", checksum(bytes(icmp)))
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0xC0, 20 + len(icmp), 0x5D2E, 0, 250, 1, 0,
                         addr("203.0.113.77"), addr(US4))
    return {"quoted IPv4": probe[10:12].hex(), "quoted ICMP": probe[22:24].hex(),
            "extension": ext[2:4].hex(), "ICMP": icmp[2:4].hex(),
            "IPv4": "%04x" % checksum(header)}


def main():
    for name, data in PACKETS.items():
        print("constexpr uint8_t %s[] = {" % name)
        for i in range(0, len(data), 12):
            print("    " + ", ".join("0x%02x" % b for b in data[i:i + 12]) + ",")
        print("};\n")
    print("// HandMadeTimeExceeded checksums:", hand_made_checksums())


if __name__ == "__main__":
    main()
