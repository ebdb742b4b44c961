/*
 * dispatch-hq: head office's program (issue 18). The parts hq.c (the
 * command line, init, consume, status, verify, report) and hq_view.c
 * (live, summary, qc-sample) share.
 */
#ifndef HQ_H
#define HQ_H

#include <nats/nats.h>
#include <signal.h>
#include <stdint.h>

#include "nconf.h"
#include "store.h"

#define HQ_PROG "dispatch-hq"
#define HQ_DURABLE "hq"

enum { HQ_EXIT_OK = 0, HQ_EXIT_REFUSED = 1, HQ_EXIT_USAGE = 2, HQ_EXIT_UNAVAILABLE = 3 };

struct hq_estate {
	char *id, *name;
	char stream[96], subject[128];
};

struct hq_group {
	char *name;
	char **ids;
	unsigned n;
};

struct hq {
	struct nconf nc;
	char *store_dir;
	int replicas;
	int64_t duplicates_s, keep_days;
	struct hq_estate *estates;
	unsigned nestates;
	struct hq_group *groups;
	unsigned ngroups;
	/* the selection of a command: --estate, --group, or all */
	unsigned *sel;
	unsigned nsel;
};

extern volatile sig_atomic_t hq_stop;

/* <store>/<estate id>: that estate's copy (store.h format). */
void hq_estate_dir(const struct hq *h, const struct hq_estate *e, char *buf, size_t len);
/* Open an estate's copy; NULL with a message on stderr. */
store_t *hq_open_copy(const struct hq *h, const struct hq_estate *e);
/* Connect to head office's servers with the configuration's credentials. */
int hq_connect(const struct hq *h, natsConnection **nc, jsCtx **js);

int hq_live(struct hq *h, int argc, char **argv);
int hq_summary(struct hq *h, int argc, char **argv);
int hq_qc_sample(struct hq *h, int argc, char **argv);

/* Parse --estate/--group from the remaining options: getopt-style helper
 * used by each subcommand; 0 or HQ_EXIT_USAGE. */
int hq_select(struct hq *h, const char *estate, const char *group);

#endif
