import { describe, expect, it } from 'vitest';
import { t } from './i18n';
import {
  adjustedDays, adrSeries, channelRevenue, channelSummary, channelTotals, coversSeries, csvFileName, daysBetween, defaultRange,
  formatFigureMoney, formatPercent, occupancySeries, periodLabel, rangeProblem, reportQuery, seriesSummary, slotSeries, slotSummary,
  type Period, type Report,
} from './reports';

const eur = (amount_minor: number) => ({ amount_minor, currency: 'EUR' });

function hotelPeriod(start: string, end: string, nights: number, occupancy: string | null, adr: number, online: number, walkIn: number): Period {
  return {
    start, end, closed: false, capacity: 5, room_nights: nights, occupancy_percent: occupancy, adr: eur(adr), revpar: eur(0),
    room_revenue_net: eur(online + walkIn), online_revenue_net: eur(online), walk_in_revenue_net: eur(walkIn),
    phone_revenue_net: eur(0), front_desk_revenue_net: eur(0), adjustments: { for_days: [], counts: {} },
  };
}

const hotel: Report = {
  vendor_id: 'v1', kind: 'hotel', currency: 'EUR', from: '2026-12-01', to: '2026-12-03', granularity: 'day',
  periods: [
    hotelPeriod('2026-12-01', '2026-12-01', 0, '0.0', 0, 0, 0),
    hotelPeriod('2026-12-02', '2026-12-02', 2, '40.0', 10_841, 21_682, 0),
    { ...hotelPeriod('2026-12-03', '2026-12-03', 1, '20.0', 12_900, 0, 12_900), adjustments: { for_days: ['2026-11-28'], counts: { rev_net: -500 } } },
  ],
  totals: {
    occupancy_percent: '20.0', room_nights: 3, adr: eur(11_527), online_revenue_net: eur(21_682), walk_in_revenue_net: eur(12_900),
    phone_revenue_net: eur(0), front_desk_revenue_net: eur(0),
  },
};

const restaurant: Report = {
  vendor_id: 'r1', kind: 'restaurant', currency: 'EUR', from: '2026-11-30', to: '2026-12-13', granularity: 'week',
  periods: [
    { start: '2026-11-30', end: '2026-12-06', closed: true, covers: 6, seatings: 2 },
    { start: '2026-12-07', end: '2026-12-13', closed: false, covers: 2, seatings: 1 },
  ],
  totals: {
    covers: 8,
    slots: { '20:00': { covers: 2, seat_occupancy_percent: '1.2' }, '19:30': { covers: 6, seat_occupancy_percent: '3.6' } },
  },
};

describe('the range asked for', () => {
  it('defaults to the last 30 days, today included', () => {
    const range = defaultRange('2026-12-07');
    expect(range).toEqual({ from: '2026-11-08', to: '2026-12-07' });
    expect(daysBetween(range.from, range.to)).toBe(30);
  });

  it('refuses a missing date, an end before the start and more than 366 days', () => {
    expect(rangeProblem('', '2026-12-07')).toBe('reports.err.date');
    expect(rangeProblem('2026-12-08', '2026-12-07')).toBe('reports.err.order');
    expect(rangeProblem('2025-01-01', '2026-01-02')).toBe('reports.err.long');
    expect(rangeProblem('2025-01-01', '2026-01-01')).toBeUndefined();
    expect(rangeProblem('2025-01-01', '2025-12-31')).toBeUndefined();
    expect(rangeProblem('2026-12-07', '2026-12-07')).toBeUndefined();
  });

  it('asks the API with from, to and granularity, and names the CSV after the range', () => {
    expect(reportQuery('2026-11-08', '2026-12-07', 'week')).toBe('from=2026-11-08&to=2026-12-07&granularity=week');
    expect(csvFileName('2026-11-08', '2026-12-07')).toBe('reports-2026-11-08-2026-12-07.csv');
  });
});

