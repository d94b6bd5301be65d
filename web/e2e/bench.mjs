// Measures the web client's initial JS (gzip, what index.html loads before any
// lazy screen) and its first load on localhost, served by a real `artel serve`
// from web/dist: a fresh browser context (empty cache) opening the sign-in page,
// and a signed-in user opening a chat with 200 messages. Median of 7 runs.
//
//   node e2e/bench.mjs        (after npm run build and cargo build -p artel)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const web = resolve(here, '..');
const dist = join(web, 'dist');
const bin = process.env.ARTEL_BIN ?? resolve(web, '../target/debug/artel');
const RUNS = 7;

function initialAssets() {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  let js = 0;
  let css = 0;
  for (const r of refs) {
    const file = join(dist, r);
    const gz = existsSync(`${file}.gz`) ? statSync(`${file}.gz`).size : gzipSync(readFileSync(file)).length;
    if (r.endsWith('.js')) js += gz;
    else if (r.endsWith('.css')) css += gz;
  }
  return { refs, js, css };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function freePort() {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function call(base, token, method, path, body) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

const assets = initialAssets();
console.log(`initial assets: ${assets.refs.join(', ')}`);
console.log(`initial JS gzip: ${(assets.js / 1024).toFixed(1)} KiB; CSS gzip: ${(assets.css / 1024).toFixed(1)} KiB`);

const dataDir = mkdtempSync(join(tmpdir(), 'artel-bench-web-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(bin, ['--data-dir', dataDir, 'serve', '--listen', `127.0.0.1:${port}`, '--web-dir', dist], {
  env: { ...process.env, RUST_LOG: 'warn' },
  stdio: 'inherit',
});
let browser;
try {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) break;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const owner = await call(base, null, 'POST', '/setup', { workspace_name: 'Bench', name: 'Owner', email: 'o@bench.test', password: 'bench password 1' });
  const chat = await call(base, owner.access_token, 'POST', '/chats', { kind: 'channel', name: 'bench' });
  for (let i = 0; i < 200; i++) {
    await call(base, owner.access_token, 'POST', `/chats/${chat.id}/messages`, { body: `message **${i}** of the benchmark history` });
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const signIn = [];
  const dcl = [];
  const chatOpen = [];
  for (let run = 0; run < RUNS; run++) {
    const ctx = await browser.newContext({ locale: 'en-US' });
    const page = await ctx.newPage();
    const t0 = Date.now();
    await page.goto(`${base}/`);
    await page.locator('input[type=password]').waitFor();
    signIn.push(Date.now() - t0);
    dcl.push(await page.evaluate(() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd));
    await page.locator('input[type=email]').fill('o@bench.test');
    await page.locator('input[type=password]').fill('bench password 1');
    await page.locator('form button[type=submit]').click();
    await page.locator('aside.sidebar').waitFor();
    // A signed-in reload straight into the chat: the everyday first load.
    const t1 = Date.now();
    await page.goto(`${base}/chats/${chat.id}`);
    await page.locator('.msg-body', { hasText: 'message 199 of' }).waitFor();
    chatOpen.push(Date.now() - t1);
    await ctx.close();
  }
  console.log(`sign-in screen usable (fresh cache): median ${median(signIn)} ms (runs: ${signIn.join(', ')})`);
  console.log(`DOMContentLoaded (fresh cache): median ${median(dcl).toFixed(0)} ms`);
  console.log(`signed-in reload to a chat with 200 messages shown: median ${median(chatOpen)} ms (runs: ${chatOpen.join(', ')})`);
} finally {
  await browser?.close();
  server.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
