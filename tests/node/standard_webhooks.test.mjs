// Standard Webhooks: the official `standardwebhooks` package signs; journeyd must accept the
// signed message and refuse a tampered body and a stale (correctly signed) timestamp.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Webhook } from 'standardwebhooks';

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

function message(msgId) {
  return JSON.stringify({
    type: 'contact.created',
    timestamp: new Date().toISOString(),
    data: { id: `contact_${msgId}`, email: 'ada@example.com', name: 'Ada Lovelace' },
  });
}

function headersFor(msgId, timestamp, payload, secret = daemon.secrets.TEST_STANDARD_SECRET) {
  const signature = new Webhook(secret).sign(msgId, timestamp, payload);
  return {
    'Content-Type': 'application/json',
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signature,
  };
}

const msgId = `msg_${randomUUID()}`;

test('standard webhooks signed by the standardwebhooks package', async (t) => {
  const payload = message(msgId);
  const now = new Date();

  await t.test('a signed message is accepted and stored', async () => {
    const res = await daemon.post('/webhooks/svix', payload, headersFor(msgId, now, payload));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json?.status, 'accepted', res.text);
    assert.equal(res.json?.stored, 1, res.text);
  });

  await t.test('a tampered body with the original headers is refused', async () => {
    const tampered = payload.replace('ada@example.com', 'eve@example.com');
    assert.notEqual(tampered, payload);
    const res = await daemon.post('/webhooks/svix', tampered, headersFor(msgId, now, payload));
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json?.error?.code, 'unauthenticated', res.text);
  });

  await t.test('a timestamp 10 minutes old is refused even though correctly signed', async () => {
    const oldId = `msg_${randomUUID()}`;
    const oldPayload = message(oldId);
    const tenMinutesAgo = new Date(Date.now() - 10 * 60 * 1000);
    const res = await daemon.post('/webhooks/svix', oldPayload,
                                  headersFor(oldId, tenMinutesAgo, oldPayload));
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json?.error?.code, 'unauthenticated', res.text);
  });

  await t.test('/api/v1/sources counts one accepted and two signature failures', async () => {
    const stats = await daemon.waitForSource('svix', { accepted: 1, signature_failures: 2 });
    assert.equal(stats.type, 'standard_webhooks', JSON.stringify(stats));
    assert.equal(stats.accepted, 1, JSON.stringify(stats));
    assert.equal(stats.signature_failures, 2, JSON.stringify(stats));
    const rows = daemon.inboxRows('svix');
    if (rows !== null) {
      // webhook-id is the idempotency key.
      assert.deepEqual(rows, [{ source: 'svix', event_type: 'contact.created', external_id: msgId }]);
    }
  });
});
