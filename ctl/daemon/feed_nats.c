/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nats://HOST:PORT/BUCKET/KEY feed: a JetStream key-value watch.
 *
 * libnats calls back on its own threads and kvWatcher_Next() blocks, so a
 * follower thread owns the connection set-up and the watch; it queues each
 * new revision and writes an eventfd, and the loop's thread applies it. After
 * a reconnect (the server restarted), the watcher is created again: a new
 * watch first delivers the key's current value, so the daemon catches up to
 * the latest revision; revisions already seen are dropped. Acks are
 * published from the loop's thread on keysteer.ack.<host>. Rollback reads
 * the key's history (kvStore_History): keep enough of it in the bucket
 * (its `history` setting, at most 64).
 */
#include <errno.h>
#include <inttypes.h>
#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon/feed.h"
#include "daemon/log.h"

#define NEXT_TIMEOUT_MS 500 /* how often the follower looks at stop/reconnect */
#define RETRY_MS	500

enum item_kind { ITEM_VALUE, ITEM_DELETED };

struct nats_item {
	struct nats_item *next;
	enum item_kind kind;
	uint64_t rev;
	struct ksd_text *data; /* handed to the applier as is */
};

struct nats_feed {
	struct ks_feed feed;
	char *uri, *url, *bucket, *key, *ack_subject, *host_id;
	struct ks_loop *loop;
	ks_feed_deliver_fn deliver;
	void *arg;
	int efd;
	struct ks_loop_watch *ewatch;
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;
	atomic_uint reconnect_gen;
	atomic_uint_fast64_t reconnects, disconnects, watch_starts;

	/*
	 * libnats runs the connection's callbacks on its own thread, even
	 * after natsConnection_Destroy returns: close waits for the closed
	 * callback (the last one) before freeing what the callbacks use.
	 */
	pthread_mutex_t closed_mu;
	pthread_cond_t closed_cv;
	bool closed;
	pthread_mutex_t mu; /* guards everything below */
	struct nats_item *head, *tail;
	natsConnection *nc;
	jsCtx *js;
	kvStore *kv;
	kvWatcher *watcher;
	char state[96];
	uint64_t last_rev_seen;

	/* loop thread only */
	uint64_t delivered_rev;
	uint64_t acks_sent, ack_errors;
};

static void set_state(struct nats_feed *nf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_state(struct nats_feed *nf, const char *fmt, ...)
{
	char buf[96];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&nf->mu);
	bool changed = strcmp(buf, nf->state) != 0;
	memcpy(nf->state, buf, sizeof(buf));
	pthread_mutex_unlock(&nf->mu);
	if (changed)
		ks_info("feed %s: %s", nf->uri, buf);
}

