/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The gateway serves the built app at /desk/ and the API on the same origin.
// `npm run dev` proxies the API to a local gateway (GATEWAY_URL, default http://127.0.0.1:3210).
const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:3210';
const api = ['/vendor', '/booking', '/bookings', '/user', '/.well-known'];

export default defineConfig({
  base: '/desk/',
  plugins: [preact()],
  build: { target: 'es2022', sourcemap: false },
  server: { proxy: Object.fromEntries(api.map((p) => [p, gateway])) },
  preview: { proxy: Object.fromEntries(api.map((p) => [p, gateway])) },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
