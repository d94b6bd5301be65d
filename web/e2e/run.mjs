// End-to-end tests in real Chromium (playwright-core + Debian's chromium) against
// a real `artel serve` on a temp data dir and a free port, serving web/dist.
// Several people in separate browser contexts: the owner (Russian UI), a member
// (English UI) and a guest. Screenshots of every main screen and an axe-core
// check of each go to web/e2e/artifacts/. Prints "N passed, N failed".
//
//   ARTEL_BIN      server binary (default ../target/debug/artel)
//   CHROMIUM_PATH  browser (default /usr/bin/chromium)
//   ARTEL_E2E_URL  test a server already running there instead (needs a fresh one)
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { SKIP, api, assert, clock, createRun, drag, signIn, socketReady, spawnServer, startServer, until } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const web = resolve(here, '..');
const repo = resolve(web, '..');
const bin = process.env.ARTEL_BIN ?? join(repo, 'target/debug/artel');
const { results, pages, step, check, finish } = createRun({ web, artifacts: join(here, 'artifacts') });
globalThis.pages = pages;

let server;
let browser;
let dataDir;

try {
  ({ proc: server, base: globalThis.base, dataDir } = await startServer({ bin, web }));
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
  Object.assign(pages, { A, B, G });
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

  // --- c-onboard ---
  const newcomer = { email: 'nick@example.com', password: 'newcomer long password', name: 'Nick Newman', reset: 'a fresh passphrase here' };
  const ctxN = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 }, timezoneId: 'Europe/London' });
  const N = await ctxN.newPage();
  globalThis.pages.N = N;
  N.on('pageerror', (e) => console.log(`  [N page error] ${e.message}`));
  let resetUrl;

  await step('onboarding: the owner lands in the default channel "общий" with a getting-started checklist', async () => {
    await A.goto(`${base}/`);
    await A.getByRole('heading', { level: 1, name: 'общий' }).waitFor();
    ids.defaultChannel = new URL(A.url()).pathname.split('/').pop();
    await A.locator('aside.sidebar').getByRole('link', { name: /общий/ }).waitFor();
    const card = A.getByRole('region', { name: 'С чего начать' });
    await card.waitFor();
    await card.getByText('сделано 0 из 3').waitFor();
    await card.getByRole('link', { name: 'Пригласите коллег' }).waitFor();
    await card.getByRole('link', { name: 'Создайте первую сделку' }).waitFor();
    await card.getByText('/задача Позвонить клиенту завтра в 15:00').waitFor();
    await check(A, 'onb-01-checklist-ru');
    // The invite step leads to the invite form, ready to type.
    await card.getByRole('link', { name: 'Пригласите коллег' }).click();
    await A.getByRole('heading', { name: 'Приглашения' }).waitFor();
    await until(() => A.evaluate(() => document.activeElement?.getAttribute('aria-label') === 'Почта (необязательно)'), 'the invite e-mail field focused');
  });

  await step('onboarding: a member invited from the form (English) lands in the default channel', async () => {
    await A.getByRole('button', { name: 'Пригласить', exact: true }).click();
    const link = await A.getByTestId('invite-link').textContent();
    await N.goto(link);
    await N.getByRole('heading', { name: /Invitation to/ }).waitFor();
    await N.getByLabel('Your name').fill(newcomer.name);
    await N.getByLabel('E-mail').fill(newcomer.email);
    await N.getByLabel('Password').fill(newcomer.password);
    await N.getByRole('button', { name: 'Accept invitation' }).click();
    await N.getByRole('heading', { level: 1, name: 'общий' }).waitFor();
    assert(N.url().endsWith(`/chats/${ids.defaultChannel}`), `the newcomer opened the default channel (${N.url()})`);
    // A member's checklist has the steps a member can do, in English.
    const card = N.getByRole('region', { name: 'Getting started' });
    await card.getByText('0 of 2 done').waitFor();
    await card.getByText('/task Call the client tomorrow at 3pm').waitFor();
    assert((await card.getByRole('link', { name: 'Invite your teammates' }).count()) === 0, 'no invite step for a member');
    await check(N, 'onb-02-member-in-general-en');
    // The owner's invite step is ticked now that a teammate joined.
    await A.goto(`${base}/chats/${ids.defaultChannel}`);
    await A.getByRole('region', { name: 'С чего начать' }).getByText('сделано 1 из 3').waitFor();
  });

  await step('onboarding: the owner makes a one-time reset link; the member sets a new password and signs in with it', async () => {
    await ctxA.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await A.goto(`${base}/settings`);
    await A.getByRole('button', { name: `Сбросить пароль: ${newcomer.name}` }).click();
    const shown = A.getByRole('status').filter({ hasText: 'Ссылка для сброса пароля' });
    await shown.waitFor();
    resetUrl = (await A.getByTestId('reset-link').textContent()).trim();
    assert(/\/reset\/art_pwr_/.test(resetUrl), `a reset link (${resetUrl})`);
    await shown.getByRole('button', { name: 'Копировать' }).click();
    await shown.getByRole('button', { name: 'Скопировано' }).waitFor();
    assert((await A.evaluate(() => navigator.clipboard.readText())) === resetUrl, 'the link is on the clipboard');
    assert((await A.getByRole('button', { name: 'Сбросить пароль: Анна Петрова' }).count()) === 0, 'no reset of oneself');
    await check(A, 'onb-03-reset-link-ru');

    await N.goto(resetUrl);
    await N.getByRole('heading', { name: 'Set a new password' }).waitFor();
    await N.getByText(`${newcomer.name} (${newcomer.email})`).waitFor();
    await check(N, 'onb-04-reset-page-en');
    const newPassword = N.locator('input').and(N.getByLabel('New password'));
    await newPassword.fill(newcomer.reset);
    await N.getByLabel('Repeat the password').fill(newcomer.reset + 'x');
    await N.getByRole('button', { name: 'Save the password' }).click();
    await N.getByRole('alert').filter({ hasText: 'The passwords do not match' }).waitFor();
    await N.getByLabel('Repeat the password').fill(newcomer.reset);
    await N.getByRole('button', { name: 'Save the password' }).click();
    await N.getByRole('status').filter({ hasText: 'sign in with your new password' }).waitFor();
    await check(N, 'onb-05-reset-done-en');
    await N.getByRole('link', { name: 'Sign in' }).click();
    await N.getByRole('heading', { name: 'Sign in to Artel' }).waitFor();
    await N.getByText('Forgot your password? Ask your workspace administrator for a reset link.').waitFor();
    // The old password is dead, the new one works.
    await N.locator('input[type=email]').fill(newcomer.email);
    await N.locator('input[type=password]').fill(newcomer.password);
    await N.locator('form button[type=submit]').click();
    await N.getByRole('alert').filter({ hasText: 'Wrong e-mail or password' }).waitFor();
    await signIn(N, base, newcomer.email, newcomer.reset);
    await N.getByRole('heading', { level: 1, name: 'общий' }).waitFor();
  });

  await step('onboarding: a reset link works once; the sign-in screen says whom to ask (Russian)', async () => {
    await N.goto(resetUrl);
    await N.getByRole('alert').filter({ hasText: 'This link has already been used. Ask your administrator for a new one.' }).waitFor();
    await check(N, 'onb-06-reset-used-en');
    let status = 0;
    try {
      await api(base, null, 'POST', '/password-resets/use', { token: resetUrl.split('/').pop(), new_password: 'yet another passphrase' });
    } catch (e) {
      status = e.status;
    }
    assert(status === 410, `a used link answers 410 (got ${status})`);
    const ctxR = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 800 } });
    const R = await ctxR.newPage();
    await R.goto(`${base}/`);
    await R.getByRole('heading', { name: 'Вход в Артель' }).waitFor();
    await R.getByText('Забыли пароль? Попросите администратора пространства сделать ссылку для сброса.').waitFor();
    await check(R, 'onb-07-sign-in-forgot-ru');
    await R.goto(`${base}/reset/art_pwr_not-a-real-link`);
    await R.getByRole('alert').filter({ hasText: 'Ссылка для сброса пароля не найдена' }).waitFor();
    await ctxR.close();
  });

  await step('onboarding: the checklist hides for good when dismissed', async () => {
    await A.goto(`${base}/chats/${ids.defaultChannel}`);
    const card = A.getByRole('region', { name: 'С чего начать' });
    await card.getByRole('button', { name: 'Скрыть' }).click();
    await card.waitFor({ state: 'detached' });
    await A.reload();
    await A.getByRole('heading', { level: 1, name: 'общий' }).waitFor();
    await A.locator('aside.sidebar').waitFor();
    await A.waitForTimeout(500);
    assert((await A.getByRole('region', { name: 'С чего начать' }).count()) === 0, 'dismissed stays dismissed');
    // Dismissal is per person: the newcomer still has theirs.
    await N.goto(`${base}/`);
    await N.getByRole('region', { name: 'Getting started' }).waitFor();
    await ctxN.close();
    delete globalThis.pages.N;
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
    const general = await api(base, ownerToken, 'POST', '/chats', { kind: 'channel', name: 'команда', member_ids: [ids.member] });
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

  // --- c-chat ---
  const tokenOf = async (page) => (await page.evaluate(() => JSON.parse(localStorage.getItem('artel.session')))).accessToken;
  const say = (token, chatId, body) => api(base, token, 'POST', `/chats/${chatId}/messages`, { body, client_msg_id: randomBytes(16).toString('hex') });
  /** Whether the element is inside its scroll box's visible part. */
  const inView = (loc) =>
    loc.evaluate((el) => {
      const box = el.closest('.messages').getBoundingClientRect();
      const r = el.getBoundingClientRect();
      return r.bottom > box.top && r.top < box.bottom;
    });

  await step('deal card: a colleague not in its chat gets straight in, reads and writes there; the owner sees it live', async () => {
    // A funnel of its own, so the board steps below keep their counts; its
    // order is not alphabetical, which the stage suggestions step relies on.
    const p = await api(base, ownerToken, 'POST', '/pipelines', {
      name: 'Аренда',
      stages: [
        { name: 'Новая заявка' },
        { name: 'Первая встреча' },
        { name: 'Переговоры' },
        { name: 'Договор' },
        { name: 'Оплачено', kind: 'won' },
        { name: 'Отказ', kind: 'lost' },
      ],
    });
    ids.rentPipeline = p.id;
    const first = [...p.stages].sort((a, b) => a.position - b.position)[0];
    const deal = await api(base, ownerToken, 'POST', '/deals', { title: 'Аренда склада', pipeline_id: p.id, stage_id: first.id, amount_minor: 30_000_000, currency: 'RUB' });
    ids.rentDeal = deal.id;
    const asked = `Кто возьмёт склад? ${Date.now()}`;
    await say(ownerToken, deal.chat_id, asked);
    const before = await api(base, await tokenOf(B), 'GET', '/chats');
    assert(!before.some((s) => s.chat.id === deal.chat_id), 'B is not in the deal chat at first');
    await B.goto(`${base}/deals/${deal.id}`);
    await B.getByRole('heading', { name: 'Аренда склада', level: 1 }).waitFor();
    await B.locator('.msg-body', { hasText: asked }).waitFor({ timeout: 10_000 });
    assert((await B.getByText('not available').count()) === 0, 'no "not available" on the card');
    const box = B.getByRole('textbox', { name: 'Message Аренда склада' });
    const answer = `I'll take it ${Date.now()}`;
    await box.fill(answer);
    await box.press('Enter');
    await B.locator('.msg-body', { hasText: answer }).waitFor();
    await B.locator(`a[data-chat-id="${deal.chat_id}"]`).waitFor();
    await check(B, 'c-chat-01-deal-joined-en');
    await A.goto(`${base}/deals/${deal.id}`);
    await A.locator('.msg-body', { hasText: answer }).waitFor({ timeout: 10_000 });
    await A.getByRole('textbox', { name: 'Сообщение в чат «Аренда склада»' }).waitFor();
    // The members dialog on the card names B as a member now.
    await A.getByRole('button', { name: 'Участники: 2' }).click();
    const dialog = A.getByRole('dialog', { name: /Участники/ });
    await dialog.locator('li', { hasText: 'Bob Smith' }).filter({ hasText: 'участник' }).waitFor();
    await check(A, 'c-chat-02-deal-members-ru');
    await dialog.getByRole('button', { name: 'Закрыть' }).last().click();
  });

  await step('members: the owner adds and removes a member, the other sees it live; refusals are shown in words', async () => {
    const group = await api(base, ownerToken, 'POST', '/chats', { kind: 'channel', name: 'проект-альфа', is_private: true });
    ids.alpha = group.id;
    await A.goto(`${base}/chats/${group.id}`);
    await A.getByRole('textbox', { name: 'Сообщение в #проект-альфа' }).waitFor();
    await A.getByRole('button', { name: 'Участники: 1' }).click();
    const panel = A.getByRole('complementary', { name: 'Участники' });
    await panel.locator('li', { hasText: 'Анна Петрова' }).filter({ hasText: 'владелец чата' }).waitFor();
    await panel.getByRole('searchbox').fill('bob');
    await panel.getByRole('button', { name: 'Добавить: Bob Smith' }).click();
    await panel.locator('.members-list li', { hasText: 'Bob Smith' }).waitFor();
    await check(A, 'c-chat-03-members-ru');
    // B is told at once: the chat appears in B's sidebar without a reload.
    const link = B.locator(`a[data-chat-id="${group.id}"]`);
    await link.waitFor({ timeout: 10_000 });
    await link.click();
    await B.getByRole('button', { name: 'Members: 2' }).click();
    const panelB = B.getByRole('complementary', { name: 'Members' });
    await panelB.locator('li', { hasText: 'Анна Петрова' }).filter({ hasText: 'chat owner' }).waitFor();
    await panelB.locator('li', { hasText: 'Bob Smith' }).filter({ hasText: '(you)' }).waitFor();
    assert((await panelB.getByRole('button', { name: /^Remove / }).count()) === 0, 'a plain member is not offered removal');
    await check(B, 'c-chat-04-members-en');
    // B tries to rename the owner's channel: refused, and told why.
    await B.getByRole('button', { name: 'Channel settings' }).click();
    const settings = B.getByRole('dialog', { name: 'Channel settings' });
    await settings.getByLabel('Topic and description').fill('Mine now');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.getByRole('alert').filter({ hasText: "Only the channel's owners and admins can change it" }).waitFor();
    await settings.getByRole('button', { name: 'Cancel' }).click();
    // A removes B: B's sidebar loses the chat and B's open chat says so.
    A.once('dialog', (d) => void d.accept());
    await panel.getByRole('button', { name: 'Убрать Bob Smith из чата' }).click();
    await panel.locator('.members-list li', { hasText: 'Bob Smith' }).waitFor({ state: 'detached', timeout: 10_000 });
    await link.waitFor({ state: 'detached', timeout: 10_000 });
    await B.getByRole('alert').filter({ hasText: 'not available' }).waitFor({ timeout: 10_000 });
    await A.getByRole('button', { name: 'Участники: 1' }).waitFor();
  });

  await step('channels: B creates a public channel with a topic; A finds it under All channels, joins, writes; then leaves', async () => {
    await B.getByRole('button', { name: 'New channel' }).click();
    await B.getByLabel('Channel name').fill('launch-plan');
    await B.getByRole('button', { name: 'Create' }).click();
    await B.getByRole('textbox', { name: 'Message #launch-plan' }).waitFor();
    await B.getByRole('button', { name: 'Channel settings' }).click();
    const settings = B.getByRole('dialog', { name: 'Channel settings' });
    await settings.getByLabel('Topic and description').fill('Launch on Monday: who does what');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.waitFor({ state: 'detached' });
    await B.locator('.page-head .sub', { hasText: 'Launch on Monday' }).waitFor();
    await A.getByRole('button', { name: 'Все каналы' }).click();
    const browse = A.getByRole('dialog', { name: 'Все каналы' });
    const row = browse.locator('li', { hasText: 'launch-plan' });
    await row.filter({ hasText: 'Launch on Monday' }).waitFor();
    await browse.locator('li', { hasText: 'команда' }).filter({ hasText: 'вы участник' }).waitFor();
    await check(A, 'c-chat-05-browse-ru');
    await row.getByRole('button', { name: 'Вступить: launch-plan' }).click();
    const box = A.getByRole('textbox', { name: 'Сообщение в #launch-plan' });
    await box.waitFor();
    const hello = `Я с вами ${Date.now()}`;
    await box.fill(hello);
    await box.press('Enter');
    await B.locator('.msg-body', { hasText: hello }).waitFor({ timeout: 10_000 });
    await B.getByRole('button', { name: 'Members: 2' }).waitFor({ timeout: 10_000 });
    // B's own list of channels in English.
    await B.getByRole('button', { name: 'All channels' }).click();
    const browseB = B.getByRole('dialog', { name: 'All channels' });
    await browseB.locator('li', { hasText: 'launch-plan' }).filter({ hasText: 'joined' }).waitFor();
    await check(B, 'c-chat-06-browse-en');
    await browseB.getByRole('button', { name: 'Close' }).click();
    // A leaves: gone from A's sidebar, and B sees one member again.
    const chatId = new URL(A.url()).pathname.split('/').pop();
    await A.getByRole('button', { name: 'Участники: 2' }).click();
    A.once('dialog', (d) => void d.accept());
    await A.getByRole('complementary', { name: 'Участники' }).getByRole('button', { name: 'Покинуть чат' }).click();
    await A.locator(`a[data-chat-id="${chatId}"]`).waitFor({ state: 'detached', timeout: 10_000 });
    await B.getByRole('button', { name: 'Members: 1' }).waitFor({ timeout: 10_000 });
  });

  await step('reopening a long chat lands on the newest message (or the first unread); "jump to latest" counts what arrives below', async () => {
    const long = await api(base, ownerToken, 'POST', '/chats', { kind: 'channel', name: 'история', member_ids: [ids.member] });
    ids.long = long.id;
    for (let i = 1; i <= 80; i++) {
      await say(ownerToken, long.id, i % 7 === 0 ? `Запись ${i}\nвторая строка\nи третья` : `Запись ${i}`);
    }
    await B.goto(`${base}/chats/${long.id}`);
    const newest = (n) => B.locator('.msg-body', { hasText: new RegExp(`^Запись ${n}(\\s|$)`) });
    await newest(80).waitFor();
    await until(() => inView(newest(80)), 'the newest message in view on open');
    // Away and back: lands at the newest again (the old client stopped above it).
    await B.locator(`a[data-chat-id="${ids.general}"]`).click();
    await B.getByRole('textbox', { name: 'Message #команда' }).waitFor();
    for (let i = 81; i <= 83; i++) await say(ownerToken, long.id, `Запись ${i}`);
    await B.locator(`a[data-chat-id="${long.id}"] .badge`).filter({ hasText: '3' }).waitFor({ timeout: 10_000 });
    await B.locator(`a[data-chat-id="${long.id}"]`).click();
    await newest(83).waitFor();
    await until(() => inView(newest(83)), 'the newest message in view on reopen');
    await B.getByRole('separator').filter({ hasText: 'New messages' }).waitFor();
    assert((await B.getByRole('button', { name: /Jump to latest|new message/ }).count()) === 0, 'no jump button at the bottom');
    // Scrolled up, new messages arrive below: the button counts them and takes the reader there.
    await B.locator('.messages').first().evaluate((el) => (el.scrollTop = 0));
    await B.getByRole('button', { name: 'Jump to latest' }).waitFor();
    await say(ownerToken, long.id, 'Запись 84');
    await say(ownerToken, long.id, 'Запись 85');
    const jump = B.getByRole('button', { name: '2 new messages' });
    await jump.waitFor({ timeout: 10_000 });
    await check(B, 'c-chat-07-jump-en');
    await jump.click();
    await until(() => inView(newest(85)), 'the newest message in view after the jump');
    await jump.waitFor({ state: 'detached' });
    // The owner's Russian view: opens at the newest; the button in Russian.
    await A.goto(`${base}/chats/${long.id}`);
    const last = A.locator('.msg-body', { hasText: /^Запись 85(\s|$)/ });
    await last.waitFor();
    await until(() => last.evaluate((el) => { const b = el.closest('.messages').getBoundingClientRect(); const r = el.getBoundingClientRect(); return r.bottom > b.top && r.top < b.bottom; }), 'A lands on the newest');
    await A.locator('.messages').first().evaluate((el) => (el.scrollTop = 0));
    await A.getByRole('button', { name: 'К последним сообщениям' }).click();
    await until(() => last.evaluate((el) => { const b = el.closest('.messages').getBoundingClientRect(); const r = el.getBoundingClientRect(); return r.bottom > b.top && r.top < b.bottom; }), 'A back at the newest');
  });

  await step('tab title: the open chat and the unread count ("(1) #история · Artel", "… · Артель")', async () => {
    await until(async () => /^#история · Artel$/.test(await B.title()) || /^\(\d+\) #история · Artel$/.test(await B.title()), 'B\'s title names the chat');
    const count = async () => Number(/^\((\d+)\)/.exec(await B.title())?.[1] ?? 0);
    const before = await count();
    await say(ownerToken, ids.general, `Для заголовка ${Date.now()}`);
    await until(async () => (await count()) === before + 1, 'B\'s title counts the new unread message');
    assert((await B.title()).endsWith('#история · Artel'), `title: ${await B.title()}`);
    await until(async () => /#история · Артель$/.test(await A.title()), 'A\'s title in Russian');
    await A.locator(`a[data-chat-id="${ids.general}"]`).click();
    await until(async () => /^(\(\d+\) )?#команда · Артель$/.test(await A.title()), 'A\'s title follows the chat');
    await B.locator(`a[data-chat-id="${ids.general}"]`).click();
    await until(async () => (await count()) === before, 'reading it takes it off the count');
  });

  await step('stage suggestions: in funnel order with no argument, narrowed as typed, kinds in Russian; a quick Tab takes the right stage', async () => {
    await A.goto(`${base}/deals/${ids.rentDeal}`);
    await socketReady(A);
    const box = A.getByRole('textbox', { name: 'Сообщение в чат «Аренда склада»' });
    await box.click();
    await box.pressSequentially('/этап ');
    const list = A.getByRole('listbox', { name: 'Команды' });
    const labels = () => list.locator('.command-label').allInnerTexts();
    await until(async () => (await labels()).join('|') === 'Первая встреча|Переговоры|Договор|Оплачено|Отказ', 'stages in funnel order');
    const text = await list.innerText();
    assert(text.includes('в работе') && text.includes('успех') && text.includes('провал'), `stage kinds in Russian: ${text}`);
    assert(!/\b(open|won|lost)\b/.test(text), `no English stage kinds: ${text}`);
    await check(A, 'c-chat-08-stages-ru');
    await box.pressSequentially('пер');
    await until(async () => (await labels()).join('|') === 'Первая встреча|Переговоры', 'narrowed to what fits "пер", funnel order');
    // Typed on and Tab at once, before any answer for the new line: still the one that fits.
    await box.pressSequentially('ег');
    await box.press('Tab');
    await A.waitForFunction(() => document.activeElement?.value === '/этап Переговоры');
    await box.press('Enter');
    await A.getByTestId('command-outcome').filter({ hasText: 'Переговоры' }).waitFor({ timeout: 10_000 });
    await A.waitForFunction(() => {
      const s = document.querySelector('select[aria-label="Этап"]');
      return s?.selectedOptions[0]?.textContent === 'Переговоры';
    }, null, { timeout: 10_000 });
  });

  await step('chat extras: a file taken off before sending, image viewer, reaction picker, pins (owner pins; a member is told they may not)', async () => {
    await B.goto(`${base}/chats/${ids.long}`);
    const box = B.getByRole('textbox', { name: 'Message #история' });
    await box.waitFor();
    const png = Buffer.from(
      (await B.evaluate(() => {
        const c = document.createElement('canvas');
        c.width = 480;
        c.height = 270;
        const g = c.getContext('2d');
        g.fillStyle = '#1e90ff';
        g.fillRect(0, 0, 480, 270);
        g.fillStyle = '#f4a261';
        g.fillRect(40, 60, 400, 150);
        return c.toDataURL('image/png');
      })).split(',')[1],
      'base64',
    );
    const file = B.locator('input[type=file]');
    await file.setInputFiles({ name: 'wrong.png', mimeType: 'image/png', buffer: png });
    await B.getByRole('button', { name: 'Remove “wrong.png”' }).click();
    await B.getByTestId('upload').waitFor({ state: 'detached' });
    await file.setInputFiles({ name: 'plan.png', mimeType: 'image/png', buffer: png });
    await B.getByTestId('upload').waitFor();
    await box.fill('The floor plan');
    await box.press('Enter');
    const msg = B.locator('article.msg', { hasText: 'The floor plan' });
    assert((await B.locator('img[alt="wrong.png"]').count()) === 0, 'the removed file was not sent');
    await msg.getByRole('button', { name: 'Open image “plan.png”' }).click();
    const viewer = B.getByRole('dialog', { name: 'Viewing: plan.png' });
    await viewer.locator('img.lightbox-image').waitFor();
    await check(B, 'c-chat-09-lightbox-en');
    await viewer.getByRole('button', { name: 'Close' }).click();
    await viewer.waitFor({ state: 'detached' });
    // A reaction beyond the quick ones, seen by the owner live.
    await msg.hover();
    await msg.getByRole('button', { name: 'More reactions' }).click();
    await msg.getByRole('group', { name: 'Pick a reaction' }).getByRole('button', { name: 'React 🚀' }).click();
    await msg.locator('.reaction', { hasText: '🚀 1' }).waitFor();
    await A.goto(`${base}/chats/${ids.long}`);
    const msgA = A.locator('article.msg', { hasText: 'The floor plan' });
    await msgA.locator('.reaction', { hasText: '🚀 1' }).waitFor({ timeout: 10_000 });
    // A plain member may not pin here: told so.
    await msg.hover();
    await msg.getByRole('button', { name: 'Pin', exact: true }).click();
    await B.locator('.toast', { hasText: "Only the chat's owners and admins can pin messages" }).waitFor();
    // The owner pins it; the member's pins panel lists it live.
    await msgA.hover();
    await msgA.getByRole('button', { name: 'Закрепить' }).click();
    await msgA.locator('.pinned', { hasText: 'закреплено' }).waitFor({ timeout: 10_000 });
    await msg.locator('.pinned', { hasText: 'pinned' }).waitFor({ timeout: 10_000 });
    await B.getByRole('button', { name: 'Pinned', exact: true }).click();
    const pins = B.getByRole('complementary', { name: 'Pinned' });
    await pins.locator('li', { hasText: 'The floor plan' }).waitFor({ timeout: 10_000 });
    await check(B, 'c-chat-10-pins-en');
    await A.getByRole('button', { name: 'Закреплённые' }).click();
    await A.getByRole('complementary', { name: 'Закреплённые' }).locator('li', { hasText: 'The floor plan' }).waitFor();
    await check(A, 'c-chat-11-pins-ru');
  });

  await step('a language switch is confirmed in the language just chosen', async () => {
    await B.goto(`${base}/settings`);
    await B.getByLabel('Language').selectOption('ru');
    await B.getByRole('button', { name: 'Save', exact: true }).click();
    await B.locator('.toast', { hasText: 'Сохранено' }).waitFor();
    await B.getByRole('heading', { name: 'Настройки', level: 1 }).waitFor();
    await B.getByLabel('Язык').selectOption('en');
    await B.getByRole('button', { name: 'Сохранить', exact: true }).click();
    await B.locator('.toast', { hasText: 'Saved' }).waitFor();
    await B.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
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

  // --- c-records ---
  await step('records: A creates a company and a contact with several fields from the UI; a bad phone is named at its field; a second copy is warned about', async () => {
    await A.goto(`${base}/companies`);
    await A.getByRole('button', { name: 'Новая компания' }).click();
    let dlg = A.getByRole('dialog');
    await dlg.getByLabel('Имя', { exact: true }).fill('ООО Вектор');
    await dlg.getByLabel('Телефоны', { exact: true }).fill('8 (495) 123-45-67');
    await dlg.getByLabel('Почта', { exact: true }).fill('info@vector.test');
    await dlg.getByLabel('Сайт', { exact: true }).fill('https://vector.test');
    await dlg.getByLabel('Теги', { exact: true }).fill('опт, москва');
    await check(A, '30-company-form');
    await dlg.getByRole('button', { name: 'Создать' }).click();
    await A.getByRole('heading', { name: 'ООО Вектор', level: 1 }).waitFor();
    const company = (await api(base, ownerToken, 'GET', '/companies?limit=100')).items.find((x) => x.name === 'ООО Вектор');
    ids.company = company.id;
    assert(company.phones[0]?.e164 === '+74951234567', `the server normalised the phone: ${JSON.stringify(company.phones)}`);
    assert(company.tags.includes('опт') && company.tags.includes('москва') && company.website?.includes('vector.test'), `tags and site saved: ${JSON.stringify(company)}`);

    await A.goto(`${base}/contacts`);
    await A.getByRole('button', { name: 'Новый контакт' }).click();
    dlg = A.getByRole('dialog');
    await dlg.getByLabel('Имя', { exact: true }).fill('Иван Смирнов');
    await dlg.getByLabel('Телефоны', { exact: true }).fill('abc');
    await dlg.getByLabel('Почта', { exact: true }).fill('ivan@vector.test');
    await dlg.getByLabel('Компания: Поиск').fill('Вектор');
    await dlg.getByRole('radio', { name: 'ООО Вектор' }).check();
    await dlg.getByLabel('Должность', { exact: true }).fill('Закупщик');
    await dlg.getByRole('button', { name: 'Создать' }).click();
    // The server's 422 names `phones`: said next to the phones, the form kept.
    await dlg.locator('[data-field=phones] [role=alert]').waitFor({ timeout: 10_000 });
    await dlg.getByLabel('Телефоны', { exact: true }).fill('+7 916 000-11-22');
    await dlg.getByRole('button', { name: 'Создать' }).click();
    await A.getByRole('heading', { name: 'Иван Смирнов', level: 1 }).waitFor();
    await A.locator('[data-field=company] a', { hasText: 'ООО Вектор' }).waitFor();
    const c = (await api(base, ownerToken, 'GET', '/contacts?limit=100')).items.find((x) => x.name === 'Иван Смирнов');
    ids.contact = c.id;
    assert(c.company_id === ids.company && c.position === 'Закупщик' && c.emails[0] === 'ivan@vector.test', `contact fields saved: ${JSON.stringify(c)}`);
    // Edited in place on the card; a refused phone is named at the field.
    await A.getByRole('button', { name: 'Изменить: Должность' }).click();
    await A.locator('[data-field=position] input').fill('Главный инженер');
    await A.locator('[data-field=position]').getByRole('button', { name: 'Сохранить' }).click();
    await A.locator('[data-field=position]', { hasText: 'Главный инженер' }).waitFor();
    await A.getByRole('button', { name: 'Изменить: Телефоны' }).click();
    await A.locator('[data-field=phones] textarea').fill('не номер');
    await A.locator('[data-field=phones]').getByRole('button', { name: 'Сохранить' }).click();
    await A.locator('[data-field=phones] [role=alert]').waitFor({ timeout: 10_000 });
    await A.locator('[data-field=phones]').getByRole('button', { name: 'Отмена' }).click();
    await check(A, '31-contact-card');

    // The same phone typed another way: the form warns before a second copy is made.
    await A.goto(`${base}/contacts`);
    await A.getByRole('columnheader', { name: /Имя/ }).waitFor();
    await A.getByRole('button', { name: 'Новый контакт' }).click();
    dlg = A.getByRole('dialog');
    await dlg.getByLabel('Имя', { exact: true }).fill('Ваня');
    await dlg.getByLabel('Телефоны', { exact: true }).fill('8 916 000 11 22');
    const warning = dlg.getByTestId('duplicates');
    await warning.filter({ hasText: 'Иван Смирнов' }).waitFor({ timeout: 10_000 });
    await warning.filter({ hasText: 'тот же телефон' }).waitFor();
    await check(A, '32-duplicate-warning');
    await dlg.getByRole('button', { name: 'Отмена' }).click();
  });

  await step('records: a deal from the full form (owner, client, close date, tags, custom field) and the list view beside the board', async () => {
    await api(base, ownerToken, 'POST', '/custom-fields', { entity: 'deal', key: 'lead_source', kind: 'list', label: 'Источник лида', options: ['Сайт', 'Выставка'] });
    await A.goto(`${base}/board/${ids.pipeline}`);
    await A.getByRole('button', { name: 'Новая сделка' }).click();
    const dlg = A.getByRole('dialog');
    await dlg.getByLabel('Название', { exact: true }).fill('Станки для Вектора');
    await dlg.getByLabel('Сумма', { exact: true }).fill('250 000');
    await dlg.getByLabel('Ответственный', { exact: true }).selectOption({ label: member.name });
    await dlg.getByLabel('Контакт: Поиск').fill('Иван');
    await dlg.getByRole('radio', { name: 'Иван Смирнов' }).check();
    await dlg.getByLabel('Компания: Поиск').fill('Вектор');
    await dlg.getByRole('radio', { name: 'ООО Вектор' }).check();
    await dlg.getByLabel('Дата закрытия', { exact: true }).fill('2027-03-15');
    await dlg.getByLabel('Теги', { exact: true }).fill('станки, опт');
    await dlg.getByLabel('Источник лида', { exact: true }).selectOption('Выставка');
    await check(A, '33-deal-form');
    await dlg.getByRole('button', { name: 'Создать' }).click();
    await A.getByRole('heading', { name: 'Станки для Вектора', level: 1 }).waitFor();
    ids.recDeal = A.url().split('/deals/')[1];
    const d = await api(base, ownerToken, 'GET', `/deals/${ids.recDeal}`);
    assert(d.amount_minor === 25_000_000 && d.owner_id === ids.member && d.contact_id === ids.contact && d.company_id === ids.company, `deal fields: ${JSON.stringify(d)}`);
    assert(d.expected_close_date === '2027-03-15' && d.custom.lead_source === 'Выставка' && d.tags.includes('станки') && d.tags.includes('опт'), `deal extras: ${JSON.stringify(d)}`);
    await A.locator('[data-field=contact] a', { hasText: 'Иван Смирнов' }).waitFor();
    await A.locator('[data-field=close]', { hasText: '15 марта 2027' }).waitFor();
    await check(A, '34-deal-card-fields');
    // The client's cards list the deal (and the company its people).
    await A.locator('[data-field=contact] a', { hasText: 'Иван Смирнов' }).click();
    await A.getByTestId('client-deals').getByRole('link', { name: 'Станки для Вектора' }).waitFor();
    await A.goto(`${base}/companies/${ids.company}`);
    await A.getByTestId('client-deals').getByRole('link', { name: 'Станки для Вектора' }).waitFor();
    await A.getByRole('link', { name: 'Иван Смирнов' }).waitFor();
    await check(A, '34b-company-card');

    await A.goto(`${base}/board/${ids.pipeline}`);
    await A.getByRole('button', { name: 'Список' }).click();
    const row = A.locator(`tr[data-deal-id="${ids.recDeal}"]`);
    await row.waitFor();
    for (const text of ['Станки для Вектора', member.name, 'Иван Смирнов, ООО Вектор', '250']) await row.filter({ hasText: text }).waitFor();
    await A.getByRole('button', { name: /^Сумма/ }).click();
    await A.getByRole('columnheader', { name: /Сумма/ }).and(A.locator('[aria-sort=ascending]')).waitFor();
    const first = await A.locator('tbody tr').first().getAttribute('data-deal-id');
    const all = await api(base, ownerToken, 'GET', `/deals?pipeline_id=${ids.pipeline}&limit=200`);
    // The server sorts ties by id.
    const cheapest = [...all].sort((a, b) => a.amount_minor - b.amount_minor || (a.id < b.id ? -1 : 1))[0];
    assert(first === cheapest.id, 'the cheapest deal comes first after sorting by amount');
    await A.getByLabel('Этап', { exact: true }).selectOption({ index: 1 });
    await A.locator('tbody tr').first().waitFor();
    await check(A, '35-deal-list');
    // Back to the board for the steps that follow (the choice is remembered).
    await A.getByRole('button', { name: 'Доска' }).click();
    await A.locator('.deal-card').first().waitFor();
  });

  await step('records: amount, owner, close date and a custom field edited on A\'s card follow live on B\'s open card (English) and board', async () => {
    await B.goto(`${base}/deals/${ids.recDeal}`);
    await B.getByRole('heading', { name: 'Станки для Вектора', level: 1 }).waitFor();
    await A.goto(`${base}/deals/${ids.recDeal}`);
    await socketReady(A);
    await socketReady(B);
    const edit = async (label, field, fill) => {
      await A.getByRole('button', { name: `Изменить: ${label}` }).click();
      await fill(A.locator(`[data-field="${field}"]`));
      await A.locator(`[data-field="${field}"]`).getByRole('button', { name: 'Сохранить' }).click();
      await A.locator(`[data-field="${field}"] form`).waitFor({ state: 'detached' });
    };
    await edit('Сумма', 'amount', (f) => f.getByRole('textbox', { name: 'Сумма', exact: true }).fill('300 000'));
    await B.locator('[data-field=amount]', { hasText: '300,000' }).waitFor({ timeout: 10_000 });
    await edit('Дата закрытия', 'close', (f) => f.locator('input[type=date]').fill('2027-04-01'));
    await B.locator('[data-field=close]', { hasText: '1 April 2027' }).waitFor({ timeout: 10_000 });
    await edit('Источник лида', 'custom.lead_source', (f) => f.locator('select').selectOption('Сайт'));
    await B.locator('[data-field="custom.lead_source"]', { hasText: 'Сайт' }).waitFor({ timeout: 10_000 });
    await edit('Ответственный', 'owner', (f) => f.locator('select').selectOption({ label: owner.name }));
    await B.locator('[data-field=owner]', { hasText: owner.name }).waitFor({ timeout: 10_000 });
    await B.locator('.timeline li', { hasText: 'Анна Петрова' }).first().waitFor({ timeout: 10_000 });
    await check(B, '36-deal-card-live-en');
    // A task made on the card is the board card's next task.
    await A.getByLabel('Что сделать', { exact: true }).fill('Отправить КП');
    await A.getByLabel('Что сделать', { exact: true }).press('Enter');
    await A.locator('.record-info .task-title', { hasText: 'Отправить КП' }).waitFor({ timeout: 10_000 });
    // B edits on B's card; A's open board follows.
    await A.goto(`${base}/board/${ids.pipeline}`);
    await A.locator(`.deal-card[data-deal-id="${ids.recDeal}"] [data-testid=next-task]`, { hasText: 'Отправить КП' }).waitFor({ timeout: 10_000 });
    // Done at once: A's task list stays as the steps below expect it.
    const mine = await api(base, ownerToken, 'GET', '/tasks/mine');
    for (const t of [...mine.overdue, ...mine.today, ...mine.upcoming, ...mine.no_due_date]) {
      if (t.title === 'Отправить КП') await api(base, ownerToken, 'POST', `/tasks/${t.id}/complete`, { version: t.version });
    }
    await socketReady(A);
    await B.getByRole('button', { name: 'Edit: Amount' }).click();
    await B.locator('[data-field=amount]').getByRole('textbox', { name: 'Amount', exact: true }).fill('320,000');
    await B.locator('[data-field=amount]').getByRole('button', { name: 'Save' }).click();
    await A.locator(`.deal-card[data-deal-id="${ids.recDeal}"] .amount`, { hasText: /320\s000/ }).waitFor({ timeout: 10_000 });
  });

  await step('records: a stale edit says the deal changed, keeps the typed value and saves nothing', async () => {
    await A.goto(`${base}/deals/${ids.recDeal}`);
    await socketReady(A);
    await A.getByRole('button', { name: 'Изменить: Сумма' }).click();
    const input = A.locator('[data-field=amount]').getByRole('textbox', { name: 'Сумма', exact: true });
    await input.fill('999');
    // Meanwhile B changes the amount on B's card.
    await B.getByRole('button', { name: 'Edit: Amount' }).click();
    await B.locator('[data-field=amount]').getByRole('textbox', { name: 'Amount', exact: true }).fill('410,000');
    await B.locator('[data-field=amount]').getByRole('button', { name: 'Save' }).click();
    await until(async () => (await api(base, ownerToken, 'GET', `/deals/${ids.recDeal}`)).amount_minor === 41_000_000, 'B\'s change saved');
    await A.locator('[data-field=amount]').getByRole('button', { name: 'Сохранить' }).click();
    await A.locator('[data-field=amount] [role=alert]', { hasText: 'изменил кто-то ещё' }).waitFor({ timeout: 10_000 });
    assert((await input.inputValue()) === '999', 'the typed value is kept');
    const d = await api(base, ownerToken, 'GET', `/deals/${ids.recDeal}`);
    assert(d.amount_minor === 41_000_000, `nothing of the stale edit was saved: ${d.amount_minor}`);
    await check(A, '37-deal-conflict');
    await A.locator('[data-field=amount]').getByRole('button', { name: 'Отмена' }).click();
    await A.locator('[data-field=amount]', { hasText: /410\s000/ }).waitFor();
  });

  await step('records: "lost" asks for the reason and moves the deal to the lost stage; B sees it live', async () => {
    await A.getByRole('button', { name: 'Провалена' }).click();
    const dlg = A.getByRole('dialog');
    await dlg.getByRole('button', { name: 'Провалена' }).click();
    await dlg.getByRole('alert').filter({ hasText: 'Укажите причину' }).waitFor();
    await dlg.getByLabel('Причина отказа').fill('Выбрали другого поставщика');
    await dlg.getByRole('button', { name: 'Провалена' }).click();
    await dlg.waitFor({ state: 'detached' });
    await A.locator('.page-head .tag-lost').waitFor();
    await A.locator('[data-field=loss_reason]', { hasText: 'Выбрали другого поставщика' }).waitFor();
    const d = await api(base, ownerToken, 'GET', `/deals/${ids.recDeal}`);
    const p = (await api(base, ownerToken, 'GET', '/pipelines')).find((x) => x.id === ids.pipeline);
    assert(p.stages.find((s) => s.id === d.stage_id)?.kind === 'lost' && d.loss_reason === 'Выбрали другого поставщика', `lost with the reason: ${JSON.stringify(d)}`);
    await B.locator('.page-head .tag-lost', { hasText: 'Lost' }).waitFor({ timeout: 10_000 });
    await check(A, '38-deal-lost');
    // Archive and back.
    await A.getByRole('button', { name: 'В архив' }).click();
    await A.locator('.page-head .tag', { hasText: 'В архиве' }).waitFor();
    await until(async () => !!(await api(base, ownerToken, 'GET', `/deals/${ids.recDeal}`)).archived_at, 'archived');
    await A.getByRole('button', { name: 'Вернуть из архива' }).click();
    await A.locator('.page-head .tag', { hasText: 'В архиве' }).waitFor({ state: 'detached' });
    await until(async () => !(await api(base, ownerToken, 'GET', `/deals/${ids.recDeal}`)).archived_at, 'restored');
  });

  await step('records: CSV import shows the dry-run report before importing; the export holds the imported rows (English)', async () => {
    await B.goto(`${base}/contacts`);
    await B.getByRole('button', { name: 'Import CSV' }).click();
    const dlg = B.getByRole('dialog');
    const csv = 'Name;Phone;Email;Company\nPetr Ivanov;+7 903 111-22-33;petr@import.test;ООО Вектор\nOlga Sidorova;+7 903 444-55-66;olga@import.test;Fresh Firm\n;+7 903 777-88-99;nobody@import.test;\n';
    await dlg.locator('input[type=file]').setInputFiles({ name: 'clients.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await dlg.getByRole('group', { name: 'Which column is which field' }).waitFor();
    assert((await dlg.getByRole('button', { name: 'Import', exact: true }).isDisabled()), 'import waits for a check');
    await dlg.getByRole('button', { name: 'Check (writes nothing)' }).click();
    const report = dlg.getByTestId('import-report');
    await report.filter({ hasText: 'Check only: nothing written' }).waitFor({ timeout: 10_000 });
    await report.filter({ hasText: 'Would import: 2' }).waitFor();
    await report.filter({ hasText: 'with errors: 1' }).waitFor();
    await check(B, '39-import-dry-run');
    const before = await api(base, ownerToken, 'GET', '/contacts?limit=200');
    assert(!before.items.some((x) => x.name === 'Petr Ivanov'), 'the dry run wrote nothing');
    await dlg.getByRole('button', { name: 'Import', exact: true }).click();
    await report.filter({ hasText: 'Import done' }).waitFor({ timeout: 10_000 });
    await report.filter({ hasText: 'Imported: 2' }).waitFor();
    await dlg.getByRole('button', { name: 'Close' }).click();
    await B.getByRole('link', { name: 'Petr Ivanov' }).waitFor({ timeout: 10_000 });
    await B.getByRole('link', { name: 'Olga Sidorova' }).waitFor();
    // Sorted by the header, filtered by text.
    await B.getByRole('button', { name: /^Name/ }).click();
    await B.getByRole('columnheader', { name: /Name/ }).and(B.locator('[aria-sort=descending]')).waitFor();
    await B.getByRole('searchbox', { name: 'Search' }).fill('Olga');
    await until(async () => (await B.locator('tbody tr').count()) === 1, 'the text filter leaves one row');
    await check(B, '40-contacts-list');
    await B.getByRole('searchbox', { name: 'Search' }).fill('');
    // The export takes the list's filters: wait until the text filter is gone.
    await until(async () => (await B.locator('tbody tr').count()) >= 3, 'the whole list back');
    const [download] = await Promise.all([B.waitForEvent('download', { timeout: 10_000 }), B.getByRole('button', { name: 'Export CSV' }).click()]);
    const exported = readFileSync(await download.path(), 'utf8');
    for (const name of ['Petr Ivanov', 'Olga Sidorova', 'Иван Смирнов']) assert(exported.includes(name), `the export has ${name}`);
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

  // --- c-actions ---
  /** Opens a message's "more" menu and picks an item (the toolbar shows on hover). */
  const messageMenu = async (page, text, item) => {
    const msg = page.locator('article.msg:not(.system)', { hasText: text }).last();
    await msg.hover();
    await msg.getByRole('button', { name: /^(Ещё действия|More actions)$/ }).click();
    await page.getByRole('menu').getByRole('menuitem', { name: item }).click();
  };

  await step('message actions: a task from a message in a deal chat, linked to the deal, links back to the message', async () => {
    const contact = await api(base, ownerToken, 'POST', '/contacts', { name: 'Иван Петров' });
    ids.actionsContact = contact.id;
    const deal = await api(base, ownerToken, 'POST', '/deals', { title: 'Счёт для Ромашки', pipeline_id: ids.pipeline, contact_id: contact.id, amount_minor: 500_000, currency: 'RUB' });
    ids.actionsDeal = deal.id;
    ids.actionsChat = deal.chat_id;
    ids.actionsText = 'Клиент просит счёт до пятницы, звонить +7 916 555-12-34, почта ivan@romashka.test';
    await api(base, ownerToken, 'POST', `/chats/${deal.chat_id}/messages`, { body: ids.actionsText });
    await A.goto(`${base}/deals/${deal.id}`);
    await A.locator('article.msg', { hasText: 'Клиент просит счёт' }).waitFor();
    await messageMenu(A, 'Клиент просит счёт', 'Сделать задачей');
    const dialog = A.getByRole('dialog', { name: 'Новая задача из сообщения' });
    await dialog.waitFor();
    assert((await dialog.getByLabel('Что сделать').inputValue()) === ids.actionsText, 'the title is the message text');
    assert((await dialog.getByLabel('Описание').inputValue()).includes(`/chats/${deal.chat_id}?seq=`), 'the description links the message');
    await dialog.getByTestId('task-entity').filter({ hasText: 'Счёт для Ромашки' }).waitFor();
    await check(A, 'c-actions-01-new-task');
    await dialog.getByRole('button', { name: 'Создать' }).click();
    await dialog.waitFor({ state: 'detached' });
    await A.locator('.toast', { hasText: 'Задача создана' }).waitFor();
    const tasks = await api(base, ownerToken, 'GET', `/tasks?view=entity&entity_kind=deal&entity_id=${deal.id}`);
    const task = (tasks.items ?? tasks).find((x) => x.title === ids.actionsText);
    assert(task, 'the task is linked to the deal');
    // It shows on the card, and its link leads back to the message.
    await A.locator('.record-info .task-title', { hasText: 'Клиент просит счёт' }).waitFor({ timeout: 10_000 });
    await A.goto(`${base}/tasks?task=${task.id}`);
    const open = A.getByRole('dialog').getByRole('link', { name: 'Открыть сообщение' });
    await open.waitFor();
    await open.click();
    await A.waitForURL(new RegExp(`/chats/${deal.chat_id}\\?seq=\\d+`));
    await A.locator('article.msg.highlight', { hasText: 'Клиент просит счёт' }).waitFor();
    await api(base, ownerToken, 'POST', `/tasks/${task.id}/complete`, { version: task.version });
  });

  await step('message actions: a quote of a message goes to the deal client\'s notes and links back', async () => {
    await A.goto(`${base}/deals/${ids.actionsDeal}`);
    await messageMenu(A, 'Клиент просит счёт', 'В заметки: Иван Петров');
    await A.locator('.toast', { hasText: 'Добавлено в заметки: Иван Петров' }).waitFor();
    const c = await api(base, ownerToken, 'GET', `/contacts/${ids.actionsContact}`);
    assert(c.notes.startsWith(`> ${ids.actionsText}\n— Анна Петрова, `) && c.notes.includes(`/chats/${ids.actionsChat}?seq=`), `notes: ${c.notes}`);
    // Twice: the second quote follows the first after a blank line.
    await messageMenu(A, 'Клиент просит счёт', 'В заметки: Иван Петров');
    await until(async () => (await api(base, ownerToken, 'GET', `/contacts/${ids.actionsContact}`)).notes.split('\n\n').length === 2, 'a second quote');
    await A.getByRole('link', { name: 'Иван Петров', exact: true }).first().click();
    const notes = A.getByTestId('record-notes');
    await notes.filter({ hasText: 'Клиент просит счёт' }).waitFor();
    await check(A, 'c-actions-02-notes');
    await notes.getByRole('link', { name: 'Открыть сообщение' }).first().click();
    await A.waitForURL(new RegExp(`/chats/${ids.actionsChat}\\?seq=\\d+`));
    await A.locator('article.msg.highlight', { hasText: 'Клиент просит счёт' }).waitFor();
  });

  await step('message actions: a phone and an e-mail from a message go to the contact card once; an invalid phone shows the server\'s refusal', async () => {
    await A.goto(`${base}/deals/${ids.actionsDeal}`);
    await messageMenu(A, 'Клиент просит счёт', 'Телефон / почту в карточку');
    let dialog = A.getByRole('dialog', { name: 'В карточку клиента' });
    await dialog.getByRole('radio', { name: 'Иван Петров' }).waitFor();
    assert(await dialog.getByRole('radio', { name: 'Иван Петров' }).isChecked(), 'the deal\'s contact is the target');
    assert(await dialog.getByRole('checkbox', { name: '+7 916 555-12-34' }).isChecked(), 'the phone is offered');
    assert(await dialog.getByRole('checkbox', { name: 'ivan@romashka.test' }).isChecked(), 'the e-mail is offered');
    await check(A, 'c-actions-03-copy-card');
    await dialog.getByRole('button', { name: 'Добавить в карточку' }).click();
    await dialog.waitFor({ state: 'detached' });
    const c = await api(base, ownerToken, 'GET', `/contacts/${ids.actionsContact}`);
    assert(c.phones.length === 1 && c.phones[0].e164 === '+79165551234', `phones: ${JSON.stringify(c.phones)}`);
    assert(c.emails.length === 1 && c.emails[0] === 'ivan@romashka.test', `emails: ${c.emails}`);
    // Again: both are on the card now, nothing is added twice.
    await messageMenu(A, 'Клиент просит счёт', 'Телефон / почту в карточку');
    dialog = A.getByRole('dialog', { name: 'В карточку клиента' });
    await dialog.getByText('уже есть в карточке').first().waitFor();
    assert((await dialog.getByText('уже есть в карточке').count()) === 2, 'both marked as already there');
    await dialog.getByRole('button', { name: 'Добавить в карточку' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Всё найденное уже есть в карточке' }).waitFor();
    await dialog.getByRole('button', { name: 'Отмена' }).click();
    // A number the server refuses: its 422 is shown, in Russian, naming the number.
    await api(base, ownerToken, 'POST', `/chats/${ids.actionsChat}/messages`, { body: 'Новый номер +7 (000) 000-00-00' });
    await A.locator('article.msg', { hasText: 'Новый номер' }).waitFor();
    await messageMenu(A, 'Новый номер', 'Телефон / почту в карточку');
    dialog = A.getByRole('dialog', { name: 'В карточку клиента' });
    await dialog.getByRole('radio', { name: 'Иван Петров' }).waitFor();
    await dialog.getByRole('button', { name: 'Добавить в карточку' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Сервер не принял номер телефона: +7 (000) 000-00-00' }).waitFor();
    await dialog.getByRole('button', { name: 'Отмена' }).click();
    const after = await api(base, ownerToken, 'GET', `/contacts/${ids.actionsContact}`);
    assert(after.phones.length === 1, 'the refused number was not saved');
    // The card shows what was copied.
    await A.getByRole('link', { name: 'Иван Петров', exact: true }).first().click();
    await A.getByRole('link', { name: 'ivan@romashka.test' }).waitFor();
  });

  await step('desktop notifications: B is told of A\'s mention, a direct message and a task, not of a muted chat nor of the chat in view; the favicon counts unread', async () => {
    // The browser has granted notifications; each `new Notification(…)` is recorded (and its click can be played).
    await ctxB.grantPermissions(['notifications'], { origin: base });
    await ctxB.addInitScript(() => {
      window.__notes = [];
      class Recorded {
        static permission = 'granted';
        static requestPermission() {
          return Promise.resolve('granted');
        }
        constructor(title, options = {}) {
          this.title = title;
          this.body = options.body;
          this.onclick = null;
          window.__notes.push(this);
        }
        close() {}
      }
      window.Notification = Recorded;
    });
    const notes = () => B.evaluate(() => window.__notes.map((n) => ({ title: n.title, body: n.body })));
    await B.goto(`${base}/settings`);
    const toggle = B.getByRole('checkbox', { name: 'Show desktop notifications' });
    await toggle.check();
    await B.getByRole('checkbox', { name: 'Play a sound' }).check();
    await check(B, 'c-actions-04-notify-settings');
    await socketReady(B);
    // A mention in a channel B is in, while B looks at the settings.
    await api(base, ownerToken, 'POST', `/chats/${ids.general}/messages`, { body: `<@${ids.member}> глянь счёт для Ромашки` });
    await until(async () => (await notes()).some((n) => n.title === 'Анна Петрова mentioned you in команда' && n.body === '@Bob Smith глянь счёт для Ромашки'), 'a mention notification');
    // A direct message.
    await api(base, ownerToken, 'POST', `/chats/${ids.dm}/messages`, { body: 'Созвонимся в три?' });
    await until(async () => (await notes()).some((n) => n.title === 'Анна Петрова wrote to you' && n.body === 'Созвонимся в три?'), 'a direct-message notification');
    // Its click opens the chat.
    await B.evaluate(() => window.__notes.find((n) => n.body === 'Созвонимся в три?').onclick());
    await B.waitForURL(new RegExp(`/chats/${ids.dm}`));
    await B.locator('article.msg.highlight', { hasText: 'Созвонимся в три?' }).waitFor();
    // The chat in view: nothing.
    let before = (await notes()).length;
    await api(base, ownerToken, 'POST', `/chats/${ids.dm}/messages`, { body: 'Я на месте' });
    await B.locator('article.msg', { hasText: 'Я на месте' }).waitFor();
    await B.waitForTimeout(500);
    assert((await notes()).length === before, 'no notification for the chat in view');
    // A muted chat: nothing, even for a mention.
    await B.goto(`${base}/chats/${ids.general}`);
    await B.getByRole('button', { name: 'Mute' }).click();
    await B.getByRole('button', { name: 'Unmute' }).waitFor();
    await check(B, 'c-actions-05-muted-chat');
    await B.goto(`${base}/settings`);
    await socketReady(B);
    const favicon = () => B.evaluate(() => document.querySelector('link[rel="icon"]')?.dataset.unread ?? '');
    const unreadBefore = Number(await favicon());
    before = (await notes()).length;
    await api(base, ownerToken, 'POST', `/chats/${ids.general}/messages`, { body: `<@${ids.member}> это в чат без звука` });
    await api(base, ownerToken, 'POST', `/chats/${ids.dm}/messages`, { body: 'А это лично' });
    await until(async () => (await notes()).some((n) => n.body === 'А это лично'), 'the direct message after the muted one');
    assert(!(await notes()).some((n) => n.body?.includes('это в чат без звука')), 'no notification from the muted chat');
    // The favicon's badge counts the unread direct messages (a muted chat does not count).
    await until(async () => Number(await favicon()) > unreadBefore, `the favicon badge grows from ${unreadBefore}`);
    // A task someone else assigns: announced when B's window gets focus (or within a minute).
    await B.evaluate(() => window.dispatchEvent(new Event('focus')));
    await B.waitForTimeout(3500);
    await api(base, ownerToken, 'POST', '/tasks', { title: 'Проверить счёт', assignees: [ids.member], reminders: [] });
    await B.evaluate(() => window.dispatchEvent(new Event('focus')));
    await until(async () => (await notes()).some((n) => n.title === 'Анна Петрова assigned you a task' && n.body === 'Проверить счёт'), 'a task notification');
    // Reading the direct chat clears the badge.
    await B.goto(`${base}/chats/${ids.dm}`);
    await B.locator('article.msg', { hasText: 'А это лично' }).waitFor();
    await until(async () => Number(await favicon()) === unreadBefore, 'the favicon badge back to what it was');
    // Unmute again for the steps that follow.
    await B.goto(`${base}/chats/${ids.general}`);
    await B.getByRole('button', { name: 'Unmute' }).click();
    await B.getByRole('button', { name: 'Mute' }).waitFor();
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

  // --- c-polish ---
  /** A system notice's look and behaviour on `page`: every system message a centred, muted line with no controls. */
  const noticeLooks = (page) =>
    page.locator('.chat-main [role=log]').evaluate((log) => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--c-text-muted)';
      document.body.append(probe);
      const muted = getComputedStyle(probe).color;
      probe.remove();
      const box = log.getBoundingClientRect();
      return [...log.querySelectorAll('[data-kind=system]')].map((n) => {
        const first = n.firstElementChild.getBoundingClientRect();
        const last = n.lastElementChild.getBoundingClientRect();
        const top = Math.min(first.top, last.top);
        return {
          text: n.innerText,
          centred: first.top === last.top ? Math.abs((first.left + last.right) / 2 - (box.left + box.width / 2)) < 8 : top >= box.top,
          muted: getComputedStyle(n).color === muted,
          controls: n.querySelectorAll('button, a, input, textarea, [tabindex], .avatar, .msg-head, .msg-actions').length,
        };
      });
    });

  await step('c-polish: system notices are centred muted lines with their time, no avatar, React, Reply or Edit (Russian and English); a hook\'s message stays a message', async () => {
    const deal = await api(base, ownerToken, 'POST', '/deals', { title: 'Ремонт кровли на складе №3', participants: [ids.member] });
    ids.polishDeal = deal;
    const pipeline = (await api(base, ownerToken, 'GET', '/pipelines')).find((p) => p.id === deal.pipeline_id);
    const from = pipeline.stages.find((s) => s.id === deal.stage_id);
    const to = pipeline.stages.find((s) => s.id !== deal.stage_id && s.kind === 'open');
    await api(base, ownerToken, 'POST', `/deals/${deal.id}/move`, { version: deal.version, stage_id: to.id });
    await api(base, ownerToken, 'POST', '/tasks', { title: 'Замерить крышу', entity_kind: 'deal', entity_id: deal.id, assignees: [ids.member], reminders: [] });
    const hook = await api(base, ownerToken, 'POST', '/hooks', { kind: 'incoming', name: 'Датчик протечки', chat_id: deal.chat_id });
    await api(base, null, 'POST', `/hooks/in/${hook.token}`, { text: 'Влажность на чердаке 80%' });
    await api(base, ownerToken, 'POST', `/chats/${deal.chat_id}/messages`, { body: 'Бригада будет в среду', client_msg_id: 'polish-1' });
    await A.goto(`${base}/chats/${deal.chat_id}`);
    await B.goto(`${base}/chats/${deal.chat_id}`);
    const history = await api(base, ownerToken, 'GET', `/chats/${deal.chat_id}/messages`);
    const system = history.filter((m) => m.kind === 'system');
    assert(system.length === 3, `deal opened, moved, task set: ${system.map((m) => m.notice?.type)}`);
    const moved = system.find((m) => m.notice?.type === 'deal_moved');
    for (const [page, lang, locale, zone] of [
      [A, 'ru', 'ru-RU', 'Europe/Moscow'],
      [B, 'en', 'en-GB', 'Europe/London'],
    ]) {
      const line = page.getByRole('note').filter({ has: page.locator('[data-notice=deal_moved]') });
      await line.waitFor({ timeout: 10_000 });
      await page.getByRole('note').filter({ hasText: 'Замерить крышу' }).waitFor({ timeout: 10_000 });
      await page.locator('article.msg', { hasText: 'Бригада будет в среду' }).waitFor();
      const words = await line.locator('[data-notice]').innerText();
      const expected =
        lang === 'ru'
          ? `Анна Петрова: сделка перемещена с этапа «${from.name}» на «${to.name}»`
          : `Анна Петрова moved the deal from “${from.name}” to “${to.name}”`;
      assert(words === expected, `${lang}: the reader's words (${words})`);
      // The time, in the reader's zone, with its instant for assistive tech.
      const time = line.locator('time');
      assert((await time.innerText()) === clock(moved.created_at, locale, zone), `${lang}: time ${await time.innerText()}`);
      assert((await time.getAttribute('datetime')) === moved.created_at, `${lang}: datetime`);
      const looks = await noticeLooks(page);
      assert(looks.length === system.length, `${lang}: every system message is a notice line (${looks.length} of ${system.length})`);
      for (const n of looks) {
        assert(n.centred && n.muted && n.controls === 0, `${lang}: centred, muted, nothing to press: ${JSON.stringify(n)}`);
      }
      // No "System" author anywhere, and no notice drawn as someone's message.
      assert((await page.locator('article.msg .msg-head strong', { hasText: /^(Система|System)$/ }).count()) === 0, `${lang}: no "System" author`);
      assert((await page.locator('article.msg', { hasText: 'Замерить крышу' }).count()) === 0, `${lang}: the task notice is not a message`);
      // Hovering or focusing near a notice shows no message toolbar.
      await line.hover();
      assert((await page.locator('.msg-actions:visible').count()) === 0, `${lang}: no actions on a notice`);
      // A hook's message is a message: its sender, avatar and actions.
      const fromHook = page.locator('article.msg', { hasText: 'Влажность на чердаке 80%' });
      await fromHook.locator('.msg-head strong', { hasText: 'Датчик протечки' }).waitFor();
      assert((await fromHook.locator('.avatar').count()) === 1, `${lang}: the hook's message has its avatar`);
      // The person's message keeps its toolbar.
      const said = page.locator('article.msg', { hasText: 'Бригада будет в среду' });
      await said.hover();
      await said.getByRole('button', { name: lang === 'ru' ? 'Ответить' : 'Reply' }).waitFor();
      await page.mouse.move(0, 0);
    }
    await check(A, 'c-polish-01-notices-ru');
    await check(B, 'c-polish-02-notices-en');
  });

  /** Fields on `page` whose placeholder is wider than the room in them (so it shows cut off). */
  const cutPlaceholders = (page) =>
    page.evaluate(() => {
      const out = [];
      for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
        if (!el.placeholder || el.value || el.getClientRects().length === 0) continue;
        const cs = getComputedStyle(el);
        if (cs.visibility === 'hidden') continue;
        const r = el.getBoundingClientRect();
        if (r.right <= 0 || r.left >= innerWidth) continue; // off screen (the closed drawer)
        const probe = document.createElement('span');
        probe.textContent = el.placeholder;
        Object.assign(probe.style, { position: 'absolute', whiteSpace: 'pre', font: cs.font, letterSpacing: cs.letterSpacing, visibility: 'hidden' });
        document.body.append(probe);
        const need = probe.getBoundingClientRect().width;
        probe.remove();
        const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
        if (need > room + 0.5) out.push(`«${el.placeholder}» needs ${Math.ceil(need)} px, has ${Math.floor(room)} px`);
      }
      return out;
    });

  await step('c-polish: at phone width (390 px) no placeholder is cut off and headers stay on screen; the composer says "Сообщение"/"Message" with the full hint as its name (Russian and English)', async () => {
    const deal = ids.polishDeal;
    for (const [who, locale] of [
      [owner, 'ru-RU'],
      [member, 'en-US'],
    ]) {
      const ru = locale === 'ru-RU';
      const phone = await browser.newContext({ locale, viewport: { width: 390, height: 800 } });
      const P = await phone.newPage();
      try {
        await signIn(P, base, who.email, who.password);
        // Each screen with its fields: chats once the chat's name is in the hint.
        const screens = [
          [`/chats/${ids.general}`, P.getByRole('textbox', { name: ru ? 'Сообщение в #команда' : 'Message #команда' })],
          [`/chats/${deal.chat_id}`, P.getByRole('textbox', { name: ru ? `Сообщение в чат «${deal.title}»` : `Message ${deal.title}` })],
          [`/chats/${ids.dm}`, P.getByRole('textbox', { name: ru ? 'Сообщение: Bob Smith' : 'Message Анна Петрова' })],
          ['/board', P.locator('.quick-create input').first()],
          ['/contacts', P.locator('main input[placeholder]').first()],
          ['/tasks', P.locator('main input[placeholder]').first()],
          ['/search', P.locator('main input[placeholder]').first()],
          ['/companies', P.locator('main input[placeholder]').first()],
          [`/deals/${deal.id}`, P.getByRole('textbox', { name: ru ? `Сообщение в чат «${deal.title}»` : `Message ${deal.title}` })],
        ];
        for (const [path, ready] of screens) {
          await P.goto(`${base}${path}`);
          await ready.waitFor({ timeout: 10_000 });
          const cut = await cutPlaceholders(P);
          assert(cut.length === 0, `${locale} ${path}: cut off: ${cut.join('; ')}`);
          // The header wraps: its title and buttons stay on screen.
          const off = await P.evaluate(() =>
            [...document.querySelectorAll('main .page-head > *')]
              .filter((el) => el.getClientRects().length > 0 && el.getBoundingClientRect().right > innerWidth + 1)
              .map((el) => el.textContent.trim().slice(0, 40)),
          );
          assert(off.length === 0, `${locale} ${path}: off screen in the header: ${off.join(' | ')}`);
        }
        // The deal chat's hint is long: the box shows the short one, the full one is its name and title.
        await P.goto(`${base}/chats/${deal.chat_id}`);
        const full = ru ? `Сообщение в чат «${deal.title}»` : `Message ${deal.title}`;
        const box = P.getByRole('textbox', { name: full });
        await box.waitFor();
        assert((await box.getAttribute('placeholder')) === (ru ? 'Сообщение' : 'Message'), `${locale}: short placeholder (${await box.getAttribute('placeholder')})`);
        assert((await box.getAttribute('title')) === full, `${locale}: the full hint as the title`);
        await check(P, ru ? 'c-polish-03-phone-composer-ru' : 'c-polish-04-phone-composer-en');
        await P.goto(`${base}/board`);
        await P.locator('.quick-create').first().waitFor();
        await check(P, ru ? 'c-polish-05-phone-board-ru' : 'c-polish-06-phone-board-en');
      } finally {
        await phone.close();
      }
    }
    // On a wide screen the full hint shows.
    await A.goto(`${base}/chats/${deal.chat_id}`);
    const wide = A.getByRole('textbox', { name: `Сообщение в чат «${deal.title}»` });
    await wide.waitFor();
    assert((await wide.getAttribute('placeholder')) === `Сообщение в чат «${deal.title}»`, 'the full placeholder at 1280 px');
    assert((await wide.getAttribute('title')) === null, 'no title when the hint is whole');
  });

  await step('c-polish: record history says what was created and archived — the deal, the contact, the company (Russian and English)', async () => {
    const deal = ids.polishDeal;
    const contact = await api(base, ownerToken, 'POST', '/contacts', { name: 'Пётр Кровлев' });
    const company = await api(base, ownerToken, 'POST', '/companies', { name: 'ООО Кровля' });
    await api(base, ownerToken, 'POST', `/companies/${company.id}/archive`);
    for (const [page, lang] of [
      [A, 'ru'],
      [B, 'en'],
    ]) {
      const ru = lang === 'ru';
      const said = async (path, text) => {
        await page.goto(`${base}${path}`);
        await page.locator('.timeline li', { hasText: text }).waitFor({ timeout: 10_000 });
        const all = (await page.locator('.timeline li').allInnerTexts()).join('\n');
        assert(!/запись|the record/.test(all), `${lang} ${path}: no generic "record": ${all}`);
      };
      await said(`/deals/${deal.id}`, ru ? 'Анна Петрова создал(а) сделку' : 'Анна Петрова created the deal');
      await page.locator('.timeline').scrollIntoViewIfNeeded();
      await check(page, ru ? 'c-polish-07-deal-history-ru' : 'c-polish-08-deal-history-en');
      await said(`/contacts/${contact.id}`, ru ? 'Анна Петрова создал(а) контакт' : 'Анна Петрова created the contact');
      await said(`/companies/${company.id}`, ru ? 'Анна Петрова создал(а) компанию' : 'Анна Петрова created the company');
      await page.locator('.timeline li', { hasText: ru ? 'Анна Петрова перенёс(ла) компанию в архив' : 'Анна Петрова archived the company' }).waitFor();
    }
    await B.locator('.timeline').scrollIntoViewIfNeeded();
    await check(B, 'c-polish-09-company-history-en');
  });

  // --- c-files ---
  await step('files: A sends a contract and a picture; B opens the Files panel with the keyboard, sees who sent them and when, opens the picture and downloads the contract', async () => {
    await A.goto(`${base}/chats/${ids.general}`);
    await socketReady(A);
    const pdf = Buffer.from(`%PDF-1.4\n% c-files ${randomBytes(8).toString('hex')}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n`);
    const png = Buffer.from(
      (await A.evaluate(() => {
        const c = document.createElement('canvas');
        c.width = 320;
        c.height = 200;
        const g = c.getContext('2d');
        g.fillStyle = '#2a9d8f';
        g.fillRect(0, 0, 320, 200);
        g.fillStyle = '#e9c46a';
        g.fillRect(30, 40, 260, 120);
        return c.toDataURL('image/png');
      })).split(',')[1],
      'base64',
    );
    await A.locator('input[type=file]').setInputFiles([
      { name: 'договор-c-files.pdf', mimeType: 'application/pdf', buffer: pdf },
      { name: 'схема-c-files.png', mimeType: 'image/png', buffer: png },
    ]);
    await until(async () => (await A.getByTestId('upload').count()) === 2, 'both uploads in the composer');
    const boxA = A.getByRole('textbox', { name: /Сообщение в/ });
    await boxA.fill('Договор и схема');
    await boxA.press('Enter');
    await A.locator('article.msg[data-seq]', { hasText: 'Договор и схема' }).waitFor({ timeout: 10_000 });
    // What the server stored: both files, newest message first, sent by A.
    const stored = await api(base, ownerToken, 'GET', `/chats/${ids.general}/files?limit=2`);
    assert(stored.files.map((f) => f.filename).join() === 'договор-c-files.pdf,схема-c-files.png', `stored ${JSON.stringify(stored.files.map((f) => f.filename))}`);
    const ownerId = (await A.evaluate(() => JSON.parse(localStorage.getItem('artel.session')))).user.id;
    assert(stored.files.every((f) => f.uploader_id === ownerId), 'sent by A');
    const sentAt = stored.files[0].sent_at;

    await B.goto(`${base}/chats/${ids.general}`);
    await B.locator('article.msg', { hasText: 'Договор и схема' }).waitFor({ timeout: 10_000 });
    const open = B.getByRole('button', { name: 'Files', exact: true });
    await open.focus();
    await B.keyboard.press('Enter');
    const panel = B.getByRole('complementary', { name: 'Files' });
    const contract = panel.locator('li[data-file="договор-c-files.pdf"]');
    await contract.waitFor({ timeout: 10_000 });
    assert((await open.getAttribute('aria-expanded')) === 'true', 'the Files button says the panel is open');
    // Who and when, in B's words and B's zone (London); the size read as people read it.
    const row = await contract.innerText();
    assert(row.includes('Анна Петрова'), `uploader named: ${row}`);
    assert(row.includes(clock(sentAt, 'en-GB', 'Europe/London')), `London time in ${row}`);
    assert(/\d+\s?B\b/.test(row), `size in bytes in English: ${row}`);
    const picture = panel.locator('li[data-file="схема-c-files.png"]');
    await picture.locator('img').waitFor({ timeout: 10_000 });
    assert((await panel.locator('li').first().getAttribute('data-file')) === 'договор-c-files.pdf', 'newest message first, its files in order');
    await check(B, 'chat-files');
    // The picture opens in the lightbox; the contract downloads byte for byte.
    await picture.getByRole('button', { name: 'Open image “схема-c-files.png”' }).click();
    const viewer = B.getByRole('dialog', { name: 'Viewing: схема-c-files.png' });
    await viewer.locator('img.lightbox-image').waitFor();
    await viewer.getByRole('button', { name: 'Close' }).click();
    await viewer.waitFor({ state: 'detached' });
    const [download] = await Promise.all([
      B.waitForEvent('download', { timeout: 10_000 }),
      contract.getByRole('button', { name: 'Download “договор-c-files.pdf”' }).click(),
    ]);
    assert(download.suggestedFilename() === 'договор-c-files.pdf', `file name ${download.suggestedFilename()}`);
    const got = readFileSync(await download.path());
    assert(got.equals(pdf), `same bytes (${got.length} of ${pdf.length})`);
    await panel.getByRole('button', { name: 'Close', exact: true }).click();
    await panel.waitFor({ state: 'detached' });
    // The sender sees the same list in Russian, in Moscow time.
    await A.getByRole('button', { name: 'Файлы', exact: true }).click();
    const panelA = A.getByRole('complementary', { name: 'Файлы' });
    const rowA = panelA.locator('li[data-file="договор-c-files.pdf"]');
    await rowA.waitFor({ timeout: 10_000 });
    const textA = await rowA.innerText();
    assert(textA.includes(clock(sentAt, 'ru-RU', 'Europe/Moscow')) && /\d+\s?Б/.test(textA), `Moscow time and Russian size: ${textA}`);
    await rowA.getByRole('button', { name: 'Скачать «договор-c-files.pdf»' }).waitFor();
    await check(A, 'chat-files-ru');
    await panelA.getByRole('button', { name: 'Закрыть', exact: true }).click();
  });

  // --- c-board ---
  await step('c-board: a board card names its client and its next task in each reader\'s zone; a card arriving live names its client too', async () => {
    const p = (await api(base, ownerToken, 'GET', '/pipelines')).find((x) => x.id === ids.pipeline);
    const first = [...p.stages].sort((a, b) => a.position - b.position)[0];
    const contact = await api(base, ownerToken, 'POST', '/contacts', { name: 'Мария Козлова' });
    const company = await api(base, ownerToken, 'POST', '/companies', { name: 'ООО Лютик' });
    const deal = await api(base, ownerToken, 'POST', '/deals', {
      title: 'Клапаны для Лютика', pipeline_id: p.id, stage_id: first.id, amount_minor: 4_200_000, currency: 'RUB',
      contact_id: contact.id, company_id: company.id,
    });
    ids.clientDeal = deal;
    const dueAt = '2030-07-01T12:00:00Z';
    const task = await api(base, ownerToken, 'POST', '/tasks', { title: 'Выслать счёт', entity_kind: 'deal', entity_id: deal.id, due_at: dueAt, assignees: [ids.member], reminders: [] });
    ids.clientTask = task;
    const moscow = clock(dueAt, 'ru-RU', 'Europe/Moscow');
    const london = clock(dueAt, 'en-GB', 'Europe/London');
    assert(moscow === '15:00' && london === '13:00', `expected times (${moscow} / ${london})`);
    for (const [page, hm] of [[A, moscow], [B, london]]) {
      await page.goto(`${base}/board/${ids.pipeline}`);
      const card = page.locator(`.deal-card[data-deal-id="${deal.id}"]`);
      await card.getByTestId('client').filter({ hasText: 'Мария Козлова, ООО Лютик' }).waitFor();
      const next = card.getByTestId('next-task');
      await next.filter({ hasText: 'Выслать счёт' }).waitFor();
      const due = await next.locator('time').innerText();
      assert(due.includes(hm), `the next task is due ${due}, shown as ${hm} here`);
    }
    await check(A, 'c-board-01-card-ru');
    await check(B, 'c-board-01-card-en');
    // Made elsewhere while both boards are open: the card arrives with its client.
    await Promise.all([socketReady(A), socketReady(B)]);
    const live = await api(base, ownerToken, 'POST', '/deals', {
      title: 'Live client deal', pipeline_id: p.id, stage_id: first.id, amount_minor: 1_000, currency: 'RUB', company_id: company.id,
    });
    for (const page of [A, B]) {
      await page.locator(`.deal-card[data-deal-id="${live.id}"]`).getByTestId('client').filter({ hasText: 'ООО Лютик' }).waitFor({ timeout: 10_000 });
    }
  });

  await step('c-board: the list sorts by amount on the server both ways (Russian) and names clients (English)', async () => {
    await A.goto(`${base}/board/${ids.pipeline}`);
    await A.getByRole('button', { name: 'Список' }).click();
    await A.locator('tbody tr').first().waitFor();
    // Opens with the latest change first.
    await A.getByRole('columnheader', { name: /Изменена/ }).and(A.locator('[aria-sort=descending]')).waitFor();
    for (const [order, aria] of [['asc', 'ascending'], ['desc', 'descending']]) {
      await A.getByRole('button', { name: /^Сумма/ }).click();
      await A.getByRole('columnheader', { name: /Сумма/ }).and(A.locator(`[aria-sort=${aria}]`)).waitFor();
      const [top] = await api(base, ownerToken, 'GET', `/deals?pipeline_id=${ids.pipeline}&sort=amount&order=${order}&limit=1`);
      await A.waitForFunction((id) => document.querySelector('tbody tr')?.getAttribute('data-deal-id') === id, top.id, { timeout: 10_000 });
    }
    const amounts = await A.locator('tbody tr td.num').allInnerTexts();
    const value = (s) => Number(s.replace(/[^\d,]/g, '').replace(',', '.'));
    for (let i = 1; i < amounts.length; i++) assert(value(amounts[i - 1]) >= value(amounts[i]), `amounts go down: ${amounts.join(' | ')}`);
    await A.locator(`tr[data-deal-id="${ids.clientDeal.id}"] [data-testid=client]`).filter({ hasText: 'Мария Козлова, ООО Лютик' }).waitFor();
    await check(A, 'c-board-02-list-ru');
    await B.goto(`${base}/board/${ids.pipeline}`);
    await B.getByRole('button', { name: 'List' }).click();
    await B.getByRole('columnheader', { name: /Updated/ }).waitFor();
    await B.getByRole('button', { name: /^Title/ }).click();
    await B.getByRole('columnheader', { name: /Title/ }).and(B.locator('[aria-sort=ascending]')).waitFor();
    await B.locator(`tr[data-deal-id="${ids.clientDeal.id}"] [data-testid=client]`).filter({ hasText: 'Мария Козлова, ООО Лютик' }).waitFor();
    await check(B, 'c-board-02-list-en');
    // Back to the board for the steps that follow (the choice is remembered).
    for (const [page, label] of [[A, 'Доска'], [B, 'Board']]) {
      await page.getByRole('button', { name: label }).click();
      await page.locator('.deal-card').first().waitFor();
    }
  });

  await step('c-board: B\'s "My tasks" shows a task A gives B with /task, without a reload', async () => {
    const deal = await api(base, ownerToken, 'POST', '/deals', { title: 'Поставка клапанов', participants: [ids.member] });
    await B.goto(`${base}/tasks`);
    await B.getByRole('heading', { name: 'My tasks' }).waitFor();
    await B.evaluate(() => {
      window.__sameDocument = true;
    });
    await A.goto(`${base}/chats/${deal.chat_id}`);
    await Promise.all([socketReady(A), socketReady(B)]);
    assert((await B.getByText('Отправить КП клапанов').count()) === 0, 'not in B\'s list yet');
    const box = A.getByRole('textbox', { name: /Сообщение в/ });
    await box.fill('/задача Отправить КП клапанов послезавтра 10:00 @bob');
    await box.press('Escape');
    await box.press('Enter');
    await A.getByTestId('command-outcome').filter({ hasText: 'Отправить КП клапанов' }).waitFor({ timeout: 10_000 });
    await B.getByText('Отправить КП клапанов').first().waitFor({ timeout: 10_000 });
    assert(await B.evaluate(() => window.__sameDocument === true), 'B\'s page was not reloaded');
    await check(B, 'c-board-03-my-tasks-live');
    // B's list stays as the steps below expect it.
    const tokenB = (await B.evaluate(() => JSON.parse(localStorage.getItem('artel.session')))).accessToken;
    const mine = await api(base, tokenB, 'GET', '/tasks/mine');
    for (const t of [...mine.overdue, ...mine.today, ...mine.upcoming, ...mine.no_due_date]) {
      if (t.title === 'Отправить КП клапанов' || t.id === ids.clientTask.id) await api(base, tokenB, 'POST', `/tasks/${t.id}/complete`, { version: t.version });
    }
  });

  // --- c-merge ---
  await step('merge: two copies of a contact become one through the dialog; the survivor has both phones and the other copy\'s deal (Russian); the dialog in English', async () => {
    const keep = await api(base, ownerToken, 'POST', '/contacts', { name: 'Мария Соколова', phones: ['+7 916 700-11-22'], emails: ['maria@sokol.test'] });
    const copy = await api(base, ownerToken, 'POST', '/contacts', { name: 'Соколова М.', phones: ['8 (916) 700-11-22', '+7 903 700-33-44'], position: 'Закупщица' });
    const deal = await api(base, ownerToken, 'POST', '/deals', { title: 'Поставка для Соколовой', pipeline_id: ids.pipeline, contact_id: copy.id, amount_minor: 250_000, currency: 'RUB' });
    await A.goto(`${base}/contacts/${keep.id}`);
    await A.getByRole('heading', { name: 'Мария Соколова', level: 1 }).waitFor();
    // The card warns of the copy (same phone written another way) and offers to merge it in.
    const warning = A.getByTestId('duplicates');
    await warning.getByRole('link', { name: 'Соколова М.' }).waitFor();
    await warning.getByRole('button', { name: 'Объединить с «Соколова М.»' }).click();
    const dialog = A.getByRole('dialog', { name: 'Объединение контактов' });
    await dialog.getByTestId('merge-dialog').waitFor();
    // Side by side: the names differ (ours is kept unless picked), the copy's position fills the empty one.
    const ours = dialog.getByRole('radio', { name: 'Мария Соколова' });
    assert(await ours.isChecked(), 'the staying card\'s name is chosen by default');
    await dialog.locator('tr[data-field=position]').getByText('Закупщица').waitFor();
    await dialog.getByRole('radio', { name: 'Соколова М.' }).check();
    await ours.check();
    await check(A, 'merge');
    await dialog.getByRole('button', { name: 'Объединить карточки' }).click();
    await dialog.waitFor({ state: 'detached' });
    await A.waitForURL(new RegExp(`/contacts/${keep.id}$`));
    // The survivor's card: both phones, the copy's deal, the merge in its history.
    await A.getByRole('link', { name: '+7 903 700-33-44' }).waitFor();
    await A.getByRole('link', { name: '+7 916 700-11-22' }).waitFor();
    await A.getByTestId('client-deals').getByRole('link', { name: 'Поставка для Соколовой' }).waitFor();
    await A.getByText('объединил(а) с этой карточкой «Соколова М.»').waitFor();
    const c = await api(base, ownerToken, 'GET', `/contacts/${keep.id}`);
    assert(c.phones.map((p) => p.e164).join() === '+79167001122,+79037003344', `phones: ${JSON.stringify(c.phones)}`);
    assert(c.name === 'Мария Соколова' && c.position === 'Закупщица', `fields: ${c.name}, ${c.position}`);
    const d = await api(base, ownerToken, 'GET', `/deals/${deal.id}`);
    assert(d.contact_id === keep.id, `the deal's contact: ${d.contact_id}`);
    // The copy's old address opens the survivor.
    await A.goto(`${base}/contacts/${copy.id}`);
    await A.waitForURL(new RegExp(`/contacts/${keep.id}$`));
    await A.getByRole('heading', { name: 'Мария Соколова', level: 1 }).waitFor();
    // In English: the member sees the same offer on a company with a twin, and the dialog in English.
    const co = await api(base, ownerToken, 'POST', '/companies', { name: 'Sokol Trading', website: 'sokol.test' });
    await api(base, ownerToken, 'POST', '/companies', { name: 'sokol trading', address: 'Tver' });
    await B.goto(`${base}/companies/${co.id}`);
    await B.getByRole('heading', { name: 'Sokol Trading', level: 1 }).waitFor();
    await B.getByTestId('duplicates').getByRole('button', { name: 'Merge with “sokol trading”' }).click();
    const en = B.getByRole('dialog', { name: 'Merge companies' });
    await en.getByTestId('merge-dialog').waitFor();
    await en.locator('tr[data-field=address]').getByText('Tver').waitFor();
    await check(B, 'merge-en');
    await en.getByRole('button', { name: 'Cancel' }).click();
    await en.waitFor({ state: 'detached' });
  });

  // --- c-admin ---
  await step('admin: the owner (Russian UI) invites with an e-mail lock, copies the link, revokes another invite, changes a role, deactivates and reactivates', async () => {
    await ctxA.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const oleg = (await api(base, ownerToken, 'GET', '/users')).find((u) => u.email === 'oleg@example.com');
    ids.oleg = oleg.id;
    const other = await api(base, ownerToken, 'POST', '/invites', { role: 'member', email: 'other@example.com' });
    await A.goto(`${base}/chats/${ids.general}`);
    await A.getByRole('link', { name: 'Администрирование' }).click();
    await A.getByRole('heading', { name: 'Администрирование', level: 1 }).waitFor();
    await A.getByRole('heading', { name: 'Пользователи' }).waitFor();
    // An invitation only new.hire@ can use: its link is shown once, copied with one click.
    await A.getByLabel('Почта (необязательно)').fill('new.hire@example.com');
    await A.getByRole('combobox', { name: 'Роль', exact: true }).selectOption('member');
    await A.getByRole('button', { name: 'Пригласить' }).click();
    const once = A.locator('.once-secret', { has: A.getByTestId('invite-link') });
    await once.getByText('Вы больше не увидите это значение').waitFor();
    const link = (await A.getByTestId('invite-link').innerText()).trim();
    assert(link.startsWith(`${base}/invite/`), `a full link: ${link}`);
    await once.getByRole('button', { name: 'Копировать' }).click();
    await A.locator('.toast', { hasText: 'Скопировано' }).waitFor();
    assert((await A.evaluate(() => navigator.clipboard.readText())) === link, 'the link is on the clipboard');
    await A.locator('[data-testid=invite-row]', { hasText: 'только new.hire@example.com' }).waitFor();
    const preview = await api(base, null, 'POST', '/invites/lookup', { token: decodeURIComponent(link.split('/invite/')[1]) });
    assert(preview.email === 'new.hire@example.com', `the invite is locked to the e-mail: ${JSON.stringify(preview)}`);
    await check(A, '20-admin-people');
    // Another invitation is revoked, after a confirmation.
    await A.getByRole('button', { name: /^Отозвать: other@example\.com/ }).click();
    const dialog = A.getByRole('dialog', { name: 'Отозвать приглашение?' });
    await dialog.getByRole('button', { name: 'Отозвать' }).click();
    await A.locator('[data-testid=invite-row]', { hasText: 'other@example.com' }).waitFor({ state: 'detached' });
    const pending = await api(base, ownerToken, 'GET', '/invites');
    assert(!pending.some((i) => i.id === other.invite.id), 'the other invite is revoked');
    assert(pending.some((i) => i.email === 'new.hire@example.com'), 'the locked invite stays');
    // A role change is saved at once.
    await A.getByLabel('Роль: Oleg Quiet', { exact: true }).selectOption('admin');
    await A.locator('.toast', { hasText: 'Oleg Quiet: теперь администратор' }).waitFor();
    await until(async () => (await api(base, ownerToken, 'GET', `/users/${ids.oleg}`)).role === 'admin', 'Oleg is an admin');
    await A.getByLabel('Роль: Oleg Quiet', { exact: true }).selectOption('member');
    await until(async () => (await api(base, ownerToken, 'GET', `/users/${ids.oleg}`)).role === 'member', 'Oleg is a member again');
    // Deactivation asks first; then Oleg cannot sign in; reactivation lets him back.
    const row = A.locator(`tr[data-user-id="${ids.oleg}"]`);
    await row.getByRole('button', { name: 'Отключить' }).click();
    const ask = A.getByRole('dialog', { name: 'Отключить Oleg Quiet?' });
    await ask.getByText('выйдет на всех устройствах').waitFor();
    await check(A, '21-admin-deactivate-confirm');
    await ask.getByRole('button', { name: 'Отключить' }).click();
    await row.getByTestId('user-status').filter({ hasText: 'отключён' }).waitFor();
    let refused = 0;
    try {
      await api(base, null, 'POST', '/auth/login', { email: 'oleg@example.com', password: 'oleg long password' });
    } catch (e) {
      refused = e.status;
    }
    assert(refused === 401 || refused === 403, `a deactivated account cannot sign in (${refused})`);
    await row.getByRole('button', { name: 'Включить' }).click();
    await A.getByRole('dialog', { name: 'Включить Oleg Quiet?' }).getByRole('button', { name: 'Включить' }).click();
    await row.getByTestId('user-status').filter({ hasText: 'активен' }).waitFor();
    await api(base, null, 'POST', '/auth/login', { email: 'oleg@example.com', password: 'oleg long password' });
  });

  await step('admin: workspace settings and a custom field the owner then sees in the list', async () => {
    await A.getByRole('link', { name: 'Пространство' }).click();
    await A.getByLabel('Страна для номеров телефонов').selectOption('KZ');
    await A.getByRole('button', { name: 'Сохранить' }).click();
    await A.locator('.toast', { hasText: 'Сохранено' }).waitFor();
    assert((await api(base, ownerToken, 'GET', '/workspace')).phone_region === 'KZ', 'the region is saved');
    await check(A, '22-admin-workspace');
    await api(base, ownerToken, 'PATCH', '/workspace', { phone_region: 'RU' });
    await A.getByRole('link', { name: 'Дополнительные поля' }).click();
    await A.getByRole('tab', { name: 'Сделки' }).waitFor();
    await A.getByLabel('Подпись').fill('Канал привлечения');
    assert((await A.getByLabel('Ключ').inputValue()) === 'kanal_privlecheniya', 'the key is proposed from the label');
    await A.getByLabel('Тип').selectOption('list');
    await A.getByLabel('Варианты (по одному в строке)').fill('Сайт\nВыставка\nРекомендация');
    await A.getByRole('button', { name: 'Добавить поле' }).click();
    const fieldRow = A.locator('[data-testid=cf-row]', { hasText: 'Канал привлечения' });
    await fieldRow.waitFor();
    await fieldRow.getByText('Сайт, Выставка, Рекомендация').waitFor();
    await fieldRow.getByText('список').waitFor();
    const defs = await api(base, ownerToken, 'GET', '/custom-fields?entity=deal');
    assert(defs.some((d) => d.key === 'kanal_privlecheniya' && d.kind === 'list' && d.options.length === 3), 'the field is defined');
    // A wrong key is refused with a message in Russian, not dropped.
    await A.getByLabel('Подпись').fill('Второе поле');
    await A.getByLabel('Тип').selectOption('text');
    await A.getByLabel('Ключ').fill('1 плохой');
    await A.getByRole('button', { name: 'Добавить поле' }).click();
    await A.getByTestId('admin-error').filter({ hasText: 'Проверьте поле «Ключ»' }).waitFor();
    await check(A, '23-admin-fields');
  });

  await step('admin: a stage rule "create a task on entering Переговоры" fires when the deal is dragged there', async () => {
    await A.getByRole('link', { name: 'Автоматизация этапов' }).click();
    await A.getByRole('button', { name: 'Добавить правило для этапа «Переговоры»' }).click();
    const dialog = A.getByRole('dialog', { name: 'Новое правило этапа «Переговоры»' });
    await dialog.getByLabel('Когда').selectOption('deal_entered_stage');
    await dialog.getByLabel('Действие').selectOption('create_task');
    await dialog.getByLabel('Что сделать (название задачи)').fill('Отправить КП по правилу');
    await dialog.getByLabel('Срок, через сколько часов').fill('24');
    await check(A, '24-admin-rule-dialog');
    await dialog.getByRole('button', { name: 'Сохранить' }).click();
    const group = A.getByRole('group', { name: 'Переговоры' });
    await group.locator('[data-testid=rule]', { hasText: 'При попадании на этап → задача «Отправить КП по правилу» для: ответственный за сделку, срок через 24 часа' }).waitFor();
    await check(A, '25-admin-automation');
    const deal = await api(base, ownerToken, 'GET', `/deals/${ids.deal}`);
    assert(deal.stage_id !== ids.talks, 'the deal starts outside Переговоры');
    await A.goto(`${base}/board/${ids.pipeline}`);
    const card = A.locator(`.deal-card[data-deal-id="${ids.deal}"]`);
    await card.waitFor();
    await drag(A, card, A.locator(`[data-stage-id="${ids.talks}"] .column-body`));
    await until(async () => (await api(base, ownerToken, 'GET', `/deals/${ids.deal}`)).stage_id === ids.talks, 'the drag saved');
    // The rule runs in the background: the task exists within a few seconds.
    await until(async () => {
      const mine = await api(base, ownerToken, 'GET', '/tasks/mine');
      return [...mine.overdue, ...mine.today, ...mine.upcoming, ...mine.no_due_date].some((t) => t.title === 'Отправить КП по правилу');
    }, 'the rule made the task', 20_000);
    await A.locator(`[data-stage-id="${ids.talks}"] .deal-card[data-deal-id="${ids.deal}"] a`).click();
    await A.locator('.record-info .task-title', { hasText: 'Отправить КП по правилу' }).waitFor({ timeout: 20_000 });
  });

  await step('admin: an outgoing webhook to a local receiver: secret shown once, a signed delivery in the log; a lead form with its embed code, revoked', async () => {
    const http = await import('node:http');
    const got = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise((ok) => receiver.listen(0, '127.0.0.1', ok));
    const hookUrl = `http://127.0.0.1:${receiver.address().port}/artel`;
    try {
      await A.goto(`${base}/admin/integrations`);
      await A.getByRole('heading', { name: 'Исходящие вебхуки' }).waitFor();
      // The receiver is on this machine: refused until local targets are allowed.
      await A.getByLabel('Название').first().fill('Учёт');
      await A.getByLabel('Адрес', { exact: true }).fill(hookUrl);
      await A.getByRole('button', { name: 'Создать вебхук' }).click();
      await A.getByTestId('admin-error').filter({ hasText: 'Адрес не принят' }).waitFor();
      await A.getByLabel('Разрешить вебхукам и правилам обращаться к адресам локальной сети').check();
      await A.locator('.toast', { hasText: 'Сохранено' }).waitFor();
      await A.getByRole('button', { name: 'Создать вебхук' }).click();
      const secret = A.getByTestId('webhook-secret');
      await secret.waitFor();
      assert((await secret.innerText()).trim().startsWith('whsec'), 'the signing secret is shown');
      await A.locator('.once-secret', { has: secret }).getByText('Вы больше не увидите это значение').waitFor();
      await A.locator('[data-testid=webhook-row]', { hasText: 'Учёт' }).getByText('сделка перешла на этап').waitFor();
      await check(A, '26-admin-webhooks');
      const deal = await api(base, ownerToken, 'GET', `/deals/${ids.deal}`);
      await api(base, ownerToken, 'POST', `/deals/${ids.deal}/move`, { version: deal.version, stage_id: ids.dealStage });
      await until(() => got.length > 0, 'the receiver got the delivery', 20_000);
      assert(/t=\d+,v1=[0-9a-f]{64}/.test(got[0].headers['x-artel-signature'] ?? ''), `signed: ${got[0].headers['x-artel-signature']}`);
      await A.getByRole('button', { name: 'Журнал доставок: Учёт' }).click();
      const log = A.getByTestId('deliveries');
      await log.locator('[data-testid=delivery]', { hasText: 'доставлено' }).getByTestId('delivery-code').filter({ hasText: '200' }).waitFor({ timeout: 15_000 });
      await log.locator('[data-testid=delivery] time').first().waitFor();
      await check(A, '27-admin-delivery-log');
      // The queue behind the deliveries: its figures and the dead letters.
      const jobs = A.getByTestId('jobs');
      await jobs.getByRole('heading', { name: 'Фоновые задачи' }).waitFor();
      await jobs.getByTestId('job-stats').getByText('Самая давняя ждёт').waitFor();
      assert(/^\d+$/.test((await jobs.getByTestId('jobs-failed').innerText()).trim()), 'the failed count is a number');
      // After a reload the secret is gone for good.
      await A.reload();
      await A.getByRole('heading', { name: 'Исходящие вебхуки' }).waitFor();
      assert((await A.getByTestId('webhook-secret').count()) === 0, 'the secret is not shown again');
      // A lead form: its address once, and a ready HTML form to copy.
      const hooksForm = A.locator('section', { has: A.getByRole('heading', { name: 'Входящие хуки и формы заявок' }) });
      await hooksForm.getByLabel('Вид').selectOption('lead');
      await hooksForm.getByLabel('Название').fill('Форма на сайте');
      await hooksForm.getByRole('button', { name: 'Создать', exact: true }).click();
      const leadUrl = (await A.getByTestId('hook-url').innerText()).trim();
      assert(leadUrl.startsWith(`${base}/api/v1/hooks/lead/`), `full lead URL: ${leadUrl}`);
      const snippet = await A.getByTestId('lead-snippet').innerText();
      assert(snippet.includes(`action="${leadUrl}"`) && snippet.includes('name="phone"'), 'the snippet posts to the hook');
      await A.getByRole('button', { name: 'Копировать код формы' }).click();
      await A.locator('.toast', { hasText: 'Скопировано' }).waitFor();
      assert((await A.evaluate(() => navigator.clipboard.readText())).trim() === snippet.trim(), 'the snippet is on the clipboard');
      await check(A, '28-admin-lead-form');
      // The form works as a website would post it, until it is revoked.
      const post = () => fetch(leadUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ name: 'Иван Лидов', phone: '+79001234567' }).toString() });
      assert((await post()).status === 201, 'the lead form takes an enquiry');
      await A.getByRole('button', { name: 'Отозвать: Форма на сайте' }).click();
      await A.getByRole('dialog', { name: 'Отозвать «Форма на сайте»?' }).getByRole('button', { name: 'Отозвать' }).click();
      await A.locator('[data-testid=hook-row]', { hasText: 'Форма на сайте' }).getByText('отозван').waitFor();
      assert((await post()).status === 404, 'a revoked form refuses');
    } finally {
      receiver.close();
    }
  });

  await step('admin: a bot gets a token shown once, which then works', async () => {
    await A.getByRole('link', { name: 'Боты' }).click();
    await A.getByLabel('Имя бота').fill('Робот учёта');
    await A.getByRole('button', { name: 'Создать бота' }).click();
    await A.getByRole('button', { name: 'Выпустить токен: Робот учёта' }).click();
    const dialog = A.getByRole('dialog', { name: 'Новый токен бота «Робот учёта»' });
    await dialog.getByLabel('Для чего токен').fill('Синхронизация');
    await dialog.getByLabel('читать CRM').check();
    await dialog.getByRole('button', { name: 'Выпустить токен' }).click();
    const token = (await A.getByTestId('bot-token').innerText()).trim();
    await A.locator('.once-secret', { has: A.getByTestId('bot-token') }).getByText('Вы больше не увидите это значение').waitFor();
    await A.locator('[data-testid=token-row]', { hasText: 'Синхронизация' }).getByText('читать сообщения, писать сообщения, читать CRM').waitFor();
    await check(A, '29-admin-bots');
    const pipelines = await api(base, token, 'GET', '/pipelines');
    assert(Array.isArray(pipelines) && pipelines.length > 0, 'the bot token reads the CRM');
    await A.getByRole('button', { name: 'Переименовать: Робот учёта' }).click();
    const rename = A.getByRole('dialog', { name: 'Переименовать «Робот учёта»' });
    await rename.getByLabel('Имя бота').fill('Робот 1С');
    await rename.getByRole('button', { name: 'Сохранить' }).click();
    await A.getByRole('group', { name: /Робот 1С/ }).waitFor();
  });

  await step('admin: a member (English UI) has no admin link and is told plainly the area is not theirs', async () => {
    await B.goto(`${base}/chats/${ids.general}`);
    await B.locator('aside.sidebar').waitFor();
    assert((await B.getByRole('link', { name: 'Admin' }).count()) === 0, 'no admin link for a member');
    await B.goto(`${base}/admin/integrations`);
    const alert = B.getByRole('alert').filter({ hasText: 'No access (403)' });
    await alert.waitFor();
    await alert.getByText('for the workspace owner and administrators only').waitFor();
    assert((await B.getByRole('heading', { name: 'Outgoing webhooks' }).count()) === 0, 'nothing of the area is shown');
    await check(B, '30-admin-forbidden');
  });

  await step('admin: an administrator with an English UI reads the area in English', async () => {
    await api(base, ownerToken, 'PATCH', `/users/${ids.oleg}`, { role: 'admin' });
    const ctx = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 }, timezoneId: 'Europe/London' });
    try {
      const O = await ctx.newPage();
      await signIn(O, base, 'oleg@example.com', 'oleg long password');
      await O.getByRole('link', { name: 'Admin' }).click();
      await O.getByRole('heading', { name: 'Users' }).waitFor();
      await O.getByRole('link', { name: 'Stage automation' }).click();
      await O.getByRole('group', { name: 'Переговоры' }).locator('[data-testid=rule]', { hasText: 'On entering the stage → task “Отправить КП по правилу” for the deal’s owner, due in 24 hours' }).waitFor();
      await check(O, '31-admin-automation-en');
      await O.getByRole('link', { name: 'Integrations' }).click();
      await O.getByRole('button', { name: 'Delivery log: Учёт' }).click();
      await O.getByTestId('deliveries').getByText('deal changed stage').first().waitFor();
      await O.getByTestId('jobs').getByRole('heading', { name: 'Background jobs' }).waitFor();
      await O.getByTestId('job-stats').getByText('Oldest due job waits').waitFor();
      await check(O, '32-admin-integrations-en');
    } finally {
      await ctx.close();
      await api(base, ownerToken, 'PATCH', `/users/${ids.oleg}`, { role: 'member' });
    }
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

  await step('a board of 240 deals reads 50 cards a column from the server, counts all 240, pages in more as the column scrolls and follows live changes in its unloaded part', async () => {
    const p = await api(base, ownerToken, 'POST', '/pipelines', { name: 'Большая воронка', stages: [{ name: 'Входящие' }, { name: 'В работе' }] });
    const [s1, s2] = p.stages;
    const made = [];
    for (let i = 0; i < 240; i += 20) {
      made.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, (_, k) =>
            api(base, ownerToken, 'POST', '/deals', { title: `Заявка ${i + k + 1}`, pipeline_id: p.id, stage_id: s1.id, amount_minor: 100_000, currency: 'RUB' }),
          ),
        )),
      );
    }
    const boardRead = A.waitForResponse((r) => r.url().includes(`/pipelines/${p.id}/board`) && r.request().method() === 'GET');
    const started = Date.now();
    await A.goto(`${base}/board/${p.id}`);
    const first = await (await boardRead).json();
    const column = A.locator(`[data-stage-id="${s1.id}"]`);
    await column.locator('.deal-card').first().waitFor();
    const shownAfter = Date.now() - started;
    assert(first.columns[0].deals.length === 50 && first.columns[0].count === 240 && first.columns[0].next_cursor, 'the server sends 50 of 240 cards and a cursor');
    await column.locator('[data-testid=count]').filter({ hasText: '240' }).waitFor();
    // The column's sum covers all 240 deals, not the 50 on screen.
    await column.locator('.sums').filter({ hasText: /240\s000/ }).waitFor();
    assert((await column.locator('.deal-card').count()) === 50, 'the first 50 cards only');

    // Live, in the part not loaded: the oldest deal (last in the column) moves to «В работе».
    const oldest = made[0];
    await api(base, ownerToken, 'POST', `/deals/${oldest.id}/move`, { version: oldest.version, stage_id: s2.id });
    const column2 = A.locator(`[data-stage-id="${s2.id}"]`);
    await column2.locator(`[data-deal-id="${oldest.id}"]`).waitFor();
    await column.locator('[data-testid=count]').filter({ hasText: '239' }).waitFor();
    await column.locator('.sums').filter({ hasText: /239\s000/ }).waitFor();
    // A new deal lands on top of the big column, counted.
    const fresh = await api(base, ownerToken, 'POST', '/deals', { title: 'Свежая заявка', pipeline_id: p.id, stage_id: s1.id, amount_minor: 100_000 });
    await column.locator('.deal-card').first().filter({ hasText: 'Свежая заявка' }).waitFor();
    await column.locator('[data-testid=count]').filter({ hasText: '240' }).waitFor();

    await column.locator('.column-body').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await A.waitForFunction((id) => document.querySelectorAll(`[data-stage-id="${id}"] .deal-card`).length >= 100, s1.id);
    // By keyboard: the button moves while the column's scroll loads more, and a pointer may land on a card.
    await column.getByRole('button', { name: /Показать ещё/ }).focus();
    await A.keyboard.press('Enter');
    await A.waitForFunction((id) => document.querySelectorAll(`[data-stage-id="${id}"] .deal-card`).length >= 150, s1.id);
    // Scrolled to its end, the column holds every card once, in the server's order.
    for (let i = 0; i < 10 && (await column.getByRole('button', { name: /Показать ещё/ }).count()) > 0; i++) {
      await column.locator('.column-body').evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await A.waitForTimeout(300);
    }
    const shown = await column.locator('.deal-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-deal-id')));
    const server = [];
    let cursor;
    do {
      const res = await fetch(`${base}/api/v1/deals?pipeline_id=${p.id}&stage_id=${s1.id}&sort=board&limit=200${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${ownerToken}` } });
      server.push(...(await res.json()).map((d) => d.id));
      cursor = res.headers.get('x-next-cursor');
    } while (cursor);
    assert(server.length === 240 && server[0] === fresh.id, `the server holds 240, the new one first (${server.length})`);
    assert(JSON.stringify(shown) === JSON.stringify(server), `the column shows all 240 in the server's order, each once (${shown.length} shown)`);
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
    // A loaded machine may take a while to start a debug build: wait up to a minute.
    ({ proc: server } = await spawnServer({ bin, dataDir, web, port, healthyWithinMs: 60_000 }));
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
}

finish({ dataDir });
