/// <reference types="vitest/config" />
// The mobile client (PWA) is served by `artel serve` under /m/. It shares the
// typed API/WS client, the i18n and the chat state with web/ through the
// `@artel/client` workspace package (client/), never a copy.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** Writes a .gz beside every text asset; `artel serve` sends it to gzip-capable browsers. */
function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'artel-precompress',
    apply: 'build',
    configResolved(c) {
      outDir = c.build.outDir;
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
        );
      // Every built asset, lazy chunks included: the service worker caches them
      // all on install, so screens never opened online still open offline.
      const assets = readdirSync(join(outDir, 'assets')).filter((f) => !f.endsWith('.gz'));
      writeFileSync(join(outDir, 'shell.json'), JSON.stringify(assets.map((f) => `/m/assets/${f}`)));
      for (const file of walk(outDir)) {
        if (!/\.(js|css|html|svg|json|webmanifest)$/.test(file)) continue;
        writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  base: '/m/',
  plugins: [react(), precompress()],
  server: {
    proxy: {
      '/api': { target: process.env.ARTEL_DEV_SERVER ?? 'http://127.0.0.1:8080', ws: true, changeOrigin: false },
    },
  },
  build: { target: 'es2022', sourcemap: false },
  test: { environment: 'node', include: ['src/**/*.test.ts', 'src/**/*.test.tsx'] },
});
