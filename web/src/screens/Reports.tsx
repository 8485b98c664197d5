import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api, ApiError } from '../api';
import { todayIn } from '../dates';
import { formatDay, formatMoney, formatNumber, t, type Key, type Lang } from '../i18n';
import {
  adjustedDays, adrSeries, channelRevenue, channelSummary, CHANNELS, count, coversSeries, csvFileName, defaultRange,
  formatFigureMoney, formatPercent, GRANULARITIES, isGranularity, minor, occupancySeries, periodLabel,
  rangeProblem, seriesSummary, slotSeries, slotSummary, type Channel, type Figures, type Granularity, type Report,
} from '../reports';
import { fetchReport, fetchReportCsv } from '../reports-api';
import { BarChart, LineChart, StackedBars } from '../reports-charts';
import type { Session } from '../types';
import '../reports.css';

// Colours with at least 3:1 against white (WCAG 1.4.11), told apart by the legend's names too.
const CHANNEL_COLORS: Record<Channel, string> = { online: '#0b57d0', walk_in: '#0d652d', phone: '#b06000', front_desk: '#7b1fa2' };
const LINE_COLOR = '#0b57d0';

interface Range {
  from: string;
  to: string;
  granularity: Granularity;
}

const detailOf = (err: unknown) => (err instanceof ApiError ? err.message : err instanceof Error ? err.message : String(err));

/** A column of the figures table: its heading and how a period's (or the totals') cell reads. */
interface Column {
  head: string;
  cell: (f: Figures) => string;
}

function columns(lang: Lang, report: Report): Column[] {
  const money = (name: string) => (f: Figures) => formatFigureMoney(lang, f[name], report.currency);
  const num = (name: string) => (f: Figures) => formatNumber(lang, count(f[name]));
  const col = (key: Key, cell: (f: Figures) => string): Column => ({ head: t(lang, key), cell });
  const channel = (c: Channel) => t(lang, `detail.ch.${c}`);
  if (report.kind === 'hotel') {
    return [
      col('reports.col.occupancy', (f) => formatPercent(lang, f.occupancy_percent)),
      col('reports.col.roomNights', num('room_nights')),
      // No room sold, no rate: "–" rather than a price of 0.
      col('reports.col.adr', (f) => (count(f.room_nights) > 0 ? formatFigureMoney(lang, f.adr, report.currency) : '–')),
      col('reports.col.revpar', money('revpar')),
      col('reports.col.revenue', money('room_revenue_net')),
      col('reports.col.vat', money('room_revenue_vat')),
      col('reports.col.cityTax', money('city_tax')),
      col('reports.col.bookings', num('bookings')),
      col('reports.col.cancellations', num('cancellations')),
      col('reports.col.noShows', num('no_shows')),
      ...CHANNELS.map((c) => ({ head: t(lang, 'reports.col.channelRevenue', { channel: channel(c) }), cell: money(`${c}_revenue_net`) })),
    ];
  }
  return [
    col('reports.col.covers', num('covers')),
    col('reports.col.seatings', num('seatings')),
    col('reports.col.bookings', num('bookings')),
    col('reports.col.cancellations', num('cancellations')),
    col('reports.col.noShows', num('no_shows')),
    ...CHANNELS.map((c) => ({ head: t(lang, 'reports.col.channelBookings', { channel: channel(c) }), cell: num(`${c}_bookings`) })),
  ];
}

