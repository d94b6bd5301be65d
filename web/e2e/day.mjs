// A day's work through the UI alone, in real Chromium, on a fresh server:
// the owner (Russian UI, Vladivostok) sets Artel up and invites a colleague
// (English UI, London); they talk, mention each other, share a file, make a
// client and a deal, edit its card, run /task and /move from the deal's chat,
// drag on the board, configure a stage rule and a webhook and see both fire,
// and search. Every action goes through the UI; the API is only read, to
// assert what the server stored. Each screen is checked (screenshot, axe,
// no raw id, no phrase of the other language) in web/e2e/artifacts/day-*.png.
//
//   ARTEL_BIN      server binary (default ../target/debug/artel)
//   CHROMIUM_PATH  browser (default /usr/bin/chromium)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { api, assert, clock, createRun, drag, sessionOf, socketReady, startServer, until } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const web = resolve(here, '..');
const bin = process.env.ARTEL_BIN ?? resolve(web, '../target/debug/artel');
const { results, pages, step, check, finish } = createRun({ web, artifacts: join(here, 'artifacts') });

const VLADIVOSTOK = 'Asia/Vladivostok';
const LONDON = 'Europe/London';
const owner = { name: 'Ирина Соколова', email: 'irina@vostok.test', password: 'ирина длинный пароль' };
const colleague = { name: 'Tom Baker', email: 'tom@vostok.test', password: 'tom long password' };

