// The offline desk in a real browser (item 6 of issue 18): the board kept from IndexedDB and
// marked stale while the network is gone, walk-ins, check-ins and room statuses queued with their
// own idempotency keys, sent in order once back online, and what the server refuses shown as a
// conflict (never dropped, never oversold; a check-in queued after a refused walk-in follows it
// there unsent). Reloading while offline comes back from the service
// worker with the queue intact. Hotels, guests and the racing guest booking are made through the
// API (DESK_E2E_BASE_URL, set by tests/web.sh); what the server decided is read back through it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  NEVER_MS, api, assertAccessible, day, expectFocus, guestBooking, launchBrowser, makeHotel, openPage as open,
  screenshot, signIn, tabTo, untilStatus,
} from './lib.mjs';

let browser;
const openPage = (viewport) => open(browser, viewport);

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/**
 * How long a sync may take to start once the network is back, at most: the queue's back-off (2 s
 * doubling to a minute, web/src/offline/queue.ts) may be running when no 'online' event comes
 * (Chromium reports navigator.onLine true after a reload while offline), plus NEVER_MS.
 */
const SYNC_MS = 60_000 + NEVER_MS;

/** Statuses that hold a night (the counters and the rooms). */
const HOLDING = new Set(['HELD', 'CONFIRMED', 'CHECKED_IN']);

/**
 * The app's own string tables (web/src/i18n.ts), read as text: the German screen is checked
 * against what the app says it should read, not against copies of its strings.
 */
function dictionaries() {
  const source = readFileSync(new URL('../src/i18n.ts', import.meta.url), 'utf8');
  const table = (name) => {
    const start = source.indexOf(`const ${name}`);
    const body = source.slice(start, source.indexOf('\n};', start));
    const entries = new Map();
    for (const m of body.matchAll(/^\s*'([^']+)':\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"),?\s*$/gm)) {
      entries.set(m[1], (m[2] ?? m[3]).replace(/\\(.)/g, '$1'));
    }
    return entries;
  };
  const en = table('en');
  const de = table('de');
  /** The German texts (escaped for a RegExp) of every key whose English text is exactly `english`. */
  const german = (english) => {
    const found = [...en].filter(([, v]) => v === english).map(([k]) => de.get(k)).filter(Boolean)
      .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    assert.ok(found.length > 0, `the app's English table has "${english}" with a German text`);
    return found;
  };
  return { german };
}

/** A second room type (two guests) with its rooms, so a sold-out walk-in can choose another. */
async function addRoomType(world, name, rooms) {
  const resource = await api('POST', `/vendor/${world.vendorId}/resource`, {
    token: world.boss,
    body: { name, capacity: 2, units: rooms.length, base_price: { amount_minor: 9900, currency: 'EUR' } },
  });
  for (const number of rooms) {
    await api('POST', `/vendor/${world.vendorId}/unit`, { token: world.boss, body: { resource_id: resource.id, number, floor: 2 } });
  }
  return resource.id;
}

/** Waits until the page's service worker is active (else a reload offline has nothing to come back from). */
async function serviceWorkerActive(page) {
  const state = await page.evaluate(async (ms) => {
    if (!('serviceWorker' in navigator)) return 'unsupported';
    const ready = navigator.serviceWorker.ready.then((r) => r.active?.state ?? 'none');
    return Promise.race([ready, new Promise((resolve) => setTimeout(() => resolve('not registered in time'), ms))]);
  }, NEVER_MS);
  assert.equal(state, 'activated', 'the desk app registers a service worker that activates');
}

