"""Integration tests: the real vigil-collector binary over HTTP."""
import gzip
import http.client
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from collector_proc import Collector, data_file, records  # noqa: E402

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
       " img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def wait_for(pred, timeout=15.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Basic(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Collector('--rate', '0')

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def test_healthz(self):
        status, _, body = self.c.request('GET', '/healthz')
        self.assertEqual(status, 200)

    def test_ingest_query_dedup(self):
        c = Collector('--rate', '0')
        try:
            status, h, body = c.post_logs(data_file('alerts-basic.json'))
            self.assertEqual((status, json.loads(body)), (200, {}))
            self.assertTrue(h['content-type'].startswith('application/json'))
            status, _, body = c.post_logs(data_file('alerts-basic.json'))
            self.assertEqual(status, 200)
            alerts = c.get_json('/api/alerts')['alerts']
            # 5 alerts once each, the id-less generic record twice.
            self.assertEqual(len(alerts), 7)
            self.assertEqual(sum(1 for a in alerts if a['alertId'] is None), 2)
            first = [a for a in alerts if a['alertId'] == '3f1c9a0e-0001'][0]
            self.assertEqual(first['attributes']['vigil.category'], 'sqli')
            self.assertEqual(first['attributes']['vigil.excerpt'], "' UNION SELECT password FROM users--")
            self.assertEqual(first['resource']['cloud.region'], 'eu-west-1')
            self.assertEqual(first['resource']['faas.max_memory'], 134217728)
            # Newest first.
            ids = [a['id'] for a in alerts]
            self.assertEqual(ids, sorted(ids, reverse=True))
            q = c.get_json('/api/alerts?function=orders-api&category=sqli')['alerts']
            self.assertEqual(len(q), 2)
            self.assertEqual(len(c.get_json('/api/alerts?severity=critical')['alerts']), 2)
            self.assertEqual(len(c.get_json('/api/alerts?source=sqs')['alerts']), 1)
            self.assertEqual(len(c.get_json('/api/alerts?q=passwd')['alerts']), 1)
            page = c.get_json('/api/alerts?limit=3')
            self.assertEqual(len(page['alerts']), 3)
            rest = c.get_json('/api/alerts?limit=10&before=' + page['next'])['alerts']
            self.assertEqual(len(rest), 4)
            status, _, _ = c.request('GET', '/api/alerts?limit=abc')
            self.assertEqual(status, 400)
            groups = c.get_json('/api/groups')['groups']
            union = [g for g in groups if g['rule'] == 'sqli.union_select'][0]
            self.assertEqual(union['count'], 2)
            self.assertEqual(union['function'], 'orders-api')
            g6 = c.get_json('/api/groups?window=1h&buckets=6&function=orders-api')['groups']
            self.assertEqual({len(g['spark']) for g in g6}, {6})
            self.assertEqual({g['function'] for g in g6}, {'orders-api'})
            for bad in ('/api/groups?window=bad', '/api/groups?buckets=0',
                        '/api/alerts?since=yesterday', '/api/alerts?before=x',
                        '/api/alerts?limit=1001'):
                self.assertEqual(c.request('GET', bad)[0], 400, bad)
            self.assertEqual(len(c.get_json('/api/alerts?since=2026-01-01T00:00:00Z')['alerts']), 7)
            self.assertEqual(len(c.get_json('/api/alerts?since=1795870000004')['alerts']), 4)
            stats = c.get_json('/api/stats')
            self.assertEqual(stats['alerts'], 7)
            self.assertEqual(stats['ingest']['duplicates'], 5)
        finally:
            c.close()

    def test_partial_and_malformed(self):
        status, _, body = self.c.post_logs(data_file('alerts-partial.json'))
        self.assertEqual(status, 200)
        ps = json.loads(body)['partialSuccess']
        self.assertEqual(ps['rejectedLogRecords'], '3')
        self.assertTrue(ps['errorMessage'])
        status, h, body = self.c.post_logs(data_file('malformed.json'))
        self.assertEqual(status, 400)
        err = json.loads(body)
        self.assertEqual(err['code'], 3)
        self.assertIn('JSON', err['message'])
        self.assertEqual(self.c.post_logs(b'[1,2]')[0], 400)

    def test_media_types(self):
        status, _, body = self.c.post_logs(b'\x0a\x00', {'Content-Type': 'application/x-protobuf'})
        self.assertEqual(status, 415)
        self.assertIn('protobuf', json.loads(body)['message'])
        status, _, _ = self.c.post_logs(b'{}', {'Content-Encoding': 'br'})
        self.assertEqual(status, 415)
        status, _, _ = self.c.request('GET', '/v1/logs')
        self.assertEqual(status, 405)

    def test_gzip(self):
        c = Collector('--rate', '0', '--max-inflated', str(1 << 20))
        try:
            body = gzip.compress(json.dumps(records(3, 'gz')).encode())
            status, _, _ = c.post_logs(body, {'Content-Encoding': 'gzip'})
            self.assertEqual(status, 200)
            self.assertEqual(len(c.get_json('/api/alerts?q=req-gz')['alerts']), 3)
            bomb = gzip.compress(b'{"resourceLogs":[' + b' ' * (8 << 20) + b']}')
            self.assertLess(len(bomb), 64 * 1024)
            status, _, body = c.post_logs(bomb, {'Content-Encoding': 'gzip'})
            self.assertEqual(status, 413)
            status, _, _ = c.post_logs(b'\x1f\x8bnot really', {'Content-Encoding': 'gzip'})
            self.assertEqual(status, 400)
        finally:
            c.close()

    def test_oversized(self):
        c = Collector('--rate', '0', '--max-body', '4096')
        try:
            big = json.dumps(records(60, 'big')).encode()
            self.assertGreater(len(big), 4096)
            status, _, body = c.post_logs(big)
            self.assertEqual(status, 413)
            self.assertEqual(json.loads(body)['code'], 8)
            # Without a Content-Length (chunked), the cap still holds.
            conn = http.client.HTTPConnection('127.0.0.1', c.port, timeout=30)
            conn.putrequest('POST', '/v1/logs')
            conn.putheader('Content-Type', 'application/json')
            conn.putheader('Transfer-Encoding', 'chunked')
            conn.endheaders()
            for i in range(0, len(big), 1000):
                chunk = big[i:i + 1000]
                conn.send(b'%x\r\n%s\r\n' % (len(chunk), chunk))
            conn.send(b'0\r\n\r\n')
            self.assertEqual(conn.getresponse().status, 413)
            conn.close()
            self.assertEqual(c.get_json('/api/stats')['alerts'], 0)
        finally:
            c.close()

    def test_ui_headers(self):
        status, h, body = self.c.request('GET', '/')
        self.assertEqual(status, 200)
        self.assertEqual(h['content-security-policy'], CSP)
        self.assertEqual(h['x-content-type-options'], 'nosniff')
        self.assertIn(b'<script src="/app.js"', body)
        self.assertNotIn(b'<style', body)
        for path, ctype in (('/app.js', 'text/javascript'), ('/app.css', 'text/css')):
            status, h, body = self.c.request('GET', path)
            self.assertEqual(status, 200)
            self.assertTrue(h['content-type'].startswith(ctype))
        self.assertIn(b'textContent', self.c.request('GET', '/app.js')[2])
        self.assertNotIn(b'innerHTML', self.c.request('GET', '/app.js')[2])
        self.assertEqual(self.c.request('GET', '/nope')[0], 404)

    def test_keep_alive(self):
        conn = http.client.HTTPConnection('127.0.0.1', self.c.port, timeout=30)
        for i in range(3):
            status, _, _ = self.c.post_logs(records(2, 'ka%d' % i), conn=conn)
            self.assertEqual(status, 200)
        conn.close()

    def test_stream(self):
        conn = http.client.HTTPConnection('127.0.0.1', self.c.port, timeout=30)
        conn.request('GET', '/api/stream')
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        self.assertTrue(r.getheader('Content-Type').startswith('text/event-stream'))
        self.assertEqual(r.readline(), b'retry: 2000\n')
        self.assertEqual(self.c.post_logs(records(1, 'live'))[0], 200)
        event = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            line = r.readline()
            if line.startswith(b'data: '):
                event = json.loads(line[6:])
                if event['alertId'] == 'live-0':
                    break
        conn.close()
        self.assertEqual(event['alertId'], 'live-0')
        self.assertEqual(event['attributes']['faas.invocation_id'], 'req-live-0')


