/* SPDX-License-Identifier: BSD-3-Clause */
/* The lab client's configuration and its two engines (UDP, TCP). */
#ifndef KS_LAB_CLIENT_H
#define KS_LAB_CLIENT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "lab_addr.h"
#include "lab_tally.h"

struct lab_cfg {
	struct lab_addr to;
	const char *keys[T_MAX_KEYS]; /* as given; flow i uses keys[i % n_keys] */
	uint64_t key_val[T_MAX_KEYS];
	int n_keys;
	uint32_t entities; /* entity of flow i: i % entities (0: always 0) */
	uint8_t flags;	   /* routing header flags (ENTITY, SYNTHETIC) */
	uint64_t flows;	   /* flows (UDP) or connections (TCP) in all; 0: until stopped */
	uint32_t reqs;	   /* requests per flow / connection */
	uint32_t concurrency;
	double rate;	      /* requests per second in all; 0: as fast as answers come */
	double duration;      /* seconds; 0: until flows are done or a signal */
	uint32_t timeout_ms;  /* a request unanswered for this long is lost */
	uint32_t interval_ms; /* TCP: pause between requests on a connection */
	uint32_t size;	      /* UDP payload bytes after the 16-byte header */
	uint32_t base_port;   /* UDP: flow i binds source port base_port + i (0: ephemeral) */
	const char *progress; /* JSON snapshot every 250 ms */
	const char *out;      /* final JSON */
	bool quiet;
};

extern volatile sig_atomic_t lab_stop;

/* Run to completion; the tally holds the result. 0, or 1 on a setup error. */
int lab_run_udp(const struct lab_cfg *c, struct lab_tally *t);
int lab_run_tcp(const struct lab_cfg *c, struct lab_tally *t);

/* Write the progress snapshot if it is due (every 250 ms). */
void lab_progress(const struct lab_cfg *c, const struct lab_tally *t, uint64_t start_ns, bool force,
		  bool running);

#endif
