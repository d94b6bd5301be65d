// The web client's first load in a big workspace (issue 23): the measured user
// (the owner, as a head of sales would be) is in 1,000 chats (channels, groups,
// direct chats and the chats of the deals they own, each with a few messages,
// some unread, a few mentioning them) and the one pipeline holds 10,000 deals
// owned by 20 reps, with contacts, companies and tasks on some. Seeded through
// the REST API, then each screen is opened in a fresh browser context (empty
// HTTP cache, the session put in localStorage as a signed-in user has it):
//   - the chat list: `/` until the sidebar shows the chats, then a click on
//     another chat until the app has handled it (the URL changed);
//   - the board: `/board` until the first column shows cards, then a click on
//     a card until handled;
//   - the deals list: `/board` in list view until the table has its rows, then
//     a click on a deal until handled;
// each with the bytes it transferred (JS, CSS, API JSON, headers included) and
// the main thread's long tasks; median and p95 (nearest rank) of the runs.
// It also times the API calls behind those screens on their own.
//
//   cd web && npm run build && ARTEL_BIN=../target/release/artel node e2e/bench-big.mjs
//   BENCH_RUNS (default 10), BENCH_CHATS (1000), BENCH_DEALS (10000) to change the sizes;
//   BENCH_DIST to serve another build of the client than web/dist; BENCH_COMPARE
//   to measure a second build in turn with it (e.g. the main branch's: before/after).
import { tmpdir } from 'node:os';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { call, dist, initialAssets, launchBrowser, median, percentile, startServer } from './bench-lib.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const CHATS = Number(process.env.BENCH_CHATS ?? 1000);
const DEALS = Number(process.env.BENCH_DEALS ?? 10000);
const PARALLEL = 16;
// Of the measured user's chats: 40% channels, 30% groups, 20% direct, 10% deal chats.
const N_CHANNELS = Math.round(CHATS * 0.4);
const N_GROUPS = Math.round(CHATS * 0.3);
const N_DIRECTS = Math.round(CHATS * 0.2);
const N_MY_DEALS = CHATS - N_CHANNELS - N_GROUPS - N_DIRECTS;
const N_USERS = Math.max(N_DIRECTS, 20);
const N_REPS = 20;
const N_COMPANIES = Math.round(DEALS * 0.03);
const N_CONTACTS = Math.round(DEALS * 0.1);
const N_TASKS = Math.round(DEALS * 0.1);
const PASSWORD = 'bench password 1';

// A seeded generator, so that every run seeds a workspace of the same shape.
let seed = 23;
function rand() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const range = (n) => Array.from({ length: n }, (_, i) => i);