class Auth(unittest.TestCase):
    def check(self, c, token):
        self.assertEqual(c.post_logs(records(1, 'a'))[0], 401)
        status, h, _ = c.post_logs(records(1, 'a'), {'Authorization': 'Bearer wrong'})
        self.assertEqual(status, 401)
        self.assertEqual(h.get('www-authenticate'), 'Bearer')
        self.assertEqual(c.post_logs(records(1, 'a'), {'Authorization': 'Bearer ' + token + 'x'})[0], 401)
        self.assertEqual(c.post_logs(records(1, 'a'), {'Authorization': 'Basic ' + token})[0], 401)
        self.assertEqual(c.post_logs(records(1, 'a'), {'Authorization': 'Bearer ' + token})[0], 200)
        self.assertEqual(c.get_json('/api/stats')['ingest']['unauthorized'], 4)

    def test_flag(self):
        c = Collector('--token', 's3cret-token')
        try:
            self.check(c, 's3cret-token')
        finally:
            c.close()

    def test_environment(self):
        c = Collector(env={'VIGIL_COLLECTOR_TOKEN': 'from-env'})
        try:
            self.check(c, 'from-env')
        finally:
            c.close()


class Limits(unittest.TestCase):
    def test_rate_limit(self):
        c = Collector('--rate', '1', '--burst', '3')
        try:
            codes = [c.post_logs(records(1, 'rl%d' % i)) for i in range(5)]
            self.assertEqual([x[0] for x in codes[:3]], [200, 200, 200])
            limited = [x for x in codes if x[0] == 429]
            self.assertTrue(limited)
            self.assertGreaterEqual(int(limited[0][1]['retry-after']), 1)
            self.assertEqual(json.loads(limited[0][2])['code'], 8)
            # The query API is not rate-limited.
            self.assertEqual(c.request('GET', '/api/alerts')[0], 200)
        finally:
            c.close()

    def test_wrong_tokens_are_rate_limited(self):
        c = Collector('--rate', '1', '--burst', '2', '--token', 'right')
        try:
            codes = [c.post_logs(records(1, 'w'), {'Authorization': 'Bearer wrong'})[0]
                     for _ in range(4)]
            self.assertEqual(codes[:2], [401, 401])
            self.assertIn(429, codes[2:])
        finally:
            c.close()

    def test_count_retention(self):
        c = Collector('--rate', '0', '--max-alerts', '20')
        try:
            for i in range(5):
                self.assertEqual(c.post_logs(records(10, 'cr%d' % i))[0], 200)
            n = c.get_json('/api/stats')['alerts']
            self.assertLessEqual(n, 20)
            alerts = c.get_json('/api/alerts?limit=1000')['alerts']
            self.assertEqual(len(alerts), n)
            self.assertIn('cr4-9', [a['alertId'] for a in alerts])
        finally:
            c.close()

    def test_age_retention(self):
        c = Collector('--rate', '0', '--max-age', '1h', '--retention-interval', '1')
        try:
            old = time.time_ns() - 2 * 3600 * 10**9
            self.assertEqual(c.post_logs(records(3, 'old', time_ns=old))[0], 200)
            self.assertEqual(c.post_logs(records(2, 'new'))[0], 200)
            left = wait_for(lambda: c.get_json('/api/stats')['alerts'] == 2)
            self.assertTrue(left)
            ids = sorted(a['alertId'] for a in c.get_json('/api/alerts')['alerts'])
            self.assertEqual(ids, ['new-0', 'new-1'])
        finally:
            c.close()


