#!/usr/bin/python3
"""Send keyed UDP datagrams to a listener and count what arrives at the shards.

udp_probe.py SRC LISTENER:PORT KEY N SHARD_VIP[,SHARD_VIP...] [GUE_PORT]

Sends N datagrams (routing header for 64-bit KEY, then 'KSPROBE' and a
sequence number) from SRC, and listens on GUE_PORT (6080) of every shard VIP
(addresses of this namespace). Each GUE datagram must hold the 4-byte GUE
header and the very IPv4 packet that was sent: it is parsed and the probe's
payload checked. Prints one line: 'VIP=count ...' and 'bad=N'. Bounded: one
second of quiet after the last send ends it.
"""
import select
import socket
import struct
import sys
import time


def main():
    src = sys.argv[1]
    lhost, lport = sys.argv[2].rsplit(":", 1)
    key = int(sys.argv[3], 0)
    n = int(sys.argv[4])
    vips = sys.argv[5].split(",")
    gport = int(sys.argv[6]) if len(sys.argv) > 6 else 6080
    rx = {}
    for v in vips:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((v, gport))
        rx[s] = v
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.bind((src, 0))
    counts = {v: 0 for v in vips}
    seen = set()
    bad = 0
    hdr = struct.pack("!HBBIII", 0x4B53, 1, 0, key >> 32, key & 0xFFFFFFFF, 7)
    for i in range(n):
        tx.sendto(hdr + b"KSPROBE" + struct.pack("!I", i), (lhost, int(lport)))
        time.sleep(0.002)
    deadline = time.time() + 1.0
    while time.time() < deadline and len(seen) < n:
        ready, _, _ = select.select(list(rx), [], [], 0.1)
        for s in ready:
            data = s.recv(4096)
            # GUE: version 0, no options, proto 4 (IPv4 inside).
            if len(data) < 4 + 20 + 8 + 16 + 11 or data[0] != 0 or data[1] != 4:
                bad += 1
                continue
            ip = data[4:]
            ihl = (ip[0] & 15) * 4
            udp = ip[ihl:]
            payload = udp[8:]
            if payload[:16] != hdr or payload[16:23] != b"KSPROBE":
                bad += 1
                continue
            seq = struct.unpack("!I", payload[23:27])[0]
            if seq in seen:
                bad += 1
                continue
            seen.add(seq)
            counts[rx[s]] += 1
            deadline = time.time() + 1.0
    print(" ".join(f"{v}={c}" for v, c in counts.items()) + f" bad={bad}")


if __name__ == "__main__":
    main()
