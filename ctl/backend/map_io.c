/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend/map_io.h"

#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

int ks_map_write(int fd, const void *keys, size_t key_size, const void *vals, size_t val_size,
		 __u32 n, __u32 *calls)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = 0, .flags = 0);
	__u32 done = 0;

	while (done < n) {
		__u32 cnt = n - done < KS_BATCH_CHUNK ? n - done : KS_BATCH_CHUNK;
		int err;

		if (cnt == 1)
			err = bpf_map_update_elem(fd, (const char *)keys + (size_t)done * key_size,
						  (const char *)vals + (size_t)done * val_size,
						  BPF_ANY);
		else
			err = bpf_map_update_batch(fd, (const char *)keys + (size_t)done * key_size,
						   (const char *)vals + (size_t)done * val_size,
						   &cnt, &opts);
		(*calls)++;
		if (err)
			return -errno;
		done += cnt;
	}
	return 0;
}

struct write_part {
	int fd;
	const void *keys, *vals;
	size_t key_size, val_size;
	__u32 n, calls;
	int err;
};

static void *write_part(void *arg)
{
	struct write_part *w = arg;

	w->err = ks_map_write(w->fd, w->keys, w->key_size, w->vals, w->val_size, w->n, &w->calls);
	return NULL;
}

int ks_map_write_par(int fd, const void *keys, size_t key_size, const void *vals, size_t val_size,
		     __u32 n, unsigned threads, __u32 *calls)
{
	struct write_part part[KS_PAR_WRITE_MAX];
	pthread_t tid[KS_PAR_WRITE_MAX];
	bool started[KS_PAR_WRITE_MAX] = {false};
	int err = 0;

	if (threads > KS_PAR_WRITE_MAX)
		threads = KS_PAR_WRITE_MAX;
	if (threads <= 1 || n < KS_PAR_WRITE_MIN)
		return ks_map_write(fd, keys, key_size, vals, val_size, n, calls);
	for (unsigned i = 0; i < threads; i++) {
		__u32 first = (__u32)((__u64)n * i / threads);
		__u32 end = (__u32)((__u64)n * (i + 1) / threads);

		part[i] = (struct write_part){
		    .fd = fd,
		    .keys = (const char *)keys + (size_t)first * key_size,
		    .vals = (const char *)vals + (size_t)first * val_size,
		    .key_size = key_size,
		    .val_size = val_size,
		    .n = end - first,
		};
	}
	/* Part 0 is the caller's; a part whose thread did not start is too. */
	for (unsigned i = 1; i < threads; i++)
		started[i] = pthread_create(&tid[i], NULL, write_part, &part[i]) == 0;
	write_part(&part[0]);
	for (unsigned i = 1; i < threads; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			write_part(&part[i]);
	}
	for (unsigned i = 0; i < threads; i++) {
		*calls += part[i].calls;
		if (part[i].err && !err)
			err = part[i].err;
	}
	return err;
}

int ks_map_delete(int fd, const void *keys, size_t key_size, __u32 n, __u32 *calls)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 done = 0;

	while (done < n) {
		__u32 cnt = n - done < KS_BATCH_CHUNK ? n - done : KS_BATCH_CHUNK;
		const char *k = (const char *)keys + (size_t)done * key_size;
		int err;

		if (cnt == 1) {
			err = bpf_map_delete_elem(fd, k);
			(*calls)++;
			if (err && errno != ENOENT)
				return -errno;
			done++;
			continue;
		}
		err = bpf_map_delete_batch(fd, k, &cnt, &opts);
		(*calls)++;
		if (err) {
			if (errno != ENOENT)
				return -errno;
			/* cnt keys went; the next one was absent: skip it. */
			done += cnt + 1;
			continue;
		}
		done += cnt;
	}
	return 0;
}

int ks_map_walk(int fd, size_t key_size, size_t val_size,
		int (*fn)(const void *key, const void *val, void *arg), void *arg)
{
	const __u32 chunk = 8192;
	char *keys = malloc(chunk * key_size), *vals = malloc(chunk * val_size);
	__u64 token_in = 0, token_out = 0;
	int first = 1, ret = 0;

	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 cnt = chunk;
		int err = bpf_map_lookup_batch(fd, first ? NULL : &token_in, &token_out, keys, vals,
					       &cnt, NULL);
		int end = err && errno == ENOENT;

		if (err && !end) {
			ret = -errno;
			break;
		}
		for (__u32 i = 0; i < cnt; i++) {
			ret = fn(keys + i * key_size, vals + i * val_size, arg);
			if (ret)
				goto out;
		}
		if (end)
			break;
		token_in = token_out;
		first = 0;
	}
out:
	free(keys);
	free(vals);
	return ret;
}

int ks_array_read(int fd, __u32 first, __u32 n, void *vals, size_t val_size)
{
	__u32 *keys = malloc((n ? n : 1) * sizeof(*keys));
	__u32 done = 0;
	int ret = 0;

	if (!keys)
		return -ENOMEM;
	while (done < n) {
		/* The batch token is the key before the first one wanted. */
		__u32 prev = first + done - 1, out_tok = 0, cnt = n - done;
		int err =
		    bpf_map_lookup_batch(fd, first + done ? &prev : NULL, &out_tok, keys + done,
					 (char *)vals + (size_t)done * val_size, &cnt, NULL);

		if (err && errno != ENOENT) {
			ret = -errno;
			break;
		}
		done += cnt;
		if (err || cnt == 0) {
			if (done < n)
				ret = -ERANGE;
			break;
		}
	}
	free(keys);
	return ret;
}

int ks_percpu_zero(int fd, const __u32 *idx, __u32 n, size_t val_size, int ncpus, __u32 *calls)
{
	const __u32 chunk = 4096;
	size_t per_key = ks_percpu_stride(val_size) * (size_t)ncpus;
	void *zeros;
	__u32 done = 0;
	int ret = 0;

	if (n == 0)
		return 0;
	zeros = calloc(n < chunk ? n : chunk, per_key);
	if (!zeros)
		return -ENOMEM;
	while (done < n) {
		__u32 cnt = n - done < chunk ? n - done : chunk;

		ret = ks_map_write(fd, idx + done, sizeof(*idx), zeros, per_key, cnt, calls);
		if (ret)
			break;
		done += cnt;
	}
	free(zeros);
	return ret;
}
