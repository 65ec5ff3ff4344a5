/* SPDX-License-Identifier: BSD-3-Clause */
#include "flowcache.h"

#include <string.h>
#include <emmintrin.h>

static inline uint64_t fc_hash(const void *key, size_t n)
{
	const uint8_t *p = key;
	uint64_t h = 0x6b73666c6f777321ULL; /* "ksflows!" */

	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	if (n & 7) {
		uint64_t w = 0;

		memcpy(&w, p + (n & ~(size_t)7), n & 7);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 32);
}

size_t flowcache_bytes(uint32_t entries)
{
	uint32_t buckets = 1;

	while ((uint64_t)buckets * FC_WAYS < entries)
		buckets <<= 1;
	return (size_t)buckets * sizeof(struct fc_bucket);
}

void flowcache_init(struct flowcache *fc, void *mem, uint32_t entries, uint16_t key_size,
		    uint16_t val_size, volatile uint32_t *clock, int fresh)
{
	fc->b = mem;
	fc->mask = (uint32_t)(flowcache_bytes(entries) / sizeof(struct fc_bucket)) - 1;
	fc->key_size = key_size;
	fc->val_size = val_size;
	fc->clock = clock;
	if (fresh) {
		flowcache_clear(fc);
		return;
	}
	for (uint32_t i = 0; i <= fc->mask; i++) {
		fc->b[i].lock = 0;
		fc->b[i].seq &= ~1u;
		/* The new process's clock starts at 0: every entry equally old. */
		for (int w = 0; w < FC_WAYS; w++)
			fc->b[i].stamp[w] = 0;
	}
}

void flowcache_clear(struct flowcache *fc)
{
	memset(fc->b, 0, ((size_t)fc->mask + 1) * sizeof(struct fc_bucket));
}

static inline struct fc_bucket *bucket_of(const struct flowcache *fc, const void *key,
					  uint32_t *tag)
{
	uint64_t h = fc_hash(key, fc->key_size);

	*tag = (uint32_t)(h >> 32) | 1;
	return &fc->b[(uint32_t)h & fc->mask];
}

int flowcache_get(const struct flowcache *fc, const void *key, void *val)
{
	uint32_t tag, s1, now = *fc->clock;
	struct fc_bucket *b = bucket_of(fc, key, &tag);

	for (;;) {
		int found = -1;

		s1 = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1) {
			_mm_pause();
			continue;
		}
		for (int w = 0; w < FC_WAYS; w++) {
			if (__atomic_load_n(&b->tag[w], __ATOMIC_RELAXED) == tag &&
			    !memcmp(b->e[w].key, key, fc->key_size)) {
				memcpy(val, b->e[w].val, fc->val_size);
				found = w;
				break;
			}
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&b->seq, __ATOMIC_RELAXED) != s1)
			continue;
		if (found < 0)
			return 0;
		/* Recently used: a racy store is fine, the stamp is only a hint. */
		if (b->stamp[found] != now)
			__atomic_store_n(&b->stamp[found], now, __ATOMIC_RELAXED);
		return 1;
	}
}

static void bucket_lock(struct fc_bucket *b)
{
	uint32_t unlocked = 0;

	while (!__atomic_compare_exchange_n(&b->lock, &unlocked, 1, 0, __ATOMIC_ACQUIRE,
					    __ATOMIC_RELAXED)) {
		unlocked = 0;
		_mm_pause();
	}
	__atomic_store_n(&b->seq, b->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void bucket_unlock(struct fc_bucket *b)
{
	__atomic_store_n(&b->seq, b->seq + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&b->lock, 0, __ATOMIC_RELEASE);
}

static int find_way(const struct flowcache *fc, const struct fc_bucket *b, const void *key,
		    uint32_t tag)
{
	for (int w = 0; w < FC_WAYS; w++)
		if (b->tag[w] == tag && !memcmp(b->e[w].key, key, fc->key_size))
			return w;
	return -1;
}

void flowcache_put(struct flowcache *fc, const void *key, const void *val)
{
	uint32_t tag;
	struct fc_bucket *b = bucket_of(fc, key, &tag);
	int w;

	bucket_lock(b);
	w = find_way(fc, b, key, tag);
	if (w < 0) {
		/* An empty way, else the least recently used (oldest stamp). */
		uint32_t now = *fc->clock;

		w = 0;
		for (int i = 0; i < FC_WAYS; i++) {
			if (!b->tag[i]) {
				w = i;
				break;
			}
			if ((int32_t)(now - b->stamp[i]) > (int32_t)(now - b->stamp[w]))
				w = i;
		}
	}
	memcpy(b->e[w].key, key, fc->key_size);
	memcpy(b->e[w].val, val, fc->val_size);
	b->tag[w] = tag;
	b->stamp[w] = *fc->clock;
	bucket_unlock(b);
}

int flowcache_set_byte(struct flowcache *fc, const void *key, size_t off, uint8_t byte)
{
	uint32_t tag;
	struct fc_bucket *b = bucket_of(fc, key, &tag);
	int w;

	if (off >= fc->val_size)
		return 0;
	bucket_lock(b);
	w = find_way(fc, b, key, tag);
	if (w >= 0)
		b->e[w].val[off] = byte;
	bucket_unlock(b);
	return w >= 0;
}
