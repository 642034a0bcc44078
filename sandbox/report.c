/* The --report JSON record of the run (contract, vigil-sandbox). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

void sbx_report_add(struct sbx *s, cJSON *list, unsigned *n, cJSON *item)
{
	if (!item)
		return;
	/* Counted here: cJSON_GetArraySize walks the whole list, which cost
	 * every invoke time in proportion to the ones before it. */
	if (*n >= SBX_HISTORY_MAX) {
		s->rep_omitted++;
		cJSON_Delete(item);
		return;
	}
	cJSON_AddItemToArray(list, item);
	(*n)++;
}

int sbx_report_write(struct sbx *s, const char *path)
{
	cJSON *root = cJSON_CreateObject(), *tel;
	char *text;
	FILE *f;
	int r = 0;

	if (!root)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	cJSON_AddStringToObject(root, "functionName", s->opts->function_name);
	cJSON_AddNumberToObject(root, "memorySizeMB", s->opts->memory_mb);
	cJSON_AddNumberToObject(root, "timeoutSeconds", s->opts->timeout_s);
	cJSON_AddItemReferenceToObject(root, "extensions", s->rep_extensions);
	cJSON_AddItemReferenceToObject(root, "invocations", s->rep_invocations);
	cJSON_AddItemReferenceToObject(root, "resets", s->rep_resets);
	tel = cJSON_AddObjectToObject(root, "telemetry");
	sbx_tel_report(s->tel, tel);
	if (s->rep_shutdown)
		cJSON_AddItemReferenceToObject(root, "shutdown", s->rep_shutdown);
	else
		cJSON_AddNullToObject(root, "shutdown");
	cJSON_AddNumberToObject(root, "omittedEntries", s->rep_omitted);
	text = cJSON_Print(root);
	pthread_mutex_unlock(&s->lock);
	cJSON_Delete(root);
	if (!text)
		return -ENOMEM;
	f = fopen(path, "w");
	if (!f) {
		r = -errno;
	} else {
		if (fputs(text, f) < 0 || fputc('\n', f) < 0)
			r = -EIO;
		if (fclose(f) != 0 && !r)
			r = -errno;
	}
	free(text);
	return r;
}
