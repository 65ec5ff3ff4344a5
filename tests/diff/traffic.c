/* SPDX-License-Identifier: BSD-3-Clause */
#include "traffic.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>

#include <keysteer/fnv.h>
#include "../bpf/pkt.h"

struct gen {
	enum diff_scenario s;
	uint64_t rng;
	struct diff_traffic *t;
	size_t cap;
	/* The scenario's routes and listeners. */
	unsigned n_routes;
	uint64_t keys[160];
	int fams[2];
	int n_fams;
	const char *lst[2]; /* listener address per family slot */
	uint16_t udp_port, tcp_port;
	const char *nat_vips[2]; /* NAT scenarios: shard VIPs and ports */
	uint16_t nat_ports[2];
	/* JSON */
	char *js;
	size_t jlen, jcap;
};

static uint32_t rnd(struct gen *g)
{
	/* xorshift64*: deterministic for a seed, good enough for test data. */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return (uint32_t)((g->rng * 0x2545f4914f6cdd1dULL) >> 32);
}

static unsigned pick(struct gen *g, unsigned n)
{
	return rnd(g) % n;
}

static void jadd(struct gen *g, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(g->js + g->jlen, g->jcap - g->jlen, fmt, ap);
		va_end(ap);
		if ((size_t)n < g->jcap - g->jlen)
			break;
		g->jcap = g->jcap * 2 + (size_t)n;
		g->js = realloc(g->js, g->jcap);
		if (!g->js)
			abort();
	}
	g->jlen += (size_t)n;
}

static void add_frame(struct gen *g, const uint8_t *buf, size_t len)
{
	struct diff_traffic *t = g->t;

	if (t->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 1024;
		t->f = realloc(t->f, g->cap * sizeof(*t->f));
		if (!t->f)
			abort();
	}
	t->f[t->n].data = malloc(len ? len : 1);
	if (!t->f[t->n].data)
		abort();
	memcpy(t->f[t->n].data, buf, len);
	t->f[t->n].len = len;
	t->n++;
}

/* ---- the rule sets ---------------------------------------------------- */

struct shard_def {
	const char *name, *vip, *steer;
	int port, capacity;
};

static const struct shard_def mixed_shards[] = {
    {"g4a", "10.1.0.10", "gue", 8080, 4},      {"g4b", "10.1.0.11", "gue", 8080, 1},
    {"i4", "10.1.0.20", "ipip", 8080, 2},      {"g6", "2001:db8:1::10", "gue", 8080, 3},
    {"i6", "2001:db8:1::20", "ipip", 8080, 1}, {"sh4", "10.1.0.30", "gue", 8080, 1},
};
static const struct shard_def nat4_shards[] = {
    {"n4a", "10.2.0.10", "nat", 9000, 2},
    {"n4b", "10.2.0.11", "nat", 9001, 1},
    {"g4", "10.2.0.20", "gue", 8080, 1},
};
static const struct shard_def nat6_shards[] = {
    {"n6a", "2001:db8:2::10", "nat", 9000, 1},
    {"n6b", "2001:db8:2::11", "nat", 9001, 1},
    {"i6", "2001:db8:2::20", "ipip", 8080, 1},
};