class Durability(unittest.TestCase):
    def test_kill9_keeps_acknowledged(self):
        c = Collector('--rate', '0')
        try:
            conn = http.client.HTTPConnection('127.0.0.1', c.port, timeout=30)
            for i in range(20):
                self.assertEqual(c.post_logs(records(50, 'k%d' % i), conn=conn)[0], 200)
            conn.close()
            c.kill9()
            c.start()
            self.assertEqual(c.get_json('/api/stats')['alerts'], 1000)
            # De-duplication survives the restart too.
            self.assertEqual(c.post_logs(records(50, 'k7'))[0], 200)
            self.assertEqual(c.get_json('/api/stats')['alerts'], 1000)
            self.assertEqual(c.stop(), 0)
        finally:
            c.close()


class Concurrency(unittest.TestCase):
    def test_parallel_senders_group_commit(self):
        # Four senders at once share commits; every acknowledged alert is
        # stored once, and ids sent by two senders are stored once.
        import threading
        c = Collector('--rate', '0', '--sync', 'full')
        errors = []

        def send(t):
            conn = http.client.HTTPConnection('127.0.0.1', c.port, timeout=60)
            for i in range(15):
                status, _, _ = c.post_logs(records(40, 'p%d-%d' % (t, i)), conn=conn)
                if status != 200:
                    errors.append(status)
                # Every sender also repeats one shared batch.
                status, _, _ = c.post_logs(records(5, 'shared'), conn=conn)
                if status != 200:
                    errors.append(status)
            conn.close()
        try:
            threads = [threading.Thread(target=send, args=(t,)) for t in range(4)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            self.assertEqual(errors, [])
            stats = c.get_json('/api/stats')
            self.assertEqual(stats['alerts'], 4 * 15 * 40 + 5)
            self.assertEqual(stats['ingest']['stored'], 4 * 15 * 40 + 5)
            self.assertEqual(stats['ingest']['duplicates'], 4 * 15 * 5 - 5)
            group = [g for g in c.get_json('/api/groups')['groups'] if g['function'] == 'fn-a']
            self.assertEqual(sum(g['count'] for g in group), 4 * 15 * 40 + 5)
            c.kill9()
            c.start()
            self.assertEqual(c.get_json('/api/stats')['alerts'], 4 * 15 * 40 + 5)
        finally:
            c.close()


class Forward(unittest.TestCase):
    def test_forward_accepted_records(self):
        target = Collector('--rate', '0', '--token', 'fwd')
        relay = Collector('--rate', '0', '--forward', target.url + '/v1/logs',
                          '--forward-token', 'fwd')
        try:
            self.assertEqual(relay.post_logs(data_file('alerts-partial.json'))[0], 200)
            self.assertEqual(relay.post_logs(data_file('alerts-basic.json'))[0], 200)
            got = wait_for(lambda: target.get_json('/api/stats')['alerts'] == 8)
            self.assertTrue(got, target.get_json('/api/stats'))
            ids = {a['alertId'] for a in target.get_json('/api/alerts')['alerts']}
            self.assertIn('partial-ok-2', ids)
            self.assertEqual(target.get_json('/api/stats')['ingest']['rejected'], 0)
            self.assertEqual(relay.get_json('/api/stats')['forward']['sent'], 2)
        finally:
            relay.close()
            target.close()

    def test_forward_retries_honour_retry_after(self):
        # A peer that answers 503 with Retry-After first, then 200; and 400
        # (final, not retried) for a body marked bad.
        import http.server
        import threading
        seen = []

        class Peer(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers['Content-Length']))
                seen.append((time.monotonic(), self.headers.get('Authorization'), body))
                bad = b'final-400' in body
                code = 400 if bad else (503 if len(seen) == 1 else 200)
                self.send_response(code)
                if code == 503:
                    self.send_header('Retry-After', '1')
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', '2')
                self.end_headers()
                self.wfile.write(b'{}')

            def log_message(self, *a):
                pass

        srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Peer)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        relay = Collector('--rate', '0', '--forward',
                          'http://127.0.0.1:%d/v1/logs' % srv.server_address[1],
                          '--forward-token', 'peer-token')
        try:
            self.assertEqual(relay.post_logs(records(3, 'retry'))[0], 200)
            fwd = wait_for(lambda: (lambda f: f if f['sent'] == 1 else None)(
                relay.get_json('/api/stats')['forward']))
            self.assertTrue(fwd, relay.get_json('/api/stats'))
            self.assertEqual(fwd['retries'], 1)
            self.assertEqual(len(seen), 2)
            self.assertGreaterEqual(seen[1][0] - seen[0][0], 0.9)  # waited Retry-After
            self.assertEqual(seen[1][1], 'Bearer peer-token')
            sent = json.loads(seen[1][2])
            recs = sent['resourceLogs'][0]['scopeLogs'][0]['logRecords']
            self.assertEqual(len(recs), 3)
            self.assertEqual(relay.post_logs(records(1, 'final-400'))[0], 200)
            fwd = wait_for(lambda: (lambda f: f if f['failed'] == 1 else None)(
                relay.get_json('/api/stats')['forward']))
            self.assertTrue(fwd, relay.get_json('/api/stats'))
            self.assertEqual(fwd['retries'], 1)  # a 400 is not retried
        finally:
            relay.close()
            srv.shutdown()
            srv.server_close()

    def test_forward_down_never_blocks(self):
        # A port nothing listens on: sends fail and are retried in the
        # background while ingest keeps answering at once.
        dead = Collector()
        url = dead.url + '/v1/logs'
        dead.close()
        relay = Collector('--rate', '0', '--forward', url, '--forward-queue', '2')
        try:
            t0 = time.monotonic()
            for i in range(10):
                self.assertEqual(relay.post_logs(records(1, 'down%d' % i))[0], 200)
            self.assertLess(time.monotonic() - t0, 10)
            fwd = wait_for(lambda: (lambda f: f if f['retries'] > 0 and f['dropped'] > 0 else None)(
                relay.get_json('/api/stats')['forward']))
            self.assertTrue(fwd, relay.get_json('/api/stats'))
            self.assertEqual(relay.get_json('/api/stats')['alerts'], 10)
            self.assertEqual(relay.stop(), 0)
        finally:
            relay.close()


if __name__ == '__main__':
    unittest.main(verbosity=2)
