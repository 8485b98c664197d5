// The restaurant board in a real browser: tables x the day's slots, live through the change feed,
// a keyboard-only walk-in seated at once and then leaving, axe on the board and the walk-in form,
// and the German locale. A Berlin restaurant with two table types and five tables, a desk member
// of staff and a guest's online seating for tonight are made through the API first.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ARTIFACTS, NEVER_MS, api, assertAccessible, berlinClock, clearOfSlotStart, day, guestSeating, launchBrowser, makeRestaurant,
  openPage as open, retype, screenshot, signIn, tabTo, tonight, words,
} from './lib.mjs';

let world = {};
let browser;
const openPage = (viewport) => open(browser, viewport);

before(async () => {
  world = await makeRestaurant();
  world.when = tonight();
  world.seating = await guestSeating(world, world.when);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** Shows the seating's day on the board (it is today unless the test runs after 23:00). */
async function showDay(page, date) {
  const chooser = page.getByLabel('Day', { exact: true });
  if ((await chooser.inputValue()) !== date) await chooser.fill(date);
}

test('the table board shows the tables by slot, a guest online seating, and a new one live; German with 24-hour times', async () => {
  const page = await openPage();
  await signIn(page, world.deskEmail);
  await page.getByRole('heading', { level: 1, name: 'Board' }).waitFor();
  const grid = page.getByRole('grid', { name: 'Table board' });
  await grid.waitFor();
  assert.equal(await page.getByLabel('Day', { exact: true }).inputValue(), day(0), 'today in the vendor zone by default');
  for (const number of world.tables) await page.getByTestId(`unit-${number}`).waitFor();
  await showDay(page, world.when.date);

  const bar = page.getByTestId(`booking-${world.seating.id}`);
  await bar.waitFor({ timeout: NEVER_MS });
  const stored = await api('GET', `/booking/${world.seating.id}`, { token: world.desk });
  const text = words(await bar.textContent());
  for (const part of [stored.guest_name, stored.status, stored.channel, '2 guests']) {
    assert.ok(text.includes(words(part)), `"${part}" in "${text}"`);
  }
  // Not in a table yet: in its type's unassigned lane, and the screen reader hears when and who.
  await page.getByTestId(`unassigned-${world.small}`).getByTestId(`booking-${world.seating.id}`).waitFor();
  assert.match(await bar.getAttribute('aria-label'), new RegExp(`^No table yet, ${world.when.time}: Gustav Gast, 2 guests, (Confirmed|Held), Online$`));
  // One column per slot, the seating's start among them; the free two-tops drop from 3 to 2 there.
  const headers = await grid.locator('thead th').allTextContents();
  const col = headers.indexOf(world.when.time) - 1;
  assert.ok(col >= 0, `a column for ${world.when.time} in ${headers.join(' ')}`);
  assert.equal(await page.getByTestId(`free-${world.small}-${col}`).textContent(), '2');
  assert.equal(await page.getByTestId(`free-${world.large}-${col}`).textContent(), '2');
  await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor({ timeout: NEVER_MS });
  await assertAccessible(page, 'table board');
  await screenshot(page, 'table-board');

  // Another guest seating while the board is open: it comes through the change feed.
  const started = performance.now();
  const booked = await guestSeating(world, world.when);
  await page.getByTestId(`booking-${booked.id}`).waitFor({ timeout: NEVER_MS });
  console.log(`a guest's seating showed on the table board ${Math.round(performance.now() - started)} ms after the API answered (target: 2000 ms)`);
  await page.getByTestId(`free-${world.small}-${col}`).filter({ hasText: /^1$/ }).waitFor({ timeout: NEVER_MS });

  // German: the heading, the grid's labels, and times on a 24-hour clock.
  await page.getByLabel('Language').selectOption('de');
  await page.getByRole('heading', { level: 1, name: 'Belegung' }).waitFor();
  await page.getByLabel('Tag', { exact: true }).waitFor();
  const de = await grid.locator('thead th').allTextContents();
  assert.equal(de[0], 'Tisch');
  assert.ok(de.slice(1).every((h) => /^([01]\d|2[0-3]):[0-5]\d$/.test(h)), `24-hour columns: ${de.join(' ')}`);
  assert.ok(de.includes(world.when.time));
  assert.match(words(await bar.textContent()), /2 pers\./);
  await assertAccessible(page, 'table board (de)');
  await screenshot(page, 'table-board-de');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

/** The desk on the table board, for a party arriving now; none (the test skipped) when no slot is left today. */
async function deskForPartyNow(t) {
  const berlin = berlinClock();
  if (berlin >= '23:29') {
    t.skip(`no slot is left today in Berlin (${berlin}) for a party arriving now`);
    return undefined;
  }
  const page = await openPage();
  await signIn(page, world.deskEmail);
  await page.getByRole('grid', { name: 'Table board' }).waitFor();
  return page;
}

test('a party of 2 walks in: booked and seated with the keyboard alone at a two-top, then leaves and the table is free again', async (t) => {
  const page = await deskForPartyNow(t);
  if (!page) return;

  // The form offers the next slot; a slot beginning while the test types would be refused as past
  // (the form would go back to its time field), so the test starts at least a minute before one.
  await clearOfSlotStart();

  // Step 1: the party and the time (the next slot today), with what is free per table type.
  await tabTo(page, 'Walk-in');
  await page.keyboard.press('Enter');
  const form = page.getByTestId('walk-in');
  await form.getByRole('heading', { name: /Step 1 of 3/ }).waitFor();
  await tabTo(page, 'Party size');
  await retype(page, '2');
  assert.equal(await form.getByLabel('Date').inputValue(), day(0));
  const time = await form.getByLabel('Time').inputValue();
  assert.match(time, /^\d{2}:\d{2}$/, 'the next slot is chosen');
  await form.getByRole('radio', { name: /^Two-top, up to 2: \d+ free$/ }).waitFor({ timeout: NEVER_MS });
  assert.ok(await form.getByRole('radio', { name: /^Two-top/ }).isChecked(), 'the smallest type that seats the party');
  await assertAccessible(page, 'table walk-in, party and time');
  await form.screenshot({ path: join(ARTIFACTS, 'table-walk-in.png') });
  await page.keyboard.press('Enter');

  // Step 2: the guest's name is asked for before the review.
  await form.getByRole('heading', { name: /Step 2 of 3/ }).waitFor();
  await tabTo(page, 'Next');
  await page.keyboard.press('Enter');
  const name = form.getByLabel('Guest name');
  assert.equal(await name.getAttribute('aria-invalid'), 'true');
  await assertAccessible(page, 'table walk-in, guest with a problem');
  await tabTo(page, 'Guest name');
  await page.keyboard.type('Wanda Walkin');
  await page.keyboard.press('Enter');

  // Step 3: review; "Book and seat" books, confirms and checks the party in.
  await form.getByRole('heading', { name: /Step 3 of 3/ }).waitFor();
  await assertAccessible(page, 'table walk-in, review');
  await tabTo(page, 'Book and seat');
  await page.keyboard.press('Enter');
  const note = page.getByTestId('tables-note').filter({ hasText: /Booked and seated: Wanda Walkin at table T\d/ });
  await note.waitFor({ timeout: NEVER_MS }).catch(async (err) => {
    throw new Error(`${err.message}; the note reads "${await page.getByTestId('tables-note').textContent()}", the form: "${await form.textContent().catch(() => '')}"`);
  });
  const table = (await note.textContent()).match(/table (T\d)/)[1];
  assert.ok(['T1', 'T2', 'T3'].includes(table), `a two-top fits a party of 2: ${table}`);

  const listed = await api('GET', `/bookings/vendor/${world.vendorId}?from=${day(0)}&to=${day(0)}&limit=100`, { token: world.desk });
  const walkIn = listed.items.find((b) => b.desk_guest?.name === 'Wanda Walkin');
  assert.ok(walkIn, 'the walk-in is stored with its guest name');
  assert.equal(walkIn.status, 'CHECKED_IN');
  assert.equal(walkIn.channel, 'walk_in');
  assert.equal(walkIn.party_size, 2);
  assert.deepEqual(walkIn.time, { kind: 'seating', date: day(0), time });
  assert.equal(walkIn.unit?.number, table);

  // The bar moves to that table's row through the change feed, over the seating's three slots.
  const row = page.getByTestId(`unit-${table}`);
  const bar = row.getByTestId(`booking-${walkIn.id}`).filter({ hasText: 'Checked in' });
  await bar.waitFor({ timeout: NEVER_MS });
  const cell = row.locator('td', { has: page.getByTestId(`booking-${walkIn.id}`) });
  const start = Number(await cell.getAttribute('data-col'));
  // Late in the evening the board's last slots cut the bar short: it shows what is left of the day.
  const width = (await page.getByRole('grid', { name: 'Table board' }).locator('thead th[scope="col"]').count()) - 1;
  const shown = Math.min(3, width - start);
  if (shown < 3) t.diagnostic(`the seating starts ${width - start} slot(s) before the board's end: its bar spans ${shown}`);
  assert.equal((await cell.getAttribute('colspan')) ?? '1', String(shown));
  assert.equal(await page.getByTestId('count-seated').textContent(), '1');

  // The detail opened once booked. Closed, the bar is reached with the arrow keys and Enter opens it again.
  const detail = page.getByTestId('booking-detail');
  await detail.getByRole('heading', { name: 'Booking: Wanda Walkin' }).waitFor({ timeout: NEVER_MS });
  await tabTo(page, 'Close');
  await page.keyboard.press('Enter');
  await detail.waitFor({ state: 'detached' });
  // Rows by area, then number: the terrace's T3 first.
  const order = await page.locator('tr[data-testid^="unit-"]').evaluateAll((rows) => rows.map((r) => r.dataset.testid.slice(5)));
  assert.deepEqual(order, ['T3', 'T1', 'T2', 'F1', 'F2']);
  await tabTo(page, /^Table T3, \d{2}:\d{2}: free$/);
  for (let i = 0; i < order.indexOf(table); i += 1) await page.keyboard.press('ArrowDown');
  for (let i = 0; i < start; i += 1) await page.keyboard.press('ArrowRight');
  assert.match(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), new RegExp(`^Table ${table}, .*: Wanda Walkin, 2 guests, Checked in, Walk-in$`));
  await page.keyboard.press('Enter');
  await detail.getByRole('heading', { name: 'Booking: Wanda Walkin' }).waitFor({ timeout: NEVER_MS });

  // The party leaves (check out) and the table is free again.
  assert.equal(await page.getByTestId('detail-seating').textContent(), `${formatToday()} at ${time}`);
  await assertAccessible(page, 'seating detail');
  await tabTo(page, 'Check out');
  await page.keyboard.press('Enter');
  await page.getByTestId('detail-note').filter({ hasText: `Left: table ${table} is free again.` }).waitFor({ timeout: NEVER_MS });
  assert.equal((await api('GET', `/booking/${walkIn.id}`, { token: world.desk })).status, 'COMPLETED');
  // A seating left before its end keeps its first slot; the slots after it are free at that table.
  await row.getByTestId(`booking-${walkIn.id}`).filter({ hasText: 'Completed' }).waitFor({ timeout: NEVER_MS });
  assert.equal((await row.locator('td', { has: page.getByTestId(`booking-${walkIn.id}`) }).getAttribute('colspan')) ?? '1', '1');
  for (const next of [start + 1, start + 2].filter((col) => col < width)) {
    assert.match(await row.locator(`td[data-col="${next}"]`).getAttribute('aria-label'), new RegExp(`^Table ${table}, \\d{2}:\\d{2}: free$`));
  }
  assert.equal(await page.getByTestId('count-left').textContent(), '1');
  assert.equal(await page.getByTestId('count-seated').textContent(), '0');
  // The API agrees: from the seating's second slot the two-tops are all free but for tonight's guests.
  if (start + 1 < width) {
    const second = await api('GET', `/vendor/${world.vendorId}/availability?party_size=2&date=${day(0)}&time=${slotAfter(time)}`);
    assert.equal(second.items.find((o) => o.resource_id === world.small)?.units_left, 3 - seatingsAt(slotAfter(time)));
  } else {
    t.diagnostic('the seating took the board\'s last slot: no slot after it to ask the API about');
  }
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

/** Today as the detail writes it in English ("7 December"). */
function formatToday() {
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${day(0)}T12:00:00Z`));
}

/** The slot after `HH:MM` on the 30-minute grid. */
function slotAfter(time) {
  const [h, m] = time.split(':').map(Number);
  const next = h * 60 + m + 30;
  return `${String(Math.floor(next / 60)).padStart(2, '0')}:${String(next % 60).padStart(2, '0')}`;
}

/**
 * How many of the guests' online two-top seatings (90 minutes) overlap a seating starting at `time`
 * today: availability answers the fewest tables free over every slot the new seating would hold.
 */
function seatingsAt(time) {
  if (world.when.date !== day(0)) return 0;
  const minutes = (t) => t.split(':').map(Number).reduce((h, m) => h * 60 + m);
  const at = minutes(time);
  const start = minutes(world.when.time);
  return at < start + 90 && start < at + 90 ? 2 : 0;
}

test('offline, a restaurant walk-in for a party of 2 at the next slot is queued; back online it is booked exactly once and shows on the table board', async (t) => {
  const page = await deskForPartyNow(t);
  if (!page) return;
  await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor({ timeout: NEVER_MS });
  // The queued seating must not have begun when it is sent (the server refuses a past start).
  await clearOfSlotStart();

  // The network goes; the walk-in form offers what the saved board has free, and queues.
  await page.context().setOffline(true);
  await page.getByTestId('live-status').filter({ hasText: 'Offline' }).waitFor({ timeout: NEVER_MS });
  await page.getByRole('button', { name: 'Walk-in', exact: true }).click();
  const form = page.getByTestId('walk-in');
  await form.getByRole('heading', { name: /Step 1 of 3/ }).waitFor();
  await form.getByLabel('Party size', { exact: true }).fill('2');
  assert.equal(await form.getByLabel('Date', { exact: true }).inputValue(), day(0));
  const time = await form.getByLabel('Time', { exact: true }).inputValue();
  assert.match(time, /^\d{2}:\d{2}$/, 'the next slot is chosen');
  await form.getByTestId('offers-stale').filter({ hasText: /^Offline: free tables as the saved board shows them, possibly out of date/ }).waitFor();
  const twoTop = form.getByRole('radio', { name: /^Two-top, up to 2: [1-9]\d* free \(possibly out of date\)$/ });
  await twoTop.waitFor({ timeout: NEVER_MS });
  assert.ok(await twoTop.isChecked(), 'the smallest type that seats the party, free on the saved board');
  await assertAccessible(page, 'table walk-in offline, party and time');
  await form.getByRole('button', { name: 'Next', exact: true }).click();
  await form.getByRole('heading', { name: /Step 2 of 3/ }).waitFor();
  await form.getByLabel('Guest name', { exact: true }).fill('Olga Offline');
  await form.getByRole('button', { name: 'Next', exact: true }).click();
  await form.getByRole('heading', { name: /Step 3 of 3/ }).waitFor();
  await assertAccessible(page, 'table walk-in offline, review');
  await form.getByRole('button', { name: 'Queue booking', exact: true }).click();
  await form.waitFor({ state: 'detached', timeout: NEVER_MS });

  // Queued: one pending, named by its day and time; nothing sent yet.
  await page.getByTestId('pending-count').filter({ hasText: /^\s*1 pending\s*$/ }).waitFor({ timeout: NEVER_MS });
  const item = page.getByTestId('pending-list').locator('[data-testid^="pending-"]').filter({ hasText: 'Olga Offline' });
  assert.equal(words(await item.textContent()).startsWith(words(`Walk-in: Olga Offline, ${formatToday()} at ${time}, 2 guests, Two-top`)), true);
  assert.equal(await page.getByRole('grid', { name: 'Table board' }).getByText('Olga Offline').count(), 0, 'a queued walk-in is not drawn');
  await assertAccessible(page, 'table board offline with the pending list');
  await screenshot(page, 'table-board-offline');
  const olgas = async () => {
    const listed = await api('GET', `/bookings/vendor/${world.vendorId}?from=${day(0)}&to=${day(0)}&limit=100`, { token: world.desk });
    return listed.items.filter((b) => b.desk_guest?.name === 'Olga Offline');
  };
  assert.deepEqual(await olgas(), [], 'nothing is sent while offline');

  // Back online: the queue is sent, the booking made once and confirmed, and the board shows it.
  const started = performance.now();
  await page.context().setOffline(false);
  await page.getByTestId('pending-count').waitFor({ state: 'detached', timeout: NEVER_MS });
  console.log(`the queued restaurant walk-in was sent ${Math.round(performance.now() - started)} ms after the network came back`);
  assert.equal(await page.getByTestId('conflicts-button').count(), 0, 'no conflict');
  const made = await olgas();
  assert.equal(made.length, 1, 'booked exactly once');
  assert.equal(made[0].status, 'CONFIRMED');
  assert.equal(made[0].channel, 'walk_in');
  assert.equal(made[0].party_size, 2);
  assert.equal(made[0].resource_id, world.small);
  assert.deepEqual(made[0].time, { kind: 'seating', date: day(0), time });
  await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor({ timeout: NEVER_MS });
  const bar = page.getByTestId(`unassigned-${world.small}`).getByTestId(`booking-${made[0].id}`);
  await bar.filter({ hasText: 'Olga Offline' }).waitFor({ timeout: NEVER_MS });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a seating moves to another table of its type by keyboard, announced; a drag onto a table taken then is refused and it stays', async () => {
  // Two seatings the day after tomorrow at 20:00 (clear of the other tests' tonight): one at T1,
  // the other at T3. The two-tops are T1 to T3; the family tables are another type, never offered.
  const when = { date: day(2), time: '20:00' };
  const moving = await guestSeating(world, when);
  const blocker = await guestSeating(world, when);
  await api('PUT', `/booking/${moving.id}/unit`, { token: world.desk, body: { unit_id: await tableId('T1') } });
  await api('PUT', `/booking/${blocker.id}/unit`, { token: world.desk, body: { unit_id: await tableId('T3') } });

  const page = await openPage();
  await signIn(page, world.deskEmail);
  await page.getByRole('grid', { name: 'Table board' }).waitFor();
  await showDay(page, when.date);
  const barCell = (table) => page.getByTestId(`unit-${table}`).locator('td[data-cell]', { has: page.getByTestId(`booking-${moving.id}`) });
  await barCell('T1').waitFor({ timeout: NEVER_MS });

  // m on the bar, then the arrows: each table of its type in turn, free or taken, and no further.
  const status = page.getByTestId('move-status');
  await barCell('T1').focus();
  await page.keyboard.press('m');
  await status.filter({ hasText: /^Moving Gustav Gast: arrow up or down to choose a table/ }).waitFor();
  const heard = [];
  for (const key of ['ArrowDown', 'ArrowDown', 'ArrowDown', 'ArrowUp']) {
    const before = await status.textContent();
    await page.keyboard.press(key);
    await page
      .waitForFunction((prev) => document.querySelector('[data-testid="move-status"]')?.textContent !== prev, before, { timeout: 2000 })
      .catch(() => {});
    heard.push(await status.textContent());
  }
  assert.deepEqual(heard, ['Move to table T2: free', 'Move to table T3: taken', 'Move to table T3: taken', 'Move to table T2: free']);
  assert.equal(await page.getByTestId('unit-T2').getAttribute('class'), 'move-target move-free');
  await assertAccessible(page, 'table board during a keyboard move');
  await page.keyboard.press('Enter');
  await status.filter({ hasText: 'Gustav Gast moved to table T2.' }).waitFor({ timeout: NEVER_MS });
  await barCell('T2').waitFor({ timeout: NEVER_MS });
  assert.equal((await api('GET', `/booking/${moving.id}`, { token: world.desk })).unit?.number, 'T2');

  // Dragged onto T3, which the other seating has then: the server refuses (409), the message
  // names the table, and the seating stays at T2.
  await page.getByTestId(`booking-${moving.id}`).dragTo(page.getByTestId(`booking-${blocker.id}`));
  await page.getByTestId('move-error').filter({ hasText: 'Table T3 is taken then. Nothing was moved.' }).waitFor({ timeout: NEVER_MS })
    .catch(async (err) => {
      const error = await page.getByTestId('move-error').textContent({ timeout: 100 }).catch(() => '(none)');
      throw new Error(`${err.message}; the move status reads "${await status.textContent()}", the error "${error}"`);
    });
  assert.equal((await api('GET', `/booking/${moving.id}`, { token: world.desk })).unit?.number, 'T2');
  assert.equal(await barCell('T2').count(), 1);
  await assertAccessible(page, 'table board after a refused move');
  await screenshot(page, 'table-board-move');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

/** A table's unit id by its number. */
async function tableId(number) {
  const { units } = await api('GET', `/vendor/${world.vendorId}/units`, { token: world.desk });
  return units.find((u) => u.number === number)?.id;
}
