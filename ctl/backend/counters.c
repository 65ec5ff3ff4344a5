/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend/counters.h"
#include "backend/map_io.h"
#include <keysteer/reason_names.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

const char *ks_reason_name(unsigned reason)
{
	return ks_reason_str(reason);
}

/* Sum n per-CPU counter arrays of u64 fields (width u64s each). */
static void sum_percpu(const void *raw, int ncpus, size_t val_size, __u64 *out)
{
	size_t stride = ks_percpu_stride(val_size), width = val_size / sizeof(__u64);

	memset(out, 0, width * sizeof(__u64));
	for (int c = 0; c < ncpus; c++) {
		const __u64 *v = (const __u64 *)((const char *)raw + (size_t)c * stride);
		for (size_t f = 0; f < width; f++)
			out[f] += v[f];
	}
}

static int read_counters(int fd, int ncpus, __u32 n, size_t val_size, void *out)
{
	size_t per_key = ks_percpu_stride(val_size) * (size_t)ncpus;
	char *raw = malloc(n * per_key);
	int err;

	if (!raw)
		return -ENOMEM;
	err = ks_array_read(fd, 0, n, raw, per_key);
	if (!err)
		for (__u32 i = 0; i < n; i++)
			sum_percpu(raw + i * per_key, ncpus, val_size,
				   (__u64 *)((char *)out + i * val_size));
	free(raw);
	return err;
}

int ks_stats_reasons(const struct ks_maps *m, struct ks_counter out[KS_R_MAX])
{
	return read_counters(m->reason_stats, m->ncpus, KS_R_MAX, sizeof(out[0]), out);
}

int ks_stats_shards(const struct ks_maps *m, struct ks_counter out[KS_MAX_SHARDS])
{
	return read_counters(m->shard_stats, m->ncpus, KS_MAX_SHARDS, sizeof(out[0]), out);
}

int ks_stats_slot(const struct ks_maps *m, __u32 slot, struct ks_key_stats *out)
{
	size_t per_key = ks_percpu_stride(sizeof(*out)) * (size_t)m->ncpus;
	void *raw = malloc(per_key);
	int err = 0;

	if (!raw)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->key_stats, &slot, raw))
		err = -errno;
	else
		sum_percpu(raw, m->ncpus, sizeof(*out), (__u64 *)out);
	free(raw);
	return err;
}

int ks_stats_active(const struct ks_maps *m, __u32 *gen, struct ks_config *cfg)
{
	struct ks_active act;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->active, &zero, &act))
		return -errno;
	*gen = act.gen < KS_GENERATIONS ? act.gen : 0;
	if (cfg && bpf_map_lookup_elem(m->config, gen, cfg))
		return -errno;
	return 0;
}

struct key_walk {
	const __u64 *slot_packets;
	__u32 n_slots;
	struct ks_key_count *all;
	size_t n, cap;
};

static int collect_key(const void *key, const void *val, void *arg)
{
	const struct ks_route *r = val;
	struct key_walk *w = arg;

	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 1024;
		struct ks_key_count *all = realloc(w->all, cap * sizeof(*all));
		if (!all)
			return -ENOMEM;
		w->all = all;
		w->cap = cap;
	}
	memset(&w->all[w->n], 0, sizeof(w->all[0]));
	memcpy(&w->all[w->n].key, key, sizeof(w->all[w->n].key));
	w->all[w->n].slot = r->stats_slot;
	w->all[w->n].st.packets = r->stats_slot < w->n_slots ? w->slot_packets[r->stats_slot] : 0;
	w->n++;
	return 0;
}

static int by_packets(const void *a, const void *b)
{
	const struct ks_key_count *x = a, *y = b;

	if (x->st.packets != y->st.packets)
		return x->st.packets > y->st.packets ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

int ks_stats_top_keys(const struct ks_maps *m, __u32 gen, struct ks_key_count *out, size_t max,
		      size_t *n, size_t *total_keys)
{
	const __u32 chunk = 4096;
	size_t per_key = ks_percpu_stride(sizeof(struct ks_key_stats)) * (size_t)m->ncpus;
	struct key_walk w = {.n_slots = m->stats_slots};
	__u64 *packets = calloc(m->stats_slots ? m->stats_slots : 1, sizeof(*packets));
	char *raw = malloc(chunk * per_key);
	int err = 0;

	*n = 0;
	if (!packets || !raw) {
		err = -ENOMEM;
		goto out;
	}
	/* Packets per slot first, so only the winners' full counters are read. */
	for (__u32 first = 0; first < m->stats_slots && !err; first += chunk) {
		__u32 cnt = m->stats_slots - first < chunk ? m->stats_slots - first : chunk;

		err = ks_array_read(m->key_stats, first, cnt, raw, per_key);
		for (__u32 i = 0; !err && i < cnt; i++) {
			struct ks_key_stats st;
			sum_percpu(raw + i * per_key, m->ncpus, sizeof(st), (__u64 *)&st);
			packets[first + i] = st.packets;
		}
	}
	if (err)
		goto out;
	w.slot_packets = packets;
	err = ks_map_walk(m->routes[gen & (KS_GENERATIONS - 1)], sizeof(__u64),
			  sizeof(struct ks_route), collect_key, &w);
	if (err)
		goto out;
	if (w.n)
		qsort(w.all, w.n, sizeof(w.all[0]), by_packets);
	for (size_t i = 0; i < w.n && i < max; i++) {
		out[i] = w.all[i];
		err = ks_stats_slot(m, out[i].slot, &out[i].st);
		if (err)
			goto out;
		(*n)++;
	}
	if (total_keys)
		*total_keys = w.n;
out:
	free(w.all);
	free(packets);
	free(raw);
	return err;
}
