/* The proxy's inspector: the policies engine (the same code as `vigil
 * inspect`) behind the proxy's inspection hook (px_inspect.h).
 *
 * For each event the runtime fetches it runs pol_inspect, answers the
 * verdict (in block mode with the refusal pol_block_response shapes for the
 * event's source) and, once the proxy has acted, turns every finding of an
 * alerting or blocking verdict into one inspection alert on the sink. An
 * event whose time budget ran out passes unless what was already found
 * blocks it; its alerts say so (vigil.budget_exhausted). */
#ifndef EXT_INSPECTOR_H
#define EXT_INSPECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "px_inspect.h"
#include "tel_alert.h"

struct ext_inspector;

struct ext_inspector_opts {
	const char *policy; /* VIGIL_POLICY: colon-separated files or folders; NULL: built-in */
	unsigned paranoia;  /* VIGIL_PARANOIA: 1..4, under the files; 0: the built-in level */
	bool block;         /* VIGIL_MODE=block */
	/* Where the alerts go. Borrowed; must outlive the inspector. */
	const struct tel_sink *sink;
	/* An event was flagged: its first alert's id and the highest OTLP
	 * severity of its alerts (the correlation hook). Called from proxy
	 * threads; may be NULL. */
	void (*flagged)(void *ctx, const char *request_id, const char *alert_id,
	                const char *severity);
	void *flagged_ctx;
};

/* Builds the engine. 0; -EINVAL when a policy file is invalid, with
 * "FILE:LINE: cause" in err; -E2BIG when VIGIL_POLICY names too many
 * paths; -ENOMEM. *out is the caller's (ext_inspector_free). */
int ext_inspector_new(const struct ext_inspector_opts *o, struct ext_inspector **out, char *err,
                      size_t errn);
/* NULL is accepted. */
void ext_inspector_free(struct ext_inspector *x);
/* The hook to install in px_proxy_opts.inspector; lives as long as x. */
const struct px_inspector *ext_inspector_hook(struct ext_inspector *x);

#endif
