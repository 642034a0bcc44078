#include "posture.h"

#include <stdio.h>
#include <string.h>

#include "tel_secrets.h"

/* Variable names longer than this are cut in the alert (Lambda's own limit
 * on the whole environment is 4 KB). */
#define NAME_MAX_ 256

unsigned ext_posture_scan_env(char *const *envp, const struct tel_sink *sink)
{
	unsigned n = 0;
	for (size_t i = 0; envp && envp[i]; i++) {
		const char *eq = strchr(envp[i], '=');
		if (!eq || eq == envp[i])
			continue;
		size_t nl = (size_t)(eq - envp[i]);
		const char *value = eq + 1;
		enum tel_secret_kind k =
		    tel_secrets_scan_pair(envp[i], nl, value, strlen(value), NULL);
		if (k == TEL_SECRET_NONE)
			continue;
		char name[NAME_MAX_ + 1], rule[64], summary[NAME_MAX_ + 256];
		snprintf(name, sizeof(name), "%.*s", (int)(nl < NAME_MAX_ ? nl : NAME_MAX_),
		         envp[i]);
		snprintf(rule, sizeof(rule), "posture.secret_in_env.%s", tel_secret_kind_name(k));
		snprintf(
		    summary, sizeof(summary),
		    "environment variable %s holds a plaintext secret (%s): anyone who can read "
		    "the function's configuration can read it; keep it in AWS Secrets Manager "
		    "or SSM Parameter Store (SecureString) and read it at init",
		    name, tel_secret_kind_name(k));
		struct tel_attr attrs[] = {
		    {"vigil.env.name", name, 0},
		    {"vigil.secret.kind", tel_secret_kind_name(k), 0},
		};
		struct tel_alert a = {
		    .kind = "posture",
		    .category = "secret_in_env",
		    .rule = rule,
		    .severity = "WARN",
		    .summary = summary,
		    .id_salt = name, /* one alert per variable */
		    .attrs = attrs,
		    .n_attrs = 2,
		};
		tel_emit(sink, &a);
		n++;
	}
	return n;
}