describe('series from periods', () => {
  it('takes occupancy and ADR per period; ADR is absent where no room was sold', () => {
    expect(occupancySeries(hotel, 'en').map((p) => p.value)).toEqual([0, 40, 20]);
    expect(adrSeries(hotel, 'en').map((p) => p.value)).toEqual([null, 10_841, 12_900]);
    expect(occupancySeries(hotel, 'en').map((p) => p.label)).toEqual(['1 Dec', '2 Dec', '3 Dec']);
  });

  it('keeps an occupancy the API could not compute (no capacity) as a gap', () => {
    const empty = { ...hotel, periods: [hotelPeriod('2026-12-01', '2026-12-01', 0, null, 0, 0, 0)] };
    expect(occupancySeries(empty, 'en').map((p) => p.value)).toEqual([null]);
  });

  it('splits room revenue by channel per period and over the range', () => {
    const rows = channelRevenue(hotel, 'en');
    expect(rows[1].values).toEqual({ online: 21_682, walk_in: 0, phone: 0, front_desk: 0 });
    expect(rows[2].values.walk_in).toBe(12_900);
    expect(channelTotals(hotel)).toEqual({ online: 21_682, walk_in: 12_900, phone: 0, front_desk: 0 });
  });

  it('takes covers per period and per start time, earliest first (restaurants)', () => {
    expect(coversSeries(restaurant, 'en').map((p) => p.value)).toEqual([6, 2]);
    expect(slotSeries(restaurant)).toEqual([
      { slot: '19:30', covers: 6, occupancy: '3.6' },
      { slot: '20:00', covers: 2, occupancy: '1.2' },
    ]);
  });

  it('lists the closed days whose late changes the periods carry', () => {
    expect(adjustedDays(hotel)).toEqual(['2026-11-28']);
    expect(adjustedDays(restaurant)).toEqual([]);
  });
});

describe('formatting', () => {
  it('labels days, ISO weeks and months in the language', () => {
    expect(periodLabel('en', 'day', '2026-12-07', '2026-12-07')).toBe('7 Dec');
    expect(periodLabel('de', 'day', '2026-12-07', '2026-12-07')).toBe('7. Dez.');
    expect(periodLabel('en', 'week', '2026-12-07', '2026-12-13')).toBe('7 Dec – 13 Dec');
    expect(periodLabel('en', 'month', '2026-11-01', '2026-11-30')).toBe('November 2026');
    expect(periodLabel('de', 'month', '2026-11-01', '2026-11-30')).toBe('November 2026');
    expect(periodLabel('de', 'month', '2026-02-01', '2026-02-28')).toBe('Februar 2026');
    // A month clipped by the range says which of its days it holds.
    expect(periodLabel('en', 'month', '2026-11-08', '2026-11-30')).toBe('8 Nov – 30 Nov');
  });

  it('formats percentages and money in the locale and the vendor currency', () => {
    expect(formatPercent('en', '12.5')).toBe('12.5%');
    expect(formatPercent('de', '12.5')).toBe('12,5\u00a0%');
    expect(formatPercent('en', null)).toBe('–');
    expect(formatFigureMoney('en', eur(10_841), 'EUR')).toBe('€108.41');
    expect(formatFigureMoney('de', eur(1_234_567), 'EUR')).toBe('12.345,67\u00a0€');
    expect(formatFigureMoney('en', { amount_minor: 5000, currency: 'JPY' }, 'JPY')).toBe('JP¥5,000');
  });

  it('sums a chart up in words: range, lowest, highest and the whole range', () => {
    const summary = seriesSummary('en', 'Occupancy', occupancySeries(hotel, 'en'), (v) => formatPercent('en', v), '20.0%');
    expect(summary).toBe('Occupancy from 1 Dec to 3 Dec: lowest 0.0% (1 Dec), highest 40.0% (2 Dec); whole range 20.0%.');
    const de = seriesSummary('de', 'Auslastung', occupancySeries(hotel, 'de'), (v) => formatPercent('de', v), '20,0 %');
    expect(de).toContain('höchster 40,0\u00a0% (2. Dez.)');
    expect(seriesSummary('en', 'ADR', [], String, '')).toBe(t('en', 'reports.chart.empty', { title: 'ADR', range: '' }));
    expect(channelSummary('en', hotel, 'Revenue')).toBe('Revenue: Online €216.82, Walk-in €129.00, Phone €0.00, Front desk €0.00.');
    expect(slotSummary('de', restaurant, 'Gäste')).toBe('Gäste: 19:30 6, 20:00 2.');
  });
});
