#!/usr/bin/env node
// Socket start and chat-list size in a workspace with many chats (issue 23):
// sets up a fresh server, makes the owner a member of N channels, then times
// `auth` → `ready` over several sockets and weighs GET /chats with and without
// gzip. Run against a fresh data dir; see docs/benchmarks/ for the command.
//
//   node --experimental-websocket scripts/bench-socket-start.mjs http://127.0.0.1:8099 1000 20
import http from 'node:http';

const [base = 'http://127.0.0.1:8099', chatsArg = '1000', roundsArg = '20'] = process.argv.slice(2);
const CHATS = Number(chatsArg);
const ROUNDS = Number(roundsArg);
const api = `${base}/api/v1`;

async function call(method, path, token, body) {
  const r = await fetch(api + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Raw body size of a GET, as sent on the wire (node's http does not decompress). */
function rawSize(path, token, acceptEncoding) {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${token}` };
    if (acceptEncoding) headers['accept-encoding'] = acceptEncoding;
    http
      .get(api + path, { headers }, (res) => {
        let n = 0;
        res.on('data', (c) => (n += c.length));
        res.on('end', () => resolve({ bytes: n, encoding: res.headers['content-encoding'] ?? 'identity' }));
      })
      .on('error', reject);
  });
}

function socketStart(token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/ws`);
    let t0 = 0;
    ws.onopen = () => {
      t0 = performance.now();
      ws.send(JSON.stringify({ type: 'auth', token }));
    };
    ws.onmessage = (m) => {
      const f = JSON.parse(m.data);
      if (f.type === 'ready') {
        const ms = performance.now() - t0;
        ws.close();
        resolve({ ms, chats: f.chats.length });
      }
    };
    ws.onerror = (e) => reject(new Error(`socket error: ${e.message ?? e}`));
  });
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

const setup = await call('POST', '/setup', null, {
  workspace_name: 'Bench',
  name: 'Olga Owner',
  email: 'owner@bench.test',
  password: 'correct horse battery',
  time_zone: 'Europe/Moscow',
  language: 'ru',
});
const token = setup.access_token;
const made = Date.now();
for (let i = 0; i < CHATS; i += 8) {
  await Promise.all(
    Array.from({ length: Math.min(8, CHATS - i) }, (_, k) =>
      call('POST', '/chats', token, { kind: 'channel', name: `c${String(i + k).padStart(5, '0')}`, member_ids: [] }),
    ),
  );
}
console.log(`created ${CHATS} channels in ${((Date.now() - made) / 1000).toFixed(1)} s`);

await socketStart(token); // warm-up
const times = [];
let chats = 0;
for (let i = 0; i < ROUNDS; i++) {
  const r = await socketStart(token);
  times.push(r.ms);
  chats = r.chats;
}
times.sort((a, b) => a - b);
console.log(
  `socket start (auth → ready), ${chats} chats in ready, ${ROUNDS} sockets one after another: ` +
    `p50 ${pct(times, 50).toFixed(1)} ms, p90 ${pct(times, 90).toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms`,
);
const plain = await rawSize('/chats', token, null);
const gz = await rawSize('/chats', token, 'gzip');
console.log(`GET /chats: ${plain.bytes} bytes ${plain.encoding}, ${gz.bytes} bytes ${gz.encoding}`);
