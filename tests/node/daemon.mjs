// Starts the real journeyd binary for acceptance tests and talks to it over HTTP.
//
//   const d = await startDaemon();            // JOURNEYD env var (set by run-tests.sh) = binary
//   const res = await d.post('/webhooks/stripe', body, headers);
//   const code = await d.stop();              // SIGTERM; resolves with the exit code
//
// Each daemon gets its own temp data dir, config file and random secrets, so test files can run
// in parallel. Counts are checked through /api/v1/sources (and sqlite3 when present), never
// through log text.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// /work/shared/fixtures unless JOURNEYD_FIXTURES says otherwise (tests/node -> ../../../shared).
export const fixturesDir =
  process.env.JOURNEYD_FIXTURES ?? path.resolve(here, '..', '..', '..', 'shared', 'fixtures');

export function readFixture(relative) {
  return readFileSync(path.join(fixturesDir, relative), 'utf8');
}

// secrets is a block sequence on purpose: in a YAML flow sequence ([...]) the braces of
// ${env:...} are flow indicators and the file does not parse.
export const CONFIG = `server:
  admin_token: \${env:JOURNEYD_ADMIN_TOKEN}
  read_token: \${env:JOURNEYD_READ_TOKEN}
sources:
  - name: stripe
    type: stripe
    secret: \${env:JOURNEYD_STRIPE_SECRET}
    tolerance: 5m
  - name: svix
    type: standard_webhooks
    secrets:
      - \${env:TEST_STANDARD_SECRET}
  - name: segment
    type: segment
    write_key: \${env:JOURNEYD_SEGMENT_WRITE_KEY}
targets:
  - name: preview
    type: preview
`;

function binaryPath() {
  const bin = process.env.JOURNEYD;
  if (!bin) throw new Error('JOURNEYD is not set: run via run-tests.sh PATH/TO/journeyd');
  if (!existsSync(bin)) throw new Error(`JOURNEYD=${bin} does not exist`);
  return bin;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startDaemon({ config = CONFIG, timeoutMs = 15000 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'journeyd-node-'));
  const dataDir = path.join(dir, 'data');
  const configFile = path.join(dir, 'journeyd.yaml');
  writeFileSync(configFile, config);

  const secrets = {
    JOURNEYD_ADMIN_TOKEN: 'adm_' + randomBytes(16).toString('hex'),
    JOURNEYD_READ_TOKEN: 'rd_' + randomBytes(16).toString('hex'),
    JOURNEYD_STRIPE_SECRET: 'whsec_' + randomBytes(24).toString('hex'),
    TEST_STANDARD_SECRET: 'whsec_' + randomBytes(24).toString('base64'),
    JOURNEYD_SEGMENT_WRITE_KEY: 'wk_' + randomBytes(12).toString('hex'),
  };

  const args = ['run', '--config', configFile, '--data-dir', dataDir, '--listen', '127.0.0.1:0'];
  const child = spawn(binaryPath(), args, {
    env: { ...process.env, ...secrets },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  let exitInfo = null;
  exited.then((info) => (exitInfo = info));

  const daemon = {
    dir,
    dataDir,
    configFile,
    secrets,
    child,
    baseUrl: null,
    get output() {
      return output;
    },

    url(p) {
      return this.baseUrl + p;
    },

    // POST `body` (a string, sent byte for byte) and return {status, headers, text, json}.
    async post(p, body, headers = {}) {
      const res = await fetch(this.url(p), { method: 'POST', body, headers });
      return toResult(res);
    },

    async get(p, headers = {}) {
      const res = await fetch(this.url(p), { headers });
      return toResult(res);
    },

    // The /api/v1/sources entry for `name` (throws if the API does not answer 200).
    async sourceStats(name) {
      const res = await this.get('/api/v1/sources', {
        Authorization: `Bearer ${secrets.JOURNEYD_READ_TOKEN}`,
      });
      if (res.status !== 200) {
        throw new Error(`GET /api/v1/sources answered ${res.status}: ${res.text}`);
      }
      const entry = res.json?.sources?.find((s) => s.name === name);
      if (!entry) throw new Error(`no source '${name}' in /api/v1/sources: ${res.text}`);
      return entry;
    },

    // Polls sourceStats(name) until every field of `expected` matches (or `timeoutMs` passes)
    // and returns the last answer. Accepted events are committed before their 200, but refusals
    // are counted in the writer's next commit, so signature_failures/rejected may lag the 401.
    async waitForSource(name, expected, { timeoutMs: waitTimeout = 5000 } = {}) {
      const until = Date.now() + waitTimeout;
      while (true) {
        const stats = await this.sourceStats(name);
        const matches = Object.entries(expected).every(([key, value]) => stats[key] === value);
        if (matches || Date.now() > until) return stats;
        await sleep(50);
      }
    },

    // Rows of the inbox table via the sqlite3 CLI, or null when sqlite3 is not installed.
    inboxRows(source) {
      const db = path.join(dataDir, 'journeyd.db');
      try {
        const out = execFileSync(
          'sqlite3',
          ['-readonly', '-separator', '\t', db,
           `select source, event_type, external_id from inbox where source = '${source}' order by rowid`],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        return out.split('\n').filter(Boolean).map((line) => {
          const [src, eventType, externalId] = line.split('\t');
          return { source: src, event_type: eventType, external_id: externalId };
        });
      } catch (err) {
        if (err.code === 'ENOENT') return null;
        throw err;
      }
    },

    // SIGTERM, then wait for the exit; resolves with {code, signal}. Removes the temp dir.
    async stop({ keep = false, timeoutMs: stopTimeout = 15000 } = {}) {
      if (!exitInfo) child.kill('SIGTERM');
      let timer;
      const info = await Promise.race([
        exited,
        new Promise((resolve) => (timer = setTimeout(resolve, stopTimeout, null))),
      ]);
      clearTimeout(timer);  // a pending timer would keep the test process alive
      if (!info) {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`journeyd did not stop within ${stopTimeout} ms after SIGTERM\n${output}`);
      }
      if (!keep) rmSync(dir, { recursive: true, force: true });
      return info;
    },
  };

  // Wait for DIR/journeyd.addr, then for GET /readyz to answer 200.
  const addrFile = path.join(dataDir, 'journeyd.addr');
  const deadline = Date.now() + timeoutMs;
  try {
    while (true) {
      if (exitInfo) {
        throw new Error(`journeyd exited early (code ${exitInfo.code}, signal ${exitInfo.signal})`);
      }
      if (Date.now() > deadline) throw new Error(`journeyd not ready within ${timeoutMs} ms`);
      if (!daemon.baseUrl && existsSync(addrFile)) {
        const addr = readFileSync(addrFile, 'utf8').trim();
        if (addr) daemon.baseUrl = `http://${addr}`;
      }
      if (daemon.baseUrl) {
        try {
          const res = await fetch(daemon.url('/readyz'));
          await res.arrayBuffer();
          if (res.status === 200) break;
        } catch {
          // not listening yet
        }
      }
      await sleep(50);
    }
  } catch (err) {
    if (!exitInfo) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    err.message += `\n--- journeyd output ---\n${output}`;
    throw err;
  }
  return daemon;
}

async function toResult(res) {
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
