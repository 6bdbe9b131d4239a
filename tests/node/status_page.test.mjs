// The status page in a real browser: Debian's Chromium, driven by playwright-core, against the
// real daemon after it ingested fixture webhooks. Every page is loaded and its key figures are
// checked against what was sent; a quarantine release and a dead-letter replay are done through
// the page's own forms; the console must stay free of errors; screenshots are saved under
// $JOURNEYD_TEST_OUTPUT (default: a temp dir, printed).
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

import { readFixture, startDaemon } from './daemon.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const mappings = path.resolve(here, '..', '..', 'mappings');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const outputDir = process.env.JOURNEYD_TEST_OUTPUT
  ? path.join(process.env.JOURNEYD_TEST_OUTPUT, 'status-page')
  : mkdtempSync(path.join(tmpdir(), 'journeyd-status-page-'));
mkdirSync(outputDir, { recursive: true });

const SHOPIFY_SECRET = 'shpss_' + randomBytes(16).toString('hex');
const RECEIVER_SECRET = 'whsec_' + randomBytes(24).toString('base64');

// The receiver refuses everything with 400 (so deliveries dead-letter) until `healthy` is set.
let healthy = false;
const received = [];  // {status, body}
let receiver;
let daemon;
let browser;
const consoleErrors = [];

function config(port) {
  return `server:
  admin_token: \${env:JOURNEYD_ADMIN_TOKEN}
  read_token: \${env:JOURNEYD_READ_TOKEN}
sources:
  - name: shopify
    type: shopify
    mapping: ${path.join(mappings, 'shopify.yaml')}
    secret: \${env:TEST_SHOPIFY_SECRET}
governance:
  rules:
    # Quarantines the customers/create fixture (bob@biller.com), lets the order (john@) through.
    - name: no_biller_accounts
      field: email
      check: regex
      pattern: "(?!.*@biller\\\\.com$).*"
      action: reject
targets:
  - name: receiver
    type: webhook
    url: http://127.0.0.1:${port}/journeyd
    secret: \${env:TEST_RECEIVER_SECRET}
    delivery:
      linger: 20ms
`;
}

async function postShopify(topic, fixture, { tamper = false } = {}) {
  const body = readFixture(`webhooks/shopify/${fixture}`);
  const signature = createHmac('sha256', SHOPIFY_SECRET).update(body).digest('base64');
  const res = await daemon.post('/webhooks/shopify', tamper ? body.replace('John', 'Jon') : body, {
    'Content-Type': 'application/json',
    'X-Shopify-Topic': topic,
    'X-Shopify-Shop-Domain': 'example.myshopify.com',
    'X-Shopify-Webhook-Id': randomBytes(8).toString('hex'),
    'X-Shopify-Hmac-Sha256': signature,
  });
  return res.status;
}

async function adminApi(p, options = {}) {
  const res = await fetch(daemon.url(p), {
    ...options,
    headers: { Authorization: `Bearer ${daemon.secrets.JOURNEYD_ADMIN_TOKEN}`, ...(options.headers ?? {}) },
  });
  return { status: res.status, json: await res.json() };
}

async function waitFor(what, predicate, timeoutMs = 15000) {
  const until = Date.now() + timeoutMs;
  while (true) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${daemon.output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  assert.ok(existsSync(chromiumPath),
    `${chromiumPath} is missing: ./scripts/bootstrap --with-browser installs Debian's chromium`);
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const status = healthy ? 204 : 400;
      received.push({ status, body });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(healthy ? '' : '{"error":"receiver refuses this change"}');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  process.env.TEST_SHOPIFY_SECRET = SHOPIFY_SECRET;
  process.env.TEST_RECEIVER_SECRET = RECEIVER_SECRET;
  daemon = await startDaemon({ config: config(receiver.address().port) });

  // Fixture events: an order (mapped, placed on the journey, delivered: dead-lettered by the
  // broken receiver), a new customer (quarantined by the rule) and a forged order (401).
  assert.equal(await postShopify('orders/create', 'orders_create.json'), 200);
  assert.equal(await postShopify('customers/create', 'customers_create.json'), 200);
  assert.equal(await postShopify('orders/create', 'orders_create.json', { tamper: true }), 401);
  await waitFor('a quarantined record', async () =>
    (await adminApi('/api/v1/quarantine')).json.quarantine?.length === 1);
  await waitFor('a dead letter', async () =>
    (await adminApi('/api/v1/dlq')).json.dead_letters?.length > 0);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Root in CI has no sandbox; the rest keeps Chromium off the (closed) network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (daemon) {
    const { code, signal } = await daemon.stop();
    assert.equal(signal, null, `journeyd died of ${signal}\n${daemon.output}`);
    assert.equal(code, 0);
  }
  if (receiver) receiver.close();
  console.log(`status page screenshots: ${outputDir}`);
});

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`${page.url()}: ${err.message}`));
  return page;
}

