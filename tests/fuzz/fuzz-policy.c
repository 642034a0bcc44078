/* Fuzz target: the policy loader. The input is a policy file; it is
 * loaded over the built-in policy (compiling any regexes) and freed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pol-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	memcpy(s, data, size);
	struct pol_policy pol = pol_default_policy;
	char err[256];
	pol_policy_load_text(&pol, "fuzz.json", s, size, err, sizeof(err));
	pol_policy_fini(&pol);
	free(s);
	return 0;
}