static void make_rules(struct gen *g)
{
	const struct shard_def *sd;
	unsigned n_sd, n_targets_from;
	const char *sticky[] = {"flow", "entity", "none"};

	jadd(g, "{\"schema\":\"keysteer/v1\",\"version\":%d,\"listeners\":[", 10 + (int)g->s);
	for (int i = 0; i < g->n_fams; i++)
		jadd(g,
		     "%s{\"vip\":\"%s\",\"port\":%u,\"proto\":\"udp\"},{\"vip\":\"%s\",\"port\":%u,"
		     "\"proto\":\"tcp\"}",
		     i ? "," : "", g->lst[i], g->udp_port, g->lst[i], g->tcp_port);
	jadd(g, "],\"shards\":{");
	if (g->s == DIFF_MIXED) {
		sd = mixed_shards;
		n_sd = 6;
		n_targets_from = 5; /* sh4 only as a shadow */
	} else if (g->s == DIFF_NAT4) {
		sd = nat4_shards;
		n_sd = n_targets_from = 3;
	} else {
		sd = nat6_shards;
		n_sd = n_targets_from = 3;
	}
	for (unsigned i = 0; i < n_sd; i++)
		jadd(g, "%s\"%s\":{\"vip\":\"%s\",\"port\":%d,\"steer\":\"%s\",\"capacity\":%d}",
		     i ? "," : "", sd[i].name, sd[i].vip, sd[i].port, sd[i].steer, sd[i].capacity);
	jadd(g, "},\"routes\":[");
	g->n_routes = g->s == DIFF_MIXED ? 150 : 60;
	for (unsigned r = 0; r < g->n_routes; r++) {
		char key[32];
		unsigned nt = 1 + pick(g, n_targets_from < 4 ? n_targets_from : 4), first;
		int capacity = pick(g, 4) == 0;

		snprintf(key, sizeof(key), "diff/%d/%u", (int)g->s, r);
		g->keys[r] = ks_fnv1a64(key, strlen(key));
		jadd(g, "%s{\"key\":\"%s\",\"to\":[", r ? "," : "", key);
		first = pick(g, n_targets_from);
		for (unsigned k = 0; k < nt; k++) {
			const struct shard_def *s = &sd[(first + k) % n_targets_from];

			if (capacity)
				jadd(g, "%s{\"shard\":\"%s\"}", k ? "," : "", s->name);
			else
				jadd(g, "%s{\"shard\":\"%s\",\"weight\":%u}", k ? "," : "", s->name,
				     1 + pick(g, 20));
		}
		jadd(g, "]");
		if (capacity)
			jadd(g, ",\"weights\":\"capacity\"");
		jadd(g, ",\"sticky\":\"%s\"", sticky[pick(g, 3)]);
		if (g->s == DIFF_MIXED && r % 5 == 0)
			jadd(g, ",\"shadow\":{\"shard\":\"sh4\",\"percent\":%u}", 5 + pick(g, 60));
		jadd(g, "}");
	}
	jadd(g, "],\"default\":\"%s\"}\n", g->s == DIFF_MIXED ? "pass" : "drop");
}

/* ---- frames --------------------------------------------------------------- */

struct client {
	int fam;
	char addr[48];
	uint16_t port;
};

static void client_of(struct gen *g, int fam, struct client *c)
{
	c->fam = fam;
	if (fam == 4)
		snprintf(c->addr, sizeof(c->addr), "100.64.%u.%u", pick(g, 8), 1 + pick(g, 250));
	else
		snprintf(c->addr, sizeof(c->addr), "2001:db8:c::%x", 1 + pick(g, 4000));
	c->port = (uint16_t)(1024 + pick(g, 60000));
}

static int fam_slot(struct gen *g, int fam)
{
	return g->n_fams == 2 && fam == 6 ? 1 : 0;
}

/* A spec to a listener (or elsewhere), with random tags, TTL and TOS. */
static void base_spec(struct gen *g, struct pkt_spec *s, const struct client *c, uint8_t proto,
		      const char *dst, uint16_t dport)
{
	pkt_init(s, c->fam, proto, c->addr, dst, c->port, dport);
	s->n_vlans = (int)pick(g, 6) == 0 ? 2 : (pick(g, 4) == 0 ? 1 : 0);
	for (int i = 0; i < s->n_vlans; i++) {
		s->vlan_tpid[i] = (i == 0 && s->n_vlans == 2) ? 0x88a8 : 0x8100;
		s->vlan_tci[i] = (uint16_t)(1 + pick(g, 4000));
	}
	s->ttl = pick(g, 40) == 0 ? (uint8_t)pick(g, 3) : (uint8_t)(2 + pick(g, 200));
	s->tos = (uint8_t)pick(g, 256);
	s->ip_id = (uint16_t)rnd(g);
	s->flow_label = rnd(g) & 0xfffff;
	s->frag_off = pick(g, 2) ? 0x4000 : 0;
}

static size_t tagged_payload(struct gen *g, uint8_t *buf, size_t len)
{
	uint32_t idx = (uint32_t)g->t->n;

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)rnd(g);
	if (len >= 8) {
		memcpy(buf, "KSDF", 4);
		put32(buf + 4, idx);
	}
	return len;
}