/** The vendor's bookings arriving on `date` (the desk's list), every page. */
async function bookingsArriving(world, date) {
  const items = [];
  let cursor;
  do {
    const q = new URLSearchParams({ from: date, to: date, limit: '100' });
    if (cursor) q.set('cursor', cursor);
    const page = await api('GET', `/bookings/vendor/${world.vendorId}?${q}`, { token: world.desk });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

/** A walk-in through the board's form, for tonight, of `type`: while offline its last button queues it. */
async function walkIn(page, { name, type, nights = '1', party = '2' }) {
  await page.getByRole('button', { name: /^(New booking|Walk-in)$/ }).click();
  const form = page.getByTestId('walk-in');
  await form.getByRole('heading', { name: /Step 1 of 3/ }).waitFor();
  await form.getByLabel('Check-in', { exact: true }).fill(day(0));
  await form.getByLabel('Nights', { exact: true }).fill(nights);
  await form.getByLabel('Guests', { exact: true }).fill(party);
  // Offline the free counts come from the saved board: the type is offered, not refused.
  const offer = form.getByRole('radio', { name: new RegExp(`^${type}\\b`) });
  await offer.waitFor({ timeout: NEVER_MS });
  await offer.check();
  await form.locator('button[type="submit"]').click();
  await form.getByRole('heading', { name: /Step 2 of 3/ }).waitFor();
  await form.getByLabel('Guest name').fill(name);
  await form.locator('button[type="submit"]').click();
  await form.getByRole('heading', { name: /Step 3 of 3/ }).waitFor();
  await form.locator('button[type="submit"]').click();
}

/** The queued walk-in of `name` in the pending list; returns its action id. */
async function pendingWalkIn(page, name) {
  const item = page.getByTestId('pending-list').locator('[data-testid^="pending-"]').filter({ hasText: name });
  await item.waitFor({ timeout: NEVER_MS });
  const id = (await item.getAttribute('data-testid')).slice('pending-'.length);
  assert.ok(id.length > 0, 'the pending item names its action');
  return id;
}

/** The conflicts button is gone (or counts none), once the desk has read its conflicts. */
async function noConflicts(page) {
  const button = page.getByTestId('conflicts-button');
  const deadline = performance.now() + NEVER_MS;
  while ((await button.count()) > 0 && !/\(0\)/.test(await button.textContent()) && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (await button.count()) assert.match(await button.textContent(), /\(0\)/, 'no conflicts');
}

const pendingCount = (page, n) => page.getByTestId('pending-count').filter({ hasText: new RegExp(`^\\s*${n} pending\\s*$`) });

/** Opens a bar's detail and presses Check in (offline: queued), then closes the detail. */
async function checkInFromDetail(page, bookingId, guest) {
  await page.getByTestId(`booking-${bookingId}`).click();
  const detail = page.getByTestId('booking-detail');
  await detail.getByRole('heading', { name: new RegExp(guest) }).waitFor({ timeout: NEVER_MS });
  await detail.getByRole('button', { name: 'Check in', exact: true }).click();
  await detail.getByRole('button', { name: 'Close', exact: true }).click();
  await detail.waitFor({ state: 'detached' });
}

/** Discard asks first: Keep keeps the conflict; Discard again and "Yes, discard" removes it. */
async function discard(page, conflict) {
  const ask = page.getByRole('alertdialog');
  await conflict.getByRole('button', { name: 'Discard', exact: true }).click();
  await ask.waitFor();
  assert.match(await ask.textContent(), /Discard this action for good\?/);
  await ask.getByRole('button', { name: 'Keep', exact: true }).click();
  await ask.waitFor({ state: 'detached' });
  await conflict.waitFor();
  await conflict.getByRole('button', { name: 'Discard', exact: true }).click();
  await ask.getByRole('button', { name: 'Yes, discard', exact: true }).click();
  await conflict.waitFor({ state: 'detached', timeout: NEVER_MS });
}

test('offline, the desk queues a walk-in and a check-in; a guest takes the last room meanwhile; back online the check-in syncs, the walk-in is a sold-out conflict, nothing is oversold', async () => {
  // Two double rooms: the guest's booking for tonight holds one, so one is left. A single room
  // type (one room) is the other type a sold-out walk-in can choose.
  const world = await makeHotel({ rooms: ['101', '102'], tag: 'race' });
  world.singleId = await addRoomType(world, 'Single room', ['201']);
  const guest = await guestBooking(world, { from: 0, nights: 1 });
  assert.equal(guest.status, 'CONFIRMED', 'a type without a deposit confirms at once');
  const stored = await api('GET', `/booking/${guest.id}`, { token: world.desk });

  const page = await openPage();
  await signIn(page, world.deskEmail);
  await page.getByRole('grid', { name: 'Room board' }).waitFor();
  await page.getByTestId(`booking-${guest.id}`).waitFor({ timeout: NEVER_MS });
  await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor({ timeout: NEVER_MS });

  // The network goes: the board stays, marked offline and stale.
  await page.context().setOffline(true);
  await page.getByTestId('live-status').filter({ hasText: 'Offline' }).waitFor({ timeout: NEVER_MS });
  await page.getByTestId('stale-notice').filter({ hasText: /^Offline: showing the board as of / }).waitFor({ timeout: NEVER_MS });
  await page.getByTestId(`booking-${guest.id}`).waitFor();
  assert.equal(await page.getByTestId('pending-count').count(), 0, 'nothing queued yet: no pending count');

  // A walk-in for tonight, queued; then the guest's check-in from its detail, queued.
  await walkIn(page, { name: 'Walter Offline', type: 'Double room' });
  await pendingCount(page, 1).waitFor({ timeout: NEVER_MS });
  const walter = await pendingWalkIn(page, 'Walter Offline');
  await checkInFromDetail(page, guest.id, stored.guest_name ?? 'Gita Guest');
  await pendingCount(page, 2).waitFor({ timeout: NEVER_MS });
  await page.getByTestId(`booking-${guest.id}`).filter({ hasText: 'Check-in pending' }).waitFor({ timeout: NEVER_MS });
  // The queued walk-in is not shown as a taken room: the server has not decided.
  assert.equal(await page.getByRole('grid', { name: 'Room board' }).getByText('Walter Offline').count(), 0);
  // A second walk-in for the same night (the Retry and "Choose another type" below).
  await walkIn(page, { name: 'Wanda Offline', type: 'Double room' });
  await pendingCount(page, 3).waitFor({ timeout: NEVER_MS });
  const wanda = await pendingWalkIn(page, 'Wanda Offline');
  // Walter's check-in, queued to follow his walk-in: it waits on it (and fails with it).
  await page.getByTestId(`pending-${walter}`).getByRole('button', { name: 'Queue check-in', exact: true }).click();
  await pendingCount(page, 4).waitFor({ timeout: NEVER_MS });
  const walterCheckInItem = page.getByTestId('pending-list').locator('[data-testid^="pending-"]').filter({ hasText: 'Check-in: Walter Offline' });
  const walterCheckIn = (await walterCheckInItem.getAttribute('data-testid')).slice('pending-'.length);
  await assertAccessible(page, 'offline board with the pending list');
  await screenshot(page, 'board-offline');
  // Nothing was sent while offline.
  assert.equal((await api('GET', `/booking/${guest.id}`, { token: world.desk })).status, 'CONFIRMED');

  // Meanwhile a guest books the last double room online.
  const last = await guestBooking(world, { from: 0, nights: 1 });
  assert.equal(last.status, 'CONFIRMED');

  // Back online: the queue goes in order, each action with its own key; the server decides.
  const sends = [];
  page.on('request', (r) => {
    if (r.method() === 'GET') return;
    const path = new URL(r.url()).pathname;
    if (path === `/booking/vendor/${world.vendorId}`) sends.push({ what: `walk-in ${r.postDataJSON()?.guest?.name}`, key: r.headers()['idempotency-key'] });
    else if (path === `/booking/${guest.id}/check-in`) sends.push({ what: 'check-in', key: r.headers()['idempotency-key'] });
  });
  const back = performance.now();
  await page.context().setOffline(false);
  await page.getByTestId('pending-count').waitFor({ state: 'detached', timeout: NEVER_MS });
  console.log(`the queue of 4 was sent ${Math.round(performance.now() - back)} ms after the network came back`);
  await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor({ timeout: NEVER_MS });
  // In the order queued, once each; Walter's check-in is never sent (his walk-in was refused).
  assert.deepEqual(sends.map((x) => x.what), ['walk-in Walter Offline', 'check-in', 'walk-in Wanda Offline'], 'sent in the order queued, once each');
  assert.equal(new Set(sends.map((x) => x.key).filter(Boolean)).size, 3, `each with its own Idempotency-Key: ${JSON.stringify(sends)}`);
  const checkedIn = await api('GET', `/booking/${guest.id}`, { token: world.desk });
  assert.equal(checkedIn.status, 'CHECKED_IN', 'the queued check-in synced');
  assert.ok(['101', '102'].includes(checkedIn.unit?.number), `checked in to a double room: ${checkedIn.unit?.number}`);
  // Then the board pulls the change feed: the guest's bar moves to the room it was given.
  await page.getByTestId(`unit-${checkedIn.unit.number}`).getByTestId(`booking-${guest.id}`).waitFor({ timeout: NEVER_MS });
  console.log(`the checked-in guest showed in room ${checkedIn.unit.number} on the board ${Math.round(performance.now() - back)} ms after the network came back`);

  // Both walk-ins are conflicts, sold out, in the conflicts list, and Walter's check-in with his.
  const button = page.getByTestId('conflicts-button');
  await button.filter({ hasText: /^\s*Conflicts \(3\)\s*$/ }).waitFor({ timeout: NEVER_MS });
  await button.click();
  const list = page.getByRole('region', { name: 'Conflicts' });
  await list.getByRole('heading', { level: 2, name: 'Conflicts' }).waitFor();
  const walterConflict = list.getByTestId(`conflict-${walter}`);
  const wandaConflict = list.getByTestId(`conflict-${wanda}`);
  for (const [conflict, name] of [[walterConflict, 'Walter Offline'], [wandaConflict, 'Wanda Offline']]) {
    await conflict.filter({ hasText: name }).filter({ hasText: 'Sold out' }).waitFor({ timeout: NEVER_MS });
    for (const way of ['Retry', 'Discard', 'Choose another type']) {
      await conflict.getByRole('button', { name: way, exact: true }).waitFor();
    }
  }
  const walterCheckInConflict = list.getByTestId(`conflict-${walterCheckIn}`);
  await walterCheckInConflict.filter({ hasText: 'Walter Offline' }).filter({ hasText: 'Depends on a walk-in that failed' }).waitFor();
  // Its walk-in has no booking: Retry could only fail again, so it is not offered; Discard is.
  await walterCheckInConflict.getByRole('button', { name: 'Discard', exact: true }).waitFor();
  assert.equal(await walterCheckInConflict.getByRole('button', { name: 'Retry', exact: true }).count(), 0, 'no Retry on a check-in whose walk-in failed');
  await assertAccessible(page, 'conflicts list');
  await screenshot(page, 'conflicts');

  // No oversell: the counters say no double room is left tonight, and the bookings holding
  // tonight's double rooms are at most the rooms, none of them a walk-in.
  const offers = (await api('GET', `/vendor/${world.vendorId}/availability?party_size=2&check_in=${day(0)}&check_out=${day(1)}`, { token: world.desk })).items;
  const double = offers.find((o) => o.resource_id === world.resourceId);
  assert.equal(double?.units_left, 0, `the double rooms are sold out tonight: ${JSON.stringify(double)}`);
  const tonight = (await bookingsArriving(world, day(0))).filter((b) => b.resource_id === world.resourceId && HOLDING.has(b.status));
  assert.ok(tonight.length <= world.rooms.length, `${tonight.length} bookings hold ${world.rooms.length} double rooms tonight`);
  assert.deepEqual(tonight.map((b) => b.id).sort(), [guest.id, last.id].sort(), 'only the guests hold them');
  assert.equal(tonight.filter((b) => b.channel === 'walk_in' || b.desk_guest).length, 0, 'no walk-in holds one');

  // In German: the list's labels and the reason are translated.
  const { german } = dictionaries();
  await page.getByLabel('Language').selectOption('de');
  // The region keeps its English name (a stable selector, as the board's grid) or is translated.
  const listDe = page.getByRole('region', { name: new RegExp(`^(Conflicts|${german('Conflicts').join('|')})$`) });
  await listDe.getByRole('heading', { level: 2, name: new RegExp(`^(${german('Conflicts').join('|')})$`) }).waitFor();
  const walterDe = listDe.getByTestId(`conflict-${walter}`);
  await walterDe.filter({ hasText: new RegExp(german('Sold out').join('|')) }).waitFor();
  for (const way of ['Retry', 'Discard', 'Choose another type']) {
    await walterDe.getByRole('button', { name: new RegExp(`^(${german(way).join('|')})$`) }).waitFor();
  }
  assert.equal(await walterDe.getByText('Sold out').count(), 0, 'no English reason left in German');
  await assertAccessible(page, 'conflicts list (de)');
  await page.getByLabel('Language').selectOption('en');
  await list.getByRole('heading', { level: 2, name: 'Conflicts' }).waitFor();

  // Retry: sent again with the same key, the server decides again, and it is still sold out.
  const retried = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes(`/booking/vendor/${world.vendorId}`), { timeout: NEVER_MS });
  await wandaConflict.getByRole('button', { name: 'Retry', exact: true }).click();
  assert.equal((await retried).status(), 409, 'the retried walk-in is refused by the server');
  assert.deepEqual(sends.at(-1), { what: 'walk-in Wanda Offline', key: sends[2].key }, 'a retry keeps the idempotency key');
  await wandaConflict.filter({ hasText: 'Wanda Offline' }).filter({ hasText: 'Sold out' }).waitFor({ timeout: NEVER_MS });
  await page.getByTestId('pending-count').waitFor({ state: 'detached', timeout: NEVER_MS });

  // Discard (after its confirmation) removes it for good: Walter's check-in, then his walk-in.
  await discard(page, walterCheckInConflict);
  await button.filter({ hasText: /^\s*Conflicts \(2\)\s*$/ }).waitFor({ timeout: NEVER_MS });
  await discard(page, walterConflict);
  await button.filter({ hasText: /^\s*Conflicts \(1\)\s*$/ }).waitFor({ timeout: NEVER_MS });
  assert.equal(await list.locator('[data-testid^="conflict-"]').filter({ hasText: 'Walter Offline' }).count(), 0);

  // "Choose another type" opens the walk-in form with the guest, the night and the party.
  await wandaConflict.getByRole('button', { name: 'Choose another type', exact: true }).click();
  const form = page.getByTestId('walk-in');
  await form.getByRole('heading', { name: /Step 1 of 3/ }).waitFor({ timeout: NEVER_MS });
  assert.equal(await form.getByLabel('Check-in', { exact: true }).inputValue(), day(0));
  assert.equal(await form.getByLabel('Nights', { exact: true }).inputValue(), '1');
  assert.equal(await form.getByLabel('Guests', { exact: true }).inputValue(), '2');
  const single = form.getByRole('radio', { name: /^Single room\b/ });
  await single.waitFor({ timeout: NEVER_MS });
  assert.equal(await form.getByRole('radio', { name: /^Double room\b/ }).isDisabled(), true, 'the double rooms are offered as sold out');
  await single.check();
  await form.locator('button[type="submit"]').click();
  await form.getByRole('heading', { name: /Step 2 of 3/ }).waitFor();
  assert.equal(await form.getByLabel('Guest name').inputValue(), 'Wanda Offline');
  await form.locator('button[type="submit"]').click();
  await form.getByRole('heading', { name: /Step 3 of 3/ }).waitFor();
  await form.locator('button[type="submit"]').click();
  await page.getByTestId('walk-in-note').filter({ hasText: 'Booked: Wanda Offline' }).waitFor({ timeout: NEVER_MS });
  const wandas = (await bookingsArriving(world, day(0))).filter((b) => b.desk_guest?.name === 'Wanda Offline');
  assert.deepEqual(wandas.map((b) => [b.resource_id, b.status]), [[world.singleId, 'CONFIRMED']], 'booked once, in the single room');
  // Rebooked, the conflict is resolved; discarded, Walter's never comes back (not after a reload either).
  await noConflicts(page);
  await page.reload();
  await page.getByRole('grid', { name: 'Room board' }).waitFor({ timeout: NEVER_MS });
  await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor({ timeout: NEVER_MS });
  await noConflicts(page);
  assert.equal(await page.getByTestId('pending-count').count(), 0);

  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a reload while offline comes back from the service worker with the saved board and the queue; back online both sync once', async () => {
  const world = await makeHotel({ rooms: ['101', '102', '103'], tag: 'reload' });
  const guest = await guestBooking(world, { from: 0, nights: 1 });
  // Room 103 starts dirty, for the housekeeper to clean offline.
  await api('PUT', `/vendor/${world.vendorId}/unit/${world.unitIds['103']}/housekeeping`, { token: world.keeper, body: { status: 'dirty' } });

  const desk = await openPage();
  await signIn(desk, world.deskEmail);
  await desk.getByTestId(`booking-${guest.id}`).waitFor({ timeout: NEVER_MS });
  await desk.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor({ timeout: NEVER_MS });
  await serviceWorkerActive(desk);
  // The room-status buttons are the housekeeper's (her phone, a browser of its own).
  const phone = await openPage({ width: 390, height: 844 });
  await signIn(phone, world.keeperEmail);
  const room = phone.getByTestId('hk-unit-103');
  await room.waitFor({ timeout: NEVER_MS });
  await untilStatus(room, 'dirty');
  await serviceWorkerActive(phone);

  // Offline: the desk queues a walk-in and a check-in, the housekeeper reports room 103 clean.
  await desk.context().setOffline(true);
  await phone.context().setOffline(true);
  await desk.getByTestId('live-status').filter({ hasText: 'Offline' }).waitFor({ timeout: NEVER_MS });
  await walkIn(desk, { name: 'Rita Reload', type: 'Double room' });
  await pendingCount(desk, 1).waitFor({ timeout: NEVER_MS });
  const rita = await pendingWalkIn(desk, 'Rita Reload');
  await checkInFromDetail(desk, guest.id, 'Gita Guest');
  await pendingCount(desk, 2).waitFor({ timeout: NEVER_MS });
  await room.getByRole('button', { name: 'Clean', exact: true }).click();
  await pendingCount(phone, 1).waitFor({ timeout: NEVER_MS });
  await room.getByText('clean pending').waitFor();

  // Reload, still offline: the app comes back from the service worker, with the board as saved
  // (marked stale) and the queue.
  await desk.reload();
  await desk.getByRole('grid', { name: 'Room board' }).waitFor({ timeout: NEVER_MS });
  assert.ok(await desk.evaluate(() => navigator.serviceWorker.controller !== null), 'the page came from the service worker');
  await desk.getByTestId('live-status').filter({ hasText: 'Offline' }).waitFor({ timeout: NEVER_MS });
  await desk.getByTestId('stale-notice').filter({ hasText: /^Offline: showing the board as of / }).waitFor({ timeout: NEVER_MS });
  await pendingCount(desk, 2).waitFor({ timeout: NEVER_MS });
  assert.equal(await pendingWalkIn(desk, 'Rita Reload'), rita, 'the same queued action after the reload');
  await desk.getByTestId(`booking-${guest.id}`).filter({ hasText: 'Check-in pending' }).waitFor({ timeout: NEVER_MS });
  await assertAccessible(desk, 'offline board after a reload');
  await phone.reload();
  await phone.getByRole('heading', { level: 1, name: 'Housekeeping' }).waitFor({ timeout: NEVER_MS });
  await phone.getByTestId('hk-unit-103').waitFor({ timeout: NEVER_MS });
  await pendingCount(phone, 1).waitFor({ timeout: NEVER_MS });
  await phone.getByTestId('hk-unit-103').getByText('clean pending').waitFor();
  await phone.getByTestId('stale-notice').waitFor();
  await assertAccessible(phone, 'offline housekeeping after a reload');

  // The walk-in's first answer is lost on the way back (the server made the booking, the desk
  // never heard): the desk must send it again with the same key, and the server answer the same.
  const sent = [];
  let back;
  await desk.route(`**/booking/vendor/${world.vendorId}`, async (route) => {
    const request = route.request();
    if (request.method() !== 'POST') return route.fallback();
    const key = request.headers()['idempotency-key'];
    const at = Math.round(performance.now() - back);
    if (sent.length === 0) {
      const answer = await route.fetch();
      sent.push({ key, at, status: answer.status() });
      return route.abort('connectionreset');
    }
    sent.push({ key, at });
    return route.fallback();
  });

  back = performance.now();
  await desk.context().setOffline(false);
  await phone.context().setOffline(false);
  await desk.getByTestId('pending-count').waitFor({ state: 'detached', timeout: SYNC_MS });
  console.log(`the desk's queue of 2 was sent ${Math.round(performance.now() - back)} ms after the network came back (its first answer lost)`);
  await phone.getByTestId('pending-count').waitFor({ state: 'detached', timeout: SYNC_MS });
  console.log(`the housekeeper's report was sent ${Math.round(performance.now() - back)} ms after the network came back`);

  console.log(`the walk-in was sent at ${sent.map((s) => `${s.at} ms`).join(', ')} after the network came back`);
  const ritas = (await bookingsArriving(world, day(0))).filter((b) => b.desk_guest?.name === 'Rita Reload');
  assert.equal(ritas.length, 1, `the walk-in exists exactly once: ${JSON.stringify(ritas.map((b) => b.id))}`);
  assert.ok(sent.length >= 2, `the walk-in was sent again after its answer was lost: ${JSON.stringify(sent)}`);
  assert.ok(sent[0].status >= 200 && sent[0].status < 300, `the first send was booked by the server: ${JSON.stringify(sent)}`);
  assert.ok(sent[0].key, 'the walk-in carries an Idempotency-Key');
  assert.ok(sent.every((s) => s.key === sent[0].key), `every send has the same key: ${JSON.stringify(sent)}`);
  console.log(`the queued walk-in is ${ritas[0].status} (channel ${ritas[0].channel})`);
  assert.equal((await api('GET', `/booking/${guest.id}`, { token: world.desk })).status, 'CHECKED_IN');
  const units = await api('GET', `/vendor/${world.vendorId}/units`, { token: world.keeper });
  const unit = units.units.find((u) => u.number === '103');
  assert.equal(unit?.housekeeping ?? unit?.status, 'clean', JSON.stringify(unit));
  await untilStatus(phone.getByTestId('hk-unit-103'), 'clean');
  await noConflicts(desk);

  assert.deepEqual(desk.problems, []);
  assert.deepEqual(phone.problems, []);
  await desk.context().close();
  await phone.context().close();
});

test('queued check-ins the server refuses: a booking cancelled meanwhile is "The booking changed", no clean room left is "Room taken"; Choose another room opens the booking', async () => {
  const world = await makeHotel({ rooms: ['101', '102'], tag: 'changed' });
  const cancelled = await guestBooking(world, { from: 0, nights: 1 });
  const waiting = await guestBooking(world, { from: 0, nights: 1 });

  const page = await openPage();
  await signIn(page, world.deskEmail);
  await page.getByTestId(`booking-${waiting.id}`).waitFor({ timeout: NEVER_MS });
  await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor({ timeout: NEVER_MS });
  await page.context().setOffline(true);
  await page.getByTestId('live-status').filter({ hasText: 'Offline' }).waitFor({ timeout: NEVER_MS });
  await checkInFromDetail(page, cancelled.id, 'Gita Guest');
  await checkInFromDetail(page, waiting.id, 'Gita Guest');
  await pendingCount(page, 2).waitFor({ timeout: NEVER_MS });
  for (const id of [cancelled.id, waiting.id]) {
    await page.getByTestId(`booking-${id}`).filter({ hasText: 'Check-in pending' }).waitFor();
  }
  const queued = await page.getByTestId('pending-list').locator('[data-testid^="pending-"]').evaluateAll((items) => items.map((el) => el.dataset.testid.slice('pending-'.length)));
  assert.equal(queued.length, 2, 'two check-ins in the pending list');

  // Meanwhile: the first booking is cancelled, and both rooms are reported dirty.
  await api('PUT', `/booking/${cancelled.id}/status`, { token: world.desk, body: { status: 'CANCELLED' } });
  for (const number of world.rooms) {
    await api('PUT', `/vendor/${world.vendorId}/unit/${world.unitIds[number]}/housekeeping`, { token: world.keeper, body: { status: 'dirty' } });
  }

  const back = performance.now();
  await page.context().setOffline(false);
  const button = page.getByTestId('conflicts-button');
  await button.filter({ hasText: /^\s*Conflicts \(2\)\s*$/ }).waitFor({ timeout: NEVER_MS });
  console.log(`both check-ins were refused and listed ${Math.round(performance.now() - back)} ms after the network came back`);
  await page.getByTestId('pending-count').waitFor({ state: 'detached', timeout: NEVER_MS });
  await button.click();
  const list = page.getByRole('region', { name: 'Conflicts' });
  const [changed, noRoom] = queued.map((id) => list.getByTestId(`conflict-${id}`));
  await changed.filter({ hasText: 'The booking changed' }).waitFor();
  await noRoom.filter({ hasText: 'Room taken' }).waitFor();
  assert.equal((await api('GET', `/booking/${cancelled.id}`, { token: world.desk })).status, 'CANCELLED');
  assert.equal((await api('GET', `/booking/${waiting.id}`, { token: world.desk })).status, 'CONFIRMED', 'never put in a dirty room');
  await assertAccessible(page, 'conflicts list with check-ins');

  // Choose another room: the booking opens; once a room is clean, the desk checks the guest in there.
  await noRoom.getByRole('button', { name: 'Choose another room', exact: true }).click();
  const detail = page.getByTestId('booking-detail');
  await detail.getByRole('heading', { name: /Gita Guest/ }).waitFor({ timeout: NEVER_MS });
  await api('PUT', `/vendor/${world.vendorId}/unit/${world.unitIds['102']}/housekeeping`, { token: world.keeper, body: { status: 'clean' } });
  await detail.getByRole('button', { name: 'Check in', exact: true }).click();
  await page.getByTestId('detail-note').filter({ hasText: 'Checked in: room 102' }).waitFor({ timeout: NEVER_MS });
  const stored = await api('GET', `/booking/${waiting.id}`, { token: world.desk });
  assert.deepEqual([stored.status, stored.unit?.number], ['CHECKED_IN', '102']);
  await detail.getByRole('button', { name: 'Close', exact: true }).click();
  await detail.waitFor({ state: 'detached' });

  // The conflicts stay until the desk says so; with the keyboard alone: the list from the top
  // bar, Discard, the question's Keep focused, back to "Yes, discard", then Escape closes the list.
  await button.filter({ hasText: /^\s*Conflicts \(2\)\s*$/ }).waitFor();
  await tabTo(page, 'Conflicts (2)');
  await page.keyboard.press('Enter');
  await list.waitFor();
  await expectFocus(page, 'Conflicts', 'the list opens with its heading focused');
  for (const [conflict, left] of [[changed, 1], [noRoom, 0]]) {
    await tabTo(page, 'Discard');
    await page.keyboard.press('Enter');
    await page.getByRole('alertdialog').waitFor();
    await expectFocus(page, 'Keep', 'the question focuses Keep, the safe answer');
    await page.keyboard.press('Shift+Tab');
    await expectFocus(page, 'Yes, discard', 'Shift+Tab from Keep reaches the discard button');
    await page.keyboard.press('Enter');
    await conflict.waitFor({ state: 'detached', timeout: NEVER_MS });
    assert.equal(await list.locator('[data-testid^="conflict-"]').count(), left);
    await expectFocus(page, 'Conflicts', 'focus back on the list, not lost');
  }
  await page.keyboard.press('Escape');
  await list.waitFor({ state: 'detached' });
  await noConflicts(page);
  await expectFocus(page, 'Board', 'the list closed, focus on the page heading');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('signing out with a queue asks first; the queue stays on the device and is sent after the next sign-in', async () => {
  const world = await makeHotel({ rooms: ['101', '102'], tag: 'signout' });
  const page = await openPage();
  await signIn(page, world.deskEmail);
  await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor({ timeout: NEVER_MS });
  await page.context().setOffline(true);
  await page.getByTestId('live-status').filter({ hasText: 'Offline' }).waitFor({ timeout: NEVER_MS });
  await walkIn(page, { name: 'Otto Signout', type: 'Double room' });
  await pendingCount(page, 1).waitFor({ timeout: NEVER_MS });

  // Sign out asks (the browser's confirm, naming what is not sent); No keeps the desk signed in.
  const asked = [];
  const answer = (accept) => page.once('dialog', (d) => {
    asked.push(d.message());
    void (accept ? d.accept() : d.dismiss());
  });
  answer(false);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await pendingCount(page, 1).waitFor();
  await page.getByRole('grid', { name: 'Room board' }).waitFor();
  answer(true);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal(asked.length, 2, 'asked each time');
  assert.match(asked[0], /^1 actions? (is|are) not sent yet/);

  // Back online and signed in again: the queued walk-in is sent, once.
  await page.context().setOffline(false);
  await signIn(page, world.deskEmail);
  await page.getByRole('grid', { name: 'Room board' }).waitFor({ timeout: NEVER_MS });
  await page.getByTestId('pending-count').waitFor({ state: 'detached', timeout: SYNC_MS });
  const ottos = (await bookingsArriving(world, day(0))).filter((b) => b.desk_guest?.name === 'Otto Signout');
  assert.deepEqual(ottos.map((b) => b.status), ['CONFIRMED'], 'the walk-in queued before the sign-out is booked once');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
