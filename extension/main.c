/* vigil: the extension daemon (no arguments, as Lambda starts it) and its
 * offline subcommands. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "pol_cli.h"
#include "probe.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "unknown"
#endif

static int usage(FILE *out)
{
	fputs("usage: vigil                    run as a Lambda extension (what Lambda does)\n"
	      "       vigil inspect [--policy FILE]... [--mode monitor|block] [--ndjson] "
	      "[FILE|-]...\n"
	      "       vigil policy check FILE...\n"
	      "       vigil version\n"
	      "       vigil config --markdown  the configuration variables as a Markdown table\n"
	      "       vigil probe [--timeout-ms N]  is the proxy ready? (used by vigil-wrapper)\n",
	      out);
	return out == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return ext_daemon_run(argv[0]);
	const char *cmd = argv[1];
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("vigil %s\n", VIGIL_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "config") && argc == 3 && !strcmp(argv[2], "--markdown")) {
		ext_config_markdown(stdout);
		return 0;
	}
	/* The offline inspection commands belong to the policies engine. */
	if (!strcmp(cmd, "inspect") || !strcmp(cmd, "policy"))
		return pol_cli_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "probe"))
		return ext_probe_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
		return usage(stdout);
	fprintf(stderr, "vigil: unknown command \"%s\"\n", cmd);
	return usage(stderr);
}
