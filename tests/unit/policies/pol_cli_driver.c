/* A stand-in for `vigil` until the extension wires its subcommands: runs
 * pol_cli_main on its arguments, so the CLI tests drive the real code. */
#include "pol_cli.h"

int main(int argc, char **argv)
{
	return pol_cli_main(argc - 1, argv + 1);
}
