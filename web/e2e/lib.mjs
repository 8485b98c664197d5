// Shared setup of the desk app's browser tests: the API on the gateway (DESK_E2E_BASE_URL, set by
// tests/web.sh), a hotel with rooms, staff and a guest made through it, Debian's Chromium through
// playwright-core, pages that record CSP violations and script errors, axe-core, and the keyboard
// and clock helpers the test files share.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BASE = process.env.DESK_E2E_BASE_URL;
if (!BASE) throw new Error('DESK_E2E_BASE_URL is not set (run tests/web.sh)');
const HERE = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = join(HERE, 'artifacts');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export const PASSWORD = 'e2e password 12345';
// Generous: the point is the measured delay, printed; failing only if it never comes.
export const NEVER_MS = 20_000;

/** Unique per test file run: emails and names never collide with another run's. */
export const unique = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;

export async function api(method, path, { token, body, idempotencyKey } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (idempotencyKey || (method === 'POST' && path.startsWith('/booking/vendor/'))) {
    headers['idempotency-key'] = idempotencyKey ?? `e2e-${unique}-${Math.random()}`;
  }
  const response = await fetch(BASE + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export const login = async (email) => (await api('POST', '/vendor/login', { body: { email, password: PASSWORD } })).access_token;
/** The date `offset` days from today in Berlin (the test vendors' zone), YYYY-MM-DD. */
export const day = (offset) => new Date(Date.now() + offset * 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Europe/Berlin' });
export const words = (s) => String(s).toLowerCase().replace(/_/g, ' ');

/**
 * A Berlin hotel with one room type of `rooms.length` rooms, a manager (`boss`), a desk member of
 * staff, a housekeeper and a guest account, all made through the API. Returns their tokens and ids.
 */
export async function makeHotel({ rooms = ['101', '102', '103', '104', '105'], tag = '' } = {}) {
  const id = `${unique}${tag}`;
  const world = { rooms };
  const manager = `manager-${id}@e2e.example`;
  const created = await api('POST', '/vendor/create', {
    body: {
      kind: 'hotel', name: `Hotel E2E ${id}`, time_zone: 'Europe/Berlin', currency: 'EUR',
      address: { line1: 'Teststrasse 1', postal_code: '10117', city: 'Berlin', country: 'DE' },
      location: { lat: 52.52, lon: 13.4 }, contact: { email: `desk-${id}@e2e.example` },
      manager: { name: 'Max', email: manager, password: PASSWORD },
    },
  });
  world.vendorId = created.vendor.id;
  world.managerEmail = manager;
  world.boss = await login(manager);
  const resource = await api('POST', `/vendor/${world.vendorId}/resource`, {
    token: world.boss,
    body: { name: 'Double room', capacity: 2, units: rooms.length, base_price: { amount_minor: 12900, currency: 'EUR' } },
  });
  world.resourceId = resource.id;
  for (const number of rooms) {
    await api('POST', `/vendor/${world.vendorId}/unit`, { token: world.boss, body: { resource_id: resource.id, number, floor: 1 } });
  }
  world.deskEmail = `desk-${id}@e2e.example`;
  world.keeperEmail = `keeper-${id}@e2e.example`;
  await api('POST', `/vendor/${world.vendorId}/staff`, { token: world.boss, body: { name: 'Dee', email: world.deskEmail, password: PASSWORD, role: 'desk' } });
  await api('POST', `/vendor/${world.vendorId}/staff`, { token: world.boss, body: { name: 'Kim', email: world.keeperEmail, password: PASSWORD, role: 'housekeeping' } });
  world.keeper = await login(world.keeperEmail);
  world.desk = await login(world.deskEmail);
  const guestEmail = `guest-${id}@e2e.example`;
  await api('POST', '/user/create', { body: { email: guestEmail, password: PASSWORD, name: 'Gita Guest', locale: 'en-GB' } });
  world.guest = (await api('POST', '/user/login', { body: { email: guestEmail, password: PASSWORD } })).access_token;
  const units = await api('GET', `/vendor/${world.vendorId}/units`, { token: world.keeper });
  world.unitIds = Object.fromEntries(units.units.map((u) => [u.number, u.id ?? u.unit_id]));
  return world;
}

/** A guest's online booking of the hotel's room type (2 guests), `nights` from `from` days on. */
export function guestBooking(world, { from = 0, nights = 2, token = world.guest } = {}) {
  return api('POST', `/booking/vendor/${world.vendorId}`, {
    token,
    body: { resource_id: world.resourceId, party_size: 2, check_in: day(from), check_out: day(from + nights) },
  });
}

/**
 * A Berlin restaurant with two table types, made through the API: "Two-top" (up to 2; tables T1
 * to T3, by the window and on the terrace) and "Family table" (up to 6; F1 and F2), both on the
 * default grid (30-minute slots, 90-minute seatings), with a manager, a desk member of staff and a
 * guest account. Returns their tokens and ids like makeHotel.
 */
export async function makeRestaurant({ tag = '' } = {}) {
  const id = `${unique}${tag}r`;
  const world = { tables: ['T1', 'T2', 'T3', 'F1', 'F2'] };
  const manager = `manager-${id}@e2e.example`;
  const created = await api('POST', '/vendor/create', {
    body: {
      kind: 'restaurant', name: `Restaurant E2E ${id}`, time_zone: 'Europe/Berlin', currency: 'EUR', cuisines: ['german'],
      address: { line1: 'Tischstrasse 2', postal_code: '10117', city: 'Berlin', country: 'DE' },
      location: { lat: 52.52, lon: 13.4 }, contact: { email: `table-${id}@e2e.example` },
      manager: { name: 'Mia', email: manager, password: PASSWORD },
    },
  });
  world.vendorId = created.vendor.id;
  world.boss = await login(manager);
  const type = (name, capacity) => api('POST', `/vendor/${world.vendorId}/resource`, {
    token: world.boss,
    body: { name, capacity, units: 1, base_price: { amount_minor: 1500, currency: 'EUR' } },
  });
  world.small = (await type('Two-top', 2)).id;
  world.large = (await type('Family table', 6)).id;
  const tables = [['T1', world.small, 2, 'window'], ['T2', world.small, 2, 'window'], ['T3', world.small, 2, 'terrace'],
    ['F1', world.large, 6, 'terrace'], ['F2', world.large, 6, 'terrace']];
  for (const [number, resource_id, seats, area] of tables) {
    await api('POST', `/vendor/${world.vendorId}/unit`, { token: world.boss, body: { resource_id, number, seats, area } });
  }
  world.deskEmail = `desk-${id}@e2e.example`;
  await api('POST', `/vendor/${world.vendorId}/staff`, { token: world.boss, body: { name: 'Dora', email: world.deskEmail, password: PASSWORD, role: 'desk' } });
  world.desk = await login(world.deskEmail);
  const guestEmail = `guest-${id}@e2e.example`;
  await api('POST', '/user/create', { body: { email: guestEmail, password: PASSWORD, name: 'Gustav Gast', locale: 'de-DE' } });
  world.guest = (await api('POST', '/user/login', { body: { email: guestEmail, password: PASSWORD } })).access_token;
  return world;
}

/** Tonight in Berlin: 20:00 today, or the next half hour but one when that has passed (tomorrow 20:00 after 23:00). */
export function tonight() {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date()).map((p) => [p.type, Number(p.value)]));
  const minutes = parts.hour * 60 + parts.minute;
  if (minutes < 19 * 60) return { date: day(0), time: '20:00' };
  if (minutes >= 23 * 60) return { date: day(1), time: '20:00' };
  const start = (Math.floor(minutes / 30) + 2) * 30;
  return { date: day(0), time: `${String(Math.floor(start / 60)).padStart(2, '0')}:${String(start % 60).padStart(2, '0')}` };
}

/** A guest's online seating at the restaurant's two-top (party of 2). */
export function guestSeating(world, { date, time } = tonight(), token = world.guest) {
  return api('POST', `/booking/vendor/${world.vendorId}`, {
    token,
    body: { resource_id: world.small, party_size: 2, date, time },
  });
}

/**
 * Debian's Chromium with the flags this machine needs, its own language `lang`: date inputs are
 * drawn in the browser's language (08.12.2026 in German), not the page's locale or `lang`, and
 * Chromium on Linux takes it from LANGUAGE (with chromium-l10n; without it, 12/08/2026).
 */
export async function launchBrowser({ lang = 'en-GB' } = {}) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    env: { ...process.env, LANGUAGE: lang.replace('-', '_') },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A page (in a new context) that records CSP violations and script errors, to be asserted empty. */
export async function openPage(browser, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, locale: 'en-GB' });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) page.problems.push(`CSP: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`script error: ${e.message}`));
  await page.goto(`${BASE}/desk/`);
  return page;
}

export async function signIn(page, email) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** axe-core, evaluated through the DevTools protocol (an injected script would break the CSP). */
export async function assertAccessible(page, screen) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => (await window.axe.run(document)).violations
    .map((v) => `${v.id} (${v.impact}): ${v.help}; ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`));
  assert.deepEqual(violations, [], `axe-core violations on ${screen}`);
}

/** The focused element's name as a keyboard user hears it (its label, aria-label or text). */
export const focusedName = (page) => page.evaluate(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return '';
  const label = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : '';
  return (label || el.getAttribute('aria-label') || el.textContent || '').trim();
});

/** Waits (up to 2 s) for focus to reach `name`, then asserts it: focus may move a frame after a click or key. */
export async function expectFocus(page, name, message) {
  let focused = await focusedName(page);
  for (let i = 0; i < 40 && focused !== name; i += 1) {
    await page.waitForTimeout(50);
    focused = await focusedName(page);
  }
  assert.equal(focused, name, message);
}

/** Presses Tab (at most 60 times) until the focused element's name is `name` (or matches it); keyboard only. */
export async function tabTo(page, name) {
  for (let i = 0; i < 60; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await focusedName(page);
    if (name instanceof RegExp ? name.test(focused) : focused === name) return;
  }
  assert.fail(`no focusable element named ${name} within 60 Tabs`);
}

/** Replaces the focused field's text by typing, as a keyboard would. */
export async function retype(page, text) {
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Backspace');
  if (text) await page.keyboard.type(text);
}

/** Berlin's wall clock now (`HH:MM`), where the test restaurant is. */
export const berlinClock = () =>
  new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date());

/**
 * Waits for the next half-hour slot when it begins within a minute: a seating at the next slot must
 * not have begun by the time it is sent (the server refuses a past start).
 */
export async function clearOfSlotStart() {
  const toSlot = 30 * 60_000 - (Date.now() % (30 * 60_000));
  if (toSlot < 60_000) {
    console.log(`waiting ${Math.round(toSlot / 1000)} s for the next slot to begin`);
    await new Promise((resolve) => setTimeout(resolve, toSlot + 1000));
  }
}

export const screenshot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

/** Waits until a housekeeping item's own text (its buttons left out) says `status`. */
export async function untilStatus(room, status) {
  const own = () => room.evaluate((el) => {
    const texts = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      if (!walker.currentNode.parentElement?.closest('button')) texts.push(walker.currentNode.textContent);
    }
    return texts.join(' ').toLowerCase();
  });
  const deadline = performance.now() + NEVER_MS;
  let text = await own();
  while (!new RegExp(`\\b${status}\\b`).test(text) && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    text = await own();
  }
  assert.match(text, new RegExp(`\\b${status}\\b`), `room status should read ${status}`);
}
