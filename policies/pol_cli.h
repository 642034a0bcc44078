/* The offline subcommands of `vigil`, built on the same engine as the proxy:
 *
 *   vigil inspect [--policy FILE]... [--mode monitor|block] [--ndjson] [FILE|-]...
 *   vigil policy check FILE...
 *
 * argv[0] is the subcommand ("inspect" or "policy"); a leading program name
 * ("vigil" or a path ending in "/vigil") is skipped too, so both
 * pol_cli_main(argc, argv) and pol_cli_main(argc - 1, argv + 1) work.
 * Output goes to stdout, diagnostics to stderr. Returns the exit status:
 * inspect: 0 when every event was read (whatever the verdicts), 1 when an
 * event was not valid JSON (reported with "verdict":"error", the run goes
 * on), 2 on a usage or policy error; policy check: 0 when every file is
 * valid, 1 when one is not, 2 on a usage error.
 */
#ifndef POL_CLI_H
#define POL_CLI_H

int pol_cli_main(int argc, char **argv);

#endif
