/*
 * dc_stop: the self-pipe that wakes every wait on a stop signal. See
 * dc_stop.h for why a flag alone was not enough.
 */
#include "dc_stop.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t *stop_flag;
static int stop_pipe[2] = { -1, -1 };

static void on_stop(int sig)
{
	int saved = errno;
	ssize_t n;

	if (stop_flag)
		*stop_flag = sig;
	/* Non-blocking: a full pipe already wakes every poll. */
	n = write(stop_pipe[1], "", 1);
	(void)n;
	errno = saved;
}

int dc_stop_on_signals(volatile sig_atomic_t *flag)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	if (stop_pipe[0] < 0 && pipe2(stop_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	stop_flag = flag;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop; /* no SA_RESTART: a blocking poll wakes too */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	return 0;
}

int dc_stop_fd(void)
{
	return stop_pipe[0];
}
