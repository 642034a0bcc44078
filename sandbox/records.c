/* The platform.* records of lambda-apis.md §5.4, handed to the telemetry
 * module, and the CloudWatch-style lines echoed on stderr (§6.5). */
#include <math.h>
#include <string.h>

#include "sandbox.h"
#include "vg_log.h"

static double ms3(double ms)
{
	return round(ms * 1000.0) / 1000.0;
}

const char *sbx_status_of(const char *error_type)
{
	if (!error_type || !*error_type)
		return "success";
	if (!strcmp(error_type, "Sandbox.Timeout"))
		return "timeout";
	if (!strncmp(error_type, "Sandbox.", 8))
		return "failure";
	return "error";
}

cJSON *sbx_events_json(unsigned events)
{
	cJSON *a = cJSON_CreateArray();
	if (events & SBX_EV_INVOKE)
		cJSON_AddItemToArray(a, cJSON_CreateString("INVOKE"));
	if (events & SBX_EV_SHUTDOWN)
		cJSON_AddItemToArray(a, cJSON_CreateString("SHUTDOWN"));
	return a;
}

static void add_error(cJSON *r, const char *error_type)
{
	if (error_type && *error_type)
		cJSON_AddStringToObject(r, "errorType", error_type);
}

void sbx_rec_init_start(struct sbx *s, const char *phase)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "initializationType", "on-demand");
	cJSON_AddStringToObject(r, "phase", phase);
	cJSON_AddStringToObject(r, "runtimeVersion", "vigil-sandbox");
	cJSON_AddStringToObject(r, "functionName", s->opts->function_name);
	cJSON_AddStringToObject(r, "functionVersion", "$LATEST");
	cJSON_AddNumberToObject(r, "instanceMaxMemory", (double)s->opts->memory_mb * 1048576.0);
	sbx_tel_platform(s->tel, "platform.initStart", r);
	vg_log_info("INIT_START Runtime Version: vigil-sandbox phase: %s", phase);
}

/* initRuntimeDone, one platform.extension per extension, initReport. */
void sbx_rec_init_done(struct sbx *s, const char *phase, const char *error_type, double duration_ms)
{
	const char *status = sbx_status_of(error_type);
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "initializationType", "on-demand");
	cJSON_AddStringToObject(r, "phase", phase);
	cJSON_AddStringToObject(r, "status", status);
	add_error(r, error_type);
	sbx_tel_platform(s->tel, "platform.initRuntimeDone", r);

	for (unsigned i = 0; i < s->n_ext; i++) {
		const struct sbx_ext *e = &s->ext[i];
		r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "name", e->name);
		cJSON_AddStringToObject(r, "state", sbx_ext_state_name(e->state));
		cJSON_AddItemToObject(r, "events", sbx_events_json(e->events));
		add_error(r, e->error_type);
		sbx_tel_platform(s->tel, "platform.extension", r);
		vg_log_info("EXTENSION Name: %s State: %s Events: [%s%s%s]", e->name,
		            sbx_ext_state_name(e->state), e->events & SBX_EV_INVOKE ? "INVOKE" : "",
		            e->events == (SBX_EV_INVOKE | SBX_EV_SHUTDOWN) ? ", " : "",
		            e->events & SBX_EV_SHUTDOWN ? "SHUTDOWN" : "");
	}

	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "initializationType", "on-demand");
	cJSON_AddStringToObject(r, "phase", phase);
	cJSON_AddStringToObject(r, "status", status);
	add_error(r, error_type);
	cJSON *m = cJSON_AddObjectToObject(r, "metrics");
	cJSON_AddNumberToObject(m, "durationMs", ms3(duration_ms));
	sbx_tel_platform(s->tel, "platform.initReport", r);
	if (error_type && *error_type)
		vg_log_info(
		    "INIT_REPORT Init Duration: %.2f ms Phase: %s Status: %s Error Type: %s",
		    duration_ms, phase, status, error_type);
	else
		vg_log_info("INIT_REPORT Init Duration: %.2f ms Phase: %s Status: %s", duration_ms,
		            phase, status);
}

static void add_tracing(cJSON *r, const char *trace)
{
	if (!trace || !*trace)
		return;
	cJSON *t = cJSON_AddObjectToObject(r, "tracing");
	cJSON_AddStringToObject(t, "type", "X-Amzn-Trace-Id");
	cJSON_AddStringToObject(t, "value", trace);
}

void sbx_rec_start(struct sbx *s, const char *request_id, const char *trace)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "requestId", request_id);
	cJSON_AddStringToObject(r, "version", "$LATEST");
	add_tracing(r, trace);
	sbx_tel_platform(s->tel, "platform.start", r);
	vg_log_info("START RequestId: %s Version: $LATEST", request_id);
}

void sbx_rec_runtime_done(struct sbx *s, const char *request_id, const char *error_type,
                          double duration_ms, size_t produced)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "requestId", request_id);
	cJSON_AddStringToObject(r, "status", sbx_status_of(error_type));
	add_error(r, error_type);
	cJSON *m = cJSON_AddObjectToObject(r, "metrics");
	cJSON_AddNumberToObject(m, "durationMs", ms3(duration_ms));
	cJSON_AddNumberToObject(m, "producedBytes", (double)produced);
	sbx_tel_platform(s->tel, "platform.runtimeDone", r);
	vg_log_info("END RequestId: %s", request_id);
}

void sbx_rec_report(struct sbx *s, const struct sbx_result *res, uint64_t peak_rss, double init_ms)
{
	const char *et = res->error_type[0] ? res->error_type : NULL;
	double billed = ceil(res->duration_ms);
	double used = ceil((double)peak_rss / 1048576.0);
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "requestId", res->request_id);
	cJSON_AddStringToObject(r, "status", sbx_status_of(et));
	add_error(r, et);
	cJSON *m = cJSON_AddObjectToObject(r, "metrics");
	cJSON_AddNumberToObject(m, "durationMs", ms3(res->duration_ms));
	cJSON_AddNumberToObject(m, "billedDurationMs", billed < 1 ? 1 : billed);
	cJSON_AddNumberToObject(m, "memorySizeMB", s->opts->memory_mb);
	cJSON_AddNumberToObject(m, "maxMemoryUsedMB", used);
	if (init_ms >= 0)
		cJSON_AddNumberToObject(m, "initDurationMs", ms3(init_ms));
	sbx_tel_platform(s->tel, "platform.report", r);
	if (init_ms >= 0)
		vg_log_info(
		    "REPORT RequestId: %s Duration: %.2f ms Billed Duration: %.0f ms Memory "
		    "Size: %u MB Max Memory Used: %.0f MB Init Duration: %.2f ms",
		    res->request_id, res->duration_ms, billed < 1 ? 1 : billed, s->opts->memory_mb,
		    used, init_ms);
	else
		vg_log_info(
		    "REPORT RequestId: %s Duration: %.2f ms Billed Duration: %.0f ms Memory "
		    "Size: %u MB Max Memory Used: %.0f MB",
		    res->request_id, res->duration_ms, billed < 1 ? 1 : billed, s->opts->memory_mb,
		    used);
}
