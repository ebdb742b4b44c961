/*
 * dc_stop: a program stops on SIGINT, SIGTERM or SIGHUP at once, whatever
 * it is waiting for.
 *
 * A flag set by a handler is checked between waits; a signal that lands
 * after the check and before the next zmq_poll() interrupts nothing, and
 * the program noticed it only when that wait timed out (a second for an
 * event, up to three tries of 2.5 s inside a request). That was longer
 * than timeout(1)'s or a service manager's grace before SIGKILL. So the
 * handler also writes a byte to a pipe that every wait of the library
 * polls beside its sockets (the self-pipe trick): once a stop signal has
 * come, every wait returns DC_ERR_INTERRUPTED at once, also the ones that
 * start later.
 *
 * Signal dispositions belong to the process, so this is process-wide and
 * installed once.
 */
#ifndef DC_STOP_H
#define DC_STOP_H

#include <signal.h>

/* Install the handlers (no SA_RESTART); each stores the signal's number in
 * *flag. 0, or -1 with errno set. */
int dc_stop_on_signals(volatile sig_atomic_t *flag);

/* The pipe's read end, readable once a stop signal has come; -1 before
 * dc_stop_on_signals(). For a program's own poll beside the library's. */
int dc_stop_fd(void);

#endif