async function signIn(page, token) {
  await page.goto(daemon.url('/'));
  const form = page.locator('form[action="/login"]');
  await form.locator('input[name="token"]').fill(token);
  await Promise.all([page.waitForLoadState('load'), form.locator('button[type="submit"]').click()]);
}

// Waits until the page application has rendered `route` from the API.
async function loaded(page, route) {
  await page.waitForSelector(`#main[data-page="${route}"]`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(outputDir, `${name}.png`), fullPage: true });
}

test('sign-in: one token field; a wrong token is refused; the cookie is HttpOnly and SameSite=Strict', async () => {
  const page = await newPage();
  await page.goto(daemon.url('/'));
  assert.equal(await page.locator('form[action="/login"] input:not([type="hidden"])').count(), 1);
  assert.equal(await page.locator('input[name="token"]').count(), 1);
  await shot(page, '00-sign-in');

  await page.locator('input[name="token"]').fill('not-a-token');
  await page.locator('form[action="/login"] button').click();
  await page.waitForSelector('.error');
  assert.match(await page.locator('.error').innerText(), /not valid/);
  assert.equal((await page.context().cookies()).length, 0);

  await signIn(page, daemon.secrets.JOURNEYD_READ_TOKEN);
  await loaded(page, '/');
  const [cookie] = await page.context().cookies();
  assert.equal(cookie.name, 'journeyd_session');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(await page.locator('#who').innerText(), 'read-only');
  // A read-only session cannot act: the page disables the forms, the API refuses anyway.
  await page.goto(daemon.url('/issues'));
  await loaded(page, '/issues');
  assert.equal(await page.locator('[data-action="release"] button').first().isDisabled(), true);
  // Masked for the read-only token: the customer's address never reaches this page.
  assert.equal((await page.content()).includes('bob@biller.com'), false);

  await page.locator('#logout button').click();
  await page.waitForSelector('input[name="token"]');
  assert.equal((await page.context().cookies()).length, 0);
  await page.context().close();
  // The one console error is Chromium's note of the refused sign-in's 401.
  assert.equal(consoleErrors.length, 1, consoleErrors.join('\n'));
  assert.match(consoleErrors[0], /\/login: .*401/);
  consoleErrors.length = 0;
});