static void sleep_ms(struct nats_feed *nf, int ms)
{
	/* Short naps so stop is noticed quickly. */
	for (int left = ms; left > 0 && !atomic_load(&nf->stop); left -= 50) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

static void push_item(struct nats_feed *nf, struct nats_item *it)
{
	pthread_mutex_lock(&nf->mu);
	if (nf->tail)
		nf->tail->next = it;
	else
		nf->head = it;
	nf->tail = it;
	pthread_mutex_unlock(&nf->mu);
	uint64_t one = 1;
	if (write(nf->efd, &one, sizeof(one)) < 0)
		ks_err("feed %s: eventfd write: %s", nf->uri, strerror(errno));
}

static void on_disconnected(natsConnection *nc, void *closure)
{
	struct nats_feed *nf = closure;
	(void)nc;
	atomic_fetch_add(&nf->disconnects, 1);
	set_state(nf, "disconnected; reconnecting");
}

static void on_reconnected(natsConnection *nc, void *closure)
{
	struct nats_feed *nf = closure;
	(void)nc;
	atomic_fetch_add(&nf->reconnects, 1);
	/* The follower re-creates its watcher to resubscribe and catch up. */
	atomic_fetch_add(&nf->reconnect_gen, 1);
	set_state(nf, "reconnected; re-creating the watch");
}

static void on_closed(natsConnection *nc, void *closure)
{
	struct nats_feed *nf = closure;
	(void)nc;
	pthread_mutex_lock(&nf->closed_mu);
	nf->closed = true;
	pthread_cond_signal(&nf->closed_cv);
	pthread_mutex_unlock(&nf->closed_mu);
}

/* Close nc and wait (bounded) until libnats has run its last callback. */
static void close_connection(struct nats_feed *nf)
{
	struct timespec deadline;

	natsConnection_FlushTimeout(nf->nc, 500);
	natsConnection_Close(nf->nc);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 5;
	pthread_mutex_lock(&nf->closed_mu);
	while (!nf->closed)
		if (pthread_cond_timedwait(&nf->closed_cv, &nf->closed_mu, &deadline) == ETIMEDOUT)
			break;
	if (!nf->closed)
		ks_warn("feed %s: NATS closed callback not seen within 5 s", nf->uri);
	pthread_mutex_unlock(&nf->closed_mu);
	natsConnection_Destroy(nf->nc);
}

static natsConnection *connect_until_stopped(struct nats_feed *nf)
{
	natsOptions *opts = NULL;
	natsConnection *nc = NULL;
	if (natsOptions_Create(&opts) != NATS_OK)
		return NULL;
	natsOptions_SetURL(opts, nf->url);
	natsOptions_SetTimeout(opts, 1000);
	natsOptions_SetMaxReconnect(opts, -1); /* forever: the feed must come back */
	natsOptions_SetReconnectWait(opts, 250);
	natsOptions_SetPingInterval(opts, 2000);
	natsOptions_SetMaxPingsOut(opts, 2);
	natsOptions_SetDisconnectedCB(opts, on_disconnected, nf);
	natsOptions_SetReconnectedCB(opts, on_reconnected, nf);
	natsOptions_SetClosedCB(opts, on_closed, nf);
	while (!atomic_load(&nf->stop)) {
		natsStatus s = natsConnection_Connect(&nc, opts);
		if (s == NATS_OK)
			break;
		set_state(nf, "cannot connect to %s: %s; retrying", nf->url, natsStatus_GetText(s));
		nc = NULL;
		sleep_ms(nf, RETRY_MS);
	}
	natsOptions_Destroy(opts);
	return nc;
}

static bool open_bucket(struct nats_feed *nf)
{
	jsCtx *js = NULL;
	kvStore *kv = NULL;
	if (natsConnection_JetStream(&js, nf->nc, NULL) != NATS_OK)
		return false;
	while (!atomic_load(&nf->stop)) {
		natsStatus s = js_KeyValue(&kv, js, nf->bucket);
		if (s == NATS_OK)
			break;
		set_state(nf, "bucket %s not available: %s; retrying", nf->bucket,
			  natsStatus_GetText(s));
		kv = NULL;
		sleep_ms(nf, RETRY_MS);
	}
	pthread_mutex_lock(&nf->mu);
	nf->js = js;
	nf->kv = kv;
	pthread_mutex_unlock(&nf->mu);
	return kv != NULL;
}

static void drop_watcher(struct nats_feed *nf)
{
	pthread_mutex_lock(&nf->mu);
	kvWatcher *w = nf->watcher;
	nf->watcher = NULL;
	pthread_mutex_unlock(&nf->mu);
	if (w)
		kvWatcher_Destroy(w);
}

static void handle_entry(struct nats_feed *nf, kvEntry *e, bool initial)
{
	uint64_t rev = kvEntry_Revision(e);
	pthread_mutex_lock(&nf->mu);
	uint64_t last = nf->last_rev_seen;
	/*
	 * After a re-created watch the current value comes again: drop what was
	 * seen. A smaller revision as the initial value means the stream was
	 * recreated on the server; take it (the version check still guards).
	 */
	bool skip = initial ? rev == last : rev <= last;
	if (!skip)
		nf->last_rev_seen = rev;
	pthread_mutex_unlock(&nf->mu);
	if (skip)
		return;
	struct nats_item *it = calloc(1, sizeof(*it));
	if (!it)
		return;
	it->rev = rev;
	if (kvEntry_Operation(e) == kvOp_Put) {
		it->kind = ITEM_VALUE;
		it->data = ksd_text_copy(kvEntry_Value(e), (size_t)kvEntry_ValueLen(e));
		if (!it->data) {
			free(it);
			return;
		}
	} else {
		it->kind = ITEM_DELETED;
	}
	push_item(nf, it);
}

static void *follower(void *arg)
{
	struct nats_feed *nf = arg;

	set_state(nf, "connecting to %s", nf->url);
	natsConnection *nc = connect_until_stopped(nf);
	if (!nc)
		return NULL;
	pthread_mutex_lock(&nf->mu);
	nf->nc = nc;
	pthread_mutex_unlock(&nf->mu);
	if (!open_bucket(nf))
		return NULL;

	unsigned gen_seen = 0;
	bool initial = false;
	while (!atomic_load(&nf->stop)) {
		if (!nf->watcher) {
			kvWatchOptions wo;
			kvWatcher *w = NULL;
			kvWatchOptions_Init(&wo);
			gen_seen = atomic_load(&nf->reconnect_gen);
			natsStatus s = kvStore_Watch(&w, nf->kv, nf->key, &wo);
			if (s != NATS_OK) {
				set_state(nf, "cannot watch %s/%s: %s; retrying", nf->bucket,
					  nf->key, natsStatus_GetText(s));
				sleep_ms(nf, RETRY_MS);
				continue;
			}
			pthread_mutex_lock(&nf->mu);
			nf->watcher = w;
			pthread_mutex_unlock(&nf->mu);
			atomic_fetch_add(&nf->watch_starts, 1);
			initial = true;
		}
		kvEntry *e = NULL;
		natsStatus s = kvWatcher_Next(&e, nf->watcher, NEXT_TIMEOUT_MS);
		if (s == NATS_TIMEOUT) {
			if (atomic_load(&nf->reconnect_gen) != gen_seen)
				drop_watcher(nf);
			continue;
		}
		if (s != NATS_OK) {
			if (atomic_load(&nf->stop))
				break;
			set_state(nf, "watch ended: %s; re-creating", natsStatus_GetText(s));
			drop_watcher(nf);
			sleep_ms(nf, RETRY_MS / 5);
			continue;
		}
		if (!e) {
			/* End of the initial values: from here on, live revisions. */
			initial = false;
			set_state(nf, "watching %s/%s", nf->bucket, nf->key);
			continue;
		}
		handle_entry(nf, e, initial);
		initial = false;
		kvEntry_Destroy(e);
	}
	drop_watcher(nf);
	return NULL;
}

/* Loop thread: take what the follower queued and apply the newest value. */
static void on_eventfd(struct ks_loop *loop, struct ks_loop_watch *w, int fd, uint32_t revents,
		       void *arg)
{
	struct nats_feed *nf = arg;
	uint64_t n;
	(void)loop;
	(void)w;
	(void)revents;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_mutex_lock(&nf->mu);
	struct nats_item *list = nf->head;
	nf->head = nf->tail = NULL;
	pthread_mutex_unlock(&nf->mu);

	/* Catch-up: only the newest value matters; older ones are superseded. */
	struct nats_item *newest = NULL;
	for (struct nats_item *it = list; it; it = it->next) {
		if (it->kind == ITEM_DELETED) {
			ks_warn("feed %s: key deleted or purged at revision %" PRIu64
				"; the active rules stay",
				nf->uri, it->rev);
			newest = NULL;
		} else {
			if (newest)
				ks_debug("feed %s: revision %" PRIu64 " superseded by %" PRIu64,
					 nf->uri, newest->rev, it->rev);
			newest = it;
		}
	}
	if (newest) {
		char source[512];
		snprintf(source, sizeof(source), "%s@%" PRIu64, nf->uri, newest->rev);
		nf->delivered_rev = newest->rev;
		nf->deliver(nf->arg, newest->data, NULL, source, newest->rev);
	}
	while (list) {
		struct nats_item *next = list->next;
		ksd_text_unref(list->data);
		free(list);
		list = next;
	}
}

static void nats_reread(struct ks_feed *f)
{
	struct nats_feed *nf = f->priv;
	/* Re-create the watch: its first value is the key's current revision. */
	pthread_mutex_lock(&nf->mu);
	nf->last_rev_seen = 0;
	pthread_mutex_unlock(&nf->mu);
	atomic_fetch_add(&nf->reconnect_gen, 1);
}

static int nats_fetch_version(struct ks_feed *f, uint64_t version, uint64_t below, char **text,
			      size_t *len, char **source)
{
	struct nats_feed *nf = f->priv;
	pthread_mutex_lock(&nf->mu);
	kvStore *kv = nf->kv;
	pthread_mutex_unlock(&nf->mu);
	if (!kv)
		return -ENOTCONN;

	kvEntryList list = {0};
	kvWatchOptions wo;
	kvWatchOptions_Init(&wo);
	wo.Timeout = 3000;
	natsStatus s = kvStore_History(&list, kv, nf->key, &wo);
	if (s != NATS_OK)
		return s == NATS_NOT_FOUND ? -ENOENT : -EIO;
	int best = -1;
	uint64_t best_version = 0;
	for (int i = 0; i < list.Count; i++) {
		kvEntry *e = list.Entries[i];
		if (kvEntry_Operation(e) != kvOp_Put)
			continue;
		uint64_t v = ks_feed_doc_version(kvEntry_Value(e), (size_t)kvEntry_ValueLen(e));
		if (!v)
			continue;
		bool match = version ? v == version : (v < below && v >= best_version);
		/* Later revisions win among equal versions. */
		if (match) {
			best = i;
			best_version = v;
		}
	}
	int rc = -ENOENT;
	if (best >= 0) {
		kvEntry *e = list.Entries[best];
		*len = (size_t)kvEntry_ValueLen(e);
		*text = malloc(*len + 1);
		if (*text) {
			memcpy(*text, kvEntry_Value(e), *len);
			(*text)[*len] = '\0';
			char src[512];
			snprintf(src, sizeof(src), "%s@%" PRIu64 " (history)", nf->uri,
				 kvEntry_Revision(e));
			*source = strdup(src);
			rc = 0;
		} else {
			rc = -ENOMEM;
		}
	}
	kvEntryList_Destroy(&list);
	return rc;
}

static void nats_ack(struct ks_feed *f, const struct ks_attempt *a)
{
	struct nats_feed *nf = f->priv;
	pthread_mutex_lock(&nf->mu);
	natsConnection *nc = nf->nc;
	pthread_mutex_unlock(&nf->mu);
	if (!nc)
		return;
	json_t *o = json_object();
	json_object_set_new(o, "host", json_string(nf->host_id));
	json_object_set_new(o, "version",
			    a->has_version ? json_integer((json_int_t)a->version) : json_null());
	json_object_set_new(o, "result", json_string(ks_apply_result_name(a->result)));
	json_object_set(o, "errors", a->errors);
	json_object_set_new(o, "time_ms", json_integer(a->time_ms));
	json_object_set_new(o, "source", json_string(a->source));
	json_object_set_new(o, "rollback", json_boolean(a->rollback));
	if (a->revision)
		json_object_set_new(o, "revision", json_integer((json_int_t)a->revision));
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return;
	/* Buffered by libnats while reconnecting. */
	natsStatus st = natsConnection_Publish(nc, nf->ack_subject, s, (int)strlen(s));
	free(s);
	if (st == NATS_OK) {
		natsConnection_FlushTimeout(nc, 1000);
		nf->acks_sent++;
	} else {
		nf->ack_errors++;
		ks_warn("feed %s: ack on %s failed: %s", nf->uri, nf->ack_subject,
			natsStatus_GetText(st));
	}
}

static json_t *nats_status(struct ks_feed *f)
{
	struct nats_feed *nf = f->priv;
	json_t *o = json_object();
	json_object_set_new(o, "uri", json_string(nf->uri));
	json_object_set_new(o, "kind", json_string("nats"));
	pthread_mutex_lock(&nf->mu);
	json_object_set_new(o, "state", json_string(nf->state));
	json_object_set_new(o, "last_revision", json_integer((json_int_t)nf->last_rev_seen));
	pthread_mutex_unlock(&nf->mu);
	json_object_set_new(o, "applied_revision", json_integer((json_int_t)nf->delivered_rev));
	json_object_set_new(o, "reconnects",
			    json_integer((json_int_t)atomic_load(&nf->reconnects)));
	json_object_set_new(o, "disconnects",
			    json_integer((json_int_t)atomic_load(&nf->disconnects)));
	json_object_set_new(o, "watch_starts",
			    json_integer((json_int_t)atomic_load(&nf->watch_starts)));
	json_object_set_new(o, "ack_subject", json_string(nf->ack_subject));
	json_object_set_new(o, "acks_sent", json_integer((json_int_t)nf->acks_sent));
	json_object_set_new(o, "ack_errors", json_integer((json_int_t)nf->ack_errors));
	return o;
}

static void nats_close(struct ks_feed *f)
{
	struct nats_feed *nf = f->priv;
	atomic_store(&nf->stop, true);
	pthread_mutex_lock(&nf->mu);
	if (nf->watcher)
		kvWatcher_Stop(nf->watcher); /* wakes kvWatcher_Next */
	pthread_mutex_unlock(&nf->mu);
	if (nf->thread_started)
		pthread_join(nf->thread, NULL);
	ks_loop_del(nf->loop, nf->ewatch);
	if (nf->efd >= 0)
		close(nf->efd);
	if (nf->kv)
		kvStore_Destroy(nf->kv);
	if (nf->js)
		jsCtx_Destroy(nf->js);
	if (nf->nc)
		close_connection(nf);
	while (nf->head) {
		struct nats_item *next = nf->head->next;
		ksd_text_unref(nf->head->data);
		free(nf->head);
		nf->head = next;
	}
	pthread_mutex_destroy(&nf->mu);
	pthread_mutex_destroy(&nf->closed_mu);
	pthread_cond_destroy(&nf->closed_cv);
	free(nf->uri);
	free(nf->url);
	free(nf->bucket);
	free(nf->key);
	free(nf->ack_subject);
	free(nf->host_id);
	free(nf);
}

static const struct ks_feed_ops nats_ops = {
    .reread = nats_reread,
    .fetch_version = nats_fetch_version,
    .ack = nats_ack,
    .status = nats_status,
    .close = nats_close,
};

/* nats://HOST:PORT/BUCKET/KEY -> url "nats://HOST:PORT", bucket, key. */
static int parse_uri(struct nats_feed *nf, const char *uri)
{
	const char *p = uri + strlen("nats://");
	const char *slash = strchr(p, '/');
	if (!slash || slash == p)
		return -1;
	const char *slash2 = strchr(slash + 1, '/');
	if (!slash2 || slash2 == slash + 1 || !slash2[1] || strchr(slash2 + 1, '/'))
		return -1;
	nf->url = strndup(uri, (size_t)(slash - uri));
	nf->bucket = strndup(slash + 1, (size_t)(slash2 - slash - 1));
	nf->key = strdup(slash2 + 1);
	return 0;
}

/* Host names may hold dots, which would split the subject: use '_'. */
static char *ack_subject_for(const char *host)
{
	char *s;
	if (asprintf(&s, "keysteer.ack.%s", host) < 0)
		return NULL;
	for (char *p = s + strlen("keysteer.ack."); *p; p++)
		if (*p == '.' || *p == '*' || *p == '>' || *p == ' ')
			*p = '_';
	return s;
}

struct ks_feed *ks_feed_nats_open(const char *uri, struct ks_loop *loop, ks_feed_deliver_fn deliver,
				  void *arg, const char *host_id, char *err, size_t errlen)
{
	struct nats_feed *nf = calloc(1, sizeof(*nf));
	if (!nf)
		return NULL;
	nf->feed.ops = &nats_ops;
	nf->feed.priv = nf;
	nf->loop = loop;
	nf->deliver = deliver;
	nf->arg = arg;
	nf->efd = -1;
	pthread_mutex_init(&nf->mu, NULL);
	pthread_mutex_init(&nf->closed_mu, NULL);
	pthread_cond_init(&nf->closed_cv, NULL);
	snprintf(nf->state, sizeof(nf->state), "starting");
	nf->uri = strdup(uri);
	nf->host_id = strdup(host_id);
	nf->ack_subject = ack_subject_for(host_id);
	if (parse_uri(nf, uri) < 0) {
		snprintf(err, errlen, "feed %s: expected nats://HOST:PORT/BUCKET/KEY", uri);
		goto fail;
	}
	nf->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (nf->efd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	nf->ewatch = ks_loop_add(loop, nf->efd, POLLIN, on_eventfd, nf);
	if (!nf->ewatch) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		goto fail;
	}
	int rc = pthread_create(&nf->thread, NULL, follower, nf);
	if (rc) {
		snprintf(err, errlen, "thread: %s", strerror(rc));
		goto fail;
	}
	nf->thread_started = true;
	ks_info("following feed %s (acks on %s)", uri, nf->ack_subject);
	return &nf->feed;
fail:
	nats_close(&nf->feed);
	return NULL;
}
