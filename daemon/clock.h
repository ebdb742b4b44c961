/*
 * clock: the daemon's notion of "now", in unix milliseconds. Injectable so
 * that tests of hour-long deadlines can run in seconds: an offset is added
 * and elapsed time can be scaled (set once at start, from options).
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

/* now = start_real + offset_ms + (real - start_real) * scale */
void clock_configure(int64_t offset_ms, double scale);
int64_t clock_now_ms(void);
/* Real seconds until the clock reads at_ms (0 if it already has). */
double clock_seconds_until(int64_t at_ms);
/* Tests: the clock reads at_ms until configured again. */
void clock_freeze(int64_t at_ms);

#endif
