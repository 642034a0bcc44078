// The collector's web UI in a real browser (Debian's chromium): alerts
// appear, filters work, live updates arrive, and no script carried by an
// alert ever runs, with the page's CSP and also with CSP switched off (so
// the rendering itself is tested, not only the policy).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SOURCE, alerts, launch, postLogs, startCollector } from './lib.mjs';

const hostileBody = readFileSync(path.join(SOURCE, 'tests/data/collector/alerts-hostile.json'), 'utf8');
const hostile = JSON.parse(hostileBody);
const payloads = hostile.resourceLogs[0].scopeLogs[0].logRecords.map(
  (r) => r.attributes.find((a) => a.key === 'vigil.excerpt').value.stringValue);

let step = 0;
function ok(name) { console.log(`ok ${++step} - ${name}`); }

// Watches a page for anything an injected payload could do.
async function watch(page) {
  const seen = { dialogs: [], errors: [] };
  page.on('dialog', (d) => { seen.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation',
      (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return seen;
}

async function assertNothingRan(page, seen, what) {
  const state = await page.evaluate(() => ({
    pwned: window.__pwned, csp: window.__csp,
    foreign: document.querySelectorAll('img, iframe, object, embed').length,
    scripts: [...document.scripts].map((s) => s.getAttribute('src')),
    svgs: [...document.querySelectorAll('svg')].filter((s) => !s.classList.contains('spark')).length,
  }));
  assert.equal(state.pwned, undefined, `${what}: a payload ran`);
  assert.deepEqual(seen.dialogs, [], `${what}: a dialog opened`);
  assert.deepEqual(state.csp, [], `${what}: CSP violations (something tried to run)`);
  assert.equal(state.foreign, 0, `${what}: payload markup became elements`);
  assert.deepEqual(state.scripts, ['/app.js'], `${what}: extra script elements`);
  assert.equal(state.svgs, 0, `${what}: payload svg became an element`);
  assert.deepEqual(seen.errors, [], `${what}: page errors`);
}

const rows = (page) => page.locator('#alerts tbody tr');

async function main() {
  const col = await startCollector();
  let browser = null;
  try {
    await postLogs(col.url, alerts(4, { prefix: 'o', fn: 'orders-api' }));
    await postLogs(col.url, alerts(3, { prefix: 'b', fn: 'billing-worker', category: 'xss',
      rule: 'xss.script_tag', excerpt: '<b>bold?</b>', severity: 'critical' }));
    await postLogs(col.url, hostileBody);
    const total = 4 + 3 + payloads.length;

    browser = await launch();
    const page = await browser.context.newPage();
    const seen = await watch(page);
    const resp = await page.goto(col.url + '/');
    assert.equal(resp.status(), 200);
    assert.match(resp.headers()['content-security-policy'], /default-src 'none'; script-src 'self'/);
    await page.waitForFunction((n) => document.querySelectorAll('#alerts tbody tr').length === n,
      total, { timeout: 20000 });
    ok(`all ${total} stored alerts appear`);

    for (const p of payloads) {
      assert.ok(await page.locator('#alerts td.excerpt', { hasText: p }).count() >= 1,
        `payload shown as text: ${p}`);
    }
    assert.equal(await page.locator('#alerts td.function', { hasText: payloads[0] }).count(),
      payloads.length);
    assert.ok(await page.locator('#alerts td.excerpt', { hasText: '<b>bold?</b>' }).count() === 3);
    ok('payloads in excerpt, rule, field path and function name show as text');

    const groupRows = page.locator('#groups tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('#groups tbody tr').length > 0);
    assert.ok(await groupRows.count() >= 3);
    assert.ok(await page.locator('#groups svg.spark polyline').count() >= 3);
    const ordersGroup = groupRows.filter({ hasText: 'orders-api' });
    assert.equal(await ordersGroup.locator('td.count').textContent(), '4');
    ok('groups show counts and sparklines');

    // Open every hostile alert's detail view.
    for (const p of payloads) {
      await page.locator('#alerts td.excerpt', { hasText: p }).first().click();
      await page.locator('#detail').waitFor({ state: 'visible' });
      assert.ok(await page.locator('#detail-body th', { hasText: p }).count() >= 1,
        'attribute name shown as text');
    }
    assert.ok(await page.locator('#detail-body th', { hasText: 'cloud.region' }).count() === 1);
    await assertNothingRan(page, seen, 'with CSP');
    ok('detail view lists every attribute; no injected script ran, no CSP violation');

    // Filters.
    await page.fill('input[name=function]', 'billing-worker');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#alerts tbody tr').length === 3);
    for (const t of await page.locator('#alerts td.function').allTextContents())
      assert.equal(t, 'billing-worker');
    await page.click('#clear');
    await page.waitForFunction((n) => document.querySelectorAll('#alerts tbody tr').length === n, total);
    await page.fill('input[name=category]', 'sqli');
    await page.fill('input[name=q]', '#2');
    await page.press('input[name=q]', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('#alerts tbody tr').length === 1);
    assert.equal(await rows(page).locator('td.excerpt').textContent(), "' UNION SELECT 1-- #2");
    await page.click('#clear');
    await page.waitForFunction((n) => document.querySelectorAll('#alerts tbody tr').length === n, total);
    ok('function, category and text filters narrow the list; clear restores it');

    // Links by request id.
    await page.locator('#alerts a.req', { hasText: 'req-b-1' }).click();
    await page.waitForFunction(() => document.querySelectorAll('#alerts tbody tr').length === 1);
    assert.match(page.url(), /#request=req-b-1$/);
    await page.click('#clear');
    await page.waitForFunction((n) => document.querySelectorAll('#alerts tbody tr').length === n, total);
    ok('a request id links to that request\'s alerts');

    // A group narrows the alerts to its own.
    await ordersGroup.click();
    await page.waitForFunction(() => document.querySelectorAll('#alerts tbody tr').length === 4);
    await page.click('#clear');
    await page.waitForFunction((n) => document.querySelectorAll('#alerts tbody tr').length === n, total);
    ok('clicking a group shows its alerts');

    // Live updates over server-sent events, no reload.
    await page.locator('#live.on').waitFor({ timeout: 20000 });
    await page.evaluate(() => { window.__noReload = true; });
    await postLogs(col.url, alerts(2, { prefix: 'live', fn: 'late-fn', excerpt: 'LIVE-MARKER' }));
    await page.locator('#alerts td.excerpt', { hasText: 'LIVE-MARKER #1' }).waitFor({ timeout: 20000 });
    assert.equal(await page.evaluate(() => window.__noReload), true, 'the page reloaded');
    assert.equal(await rows(page).first().locator('td.function').textContent(), 'late-fn');
    await page.waitForFunction(() => [...document.querySelectorAll('#groups td.function')]
      .some((td) => td.textContent === 'late-fn'), null, { timeout: 20000 });
    // A live alert that does not match the filter stays out.
    await page.fill('input[name=function]', 'orders-api');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#alerts tbody tr').length === 4);
    await postLogs(col.url, alerts(1, { prefix: 'live2', fn: 'other-fn', excerpt: 'NOT-HERE' }));
    await postLogs(col.url, alerts(1, { prefix: 'live3', fn: 'orders-api', excerpt: 'HERE' }));
    await page.locator('#alerts td.excerpt', { hasText: 'HERE #0' }).waitFor({ timeout: 20000 });
    assert.equal(await page.locator('#alerts td.excerpt', { hasText: 'NOT-HERE' }).count(), 0);
    ok('live updates arrive by server-sent events and respect the filters');

    // A live hostile alert is as inert as a loaded one.
    await page.click('#clear');
    await postLogs(col.url, hostileBody.replaceAll('xss-ui-', 'xss-live-'));
    await page.waitForFunction((n) => document.querySelectorAll('#alerts tbody tr').length >= n,
      total + 4 + payloads.length, { timeout: 20000 });
    await assertNothingRan(page, seen, 'live hostile alerts');
    ok('hostile alerts arriving live stay text');
    await browser.close();
    browser = null;

    // Without CSP: the rendering alone must keep payloads inert.
    browser = await launch({ bypassCSP: true });
    const bare = await browser.context.newPage();
    const seen2 = await watch(bare);
    await bare.goto(col.url + '/');
    await bare.waitForFunction(() => document.querySelectorAll('#alerts tbody tr').length > 10);
    for (const p of payloads) {
      await bare.locator('#alerts td.excerpt', { hasText: p }).first().click();
      await bare.locator('#detail').waitFor({ state: 'visible' });
    }
    await bare.waitForTimeout(300);
    await assertNothingRan(bare, seen2, 'with CSP bypassed');
    ok('with CSP bypassed, no injected script runs either');
  } finally {
    if (browser) await browser.close().catch(() => {});
    await col.stop();
  }
}

main().then(() => console.log(`1..${step}`), (e) => {
  console.error('not ok -', e && e.stack ? e.stack : e);
  process.exit(1);
});