function FiguresTable({ lang, report }: { lang: Lang; report: Report }) {
  const cols = columns(lang, report);
  return (
    <div class="table-scroll" role="region" aria-label={t(lang, 'reports.tableScroll')} tabIndex={0}>
      <table class="figures" data-testid="report-table">
        <caption>{t(lang, 'reports.table')}</caption>
        <thead>
          <tr>
            <th scope="col">{t(lang, 'reports.col.period')}</th>
            {cols.map((c) => (
              <th key={c.head} scope="col">
                {c.head}
              </th>
            ))}
            <th scope="col">{t(lang, 'reports.col.closed')}</th>
          </tr>
        </thead>
        <tbody>
          {report.periods.map((p) => (
            <tr key={p.start} data-start={p.start}>
              <th scope="row">{periodLabel(lang, report.granularity, p.start, p.end)}</th>
              {cols.map((c) => (
                <td key={c.head}>{c.cell(p)}</td>
              ))}
              <td>{t(lang, p.closed ? 'reports.yes' : 'reports.no')}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr data-testid="report-totals">
            <th scope="row">{t(lang, 'reports.total')}</th>
            {cols.map((c) => (
              <td key={c.head}>{c.cell(report.totals)}</td>
            ))}
            <td />
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

function SlotTable({ lang, report }: { lang: Lang; report: Report }) {
  const slots = slotSeries(report);
  if (slots.length === 0) return null;
  return (
    <table class="figures" data-testid="slot-table">
      <caption>{t(lang, 'reports.slotTable')}</caption>
      <thead>
        <tr>
          <th scope="col">{t(lang, 'reports.col.slot')}</th>
          <th scope="col">{t(lang, 'reports.col.covers')}</th>
          <th scope="col">{t(lang, 'reports.col.seatOccupancy')}</th>
        </tr>
      </thead>
      <tbody>
        {slots.map((s) => (
          <tr key={s.slot}>
            <th scope="row">{s.slot}</th>
            <td>{formatNumber(lang, s.covers)}</td>
            <td>{formatPercent(lang, s.occupancy)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The range's headline figures. */
function Headline({ lang, report }: { lang: Lang; report: Report }) {
  const f = report.totals;
  const items: [Key, string][] =
    report.kind === 'hotel'
      ? [
          ['reports.col.occupancy', formatPercent(lang, f.occupancy_percent)],
          ['reports.col.adr', formatFigureMoney(lang, f.adr, report.currency)],
          ['reports.col.revpar', formatFigureMoney(lang, f.revpar, report.currency)],
          ['reports.col.revenue', formatFigureMoney(lang, f.room_revenue_net, report.currency)],
          ['reports.col.roomNights', formatNumber(lang, count(f.room_nights))],
          ['reports.col.bookings', formatNumber(lang, count(f.bookings))],
        ]
      : [
          ['reports.col.covers', formatNumber(lang, count(f.covers))],
          ['reports.col.seatings', formatNumber(lang, count(f.seatings))],
          ['reports.col.bookings', formatNumber(lang, count(f.bookings))],
          ['reports.col.noShows', formatNumber(lang, count(f.no_shows))],
        ];
  return (
    <dl class="headline" aria-label={t(lang, 'reports.summary')} data-testid="report-headline">
      {items.map(([key, value]) => (
        <div key={key}>
          <dt>{t(lang, key)}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Chart({ title, children, legend }: { title: string; children: preact.ComponentChildren; legend?: preact.ComponentChildren }) {
  return (
    <figure class="chart-box">
      <figcaption>{title}</figcaption>
      {children}
      {legend}
    </figure>
  );
}

function Charts({ lang, report }: { lang: Lang; report: Report }) {
  const currency = report.currency;
  const moneyAxis = (v: number) => formatMoney(lang, v, currency).replace(/[.,]00(?=\D*$)/, '');
  if (report.kind === 'restaurant') {
    const covers = coversSeries(report, lang);
    const coversTitle = t(lang, 'reports.chart.covers');
    const slots = slotSeries(report);
    const slotsTitle = t(lang, 'reports.chart.slots');
    const whole = formatNumber(lang, count(report.totals.covers));
    return (
      <div class="charts">
        <Chart title={coversTitle}>
          <BarChart
            id="chart-covers"
            summary={seriesSummary(lang, coversTitle, covers, (v) => formatNumber(lang, v), whole)}
            items={covers.map((p) => ({ label: p.label, value: p.value ?? 0 }))}
            format={(v) => formatNumber(lang, v)}
            color={LINE_COLOR}
          />
        </Chart>
        <Chart title={slotsTitle}>
          <BarChart
            id="chart-slots"
            summary={slotSummary(lang, report, slotsTitle)}
            items={slots.map((s) => ({ label: s.slot, value: s.covers }))}
            format={(v) => formatNumber(lang, v)}
            color={CHANNEL_COLORS.walk_in}
          />
        </Chart>
      </div>
    );
  }
  const occupancy = occupancySeries(report, lang);
  const adr = adrSeries(report, lang);
  const occTitle = t(lang, 'reports.chart.occupancy');
  const adrTitle = t(lang, 'reports.chart.adr');
  const chTitle = t(lang, 'reports.chart.channels');
  const percent = (v: number) => formatPercent(lang, v);
  return (
    <div class="charts">
      <Chart title={occTitle}>
        <LineChart
          id="chart-occupancy"
          summary={seriesSummary(lang, occTitle, occupancy, percent, formatPercent(lang, report.totals.occupancy_percent))}
          points={occupancy}
          format={(v) => formatPercent(lang, v).replace(/[.,]0(?=\D*$)/, '')}
          color={LINE_COLOR}
          max={10}
        />
      </Chart>
      <Chart title={adrTitle}>
        <LineChart
          id="chart-adr"
          summary={seriesSummary(lang, adrTitle, adr, (v) => formatMoney(lang, v, currency), formatFigureMoney(lang, report.totals.adr, currency))}
          points={adr}
          format={moneyAxis}
          color={CHANNEL_COLORS.walk_in}
        />
      </Chart>
      <Chart
        title={chTitle}
        legend={
          <ul class="legend">
            {CHANNELS.map((c) => (
              <li key={c}>
                <span class="swatch" style={{ background: CHANNEL_COLORS[c] }} aria-hidden="true" />
                {t(lang, `detail.ch.${c}`)}: {formatMoney(lang, minor(report.totals[`${c}_revenue_net`]), currency)}
              </li>
            ))}
          </ul>
        }
      >
        <StackedBars
          id="chart-channels"
          summary={channelSummary(lang, report, chTitle)}
          rows={channelRevenue(report, lang).map((r) => ({ label: r.label, values: r.values }))}
          keys={CHANNELS}
          colors={CHANNEL_COLORS}
          format={moneyAxis}
        />
      </Chart>
    </div>
  );
}

/** Saves a blob under `name` through a temporary link. */
function save(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The reports page for managers; anyone else is refused before anything is read. */
export function Reports({ lang, session }: { lang: Lang; session: Session }) {
  if (session.role !== 'manager') {
    return (
      <main class="reports">
        <h1>{t(lang, 'reports.title')}</h1>
        <p class="error" role="alert" data-testid="reports-refused">
          {t(lang, 'reports.managersOnly')}
        </p>
      </main>
    );
  }
  return <ReportsPage lang={lang} session={session} />;
}

function ReportsPage({ lang, session }: { lang: Lang; session: Session }) {
  const api = useMemo(() => new Api(session), [session]);
  const [form, setForm] = useState<Range | undefined>();
  const [shown, setShown] = useState<Range | undefined>();
  const [report, setReport] = useState<Report | undefined>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [formError, setFormError] = useState<Key | undefined>();
  const [csvNote, setCsvNote] = useState<string | undefined>();
  const heading = useRef<HTMLHeadingElement>(null);

  const load = async (range: Range, signal?: AbortSignal) => {
    setLoading(true);
    setError(undefined);
    try {
      const next = await fetchReport(session, range, signal);
      setReport(next);
      setShown(range);
    } catch (err) {
      if (!signal?.aborted) setError(t(lang, 'error.load', { detail: detailOf(err) }));
    } finally {
      if (!signal?.aborted) setLoading(false);
    }
  };

  // The default range ends today in the vendor's zone, so the vendor is read first.
  useEffect(() => {
    const abort = new AbortController();
    heading.current?.focus();
    api
      .vendor()
      .then((vendor) => {
        if (abort.signal.aborted) return;
        const range: Range = { ...defaultRange(todayIn(vendor.time_zone)), granularity: 'day' };
        setForm(range);
        return load(range, abort.signal);
      })
      .catch((err) => {
        if (!abort.signal.aborted) setError(t(lang, 'error.load', { detail: detailOf(err) }));
      });
    return () => abort.abort();
  }, [api]);

  const submit = (e: Event) => {
    e.preventDefault();
    if (!form) return;
    const problem = rangeProblem(form.from, form.to);
    setFormError(problem);
    if (!problem) void load(form);
  };

  const download = async () => {
    if (!shown) return;
    setCsvNote(t(lang, 'reports.downloading'));
    try {
      save(await fetchReportCsv(session, shown), csvFileName(shown.from, shown.to));
      setCsvNote(undefined);
    } catch (err) {
      setCsvNote(t(lang, 'reports.downloadFailed', { detail: detailOf(err) }));
    }
  };

  const adjusted = report ? adjustedDays(report) : [];
  const errorId = formError ? 'reports-range-error' : undefined;
  return (
    <main class="reports">
      <h1 ref={heading} tabIndex={-1}>
        {t(lang, 'reports.title')}
      </h1>
      {form && (
        <form class="reports-form" onSubmit={submit}>
          <div class="field">
            <label for="reports-from">{t(lang, 'reports.from')}</label>
            <input
              id="reports-from"
              type="date"
              name="from"
              value={form.from}
              aria-invalid={formError ? 'true' : undefined}
              aria-describedby={errorId}
              onInput={(e) => setForm({ ...form, from: e.currentTarget.value })}
            />
          </div>
          <div class="field">
            <label for="reports-to">{t(lang, 'reports.to')}</label>
            <input
              id="reports-to"
              type="date"
              name="to"
              value={form.to}
              aria-invalid={formError ? 'true' : undefined}
              aria-describedby={errorId}
              onInput={(e) => setForm({ ...form, to: e.currentTarget.value })}
            />
          </div>
          <div class="field">
            <label for="reports-granularity">{t(lang, 'reports.granularity')}</label>
            <select
              id="reports-granularity"
              name="granularity"
              value={form.granularity}
              onChange={(e) => {
                const g = e.currentTarget.value;
                if (isGranularity(g)) setForm({ ...form, granularity: g });
              }}
            >
              {GRANULARITIES.map((g) => (
                <option key={g} value={g}>
                  {t(lang, `reports.g.${g}`)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" disabled={loading}>
            {t(lang, 'reports.show')}
          </button>
          <button type="button" class="secondary" onClick={download} disabled={!report}>
            {t(lang, 'reports.download')}
          </button>
        </form>
      )}
      {formError && (
        <p id="reports-range-error" class="error" role="alert">
          {t(lang, formError)}
        </p>
      )}
      <p role="status" class="reports-status">
        {loading ? t(lang, 'reports.loading') : (csvNote ?? '')}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {report && (
        <section aria-labelledby="report-range" data-testid="report">
          <h2 id="report-range">
            {t(lang, 'reports.range', { from: formatDay(lang, report.from, { dateStyle: 'long' }), to: formatDay(lang, report.to, { dateStyle: 'long' }) })}
          </h2>
          <Headline lang={lang} report={report} />
          {adjusted.length > 0 && <p class="note">{t(lang, 'reports.adjusted', { days: adjusted.map((d) => formatDay(lang, d)).join(', ') })}</p>}
          <h3>{t(lang, 'reports.charts')}</h3>
          <Charts lang={lang} report={report} />
          <FiguresTable lang={lang} report={report} />
          {report.kind === 'restaurant' && <SlotTable lang={lang} report={report} />}
        </section>
      )}
    </main>
  );
}
