// Segment: the official `@segment/analytics-node` client delivers identify and track calls to
// journeyd's Segment-compatible /v1/batch; each must land exactly once. A wrong write key is
// refused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Analytics } from '@segment/analytics-node';

import { startDaemon } from './daemon.mjs';

let daemon;
before(async () => {
  daemon = await startDaemon();
});
after(async () => {
  if (!daemon) return;
  const { code, signal } = await daemon.stop();
  assert.equal(signal, null, `journeyd died of ${signal}\n${daemon.output}`);
  assert.equal(code, 0, `journeyd exited with ${code} after SIGTERM\n${daemon.output}`);
});

function basicAuth(writeKey) {
  return 'Basic ' + Buffer.from(`${writeKey}:`).toString('base64');
}

test('segment calls sent by @segment/analytics-node', async (t) => {
  const delivered = [];  // messageIds the client reports as delivered
  const requests = [];   // what the client put on the wire
  const responses = [];  // and what journeyd answered

  await t.test('2 identify and 3 track calls are delivered', async () => {
    const analytics = new Analytics({
      writeKey: daemon.secrets.JOURNEYD_SEGMENT_WRITE_KEY,
      host: daemon.baseUrl,
      path: '/v1/batch',
      flushAt: 5,
      flushInterval: 60000,
      maxRetries: 0,
      httpRequestTimeout: 5000,
    });
    const errors = [];
    analytics.on('error', (err) =>
      errors.push(err?.reason ? `${err.code}: ${err.reason.message ?? err.reason}` : String(err)));
    analytics.on('http_request', (req) => requests.push(req));
    analytics.on('http_response', (res) => responses.push(res));

    const calls = [];
    const done = (resolve) => (err, ctx) => {
      if (err) errors.push(`callback: ${err.message ?? err}`);
      else delivered.push(ctx.event.messageId);
      resolve();
    };
    const call = (method, params) =>
      calls.push(new Promise((resolve) => analytics[method](params, done(resolve))));

    call('identify', { userId: 'user-1', traits: { email: 'ada@example.com', name: 'Ada' } });
    call('identify', { userId: 'user-2', traits: { email: 'grace@example.com', name: 'Grace' } });
    call('track', { userId: 'user-3', event: 'Order Completed', properties: { total: 42.5 } });
    call('track', { userId: 'user-4', event: 'Product Viewed', properties: { sku: 'SKU-1' } });
    call('track', { userId: 'user-5', event: 'Signed Up', properties: { plan: 'pro' } });

    await analytics.closeAndFlush({ timeout: 20000 });
    await Promise.all(calls);

    const answered = responses.map((r) => r.status);
    assert.deepEqual(errors, [], `journeyd answered ${JSON.stringify(answered)}`);
    assert.ok(requests.length >= 1, 'the client sent nothing');
    assert.ok(answered.every((s) => s === 200), `journeyd answered ${JSON.stringify(answered)}`);
    assert.equal(delivered.length, 5);
    assert.equal(new Set(delivered).size, 5);
  });

  await t.test('resending the same batch stores nothing new', async () => {
    assert.ok(requests.length >= 1);
    let duplicates = 0;
    for (const req of requests) {
      const res = await daemon.post('/v1/batch', req.body, req.headers);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json?.stored, 0, res.text);
      duplicates += res.json?.duplicates ?? 0;
    }
    assert.equal(duplicates, 5);
  });

  await t.test('a wrong write key is refused', async () => {
    const res = await daemon.post('/v1/track', JSON.stringify({
      userId: 'user-6',
      event: 'Should Not Land',
      messageId: 'msg-wrong-key-1',
    }), {
      'Content-Type': 'application/json',
      Authorization: basicAuth('not-the-write-key'),
    });
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json?.error?.code, 'unauthenticated', res.text);
  });

  await t.test('/api/v1/sources shows each call accepted exactly once', async () => {
    const stats = await daemon.waitForSource('segment', {
      accepted: 5, duplicates: 5, signature_failures: 1,
    });
    assert.equal(stats.type, 'segment', JSON.stringify(stats));
    assert.equal(stats.accepted, 5, JSON.stringify(stats));
    assert.equal(stats.duplicates, 5, JSON.stringify(stats));
    assert.equal(stats.signature_failures, 1, JSON.stringify(stats));
    const rows = daemon.inboxRows('segment');
    if (rows !== null) {
      assert.equal(rows.length, 5, JSON.stringify(rows));
      // messageId is Segment's idempotency key.
      assert.deepEqual(rows.map((r) => r.external_id).sort(), [...delivered].sort());
    }
  });
});
