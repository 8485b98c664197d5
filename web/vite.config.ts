/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import preact from '@preact/preset-vite';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Writes `sw.js` (from src/offline/sw.js) beside the build, told this build's files (the app shell
 * it caches) and a version made from their contents: a new build is a new worker, which replaces
 * the old cache.
 */
function serviceWorker(): Plugin {
  let publicDir = '';
  return {
    name: 'desk-service-worker',
    apply: 'build',
    configResolved(config) {
      publicDir = config.publicDir;
    },
    writeBundle(options, bundle) {
      const dir = options.dir ?? 'dist';
      const hash = createHash('sha256');
      const built = Object.keys(bundle).filter((f) => !f.endsWith('.map'));
      for (const file of built.sort()) {
        const item = bundle[file];
        hash.update(file).update(item.type === 'chunk' ? item.code : item.source);
      }
      const publicFiles = existsSync(publicDir) ? readdirSync(publicDir) : [];
      const files = [...new Set(['index.html', ...built, ...publicFiles])].filter((f) => f !== 'sw.js').sort();
      const precache = { version: hash.digest('hex').slice(0, 16), files };
      const source = readFileSync(new URL('./src/offline/sw.js', import.meta.url), 'utf8');
      writeFileSync(`${dir}/sw.js`, source.replace('self.__DESK_PRECACHE__', JSON.stringify(precache)));
    },
  };
}

// The gateway serves the built app at /desk/ and the API on the same origin.
// `npm run dev` proxies the API to a local gateway (GATEWAY_URL, default http://127.0.0.1:3210).
const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:3210';
const api = ['/vendor', '/booking', '/bookings', '/user', '/.well-known'];

export default defineConfig({
  base: '/desk/',
  plugins: [preact(), serviceWorker()],
  build: { target: 'es2022', sourcemap: false },
  server: { proxy: Object.fromEntries(api.map((p) => [p, gateway])) },
  preview: { proxy: Object.fromEntries(api.map((p) => [p, gateway])) },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