test('overview, data quality, deliveries, profiles and journey pages with an admin session', async () => {
  const page = await newPage();
  await signIn(page, daemon.secrets.JOURNEYD_ADMIN_TOKEN);
  await loaded(page, '/');

  // Overview: shopify received 3 in the last hour (2 accepted, 1 forged); the target is red.
  const shopify = page.locator('#sources tr[data-source="shopify"]');
  const cells = await shopify.locator('td').allInnerTexts();
  assert.equal(cells[0], 'shopify');
  assert.deepEqual(cells.slice(3, 6), ['3', '2', '1']);
  assert.equal(await shopify.locator('[data-state]').getAttribute('data-state'), 'amber');
  assert.match(cells[2], /1 of 3 requests in the last hour were refused/);
  const target = page.locator('#targets tr[data-target="receiver"]');
  assert.equal(await target.locator('[data-state]').getAttribute('data-state'), 'red');
  assert.match(await target.innerText(), /HTTP 400/);
  assert.equal(await page.locator('#overall').getAttribute('data-state'), 'red');
  assert.equal(await page.locator('#quarantined b').innerText(), '1');
  await shot(page, '01-overview');

  // Data quality: the signature failure counted by kind and source; the quarantined record with
  // its raw payload; release through the page's form.
  await page.locator('header nav a[href="/issues"]').click();
  await loaded(page, '/issues');
  const group = page.locator('#issue-groups tr[data-kind="signature_failure"][data-source="shopify"]');
  assert.deepEqual((await group.locator('td').allInnerTexts()).slice(2, 5), ['1', '1', '1']);
  assert.equal(await page.locator('#rules tr[data-rule="no_biller_accounts"] td.num').innerText(), '1');
  const entry = page.locator('#quarantine tr[data-quarantine]').first();
  const entryId = await entry.getAttribute('data-quarantine');
  await entry.locator('button[data-raw]').click();
  await entry.locator('.raw pre').waitFor();
  const raw = await entry.locator('.raw pre').innerText();
  assert.match(raw, /bob@biller\.com/);
  // The payload as received: Shopify's 64-bit ids keep every digit (no JavaScript rounding).
  assert.ok(raw.includes(readFixture('webhooks/shopify/customers_create.json').match(/"id":\s*(\d+)/)[1]));
  await shot(page, '02-data-quality');
  await entry.locator('[data-action="release"] button').click();
  await page.waitForSelector('#notice:not([hidden])');
  assert.match(await page.locator('#notice').innerText(), /Release: done/);
  assert.equal((await adminApi(`/api/v1/quarantine/${entryId}`)).json.entry.status, 'released');

  // Deliveries: the dead letters; the receiver is mended, then one replay goes through.
  await page.locator('header nav a[href="/deliveries"]').click();
  await loaded(page, '/deliveries');
  const letters = page.locator('#dead-letter-list tr[data-dead-letter]');
  const before = await letters.count();
  assert.ok(before > 0);
  assert.match(await letters.first().innerText(), /HTTP 400/);
  // The receiver's refused requests, as the target recorded them.
  const requests = page.locator('table[data-requests-of="receiver"] tr[data-request]');
  assert.ok(await requests.count() >= 1);
  assert.match(await requests.first().innerText(), /400/);
  await shot(page, '03-deliveries');
  healthy = true;
  const letterId = Number(await letters.first().getAttribute('data-dead-letter'));
  await letters.first().locator('[data-action="replay"] button').click();
  await page.waitForSelector('#notice:not([hidden])');
  assert.match(await page.locator('#notice').innerText(), /Replayed 1 dead letter/);
  const letter = await adminApi(`/api/v1/dlq/${letterId}`);
  assert.equal(letter.json.dead_letter.status, 'replayed');
  await waitFor('the replayed change at the receiver', async () => received.some((r) => r.status === 204));
  await page.waitForFunction((n) => document.querySelectorAll('#dead-letter-list tr[data-dead-letter]').length === n,
    before - 1);

  // Sync runs: this daemon has polled nothing and imported nothing yet; the page says so.
  await page.locator('header nav a[href="/runs"]').click();
  await loaded(page, '/runs');
  assert.equal(await page.locator('#runs tbody tr').count(), 1);
  assert.equal(await page.locator('#runs tbody td').first().innerText(), 'None');

  // Profiles: search by email, then the profile page with identifiers, golden record, timeline.
  await page.locator('header nav a[href="/profiles"]').click();
  await loaded(page, '/profiles');
  await page.locator('#profile-search input').fill('jon@example.com');
  await page.locator('#profile-search button').click();
  await page.waitForURL(/\/profiles\/\d+$/, { waitUntil: 'commit' });
  await loaded(page, '/profiles');
  assert.match(await page.locator('#identifiers').innerText(), /jon@example\.com/);
  assert.match(await page.locator('#golden tr[data-field="first_name"]').innerText(), /John/);
  assert.ok(await page.locator('#timeline li.touchpoint').count() >= 1);
  assert.ok(await page.locator('#timeline li.transition').count() >= 1);
  await shot(page, '04-profile');

  // Journey: the server-rendered funnel shows the one profile on its first stage.
  await page.locator('header nav a[href="/journey"]').click();
  await loaded(page, '/journey');
  const stages = page.locator('#funnel svg g.stage');
  assert.ok(await stages.count() >= 3);
  const entered = await stages.evaluateAll((gs) => gs.map((g) => Number(g.getAttribute('data-entered'))));
  assert.equal(entered[0], 1);
  assert.equal(await page.locator('#profiles-count b').innerText(), '1');
  assert.equal(await page.locator('#at-risk b').innerText(), '0');
  await shot(page, '05-journey');

  // Refresh without a reload: the overview picks up a new event on its own.
  await page.locator('header nav a[href="/"]').click();
  await loaded(page, '/');
  const firstLoad = await page.locator('#main').getAttribute('data-loaded-at');
  assert.equal(await postShopify('orders/create', 'orders_create.json'), 200);
  await page.waitForFunction((t) => document.querySelector('#main').dataset.loadedAt !== t, firstLoad,
    { timeout: 15000 });
  await page.waitForFunction(() =>
    document.querySelector('#sources tr[data-source="shopify"] td:nth-child(5)').innerText === '3');
  await page.context().close();

  assert.deepEqual(consoleErrors, []);
});

test('the admin API answers 401 without a token and 403 to a session POST without its CSRF token', async () => {
  assert.equal((await fetch(daemon.url('/api/v1/status'))).status, 401);
  const login = await fetch(daemon.url('/login'), {
    method: 'POST',
    body: new URLSearchParams({ token: daemon.secrets.JOURNEYD_ADMIN_TOKEN }),
    redirect: 'manual',
  });
  assert.equal(login.status, 303);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const forged = await fetch(daemon.url('/api/v1/dlq/replay'), {
    method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: '{"all":true}',
  });
  assert.equal(forged.status, 403);
  assert.equal((await forged.json()).error.code, 'csrf_failed');
  const session = await (await fetch(daemon.url('/api/v1/session'), { headers: { Cookie: cookie } })).json();
  const allowed = await fetch(daemon.url('/api/v1/dlq/replay'), {
    method: 'POST',
    headers: { Cookie: cookie, 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token },
    body: '{"all":true}',
  });
  assert.equal(allowed.status, 200);
});
