// The reports page's data shaping (pure): the report's periods as chart series, labels, sums in
// words, the range asked for and the CSV's file name.
import { addDays } from './dates';
import { formatDay, formatMoney, formatNumber, t, type Lang } from './i18n';
import type { LocalDate } from './types';

export type Granularity = 'day' | 'week' | 'month';
export const GRANULARITIES: Granularity[] = ['day', 'week', 'month'];
export const CHANNELS = ['online', 'walk_in', 'phone', 'front_desk'] as const;
export type Channel = (typeof CHANNELS)[number];
/** The API's limit on the days of one request, both ends counted. */
export const MAX_DAYS = 366;
/** The default range: the last 30 days, today included. */
export const DEFAULT_DAYS = 30;

export interface Money {
  amount_minor: number;
  currency: string;
}

/** A period's (or the totals') figures as `GET /vendor/{id}/reports` answers them. */
export interface Figures {
  capacity?: number;
  room_nights?: number;
  occupancy_percent?: string | null;
  room_revenue_net?: Money;
  room_revenue_vat?: Money;
  city_tax?: Money;
  adr?: Money;
  revpar?: Money;
  covers?: number;
  seatings?: number;
  slots?: Record<string, { covers: number; seat_occupancy_percent: string | null }>;
  bookings?: number;
  cancellations?: number;
  no_shows?: number;
  adjustments?: { for_days: LocalDate[]; counts: Record<string, number> };
  [channelFigure: string]: unknown;
}

export interface Period extends Figures {
  start: LocalDate;
  end: LocalDate;
  closed: boolean;
}

export interface Report {
  vendor_id: string;
  kind: 'hotel' | 'restaurant';
  currency: string;
  from: LocalDate;
  to: LocalDate;
  granularity: Granularity;
  periods: Period[];
  totals: Figures;
}

/** One point of a chart: its period and value (`null`: no capacity, nothing to say). */
export interface Point {
  label: string;
  start: LocalDate;
  value: number | null;
}

export function isGranularity(v: string): v is Granularity {
  return (GRANULARITIES as string[]).includes(v);
}

/** The range shown first: the last 30 days to today (in the vendor's zone). */
export function defaultRange(today: LocalDate): { from: LocalDate; to: LocalDate } {
  return { from: addDays(today, -(DEFAULT_DAYS - 1)), to: today };
}

/** The days from `from` to `to`, both counted (0 or less when `to` is before `from`). */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** What is wrong with a range before it is asked for, as an i18n key; undefined when it is fine. */
export function rangeProblem(from: string, to: string): 'reports.err.date' | 'reports.err.order' | 'reports.err.long' | undefined {
  if (!DATE.test(from) || !DATE.test(to) || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) return 'reports.err.date';
  const days = daysBetween(from, to);
  if (days < 1) return 'reports.err.order';
  if (days > MAX_DAYS) return 'reports.err.long';
  return undefined;
}

/** The query of `GET /vendor/{id}/reports`. */
export function reportQuery(from: LocalDate, to: LocalDate, granularity: Granularity): string {
  return new URLSearchParams({ from, to, granularity }).toString();
}

/** The name the CSV download is saved under. */
export function csvFileName(from: LocalDate, to: LocalDate): string {
  return `reports-${from}-${to}.csv`;
}

/** A period in words: "12 Dec" (day), "7 Dec – 13 Dec" (week), "December 2026" (month; its clipped days when partial). */
export function periodLabel(lang: Lang, granularity: Granularity, start: LocalDate, end: LocalDate): string {
  const short: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'short' };
  if (granularity === 'day' || start === end) return formatDay(lang, start, short);
  if (granularity === 'month' && start.endsWith('-01') && addDays(end, 1).endsWith('-01')) {
    return formatDay(lang, start, { month: 'long', year: 'numeric' });
  }
  return `${formatDay(lang, start, short)} – ${formatDay(lang, end, short)}`;
}

