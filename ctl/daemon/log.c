/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum ks_log_level current_level = KS_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};
/* sd-daemon(3) priorities for journald: err, warning, info, debug. */
static const int journal_prio[] = {3, 4, 6, 7};

int ks_log_level_parse(const char *s)
{
	for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	if (strcmp(s, "warning") == 0)
		return KS_LOG_WARN;
	return -1;
}

void ks_log_set_level(enum ks_log_level level)
{
	current_level = level;
}

enum ks_log_level ks_log_get_level(void)
{
	return current_level;
}

void ks_log(enum ks_log_level level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (level > current_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (getenv("JOURNAL_STREAM")) {
		/* journald adds its own timestamp. */
		fprintf(stderr, "<%d>%s\n", journal_prio[level], msg);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld keysteerd %s: %s\n", stamp, ts.tv_nsec / 1000000,
		level_names[level], msg);
}
