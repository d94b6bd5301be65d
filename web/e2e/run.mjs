// End-to-end tests in real Chromium (playwright-core + Debian's chromium) against
// a real `artel serve` on a temp data dir and a free port, serving web/dist.
// Several people in separate browser contexts: the owner (Russian UI), a member
// (English UI) and a guest. Screenshots of every main screen and an axe-core
// check of each go to web/e2e/artifacts/. Prints "N passed, N failed".
//
//   ARTEL_BIN      server binary (default ../target/debug/artel)
//   CHROMIUM_PATH  browser (default /usr/bin/chromium)
//   ARTEL_E2E_URL  test a server already running there instead (needs a fresh one)
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

const here = dirname(fileURLToPath(import.meta.url));
const web = resolve(here, '..');
const repo = resolve(web, '..');
const bin = process.env.ARTEL_BIN ?? join(repo, 'target/debug/artel');
const artifacts = join(here, 'artifacts');
mkdirSync(artifacts, { recursive: true });

const results = [];
let server;
let browser;
const dataDir = mkdtempSync(join(tmpdir(), 'artel-e2e-'));

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

async function startServer() {
  // Against an already running server (e.g. `npm run dev`); the restart test is skipped.
  if (process.env.ARTEL_E2E_URL) return { proc: null, base: process.env.ARTEL_E2E_URL.replace(/\/$/, '') };
  if (!existsSync(bin)) throw new Error(`no server binary at ${bin}: cargo build -p artel first`);
  if (!existsSync(join(web, 'dist/index.html'))) throw new Error('no web/dist: npm run build first');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(bin, ['--data-dir', dataDir, 'serve', '--listen', `127.0.0.1:${port}`, '--web-dir', join(web, 'dist')], {
    env: { ...process.env, RUST_LOG: 'warn', ARTEL_ARGON2_MEMORY_KIB: '1024', ARTEL_ARGON2_ITERATIONS: '1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${base}/api/v1/health`);
      if (r.ok) return { proc, base };
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill();
  throw new Error('server did not become healthy');
}

async function api(base, token, method, path, body) {
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

/** A step returns this when what it tests is absent from the server (said plainly, not counted). */
const SKIP = Symbol('skip');

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
    results.push({ name, ok: false, error: e });
    console.log(`  FAIL ${name}: ${e?.stack ?? e}`);
    const n = results.length;
    for (const [who, page] of Object.entries(globalThis.pages ?? {})) {
      await page.screenshot({ path: join(artifacts, `failed-${n}-${who}.png`) }).catch(() => undefined);
    }
  }
}

/** Polls `f` until it returns something truthy (or throws the last reason after `timeout`). */
async function until(f, what, timeout = 10_000) {
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
const socketReady = (page) => page.locator('.shell[data-connection=open]').waitFor({ timeout: 15_000 });

/** HH:MM as Intl shows `iso` in `locale` and `timeZone` (what the client should show). */
const clock = (iso, locale, timeZone) => new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(iso));

function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

const axeFindings = [];
async function check(page, screen) {
  await page.screenshot({ path: join(artifacts, `${screen}.png`), fullPage: false });
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of bad) axeFindings.push(`${screen}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
  if (bad.length) throw new Error(`axe: ${bad.length} serious/critical on ${screen}: ${bad.map((v) => v.id).join(', ')}`);
}

async function signIn(page, base, email, password) {
  await page.goto(`${base}/`);
  await page.locator('input[type=email]').fill(email);
  await page.locator('input[type=password]').fill(password);
  await page.locator('form button[type=submit]').click();
  await page.locator('aside.sidebar').waitFor();
}

/** Drags with the mouse in small steps, as dnd-kit's pointer sensor needs. */
async function drag(page, from, to) {
  const a = await from.boundingBox();
  const b = await to.boundingBox();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 10, a.y + a.height / 2 + 10, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + 40, { steps: 20 });
  await page.waitForTimeout(150);
  await page.mouse.up();
}

try {
  ({ proc: server, base: globalThis.base } = await startServer());
  const base = globalThis.base;
  console.log(`artel e2e: server at ${base}, data in ${dataDir}`);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const ctxA = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 800 }, timezoneId: 'Europe/Moscow' });
  // B lives in London: accepting the invitation there makes London B's zone.
  const ctxB = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 }, timezoneId: 'Europe/London' });
  const ctxG = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  const A = await ctxA.newPage();
  const B = await ctxB.newPage();
  const G = await ctxG.newPage();
  globalThis.pages = { A, B, G };
  for (const [n, p] of [['A', A], ['B', B], ['G', G]]) p.on('pageerror', (e) => console.log(`  [${n} page error] ${e.message}`));
  const owner = { email: 'anna@example.com', password: 'correct horse battery', name: 'Анна Петрова' };
  const member = { email: 'bob@example.com', password: 'another long password', name: 'Bob Smith' };
  const guest = { email: 'gina@partner.test', password: 'guest long password', name: 'Gina Guest' };
  let ownerToken;
  const ids = {};

  await step('first-run setup creates the workspace and signs the owner in (Russian UI)', async () => {
    await A.goto(`${base}/`);
    await A.getByRole('heading', { name: 'Первый запуск' }).waitFor();
    await check(A, '01-setup');
    await A.getByLabel('Название компании').fill('ООО Ромашка');
    await A.getByLabel('Ваше имя').fill(owner.name);
    await A.getByLabel('Эл. почта').fill(owner.email);
    await A.getByLabel('Пароль').fill(owner.password);
    await A.getByRole('button', { name: 'Создать пространство' }).click();
    await A.locator('aside.sidebar').waitFor();
    const session = await A.evaluate(() => JSON.parse(localStorage.getItem('artel.session')));
    ownerToken = session.accessToken;
    assert(session.user.role === 'owner', 'owner role');
  });

  await step('an invited member accepts the invitation in the browser (English UI)', async () => {
    const inv = await api(base, ownerToken, 'POST', '/invites', { role: 'member' });
    await B.goto(`${base}${inv.url.startsWith('/') ? inv.url : new URL(inv.url).pathname}`);
    await B.getByRole('heading', { name: /Invitation to/ }).waitFor();
    await check(B, '02-invite');
    await B.getByLabel('Your name').fill(member.name);
    await B.getByLabel('E-mail').fill(member.email);
    await B.getByLabel('Password').fill(member.password);
    await B.getByRole('button', { name: 'Accept invitation' }).click();
    await B.locator('aside.sidebar').waitFor();
    const users = await api(base, ownerToken, 'GET', '/users');
    ids.member = users.find((u) => u.email === member.email).id;
    const ginv = await api(base, ownerToken, 'POST', '/invites', { role: 'guest' });
    const g = await api(base, null, 'POST', '/invites/accept', { token: ginv.token, name: guest.name, email: guest.email, password: guest.password, language: 'en' });
    ids.guest = g.user.id;
  });

  await step('sign-out and sign-in again', async () => {
    await B.getByRole('button', { name: 'Sign out' }).click();
    await B.getByRole('heading', { name: 'Sign in to Artel' }).waitFor();
    await check(B, '03-sign-in');
    await B.getByLabel('E-mail').fill(member.email);
    await B.getByLabel('Password').fill('wrong password!');
    await B.getByRole('button', { name: 'Sign in' }).click();
    await B.getByRole('alert').filter({ hasText: 'Wrong e-mail or password' }).waitFor();
    await signIn(B, base, member.email, member.password);
  });

  await step('A writes in a channel, B sees it live; badges count unread', async () => {
    const general = await api(base, ownerToken, 'POST', '/chats', { kind: 'channel', name: 'общий', member_ids: [ids.member] });
    ids.general = general.id;
    const secret = await api(base, ownerToken, 'POST', '/chats', { kind: 'channel', name: 'руководство', is_private: true });
    ids.secret = secret.id;
    const guests = await api(base, ownerToken, 'POST', '/chats', { kind: 'group', name: 'partners', member_ids: [ids.guest, ids.member] });
    ids.guests = guests.id;
    await A.goto(`${base}/chats/${ids.general}`);
    await B.goto(`${base}/`);
    // B opens something else first so the channel's badge can count.
    await B.locator(`a[data-chat-id="${ids.guests}"]`).click();
    const text = `Привет, команда! ${Date.now()}`;
    const box = A.getByRole('textbox', { name: /Сообщение в/ });
    await box.fill(text);
    await box.press('Enter');
    await A.locator('.msg-body', { hasText: text }).waitFor();
    await B.locator(`a[data-chat-id="${ids.general}"] .badge`).filter({ hasText: '1' }).waitFor({ timeout: 10_000 });
    await B.locator(`a[data-chat-id="${ids.general}"]`).click();
    await B.locator('.msg-body', { hasText: text }).waitFor();
    const live = `live ${Date.now()}`;
    await box.fill(live);
    await box.press('Enter');
    await B.locator('.msg-body', { hasText: live }).waitFor({ timeout: 10_000 });
    await check(B, '04-chat');
  });

  await step('B replies in a thread; A sees the reply count and the reply live', async () => {
    const root = B.locator('article.msg', { hasText: 'Привет, команда!' });
    await root.hover();
    await root.getByRole('button', { name: 'Reply in thread' }).click();
    const panel = B.getByRole('complementary', { name: 'Thread' });
    await panel.waitFor();
    const reply = `Thread reply ${Date.now()}`;
    await panel.getByRole('textbox').fill(reply);
    await panel.getByRole('textbox').press('Enter');
    await panel.locator('.msg-body', { hasText: reply }).waitFor();
    await A.locator('.thread-link', { hasText: '1 ответ' }).waitFor({ timeout: 10_000 });
    await A.locator('.thread-link').click();
    await A.getByRole('complementary', { name: 'Тред' }).locator('.msg-body', { hasText: reply }).waitFor();
    await check(B, '05-thread');
  });

  await step('edit with Up, reactions and delete update on both sides', async () => {
    await A.keyboard.press('Escape');
    const box = A.getByRole('textbox', { name: /Сообщение в/ });
    await box.click();
    await box.press('ArrowUp');
    const edit = A.getByRole('textbox', { name: 'Изменить' });
    await edit.fill('исправлено');
    await edit.press('Enter');
    await B.locator('.msg-body', { hasText: 'исправлено' }).waitFor({ timeout: 10_000 });
    const msg = B.locator('article.msg', { hasText: 'исправлено' });
    await msg.hover();
    await msg.getByRole('button', { name: 'React 👍' }).click();
    await A.locator('article.msg', { hasText: 'исправлено' }).locator('.reaction', { hasText: '👍 1' }).waitFor({ timeout: 10_000 });
    // Delete: the author confirms, and both sides show the tombstone instead of the text.
    const own = A.locator('article.msg', { hasText: 'исправлено' });
    await own.hover();
    A.once('dialog', (d) => void d.accept());
    await own.getByRole('button', { name: 'Удалить' }).click();
    await A.locator('.msg-body', { hasText: 'Сообщение удалено' }).waitFor({ timeout: 10_000 });
    await B.locator('.msg-body', { hasText: 'Message deleted' }).waitFor({ timeout: 10_000 });
    assert((await B.locator('.msg-body', { hasText: 'исправлено' }).count()) === 0, 'the deleted text is gone on the other side');
  });

  await step('typing: each side sees the other typing ("печатает…" / "is typing…")', async () => {
    await A.goto(`${base}/chats/${ids.general}`);
    await B.goto(`${base}/chats/${ids.general}`);
    await Promise.all([socketReady(A), socketReady(B)]);
    const boxA = A.getByRole('textbox', { name: /Сообщение в/ });
    const boxB = B.getByRole('textbox', { name: /Message/ });
    await boxA.pressSequentially('пишу ответ');
    await B.locator('.typing').filter({ hasText: 'Анна Петрова is typing…' }).waitFor({ timeout: 10_000 });
    await boxB.pressSequentially('writing back');
    await A.locator('.typing').filter({ hasText: 'Bob Smith печатает…' }).waitFor({ timeout: 10_000 });
    await check(A, '17-typing');
    // Sending ends the notice on the other side at once.
    await boxA.press('Enter');
    await B.locator('.msg-body', { hasText: 'пишу ответ' }).waitFor({ timeout: 10_000 });
    await B.locator('.typing').filter({ hasText: 'is typing' }).waitFor({ state: 'detached', timeout: 3_000 });
    await boxB.fill('');
  });

  await step('mentions: B sees A\'s mention of B as a highlighted "@Bob Smith" and A sees B\'s as "@Анна Петрова", never an id', async () => {
    const boxA = A.getByRole('textbox', { name: /Сообщение в/ });
    await boxA.pressSequentially('Посмотри, @Bo');
    await A.getByRole('listbox', { name: '@' }).getByRole('option', { name: '@Bob Smith' }).waitFor();
    await boxA.press('Enter'); // takes the person
    await A.waitForFunction(() => document.activeElement?.value === 'Посмотри, @Bob Smith ');
    await boxA.pressSequentially('пожалуйста');
    await boxA.press('Enter');
    const atB = B.locator('article.msg', { hasText: 'пожалуйста' });
    await atB.locator('.msg-body .mention.mention-me', { hasText: '@Bob Smith' }).waitFor({ timeout: 10_000 });
    const shown = await atB.locator('.msg-body').innerText();
    assert(shown.trim() === 'Посмотри, @Bob Smith пожалуйста', `B reads the names, not ids: ${JSON.stringify(shown)}`);
    // The author's own copy names B too (highlighted, but not as the author's own mention).
    await A.locator('article.msg[data-seq]', { hasText: 'пожалуйста' }).locator('.mention:not(.mention-me)', { hasText: '@Bob Smith' }).waitFor();
    const boxB = B.getByRole('textbox', { name: /Message/ });
    await boxB.pressSequentially('Sure @Ан');
    await B.getByRole('listbox', { name: '@' }).getByRole('option', { name: '@Анна Петрова' }).waitFor();
    await boxB.press('Enter');
    await boxB.pressSequentially('will do');
    await boxB.press('Enter');
    const atA = A.locator('article.msg', { hasText: 'will do' });
    await atA.locator('.msg-body .mention.mention-me', { hasText: '@Анна Петрова' }).waitFor({ timeout: 10_000 });
    assert((await atA.locator('.msg-body').innerText()).trim() === 'Sure @Анна Петрова will do', 'A reads her name');
    await check(B, '18-mentions');
  });

  await step('read-by: the author sees who has read the message (and it follows the reader live)', async () => {
    await B.locator(`a[data-chat-id="${ids.guests}"]`).click();
    await B.getByRole('textbox', { name: /Message partners/ }).waitFor();
    const boxA = A.getByRole('textbox', { name: /Сообщение в/ });
    const text = `Кто прочитал? ${Date.now()}`;
    await boxA.fill(text);
    await boxA.press('Enter');
    await A.locator('article.msg[data-seq]', { hasText: text }).waitFor();
    const readBy = A.getByTestId('read-by');
    // B has not opened it yet: B is not among the readers of this one.
    assert((await readBy.filter({ hasText: 'Bob Smith' }).count()) === 0, 'not read by B before B opens the chat');
    await B.locator(`a[data-chat-id="${ids.general}"]`).click();
    await B.locator('.msg-body', { hasText: text }).waitFor();
    await readBy.filter({ hasText: 'Прочитали: Bob Smith' }).waitFor({ timeout: 10_000 });
    // And the other way round, in English: A has the chat open, so B's reply is read at once.
    const boxB = B.getByRole('textbox', { name: /Message/ });
    await boxB.fill('Read it');
    await boxB.press('Enter');
    await B.getByTestId('read-by').filter({ hasText: 'Seen by Анна Петрова' }).waitFor({ timeout: 10_000 });
  });

  await step('uploads: B downloads the file A attached, byte for byte', async () => {
    const bytes = randomBytes(50_000);
    bytes[0] = 0xff; // not valid UTF-8: a text round trip would change it
    await A.locator('input[type=file]').setInputFiles({ name: 'смета.bin', mimeType: 'application/octet-stream', buffer: bytes });
    await A.locator('.file-chip', { hasText: 'смета.bin' }).waitFor({ timeout: 10_000 });
    const boxA = A.getByRole('textbox', { name: /Сообщение в/ });
    await boxA.fill('Смета во вложении');
    await boxA.press('Enter');
    const chip = B.locator('article.msg', { hasText: 'Смета во вложении' }).locator('button.file-chip', { hasText: 'смета.bin' });
    await chip.waitFor({ timeout: 10_000 });
    const [download] = await Promise.all([B.waitForEvent('download', { timeout: 10_000 }), chip.click()]);
    assert(download.suggestedFilename() === 'смета.bin', `file name ${download.suggestedFilename()}`);
    const got = readFileSync(await download.path());
    assert(got.length === bytes.length && got.equals(bytes), `same bytes (${got.length} of ${bytes.length})`);
  });

  await step('time zones: a message shows Moscow time to A and London time to B', async () => {
    const sessionB = await B.evaluate(() => JSON.parse(localStorage.getItem('artel.session')));
    assert(sessionB.user.time_zone === 'Europe/London', `B's zone comes from B's browser: ${sessionB.user.time_zone}`);
    const body = `Сверим часы ${Date.now()}`;
    const sent = await api(base, ownerToken, 'POST', `/chats/${ids.general}/messages`, { body });
    const moscow = clock(sent.created_at, 'ru-RU', 'Europe/Moscow');
    const london = clock(sent.created_at, 'en-GB', 'Europe/London');
    assert(moscow !== london, `the zones differ (${moscow} / ${london})`);
    await A.locator(`article.msg[aria-label="Анна Петрова, ${moscow}"]`, { hasText: body }).waitFor({ timeout: 10_000 });
    await B.locator(`article.msg[aria-label="Анна Петрова, ${london}"]`, { hasText: body }).waitFor({ timeout: 10_000 });
  });

  await step('a teammate who joins later is named on open pages and found by Ctrl+K without a reload', async () => {
    await Promise.all([socketReady(A), socketReady(B)]);
    const inv = await api(base, ownerToken, 'POST', '/invites', { role: 'member' });
    const vera = await api(base, null, 'POST', '/invites/accept', { token: inv.token, name: 'Вера Новикова', email: 'vera@example.com', password: 'vera long password', language: 'ru' });
    await api(base, ownerToken, 'POST', `/chats/${ids.general}/members`, { user_id: vera.user.id });
    await api(base, vera.access_token, 'POST', `/chats/${ids.general}/messages`, { body: 'Всем привет, я новенькая' });
    for (const page of [A, B]) {
      await page.locator('article.msg', { hasText: 'Всем привет, я новенькая' }).locator('.msg-head strong', { hasText: 'Вера Новикова' }).waitFor({ timeout: 10_000 });
    }
    // Someone who joined and said nothing yet: Ctrl+K still finds them.
    const inv2 = await api(base, ownerToken, 'POST', '/invites', { role: 'member' });
    await api(base, null, 'POST', '/invites/accept', { token: inv2.token, name: 'Oleg Quiet', email: 'oleg@example.com', password: 'oleg long password', language: 'en' });
    for (const page of [A, B]) {
      await page.keyboard.press('Control+k');
      await page.getByRole('combobox').fill('Oleg');
      await page.getByRole('option', { name: /Oleg Quiet/ }).waitFor({ timeout: 10_000 });
      await page.keyboard.press('Escape');
      await page.getByRole('combobox').waitFor({ state: 'detached' });
    }
  });

  await step('slash-commands: suggestions while typing, keyboard picks, inline result and error for the issuer only', async () => {
    await B.goto(`${base}/chats/${ids.general}`);
    const box = B.getByRole('textbox', { name: /Message/ });
    await box.click();
    const list = B.getByRole('listbox', { name: 'Commands' });
    await box.pressSequentially('/');
    await list.waitFor();
    assert((await list.getByRole('option').count()) >= 5, 'every command offered after "/"');
    await box.press('Escape');
    await list.waitFor({ state: 'hidden' });
    await box.pressSequentially('ta');
    // Best first: once the answer for "/ta" is in, /task leads the list.
    await list.getByRole('option').first().filter({ hasText: '/task' }).waitFor();
    await check(B, '12-commands');
    await box.press('Tab');
    await B.waitForFunction(() => document.activeElement?.value === '/task ');
    await box.pressSequentially('Prepare the offer tomorrow 11:00 @Ан');
    await list.getByRole('option', { name: /Анна Петрова/ }).waitFor();
    await box.press('ArrowDown');
    await box.press('ArrowUp');
    await box.press('Enter'); // takes the person
    await B.waitForFunction(() => document.activeElement?.value === '/task Prepare the offer tomorrow 11:00 @Анна Петрова ');
    await box.press('Enter'); // runs the command
    const outcome = B.getByTestId('command-outcome');
    await outcome.filter({ hasText: 'Prepare the offer' }).waitFor({ timeout: 10_000 });
    assert((await outcome.getAttribute('role')) === 'status', 'a result is a status');
    assert((await box.inputValue()) === '', 'the box is cleared after a command ran');
    const mine = await api(base, ownerToken, 'GET', '/tasks/mine');
    const all = [...mine.overdue, ...mine.today, ...mine.upcoming, ...mine.no_due_date];
    const made = all.find((t) => t.title.startsWith('Prepare the offer'));
    assert(made, 'the task is assigned to Anna');
    // The command line is not a message in the chat; the owner's screen shows no command result.
    assert((await A.getByTestId('command-outcome').count()) === 0, 'the other user sees no command outcome');
    // The assignee finds it in her own list, in her browser, and completes it there.
    const chatOfA = A.url();
    await A.goto(`${base}/tasks`);
    const doneBox = A.getByLabel(`Выполнить: ${made.title}`);
    await doneBox.waitFor();
    await doneBox.click();
    await doneBox.waitFor({ state: 'detached' });
    await A.goto(chatOfA);
    // A refusal: inline, as an alert, with the usage line; the line stays for fixing.
    await box.fill('/task call !someday');
    await box.press('Escape');
    await box.press('Enter');
    const failed = B.locator('[data-testid=command-outcome][role=alert]');
    await failed.waitFor({ timeout: 10_000 });
    await failed.getByText('/task <text>').waitFor();
    assert((await box.inputValue()) === '/task call !someday', 'the refused line is kept');
    await box.press('Escape');
    await failed.waitFor({ state: 'hidden' });
    await box.fill('');
  });

  // --- c-notices ---
  await step('notices: /task in a deal chat reads in each reader\'s language, zone and dates; the issuer\'s result stays private', async () => {
    const deal = await api(base, ownerToken, 'POST', '/deals', { title: 'Поставка насосов', participants: [ids.member] });
    ids.noticeDeal = deal;
    await A.goto(`${base}/chats/${deal.chat_id}`);
    await B.goto(`${base}/chats/${deal.chat_id}`);
    await Promise.all([socketReady(A), socketReady(B)]);
    const box = A.getByRole('textbox', { name: /Сообщение в/ });
    await box.fill('/task Позвонить завтра 15:00');
    await box.press('Escape');
    await box.press('Enter');
    const outcome = A.getByTestId('command-outcome');
    await outcome.filter({ hasText: 'Позвонить' }).waitFor({ timeout: 10_000 });
    // The label is true: the result is A's, and the chat got a notice everyone sees.
    await outcome.getByText('этот ответ видите только вы; все в чате видят уведомление').waitFor();
    const privateText = await outcome.locator('.command-text').innerText();
    const tasks = await api(base, ownerToken, 'GET', `/tasks?view=entity&entity_kind=deal&entity_id=${deal.id}`);
    const task = (tasks.items ?? tasks).find((x) => x.title === 'Позвонить');
    assert(task?.due_at, 'the task has a due moment');
    const moscow = clock(task.due_at, 'ru-RU', 'Europe/Moscow');
    const london = clock(task.due_at, 'en-GB', 'Europe/London');
    assert(moscow === '15:00' && london === '12:00', `15:00 in Moscow is 12:00 in London in December (${moscow} / ${london})`);
    const noticeA = A.locator('[data-notice="task_created"]', { hasText: 'Позвонить' });
    const noticeB = B.locator('[data-notice="task_created"]', { hasText: 'Позвонить' });
    await noticeA.waitFor({ timeout: 10_000 });
    await noticeB.waitFor({ timeout: 10_000 });
    const textA = await noticeA.innerText();
    const textB = await noticeB.innerText();
    assert(textA === `Анна Петрова: задача «Позвонить», срок — завтра, ${moscow}`, `A reads Russian, Moscow time: ${textA}`);
    // "tomorrow" for A is tomorrow in Moscow; in London it is tomorrow too unless Moscow is already past midnight.
    assert(new RegExp(`^Анна Петрова set the task “Позвонить” due (tomorrow|\\d{1,2} [A-Z][a-z]+) at ${london}$`).test(textB), `B reads English, London time: ${textB}`);
    assert(!/[«»]/.test(textB), `no «» in English: ${textB}`);
    assert(!/\d{2}\.\d{2}\.\d{4}|\(а\)|Europe\//.test(textB + textA), 'no DD.MM.YYYY, no "(а)", no zone names');
    // B never sees A's private result: not on screen, not in the chat's history.
    assert((await B.getByTestId('command-outcome').count()) === 0, 'B has no command outcome');
    assert((await B.locator('.msg-body', { hasText: privateText }).count()) === 0, 'the private result is not in B\'s chat');
    const tokenB = (await B.evaluate(() => JSON.parse(localStorage.getItem('artel.session')))).accessToken;
    const history = await api(base, tokenB, 'GET', `/chats/${deal.chat_id}/messages`);
    assert(!history.some((m) => m.body === privateText || m.kind === 'command_result'), 'nothing of the result was posted');
    await check(A, '30-notice-ru');
    await check(B, '30-notice-en');
    // A's own list stays as the steps below expect it.
    await api(base, ownerToken, 'POST', `/tasks/${task.id}/complete`, { version: task.version });
    await A.locator('[data-notice="task_completed"]', { hasText: 'Анна Петрова: задача «Позвонить» выполнена' }).waitFor({ timeout: 10_000 });
    await B.locator('[data-notice="task_completed"]', { hasText: 'Анна Петрова completed the task “Позвонить”' }).waitFor({ timeout: 10_000 });
  });

  await step('a won deal\'s chat turns read-only live, with a plain reason in both languages', async () => {
    const deal = ids.noticeDeal;
    const pipeline = (await api(base, ownerToken, 'GET', '/pipelines')).find((p) => p.id === deal.pipeline_id);
    const won = pipeline.stages.find((x) => x.kind === 'won');
    const fresh = await api(base, ownerToken, 'GET', `/deals/${deal.id}`);
    await api(base, ownerToken, 'POST', `/deals/${deal.id}/move`, { version: fresh.version, stage_id: won.id });
    await B.getByTestId('read-only').filter({ hasText: 'The deal is closed; this chat is read-only' }).waitFor({ timeout: 10_000 });
    await A.getByTestId('read-only').filter({ hasText: 'Сделка закрыта — чат только для чтения' }).waitFor({ timeout: 10_000 });
    assert((await B.getByRole('textbox', { name: /Message/ }).count()) === 0, 'no composer in a closed deal\'s chat');
    // The move is told in each reader's words too.
    const stageFrom = pipeline.stages.find((x) => x.id === fresh.stage_id).name;
    await A.locator('[data-notice="deal_moved"]', { hasText: `Анна Петрова: сделка перемещена с этапа «${stageFrom}» на «${won.name}»` }).waitFor({ timeout: 10_000 });
    await B.locator('[data-notice="deal_moved"]', { hasText: `Анна Петрова moved the deal from “${stageFrom}” to “${won.name}”` }).waitFor({ timeout: 10_000 });
    await B.reload();
    await B.getByTestId('read-only').waitFor();
    await check(A, '31-read-only-ru');
    await check(B, '31-read-only-en');
  });

  await step('a hook\'s message is signed with the hook\'s name, a bot\'s with a "bot" badge', async () => {
    await B.goto(`${base}/chats/${ids.general}`);
    await socketReady(B);
    const hook = await api(base, ownerToken, 'POST', '/hooks', { kind: 'incoming', name: 'Мониторинг', chat_id: ids.general });
    const alert = `CPU 95% на db-1 ${Date.now()}`;
    await api(base, null, 'POST', `/hooks/in/${hook.token}`, { text: alert });
    const fromHook = B.locator('article.msg', { hasText: alert });
    await fromHook.locator('.msg-head strong', { hasText: 'Мониторинг' }).waitFor({ timeout: 10_000 });
    await fromHook.locator('.msg-badge', { hasText: 'integration' }).waitFor();
    assert((await fromHook.locator('.msg-head strong', { hasText: 'System' }).count()) === 0, 'not "System"');
    const bot = await api(base, ownerToken, 'POST', '/bots', { name: 'Склад-бот' });
    const token = await api(base, ownerToken, 'POST', `/bots/${bot.id}/tokens`, { name: 'e2e', scopes: ['messages:read', 'messages:write'] });
    await api(base, ownerToken, 'POST', `/chats/${ids.general}/members`, { user_id: bot.id });
    const said = `Остатки обновлены ${Date.now()}`;
    await api(base, token.secret, 'POST', `/chats/${ids.general}/messages`, { body: said });
    const fromBot = B.locator('article.msg', { hasText: said });
    await fromBot.locator('.msg-head strong', { hasText: 'Склад-бот' }).waitFor({ timeout: 10_000 });
    await fromBot.locator('.msg-badge', { hasText: 'bot' }).waitFor();
    await A.goto(`${base}/chats/${ids.general}`);
    await A.locator('article.msg', { hasText: alert }).locator('.msg-badge', { hasText: 'интеграция' }).waitFor({ timeout: 10_000 });
    await A.locator('article.msg', { hasText: said }).locator('.msg-badge', { hasText: 'бот' }).waitFor({ timeout: 10_000 });
    await check(B, '32-hook-and-bot');
  });

  await step('settings keep a UTC user in UTC (not the first zone of the list)', async () => {
    const tokenB = (await B.evaluate(() => JSON.parse(localStorage.getItem('artel.session')))).accessToken;
    await api(base, tokenB, 'PATCH', '/me', { time_zone: 'UTC' });
    await B.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('artel.session'));
      s.user.time_zone = 'UTC';
      localStorage.setItem('artel.session', JSON.stringify(s));
    });
    await B.goto(`${base}/settings`);
    const zone = B.getByLabel('Time zone');
    await zone.waitFor();
    assert((await zone.inputValue()) === 'UTC', `UTC is selected: ${await zone.inputValue()}`);
    await B.getByRole('button', { name: 'Save' }).click();
    await B.getByText('Saved').first().waitFor();
    const me = await api(base, tokenB, 'GET', '/me');
    assert((me.user ?? me).time_zone === 'UTC', `saving keeps UTC: ${(me.user ?? me).time_zone}`);
    // B lives in London for the steps that follow.
    await api(base, tokenB, 'PATCH', '/me', { time_zone: 'Europe/London' });
    await B.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('artel.session'));
      s.user.time_zone = 'Europe/London';
      localStorage.setItem('artel.session', JSON.stringify(s));
    });
    await B.goto(`${base}/`);
  });

  await step('presence: a direct-chat partner shows online, then away while their tab is hidden', async () => {
    const dm = await api(base, ownerToken, 'POST', '/chats/direct', { user_id: ids.member });
    ids.dm = dm.id;
    // A's sidebar lists the new chat live, follows B's presence and is told B is online.
    await A.locator(`a[data-chat-id="${dm.id}"] .presence-online`).waitFor({ timeout: 10_000 });
    const hidden = (value) =>
      B.evaluate((v) => {
        Object.defineProperty(document, 'hidden', { value: v, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, value);
    await hidden(true);
    await A.locator(`a[data-chat-id="${dm.id}"] .presence-away`).waitFor({ timeout: 10_000 });
    await hidden(false);
    await A.locator(`a[data-chat-id="${dm.id}"] .presence-online`).waitFor({ timeout: 10_000 });
  });

  await step('a guest cannot see a private channel', async () => {
    await signIn(G, base, guest.email, guest.password);
    await G.locator(`a[data-chat-id="${ids.guests}"]`).waitFor();
    assert((await G.locator(`a[data-chat-id="${ids.secret}"]`).count()) === 0, 'private channel hidden in the sidebar');
    assert((await G.locator(`a[data-chat-id="${ids.general}"]`).count()) === 0, 'channel the guest is not in is hidden');
    const session = await G.evaluate(() => JSON.parse(localStorage.getItem('artel.session')));
    let status = 0;
    try {
      await api(base, session.accessToken, 'GET', `/chats/${ids.secret}/messages`);
    } catch (e) {
      status = e.status;
    }
    assert(status === 403 || status === 404, `guest reading the private channel gets 403/404, got ${status}`);
    await G.goto(`${base}/chats/${ids.secret}`);
    await G.getByRole('alert').filter({ hasText: 'not available' }).waitFor();
    assert((await G.locator('.msg-body').count()) === 0, 'no messages of the private channel shown');
    await G.keyboard.press('Control+k');
    await G.getByRole('combobox').fill('руковод');
    await G.getByText('Nothing found').waitFor();
    await check(G, '06-guest');
  });

  await step('a drag on the board moves the card on a manager\'s open board', async () => {
    const pipelines = await api(base, ownerToken, 'GET', '/pipelines');
    const p = pipelines[0];
    ids.pipeline = p.id;
    const [s1, s2] = p.stages;
    const deal = await api(base, ownerToken, 'POST', '/deals', { title: 'Поставка станков', pipeline_id: p.id, stage_id: s1.id, amount_minor: 12_500_000, currency: 'RUB' });
    ids.deal = deal.id;
    await api(base, ownerToken, 'POST', '/deals', { title: 'Второй заказ', pipeline_id: p.id, stage_id: s1.id, amount_minor: 100_000, currency: 'RUB' });
    await B.goto(`${base}/board`);
    await A.goto(`${base}/board`);
    const card = A.locator(`.deal-card[data-deal-id="${deal.id}"]`);
    await card.waitFor();
    await B.locator(`[data-stage-id="${s1.id}"] .deal-card[data-deal-id="${deal.id}"]`).waitFor();
    await check(A, '07-board');
    await drag(A, card, A.locator(`[data-stage-id="${s2.id}"] .column-body`));
    await A.locator(`[data-stage-id="${s2.id}"] .deal-card[data-deal-id="${deal.id}"]`).waitFor();
    await B.locator(`[data-stage-id="${s2.id}"] .deal-card[data-deal-id="${deal.id}"]`).waitFor({ timeout: 10_000 });
    await B.locator(`[data-stage-id="${s2.id}"] [data-testid=count]`).filter({ hasText: '1 deal' }).waitFor();
    const stored = await api(base, ownerToken, 'GET', `/deals/${deal.id}`);
    assert(stored.stage_id === s2.id, 'the move was saved');
    ids.dealStage = s2.id;
  });

  await step('quick create adds a card live on the other board', async () => {
    await B.getByLabel('Deal title').fill('Quick lead');
    await B.getByLabel('Amount').fill('5000');
    await B.getByRole('button', { name: 'Create' }).click();
    await A.locator('.deal-card', { hasText: 'Quick lead' }).waitFor({ timeout: 10_000 });
  });

  await step('deal card shows fields, history and its chat side by side', async () => {
    await A.goto(`${base}/deals/${ids.deal}`);
    await A.getByRole('heading', { name: 'Поставка станков', level: 1 }).waitFor();
    await A.getByRole('heading', { name: 'История изменений' }).waitFor();
    await A.locator('.timeline li').first().waitFor();
    await A.getByRole('textbox', { name: /Сообщение в/ }).waitFor();
    await check(A, '08-deal');
  });

  await step('chat commands on a deal card update the issuer\'s card, history, tasks and board at once (Russian)', async () => {
    const p = (await api(base, ownerToken, 'GET', '/pipelines')).find((x) => x.id === ids.pipeline);
    const stages = [...p.stages].sort((a, b) => a.position - b.position);
    const talks = stages.find((x) => x.name === 'Переговоры');
    const qualification = stages.find((x) => x.name === 'Квалификация');
    // Board first, then the card by its link, then back by the card's link: one page, as a user goes.
    await A.goto(`${base}/board/${ids.pipeline}`);
    // While A is away from the board (on a card), B moves B's deal, whose chat
    // A is not in: the board A comes back to shows it (it is not watched meanwhile).
    await A.locator(`.deal-card[data-deal-id="${ids.deal}"] a`).click();
    await A.locator('select[aria-label="Этап"]').waitFor();
    const board = await api(base, ownerToken, 'GET', `/pipelines/${ids.pipeline}/board`);
    const other = board.columns.flatMap((c) => c.deals).find((d) => d.title === 'Quick lead');
    const tokenB = (await B.evaluate(() => JSON.parse(localStorage.getItem('artel.session')))).accessToken;
    await api(base, tokenB, 'POST', `/deals/${other.id}/move`, { version: other.version, stage_id: qualification.id });
    await A.locator('.page-head a').first().click();
    await A.locator(`[data-stage-id="${qualification.id}"] .deal-card[data-deal-id="${other.id}"]`).waitFor({ timeout: 10_000 });
    await A.locator(`.deal-card[data-deal-id="${ids.deal}"] a`).click();
    const stage = A.locator('select[aria-label="Этап"]');
    await stage.waitFor();
    assert((await stage.inputValue()) === ids.dealStage, 'the card starts at the dragged-to stage');
    await socketReady(A);
    const box = A.getByRole('textbox', { name: /Сообщение в/ });
    await box.fill('/этап Переговоры');
    await box.press('Escape');
    await box.press('Enter');
    await A.getByTestId('command-outcome').filter({ hasText: 'Переговоры' }).waitFor({ timeout: 10_000 });
    await A.waitForFunction((id) => document.querySelector('select[aria-label="Этап"]')?.value === id, talks.id, { timeout: 10_000 });
    await A.locator('.timeline li', { hasText: 'Переговоры' }).waitFor({ timeout: 10_000 });
    await box.fill('/задача Подготовить договор');
    await box.press('Escape');
    await box.press('Enter');
    await A.getByTestId('command-outcome').filter({ hasText: 'Подготовить договор' }).waitFor({ timeout: 10_000 });
    await A.locator('.record-info .task-title', { hasText: 'Подготовить договор' }).waitFor({ timeout: 10_000 });
    await check(A, '19-deal-after-commands');
    await A.locator('.page-head a').first().click();
    await A.locator(`[data-stage-id="${talks.id}"] .deal-card[data-deal-id="${ids.deal}"]`).waitFor({ timeout: 10_000 });
    // The next drag (back to a column in view) goes from the version the command made: no conflict.
    await drag(A, A.locator(`.deal-card[data-deal-id="${ids.deal}"]`), A.locator(`[data-stage-id="${qualification.id}"] .column-body`));
    await until(async () => (await api(base, ownerToken, 'GET', `/deals/${ids.deal}`)).stage_id === qualification.id, 'the drag saved after the command');
    await A.locator(`[data-stage-id="${qualification.id}"] .deal-card[data-deal-id="${ids.deal}"]`).waitFor();
    ids.dealStage = qualification.id;
    ids.talks = talks.id;
  });

  await step('chat commands on a deal card update the issuer\'s card and board at once (English)', async () => {
    // B's own deal (quick-created above): members talk in the chats of their deals.
    await B.goto(`${base}/board/${ids.pipeline}`);
    const card = B.locator('.deal-card', { hasText: 'Quick lead' });
    const dealId = await card.getAttribute('data-deal-id');
    const before = await api(base, ownerToken, 'GET', `/deals/${dealId}`);
    await card.locator('a').click();
    const stage = B.locator('select[aria-label="Stage"]');
    await stage.waitFor();
    await socketReady(B);
    const box = B.getByRole('textbox', { name: /Message/ });
    await box.fill('/move Переговоры');
    await box.press('Escape');
    await box.press('Enter');
    await B.getByTestId('command-outcome').filter({ hasText: 'Переговоры' }).waitFor({ timeout: 10_000 });
    await B.waitForFunction((id) => document.querySelector('select[aria-label="Stage"]')?.value === id, ids.talks, { timeout: 10_000 });
    await B.locator('.timeline li', { hasText: 'Переговоры' }).waitFor({ timeout: 10_000 });
    await box.fill('/task Send the draft');
    await box.press('Escape');
    await box.press('Enter');
    await B.locator('.record-info .task-title', { hasText: 'Send the draft' }).waitFor({ timeout: 10_000 });
    // The colleague's open board follows too.
    await A.locator(`[data-stage-id="${ids.talks}"] .deal-card[data-deal-id="${dealId}"]`).waitFor({ timeout: 10_000 });
    await B.locator('.page-head a').first().click();
    await B.locator(`[data-stage-id="${ids.talks}"] .deal-card[data-deal-id="${dealId}"]`).waitFor({ timeout: 10_000 });
    // A stage change on the card itself now goes through (no "changed meanwhile").
    await B.locator(`.deal-card[data-deal-id="${dealId}"] a`).click();
    await B.locator('select[aria-label="Stage"]').selectOption(before.stage_id);
    await until(async () => (await api(base, ownerToken, 'GET', `/deals/${dealId}`)).stage_id === before.stage_id, 'the stage change saved');
  });

  await step('a task due time shows in each reader\'s zone on the deal card (Moscow for A, London for B)', async () => {
    const dueAt = '2030-06-15T09:30:00Z';
    const task = await api(base, ownerToken, 'POST', '/tasks', { title: 'Созвон с Лондоном', entity_kind: 'deal', entity_id: ids.deal, due_at: dueAt, reminders: [] });
    const moscow = clock(dueAt, 'ru-RU', 'Europe/Moscow');
    const london = clock(dueAt, 'en-GB', 'Europe/London');
    assert(moscow === '12:30' && london === '10:30', `expected times (${moscow} / ${london})`);
    for (const [page, hm] of [[A, moscow], [B, london]]) {
      await page.goto(`${base}/deals/${ids.deal}`);
      const due = page.locator(`.record-info li[data-task-id="${task.id}"] time`);
      await due.waitFor();
      const text = await due.innerText();
      assert(text.includes(hm), `due ${text} shows ${hm}`);
    }
    // A's own list stays as the steps below expect it.
    const mine = await api(base, ownerToken, 'GET', '/tasks/mine');
    for (const t of [...mine.overdue, ...mine.today, ...mine.upcoming, ...mine.no_due_date]) {
      if (t.title === 'Подготовить договор' || t.title === 'Созвон с Лондоном') await api(base, ownerToken, 'POST', `/tasks/${t.id}/complete`, { version: t.version });
    }
  });

  await step('pipeline editor: admins add, rename, reorder and delete stages; a stage with deals cannot be deleted', async () => {
    await B.goto(`${base}/board/${ids.pipeline}`);
    await B.locator('.deal-card').first().waitFor();
    await A.goto(`${base}/board/${ids.pipeline}`);
    await A.getByRole('link', { name: 'Настроить воронку' }).click();
    await A.getByRole('heading', { name: 'Воронка и этапы' }).waitFor();
    await A.getByLabel('Новый этап', { exact: true }).fill('Пилот');
    await A.getByRole('button', { name: 'Добавить этап' }).click();
    const nameBox = A.getByLabel('Название этапа: Пилот');
    await nameBox.waitFor();
    // A manager's open board gets the new column live.
    await B.locator('.column h2', { hasText: 'Пилот' }).waitFor({ timeout: 10_000 });
    await nameBox.fill('Пилотный проект');
    await nameBox.press('Enter');
    await A.getByLabel('Название этапа: Пилотный проект').waitFor();
    await A.getByRole('button', { name: 'Выше: Пилотный проект' }).click();
    await A.waitForFunction(() => {
      const rows = [...document.querySelectorAll('.stage-list li input[aria-label^="Название этапа"]')].map((i) => i.value);
      return rows.length > 2 && rows[rows.length - 2] === 'Пилотный проект';
    });
    let p = (await api(base, ownerToken, 'GET', '/pipelines')).find((x) => x.id === ids.pipeline);
    const names = p.stages.sort((a, b) => a.position - b.position).map((s) => s.name);
    assert(names[names.length - 2] === 'Пилотный проект', `moved up one place: ${names.join(', ')}`);
    await check(A, '13-pipeline-editor');
    // The stage holding "Поставка станков" cannot go: the server's words are shown.
    const busy = p.stages.find((s) => s.id === ids.dealStage);
    await A.getByRole('button', { name: `Удалить: ${busy.name}` }).click();
    await A.getByTestId('pipeline-error').filter({ hasText: 'move the deals out of this stage first' }).waitFor();
    await A.getByRole('button', { name: 'Удалить: Пилотный проект' }).click();
    await A.getByLabel('Название этапа: Пилотный проект').waitFor({ state: 'detached' });
    p = (await api(base, ownerToken, 'GET', '/pipelines')).find((x) => x.id === ids.pipeline);
    assert(!p.stages.some((s) => s.name === 'Пилотный проект'), 'the empty stage was deleted');
    assert(p.stages.some((s) => s.id === ids.dealStage), 'the stage with deals stayed');
    // Not for members: no button on the board, and the page says so.
    await B.goto(`${base}/board/${ids.pipeline}`);
    await B.locator('.deal-card').first().waitFor();
    assert((await B.getByRole('link', { name: 'Edit pipeline' }).count()) === 0, 'members get no editor link');
    await B.goto(`${base}/board/${ids.pipeline}/edit`);
    await B.getByRole('alert').filter({ hasText: 'Only admins edit pipelines' }).waitFor();
  });

  await step('my tasks: create and complete', async () => {
    await A.goto(`${base}/tasks`);
    await A.getByLabel('Что сделать').fill('Позвонить клиенту');
    const today = await A.evaluate(() => new Date().toLocaleDateString('en-CA'));
    await A.getByLabel('Срок', { exact: true }).fill(today);
    await A.getByRole('button', { name: 'Создать' }).click();
    await A.getByRole('heading', { name: /Сегодня/ }).waitFor();
    await check(A, '09-tasks');
    await A.getByLabel('Выполнить: Позвонить клиенту').click();
    await A.getByText('Задачи нет — отличная работа!').or(A.getByText('Задач нет — отличная работа!')).waitFor();
  });

  await step('tasks: edit a task, add and complete a subtask, add a reminder', async () => {
    await A.goto(`${base}/tasks`);
    await A.getByLabel('Что сделать').fill('Подготовить КП');
    await A.getByRole('button', { name: 'Создать' }).click();
    await A.getByRole('button', { name: 'Подготовить КП', exact: true }).click();
    const dialog = A.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Подготовить КП' }).waitFor();
    await dialog.getByLabel('Что сделать').fill('Подготовить КП для Ромашки');
    await dialog.getByLabel('Описание').fill('Цены из прайса ноября');
    await dialog.getByLabel('Приоритет').selectOption('high');
    await dialog.getByRole('button', { name: 'Сохранить' }).click();
    await dialog.waitFor({ state: 'detached' });
    await A.getByRole('button', { name: 'Подготовить КП для Ромашки' }).click();
    await dialog.getByRole('heading', { name: 'Подготовить КП для Ромашки' }).waitFor();
    await dialog.getByLabel('Новая подзадача').fill('Собрать цены');
    await dialog.getByRole('button', { name: 'Добавить подзадачу' }).click();
    await dialog.getByLabel('Выполнить: Собрать цены').click();
    await dialog.getByLabel('Вернуть в работу: Собрать цены').waitFor();
    await dialog.getByText('1/1').waitFor();
    await dialog.getByRole('button', { name: 'Напомнить' }).click();
    await dialog.getByRole('button', { name: /^Убрать напоминание/ }).waitFor();
    await check(A, '14-task-dialog');
    const mine = await api(base, ownerToken, 'GET', '/tasks/mine');
    const task = [...mine.overdue, ...mine.today, ...mine.upcoming, ...mine.no_due_date].find((t) => t.title === 'Подготовить КП для Ромашки');
    assert(task, 'the edited task is in my list');
    const full = await api(base, ownerToken, 'GET', `/tasks/${task.id}`);
    assert(full.description === 'Цены из прайса ноября' && full.priority === 'high', 'fields saved');
    assert(full.reminders.filter((r) => !r.fired_at).length === 1, 'one reminder set');
    const subs = await api(base, ownerToken, 'GET', `/tasks/${task.id}/subtasks`);
    assert(subs.length === 1 && subs[0].status === 'done', 'the subtask is done');
    await A.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  await step('search finds a message and jumps to it', async () => {
    // The server always has search: anything but 200 fails the step.
    const probe = await fetch(`${base}/api/v1/search?q=x`, { headers: { authorization: `Bearer ${ownerToken}` } });
    assert(probe.status === 200, `GET /search answered ${probe.status}`);
    await A.goto(`${base}/search`);
    await A.getByRole('searchbox', { name: 'Поиск' }).fill('команда');
    await A.getByRole('searchbox', { name: 'Поиск' }).press('Enter');
    const group = A.locator('.search-group[data-kind=message]');
    await group.waitFor({ timeout: 15_000 });
    await group.locator('.snippet mark').first().waitFor();
    await check(A, '15-search');
    await group.locator('.search-hit a').first().click();
    await A.waitForURL(/\/chats\/.+\?seq=\d+/);
    await A.locator('article.msg.highlight').waitFor();
  });

  await step('settings: profile and admin invitations', async () => {
    await A.goto(`${base}/settings`);
    await A.getByRole('heading', { name: 'Пользователи' }).waitFor();
    await A.getByRole('button', { name: 'Пригласить' }).click();
    await A.getByTestId('invite-link').waitFor();
    await check(A, '10-settings');
  });

  await step('dark theme and phone width render', async () => {
    const phone = await browser.newContext({ locale: 'ru-RU', viewport: { width: 390, height: 800 }, colorScheme: 'dark' });
    const P = await phone.newPage();
    await signIn(P, base, owner.email, owner.password);
    await P.goto(`${base}/chats/${ids.general}`);
    await P.locator('.msg-body').first().waitFor();
    await check(P, '11-phone-dark');
    await phone.close();
  });

  await step('a board of 240 deals opens with 50 cards a column and shows more as the column scrolls', async () => {
    const p = await api(base, ownerToken, 'POST', '/pipelines', { name: 'Большая воронка', stages: [{ name: 'Входящие' }, { name: 'В работе' }] });
    const [s1] = p.stages;
    for (let i = 0; i < 240; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, k) =>
          api(base, ownerToken, 'POST', '/deals', { title: `Заявка ${i + k + 1}`, pipeline_id: p.id, stage_id: s1.id, amount_minor: 100_000, currency: 'RUB' }),
        ),
      );
    }
    const started = Date.now();
    await A.goto(`${base}/board/${p.id}`);
    const column = A.locator(`[data-stage-id="${s1.id}"]`);
    await column.locator('.deal-card').first().waitFor();
    const shownAfter = Date.now() - started;
    await column.locator('[data-testid=count]').filter({ hasText: '240' }).waitFor();
    assert((await column.locator('.deal-card').count()) === 50, 'the first 50 cards only');
    await column.locator('.column-body').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await A.waitForFunction((id) => document.querySelectorAll(`[data-stage-id="${id}"] .deal-card`).length === 100, s1.id);
    await column.getByRole('button', { name: /Показать ещё/ }).click();
    await A.waitForFunction((id) => document.querySelectorAll(`[data-stage-id="${id}"] .deal-card`).length >= 150, s1.id);
    console.log(`    big board: first card shown ${shownAfter} ms after navigation (240 deals, debug server)`);
    await check(A, '16-big-board');
  });

  if (server) await step('the client reconnects after the server restarts and shows what it missed', async () => {
    await A.goto(`${base}/chats/${ids.general}`);
    await B.goto(`${base}/chats/${ids.general}`);
    await B.locator('.msg-body').first().waitFor();
    // Killed right after the history shows, often before B's socket is ready:
    // the client must still catch up (it refetches chats it had no cursor for).
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await B.getByRole('status').filter({ hasText: 'No connection' }).waitFor({ timeout: 15_000 });
    const port = new URL(base).port;
    server = spawn(bin, ['--data-dir', dataDir, 'serve', '--listen', `127.0.0.1:${port}`, '--web-dir', join(web, 'dist')], {
      env: { ...process.env, RUST_LOG: 'warn', ARTEL_ARGON2_MEMORY_KIB: '1024', ARTEL_ARGON2_ITERATIONS: '1' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    // A loaded machine may take a while to start a debug build: wait up to a minute.
    let healthy = false;
    for (let i = 0; i < 300 && !healthy; i++) {
      try {
        healthy = (await fetch(`${base}/api/v1/health`)).ok;
      } catch {
        /* starting */
      }
      if (!healthy) await new Promise((r) => setTimeout(r, 200));
    }
    assert(healthy, 'the restarted server became healthy');
    // Sent through the API while B is still reconnecting: B must show it once back.
    const token = (await A.evaluate(() => JSON.parse(localStorage.getItem('artel.session')))).accessToken;
    const missed = `missed while away ${Date.now()}`;
    await api(base, token, 'POST', `/chats/${ids.general}/messages`, { body: missed });
    await B.locator('.msg-body', { hasText: missed }).waitFor({ timeout: 40_000 });
    assert((await B.locator('.msg-body', { hasText: missed }).count()) === 1, 'shown exactly once');
  });
} catch (e) {
  results.push({ name: 'harness', ok: false, error: e });
  console.log(`  FAIL harness: ${e?.stack ?? e}`);
} finally {
  await browser?.close().catch(() => undefined);
  server?.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}

if (axeFindings.length) console.log(`axe findings:\n  ${axeFindings.join('\n  ')}`);
// Steps known to fail on main, tracked in issue 7: they still run and are
// reported loudly, but do not fail the run. Remove a name once it passes.
const KNOWN_FAILING = new Set([]);
const skipped = results.filter((r) => r.skipped).length;
const passed = results.filter((r) => r.ok && !r.skipped).length;
const known = results.filter((r) => !r.ok && KNOWN_FAILING.has(r.name));
const failed = results.length - passed - skipped - known.length;
for (const r of known) console.log(`  KNOWN FAILING (issue 7, not counted): ${r.name}`);
console.log(`screenshots: ${artifacts}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped, ${known.length} known failing`);
process.exit(failed ? 1 : 0);
