// The reports page in a real browser: a hotel's manager books through the API (a guest online, a
// walk-in at the desk), waits for the reports projection to count them, and reads the page:
// figures, charts, the table, the CSV download, in English and German, each checked with
// axe-core; the desk never sees the page; a restaurant's manager sees covers by time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ARTIFACTS, NEVER_MS, api, assertAccessible, day, guestBooking, guestSeating, launchBrowser, makeHotel, makeRestaurant,
  openPage as open, screenshot, signIn, tonight, unique,
} from './lib.mjs';

let world = {};
let browser;
const openPage = (viewport) => open(browser, viewport);
// The consumer counts a booking after the API answered; generous, failing only if it never does.
const COUNTED_MS = 120_000;

/** Reads the report through the API until `ready(report)` holds. */
async function reportWhen(vendorId, token, query, ready) {
  const deadline = performance.now() + COUNTED_MS;
  for (;;) {
    const report = await api('GET', `/vendor/${vendorId}/reports?${new URLSearchParams(query)}`, { token });
    if (ready(report)) return report;
    if (performance.now() > deadline) assert.fail(`the report never got there: ${JSON.stringify(report.totals)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

before(async () => {
  world = await makeHotel({ tag: 'rep' });
  // Tonight: a guest's online booking (two nights, confirmed at once: no deposit) and a desk
  // walk-in (one night), confirmed. Two of five rooms sold tonight: 40 % occupancy.
  world.online = await guestBooking(world, { from: 0, nights: 2 });
  assert.equal(world.online.status, 'CONFIRMED');
  const walkIn = await api('POST', `/booking/vendor/${world.vendorId}`, {
    token: world.desk,
    body: { resource_id: world.resourceId, party_size: 1, check_in: day(0), check_out: day(1), channel: 'walk_in', guest: { name: 'Wanda Walk-in' } },
  });
  world.walkIn = await api('PUT', `/booking/${walkIn.id}/status`, { token: world.desk, body: { status: 'CONFIRMED' } });
  world.from = day(-29);
  world.to = day(0);
  world.report = await reportWhen(world.vendorId, world.boss, { from: world.from, to: world.to, granularity: 'day' },
    (r) => r.totals.room_nights === 2);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

test('the desk and the housekeeper have no way to the reports, and the page refuses them', async () => {
  for (const email of [world.deskEmail, world.keeperEmail]) {
    const page = await openPage();
    await signIn(page, email);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Reports' }).count(), 0, `no link to the reports for ${email}`);
    await page.evaluate(() => { location.hash = '#reports'; });
    await page.getByTestId('reports-refused').waitFor();
    assert.equal(await page.getByTestId('report').count(), 0);
    await assertAccessible(page, 'reports refused');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  }
  // The API says the same.
  await assert.rejects(api('GET', `/vendor/${world.vendorId}/reports?from=${world.from}&to=${world.to}`, { token: world.desk }), /HTTP 403/);
});

test('a manager reads occupancy, ADR and revenue by channel, in charts and in the table, and downloads the CSV', async () => {
  const page = await openPage({ width: 1280, height: 900 });
  await signIn(page, world.managerEmail);
  await page.getByRole('link', { name: 'Reports' }).click();
  await page.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
  const table = page.getByTestId('report-table');
  await table.waitFor({ timeout: NEVER_MS });
  assert.equal(await page.getByLabel('From', { exact: true }).inputValue(), world.from, 'the last 30 days by default');
  assert.equal(await page.getByLabel('To', { exact: true }).inputValue(), world.to);

  // Tonight's row: two of five rooms, at the rates booked (as the API reports them).
  const tonightPeriod = world.report.periods.find((p) => p.start === world.to);
  const row = table.locator(`tr[data-start="${world.to}"]`);
  const cells = await row.locator('th, td').allTextContents();
  const headers = await table.locator('thead th').allTextContents();
  const cell = (name) => cells[headers.indexOf(name)];
  assert.equal(cell('Occupancy'), '40.0%');
  assert.equal(cell('Room nights'), '2');
  const euros = (m) => new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' }).format(m.amount_minor / 100);
  assert.equal(cell('ADR'), euros(tonightPeriod.adr));
  assert.equal(cell('Online (net)'), euros(tonightPeriod.online_revenue_net));
  assert.equal(cell('Walk-in (net)'), euros(tonightPeriod.walk_in_revenue_net));
  assert.ok(tonightPeriod.online_revenue_net.amount_minor > 0 && tonightPeriod.walk_in_revenue_net.amount_minor > 0);
  assert.equal(await table.locator('tbody tr').count(), 30, 'one row per day');
  const totals = await page.getByTestId('report-totals').locator('th, td').allTextContents();
  assert.equal(totals[headers.indexOf('Room nights')], '2');
  assert.equal(totals[headers.indexOf('Occupancy')], '1.3%', '2 of 5 rooms × 30 days');

  // The charts are images named by what they show.
  for (const [id, start] of [['chart-occupancy', 'Occupancy from'], ['chart-adr', 'Average daily rate (ADR) from'], ['chart-channels', 'Room revenue by channel (net):']]) {
    const name = await page.locator(`#${id}`).getAttribute('aria-label');
    assert.equal(await page.locator(`#${id}`).getAttribute('role'), 'img');
    assert.ok(name.startsWith(start), `${id} is named "${name}"`);
  }
  assert.match(await page.locator('#chart-occupancy').getAttribute('aria-label'), /highest 40\.0% \(/);
  assert.ok((await page.locator('#chart-occupancy circle').count()) >= 30);
  assert.ok((await page.locator('#chart-channels rect').count()) >= 2, 'tonight has an online and a walk-in segment');
  await assertAccessible(page, 'reports');
  await screenshot(page, 'reports');
  // The README's picture (web/docs/reports.png): what the first screen shows.
  await page.screenshot({ path: join(ARTIFACTS, 'reports-top.png') });

  // The CSV: the same days, saved under the range's name.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
  assert.equal(download.suggestedFilename(), `reports-${world.from}-${world.to}.csv`);
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
  const header = csv[0].split(',');
  assert.deepEqual(header.slice(0, 3), ['start', 'end', 'closed']);
  assert.equal(csv.length, 31, 'a header and 30 days');
  const last = csv.find((line) => line.startsWith(`${world.to},`)).split(',');
  assert.equal(last[header.indexOf('room_nights')], '2');
  assert.equal(last[header.indexOf('occupancy_percent')], '40.0');

  // Per week: ISO weeks, clipped to the range.
  await page.getByLabel('Per', { exact: true }).selectOption('week');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.locator('tr[data-start]').first().waitFor();
  await page.waitForFunction(() => document.querySelectorAll('tr[data-start]').length < 10);
  const starts = await page.locator('tr[data-start]').evaluateAll((rows) => rows.map((r) => r.dataset.start));
  assert.equal(starts[0], world.from);
  for (const start of starts.slice(1)) assert.equal(new Date(`${start}T12:00:00Z`).getUTCDay(), 1, `${start} is a Monday`);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('in German the page, its figures and its charts read in German', async () => {
  const page = await openPage({ width: 1280, height: 900 });
  await signIn(page, world.managerEmail);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.getByLabel('Language').selectOption('de');
  await page.getByRole('link', { name: 'Berichte' }).click();
  await page.getByRole('heading', { level: 1, name: 'Berichte' }).waitFor();
  const table = page.getByTestId('report-table');
  await table.waitFor({ timeout: NEVER_MS });
  const headers = await table.locator('thead th').allTextContents();
  assert.ok(headers.includes('Auslastung') && headers.includes('Zimmernächte') && headers.includes('Laufkundschaft (netto)'), headers.join(' | '));
  const cells = await table.locator(`tr[data-start="${world.to}"]`).locator('th, td').allTextContents();
  assert.equal(cells[headers.indexOf('Auslastung')], '40,0\u00a0%');
  const adr = world.report.periods.find((p) => p.start === world.to).adr.amount_minor;
  assert.equal(cells[headers.indexOf('Durchschnittsrate (ADR)')], new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }).format(adr / 100));
  assert.match(await page.locator('#chart-occupancy').getAttribute('aria-label'), /^Auslastung vom .*höchster 40,0\u00a0%/);
  assert.ok(await page.getByRole('button', { name: 'CSV herunterladen' }).isVisible());
  await assertAccessible(page, 'reports (de)');
  await screenshot(page, 'reports-de');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("a restaurant's manager sees covers over time and by start time", async () => {
  const restaurant = await makeRestaurant({ tag: 'rep' });
  const when = tonight();
  const seating = await guestSeating(restaurant, when);
  assert.equal(seating.status, 'CONFIRMED');
  await reportWhen(restaurant.vendorId, restaurant.boss, { from: day(-29), to: when.date }, (r) => r.totals.covers === 2);

  const page = await openPage({ width: 1280, height: 900 });
  // makeRestaurant's manager: manager-<unique><tag>r@e2e.example.
  await signIn(page, `manager-${unique}repr@e2e.example`);
  await page.getByRole('link', { name: 'Reports' }).click();
  await page.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
  await page.getByLabel('To', { exact: true }).fill(when.date);
  await page.getByRole('button', { name: 'Show' }).click();
  const slots = page.getByTestId('slot-table');
  await slots.waitFor({ timeout: NEVER_MS });
  assert.deepEqual(await slots.locator('tbody tr').first().locator('th, td').allTextContents().then((c) => c.slice(0, 2)), [when.time, '2']);
  assert.match(await page.locator('#chart-slots').getAttribute('aria-label'), new RegExp(`^Covers by time: ${when.time} 2\\.$`));
  assert.match(await page.locator('#chart-covers').getAttribute('aria-label'), /^Covers from .* highest 2 \(/);
  await assertAccessible(page, 'restaurant reports');
  await screenshot(page, 'reports-restaurant');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
