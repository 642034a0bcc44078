/* Detector: code_injection. Placeholder until its engineer lands the real detector;
 * it reports nothing, and the golden tests in tests/data/detect/ say so. */
#include "detect.h"

int pol_detect_code_injection(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit)
{
	(void)s;
	(void)n;
	(void)ctx;
	(void)hit;
	return 0;
}
