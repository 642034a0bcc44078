#!/usr/bin/env python3
"""Portability proof: the layer runs in a root with no libc at all.

  python3 tests/layer/test_portability.py --zip dist/vigil-layer-x86_64.zip \\
      --runtime build-layer/x86_64/test-runtime --sandbox build/sandbox/vigil-sandbox \\
      --dynamic build/extension/vigil [--qemu qemu-aarch64-static] [--keep]

Builds a root holding only: the unpacked layer under /opt, a static shell
(busybox, as /bin/sh and its applets), the static test runtime
(/bin/test-runtime, layer/build.sh builds it) and, under /sandbox, the
sandbox with the shared libraries it needs (not at any standard path, so
nothing else can load them). No /lib, /lib64 or /usr: a dynamically linked
program cannot start there, which the test checks first with --dynamic (the
development build's vigil). Then, inside a private mount namespace, chroot
into the root and run the sandbox in batch mode:

1. with AWS_LAMBDA_EXEC_WRAPPER=/opt/vigil-wrapper: vigil registers, the
   runtime reaches the API through vigil's proxy, a benign event and an
   SQL injection are answered, vigil exports one inspection alert (sqli)
   over OTLP/HTTP to a collector stub on the host (libcurl inside the static
   binary), SHUTDOWN arrives and every process
   exits cleanly (exit status 0);
2. without the wrapper: the same, and vigil raises its proxy_bypassed alert;
3. HTTPS export as on Lambda: the root gets a test CA at Amazon Linux's
   bundle path (/etc/pki/tls/certs/ca-bundle.crt, libcurl's compiled-in
   default) and an /etc/hosts naming localhost; the collector stub speaks
   TLS with a certificate of that CA, and must receive the alert;
4. `vigil inspect --ndjson` on the policies corpus (tests/data/policies/)
   inside the root gives the same verdicts and findings as the development
   build on the host (the timing field aside).

With --qemu (arm64 layer on an x86_64 machine, no binfmt_misc needed),
extensions/vigil and the runtime start through a static qemu-user copied
into the root: /opt/extensions/vigil becomes a shell script running
`qemu -0 /opt/extensions/vigil /opt/vigil/vigil.bin`.

Needs root (mount namespace, chroot). Prints one line per check.
"""
import argparse
import json
import os
import re
import shutil
import socket
import ssl
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import zipfile
import gzip
from http.server import BaseHTTPRequestHandler, HTTPServer


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def elf_static(path):
    """(True, '') for an ELF file with no PT_INTERP and no DT_NEEDED, else
    (False, why)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF":
        return False, "not ELF"
    if data[4] != 2:
        return False, "not ELF64"
    end = "<" if data[5] == 1 else ">"
    phoff, = struct.unpack_from(end + "Q", data, 0x20)
    phentsize, phnum = struct.unpack_from(end + "HH", data, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
            end + "IIQQQQ", data, phoff + i * phentsize)
        if p_type == 3:
            return False, "has an interpreter (PT_INTERP)"
        if p_type == 2:
            for j in range(0, p_filesz, 16):
                tag, _ = struct.unpack_from(end + "qQ", data, p_offset + j)
                if tag == 0:
                    break
                if tag == 1:
                    return False, "needs shared libraries (DT_NEEDED)"
    return True, ""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unzip(zpath, dest):
    """Unpacks with the modes stored in the zip (as Lambda does)."""
    with zipfile.ZipFile(zpath) as z:
        for info in z.infolist():
            name = info.filename
            check(not name.startswith("/") and ".." not in name.split("/"),
                  "zip entry escapes the root: %s" % name)
            target = os.path.join(dest, name)
            if name.endswith("/"):
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with z.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            mode = (info.external_attr >> 16) & 0o777
            os.chmod(target, mode or 0o644)


def shared_libs(binary):
    """The interpreter and libraries ldd lists for binary."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libs, interp = [], None
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line)
        if m:
            libs.append(m.group(2))
            continue
        m = re.match(r"\s*(/\S+) \(0x", line)
        if m:
            interp = m.group(1)
    check(interp, "ldd found no interpreter for %s" % binary)
    return interp, libs


