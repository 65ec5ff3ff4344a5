/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "daemon/feed.h"

struct ks_feed *ks_feed_open(const char *uri, struct ks_loop *loop, ks_feed_deliver_fn deliver,
			     void *arg, const char *host_id, char *err, size_t errlen)
{
	if (strncmp(uri, "file:", 5) == 0 && uri[5])
		return ks_feed_file_open(uri + 5, loop, deliver, arg, err, errlen);
	if (strncmp(uri, "nats://", 7) == 0)
		return ks_feed_nats_open(uri, loop, deliver, arg, host_id, err, errlen);
	snprintf(err, errlen, "feed %s: expected file:PATH or nats://HOST:PORT/BUCKET/KEY", uri);
	return NULL;
}

uint64_t ks_feed_doc_version(const char *text, size_t len)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr);
	uint64_t v = 0;
	if (doc) {
		json_t *jv = json_object_get(doc, "version");
		if (json_is_integer(jv) && json_integer_value(jv) > 0)
			v = (uint64_t)json_integer_value(jv);
		json_decref(doc);
	}
	return v;
}
