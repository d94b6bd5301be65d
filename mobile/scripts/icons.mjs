// Draws the app icons (PNG, no dependencies): a blue tile with a white "A"-like
// mark. "any" icons have rounded corners; maskable ones fill the square and keep
// the mark inside the 80% safe zone. Run once: node scripts/icons.mjs
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const BLUE = [0x24, 0x56, 0xc9];
const WHITE = [255, 255, 255];

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function png(size, pixel) {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x + 0.5, y + 0.5);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r;
      raw[o + 1] = g;
      raw[o + 2] = b;
      raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Distance from point p to segment ab. */
function seg(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** The mark in unit coordinates (0..1), scaled by `k` around the centre. */
function mark(u, v, k) {
  const x = 0.5 + (u - 0.5) / k;
  const y = 0.5 + (v - 0.5) / k;
  const w = 0.07;
  return (
    seg(x, y, 0.5, 0.22, 0.27, 0.78) < w ||
    seg(x, y, 0.5, 0.22, 0.73, 0.78) < w ||
    seg(x, y, 0.36, 0.56, 0.64, 0.56) < w * 0.8
  );
}

function icon(size, maskable) {
  const r = size * 0.2;
  return png(size, (x, y) => {
    if (!maskable) {
      const cx = Math.min(Math.max(x, r), size - r);
      const cy = Math.min(Math.max(y, r), size - r);
      if (Math.hypot(x - cx, y - cy) > r) return [0, 0, 0, 0];
    }
    const on = mark(x / size, y / size, maskable ? 0.7 : 0.9);
    return [...(on ? WHITE : BLUE), 255];
  });
}

const out = new URL('../public/icons/', import.meta.url);
mkdirSync(out, { recursive: true });
for (const size of [192, 512]) {
  writeFileSync(new URL(`icon-${size}.png`, out), icon(size, false));
  writeFileSync(new URL(`maskable-${size}.png`, out), icon(size, true));
}
console.log('icons written');
