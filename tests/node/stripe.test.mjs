// Stripe: the official `stripe` package signs (webhooks.generateTestHeaderString) a real event;
// journeyd must store it once, dedupe a redelivery by event id, and refuse tampered copies.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Stripe from 'stripe';

import { readFixture, startDaemon } from './daemon.mjs';

const stripe = new Stripe('sk_test_journeyd_acceptance_not_a_real_key');
const payload = readFixture('webhooks/stripe/customer_created.assembled.json');
const eventId = JSON.parse(payload).id;

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

function send(body, signature) {
  return daemon.post('/webhooks/stripe', body, {
    'Content-Type': 'application/json',
    'Stripe-Signature': signature,
  });
}

function sign(body, secret = daemon.secrets.JOURNEYD_STRIPE_SECRET) {
  return stripe.webhooks.generateTestHeaderString({ payload: body, secret });
}

// The subtests share one daemon and run in order: the counts at the end add them up.
test('stripe webhooks signed by the stripe package', async (t) => {
  const header = sign(payload);

  await t.test('a signed event is accepted and stored', async () => {
    const res = await send(payload, header);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json?.status, 'accepted', res.text);
    assert.equal(res.json?.stored, 1, res.text);
    assert.equal(res.json?.duplicates, 0, res.text);
  });

  await t.test('a redelivery of the same event id is a duplicate', async () => {
    const res = await send(payload, sign(payload));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json?.stored, 0, res.text);
    assert.equal(res.json?.duplicates, 1, res.text);
  });

  await t.test('a tampered body with the original header is refused', async () => {
    const tampered = payload.replace('"customer.created"', '"customer.deleted"');
    assert.notEqual(tampered, payload);
    const res = await send(tampered, header);
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json?.error?.code, 'unauthenticated', res.text);
  });

  await t.test('a header made with another secret is refused', async () => {
    const res = await send(payload, sign(payload, 'whsec_some_other_endpoint_secret'));
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json?.error?.code, 'unauthenticated', res.text);
  });

  await t.test('a correctly signed body that is not JSON is a 400', async () => {
    const broken = '{"id": "evt_broken", "type": ';
    const res = await send(broken, sign(broken));
    assert.equal(res.status, 400, res.text);
    assert.ok(res.json?.error?.code, res.text);
  });

  await t.test('a wrong content type is a 415', async () => {
    const res = await daemon.post('/webhooks/stripe', payload, {
      'Content-Type': 'text/plain',
      'Stripe-Signature': sign(payload),
    });
    assert.equal(res.status, 415, res.text);
  });

  await t.test('/api/v1/sources: 1 accepted, 1 duplicate, 2 signature failures, 2 rejected',
    async () => {
      const stats = await daemon.waitForSource('stripe', {
        accepted: 1, duplicates: 1, signature_failures: 2, rejected: 2,
      });
      assert.equal(stats.type, 'stripe', JSON.stringify(stats));
      assert.equal(stats.accepted, 1, JSON.stringify(stats));
      assert.equal(stats.duplicates, 1, JSON.stringify(stats));
      assert.equal(stats.signature_failures, 2, JSON.stringify(stats));
      assert.equal(stats.rejected, 2, JSON.stringify(stats));  // the 400 and the 415
      assert.ok(stats.last_event_at, JSON.stringify(stats));
      const rows = daemon.inboxRows('stripe');
      if (rows !== null) {
        assert.deepEqual(rows, [
          { source: 'stripe', event_type: 'customer.created', external_id: eventId },
        ]);
      }
    });

  await t.test('a correctly signed event 10 minutes old is refused as a replay', async () => {
    const body = payload.replace(eventId, `${eventId}_stale`);
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 10 * 60;
    const res = await send(body, stripe.webhooks.generateTestHeaderString({
      payload: body, secret: daemon.secrets.JOURNEYD_STRIPE_SECRET, timestamp: tenMinutesAgo,
    }));
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json?.error?.code, 'unauthenticated', res.text);
    const stats = await daemon.waitForSource('stripe', { accepted: 1, signature_failures: 3 });
    assert.equal(stats.accepted, 1, JSON.stringify(stats));
    assert.equal(stats.signature_failures, 3, JSON.stringify(stats));
  });
});
