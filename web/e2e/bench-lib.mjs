// What the web client's benchmarks share: the initial assets index.html names,
// a real `artel serve` of web/dist on a temp data dir and a free port, the REST
// helper, the browser, and medians. Run by hand, never by the test suite.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const web = resolve(here, '..');
// BENCH_DIST: another build to serve (e.g. the main branch's, to compare).
export const dist = process.env.BENCH_DIST ? resolve(process.env.BENCH_DIST) : join(web, 'dist');
export const bin = process.env.ARTEL_BIN ?? resolve(web, '../target/debug/artel');

/** The JS and CSS index.html loads before any lazy screen, as gzip (what `artel serve` sends). */
export function initialAssets(dir = dist) {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  let js = 0;
  let css = 0;
  for (const r of refs) {
    const file = join(dir, r);
    const gz = existsSync(`${file}.gz`) ? statSync(`${file}.gz`).size : gzipSync(readFileSync(file)).length;
    if (r.endsWith('.js')) js += gz;
    else if (r.endsWith('.css')) css += gz;
  }
  return { refs, js, css };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Nearest-rank percentile (p95 of fewer than 20 runs is the slowest run). */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function freePort() {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** One REST call; throws on a non-2xx answer. */
export async function call(base, token, method, path, body) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

/**
 * Starts `artel serve` on `webDir` (web/dist) with `env` added, its log in
 * `log`; `await stop()` ends it and removes its data.
 */
export async function startServer(env = {}, log = null, webDir = dist) {
  if (!existsSync(bin)) throw new Error(`no server binary at ${bin}: set ARTEL_BIN or cargo build -p artel`);
  if (!existsSync(join(webDir, 'index.html'))) throw new Error(`no ${webDir}/index.html: npm run build first`);
  const dataDir = mkdtempSync(join(tmpdir(), 'artel-bench-web-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(bin, ['--data-dir', dataDir, 'serve', '--listen', `127.0.0.1:${port}`, '--web-dir', webDir], {
    env: { ...process.env, RUST_LOG: 'warn', ...env },
    stdio: log ? ['ignore', openSync(log, 'w'), openSync(log, 'a')] : 'inherit',
  });
  const exited = new Promise((ok) => proc.once('exit', ok));
  const stop = async () => {
    proc.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) return { base, proc, dataDir, stop };
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error('server did not become healthy');
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