/** Year-month-day and HH:MM of `iso` in `zone`. */
function local(iso, zone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

/** Tomorrow's date in `zone`, as the person living there says "tomorrow". */
function tomorrowIn(zone) {
  const today = local(new Date().toISOString(), zone).date;
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

const allTasks = (mine) => [...mine.overdue, ...mine.today, ...mine.upcoming, ...mine.no_due_date];

/** Types a chat command and runs it (Escape closes the suggestions first). */
async function command(page, box, line) {
  await box.fill(line);
  await box.press('Escape');
  await box.press('Enter');
}

let server;
let browser;
let dataDir;
let receiver;
try {
  ({ proc: server, base: globalThis.base, dataDir } = await startServer({ bin, web }));
  const base = globalThis.base;
  console.log(`artel day e2e: server at ${base}`);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const I = await (await browser.newContext({ locale: 'ru-RU', viewport: { width: 1680, height: 900 }, timezoneId: VLADIVOSTOK })).newPage();
  const T = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 }, timezoneId: LONDON })).newPage();
  Object.assign(pages, { I, T });
  for (const [n, p] of Object.entries(pages)) p.on('pageerror', (e) => console.log(`  [${n} page error] ${e.message}`));
  if (process.env.DEBUG_HTTP) for (const [n, p] of Object.entries(pages)) p.on('response', async (r) => { if (r.status() >= 400) console.log(`  [${n}] ${r.status()} ${r.request().method()} ${r.url()} ${await r.text().catch(() => '')}`); });
  const token = async (page) => (await sessionOf(page)).accessToken;
  const ids = {};
  const boxOf = (page) => page.getByRole('textbox', { name: page === I ? /Сообщение в/ : /Message/ });

  await step('morning: the owner sets up the workspace in her browser, which is in Vladivostok', async () => {
    await I.goto(`${base}/`);
    await I.getByRole('heading', { name: 'Первый запуск' }).waitFor();
    await I.getByLabel('Название компании').fill('ООО Восток');
    await I.getByLabel('Ваше имя').fill(owner.name);
    await I.getByLabel('Эл. почта').fill(owner.email);
    await I.getByLabel('Пароль').fill(owner.password);
    await I.getByRole('button', { name: 'Создать пространство' }).click();
    await I.getByRole('heading', { level: 1, name: 'общий' }).waitFor();
    ids.general = new URL(I.url()).pathname.split('/').pop();
    const { user: me } = await api(base, await token(I), 'GET', '/me');
    assert(me.time_zone === VLADIVOSTOK, `the owner's zone comes from her browser: ${me.time_zone}`);
    await check(I, 'day-01-owner-first-screen');
  });

  await step('she invites a colleague from the checklist; he accepts in London in English', async () => {
    await I.getByRole('region', { name: 'С чего начать' }).getByRole('link', { name: 'Пригласите коллег' }).click();
    await I.getByRole('heading', { name: 'Приглашения' }).waitFor();
    await I.getByRole('button', { name: 'Пригласить', exact: true }).click();
    const link = (await I.getByTestId('invite-link').textContent()).trim();
    await check(I, 'day-02-invite-link');
    await T.goto(link);
    await T.getByRole('heading', { name: /Invitation to/ }).waitFor();
    await T.getByLabel('Your name').fill(colleague.name);
    await T.getByLabel('E-mail').fill(colleague.email);
    await T.getByLabel('Password').fill(colleague.password);
    await T.getByRole('button', { name: 'Accept invitation' }).click();
    await T.getByRole('heading', { level: 1, name: 'общий' }).waitFor();
    const { user: me } = await api(base, await token(T), 'GET', '/me');
    assert(me.time_zone === LONDON && me.language === 'en', `his zone and language come from his browser: ${me.time_zone} ${me.language}`);
    ids.tom = me.id;
    await check(T, 'day-03-colleague-first-screen');
  });

  await step('they talk: a mention each way, names not ids, and one message at each reader\'s local time', async () => {
    await I.goto(`${base}/chats/${ids.general}`);
    await Promise.all([socketReady(I), socketReady(T)]);
    const boxI = boxOf(I);
    await boxI.pressSequentially('Доброе утро, @To');
    await I.getByRole('listbox', { name: '@' }).getByRole('option', { name: '@Tom Baker' }).waitFor();
    await boxI.press('Enter');
    await boxI.pressSequentially('посмотри заявку от «Вектора»');
    await boxI.press('Enter');
    const atT = T.locator('article.msg', { hasText: 'заявку от' });
    await atT.locator('.msg-body .mention.mention-me', { hasText: '@Tom Baker' }).waitFor({ timeout: 10_000 });
    const boxT = boxOf(T);
    await boxT.pressSequentially('On it @Ир');
    await T.getByRole('listbox', { name: '@' }).getByRole('option', { name: `@${owner.name}` }).waitFor();
    await boxT.press('Enter');
    await boxT.pressSequentially('will call them');
    await boxT.press('Enter');
    await I.locator('article.msg', { hasText: 'will call them' }).locator('.mention.mention-me', { hasText: `@${owner.name}` }).waitFor({ timeout: 10_000 });
    // The same message, at 10 hours' distance: each reads their own clock.
    const history = await api(base, await token(T), 'GET', `/chats/${ids.general}/messages`);
    const sent = history.find((m) => m.body?.includes('заявку от'));
    const vl = clock(sent.created_at, 'ru-RU', VLADIVOSTOK);
    const ld = clock(sent.created_at, 'en-GB', LONDON);
    assert(vl !== ld, `the zones differ (${vl} / ${ld})`);
    await I.locator(`article.msg[aria-label="${owner.name}, ${vl}"]`, { hasText: 'заявку от' }).waitFor();
    await T.locator(`article.msg[aria-label="${owner.name}, ${ld}"]`, { hasText: 'заявку от' }).waitFor();
    await check(I, 'day-04-talk-ru');
    await check(T, 'day-05-talk-en');
  });

  await step('he shares a file; she downloads the same bytes', async () => {
    const bytes = randomBytes(30_000);
    await T.locator('input[type=file]').setInputFiles({ name: 'price-list.pdf', mimeType: 'application/pdf', buffer: bytes });
    await T.locator('.file-chip', { hasText: 'price-list.pdf' }).waitFor({ timeout: 10_000 });
    await boxOf(T).fill('Their price list');
    await boxOf(T).press('Enter');
    const chip = I.locator('article.msg', { hasText: 'Their price list' }).locator('button.file-chip', { hasText: 'price-list.pdf' });
    await chip.waitFor({ timeout: 10_000 });
    const [download] = await Promise.all([I.waitForEvent('download', { timeout: 10_000 }), chip.click()]);
    const got = readFileSync(await download.path());
    assert(got.equals(bytes), `same bytes (${got.length} of ${bytes.length})`);
  });

  await step('she makes the client from the UI: a company and its contact', async () => {
    await I.getByRole('link', { name: 'Клиенты' }).first().click();
    await I.goto(`${base}/companies`);
    await I.getByRole('button', { name: 'Новая компания' }).click();
    let dlg = I.getByRole('dialog');
    await dlg.getByLabel('Имя', { exact: true }).fill('ООО Вектор');
    await dlg.getByLabel('Телефоны', { exact: true }).fill('8 (423) 200-10-10');
    await dlg.getByRole('button', { name: 'Создать' }).click();
    await I.getByRole('heading', { name: 'ООО Вектор', level: 1 }).waitFor();
    await I.goto(`${base}/contacts`);
    await I.getByRole('button', { name: 'Новый контакт' }).click();
    dlg = I.getByRole('dialog');
    await dlg.getByLabel('Имя', { exact: true }).fill('Пётр Ким');
    await dlg.getByLabel('Телефоны', { exact: true }).fill('+7 914 000-22-33');
    await dlg.getByLabel('Почта', { exact: true }).fill('kim@vector.test');
    await dlg.getByLabel('Компания: Поиск').fill('Вектор');
    await dlg.getByRole('radio', { name: 'ООО Вектор' }).check();
    await dlg.getByRole('button', { name: 'Создать' }).click();
    await I.getByRole('heading', { name: 'Пётр Ким', level: 1 }).waitFor();
    await I.locator('[data-field=company] a', { hasText: 'ООО Вектор' }).waitFor();
    const c = (await api(base, await token(I), 'GET', '/contacts?limit=10')).items.find((x) => x.name === 'Пётр Ким');
    assert(c.phones[0]?.e164 === '+79140002233', `the phone was normalised: ${JSON.stringify(c.phones)}`);
    ids.contact = c.id;
    await check(I, 'day-06-contact-card');
  });

  await step('she opens a deal for the client from the board, with him as a participant, and edits its card', async () => {
    await I.getByRole('link', { name: 'Сделки' }).first().click();
    await I.getByRole('button', { name: 'Новая сделка' }).click();
    const dlg = I.getByRole('dialog');
    await dlg.getByLabel('Название', { exact: true }).fill('Поставка для Вектора');
    await dlg.getByLabel('Сумма', { exact: true }).fill('480 000');
    await dlg.getByRole('group', { name: 'Участники' }).getByLabel(colleague.name).check();
    await dlg.getByLabel('Контакт: Поиск').fill('Пётр');
    await dlg.getByRole('radio', { name: 'Пётр Ким' }).check();
    await dlg.getByRole('button', { name: 'Создать' }).click();
    await I.getByRole('heading', { name: 'Поставка для Вектора', level: 1 }).waitFor();
    ids.deal = I.url().split('/deals/')[1];
    await I.getByRole('button', { name: 'Изменить: Сумма' }).click();
    await I.locator('[data-field=amount]').getByRole('textbox', { name: 'Сумма', exact: true }).fill('520 000');
    await I.locator('[data-field=amount]').getByRole('button', { name: 'Сохранить' }).click();
    await I.locator('[data-field=amount] form').waitFor({ state: 'detached' });
    const d = await api(base, await token(I), 'GET', `/deals/${ids.deal}`);
    assert(d.amount_minor === 52_000_000 && d.contact_id === ids.contact && d.participants.includes(ids.tom), `the deal as stored: ${JSON.stringify(d)}`);
    ids.pipeline = d.pipeline_id;
    const p = (await api(base, await token(I), 'GET', '/pipelines')).find((x) => x.id === d.pipeline_id);
    ids.stages = Object.fromEntries(p.stages.map((s) => [s.name, s.id]));
    await check(I, 'day-07-deal-card');
  });

  await step('"/задача … завтра в 15:00" in the deal chat is her 15:00 in Vladivostok; her card shows it at once', async () => {
    await socketReady(I);
    const box = boxOf(I);
    await command(I, box, '/задача Позвонить Петру завтра в 15:00');
    await I.getByTestId('command-outcome').filter({ hasText: 'Позвонить Петру' }).waitFor({ timeout: 10_000 });
    const row = I.locator('.record-info li', { hasText: 'Позвонить Петру' });
    await row.waitFor({ timeout: 10_000 });
    const tasks = await api(base, await token(I), 'GET', `/tasks?view=entity&entity_kind=deal&entity_id=${ids.deal}`);
    const task = (tasks.items ?? tasks).find((x) => x.title === 'Позвонить Петру');
    const due = local(task.due_at, VLADIVOSTOK);
    assert(due.date === tomorrowIn(VLADIVOSTOK) && due.time === '15:00', `due tomorrow 15:00 in Vladivostok: ${task.due_at} → ${JSON.stringify(due)}`);
    assert((await row.locator('time').innerText()).includes('15:00'), 'the card shows 15:00');
  });

  await step('"/этап Переговоры" moves her own card at once; the next stage change is no conflict', async () => {
    const box = boxOf(I);
    await command(I, box, '/этап Переговоры');
    await I.getByTestId('command-outcome').filter({ hasText: 'Переговоры' }).waitFor({ timeout: 10_000 });
    await I.waitForFunction((id) => document.querySelector('select[aria-label="Этап"]')?.value === id, ids.stages['Переговоры'], { timeout: 10_000 });
    await I.locator('.timeline li', { hasText: 'Переговоры' }).first().waitFor({ timeout: 10_000 });
    await check(I, 'day-08-deal-after-commands');
  });

  await step('he opens the deal in English and says "/task … tomorrow 3pm": his own 3pm in London, shown in each one\'s zone', async () => {
    await T.goto(`${base}/deals/${ids.deal}`);
    await T.getByRole('heading', { name: 'Поставка для Вектора', level: 1 }).waitFor();
    await socketReady(T);
    await command(T, boxOf(T), '/task Send Pyotr the offer tomorrow at 3pm');
    await T.locator('.record-info .task-title', { hasText: 'Send Pyotr the offer' }).waitFor({ timeout: 10_000 });
    const tasks = await api(base, await token(T), 'GET', `/tasks?view=entity&entity_kind=deal&entity_id=${ids.deal}`);
    const task = (tasks.items ?? tasks).find((x) => x.title === 'Send Pyotr the offer');
    const due = local(task.due_at, LONDON);
    assert(due.date === tomorrowIn(LONDON) && due.time === '15:00', `due tomorrow 3pm in London: ${task.due_at} → ${JSON.stringify(due)}`);
    // Her card (Vladivostok) shows his task live, at her clock: 15:00 London is 00:00 or 01:00 the next day there.
    const herClock = clock(task.due_at, 'ru-RU', VLADIVOSTOK);
    await I.locator('.record-info li', { hasText: 'Send Pyotr the offer' }).locator('time', { hasText: herClock }).waitFor({ timeout: 10_000 });
    await T.locator('.record-info li', { hasText: 'Send Pyotr the offer' }).locator('time', { hasText: /3:00\s?pm|15:00/i }).waitFor();
    await check(T, 'day-09-deal-card-en');
  });

  await step('she drags the card on the board after the commands (no false conflict); his board follows', async () => {
    await I.getByRole('link', { name: 'Сделки' }).first().click();
    const card = I.locator(`[data-stage-id="${ids.stages['Переговоры']}"] .deal-card[data-deal-id="${ids.deal}"]`);
    await card.waitFor({ timeout: 10_000 });
    await T.getByRole('link', { name: 'Deals' }).first().click();
    await T.locator(`.deal-card[data-deal-id="${ids.deal}"]`).waitFor();
    await socketReady(T);
    await drag(I, card, I.locator(`[data-stage-id="${ids.stages['Договор']}"] .column-body`));
    await until(async () => (await api(base, await token(I), 'GET', `/deals/${ids.deal}`)).stage_id === ids.stages['Договор'], 'the drag saved');
    await T.locator(`[data-stage-id="${ids.stages['Договор']}"] .deal-card[data-deal-id="${ids.deal}"]`).waitFor({ timeout: 10_000 });
    assert((await I.locator('.toast', { hasText: 'успели изменить' }).count()) === 0, 'no conflict toast');
    await check(I, 'day-10-board-ru');
    await check(T, 'day-11-board-en');
  });

  await step('she adds a stage rule in admin; dragging the deal back into "Переговоры" makes its task', async () => {
    await I.goto(`${base}/admin/automation`);
    await I.getByRole('button', { name: 'Добавить правило для этапа «Переговоры»' }).click();
    const dialog = I.getByRole('dialog', { name: 'Новое правило этапа «Переговоры»' });
    await dialog.getByLabel('Когда').selectOption('deal_entered_stage');
    await dialog.getByLabel('Действие').selectOption('create_task');
    await dialog.getByLabel('Что сделать (название задачи)').fill('Согласовать скидку');
    await dialog.getByLabel('Срок, через сколько часов').fill('24');
    await dialog.getByRole('button', { name: 'Сохранить' }).click();
    await I.getByRole('group', { name: 'Переговоры' }).locator('[data-testid=rule]', { hasText: 'Согласовать скидку' }).waitFor();
    await check(I, 'day-12-rule');
    await I.getByRole('link', { name: 'Сделки' }).first().click();
    const card = I.locator(`.deal-card[data-deal-id="${ids.deal}"]`);
    await card.waitFor();
    await drag(I, card, I.locator(`[data-stage-id="${ids.stages['Переговоры']}"] .column-body`));
    await until(async () => (await api(base, await token(I), 'GET', `/deals/${ids.deal}`)).stage_id === ids.stages['Переговоры'], 'the drag saved');
    await I.locator(`.deal-card[data-deal-id="${ids.deal}"] a`).click();
    await I.locator('.record-info .task-title', { hasText: 'Согласовать скидку' }).waitFor({ timeout: 20_000 });
    // The card's history says what the rule did, in words.
    await I.locator('.timeline li', { hasText: 'Правило этапа поставило задачу' }).waitFor({ timeout: 10_000 });
    await check(I, 'day-12b-deal-card-after-rule');
  });

  await step('she connects a webhook in admin; the next stage change is delivered, signed, and logged', async () => {
    const got = [];
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ headers: req.headers, body: JSON.parse(body) });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise((ok) => receiver.listen(0, '127.0.0.1', ok));
    await I.goto(`${base}/admin/integrations`);
    await I.getByRole('heading', { name: 'Исходящие вебхуки' }).waitFor();
    await I.getByLabel('Разрешить вебхукам и правилам обращаться к адресам локальной сети').check();
    await I.locator('.toast', { hasText: 'Сохранено' }).waitFor();
    await I.getByLabel('Название').first().fill('Учёт');
    await I.getByLabel('Адрес', { exact: true }).fill(`http://127.0.0.1:${receiver.address().port}/artel`);
    await I.getByRole('button', { name: 'Создать вебхук' }).click();
    await I.getByTestId('webhook-secret').waitFor();
    // The change comes from the deal card's stage list, as a manager would make it.
    await I.goto(`${base}/deals/${ids.deal}`);
    await I.locator('select[aria-label="Этап"]').selectOption(ids.stages['Договор']);
    await until(() => got.some((g) => JSON.stringify(g.body).includes(ids.deal)), 'the receiver got the delivery', 20_000);
    assert(/t=\d+,v1=[0-9a-f]{64}/.test(got[0].headers['x-artel-signature'] ?? ''), 'signed');
    await I.goto(`${base}/admin/integrations`);
    await I.getByRole('button', { name: 'Журнал доставок: Учёт' }).click();
    await I.getByTestId('deliveries').locator('[data-testid=delivery]', { hasText: 'доставлено' }).first().waitFor({ timeout: 15_000 });
    await check(I, 'day-13-webhook-log');
  });

  await step('he finds the price list conversation by search and lands on the message', async () => {
    await T.getByRole('link', { name: 'Search' }).first().click();
    await T.getByRole('searchbox', { name: 'Search' }).fill('price list');
    await T.getByRole('searchbox', { name: 'Search' }).press('Enter');
    const group = T.locator('.search-group[data-kind=message]');
    await group.locator('.snippet mark').first().waitFor({ timeout: 15_000 });
    await check(T, 'day-14-search-en');
    await group.locator('.search-hit a').first().click();
    await T.waitForURL(/\/chats\/.+\?seq=\d+/);
    await T.locator('article.msg.highlight', { hasText: 'price list' }).waitFor();
  });

  await step('evening: he ticks off his task in My tasks; she sees it done on the deal card', async () => {
    await T.getByRole('link', { name: 'My tasks' }).first().click();
    await T.getByLabel('Complete: Send Pyotr the offer').click();
    await until(async () => {
      const mine = await api(base, await token(T), 'GET', '/tasks/mine');
      return !allTasks(mine).some((t) => t.title === 'Send Pyotr the offer');
    }, 'the task is done');
    await check(T, 'day-15-my-tasks-en');
    await I.goto(`${base}/deals/${ids.deal}`);
    await I.locator('.record-info .task-title', { hasText: 'Согласовать скидку' }).waitFor();
    // Done tasks stay on the card, ticked and struck through.
    await I.locator('.record-info li', { hasText: 'Send Pyotr the offer' }).locator('input[type=checkbox]:checked').waitFor();
    await check(I, 'day-16-deal-card-evening');
  });

  await step('a deal lost on the board or the card says why first: cancel keeps it, a reason moves it', async () => {
    await I.getByRole('link', { name: 'Сделки' }).first().click();
    await I.getByLabel('Название сделки').fill('Разовый заказ');
    await I.getByLabel('Сумма', { exact: true }).fill('15 000');
    await I.getByRole('button', { name: 'Создать', exact: true }).click();
    const card = I.locator('.deal-card', { hasText: 'Разовый заказ' });
    await card.waitFor({ timeout: 10_000 });
    const dealId = await card.getAttribute('data-deal-id');
    const lost = ids.stages['Закрыто и не реализовано'];
    // On the card: choosing the lost stage asks the reason; cancel changes nothing.
    await card.locator('a').click();
    await I.locator('select[aria-label="Этап"]').selectOption(lost);
    const ask = I.getByRole('dialog', { name: 'Провалена' });
    await ask.getByLabel('Причина отказа').waitFor();
    await ask.getByRole('button', { name: 'Отмена' }).click();
    assert((await I.locator('select[aria-label="Этап"]').inputValue()) === ids.stages['Новая заявка'], 'the stage list went back');
    assert((await api(base, await token(I), 'GET', `/deals/${dealId}`)).stage_id === ids.stages['Новая заявка'], 'nothing moved');
    // On the board (a wide screen shows all six columns): dropped on the lost column.
    await I.setViewportSize({ width: 2200, height: 900 });
    await I.getByRole('link', { name: 'Сделки' }).first().click();
    await drag(I, card, I.locator(`[data-stage-id="${lost}"] .column-body`));
    await ask.getByLabel('Причина отказа').fill('Выбрали другого поставщика');
    await check(I, 'day-17-lost-reason');
    await ask.getByRole('button', { name: 'Провалена' }).click();
    await I.locator(`[data-stage-id="${lost}"] .deal-card[data-deal-id="${dealId}"]`).waitFor({ timeout: 10_000 });
    const d = await api(base, await token(I), 'GET', `/deals/${dealId}`);
    assert(d.stage_id === lost && d.loss_reason === 'Выбрали другого поставщика', `lost with its reason: ${d.stage_id} ${d.loss_reason}`);
    await I.setViewportSize({ width: 1680, height: 900 });
  });
} catch (e) {
  results.push({ name: 'harness', ok: false, error: e });
  console.log(`  FAIL harness: ${e?.stack ?? e}`);
} finally {
  receiver?.close();
  await browser?.close().catch(() => undefined);
  server?.kill('SIGTERM');
}

finish({ dataDir });
