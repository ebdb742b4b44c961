/*
 * log: one line per event worth an operator's attention, on stderr, with a
 * syslog priority prefix ("<3>", "<6>", ...) so journald keeps the levels.
 */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_ERR = 3, LOG_WARNING = 4, LOG_NOTICE = 5, LOG_INFO = 6, LOG_DEBUG = 7 };

/* Messages above this level are dropped. Default LOG_INFO. */
void log_set_level(enum log_level level);
/* Whether a message of this level is written: for work done only to log it. */
int log_enabled(enum log_level level);
/* Parse "error", "warning", "notice", "info", "debug"; -1 if unknown. */
int log_parse_level(const char *name);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