static size_t build(struct pkt_spec *s, uint8_t *out)
{
	size_t n = pkt_build(s, out, PKT_MAX, NULL);

	if (!n)
		abort();
	return n;
}

/* A UDP datagram with a routing header. */
static size_t udp_keyed(struct gen *g, const struct client *c, uint64_t key, uint8_t flags,
			size_t extra, uint8_t *out, struct pkt_spec *s)
{
	uint8_t payload[PKT_MAX];
	int slot = fam_slot(g, c->fam);

	base_spec(g, s, c, 17, g->lst[slot], g->udp_port);
	pkt_ks_header(payload, key, pick(g, 3) ? rnd(g) % 64 : rnd(g), flags);
	tagged_payload(g, payload + 16, extra);
	s->payload = payload;
	s->payload_len = 16 + extra;
	s->udp_zero_csum = c->fam == 4 && pick(g, 5) == 0;
	return build(s, out);
}

static uint8_t random_flags(struct gen *g)
{
	uint8_t f = 0;

	if (pick(g, 3) == 0)
		f |= 0x01; /* ENTITY */
	if (pick(g, 5) == 0)
		f |= 0x02; /* SYNTHETIC */
	if (pick(g, 10) == 0)
		f |= 0x80; /* an unknown bit: ignored */
	return f;
}

static int random_fam(struct gen *g)
{
	return g->fams[pick(g, (unsigned)g->n_fams)];
}

static void gen_nat_reply(struct gen *g, const struct client *c, uint8_t proto, int known);

static void gen_udp_hits(struct gen *g, int n)
{
	uint8_t buf[PKT_MAX];
	struct pkt_spec s;
	struct client c;

	for (int i = 0; i < n; i++) {
		/* Some flows repeat, so that stickiness is exercised. */
		if (i == 0 || pick(g, 3))
			client_of(g, random_fam(g), &c);
		add_frame(g, buf,
			  udp_keyed(g, &c, g->keys[pick(g, g->n_routes)], random_flags(g),
				    8 + pick(g, 120), buf, &s));
		/* NAT scenarios: a reply from one of the NAT shards (the chosen one or not). */
		if (g->s != DIFF_MIXED && pick(g, 3) == 0)
			gen_nat_reply(g, &c, 17, 1);
	}
}

/* A reply from a NAT shard to a client, as the shard sends it. */
static void gen_nat_reply(struct gen *g, const struct client *c, uint8_t proto, int known)
{
	uint8_t buf[PKT_MAX], payload[64];
	struct pkt_spec s;
	struct client shard;
	unsigned k = pick(g, 2);

	shard.fam = c->fam;
	snprintf(shard.addr, sizeof(shard.addr), "%s", g->nat_vips[k]);
	shard.port = g->nat_ports[k];
	base_spec(g, &s, &shard, proto, c->addr, known ? c->port : (uint16_t)(c->port ^ 0x5a5a));
	s.tcp_flags = 0x18;
	s.payload = payload;
	s.payload_len = tagged_payload(g, payload, 8 + pick(g, 40));
	add_frame(g, buf, build(&s, buf));
}

static void gen_tcp_sessions(struct gen *g, int n)
{
	uint8_t buf[PKT_MAX], payload[256];
	struct pkt_spec s;
	struct client c;

	for (int i = 0; i < n; i++) {
		int slot, segs = 1 + (int)pick(g, 5);
		uint64_t key = g->keys[pick(g, g->n_routes)];

		client_of(g, random_fam(g), &c);
		slot = fam_slot(g, c.fam);
		base_spec(g, &s, &c, 6, g->lst[slot], g->tcp_port);
		s.tcp_flags = 0x02;
		s.seq = rnd(g);
		s.tcp_opts_len = pkt_syn_options(s.tcp_opts, key, rnd(g) % 100);
		add_frame(g, buf, build(&s, buf));
		for (int k = 0; k < segs; k++) {
			static const uint8_t flags[] = {0x10, 0x18, 0x18, 0x11, 0x14, 0x02};
			uint8_t fl = flags[pick(g, sizeof(flags))];

			base_spec(g, &s, &c, 6, g->lst[slot], g->tcp_port);
			s.tcp_flags = fl;
			s.seq = rnd(g);
			if (fl == 0x02) /* a retransmitted SYN, or a new one after FIN/RST */
				s.tcp_opts_len = pkt_syn_options(s.tcp_opts, key, 7);
			if (fl == 0x18) {
				s.payload = payload;
				s.payload_len = tagged_payload(g, payload, 8 + pick(g, 200));
			}
			add_frame(g, buf, build(&s, buf));
			if (g->s != DIFF_MIXED && pick(g, 3) == 0)
				gen_nat_reply(g, &c, 6, 1);
		}
	}
}

