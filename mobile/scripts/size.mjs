// Prints the gzip size of what mobile/dist/index.html loads before any lazy
// chunk (its module script, modulepreloads and stylesheets), as `artel serve`
// sends it (the .gz files the build writes). Run after `npm run build`.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const refs = [...html.matchAll(/(?:src|href)="\/m\/(assets\/[^"]+)"/g)].map((m) => m[1]);
let js = 0;
let css = 0;
for (const ref of new Set(refs)) {
  const size = statSync(join(dist, `${ref}.gz`)).size;
  if (ref.endsWith('.js')) js += size;
  else if (ref.endsWith('.css')) css += size;
  console.log(`${ref}: ${(size / 1024).toFixed(1)} KiB gzip`);
}
const sw = statSync(join(dist, 'sw.js.gz')).size;
console.log(`initial JS ${(js / 1024).toFixed(1)} KiB, CSS ${(css / 1024).toFixed(1)} KiB (gzip); sw.js ${(sw / 1024).toFixed(1)} KiB`);
