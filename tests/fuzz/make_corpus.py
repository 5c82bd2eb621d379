#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/README.md).

    python3 tests/fuzz/make_corpus.py    # rewrites tests/fuzz/<target>/corpus/{valid,edge,malformed}

The packets are built here from the RFCs with `struct`, independently of the C++ codec, so that
the seeds also cross-check it (corpus_test.cc: valid/ seeds must parse, malformed/ ones must not,
for the packet codec's targets). The other targets' seeds are real inputs of their readers: the
one-way wire format, recvmsg results as Linux fills them (x86-64 layouts), gRPC peer strings,
--allow ranges, stored and saved paired runs. The output is deterministic; commit it with this
script.
"""

import hashlib
import hmac
import ipaddress
import os
import json
import shutil
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))

US4, TARGET4, ROUTER4 = "198.51.100.1", "203.0.113.9", "198.51.100.254"
US6, TARGET6, ROUTER6 = "2001:db8::1", "2001:db8:1::9", "2001:db8::fe"


def addr(text):
    return ipaddress.ip_address(text).packed


def checksum(data, initial=0):
    if len(data) % 2:
        data += b"\0"
    total = initial + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def pseudo(src, dst, protocol, length):
    if len(src) == 4:
        raw = src + dst + struct.pack("!BBH", 0, protocol, length)
    else:
        raw = src + dst + struct.pack("!I3xB", length, protocol)
    return sum(struct.unpack("!%dH" % (len(raw) // 2), raw))


def put_checksum(data, offset, initial=0):
    data = bytearray(data)
    data[offset:offset + 2] = b"\0\0"
    data[offset:offset + 2] = struct.pack("!H", checksum(bytes(data), initial))
    return bytes(data)


def ipv4(src, dst, protocol, payload, ttl=64, ident=0, frag=0, options=b"", total=None):
    ihl = 5 + len(options) // 4
    length = total if total is not None else 4 * ihl + len(payload)
    header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, length, ident, frag, ttl, protocol, 0,
                         addr(src), addr(dst)) + options
    return put_checksum(header, 10) + payload


def ipv6(src, dst, next_header, payload, hop_limit=64, length=None):
    length = len(payload) if length is None else length
    return struct.pack("!IHBB16s16s", 6 << 28, length, next_header, hop_limit, addr(src),
                       addr(dst)) + payload


def echo(v6, ident, seq, payload=b"\0" * 8, src=None, dst=None, reply=False):
    kind = (129 if reply else 128) if v6 else (0 if reply else 8)
    message = struct.pack("!BBHHH", kind, 0, 0, ident, seq) + payload
    initial = pseudo(addr(src), addr(dst), 58, len(message)) if v6 else 0
    return put_checksum(message, 2, initial)


def udp(src, dst, sport, dport, seq, payload=b"\0\0\0\0"):
    """A Paris-style UDP probe: checksum == seq, steered by the first payload word."""
    message = bytearray(struct.pack("!HHHH", sport, dport, 8 + len(payload), seq) + payload)
    message[8:10] = b"\0\0"
    fix = checksum(bytes(message), pseudo(addr(src), addr(dst), 17, len(message)))
    message[8:10] = struct.pack("!H", fix)
    return bytes(message)


def tcp(src, dst, sport, dport, seq, ack=0, flags=0x02):
    message = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    return put_checksum(message, 16, pseudo(addr(src), addr(dst), 6, len(message)))


def mpls_extension(labels, version=2, good_checksum=True):
    entries = b"".join(struct.pack("!I", (label << 12) | (tc << 9) | (s << 8) | ttl)
                       for label, tc, s, ttl in labels)
    obj = struct.pack("!HBB", 4 + len(entries), 1, 1) + entries
    ext = struct.pack("!BBH", version << 4, 0, 0) + obj
    ext = put_checksum(ext, 2)
    if not good_checksum:
        ext = ext[:2] + bytes([ext[2] ^ 0xFF]) + ext[3:]
    return ext


def icmp_error(v6, kind, code, quote, src, dst, labels=None, length_field=None):
    """An ICMP(v6) error message (no IP header). kind: 'te' or 'du'."""
    types = {(False, "te"): 11, (False, "du"): 3, (True, "te"): 3, (True, "du"): 1}
    rest = bytearray(4)
    body = quote
    if labels is not None:
        body = quote[:128] + bytes(max(0, 128 - len(quote))) + mpls_extension(labels)
        words = length_field if length_field is not None else (16 if v6 else 32)
        rest[0 if v6 else 1] = words
    elif length_field is not None:
        rest[0 if v6 else 1] = length_field
    message = struct.pack("!BBH", types[(v6, kind)], code, 0) + bytes(rest) + body
    initial = pseudo(addr(src), addr(dst), 58, len(message)) if v6 else 0
    return put_checksum(message, 2, initial)


def probes4():
    return {
        "icmp": ipv4(US4, TARGET4, 1, echo(False, 0xBEEF, 7), ttl=1),
        "udp": ipv4(US4, TARGET4, 17, udp(US4, TARGET4, 33000, 33434, 0x1001), ttl=2),
        "tcp": ipv4(US4, TARGET4, 6, tcp(US4, TARGET4, 40000, 80, 0xABCD0005), ttl=3),
    }


def probes6():
    return {
        "icmp": ipv6(US6, TARGET6, 58, echo(True, 0x1111, 2, src=US6, dst=TARGET6), 1),
        "udp": ipv6(US6, TARGET6, 17, udp(US6, TARGET6, 33001, 33435, 0x2222), 2),
        "tcp": ipv6(US6, TARGET6, 6, tcp(US6, TARGET6, 40001, 443, 0x10009), 3),
    }


def replies4():
    """Whole IPv4 reply packets: (category, name, bytes)."""
    out = []
    labels = [(16005, 0, 1, 1)]
    for name, probe in probes4().items():
        out.append(("valid", "te_" + name, ipv4(ROUTER4, US4, 1, icmp_error(
            False, "te", 0, probe, ROUTER4, US4))))
        out.append(("valid", "te_mpls_" + name, ipv4(ROUTER4, US4, 1, icmp_error(
            False, "te", 0, probe, ROUTER4, US4, labels))))
        out.append(("valid", "du3_" + name, ipv4(TARGET4, US4, 1, icmp_error(
            False, "du", 3, probe, TARGET4, US4))))
    for code in range(16):
        out.append(("valid", "du_code%d" % code, ipv4(ROUTER4, US4, 1, icmp_error(
            False, "du", code, probes4()["udp"], ROUTER4, US4))))
    out.append(("valid", "echo_reply", ipv4(TARGET4, US4, 1, echo(False, 0xBEEF, 7, reply=True))))
    out.append(("valid", "tcp_syn_ack", ipv4(TARGET4, US4, 6, tcp(
        TARGET4, US4, 80, 40000, 0x12345678, 0xABCD0006, 0x12))))
    out.append(("valid", "tcp_rst", ipv4(TARGET4, US4, 6, tcp(
        TARGET4, US4, 80, 40000, 0, 0xABCD0006, 0x14))))
    # Edge cases.
    big_probe = ipv4(US4, TARGET4, 17, udp(US4, TARGET4, 33000, 33434, 0x77, b"\x20" * 500))
    out.append(("edge", "te_long_quote_no_ext", ipv4(ROUTER4, US4, 1, icmp_error(
        False, "te", 0, big_probe[:548], ROUTER4, US4))))
    out.append(("edge", "te_mpls_length0_fallback", ipv4(ROUTER4, US4, 1, icmp_error(
        False, "te", 0, probes4()["icmp"], ROUTER4, US4, labels, length_field=0))))
    out.append(("edge", "te_mpls_length_overrun", ipv4(ROUTER4, US4, 1, icmp_error(
        False, "te", 0, probes4()["icmp"], ROUTER4, US4, labels, length_field=200))))
    out.append(("edge", "te_mpls_many_labels", ipv4(ROUTER4, US4, 1, icmp_error(
        False, "te", 0, probes4()["tcp"], ROUTER4, US4,
        [(i * 1000, i % 8, int(i == 9), 255 - i) for i in range(10)]))))
    minimal_quote = probes4()["udp"][:28]
    out.append(("edge", "te_minimal_quote", ipv4(ROUTER4, US4, 1, icmp_error(
        False, "te", 0, minimal_quote, ROUTER4, US4))))
    opts = b"\x01\x01\x01\x00"  # NOP NOP NOP EOL
    out.append(("edge", "ip_options", ipv4(ROUTER4, US4, 1, icmp_error(
        False, "te", 0, probes4()["icmp"], ROUTER4, US4), options=opts)))
    quoted_with_options = ipv4(US4, TARGET4, 17, udp(US4, TARGET4, 1, 2, 3), options=opts * 10)
    out.append(("edge", "quote_with_options", ipv4(ROUTER4, US4, 1, icmp_error(
        False, "te", 0, quoted_with_options, ROUTER4, US4))))
    out.append(("edge", "stated_length_beyond_buffer", ipv4(TARGET4, US4, 1, echo(
        False, 1, 2, reply=True), total=1000)))
    # Malformed.
    te = ipv4(ROUTER4, US4, 1, icmp_error(False, "te", 0, probes4()["udp"], ROUTER4, US4,
                                          labels))
    # Cut anywhere before the quote's 8 transport bytes: rejected. Cut later: still a reply.
    for cut in (0, 1, 19, 20, 27, 28, 47, 55, 56, 100, 160):
        out.append(("malformed" if cut < 56 else "edge", "te_cut_%d" % cut, te[:cut]))
    out.append(("malformed", "ihl_4", b"\x44" + te[1:]))
    out.append(("malformed", "ihl_15", b"\x4f" + te[1:40]))
    out.append(("malformed", "total_below_header", te[:2] + b"\x00\x10" + te[4:]))
    out.append(("malformed", "version_5", b"\x55" + te[1:]))
    out.append(("malformed", "quote_version_6", te[:28] + b"\x65" + te[29:]))
    out.append(("malformed", "quote_protocol_gre", te[:37] + b"\x2f" + te[38:]))
    out.append(("malformed", "quote_fragment", te[:34] + b"\x00\x01" + te[36:]))
    out.append(("edge", "bad_extension_checksum", ipv4(ROUTER4, US4, 1, icmp_error(
        False, "te", 0, probes4()["udp"], ROUTER4, US4, labels)[:-6] + b"\xff\xff\xff\xff\xff\xff")))
    out.append(("malformed", "fragment", ipv4(ROUTER4, US4, 1, icmp_error(
        False, "te", 0, probes4()["udp"], ROUTER4, US4), frag=0x2000)))
    out.append(("malformed", "redirect", ipv4(ROUTER4, US4, 1, b"\x05\x01\0\0" + addr(ROUTER4) +
                                              probes4()["icmp"])))
    out.append(("malformed", "tcp_offset_15", ipv4(TARGET4, US4, 6, tcp(
        TARGET4, US4, 80, 40000, 0, 0, 0x14)[:12] + b"\xf0\x14" + b"\0" * 6)))
    return out


def icmp6_messages():
    """ICMPv6 messages without the IPv6 header: (category, name, bytes)."""
    out = []
    labels = [(24001, 5, 0, 254), (3, 0, 1, 1)]
    for name, probe in probes6().items():
        out.append(("valid", "te_" + name, icmp_error(True, "te", 0, probe, ROUTER6, US6)))
        out.append(("valid", "te_mpls_" + name, icmp_error(True, "te", 0, probe, ROUTER6, US6,
                                                           labels)))
    for code in range(8):
        out.append(("valid", "du_code%d" % code, icmp_error(True, "du", code, probes6()["udp"],
                                                            TARGET6, US6)))
    out.append(("valid", "echo_reply", echo(True, 0x1111, 2, src=TARGET6, dst=US6, reply=True)))
    ext_probe = ipv6(US6, TARGET6, 0, b"\x2c\x00" + b"\x01\x04\0\0\0\0" +     # hop-by-hop
                     b"\x11\x00\x00\x00\x12\x34\x56\x78" +                     # fragment, first
                     udp(US6, TARGET6, 1, 2, 3), 1)
    out.append(("edge", "quote_with_extension_headers", icmp_error(True, "te", 0, ext_probe,
                                                                   ROUTER6, US6)))
    out.append(("edge", "mpls_length0_fallback", icmp_error(True, "te", 0, probes6()["tcp"],
                                                            ROUTER6, US6, labels, length_field=0)))
    out.append(("edge", "minimal_quote", icmp_error(True, "te", 0, probes6()["udp"][:48],
                                                    ROUTER6, US6)))
    te = icmp_error(True, "te", 0, probes6()["udp"], ROUTER6, US6, labels)
    for cut in (0, 4, 7, 8, 47, 48, 55, 136, 140, 150):
        out.append(("malformed" if cut < 56 else "edge", "te_cut_%d" % cut, te[:cut]))
    out.append(("malformed", "quote_version_4", te[:8] + b"\x45" + te[9:]))
    out.append(("malformed", "reassembly_timeout", te[:1] + b"\x01" + te[2:]))
    out.append(("malformed", "packet_too_big", b"\x02\x00\0\0\0\0\x05\x00" + probes6()["udp"]))
    out.append(("malformed", "quote_ext_header_overrun", icmp_error(
        True, "te", 0, ipv6(US6, TARGET6, 60, b"\x11\xff" + b"\0" * 14, 1), ROUTER6, US6)))
    return out


def tcp_segments():
    out = [
        ("valid", "syn_ack", tcp(TARGET6, US6, 443, 40001, 0x12345678, 0x1000A, 0x12)),
        ("valid", "rst_ack", tcp(TARGET6, US6, 443, 40001, 0, 0x1000A, 0x14)),
        ("edge", "with_options", tcp(TARGET6, US6, 443, 40001, 1, 2, 0x12)[:12] + b"\x60\x12" +
         b"\0" * 6 + b"\x02\x04\x05\xb4"),
        ("malformed", "syn_only", tcp(TARGET6, US6, 443, 40001, 1, 0, 0x02)),
        ("malformed", "short", tcp(TARGET6, US6, 443, 40001, 1, 0, 0x12)[:19]),
        ("malformed", "offset_beyond", tcp(TARGET6, US6, 443, 40001, 1, 2, 0x12)[:12] +
         b"\x60\x12" + b"\0" * 6),
        ("malformed", "offset_4", tcp(TARGET6, US6, 443, 40001, 1, 2, 0x12)[:12] + b"\x40\x12" +
         b"\0" * 6),
    ]
    return out


def replies6():
    out = []
    for category, name, message in icmp6_messages():
        src = TARGET6 if name.startswith(("du", "echo")) else ROUTER6
        out.append((category, name, ipv6(src, US6, 58, message)))
    for category, name, segment in tcp_segments():
        out.append((category, "tcp_" + name, ipv6(TARGET6, US6, 6, segment)))
    te = ipv6(ROUTER6, US6, 58, icmp_error(True, "te", 0, probes6()["icmp"], ROUTER6, US6))
    out.append(("malformed", "payload_length_short", te[:4] + b"\x00\x04" + te[6:]))
    out.append(("edge", "payload_length_beyond_buffer", te[:4] + b"\xff\xff" + te[6:]))
    out.append(("malformed", "fragment", ipv6(ROUTER6, US6, 44, b"\x3a\0\0\x01\0\0\0\1" +
                                              icmp_error(True, "te", 0, probes6()["icmp"],
                                                         ROUTER6, US6))))
    for cut in (0, 1, 39, 40, 41):
        out.append(("malformed", "cut_%d" % cut, te[:cut]))
    return out


def ip_headers():
    """Packets the path emulator forwards: probes, replies, extension headers, garbage."""
    out = []
    for family, probes in (("v4", probes4()), ("v6", probes6())):
        for name, probe in probes.items():
            out.append(("valid", "%s_%s" % (family, name), probe))
    out.append(("edge", "v4_ttl0", ipv4(US4, TARGET4, 17, udp(US4, TARGET4, 1, 2, 3), ttl=0)))
    out.append(("edge", "v4_ttl255_checksum_ffff", ipv4(US4, TARGET4, 1, echo(False, 0, 0),
                                                        ttl=255, ident=0xFFFF)))
    out.append(("edge", "v4_later_fragment", ipv4(US4, TARGET4, 17, b"\0" * 16, frag=0x0010)))
    out.append(("edge", "v6_all_extension_headers", ipv6(US6, TARGET6, 0,
        b"\x2b\x00" + b"\0" * 6 +                          # hop-by-hop -> routing
        b"\x2c\x01" + b"\0" * 14 +                         # routing (16) -> fragment
        b"\x3c\x00\x00\x00\x12\x34\x56\x78" +              # fragment -> destination options
        b"\x11\x00" + b"\0" * 6 +                          # destination options -> UDP
        udp(US6, TARGET6, 5, 6, 7), 9)))
    out.append(("edge", "v6_later_fragment", ipv6(US6, TARGET6, 44,
                                                  b"\x11\x00\x00\x08\0\0\0\1" + b"\0" * 8)))
    out.append(("edge", "v6_hop_limit0", ipv6(US6, TARGET6, 17, udp(US6, TARGET6, 1, 2, 3), 0)))
    out.append(("edge", "v6_no_next_header", ipv6(US6, TARGET6, 59, b"")))
    for category, name, packet in replies4()[:3] + replies6()[:3]:
        out.append(("valid", "reply_" + name, packet))
    udp4 = probes4()["udp"]
    for cut in (0, 1, 19, 20, 23):  # a bare header is enough to forward
        out.append(("malformed" if cut < 20 else "edge", "v4_cut_%d" % cut, udp4[:cut]))
    # The IPv4 header checksum is not verified (the kernel has done it for received packets).
    out.append(("edge", "v4_bad_checksum", udp4[:10] + b"\x12\x34" + udp4[12:]))
    out.append(("malformed", "v6_extension_overrun", ipv6(US6, TARGET6, 0, b"\x11\xff" + b"\0" * 6)))
    out.append(("malformed", "v6_extension_cut", ipv6(US6, TARGET6, 43, b"\x11\x00\x00")))
    out.append(("malformed", "version_0", b"\x00" * 40))
    return out


# --- One-way wire format (agent/oneway/wire.h) ---------------------------------------------------

# fuzz_oneway_wire.cc's session key: byte i is 0xA5 ^ i.
ONEWAY_FUZZ_KEY = bytes(0xA5 ^ i for i in range(32))


def oneway_packet(kind, session, seq, sent, send_ns, echo=None, padded=72):
    flags = 1 if echo else 0
    echo_send, echo_receive = echo or (0, 0)
    fields = struct.pack("!4sBBHQQQqqq", b"PPOW", 2, kind, flags, session, seq, sent, send_ns,
                         echo_send, echo_receive)
    mac = hmac.new(ONEWAY_FUZZ_KEY, fields, hashlib.sha256).digest()[:16]
    header = fields + mac
    return header + b"\0" * (padded - len(header))


def oneway_packets():
    t = 1_800_000_000_000_000_000
    return [
        ("valid", "hello", oneway_packet(1, 0x1234, 0, 0, t)),
        ("valid", "hello_with_echo", oneway_packet(1, 0x1234, 0, 0, t + 10, (t - 5, t + 2))),
        ("valid", "test_first", oneway_packet(2, 0x1234, 0, 1, t + 1000, (t, t + 500))),
        ("valid", "test_padded_200", oneway_packet(2, 0x1234, 41, 42, t + 2000, padded=200)),
        ("valid", "finish", oneway_packet(3, 0x1234, 0, 300, t + 9000, (t + 8000, t + 8500))),
        ("malformed", "test_sequence_not_below_sent", oneway_packet(2, 0x1234, 5, 5, t)),
        ("malformed", "short", oneway_packet(2, 0x1234, 0, 1, t)[:40]),
        ("malformed", "forged_mac", oneway_packet(2, 0x1234, 0, 1, t)[:60] + b"\0" * 12),
    ]


# --- Probe replies routed to traces (TraceRegistry::RouteReply) ----------------------------------

def routed_replies():
    # fuzz_route_reply's traces use the identifiers of probes4() and probes6(); the first byte
    # selects the parser (even: IPv4 packet, odd: IPv6 packet).
    return ([(c, "v4_" + n, b"\x00" + p) for c, n, p in replies4() if c == "valid"] +
            [(c, "v6_" + n, b"\x01" + p) for c, n, p in replies6() if c == "valid"])


# --- recvmsg results (fuzz_socket_message) -------------------------------------------------------

SOL_SOCKET, SO_TIMESTAMPNS, SO_TIMESTAMPING = 1, 35, 37
IPPROTO_IP, IP_PKTINFO, IP_RECVERR = 0, 8, 11
IPPROTO_IPV6, IPV6_RECVERR, IPV6_PKTINFO = 41, 25, 50
SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6, SO_EE_ORIGIN_TIMESTAMPING = 2, 3, 4


def cmsg(level, kind, data):
    """One control message as the kernel writes it on x86-64 (CMSG_LEN, CMSG_SPACE)."""
    padding = (8 - len(data) % 8) % 8
    return struct.pack("=Qii", 16 + len(data), level, kind) + data + b"\0" * padding


def timestamping(seconds=1_800_000_000, nanoseconds=123_456_000):
    return cmsg(SOL_SOCKET, SO_TIMESTAMPING, struct.pack("=qq", seconds, nanoseconds) + b"\0" * 32)


def extended_error(origin, icmp_type, code, offender=None, errno_value=113, data=0):
    ee = struct.pack("=IBBBBII", errno_value, origin, icmp_type, code, 0, 0, data)
    if offender is None:
        return ee
    packed = addr(offender)
    if len(packed) == 4:
        return ee + struct.pack("=H", 2) + struct.pack("!H", 0) + packed + b"\0" * 8
    return ee + struct.pack("=H", 10) + struct.pack("!HI", 0, 0) + packed + struct.pack("=I", 0)


def message(selector, source, control, data):
    """fuzz_socket_message's encoding of one recvmsg result."""
    if source is None:
        where = b"\x00"
    else:
        packed = addr(source)
        where = (b"\x04" if len(packed) == 4 else b"\x06") + packed
    return (bytes([selector]) + where + struct.pack("!H", len(control)) + control +
            struct.pack("!H", len(data)) + data)


def recvmsg_results():
    raw, unprivileged, send_first = 0, 1, 3
    reply4 = dict((n, p) for _, n, p in replies4())
    reply6 = dict((n, p) for _, n, p in icmp6_messages())
    tcp6 = dict((n, p) for _, n, p in tcp_segments())
    our_echo4 = echo(False, 0x4242, 1)
    our_echo6 = echo(True, 0x4242, 1, src=US6, dst=TARGET6)
    echo_reply4 = echo(False, 0x4242, 1, reply=True)
    pktinfo4 = cmsg(IPPROTO_IP, IP_PKTINFO, struct.pack("=i4s4s", 2, addr(US4), addr(US4)))
    pktinfo6 = cmsg(IPPROTO_IPV6, IPV6_PKTINFO, struct.pack("=16sI", addr(US6), 2))
    stamp_ns = cmsg(SOL_SOCKET, SO_TIMESTAMPNS, struct.pack("=qq", 1_800_000_000, 5))
    te4 = cmsg(IPPROTO_IP, IP_RECVERR, extended_error(SO_EE_ORIGIN_ICMP, 11, 0, ROUTER4))
    du6 = cmsg(IPPROTO_IPV6, IPV6_RECVERR, extended_error(SO_EE_ORIGIN_ICMP6, 1, 4, ROUTER6))
    send_stamp = cmsg(SOL_SOCKET, SO_TIMESTAMPING, struct.pack("=qq", 1_800_000_000, 7) +
                      b"\0" * 32) + cmsg(IPPROTO_IP, IP_RECVERR,
                                         extended_error(SO_EE_ORIGIN_TIMESTAMPING, 0, 0, None, 42))
    return [
        ("valid", "raw_v4_echo_reply", bytes([raw]) + message(
            0, TARGET4, timestamping(), reply4["echo_reply"])),
        ("valid", "raw_v4_time_exceeded", bytes([raw]) + message(
            0, ROUTER4, timestamping() + pktinfo4, reply4["te_icmp"])),
        ("valid", "raw_v6_time_exceeded", bytes([raw]) + message(
            2, ROUTER6, pktinfo6 + stamp_ns, reply6["te_icmp"])),
        ("valid", "raw_v6_tcp_syn_ack", bytes([raw]) + message(
            4, TARGET6, pktinfo6 + timestamping(), tcp6["syn_ack"])),
        ("valid", "dgram_v4_echo_reply", bytes([unprivileged]) + message(
            0, TARGET4, pktinfo4 + timestamping(), echo_reply4)),
        ("valid", "dgram_v4_error_queue_time_exceeded", bytes([unprivileged]) + message(
            1, TARGET4, te4 + timestamping(), our_echo4)),
        ("valid", "dgram_v6_error_queue_unreachable", bytes([unprivileged]) + message(
            3, TARGET6, du6 + pktinfo6, our_echo6)),
        ("valid", "dgram_send_stamp_then_error", bytes([send_first]) +
         message(1, None, send_stamp, b"") + message(1, TARGET4, te4, our_echo4)),
        ("edge", "dgram_error_without_offender", bytes([unprivileged]) + message(
            1, TARGET4, cmsg(IPPROTO_IP, IP_RECVERR, extended_error(SO_EE_ORIGIN_ICMP, 11, 0)),
            our_echo4)),
        ("edge", "dgram_control_length_beyond_buffer", bytes([unprivileged]) + message(
            0, TARGET4, struct.pack("=Qii", 4096, IPPROTO_IP, IP_PKTINFO) + b"\0" * 12,
            echo_reply4)),
    ]


# --- Text inputs: gRPC peers (ParseGrpcPeer) and --allow ranges (Cidr::Parse) --------------------

def grpc_peers():
    return [(c, n, t.encode()) for c, n, t in [
        ("valid", "ipv4", "ipv4:198.51.100.7:51234"),
        ("valid", "ipv6", "ipv6:%5B2001:db8::7%5D:51234"),
        ("valid", "ipv6_lowercase_escapes", "ipv6:%5b2001:db8::7%5d:8620"),
        ("valid", "ipv4_mapped", "ipv6:%5B::ffff:198.51.100.7%5D:443"),
        ("valid", "address_port_v6", "[2001:db8::1]:8620"),
        ("valid", "address_port_v4", "203.0.113.5:8620"),
        ("malformed", "unix", "unix:/run/pathpair.sock"),
        ("malformed", "scoped", "ipv6:%5Bfe80::1%25eth0%5D:8620"),
        ("malformed", "port_too_big", "ipv4:198.51.100.7:65536"),
    ]]


def cidrs():
    return [(c, n, t.encode()) for c, n, t in [
        ("valid", "v4_24", "198.51.100.0/24"),
        ("valid", "v6_32", "2001:db8::/32"),
        ("valid", "bare_v4", "203.0.113.5"),
        ("valid", "mapped_v6", "::ffff:198.51.100.0/120"),
        ("valid", "everything", "0.0.0.0/0"),
        ("malformed", "prefix_33", "198.51.100.0/33"),
        ("malformed", "prefix_sign", "2001:db8::/+32"),
    ]]


# --- Paired runs: history payloads and saved reports (controller/paired) -------------------------

REPO = os.path.join(HERE, "..", "..")
MTR_TESTDATA = os.path.join(REPO, "tests", "controller", "mtrjson", "testdata")


def read(path):
    with open(path, "rb") as f:
        return f.read()


BINARY_RUN = """
schema_version: 2 run_id: "20261127T112540.123Z-3f9a1c0b" start_unix_us: 1800000000000000
end_unix_us: 1800000012000000 forward_target: "203.0.113.80" reverse_target: "198.51.100.9"
client { endpoint: "local" hostname: "laptop" version: "0.1.0" started_unix_us: 1800000000002000
  trace { target_address: "203.0.113.80" reached: true rounds: 3
    hops { ttl: 1 sent: 3 received: 3 responders { address: "10.0.0.1" received: 3 } }
    hops { ttl: 2 sent: 3 received: 3 responders { address: "203.0.113.80" received: 3 } } } }
server { endpoint: "agent.example:8620" error: "lost the agent agent.example:8620"
  trace { target_address: "198.51.100.9" rounds: 2
    hops { ttl: 1 sent: 2 received: 2 responders { address: "10.9.0.1" received: 2 } } } }
oneway_requested: true start_skew_ms: 4.5 verdict: VERDICT_DEGRADED
"""


def mtr_reports():
    # The real reports are the mtrjson tests' testdata (SEEDS in mtr_json/CMakeLists.txt); these
    # are the hostile shapes `pathpair diagnose` must refuse with a message.
    return [
        ("malformed", "deep_nesting", b'{"report": {"hubs": ' + b"[" * 5000 + b"]" * 5000 + b"}}"),
        ("malformed", "hubs_not_an_array", b'{"report": {"mtr": {"dst": "203.0.113.9"}, "hubs": 7}}'),
        ("malformed", "hop_numbers_decrease",
         b'{"report": {"hubs": [{"count": 2, "host": "198.51.100.1", "Snt": 1, "Rcv": 1},'
         b' {"count": 1, "host": "198.51.100.2", "Snt": 1, "Rcv": 1}]}}'),
    ]


def paired_runs():
    """First byte: 0 binary history payload, 1 version-1 JSON payload, 2 a saved report."""
    binary = subprocess.run(
        ["protoc", "--encode=pathpair.v1.PairedRun", "-I", os.path.join(REPO, "proto"),
         "pathpair/v1/paired.proto"], input=BINARY_RUN.encode(), capture_output=True,
        check=True).stdout
    v1 = read(os.path.join(REPO, "tests", "controller", "paired", "testdata",
                           "paired_run_v1.json"))
    report = {
        "run_id": "20261127T112540.123Z-3f9a1c0b", "start": "2026-11-27T11:25:40Z",
        "end": "2026-11-27T11:25:52Z", "status": "complete", "verdict": "healthy",
        "client": {"endpoint": "local", "hostname": "laptop", "error": None},
        "server": {"endpoint": "agent.example:8620", "hostname": "agent", "error": None},
        "start_skew_ms": 4.5,
        "forward": json.loads(read(os.path.join(MTR_TESTDATA, "mtr095_healthy_v4.json"))),
        "reverse": json.loads(read(os.path.join(MTR_TESTDATA, "mtr092_healthy.json"))),
        "oneway": {"forward": {"sent": 300, "received": 300, "loss_pct": 0, "duplicates": 0,
                               "reordered": 0, "delay_ms": {"min": 1, "avg": 1.5, "max": 2,
                                                            "stdev": 0.2},
                               "jitter_ms": 0.1, "clock": {"method": "same_host",
                                                           "error_ms": 0, "note": ""},
                               "error": None},
                   "reverse": None},
        "paths": None,
        "aliases": {"client": {"resolutions": [{"address": "198.51.100.2",
                                                "reply_source": "198.51.100.5",
                                                "method": "ALIAS_METHOD_UDP_PORT_UNREACHABLE",
                                                "rtt_ms": 0.3, "distance": 2}]},
                    "server": None},
        "diagnosis": [], "errors": [],
    }
    return [
        ("valid", "binary_payload", b"\x00" + binary),
        ("valid", "json_v1_payload", b"\x01" + v1),
        ("valid", "saved_report", b"\x02" + json.dumps(report, indent=1).encode()),
        ("malformed", "binary_newer_schema", b"\x00" + b"\x08\x09"),
    ]


CATEGORIES = ("valid", "edge", "malformed")


def write(target, entries):
    # Only the generated categories are replaced: other inputs (e.g. regression/, what a fuzzer
    # run found) stay.
    for category in CATEGORIES:
        shutil.rmtree(os.path.join(HERE, target, "corpus", category), ignore_errors=True)
    for category, name, data in entries:
        assert category in CATEGORIES
        directory = os.path.join(HERE, target, "corpus", category)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, name + ".bin"), "wb") as f:
            f.write(data)


def main():
    write("ipv4_packet", replies4())
    write("ipv6_packet", replies6())
    # icmpv6_tcp: the first byte selects the parser (even: ICMPv6, odd: TCP).
    write("icmpv6_tcp", [(c, "icmpv6_" + n, b"\x00" + m) for c, n, m in icmp6_messages()] +
          [(c, "tcp_" + n, b"\x01" + m) for c, n, m in tcp_segments()])
    write("ip_header", ip_headers())
    write("oneway_wire", oneway_packets())
    write("route_reply", routed_replies())
    write("socket_message", recvmsg_results())
    write("grpc_peer", grpc_peers())
    write("cidr", cidrs())
    write("run_payload", paired_runs())
    write("mtr_json", mtr_reports())


if __name__ == "__main__":
    main()
