/* clock: injectable wall clock (see clock.h). */
#include "clock.h"

#include <time.h>

static int64_t clock_offset_ms;
static double clock_scale = 1.0;
static int64_t clock_start_ms;

static int64_t clock_real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_configure(int64_t offset_ms, double scale)
{
	clock_start_ms = clock_real_ms();
	clock_offset_ms = offset_ms;
	clock_scale = scale > 0 ? scale : 1.0;
}

int64_t clock_now_ms(void)
{
	int64_t real = clock_real_ms();
	if (clock_start_ms == 0)
		return real + clock_offset_ms;
	return clock_start_ms + clock_offset_ms + (int64_t)((double)(real - clock_start_ms) * clock_scale);
}

double clock_seconds_until(int64_t at_ms)
{
	int64_t left = at_ms - clock_now_ms();

	return left <= 0 || clock_scale == 0 ? 0.0 : (double)left / 1000.0 / clock_scale;
}

void clock_freeze(int64_t at_ms)
{
	clock_start_ms = clock_real_ms();
	clock_offset_ms = at_ms - clock_start_ms;
	clock_scale = 0;
}
