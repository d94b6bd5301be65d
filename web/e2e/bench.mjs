// Measures the web client's initial JS (gzip, what index.html loads before any
// lazy screen) and its first load on localhost, served by a real `artel serve`
// from web/dist: a fresh browser context (empty cache) opening the sign-in page,
// and a signed-in user opening a chat with 200 messages. Median of 7 runs.
//
//   node e2e/bench.mjs        (after npm run build and cargo build -p artel)
import { call, initialAssets, launchBrowser, median, startServer } from './bench-lib.mjs';

const RUNS = 7;

const assets = initialAssets();
console.log(`initial assets: ${assets.refs.join(', ')}`);
console.log(`initial JS gzip: ${(assets.js / 1024).toFixed(1)} KiB; CSS gzip: ${(assets.css / 1024).toFixed(1)} KiB`);

const { base, stop } = await startServer();
let browser;
try {
  const owner = await call(base, null, 'POST', '/setup', { workspace_name: 'Bench', name: 'Owner', email: 'o@bench.test', password: 'bench password 1' });
  const chat = await call(base, owner.access_token, 'POST', '/chats', { kind: 'channel', name: 'bench' });
  for (let i = 0; i < 200; i++) {
    await call(base, owner.access_token, 'POST', `/chats/${chat.id}/messages`, { body: `message **${i}** of the benchmark history` });
  }
  browser = await launchBrowser();
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
  await stop();
}