/* Listener traffic that is not steered, for every reason a header can fail. */
static void gen_header_failures(struct gen *g, int n)
{
	uint8_t buf[PKT_MAX], payload[64];
	struct pkt_spec s;
	struct client c;

	for (int i = 0; i < n; i++) {
		int slot;
		size_t len;

		client_of(g, random_fam(g), &c);
		slot = fam_slot(g, c.fam);
		switch (pick(g, 9)) {
		case 0: /* unknown key */
			len = udp_keyed(g, &c, ((uint64_t)rnd(g) << 32) | rnd(g), 0, 8, buf, &s);
			break;
		case 1: /* no header: fewer than 16 bytes of payload */
			base_spec(g, &s, &c, 17, g->lst[slot], g->udp_port);
			s.payload = payload;
			s.payload_len = tagged_payload(g, payload, pick(g, 16));
			len = build(&s, buf);
			break;
		case 2: /* bad magic */
			len = udp_keyed(g, &c, g->keys[0], 0, 8, buf, &s);
			buf[len - 24 + 0] ^= 0x40;
			/* the checksum no longer matters: the router never checks it */
			break;
		case 3: /* bad version */
			len = udp_keyed(g, &c, g->keys[0], 0, 8, buf, &s);
			buf[len - 24 + 2] = 2;
			break;
		case 4: /* a client SHADOW flag */
			len = udp_keyed(g, &c, g->keys[pick(g, g->n_routes)], 0x04, 8, buf, &s);
			break;
		case 5: /* TCP segment of no connection */
			base_spec(g, &s, &c, 6, g->lst[slot], g->tcp_port);
			s.tcp_flags = 0x10;
			len = build(&s, buf);
			break;
		case 6: /* SYN without the option */
			base_spec(g, &s, &c, 6, g->lst[slot], g->tcp_port);
			s.tcp_flags = 0x02;
			s.tcp_opts_len = 4;
			s.tcp_opts[0] = 2;
			s.tcp_opts[1] = 4;
			s.tcp_opts[2] = 5;
			s.tcp_opts[3] = 0xb4;
			len = build(&s, buf);
			break;
		case 7: /* SYN with an option of length 1: malformed */
			base_spec(g, &s, &c, 6, g->lst[slot], g->tcp_port);
			s.tcp_flags = 0x02;
			s.tcp_opts_len = 4;
			s.tcp_opts[0] = 1;
			s.tcp_opts[1] = 8;
			s.tcp_opts[2] = 1;
			s.tcp_opts[3] = 0;
			len = build(&s, buf);
			break;
		default: /* SYN with an unknown key */
			base_spec(g, &s, &c, 6, g->lst[slot], g->tcp_port);
			s.tcp_flags = 0x02;
			s.tcp_opts_len = pkt_syn_options(s.tcp_opts, 0x1234567890ULL + rnd(g), 1);
			len = build(&s, buf);
			break;
		}
		add_frame(g, buf, len);
	}
}

