// The webhook target: journeyd signs what it delivers with the Standard Webhooks scheme, and the
// official `standardwebhooks` package must verify every request as a receiver would. A receiver
// error is retried with the same webhook-id (the receiver's idempotency key) and a fresh
// signature; the changes are the profile's fields and its touchpoints.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { Webhook } from 'standardwebhooks';

import { startDaemon } from './daemon.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const segmentMapping = path.resolve(here, '..', '..', 'mappings', 'segment.yaml');

const received = [];  // {headers, body, status}
let failFirst = 1;    // the receiver answers 503 to the first request
let server;
let daemon;

function config(port) {
  return `server:
  admin_token: \${env:JOURNEYD_ADMIN_TOKEN}
  read_token: \${env:JOURNEYD_READ_TOKEN}
sources:
  - name: segment
    type: segment
    write_key: \${env:JOURNEYD_SEGMENT_WRITE_KEY}
    mapping: ${segmentMapping}
targets:
  - name: receiver
    type: webhook
    url: http://127.0.0.1:${port}/journeyd
    secret: \${env:TEST_STANDARD_SECRET}
    delivery:
      linger: 20ms
`;
}

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const status = failFirst-- > 0 ? 503 : 204;
      received.push({ headers: req.headers, body, status });
      res.writeHead(status);
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  daemon = await startDaemon({ config: config(server.address().port) });
});

after(async () => {
  if (daemon) {
    const { code, signal } = await daemon.stop();
    assert.equal(signal, null, `journeyd died of ${signal}\n${daemon.output}`);
    assert.equal(code, 0, `journeyd exited with ${code}\n${daemon.output}`);
  }
  server?.close();
});

test('what the webhook target sends verifies with the standardwebhooks package', async () => {
  const auth = 'Basic ' + Buffer.from(`${daemon.secrets.JOURNEYD_SEGMENT_WRITE_KEY}:`).toString('base64');
  const post = (call, body) =>
    daemon.post(`/v1/${call}`, JSON.stringify(body), {
      'Content-Type': 'application/json',
      Authorization: auth,
    });
  let res = await post('identify', {
    userId: 'u-ada',
    messageId: 'm-1',
    traits: { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' },
    timestamp: new Date(Date.now() - 60000).toISOString(),
  });
  assert.equal(res.status, 200, res.text);
  res = await post('track', {
    userId: 'u-ada',
    messageId: 'm-2',
    event: 'Order Completed',
    properties: { order_id: 'o-1', revenue: 12.5, currency: 'EUR' },
    timestamp: new Date().toISOString(),
  });
  assert.equal(res.status, 200, res.text);

  // Until the receiver has acknowledged a touchpoint (the 503 forces one retry first).
  const until = Date.now() + 20000;
  const changes = () =>
    received
      .filter((r) => r.status === 204)
      .flatMap((r) => JSON.parse(r.body).data.changes);
  while (!changes().some((c) => c.kind === 'touchpoint') && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const wh = new Webhook(daemon.secrets.TEST_STANDARD_SECRET);
  for (const r of received) {
    // verify() throws on a bad signature or a stale timestamp.
    const payload = wh.verify(r.body, {
      'webhook-id': r.headers['webhook-id'],
      'webhook-timestamp': r.headers['webhook-timestamp'],
      'webhook-signature': r.headers['webhook-signature'],
    });
    assert.equal(payload.type, 'journeyd.changes');
  }
  // The refused first request came again: same id, so the receiver can tell it is a repeat.
  assert.equal(received[0].status, 503);
  const again = received.find((r, i) => i > 0 && r.headers['webhook-id'] === received[0].headers['webhook-id']);
  assert.ok(again, `no retry of ${received[0].headers['webhook-id']}`);
  assert.equal(again.body.length > 0, true);

  const all = changes();
  const profile = all.find((c) => c.kind === 'profile' && c.properties.email === 'ada@example.com');
  assert.ok(profile, JSON.stringify(all));
  assert.equal(profile.properties.first_name, 'Ada');
  const touchpoint = all.find((c) => c.kind === 'touchpoint');
  assert.equal(touchpoint.touchpoint.type, 'order_placed');
  assert.equal(touchpoint.touchpoint.currency, 'EUR');
  // Each change went out once with a 2xx.
  const keys = all.map((c) => c.key);
  assert.equal(new Set(keys).size, keys.length, JSON.stringify(keys));
  // A tampered body does not verify.
  assert.throws(() =>
    wh.verify(received[1].body.replace('ada@', 'eve@'), {
      'webhook-id': received[1].headers['webhook-id'],
      'webhook-timestamp': received[1].headers['webhook-timestamp'],
      'webhook-signature': received[1].headers['webhook-signature'],
    }),
  );
});
