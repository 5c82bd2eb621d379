#!/usr/bin/env python3
"""Writes the seed corpora of the packet codec's fuzz targets.

    python3 tests/fuzz/make_corpus.py    # rewrites tests/fuzz/corpus/<target>/{valid,edge,malformed}

The packets are built here from the RFCs with `struct`, independently of the C++ codec, so that
the seeds also cross-check it. The output is deterministic; commit it with this script.
"""

import ipaddress
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

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


def write(target, entries):
    for category, name, data in entries:
        directory = os.path.join(CORPUS, target, category)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, name + ".bin"), "wb") as f:
            f.write(data)


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    write("fuzz_ipv4_packet", replies4())
    write("fuzz_ipv6_packet", replies6())
    # fuzz_icmpv6_tcp: the first byte selects the parser (even: ICMPv6, odd: TCP).
    write("fuzz_icmpv6_tcp", [(c, "icmpv6_" + n, b"\x00" + m) for c, n, m in icmp6_messages()] +
          [(c, "tcp_" + n, b"\x01" + m) for c, n, m in tcp_segments()])
    write("fuzz_ip_header", ip_headers())


if __name__ == "__main__":
    main()
