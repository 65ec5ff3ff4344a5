#!/usr/bin/python3
"""Send one TCP segment to a listener and tell which shard it was steered to.

tcp_probe.py SRC LISTENER:PORT KEY SPORT syn|ack SHARD_VIP[,SHARD_VIP...] [GUE_PORT]

A SYN carries the keysteer option (kind 253, ExID 0x4B53, KEY, entity 7); an
ACK carries none, so only a pinned connection can steer it. The segment is
sent through a raw socket; the shard VIPs (addresses of this namespace)
listen on GUE_PORT (6080). Prints the VIP whose socket received the GUE
datagram holding this very segment (checked: ports, flags, sequence number),
or 'none' after one second.
"""
import select
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    src = sys.argv[1]
    dst, dport = sys.argv[2].rsplit(":", 1)
    key = int(sys.argv[3], 0)
    sport = int(sys.argv[4])
    syn = sys.argv[5] == "syn"
    vips = sys.argv[6].split(",")
    gport = int(sys.argv[7]) if len(sys.argv) > 7 else 6080
    rx = {}
    for v in vips:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((v, gport))
        rx[s] = v
    seq = (sport * 7919) & 0xFFFFFFFF
    opts = b""
    if syn:
        opts = struct.pack("!BBHIII", 253, 16, 0x4B53, key >> 32, key & 0xFFFFFFFF, 7)
    flags = 0x02 if syn else 0x10
    hlen = 20 + len(opts)
    tcp = struct.pack("!HHIIBBHHH", sport, int(dport), seq, 0 if syn else 1, (hlen // 4) << 4,
                      flags, 65535, 0, 0) + opts
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    raw.bind((src, 0))
    raw.sendto(tcp, (dst, 0))
    deadline = time.time() + 1.0
    while time.time() < deadline:
        ready, _, _ = select.select(list(rx), [], [], 0.1)
        for s in ready:
            data = s.recv(4096)
            if len(data) < 4 + 20 + 20 or data[1] != 4:
                continue
            ip = data[4:]
            seg = ip[(ip[0] & 15) * 4:]
            p_sport, p_dport, p_seq = struct.unpack("!HHI", seg[:8])
            if (p_sport, p_dport, p_seq, seg[13]) == (sport, int(dport), seq, flags):
                print(rx[s])
                return
    print("none")


if __name__ == "__main__":
    main()
