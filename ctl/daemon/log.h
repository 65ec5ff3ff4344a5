/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteerd logging: one line per event on stderr, with a level. Under
 * systemd, journald picks stderr up; the "<N>" prefix (sd-daemon levels)
 * lets it record the priority, so it is added when JOURNAL_STREAM is set.
 */
#ifndef KS_DAEMON_LOG_H
#define KS_DAEMON_LOG_H

enum ks_log_level {
	KS_LOG_ERROR = 0,
	KS_LOG_WARN = 1,
	KS_LOG_INFO = 2,
	KS_LOG_DEBUG = 3,
};

/* Parse "error", "warn", "info", "debug"; -1 when unknown. */
int ks_log_level_parse(const char *s);
void ks_log_set_level(enum ks_log_level level);
enum ks_log_level ks_log_get_level(void);

void ks_log(enum ks_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ks_err(...)   ks_log(KS_LOG_ERROR, __VA_ARGS__)
#define ks_warn(...)  ks_log(KS_LOG_WARN, __VA_ARGS__)
#define ks_info(...)  ks_log(KS_LOG_INFO, __VA_ARGS__)
#define ks_debug(...) ks_log(KS_LOG_DEBUG, __VA_ARGS__)

#endif
