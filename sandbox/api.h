/* The API listener's routes (lambda-apis.md §2, §3, §5): one handler per
 * route, called once the whole request has arrived. */
#ifndef SBX_API_H
#define SBX_API_H

#include <stdbool.h>

#include "sandbox.h"
#include "vg_http.h"

struct sbx_req {
	struct vg_buf body;
	bool too_large;
	bool started;
	const struct sbx_route *route;
	char path_id[64];  /* {AwsRequestId} of runtime invocation routes */
	bool id_ok;        /* path_id named the invocation under way */
	bool wrong_method; /* the path exists with another method */
	int invoke_route;  /* invoke endpoint: 1 matched, 2 wrong method */
};

typedef vg_mhd_result (*sbx_handler)(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r);

struct sbx_route {
	const char *method;
	const char *path;   /* exact, or a prefix when suffix is set */
	const char *suffix; /* "/response" or "/error" after {id} */
	size_t cap;         /* body cap */
	sbx_handler fn;
};

/* api_extension.c */
vg_mhd_result sbx_api_ext_register(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r);
vg_mhd_result sbx_api_ext_next(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r);
vg_mhd_result sbx_api_ext_init_error(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r);
vg_mhd_result sbx_api_ext_exit_error(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r);
/* The extension named by Lambda-Extension-Identifier, or NULL after a 403
 * reply was queued in *ret. Lock held. */
struct sbx_ext *sbx_api_ext_auth(struct sbx *s, struct MHD_Connection *c, vg_mhd_result *ret);

/* api_runtime.c */
vg_mhd_result sbx_api_rt_next(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r);
vg_mhd_result sbx_api_rt_response(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r);
vg_mhd_result sbx_api_rt_error(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r);
vg_mhd_result sbx_api_rt_init_error(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r);
/* Whether id names the invocation the runtime may answer now. Lock held. */
bool sbx_api_rt_id_current(struct sbx *s, const char *id);

/* api_telemetry.c */
vg_mhd_result sbx_api_telemetry(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r);
vg_mhd_result sbx_api_logs(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r);

/* invoke_http.c: the invoke endpoint's access handler. */
vg_mhd_result sbx_invoke_access(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls);

/* {"status":"OK"} with 202, the Lambda APIs' "accepted". */
vg_mhd_result sbx_reply_accepted(struct MHD_Connection *c);

#endif
