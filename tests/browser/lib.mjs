// Helpers shared by the browser test and the first-paint benchmark: start
// vigil-collector on a free port, post OTLP bodies, launch Debian's chromium.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BUILD = process.env.VIGIL_BUILD_ROOT || 'build';
export const SOURCE = process.env.VIGIL_SOURCE_ROOT || '.';
const ENV = process.env.VIGIL_BROWSER_ENV || path.join(BUILD, 'tests', 'browser', 'node-env');

export function playwright() {
  const require = createRequire(path.join(ENV, 'node_modules', 'noop.js'));
  return require('playwright-core');
}

export async function startCollector(args = [], db = null) {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-ui-'));
  const proc = spawn(path.join(BUILD, 'collector', 'vigil-collector'),
    ['--listen', '127.0.0.1:0', '--db', db || path.join(dir, 'alerts.db'), '--rate', '0',
      '--max-age', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error('collector not ready: ' + err)), 20000);
    proc.stderr.on('data', (d) => {
      err += d;
      const m = /listening on http:\/\/[^/]+:(\d+)\//.exec(err);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => reject(new Error(`collector exited ${code}: ${err}`)));
  });
  proc.stderr.resume();
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.on('exit', r));
        proc.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function postLogs(base, body) {
  const r = await fetch(base + '/v1/logs', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  if (r.status !== 200) throw new Error(`POST /v1/logs: ${r.status} ${await r.text()}`);
  return r.json();
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

// A browser with a fresh profile; close() removes the profile.
export async function launch(options = {}) {
  const { chromium } = playwright();
  const profile = mkdtempSync(path.join(tmpdir(), 'vigil-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, ...options,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const s = (key, v) => ({ key, value: { stringValue: v } });

// An OTLP request of n alerts for one function, timed now.
export function alerts(n, { prefix = 'a', fn = 'orders-api', category = 'sqli',
  rule = 'sqli.union_select', excerpt = "' UNION SELECT 1--", severity = 'high' } = {}) {
  const now = BigInt(Date.now()) * 1000000n;
  const recs = [];
  for (let i = 0; i < n; i++) {
    recs.push({
      timeUnixNano: String(now + BigInt(i)), severityNumber: severity === 'critical' ? 21 : 17,
      severityText: severity, body: { stringValue: `${category} in ${fn}` },
      attributes: [s('vigil.alert.id', `${prefix}-${i}`), s('vigil.kind', 'inspection'),
        s('vigil.category', category), s('vigil.rule.id', rule), s('vigil.action', 'alert'),
        s('vigil.event.source', 'apigw-v2'), s('vigil.field.path', 'body>$.q'),
        s('vigil.excerpt', `${excerpt} #${i}`), s('faas.invocation_id', `req-${prefix}-${i}`)],
    });
  }
  return { resourceLogs: [{ resource: { attributes: [s('service.name', 'vigil'),
    s('cloud.provider', 'aws'), s('cloud.region', 'eu-west-1'), s('faas.name', fn)] },
  scopeLogs: [{ scope: { name: 'vigil' }, logRecords: recs }] }] };
}
