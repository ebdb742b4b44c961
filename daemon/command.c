/*
 * command: the request table (see command.h).
 *
 * Two role columns, because the two kinds of endpoint trust differently.
 * Over ipc the sender states its role and the directory's permissions are
 * the guard, so the column is broad (a supervisor or admin at a desk may
 * do what the desk does). Over CURVE the key proves the role, and each key
 * gets exactly what its role needs (issue 7): the desk's key submits, a
 * supervisor's does not. Which role may perform which action on a ticket
 * is the transition table's roles column (ticket.c), which applies to
 * every transition and keeps a crew key to its own member's tickets;
 * command_key_actions only narrows it where keys must be stricter.
 */
#include "command.h"

#include <stdio.h>

#include "keys.h"
#include "ticket.h"

#define R(x) TICKET_ROLE(DISPATCH__ROLE__ROLE_##x)
#define ANYONE (R(DESK) | R(CREW) | R(MONITOR) | R(QC) | R(SUPERVISOR) | R(ADMIN))
#define READERS (R(DESK) | R(MONITOR) | R(QC) | R(SUPERVISOR) | R(ADMIN))
#define DESKS (R(DESK) | R(SUPERVISOR) | R(ADMIN))
#define B(x) DISPATCH__REQUEST__BODY_##x
#define HEAVY COMMAND_HEAVY

static const struct command command_table[] = {
	/* body, name, mutating, weight, ipc roles, key roles, "key may not ...", check, apply */
	{ B(SUBMIT), "submit", true, 1, DESKS, R(DESK), "submit tickets", handle_submit_check, handle_submit_apply },
	{ B(TRANSITION), "transition", true, 1, 0, R(DESK) | R(CREW) | R(SUPERVISOR) | R(QC), "act on tickets",
	  handle_transition_check, handle_transition_apply },
	{ B(GET), "get", false, HEAVY, 0, ANYONE, "read tickets", handle_get_check, handle_get_apply },
	{ B(LIST), "list", false, HEAVY, 0, ANYONE, "list tickets", handle_list_check, handle_list_apply },
	/* a crew key: its own member's events only (handle_ctx.scope_member) */
	{ B(REPLAY), "replay", false, HEAVY, 0, ANYONE, "replay events", NULL, handle_replay_apply },
	{ B(PING), "ping", false, 1, 0, ANYONE, "ping", NULL, handle_ping_apply },
	{ B(EXPLAIN), "explain", false, 1, 0, READERS, "explain routing", handle_explain_check, handle_explain_apply },
	{ B(DUTY), "report duty", true, 1, R(CREW), R(CREW), "report duty", handle_duty_check, handle_duty_apply },
	{ B(CREWS), "list crews", false, HEAVY, 0, ANYONE, "list crews", handle_crews_check, handle_crews_apply },
	{ B(DECLARE_OUTAGE), "declare an outage", true, 1, DESKS, R(DESK), "declare outages",
	  handle_declare_outage_check, handle_declare_outage_apply },
	{ B(END_OUTAGE), "end an outage", true, 1, DESKS, R(DESK), "end outages", handle_end_outage_check,
	  handle_end_outage_apply },
	{ B(LIST_OUTAGES), "list outages", false, HEAVY, 0, ANYONE, "list outages", NULL, handle_list_outages_apply },
	{ B(NOTICE), "publish a notice", true, 1, DESKS, R(DESK), "publish notices", handle_notice_check,
	  handle_notice_apply },
	{ B(VENDOR_INCIDENTS), "list vendor incidents", false, HEAVY, 0, READERS, "list vendor incidents",
	  handle_vendor_incidents_check, handle_vendor_incidents_apply },
	/* issue 19: the asset register */
	{ B(ASSET_LIST), "list assets", false, HEAVY, 0, ANYONE, "list assets", handle_asset_list_check,
	  handle_asset_list_apply },
	{ B(ASSET_HISTORY), "show an asset's history", false, HEAVY, 0, ANYONE, "read an asset's history",
	  handle_asset_history_check, handle_asset_history_apply },
};

#define COMMAND_N (sizeof command_table / sizeof command_table[0])

/* Narrower than the transition table, for keys: only the desk cancels. */
static const struct {
	Dispatch__Action action;
	unsigned roles;
	const char *what;
} command_key_actions[] = {
	{ DISPATCH__ACTION__ACTION_CANCEL, R(DESK), "cancel tickets" },
};

const struct command *command_find(Dispatch__Request__BodyCase body)
{
	for (size_t i = 0; i < COMMAND_N; i++)
		if (command_table[i].body == body)
			return &command_table[i];
	return NULL;
}

unsigned command_weight(unsigned body_field)
{
	const struct command *cmd = command_find((Dispatch__Request__BodyCase)body_field);

	return cmd ? cmd->weight : 1;
}

int command_allow_key(const struct auth_who *who, const Dispatch__Request *req, char *msg, size_t msglen)
{
	const struct command *cmd;

	if (!who->authenticated)
		return 0;
	if ((cmd = command_find(req->body_case)) == NULL || cmd->key_roles == 0) {
		snprintf(msg, msglen,
			 "request type %d is not in dispatchd's request table, so no key may send it yet "
			 "(daemon/command.c)",
			 (int)req->body_case);
		return -1;
	}
	if ((cmd->key_roles & TICKET_ROLE(who->role)) == 0) {
		snprintf(msg, msglen, "%s (role %s) may not %s", who->identity, keys_role_word(who->role),
			 cmd->key_what);
		return -1;
	}
	if (req->body_case == B(TRANSITION) && req->transition)
		for (size_t i = 0; i < sizeof command_key_actions / sizeof command_key_actions[0]; i++)
			if (command_key_actions[i].action == req->transition->action &&
			    (command_key_actions[i].roles & TICKET_ROLE(who->role)) == 0) {
				snprintf(msg, msglen, "%s (role %s) may not %s", who->identity,
					 keys_role_word(who->role), command_key_actions[i].what);
				return -1;
			}
	return 0;
}