class Root:
    def __init__(self, args):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="vigil-portability-")
        self.arch_qemu = args.qemu

    def build(self):
        r = self.dir
        for d in ("bin", "opt", "proc", "dev", "tmp", "sandbox"):
            os.makedirs(os.path.join(r, d))
        os.chmod(os.path.join(r, "tmp"), 0o1777)
        unzip(self.args.zip, os.path.join(r, "opt"))
        vigil = os.path.join(r, "opt", "extensions", "vigil")
        check(os.access(vigil, os.X_OK), "the zip's extensions/vigil is not executable")
        ok, why = elf_static(vigil)
        check(ok, "extensions/vigil: %s" % why)
        check(os.access(os.path.join(r, "opt", "vigil-wrapper"), os.X_OK),
              "the zip's vigil-wrapper is not executable")

        busybox = shutil.which("busybox")
        check(busybox, "busybox is missing (Debian busybox-static)")
        ok, why = elf_static(busybox)
        check(ok, "busybox: %s (install busybox-static)" % why)
        shutil.copy(busybox, os.path.join(r, "bin", "busybox"))
        for applet in ("sh", "dirname", "cat", "ls"):
            os.symlink("busybox", os.path.join(r, "bin", applet))

        ok, why = elf_static(self.args.runtime)
        check(ok, "%s: %s" % (self.args.runtime, why))
        shutil.copy(self.args.runtime, os.path.join(r, "bin", "test-runtime"))

        if self.arch_qemu:
            self.wrap_qemu()

        interp, libs = shared_libs(self.args.sandbox)
        sdir = os.path.join(r, "sandbox")
        shutil.copy(self.args.sandbox, os.path.join(sdir, "vigil-sandbox"))
        # glibc loads libgcc_s at run time (pthread_cancel): ldd cannot see it.
        gcc_s = subprocess.run(["gcc", "-print-file-name=libgcc_s.so.1"], capture_output=True,
                               text=True).stdout.strip()
        if os.path.isabs(gcc_s) and os.path.exists(gcc_s):
            libs.append(gcc_s)
        for lib in libs + [interp]:
            shutil.copy(lib, os.path.join(sdir, os.path.basename(lib)))
        self.ld = "/sandbox/" + os.path.basename(interp)
        shutil.copy(self.args.dynamic, os.path.join(r, "bin", "dynamic-vigil"))

        # Nothing at the standard library paths.
        for d in ("lib", "lib64", "usr", "etc"):
            check(not os.path.exists(os.path.join(r, d)), "the root has /%s" % d)

    def wrap_qemu(self):
        r = self.dir
        qemu = shutil.which(self.args.qemu)
        check(qemu, "%s is missing (Debian qemu-user-static)" % self.args.qemu)
        ok, why = elf_static(qemu)
        check(ok, "%s: %s" % (qemu, why))
        shutil.copy(qemu, os.path.join(r, "bin", "qemu"))
        ext = os.path.join(r, "opt", "extensions", "vigil")
        os.rename(ext, os.path.join(r, "opt", "vigil", "vigil.bin"))
        with open(ext, "w") as f:
            f.write('#!/bin/sh\nexec /bin/qemu -0 "$0" /opt/vigil/vigil.bin "$@"\n')
        os.chmod(ext, 0o755)
        rt = os.path.join(r, "bin", "test-runtime")
        os.rename(rt, rt + ".bin")
        with open(rt, "w") as f:
            f.write('#!/bin/sh\nexec /bin/qemu /bin/test-runtime.bin "$@"\n')
        os.chmod(rt, 0o755)

    def run(self, argv, timeout=120):
        """argv inside the root, in a private mount namespace with /proc and
        /dev/null, /dev/urandom bound in."""
        r = self.dir
        for dev in ("null", "urandom"):
            p = os.path.join(r, "dev", dev)
            if not os.path.exists(p):
                open(p, "w").close()
        setup = ("mount -t proc proc \"$R/proc\" && mount --bind /dev/null \"$R/dev/null\" && "
                 "mount --bind /dev/urandom \"$R/dev/urandom\" && exec chroot \"$R\" \"$@\"")
        cmd = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", setup,
               "sh"] + argv
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={"R": r, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})

    def sandbox(self, events, extra_env, report):
        with open(os.path.join(self.dir, "tmp", "events.ndjson"), "w") as f:
            for e in events:
                f.write(json.dumps(e) + "\n")
        self.proxy_port, tel_port = free_port(), free_port()
        argv = [self.ld, "--library-path", "/sandbox", "/sandbox/vigil-sandbox",
                "--api", "127.0.0.1:0", "--events", "/tmp/events.ndjson",
                "--report", "/tmp/" + report, "--init-timeout", "60", "--timeout", "60",
                "--env", "VIGIL_PROXY_PORT=%d" % self.proxy_port,
                "--env", "VIGIL_TELEMETRY_PORT=%d" % tel_port,
                "--env", "VIGIL_LOG_LEVEL=info"]
        for kv in extra_env:
            argv += ["--env", kv]
        argv += ["--", "/bin/test-runtime"]
        p = self.run(argv, timeout=180)
        rep = None
        rpath = os.path.join(self.dir, "tmp", report)
        if os.path.exists(rpath):
            with open(rpath) as f:
                rep = json.load(f)
        return p, rep

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Collector:
    """An OTLP/HTTP logs endpoint on the host: keeps every request body."""

    def __init__(self, tls=None):
        bodies = self.bodies = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                bodies.append((self.path, body.decode("utf-8", "replace")))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *a):
                pass

        self.srv = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.srv.server_address[1]
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def check_run(p, rep, events):
    """What every run must show: registered, invoked, answered, SHUTDOWN,
    clean exit."""
    err = p.stderr
    check(p.returncode == 0, "sandbox exit status %d" % p.returncode)
    check(re.search(r"EXTENSION Name: vigil State: Ready Events: \[INVOKE, ?SHUTDOWN\]", err),
          "vigil did not register for INVOKE and SHUTDOWN")
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    check(len(lines) == len(events), "expected %d result lines, got %d" % (len(events),
                                                                          len(lines)))
    for line, event in zip(lines, events):
        check(line.get("status") == "success", "invoke status %r" % line.get("status"))
        check(line.get("response") == event, "the response is not the event echoed")
    check(re.search(r"shutdown phase done: reason spindown, clean", err),
          "the shutdown phase was not clean")
    check(rep is not None, "no report written")
    exts = [e for e in rep.get("extensions", []) if e.get("name") == "vigil"]
    check(len(exts) == 1, "report: %d vigil extensions" % len(exts))
    check(exts[0].get("state") == "Exited" and exts[0].get("exitStatus") == 0,
          "report: vigil ended %r, exit %r" % (exts[0].get("state"), exts[0].get("exitStatus")))
    check(rep.get("shutdown", {}).get("clean") is True, "report: shutdown not clean")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zip", required=True)
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--sandbox", required=True)
    ap.add_argument("--dynamic", required=True)
    ap.add_argument("--qemu")
    ap.add_argument("--corpus", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "data", "policies"))
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("FAIL the portability test needs root (a mount namespace and chroot)")
        return 1

    root = Root(args)
    failed = 0
    checks = 0

    def step(label, fn):
        nonlocal failed, checks
        checks += 1
        try:
            fn()
            print("ok   %s" % label)
            return True
        except (Fail, subprocess.TimeoutExpired, OSError, ValueError) as e:
            failed += 1
            print("FAIL %s: %s" % (label, e))
            return False

    event = {"action": "echo", "q": "hello from a root without libc"}
    attack = {"action": "echo", "id": "1' OR '1'='1' -- "}
    state = {}

    def dynamic_cannot_start():
        p = root.run(["/bin/dynamic-vigil", "version"])
        check(p.returncode != 0 and "vigil " not in p.stdout,
              "a dynamically linked vigil started in the root (status %d)" % p.returncode)

    def static_starts():
        p = root.run(["/opt/extensions/vigil", "version"])
        check(p.returncode == 0 and p.stdout.startswith("vigil "),
              "vigil version: status %d, %r %r" % (p.returncode, p.stdout, p.stderr[-300:]))
        state["version"] = p.stdout.strip()

    def through_proxy():
        col = Collector()
        try:
            p, rep = root.sandbox([event, attack], [
                "AWS_LAMBDA_EXEC_WRAPPER=/opt/vigil-wrapper",
                "VIGIL_COLLECTOR_URL=http://127.0.0.1:%d/v1/logs" % col.port], "report-proxy.json")
        finally:
            col.stop()
        state["log1"] = p.stderr
        check_run(p, rep, [event, attack])
        check("[function] test-runtime: started, api 127.0.0.1:%d" % root.proxy_port in p.stderr,
              "the runtime did not talk through vigil's proxy")
        sent = [json.loads(b) for path, b in col.bodies if path == "/v1/logs"]
        check(sent, "nothing reached the collector (%d requests)" % len(col.bodies))
        kinds = []
        for doc in sent:
            for rl in doc.get("resourceLogs", []):
                for sl in rl.get("scopeLogs", []):
                    for rec in sl.get("logRecords", []):
                        attrs = {a.get("key"): a.get("value", {}).get("stringValue")
                                 for a in rec.get("attributes", [])}
                        kinds.append((attrs.get("vigil.kind"), attrs.get("vigil.category")))
        check(kinds.count(("inspection", "sqli")) == 1,
              "expected one sqli inspection alert at the collector, got %r" % kinds)

    def bypass_alert():
        p, rep = root.sandbox([event], [], "report-bypass.json")
        state["log2"] = p.stderr
        check_run(p, rep, [event])
        alerts = [l for l in p.stderr.splitlines()
                  if l.startswith("[extension:vigil] ") and "proxy_bypassed" in l]
        check(alerts, "vigil raised no proxy_bypassed alert")
        body = alerts[0][len("[extension:vigil] "):]
        json.loads(body)  # the alert is one JSON record

    def https_export():
        work = tempfile.mkdtemp(prefix="vigil-tls-")
        try:
            ca_key, ca, key, csr, crt = (os.path.join(work, n) for n in (
                "ca.key", "ca.pem", "srv.key", "srv.csr", "srv.pem"))
            ext = os.path.join(work, "ext")
            with open(ext, "w") as f:
                f.write("subjectAltName=DNS:localhost\n")

            def openssl(*a):
                r = subprocess.run(["openssl"] + list(a), capture_output=True, text=True)
                check(r.returncode == 0, "openssl %s: %s" % (a[0], r.stderr[-300:]))

            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=vigil test CA", "-keyout", ca_key, "-out", ca)
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                    "-keyout", key, "-out", csr)
            openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                    "-CAcreateserial", "-days", "1", "-extfile", ext, "-out", crt)
            etc = os.path.join(root.dir, "etc")
            os.makedirs(os.path.join(etc, "pki", "tls", "certs"))
            shutil.copy(ca, os.path.join(etc, "pki", "tls", "certs", "ca-bundle.crt"))
            with open(os.path.join(etc, "hosts"), "w") as f:
                f.write("127.0.0.1 localhost\n")
            col = Collector(tls=(crt, key))
            try:
                p, rep = root.sandbox([attack], [
                    "AWS_LAMBDA_EXEC_WRAPPER=/opt/vigil-wrapper",
                    "VIGIL_COLLECTOR_URL=https://localhost:%d/v1/logs" % col.port],
                    "report-tls.json")
            finally:
                col.stop()
            state["log3"] = p.stderr
            check_run(p, rep, [attack])
            docs = [b for path, b in col.bodies if path == "/v1/logs"]
            check(any('"sqli"' in b for b in docs),
                  "the alert did not reach the HTTPS collector (%d requests)" % len(docs))
        finally:
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(os.path.join(root.dir, "etc"), ignore_errors=True)

    def same_verdicts():
        files = sorted(f for f in os.listdir(args.corpus) if f.endswith(".ndjson"))
        check(files, "no .ndjson corpus in %s" % args.corpus)
        os.makedirs(os.path.join(root.dir, "tmp", "corpus"), exist_ok=True)
        for f in files:
            shutil.copy(os.path.join(args.corpus, f), os.path.join(root.dir, "tmp", "corpus", f))
        p = root.run(["/opt/extensions/vigil", "inspect", "--ndjson"] +
                     ["/tmp/corpus/" + f for f in files])
        check(p.returncode == 0, "inspect in the root: status %d %s" % (p.returncode,
                                                                       p.stderr[-300:]))
        h = subprocess.run([args.dynamic, "inspect", "--ndjson"] +
                           [os.path.join(args.corpus, f) for f in files],
                           capture_output=True, text=True, timeout=120)
        check(h.returncode == 0, "inspect on the host: status %d" % h.returncode)

        def norm(out):
            rows = [json.loads(l) for l in out.splitlines() if l.strip()]
            for r in rows:
                r.pop("us", None)
            return rows

        a, b = norm(p.stdout), norm(h.stdout)
        check(len(a) == len(b) and len(a) > 0, "%d lines in the root, %d on the host" %
              (len(a), len(b)))
        for x, y in zip(a, b):
            check(x == y, "event %s: %r in the root, %r on the host" % (x.get("id"), x, y))
        state["inspected"] = len(a)

    try:
        if step("root with only the layer, a static shell and a static runtime", root.build):
            step("a dynamically linked program cannot start in the root", dynamic_cannot_start)
            step("vigil version runs in the root", static_starts)
            if not step("register, invoke through the proxy, alert exported, SHUTDOWN, clean exit",
                        through_proxy):
                sys.stdout.write(state.get("log1", "")[-4000:])
            if not step("without the wrapper: proxy_bypassed alert, clean exit", bypass_alert):
                sys.stdout.write(state.get("log2", "")[-4000:])
            if not step("HTTPS export with the CA bundle at Amazon Linux's path", https_export):
                sys.stdout.write(state.get("log3", "")[-4000:])
            step("vigil inspect: the same verdicts as the development build", same_verdicts)
    finally:
        if args.keep:
            print("root kept at %s" % root.dir)
        else:
            root.remove()
    print("portability (%s): %d checks, %d failed" % (state.get("version", "?"), checks, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