/** A decimal string from the API ("12.5") as a number; null when absent. */
export function decimal(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

export const minor = (value: unknown): number =>
  typeof value === 'object' && value !== null && typeof (value as Money).amount_minor === 'number' ? (value as Money).amount_minor : 0;

export const count = (value: unknown): number => (typeof value === 'number' ? value : 0);

const locales: Record<Lang, string> = { en: 'en-GB', de: 'de-DE' };

/** A percentage given in percent ("12.5") with one decimal: "12.5%" / "12,5 %"; "–" when there is none. */
export function formatPercent(lang: Lang, value: unknown): string {
  const n = decimal(value);
  if (n === null) return '–';
  return new Intl.NumberFormat(locales[lang], { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(n / 100);
}

/** A money figure of the report in the vendor's currency. */
export function formatFigureMoney(lang: Lang, value: unknown, currency: string): string {
  return formatMoney(lang, minor(value), currency);
}

function points(report: Report, lang: Lang, value: (p: Period) => number | null): Point[] {
  return report.periods.map((p) => ({ label: periodLabel(lang, report.granularity, p.start, p.end), start: p.start, value: value(p) }));
}

/** Occupancy % per period (hotels). */
export const occupancySeries = (report: Report, lang: Lang): Point[] => points(report, lang, (p) => decimal(p.occupancy_percent));

/** ADR per period in minor units (hotels); null for a period with no room sold. */
export const adrSeries = (report: Report, lang: Lang): Point[] =>
  points(report, lang, (p) => (count(p.room_nights) > 0 ? minor(p.adr) : null));

/** Covers per period (restaurants). */
export const coversSeries = (report: Report, lang: Lang): Point[] => points(report, lang, (p) => count(p.covers));

/** Room revenue (net, minor units) per period and channel, for a stacked chart (hotels). */
export interface ChannelRow {
  label: string;
  start: LocalDate;
  values: Record<Channel, number>;
}

export function channelRevenue(report: Report, lang: Lang): ChannelRow[] {
  return report.periods.map((p) => ({
    label: periodLabel(lang, report.granularity, p.start, p.end),
    start: p.start,
    values: Object.fromEntries(CHANNELS.map((c) => [c, minor(p[`${c}_revenue_net`])])) as Record<Channel, number>,
  }));
}

/** The whole range's room revenue (net) per channel, from the totals. */
export function channelTotals(report: Report): Record<Channel, number> {
  return Object.fromEntries(CHANNELS.map((c) => [c, minor(report.totals[`${c}_revenue_net`])])) as Record<Channel, number>;
}

/** Covers by a seating's start time over the whole range (restaurants), earliest first. */
export function slotSeries(report: Report): { slot: string; covers: number; occupancy: string | null }[] {
  return Object.entries(report.totals.slots ?? {})
    .map(([slot, s]) => ({ slot, covers: s.covers, occupancy: s.seat_occupancy_percent }))
    .sort((a, b) => a.slot.localeCompare(b.slot));
}

/** The days whose late changes (after they were closed) some period carries. */
export function adjustedDays(report: Report): LocalDate[] {
  return [...new Set(report.periods.flatMap((p) => p.adjustments?.for_days ?? []))].sort();
}

/** A line chart's text: what it shows over which range, its lowest, highest and the total's value. */
export function seriesSummary(
  lang: Lang,
  title: string,
  series: Point[],
  format: (n: number) => string,
  overall: string,
): string {
  const values = series.map((p) => p.value).filter((v): v is number => v !== null);
  const range = series.length > 0 ? t(lang, 'reports.chart.range', { from: series[0].label, to: series[series.length - 1].label }) : '';
  if (values.length === 0) return t(lang, 'reports.chart.empty', { title, range });
  const low = Math.min(...values);
  const high = Math.max(...values);
  const lowAt = series.find((p) => p.value === low)?.label ?? '';
  const highAt = series.find((p) => p.value === high)?.label ?? '';
  return t(lang, 'reports.chart.summary', { title, range, low: format(low), lowAt, high: format(high), highAt, overall });
}

/** The channel chart's text: each channel's share of the range's room revenue. */
export function channelSummary(lang: Lang, report: Report, title: string): string {
  const totals = channelTotals(report);
  const parts = CHANNELS.map((c) => `${t(lang, `detail.ch.${c}`)} ${formatMoney(lang, totals[c], report.currency)}`);
  return `${title}: ${parts.join(', ')}.`;
}

/** The covers-by-slot chart's text (restaurants). */
export function slotSummary(lang: Lang, report: Report, title: string): string {
  const slots = slotSeries(report);
  if (slots.length === 0) return t(lang, 'reports.chart.empty', { title, range: '' });
  return `${title}: ${slots.map((s) => `${s.slot} ${formatNumber(lang, s.covers)}`).join(', ')}.`;
}
