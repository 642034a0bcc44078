/* The per-extension state machine of the Extensions API (lambda-apis.md
 * §2.5) and the register request's validation (§2.2, §2.6). Pure functions:
 * no I/O, no locks, so the rules are unit-tested on their own. */
#ifndef SBX_EXT_STATE_H
#define SBX_EXT_STATE_H

#include <stdbool.h>
#include <stddef.h>

enum sbx_ext_state {
	SBX_EXT_STARTED,         /* launched, not registered */
	SBX_EXT_REGISTERED,      /* registered, has not called next */
	SBX_EXT_READY,           /* waits in next */
	SBX_EXT_RUNNING,         /* took an event, has not called next again */
	SBX_EXT_INIT_ERROR,      /* terminal: reported init/error */
	SBX_EXT_EXIT_ERROR,      /* terminal: reported exit/error */
	SBX_EXT_EXITED,          /* terminal: exited 0 after SHUTDOWN */
	SBX_EXT_SHUTDOWN_FAILED, /* terminal: killed, or a non-zero exit */
	SBX_EXT_LAUNCH_ERROR,    /* terminal: exec failed */
	SBX_EXT_CRASHED,         /* terminal: exited before SHUTDOWN */
};

enum sbx_ext_op {
	SBX_EXT_OP_REGISTER,
	SBX_EXT_OP_NEXT,
	SBX_EXT_OP_EVENT, /* the sandbox hands a pending next an event */
	SBX_EXT_OP_INIT_ERROR,
	SBX_EXT_OP_EXIT_ERROR,
};

/* 0 and *to set, or -EPERM for an illegal transition (the API answers
 * 403 Extension.InvalidExtensionState). */
int sbx_ext_transition(enum sbx_ext_state from, enum sbx_ext_op op, enum sbx_ext_state *to);
/* "Registered", "Ready", ... as RIE names them. */
const char *sbx_ext_state_name(enum sbx_ext_state s);

#define SBX_EV_INVOKE   1u
#define SBX_EV_SHUTDOWN 2u

/* A rejected register: the errorType and errorMessage of the 403. */
struct sbx_reg_error {
	const char *type;
	const char *message;
};

/* Parses a register body (len bytes, need not be NUL-terminated) into an
 * events mask. 0, or -EINVAL with *e set (InvalidRequestFormat for bad
 * JSON or configurationKeys, Extension.InvalidEventType for an unknown
 * event). */
int sbx_register_parse(const char *body, size_t len, unsigned *events, struct sbx_reg_error *e);
/* Whether a Lambda-Extension-Accept-Feature list (comma-separated, any
 * spacing and case) asks for feature. */
bool sbx_feature_requested(const char *list, const char *feature);

/* A runtime's Lambda-Runtime-Function-Error-Type as Lambda keeps it: values
 * matching (Runtime|Function)\.[A-Z][a-zA-Z]+ are kept, anything else
 * becomes Runtime.Unknown (Function.Unknown when it starts "Function.").
 * NULL or empty gives Runtime.Unknown. out gets at most outn-1 bytes. */
void sbx_error_type_normalize(const char *in, char *out, size_t outn);

/* Whether s is a lower- or upper-case 8-4-4-4-12 hex UUID. */
bool sbx_is_uuid(const char *s);

/* Decodes standard base64 (padding optional, whitespace refused) from in
 * (n bytes) into out (outn bytes). Returns the decoded length or -EINVAL. */
long sbx_base64_decode(const char *in, size_t n, unsigned char *out, size_t outn);

#endif
