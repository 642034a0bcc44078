/* `vigil probe [--timeout-ms N]`: asks the proxy on 127.0.0.1:VIGIL_PROXY_PORT
 * whether it is ready (GET /vigil/ready), within N ms (default 100). Exit 0
 * when it is; otherwise exit 1, the reason on
 * stderr and a proxy_bypassed health alert on stdout. The wrapper uses it. */
#ifndef EXT_PROBE_H
#define EXT_PROBE_H

int ext_probe_main(int argc, char **argv);

#endif
