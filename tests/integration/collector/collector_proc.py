"""Starts vigil-collector on a free port and tears it down (shared by the
integration tests and the browser test's Python helpers)."""
import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time

BUILD = os.environ.get('VIGIL_BUILD_ROOT', 'build')
SOURCE = os.environ.get('VIGIL_SOURCE_ROOT', '.')
BINARY = os.path.join(BUILD, 'collector', 'vigil-collector')
DATA = os.path.join(SOURCE, 'tests', 'data', 'collector')
READY = re.compile(r'listening on http://([^/]+):(\d+)/')


class Collector:
    def __init__(self, *args, db=None, env=None):
        self.tmp = None
        if db is None:
            self.tmp = tempfile.TemporaryDirectory(prefix='vigil-col-')
            db = os.path.join(self.tmp.name, 'alerts.db')
        self.db = db
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.start()

    def start(self):
        if self.proc:
            self.proc.stderr.close()
        self.proc = subprocess.Popen(
            [BINARY, '--listen', '127.0.0.1:0', '--db', self.db] +
            ([] if '--sync' in self.args else ['--sync', 'normal']) + self.args,
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=self.env, text=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError('vigil-collector exited before it was ready')
            m = READY.search(line)
            if m:
                self.port = int(m.group(2))
                break
        else:
            raise RuntimeError('vigil-collector not ready in time')
        # Keep draining stderr so the collector never blocks on a full pipe.
        threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True).start()

    @staticmethod
    def _drain(f):
        try:
            for _ in f:
                pass
        except (ValueError, OSError):
            pass  # closed by close()

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def close(self):
        self.stop()
        self.proc.stderr.close()
        if self.tmp:
            self.tmp.cleanup()

    def request(self, method, path, body=None, headers=None, conn=None):
        own = conn is None
        if own:
            conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        if own:
            conn.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def post_logs(self, body, headers=None, conn=None):
        h = {'Content-Type': 'application/json'}
        h.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        return self.request('POST', '/v1/logs', body, h, conn)

    def get_json(self, path):
        status, _, data = self.request('GET', path)
        assert status == 200, (path, status, data)
        return json.loads(data)


def data_file(name):
    with open(os.path.join(DATA, name), 'rb') as f:
        return f.read()


def records(n, prefix='r', fn='fn-a', time_ns=None, extra=None):
    """An OTLP request with n alerts whose ids are prefix-0..n-1."""
    now = time_ns if time_ns is not None else time.time_ns()
    recs = []
    for i in range(n):
        attrs = [
            {'key': 'vigil.alert.id', 'value': {'stringValue': '%s-%d' % (prefix, i)}},
            {'key': 'vigil.kind', 'value': {'stringValue': 'inspection'}},
            {'key': 'vigil.category', 'value': {'stringValue': 'sqli'}},
            {'key': 'vigil.rule.id', 'value': {'stringValue': 'sqli.test'}},
            {'key': 'vigil.field.path', 'value': {'stringValue': 'body>$.q'}},
            {'key': 'vigil.excerpt', 'value': {'stringValue': "' or 1=1--"}},
            {'key': 'faas.invocation_id', 'value': {'stringValue': 'req-%s-%d' % (prefix, i)}},
        ]
        recs.append({'timeUnixNano': str(now + i), 'severityNumber': 17,
                     'severityText': 'high', 'body': {'stringValue': 'sqli'},
                     'attributes': attrs + (extra or [])})
    return {'resourceLogs': [{'resource': {'attributes': [
        {'key': 'service.name', 'value': {'stringValue': 'vigil'}},
        {'key': 'faas.name', 'value': {'stringValue': fn}}]},
        'scopeLogs': [{'logRecords': recs}]}]}
