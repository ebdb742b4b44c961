/*
 * dispatch_client: the one C client library for dispatchd. Programs
 * include this header; it gathers the library's modules:
 *
 *   dc_request.h    a connection (dc_t), CURVE keys, requests with Lazy
 *                   Pirate retries and an idempotency key
 *   dc_subscribe.h  the events socket, with gap detection and replay
 *   dc_stop.h       stop at once on SIGINT, SIGTERM, SIGHUP (a self-pipe)
 *   dc_words.h      enum words, money, text width, times, error reports
 *   dc_time.h       times people type and read; a ticket's pending deadline
 *   dc_term.h       colour only on a terminal; text cut to display columns
 *   dc_json.h       wire messages as JSON (jansson)
 *
 * (dc_time.h, dc_term.h and dc_json.h are included where needed.) The
 * parts the modules share privately, the dc_t itself first, are in
 * dc_private.h.
 */
#ifndef DISPATCH_CLIENT_H
#define DISPATCH_CLIENT_H

#include "dc_request.h"
#include "dc_stop.h"
#include "dc_subscribe.h"
#include "dc_words.h"

#endif