/** Runs `f` over `items`, `PARALLEL` at a time; the results in order. */
async function pool(items, f, label) {
  const out = new Array(items.length);
  let next = 0;
  const t0 = Date.now();
  await Promise.all(
    range(Math.min(PARALLEL, items.length)).map(async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i], i);
      }
    }),
  );
  if (label) console.log(`  ${label}: ${items.length} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return out;
}

export async function seedWorkspace(base) {
  const t0 = Date.now();
  console.log(`seeding: ${CHATS} chats of the measured user, ${DEALS} deals`);
  const owner = await call(base, null, 'POST', '/setup', {
    workspace_name: 'Bench',
    name: 'Owner',
    email: 'o@bench.test',
    password: PASSWORD,
    language: 'en',
  });
  const tok = owner.access_token;
  const me = owner.user.id;
  const [pipeline] = await call(base, tok, 'GET', '/pipelines');

  const users = await pool(
    range(N_USERS),
    async (i) => {
      const inv = await call(base, tok, 'POST', '/invites', { role: 'member' });
      const n = String(i + 1).padStart(3, '0');
      const u = await call(base, null, 'POST', '/invites/accept', {
        token: inv.token,
        name: `Person ${n}`,
        email: `p${n}@bench.test`,
        password: PASSWORD,
        language: 'en',
      });
      return { id: u.user.id, token: u.access_token };
    },
    'people',
  );
  const reps = users.slice(0, N_REPS);

  const companies = await pool(range(N_COMPANIES), (i) => call(base, tok, 'POST', '/companies', { name: `Company ${i + 1}` }), 'companies');
  const contacts = await pool(
    range(N_CONTACTS),
    (i) =>
      call(base, tok, 'POST', '/contacts', {
        name: `Contact ${i + 1}`,
        company_id: rand() < 0.5 ? pick(companies).id : null,
        emails: [`c${i + 1}@client.test`],
      }),
    'contacts',
  );

  // Chats: each with its members (tokens to write as them).
  const chats = [];
  await pool(
    range(N_CHANNELS),
    async (i) => {
      const members = range(3).map(() => pick(users));
      const c = await call(base, tok, 'POST', '/chats', { kind: 'channel', name: `channel-${i + 1}`, member_ids: [...new Set(members.map((m) => m.id))] });
      chats.push({ id: c.id, members });
    },
    'channels',
  );
  await pool(
    range(N_GROUPS),
    async (i) => {
      const members = range(2 + Math.floor(rand() * 4)).map(() => pick(users));
      const c = await call(base, tok, 'POST', '/chats', { kind: 'group', name: `Group ${i + 1}`, member_ids: [...new Set(members.map((m) => m.id))] });
      chats.push({ id: c.id, members });
    },
    'groups',
  );
  await pool(
    users.slice(0, N_DIRECTS),
    async (u) => {
      const c = await call(base, tok, 'POST', '/chats/direct', { user_id: u.id });
      chats.push({ id: c.id, members: [u] });
    },
    'direct chats',
  );

  // Deals: the measured user's own first (their chats are among theirs), then the reps'.
  const stages = pipeline.stages;
  const open = stages.filter((st) => st.kind === 'open');
  const deals = await pool(
    range(DEALS),
    async (i) => {
      // More deals in the early stages, as on a real funnel; the measured
      // user's own in open stages (a closed deal's chat is archived).
      const from = i < N_MY_DEALS ? open : stages;
      const stage = from[Math.min(from.length - 1, Math.floor(from.length * rand() ** 1.6))];
      const rep = pick(reps);
      const contact = rand() < 0.4 ? pick(contacts) : null;
      const company = contact?.company_id ? null : rand() < 0.25 ? pick(companies) : null;
      const deal = await call(base, tok, 'POST', '/deals', {
        title: `Deal ${i + 1} ${pick(['equipment', 'licences', 'support', 'delivery', 'training'])}`,
        pipeline_id: pipeline.id,
        stage_id: stage.id,
        owner_id: i < N_MY_DEALS ? me : rep.id,
        participants: i < N_MY_DEALS ? [rep.id] : [],
        amount_minor: Math.floor(rand() * 5_000_000) * 100,
        contact_id: contact?.id ?? null,
        company_id: company?.id ?? contact?.company_id ?? null,
        expected_close_date: rand() < 0.5 ? `2027-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}` : null,
      });
      return { ...deal, rep };
    },
    'deals',
  );
  for (const d of deals.slice(0, N_MY_DEALS)) if (d.chat_id) chats.push({ id: d.chat_id, members: [d.rep] });
  await pool(
    range(N_TASKS),
    (i) => {
      const d = deals[Math.floor(rand() * deals.length)];
      return call(base, tok, 'POST', '/tasks', {
        title: `Call back ${i + 1}`,
        entity_kind: 'deal',
        entity_id: d.id,
        assignees: [d.owner_id],
        due_at: `2027-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`,
      });
    },
    'tasks on deals',
  );

  // Messages: 1-4 a chat from its members; 7 chats in 10 then read by the
  // measured user, the rest left unread; one in 20 mentions them.
  let messages = 0;
  await pool(
    chats,
    async (c, i) => {
      const writers = [{ id: me, token: tok }, ...c.members];
      const n = 1 + Math.floor(rand() * 4);
      let last = 0;
      for (let k = 0; k < n; k++) {
        const w = pick(writers);
        const mention = w.id !== me && i % 20 === 9 ? ` <@${me}>` : '';
        const m = await call(base, w.token, 'POST', `/chats/${c.id}/messages`, { body: `message ${k + 1} in chat ${i + 1}, with **some** text${mention}` });
        last = m.seq;
        messages++;
      }
      if (i % 10 < 7) await call(base, tok, 'POST', `/chats/${c.id}/read`, { seq: last });
    },
    'chats written in',
  );
  const mine = await call(base, tok, 'GET', '/chats');
  console.log(
    `seeded in ${((Date.now() - t0) / 1000).toFixed(0)} s: the measured user is in ${mine.length} chats ` +
      `(${mine.filter((s) => s.unread_count > 0).length} unread, ${mine.filter((s) => s.mention_count > 0).length} with a mention), ` +
      `${messages} messages written; ${deals.length} deals, ${N_TASKS} tasks, ${contacts.length} contacts, ${companies.length} companies, ${users.length + 1} people`,
  );
  // The chat to click: the second most recent (the app opens the first).
  return { pipeline, next: mine[1].chat.id };
}

/** A signed-in session as the web client stores it (`artel.session`). */
export async function session(base) {
  const t = await call(base, null, 'POST', '/auth/login', { email: 'o@bench.test', password: PASSWORD });
  return JSON.stringify({
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt: Date.now() + t.expires_in * 1000,
    user: t.user,
    workspace: t.workspace,
  });
}

/**
 * Opens `path` in a fresh context (empty cache) with the session stored, waits
 * for `ready`, then clicks `target` and waits until the URL matches `after`.
 * Returns the times from the start of navigation and what was transferred
 * by requests sent before the click.
 */
async function measure(browser, base, path, { storage = {}, ready, target, after }) {
  const ctx = await browser.newContext({ locale: 'en-US', viewport: { width: 1400, height: 900 } });
  const sess = await session(base);
  await ctx.addInitScript(
    ([s, extra]) => {
      localStorage.setItem('artel.session', s);
      for (const [k, v] of Object.entries(extra)) localStorage.setItem(k, v);
      window.__long = [];
      try {
        new PerformanceObserver((l) => window.__long.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: true });
      } catch {
        /* no long task timing */
      }
    },
    [sess, storage],
  );
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  const reqs = new Map();
  cdp.on('Network.requestWillBeSent', (e) => reqs.set(e.requestId, { url: e.request.url, sent: e.timestamp }));
  cdp.on('Network.responseReceived', (e) => {
    const r = reqs.get(e.requestId);
    if (r) r.mime = e.response.mimeType;
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = reqs.get(e.requestId);
    if (r) Object.assign(r, { bytes: e.encodedDataLength, done: e.timestamp });
  });
  const t0 = Date.now();
  await page.goto(`${base}${path}`, { waitUntil: 'commit' });
  await ready(page);
  const shown = Date.now() - t0;
  const sentBefore = new Set(reqs.keys());
  await target(page).click();
  await page.waitForURL(after);
  const interactive = Date.now() - t0;
  const longTasks = await page.evaluate(() => window.__long ?? []);
  // Let the requests sent before the click finish, then sum them.
  await page.waitForTimeout(1000);
  const bytes = { js: 0, css: 0, api: 0, other: 0 };
  const api = [];
  for (const id of sentBefore) {
    const r = reqs.get(id);
    if (!r?.bytes) continue;
    const u = new URL(r.url);
    if (u.pathname.startsWith('/api/')) {
      bytes.api += r.bytes;
      api.push({ path: u.pathname.replace(/[0-9a-f-]{36}/g, '{id}') + (u.search ? '?…' : ''), bytes: r.bytes, ms: Math.round((r.done - r.sent) * 1000) });
    } else if (u.pathname.endsWith('.js')) bytes.js += r.bytes;
    else if (u.pathname.endsWith('.css')) bytes.css += r.bytes;
    else bytes.other += r.bytes;
  }
  await ctx.close();
  return { shown, interactive, bytes, api, longTasks: longTasks.reduce((a, b) => a + b, 0), longest: Math.max(0, ...longTasks) };
}

const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
const stat = (xs) => `median ${median(xs)} ms, p95 ${percentile(xs, 95)} ms (runs: ${xs.join(', ')})`;

function report(name, runs) {
  console.log(`\n${name} (${runs.length} runs, fresh context each)`);
  console.log(`  shown:       ${stat(runs.map((r) => r.shown))}`);
  console.log(`  interactive: ${stat(runs.map((r) => r.interactive))}`);
  console.log(`  long tasks:  median total ${median(runs.map((r) => Math.round(r.longTasks)))} ms, longest ${median(runs.map((r) => Math.round(r.longest)))} ms`);
  const m = (k) => kib(median(runs.map((r) => r.bytes[k])));
  const calls = median(runs.map((r) => r.api.length));
  console.log(`  transferred: JS ${m('js')}, CSS ${m('css')}, API JSON ${m('api')} in ${calls} calls, other ${m('other')} (medians, headers included)`);
  const byPath = new Map();
  for (const r of runs) for (const a of r.api) byPath.set(a.path, [...(byPath.get(a.path) ?? []), a]);
  for (const [path, xs] of [...byPath.entries()].sort((a, b) => median(b[1].map((x) => x.bytes)) - median(a[1].map((x) => x.bytes))).slice(0, 8)) {
    console.log(`    ${path}: ${kib(median(xs.map((x) => x.bytes)))}, ${median(xs.map((x) => x.ms))} ms in the browser`);
  }
}

/** The API calls behind the screens, alone: median time and size (and what gzip would make of it). */
async function timeApi(base, pipeline) {
  const t = JSON.parse(await session(base)).accessToken;
  const paths = ['/chats', '/users', '/pipelines', `/pipelines/${pipeline.id}/board`, `/deals?pipeline_id=${pipeline.id}&limit=51&offset=0`];
  console.log('\nAPI alone (median of 5, sequential, after one warm-up):');
  for (const p of paths) {
    const ms = [];
    let body = '';
    for (let i = 0; i < 6; i++) {
      const s = performance.now();
      const res = await fetch(`${base}/api/v1${p}`, { headers: { authorization: `Bearer ${t}` } });
      body = await res.text();
      if (i > 0) ms.push(Math.round(performance.now() - s));
    }
    console.log(`  GET ${p.replace(pipeline.id, '{id}')}: ${median(ms)} ms, ${kib(body.length)} (gzip would be ${kib(gzipSync(body).length)})`);
  }
}

/** The three screens, each in a fresh context. */
async function measureScreens(browser, base, next) {
  const chats = await measure(browser, base, '/', {
    ready: (p) => p.locator('aside.sidebar a.nav-item[data-chat-id]').first().waitFor({ timeout: 60_000 }),
    target: (p) => p.locator(`aside.sidebar a[data-chat-id="${next}"]`),
    after: new RegExp(`/chats/${next}$`),
  });
  const board = await measure(browser, base, '/board', {
    storage: { 'artel.dealsView': 'board' },
    ready: (p) => p.locator('.board .column .deal-card').first().waitFor({ timeout: 60_000 }),
    target: (p) => p.locator('.board .column .deal-card a').first(),
    after: /\/deals\/[0-9a-f-]{36}$/,
  });
  const list = await measure(browser, base, '/board', {
    storage: { 'artel.dealsView': 'list' },
    ready: (p) => p.locator('table.data tbody tr').nth(49).waitFor({ timeout: 60_000 }),
    target: (p) => p.locator('table.data tbody tr a').first(),
    after: /\/deals\/[0-9a-f-]{36}$/,
  });
  return { chats, board, list };
}

async function main() {
  // BENCH_COMPARE: a second build, measured in turn with the first (A B, B A, …)
  // on the same server and workspace, by swapping what the server serves.
  const builds = [{ name: 'this build', dir: dist }];
  if (process.env.BENCH_COMPARE) builds.push({ name: 'compared build', dir: resolve(process.env.BENCH_COMPARE) });
  for (const b of builds) {
    const a = initialAssets(b.dir);
    console.log(`${b.name} (${b.dir}): initial JS gzip ${kib(a.js)}; CSS gzip ${kib(a.css)} (${a.refs.join(', ')})`);
    b.runs = { chats: [], board: [], list: [] };
  }
  const served = mkdtempSync(join(tmpdir(), 'artel-bench-web-dist-'));
  const serve = (b) => {
    rmSync(served, { recursive: true, force: true });
    cpSync(b.dir, served, { recursive: true });
  };
  serve(builds[0]);

  // Cheap password hashing for the hundreds of sign-ups (sign-in cost is not
  // measured); tokens that outlive the seeding.
  const log = join(tmpdir(), 'artel-bench-big.log');
  console.log(`server log: ${log}`);
  const { base, stop } = await startServer({ ARTEL_ARGON2_MEMORY_KIB: '1024', ARTEL_ARGON2_ITERATIONS: '1', ARTEL_ACCESS_TOKEN_TTL_SECS: '3600' }, log, served);
  let browser;
  try {
    const { pipeline, next } = await seedWorkspace(base);
    await timeApi(base, pipeline);
    browser = await launchBrowser();
    for (let run = 0; run < RUNS; run++) {
      for (const b of run % 2 ? [...builds].reverse() : builds) {
        if (builds.length > 1) serve(b);
        const r = await measureScreens(browser, base, next);
        for (const k of Object.keys(r)) b.runs[k].push(r[k]);
        const f = (x) => `${x.shown}/${x.interactive}`;
        console.log(`run ${run + 1}, ${b.name}: chats ${f(r.chats)} ms, board ${f(r.board)} ms, list ${f(r.list)} ms (shown/interactive)`);
      }
    }
    for (const b of builds) {
      console.log(`\n=== ${b.name}`);
      report('Chat list: / until the sidebar shows chats; interactive = a click on another chat handled', b.runs.chats);
      report('Board: /board until the first column shows cards; interactive = a click on a card handled', b.runs.board);
      report('Deals list: /board in list view until 50 rows; interactive = a click on a deal handled', b.runs.list);
    }
  } finally {
    await browser?.close();
    await stop();
    rmSync(served, { recursive: true, force: true });
  }
}

// Imported (to seed a workspace and look at it by hand), it runs nothing.
if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
