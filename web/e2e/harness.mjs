// What every e2e script in this folder shares: a real `artel serve` on a temp
// data dir and a free port serving web/dist, REST calls for setup and for
// asserting what the server stored, steps that keep going after a failure
// (with screenshots of every open page), and the screen check (screenshot,
// axe-core, and the language check of language.mjs).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { findings, loadPhrases, uiText } from './language.mjs';

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

/** Cheap password hashing: the tests sign in many times, the hash strength is tested elsewhere. */
const serverEnv = (env) => ({ ...process.env, RUST_LOG: 'warn', ARTEL_ARGON2_MEMORY_KIB: '1024', ARTEL_ARGON2_ITERATIONS: '1', ...env });

/**
 * Spawns `artel serve` and waits (up to `healthyWithinMs`) for /health. It
 * serves `web`'s dist, or with `mobile` the phone client's dist at /m/.
 */
export async function spawnServer({ bin, dataDir, web, mobile, port, env = {}, healthyWithinMs = 20_000 }) {
  const base = `http://127.0.0.1:${port}`;
  const client = mobile ? ['--mobile-dir', join(mobile, 'dist')] : ['--web-dir', join(web, 'dist')];
  const proc = spawn(bin, ['--data-dir', dataDir, 'serve', '--listen', `127.0.0.1:${port}`, ...client], {
    env: serverEnv(env),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const end = Date.now() + healthyWithinMs;
  while (Date.now() < end) {
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) return { proc, base };
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill();
  throw new Error('server did not become healthy');
}

/**
 * A fresh server for one script: `ARTEL_E2E_URL` points at one already running
 * instead (then `proc` is null and restart steps skip).
 */
export async function startServer({ bin, web, mobile, env }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'artel-e2e-'));
  if (process.env.ARTEL_E2E_URL) return { proc: null, base: process.env.ARTEL_E2E_URL.replace(/\/$/, ''), dataDir };
  if (!existsSync(bin)) throw new Error(`no server binary at ${bin}: cargo build -p artel first`);
  const client = mobile ?? web;
  if (!existsSync(join(client, 'dist/index.html'))) throw new Error(`no ${client}/dist: npm run build first`);
  const { proc, base } = await spawnServer({ bin, dataDir, web, mobile, env, port: await freePort() });
  return { proc, base, dataDir };
}

export async function api(base, token, method, path, body) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw Object.assign(new Error(`${method} ${path}: ${res.status} ${text}`), { status: res.status });
  return json;
}

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

/** Polls `f` until it returns something truthy (or throws the last reason after `timeout`). */
export async function until(f, what, timeout = 10_000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      last = await f();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last?.message ?? JSON.stringify(last)})`);
}

/** The page's socket is authenticated (typing and read marks are sent only then). */
export const socketReady = (page) => page.locator('.shell[data-connection=open]').waitFor({ timeout: 15_000 });

/** HH:MM as Intl shows `iso` in `locale` and `timeZone` (what the client should show). */
export const clock = (iso, locale, timeZone) => new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(iso));

/** The signed-in session the web client keeps (its access token, its user). */
export const sessionOf = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('artel.session')));

export async function signIn(page, base, email, password) {
  await page.goto(`${base}/`);
  await page.locator('input[type=email]').fill(email);
  await page.locator('input[type=password]').fill(password);
  await page.locator('form button[type=submit]').click();
  await page.locator('aside.sidebar').waitFor();
}

/** Drags with the mouse in small steps, as dnd-kit's pointer sensor needs. */
export async function drag(page, from, to) {
  // Both ends must be on screen: a drop at coordinates past the edge lands wherever the board scrolled to.
  await to.scrollIntoViewIfNeeded();
  await from.scrollIntoViewIfNeeded();
  const view = page.viewportSize();
  for (const [what, box] of [['source', await from.boundingBox()], ['target', await to.boundingBox()]]) {
    if (!box || box.x < 0 || box.x + Math.min(box.width, 40) > view.width) throw new Error(`drag: the ${what} is off screen`);
  }
  const a = await from.boundingBox();
  const b = await to.boundingBox();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 10, a.y + a.height / 2 + 10, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + 40, { steps: 20 });
  await page.waitForTimeout(150);
  await page.mouse.up();
}

/** A step returns this when what it tests is absent from the server (said plainly, not counted). */
export const SKIP = Symbol('skip');

/** Thrown by a step that finds what it tests absent: says why, and is not counted. */
export const skip = (message) => Object.assign(new Error(message), { skip: true });

/**
 * Steps, screen checks and the final report of one script. `pages` maps a
 * name to each open page: a failed step screenshots them all.
 */
export function createRun({ web, artifacts = resolve(web, 'e2e/artifacts'), dictionaries = [] }) {
  mkdirSync(artifacts, { recursive: true });
  const results = [];
  const axeFindings = [];
  const languageFindings = [];
  const phrases = loadPhrases(dictionaries);
  const pages = {};

  async function step(name, f) {
    const started = Date.now();
    try {
      const outcome = await f();
      if (outcome === SKIP) {
        results.push({ name, ok: true, skipped: true });
        return;
      }
      results.push({ name, ok: true });
      console.log(`  ok   ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      if (e?.skip) {
        results.push({ name, ok: true, skipped: true });
        console.log(`  ${e.message}`);
        return;
      }
      results.push({ name, ok: false, error: e });
      console.log(`  FAIL ${name}: ${e?.stack ?? e}`);
      const n = results.length;
      for (const [who, page] of Object.entries(pages)) {
        await page.screenshot({ path: join(artifacts, `failed-${n}-${who}.png`) }).catch(() => undefined);
      }
    }
  }

  async function check(page, screen) {
    await page.screenshot({ path: join(artifacts, `${screen}.png`), fullPage: false });
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    for (const v of bad) axeFindings.push(`${screen}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
    if (bad.length) throw new Error(`axe: ${bad.length} serious/critical on ${screen}: ${bad.map((v) => v.id).join(', ')}`);
    // No raw id and no phrase of the other language's UI on the screen.
    const wrong = findings(await uiText(page), phrases);
    for (const w of wrong) languageFindings.push(`${screen}: ${w}`);
    if (wrong.length) throw new Error(`language on ${screen}: ${wrong.join('; ')}`);
  }

  /** Prints what ran and exits non-zero on any failure not listed in `knownFailing`. */
  function finish({ dataDir, knownFailing = new Set() } = {}) {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (axeFindings.length) console.log(`axe findings:\n  ${axeFindings.join('\n  ')}`);
    if (languageFindings.length) console.log(`language findings:\n  ${languageFindings.join('\n  ')}`);
    const skipped = results.filter((r) => r.skipped).length;
    const passed = results.filter((r) => r.ok && !r.skipped).length;
    const known = results.filter((r) => !r.ok && knownFailing.has(r.name));
    const failed = results.length - passed - skipped - known.length;
    for (const r of known) console.log(`  KNOWN FAILING (not counted): ${r.name}`);
    console.log(`screenshots: ${artifacts}`);
    console.log(`${passed} passed, ${failed} failed, ${skipped} skipped, ${known.length} known failing`);
    process.exit(failed ? 1 : 0);
  }

  return { results, pages, artifacts, step, check, finish };
}
