/*
 * notify: the systemd notification protocol (sd_notify(3)), as the small
 * self-contained datagram sender the protocol allows: one AF_UNIX datagram
 * per message to $NOTIFY_SOCKET. Chosen over linking libsystemd because
 * the protocol is a dozen lines, the daemon runs unchanged where systemd is
 * absent, and tests can play systemd with a plain socket.
 *
 * READY=1 once the store is open and the sockets are bound, STATUS= lines
 * with counts, WATCHDOG=1 from a libev timer at half of $WATCHDOG_USEC,
 * STOPPING=1 at shutdown. Everything is a no-op without $NOTIFY_SOCKET.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <ev.h>
#include <stdint.h>

/* Send one message ("READY=1", "STATUS=..."). 0 sent or no socket; -1 error. */
int notify_send(const char *msg);

/* The watchdog interval systemd asked for, in microseconds (0: none). */
uint64_t notify_watchdog_usec(void);

#endif