/* Not for a listener, fragments, extension headers, other protocols. */
static void gen_not_steered(struct gen *g, int n)
{
	uint8_t buf[PKT_MAX], payload[64];
	struct pkt_spec s;
	struct client c;

	for (int i = 0; i < n; i++) {
		int slot;
		size_t len;

		client_of(g, random_fam(g), &c);
		slot = fam_slot(g, c.fam);
		switch (pick(g, 7)) {
		case 0: /* another port */
			base_spec(g, &s, &c, 17, g->lst[slot], (uint16_t)(g->udp_port + 1));
			break;
		case 1: /* another address */
			base_spec(g, &s, &c, 6, c.fam == 4 ? "203.0.113.99" : "2001:db8:100::99",
				  g->tcp_port);
			break;
		case 2: /* ICMP / ICMPv6 */
			base_spec(g, &s, &c, c.fam == 4 ? 1 : 58, g->lst[slot], 0);
			break;
		case 3: /* a fragment */
			base_spec(g, &s, &c, 17, g->lst[slot], g->udp_port);
			if (c.fam == 4) {
				s.frag_off = pick(g, 2) ? 0x2000 : (uint16_t)(1 + pick(g, 100));
			} else {
				s.v6_ext = 1;
				s.v6_exthdr = 44;
			}
			break;
		case 4: /* an IPv6 extension header (on IPv4: an IP option instead) */
			base_spec(g, &s, &c, 17, g->lst[slot], g->udp_port);
			if (c.fam == 6) {
				s.v6_ext = 1;
				s.v6_exthdr = pick(g, 2) ? 0 : 60;
			} else {
				s.ip_opts_len = 4;
				s.ip_opts[0] = 1;
				s.ip_opts[1] = 1;
				s.ip_opts[2] = 1;
				s.ip_opts[3] = 0;
			}
			break;
		case 5: /* ARP, or three tags */
			base_spec(g, &s, &c, 17, g->lst[slot], g->udp_port);
			if (pick(g, 2)) {
				s.ethertype = 0x0806;
			} else {
				s.n_vlans = 3;
				s.vlan_tpid[0] = s.vlan_tpid[1] = s.vlan_tpid[2] = 0x8100;
			}
			break;
		default: /* a NAT reply of nothing we NAT'd, or a stray reply */
			if (g->s != DIFF_MIXED) {
				gen_nat_reply(g, &c, 17, 0);
				continue;
			}
			base_spec(g, &s, &c, 17, c.fam == 4 ? "10.1.0.10" : "2001:db8:1::10", 8080);
			break;
		}
		s.payload = payload;
		s.payload_len = tagged_payload(g, payload, 16 + pick(g, 40));
		if (s.payload_len >= 16 && s.proto == 17)
			pkt_ks_header(payload, g->keys[0], 0, 0);
		len = build(&s, buf);
		add_frame(g, buf, len);
	}
}

/* Valid frames spoilt: truncated anywhere, inconsistent lengths. */
static void gen_malformed(struct gen *g, int n)
{
	uint8_t buf[PKT_MAX];
	struct pkt_spec s;
	struct pkt_layout lay;
	struct client c;

	for (int i = 0; i < n; i++) {
		size_t len;

		client_of(g, random_fam(g), &c);
		if (pick(g, 2)) {
			len = udp_keyed(g, &c, g->keys[pick(g, g->n_routes)], 0, 16, buf, &s);
		} else {
			base_spec(g, &s, &c, 6, g->lst[fam_slot(g, c.fam)], g->tcp_port);
			s.tcp_flags = 0x02;
			s.tcp_opts_len = pkt_syn_options(s.tcp_opts, g->keys[0], 1);
			len = build(&s, buf);
		}
		pkt_build(&s, buf, PKT_MAX, &lay);
		switch (pick(g, 6)) {
		case 0:
		case 1: /* truncated at any byte past Ethernet (BPF_PROG_TEST_RUN needs 14) */
			len = 14 + pick(g, (unsigned)len - 14);
			break;
		case 2: /* IP header claims more than the frame */
			if (c.fam == 4)
				put16(buf + lay.l3 + 2,
				      (uint16_t)(get16(buf + lay.l3 + 2) + 1 + pick(g, 200)));
			else
				put16(buf + lay.l3 + 4,
				      (uint16_t)(get16(buf + lay.l3 + 4) + 1 + pick(g, 200)));
			break;
		case 3: /* IPv4 header length below 20, or a wrong IP version */
			if (c.fam == 4)
				buf[lay.l3] = (uint8_t)(0x40 | pick(g, 5));
			else
				buf[lay.l3] = 0x45;
			break;
		case 4: /* UDP length below 8 or beyond the IP payload; TCP offset below 5 */
			if (s.proto == 17)
				put16(buf + lay.l4 + 4, pick(g, 2) ? (uint16_t)pick(g, 8)
								   : (uint16_t)(len - lay.l4 + 9));
			else
				buf[lay.l4 + 12] = (uint8_t)(pick(g, 5) << 4);
			break;
		default: /* an option running past the TCP header, or a short UDP payload */
			if (s.proto == 6)
				buf[lay.l4 + 20 + 1] = 60;
			else
				len = lay.payload + pick(g, 16);
			break;
		}
		add_frame(g, buf, len);
	}
}

