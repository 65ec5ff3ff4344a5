/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small NATS client for the daemon's tests (libnats, like keysteerd):
 *   nats_tool put URL BUCKET KEY FILE   create the bucket (history 16) if
 *                                       needed and put FILE as KEY's value;
 *                                       prints the revision
 *   nats_tool del URL BUCKET KEY        delete KEY
 *   nats_tool sub URL SUBJECT OUT SECS  append each message on SUBJECT to
 *                                       OUT, one per line, for SECS seconds
 *                                       (writes OUT.ready once subscribed)
 */
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int die(const char *what, natsStatus s)
{
	fprintf(stderr, "nats_tool: %s: %s\n", what, natsStatus_GetText(s));
	return 1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int kv_open(const char *url, const char *bucket, natsConnection **nc, jsCtx **js,
		   kvStore **kv)
{
	natsStatus s = natsConnection_ConnectTo(nc, url);
	if (s != NATS_OK)
		return die("connect", s);
	if ((s = natsConnection_JetStream(js, *nc, NULL)) != NATS_OK)
		return die("jetstream", s);
	if (js_KeyValue(kv, *js, bucket) == NATS_OK)
		return 0;
	kvConfig cfg;
	kvConfig_Init(&cfg);
	cfg.Bucket = bucket;
	cfg.History = 16;
	if ((s = js_CreateKeyValue(kv, *js, &cfg)) != NATS_OK)
		return die("create bucket", s);
	return 0;
}

int main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	kvStore *kv = NULL;
	natsStatus s;
	int rc = 0;

	if (argc == 6 && strcmp(argv[1], "put") == 0) {
		size_t len;
		char *val = slurp(argv[5], &len);
		if (!val) {
			perror(argv[5]);
			return 1;
		}
		if ((rc = kv_open(argv[2], argv[3], &nc, &js, &kv)) == 0) {
			uint64_t rev = 0;
			s = kvStore_Put(&rev, kv, argv[4], val, (int)len);
			if (s != NATS_OK)
				rc = die("put", s);
			else
				printf("%llu\n", (unsigned long long)rev);
		}
		free(val);
	} else if (argc == 5 && strcmp(argv[1], "del") == 0) {
		if ((rc = kv_open(argv[2], argv[3], &nc, &js, &kv)) == 0 &&
		    (s = kvStore_Delete(kv, argv[4])) != NATS_OK)
			rc = die("delete", s);
	} else if (argc == 6 && strcmp(argv[1], "sub") == 0) {
		natsSubscription *sub = NULL;
		natsOptions *o = NULL;
		natsOptions_Create(&o);
		natsOptions_SetURL(o, argv[2]);
		natsOptions_SetMaxReconnect(o, -1);
		natsOptions_SetReconnectWait(o, 100);
		natsOptions_SetRetryOnFailedConnect(o, true, NULL, NULL);
		if ((s = natsConnection_Connect(&nc, o)) != NATS_OK)
			return die("connect", s);
		if ((s = natsConnection_SubscribeSync(&sub, nc, argv[3])) != NATS_OK)
			return die("subscribe", s);
		natsConnection_Flush(nc);
		char ready[1024];
		snprintf(ready, sizeof(ready), "%s.ready", argv[4]);
		fclose(fopen(ready, "w"));
		time_t end = time(NULL) + atoi(argv[5]);
		while (time(NULL) < end) {
			natsMsg *m = NULL;
			if (natsSubscription_NextMsg(&m, sub, 200) != NATS_OK)
				continue;
			FILE *f = fopen(argv[4], "a");
			if (f) {
				fprintf(f, "%.*s\n", natsMsg_GetDataLength(m), natsMsg_GetData(m));
				fclose(f);
			}
			natsMsg_Destroy(m);
		}
		natsSubscription_Destroy(sub);
		natsOptions_Destroy(o);
	} else {
		fprintf(stderr, "usage: nats_tool put URL BUCKET KEY FILE | del URL BUCKET KEY | "
				"sub URL SUBJECT OUT SECS\n");
		return 2;
	}
	if (kv)
		kvStore_Destroy(kv);
	if (js)
		jsCtx_Destroy(js);
	if (nc)
		natsConnection_Destroy(nc);
	nats_Close();
	return rc;
}
