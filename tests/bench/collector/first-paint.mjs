// Time to first paint of the collector's UI holding 100,000 alerts,
// measured in Debian's chromium: first-contentful-paint, and the moment the
// first page of alerts is in the table (the UI's 'vigil-alerts-rendered'
// mark), both from navigation start, median of several cold page loads.
//
// usage (from the build folder, after `meson test collector-ui` installed
// playwright-core):
//   VIGIL_BUILD_ROOT=$PWD VIGIL_SOURCE_ROOT=.. node ../tests/bench/collector/first-paint.mjs [--alerts N] [--runs N]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, startCollector } from '../../browser/lib.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const alerts = arg('--alerts', 100000);
const runs = arg('--runs', 7);
const build = process.env.VIGIL_BUILD_ROOT || 'build';

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-paint-'));
const db = path.join(dir, 'alerts.db');
execFileSync(path.join(build, 'tests/bench/collector/bench-query'),
  ['--alerts', String(alerts), '--db', db, '--generate-only'], { stdio: 'inherit' });
const col = await startCollector(['--max-alerts', '0'], db);
const browser = await launch();
const fcp = [], rendered = [], rows = [];
try {
  for (let i = 0; i < runs; i++) {
    const page = await browser.context.newPage();
    await page.goto(col.url + '/');
    await page.waitForFunction(() => performance.getEntriesByName('vigil-alerts-rendered').length
      && performance.getEntriesByName('first-contentful-paint').length, null, { timeout: 30000 });
    const t = await page.evaluate(() => ({
      fcp: performance.getEntriesByName('first-contentful-paint')[0].startTime,
      rendered: performance.getEntriesByName('vigil-alerts-rendered')[0].startTime,
      rows: document.querySelectorAll('#alerts tbody tr').length,
    }));
    fcp.push(t.fcp);
    rendered.push(t.rendered);
    rows.push(t.rows);
    await page.close();
  }
} finally {
  await browser.close();
  await col.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`first-paint: ${alerts} stored alerts, ${runs} page loads, chromium headless`);
console.log(`  first-contentful-paint ms   median ${median(fcp).toFixed(1)}  max ${Math.max(...fcp).toFixed(1)}`);
console.log(`  first alerts rendered ms    median ${median(rendered).toFixed(1)}  max ${Math.max(...rendered).toFixed(1)}  (${rows[0]} rows)`);