/* Frames that are too big once encapsulated (MTU 1500), and ones that just fit. */
static void gen_mtu(struct gen *g, int n)
{
	uint8_t buf[PKT_MAX];
	struct pkt_spec s;
	struct client c;

	for (int i = 0; i < n; i++) {
		client_of(g, random_fam(g), &c);
		/* IP packet of 1400..1500 bytes: GUE adds 32/52, IPIP 20/40, NAT nothing. */
		add_frame(g, buf,
			  udp_keyed(g, &c, g->keys[pick(g, g->n_routes)], 0,
				    1400 - 16 - 8 - (c.fam == 4 ? 20 : 40) + pick(g, 101), buf,
				    &s));
	}
}

static void shuffle_tail(struct gen *g, size_t from)
{
	struct diff_traffic *t = g->t;

	for (size_t i = t->n - 1; i > from; i--) {
		size_t j = from + pick(g, (unsigned)(i - from + 1));
		struct diff_frame tmp = t->f[i];

		t->f[i] = t->f[j];
		t->f[j] = tmp;
	}
}

void diff_traffic_make(struct diff_traffic *t, enum diff_scenario s, unsigned seed)
{
	struct gen g = {.s = s, .rng = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed << 17) ^ s, .t = t};
	size_t mark;

	memset(t, 0, sizeof(*t));
	g.jcap = 4096;
	g.js = malloc(g.jcap);
	if (!g.js)
		abort();
	g.udp_port = 7000;
	g.tcp_port = 7443;
	if (s == DIFF_MIXED) {
		g.n_fams = 2;
		g.fams[0] = 4;
		g.fams[1] = 6;
		g.lst[0] = "203.0.113.10";
		g.lst[1] = "2001:db8:100::10";
	} else if (s == DIFF_NAT4) {
		g.n_fams = 1;
		g.fams[0] = 4;
		g.lst[0] = "198.51.100.10";
		g.nat_vips[0] = "10.2.0.10";
		g.nat_vips[1] = "10.2.0.11";
	} else {
		g.n_fams = 1;
		g.fams[0] = 6;
		g.lst[0] = "2001:db8:200::10";
		g.nat_vips[0] = "2001:db8:2::10";
		g.nat_vips[1] = "2001:db8:2::11";
	}
	g.nat_ports[0] = 9000;
	g.nat_ports[1] = 9001;
	make_rules(&g);
	t->rules = g.js;

	/* Connections keep their order (SYN first); the rest is shuffled around them. */
	gen_tcp_sessions(&g, 250);
	mark = t->n;
	gen_udp_hits(&g, 1500);
	gen_header_failures(&g, 500);
	gen_not_steered(&g, 300);
	gen_malformed(&g, 500);
	gen_mtu(&g, 100);
	shuffle_tail(&g, mark);
}

void diff_traffic_free(struct diff_traffic *t)
{
	diff_frames_free(t->f, t->n);
	free(t->rules);
	memset(t, 0, sizeof(*t));
}

void diff_frames_free(struct diff_frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].data);
	free(f);
}

int diff_write_pcap(const char *path, const struct diff_frame *f, size_t n)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;

	if (!p)
		return -1;
	d = pcap_dump_open(p, path);
	if (!d) {
		pcap_close(p);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct pcap_pkthdr h = {.ts = {.tv_sec = 1, .tv_usec = (long)(i % 1000000)},
					.caplen = (bpf_u_int32)f[i].len,
					.len = (bpf_u_int32)f[i].len};

		pcap_dump((u_char *)d, &h, f[i].data);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}

int diff_read_pcap(const char *path, struct diff_frame **out, size_t *n)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!p)
		return -1;
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			*out = realloc(*out, cap * sizeof(**out));
			if (!*out)
				abort();
		}
		(*out)[*n].data = malloc(h->caplen ? h->caplen : 1);
		if (!(*out)[*n].data)
			abort();
		memcpy((*out)[*n].data, data, h->caplen);
		(*out)[*n].len = h->caplen;
		(*n)++;
	}
	pcap_close(p);
	return 0;
}
