/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lab client's UDP engine. A flow is one socket (one source port, so one
 * 5-tuple) that sends `reqs` keyed requests one after another, each waiting
 * for its answer or its timeout. `concurrency` flows run at once; new flows
 * start until `flows` have run or the duration is over.
 *
 * A request is the 16-byte routing header, then seq (8), flow (4), request
 * index (4) and a pattern filling `size` bytes. The shard answers
 * "SHARD HOST\n" + the datagram it received, which must equal what was sent.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/ks_client.h"
#include "lab_client.h"

#define REQ_MAX 1400

struct uflow {
	int fd;
	uint32_t idx, req, entity;
	int key;
	uint64_t seq, sent_ns;
	bool waiting;
	int shard; /* first shard that answered, -1 before */
};

static size_t build_req(const struct lab_cfg *c, const struct uflow *f, uint8_t *buf)
{
	size_t len = KS_CLIENT_HDR_LEN + c->size;

	ks_client_header(buf, c->key_val[f->key], f->entity, c->flags);
	memset(buf + KS_CLIENT_HDR_LEN, 0, c->size);
	for (size_t i = KS_CLIENT_HDR_LEN + 16; i < len; i++)
		buf[i] = (uint8_t)(f->seq * 31 + i);
	if (c->size >= 16) {
		memcpy(buf + 16, &f->seq, 8);
		memcpy(buf + 24, &f->idx, 4);
		memcpy(buf + 28, &f->req, 4);
	}
	return len;
}

static int open_flow(const struct lab_cfg *c, struct uflow *f, int ep)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = f};
	int fd = socket(c->to.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (c->base_port) {
		struct lab_addr b;

		memset(&b, 0, sizeof(b));
		b.family = c->to.family;
		b.ss.ss_family = (sa_family_t)c->to.family;
		b.len = c->to.len;
		lab_addr_set_port(&b, (uint16_t)(c->base_port + f->idx));
		if (bind(fd, (struct sockaddr *)&b.ss, b.len)) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (struct sockaddr *)&c->to.ss, c->to.len) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		return -1;
	}
	f->fd = fd;
	return 0;
}

static void send_req(const struct lab_cfg *c, struct lab_tally *t, struct uflow *f,
		     uint64_t *next_seq, uint64_t now)
{
	uint8_t buf[REQ_MAX];
	size_t len;

	f->seq = (*next_seq)++;
	len = build_req(c, f, buf);
	f->sent_ns = now;
	f->waiting = true;
	t->sent++;
	if (send(f->fd, buf, len, 0) != (ssize_t)len)
		t->send_errors++; /* stays waiting: it will time out as lost */
}

/*
 * One datagram from f's socket: 1 when it answered f's outstanding request,
 * 0 when it was something else (late, corrupt), -1 when none is queued.
 */
static int take_answer(const struct lab_cfg *c, struct lab_tally *t, struct uflow *f)
{
	uint8_t buf[2048], want[REQ_MAX];
	char shard[T_NAME], host[T_NAME];
	ssize_t n = recv(f->fd, buf, sizeof(buf) - 1, 0);
	uint8_t *nl;
	size_t hl, wl;
	uint64_t seq;
	int s;

	if (n <= 0)
		return -1;
	nl = memchr(buf, '\n', (size_t)n);
	if (!nl || nl - buf > 2 * T_NAME) {
		t->corrupt++;
		return 0;
	}
	hl = (size_t)(nl - buf);
	buf[hl] = '\0';
	if (sscanf((char *)buf, "%47s %47s", shard, host) != 2) {
		t->corrupt++;
		return 0;
	}
	if ((size_t)n - hl - 1 < KS_CLIENT_HDR_LEN + 16) {
		t->corrupt++; /* "bad-header", or a truncated echo */
		return 0;
	}
	memcpy(&seq, nl + 1 + 16, 8);
	if (!f->waiting || seq != f->seq) {
		t->late++; /* answered after its timeout */
		return 0;
	}
	wl = build_req(c, f, want);
	if ((size_t)n - hl - 1 != wl || memcmp(nl + 1, want, wl) != 0) {
		t->corrupt++;
		return 0;
	}
	s = tally_answer(t, f->key, shard, host);
	tally_entity(t, f->entity, s);
	if (f->shard < 0)
		f->shard = s;
	else if (f->shard != s && f->shard != T_MAX_SHARDS) {
		t->flows_moved++;
		f->shard = T_MAX_SHARDS; /* counted once */
	}
	return 1;
}

static void next_or_close(const struct lab_cfg *c, struct lab_tally *t, struct uflow *f,
			  uint32_t *active)
{
	f->waiting = false;
	if (++f->req < c->reqs)
		return;
	close(f->fd);
	f->fd = -1;
	t->flows_done++;
	(*active)--;
}

int lab_run_udp(const struct lab_cfg *c, struct lab_tally *t)
{
	struct uflow *fl = calloc(c->concurrency, sizeof(*fl));
	struct epoll_event evs[256];
	uint64_t start = lab_now_ns(), last = start, next_seq = 1, started = 0;
	uint64_t end = c->duration > 0 ? start + (uint64_t)(c->duration * 1e9) : 0;
	uint64_t tmo = (uint64_t)c->timeout_ms * 1000000ULL;
	double tokens = 1, cap = c->rate > 0 ? (c->rate / 50 > 1 ? c->rate / 50 : 1) : 0;
	uint32_t active = 0;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (!fl || ep < 0)
		return 1;
	for (uint32_t i = 0; i < c->concurrency; i++)
		fl[i].fd = -1;
	for (;;) {
		uint64_t now = lab_now_ns();
		bool starting =
		    !lab_stop && (c->flows == 0 || started < c->flows) && (end == 0 || now < end);
		int n;

		if (c->rate > 0) {
			tokens += c->rate * (double)(now - last) / 1e9;
			if (tokens > cap)
				tokens = cap;
		}
		last = now;
		for (uint32_t i = 0; i < c->concurrency; i++) {
			struct uflow *f = &fl[i];

			if (f->fd < 0 && starting) {
				memset(f, 0, sizeof(*f));
				f->idx = (uint32_t)started;
				f->key = (int)(started % (uint64_t)c->n_keys);
				f->entity = c->entities ? (uint32_t)(started % c->entities) : 0;
				f->shard = -1;
				started++;
				t->flows_started++;
				if (open_flow(c, f, ep)) {
					t->send_errors++;
					f->fd = -1;
					continue;
				}
				active++;
				starting = c->flows == 0 || started < c->flows;
			}
			if (f->fd < 0)
				continue;
			if (f->waiting && now - f->sent_ns > tmo) {
				t->lost++;
				next_or_close(c, t, f, &active);
				if (f->fd < 0)
					continue;
			}
			if (!f->waiting && !lab_stop && (c->rate <= 0 || tokens >= 1)) {
				tokens -= c->rate > 0 ? 1 : 0;
				send_req(c, t, f, &next_seq, now);
			} else if (!f->waiting && lab_stop) {
				close(f->fd);
				f->fd = -1;
				active--;
			}
		}
		if (active == 0 && !starting)
			break;
		n = epoll_wait(ep, evs, 256, 2);
		for (int k = 0; k < n; k++) {
			struct uflow *f = evs[k].data.ptr;

			for (int j = 0; f->fd >= 0 && j < 16; j++) {
				int r = take_answer(c, t, f);

				if (r < 0)
					break;
				if (r > 0)
					next_or_close(c, t, f, &active);
			}
		}
		lab_progress(c, t, start, false, true);
	}
	close(ep);
	free(fl);
	return 0;
}
