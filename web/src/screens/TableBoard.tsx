// The restaurant board: tables (rows, by type) x the day's time slots (columns), each seating a
// bar over its slots, seatings in no table per type, free tables per type and slot, and the day's
// arrivals, seated parties and those who left. It reads the board store's state (the feed keeps it
// live); the day chooser only changes which day of it is laid out.
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Api } from '../api';
import { guestName } from '../board';
import { addDays } from '../dates';
import { channelText, statusText } from '../history';
import { formatDay, formatNumber, formatTime, t, type Lang } from '../i18n';
import { useIntents } from '../offline/ui';
import { BOARD_DAYS, LOOKBACK_DAYS, type BoardState } from '../store';
import { layoutTables, type TableCell, type TableRow } from '../tables';
import { movableSeating, tableMoveFailure, tableTargets } from '../table-moves';
import type { Booking } from '../types';
import { Detail } from './Detail';
import { useUnitMove, type MoveWords } from './move';
import { Counts, onGridKey, useBoardPanels, WalkInButton } from './grid';
import { TableWalkIn } from './TableWalkIn';

function BarText({ booking, lang }: { booking: Booking; lang: Lang }) {
  return (
    <>
      <span class="guest">{guestName(booking, t(lang, 'board.guest'))}</span>,{' '}
      <span class="meta">
        {t(lang, 'tables.party', { n: booking.party_size })}, {statusText(lang, booking.status)}, {channelText(lang, booking.channel)}
      </span>
    </>
  );
}

const TABLE_MOVE: MoveWords = {
  start: 'tables.move.start',
  to: 'tables.move.to',
  none: 'tables.move.none',
  moving: 'tables.move.moving',
  done: 'tables.move.done',
  hint: 'tables.move.drag',
  failure: tableMoveFailure,
};

/** Starts dragging a bar: what is dragged is the booking's id. */
type DragStart = (e: DragEvent, bookingId: string) => void;

function TableCells({
  row,
  lang,
  zone,
  columns,
  first,
  onDragStart,
}: {
  row: TableRow;
  lang: Lang;
  zone: string;
  columns: number[];
  first: boolean;
  onDragStart: DragStart;
}) {
  const table = row.unit.number;
  return (
    <>
      {row.cells.map((cell: TableCell, i) => {
        const tab = first && i === 0 ? 0 : -1;
        const time = formatTime(lang, cell.at, zone);
        if (cell.kind === 'free') {
          return <td key={cell.at} data-cell data-col={cell.col} tabIndex={tab} class="free" aria-label={t(lang, 'tables.cell.free', { table, time })} />;
        }
        const { booking, span } = cell.bar;
        const end = columns[cell.col + span - 1] ?? cell.at;
        const when = span > 1 ? t(lang, 'board.cell.span', { from: time, to: formatTime(lang, end, zone) }) : time;
        const canMove = movableSeating(booking);
        return (
          <td
            key={cell.at}
            colSpan={span}
            data-cell
            data-col={cell.col}
            tabIndex={tab}
            aria-label={t(lang, 'tables.cell.booking', {
              table,
              time: when,
              guest: guestName(booking, t(lang, 'board.guest')),
              party: t(lang, 'tables.party', { n: booking.party_size }),
              status: statusText(lang, booking.status),
              channel: channelText(lang, booking.channel),
            })}
            aria-describedby={canMove ? 'move-hint' : undefined}
          >
            <div
              class={`bar status-${booking.status.toLowerCase()}`}
              data-testid={`booking-${booking.id}`}
              data-booking={booking.id}
              data-status={booking.status}
              draggable={canMove}
              onDragStart={canMove ? (e) => onDragStart(e, booking.id) : undefined}
            >
              <BarText booking={booking} lang={lang} />
            </div>
          </td>
        );
      })}
    </>
  );
}

function DayList({ title, items, lang, testid }: { title: string; items: Booking[]; lang: Lang; testid: string }) {
  return (
    <section class="day-list" aria-label={title} data-testid={testid}>
      <h2>
        {title} ({formatNumber(lang, items.length)})
      </h2>
      {items.length === 0 ? (
        <p>{t(lang, 'tables.none')}</p>
      ) : (
        <ul>
          {items.map((b) => (
            <li key={b.id}>
              {b.time.kind === 'seating' ? b.time.time : ''} · {guestName(b, t(lang, 'board.guest'))} ·{' '}
              {t(lang, 'tables.party', { n: b.party_size })}
              {b.unit ? ` · ${t(lang, 'tables.tableNo', { table: b.unit.number })}` : ''}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function TableBoard({ api, lang, state }: { api: Api; lang: Lang; state: BoardState }) {
  const today = state.dates[0];
  const zone = state.vendor?.time_zone ?? 'UTC';
  const [day, setDay] = useState(today);
  const [now, setNow] = useState(() => Date.now());
  const { walkIn, detail, note, opener, openFrom, openWalkIn, booked, reopenWalkIn, closeDetail, closeWalkIn } =
    useBoardPanels();

  // The slot under way moves on; so does the day at midnight (the store's today follows it).
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  const shown = day || today;

  const layout = useMemo(
    () => layoutTables(state.resources, [...state.data.units.values()], [...state.data.bookings.values()], shown, zone, now),
    [state.resources, state.data, shown, zone, now],
  );

  // Moving a seating to another table of its type: the board proposes, the server decides.
  const targetsFor = (booking: Booking) =>
    tableTargets(booking, [...state.data.units.values()], [...state.data.bookings.values()], state.resources, zone);
  const { onMoveKey, onDragStart, onDragEnd, rowDrop, rowClass, status: moveStatus } = useUnitMove({
    api,
    lang,
    words: TABLE_MOVE,
    booking: (id) => state.data.bookings.get(id),
    movable: movableSeating,
    targetsFor,
  });

  // "Choose another type" on a refused seating opens the walk-in again, prefilled (the room
  // board's own listener opens a booking's detail).
  useIntents(reopenWalkIn, () => {}, 'seating');

  const columns = layout.columns;
  const width = columns.length;
  let firstRow = true;

  return (
    <div class="table-board">
      <div class="tables-head">
        <div class="field">
          <label for="tb-day">{t(lang, 'tables.day')}</label>
          <input
            id="tb-day"
            type="date"
            value={shown}
            min={addDays(today, -LOOKBACK_DAYS)}
            max={addDays(today, BOARD_DAYS - 1)}
            onInput={(e) => {
              const value = e.currentTarget.value;
              if (/^\d{4}-\d{2}-\d{2}$/.test(value)) setDay(value);
            }}
          />
        </div>
        {!walkIn && (
          <WalkInButton opener={opener} label={t(lang, 'tables.walkin.open')} onOpen={openWalkIn} />
        )}
      </div>
      <p class="note" role="status" data-testid="tables-note">
        {note}
      </p>
      {moveStatus}
      {walkIn && (
        <TableWalkIn
          api={api}
          lang={lang}
          today={today}
          day={shown < today ? today : shown}
          zone={zone}
          resources={state.resources}
          onClose={closeWalkIn}
          onBooked={(booking, text) => {
            if (booking.time.kind === 'seating') setDay(booking.time.date);
            booked(booking.id, text);
          }}
        />
      )}
      {detail && (
        <Detail api={api} lang={lang} id={detail} zone={zone} version={state.data.bookings.get(detail)?.version} onClose={closeDetail} />
      )}
      <Counts
        lang={lang}
        items={[
          [t(lang, 'tables.arrivals'), 'count-arrivals', layout.counts.arrivals],
          [t(lang, 'tables.seated'), 'count-seated', layout.counts.seated],
          [t(lang, 'tables.left'), 'count-left', layout.counts.left],
        ]}
      />
      {layout.groups.length === 0 && <p>{t(lang, 'tables.noTypes')}</p>}
      <div class="grid-scroll">
        <table
          role="grid"
          class="table-grid"
          aria-label={t('en', 'tables.grid')}
          style={{ width: `calc(9rem + ${width} * 4.5rem)` }}
          onKeyDown={(e) => {
            if (onMoveKey(e)) return;
            if (e.key === 'Enter' && openFrom(e.target)) e.preventDefault();
            else onGridKey(e);
          }}
          onDragEnd={onDragEnd}
          onClick={(e) => openFrom(e.target)}
        >
          <caption class="visually-hidden">{formatDay(lang, shown, { weekday: 'long', day: 'numeric', month: 'long' })}</caption>
          <thead>
            <tr>
              <th scope="col">{t(lang, 'tables.table')}</th>
              {columns.map((at, i) => (
                <th scope="col" key={at} class={i === layout.nowColumn ? 'today' : undefined}>
                  {formatTime(lang, at, zone)}
                </th>
              ))}
            </tr>
          </thead>
          {layout.groups.map((group) => (
            <tbody key={group.resource.id}>
              <tr class="type-row">
                <th scope="colgroup" colSpan={width + 1}>
                  {group.resource.name}
                  {group.resource.capacity ? ` (${t(lang, 'tables.upTo', { n: group.resource.capacity })})` : ''}
                </th>
              </tr>
              {group.rows.map((row) => {
                const first = firstRow;
                firstRow = false;
                return (
                  <tr key={row.unit.id} data-testid={`unit-${row.unit.number}`} class={rowClass(row.unit.id)} {...rowDrop(row.unit.id)}>
                    <th scope="row">
                      {row.unit.number}
                      <span class="table-meta">
                        {[row.unit.seats ? t(lang, 'tables.seats', { n: row.unit.seats }) : '', row.unit.area ?? ''].filter(Boolean).join(', ')}
                      </span>
                      {row.unit.status === 'out_of_order' && shown === today && <span class="ooo"> ({t(lang, 'board.outOfOrder')})</span>}
                    </th>
                    <TableCells row={row} lang={lang} zone={zone} columns={columns} first={first} onDragStart={onDragStart} />
                  </tr>
                );
              })}
              <tr data-testid={`unassigned-${group.resource.id}`} class="unassigned">
                <th scope="row">{t(lang, 'board.unassigned')}</th>
                <td colSpan={width} data-cell={group.unassigned.length === 0 ? true : undefined} data-col={0} tabIndex={group.unassigned.length === 0 ? -1 : undefined}>
                  <div class="lanes" style={{ gridTemplateColumns: `repeat(${Math.max(1, width)}, 1fr)` }}>
                    {group.unassigned.map((bar) => (
                      <div
                        key={bar.booking.id}
                        class={`bar status-${bar.booking.status.toLowerCase()}`}
                        data-testid={`booking-${bar.booking.id}`}
                        data-booking={bar.booking.id}
                        data-status={bar.booking.status}
                        data-cell
                        data-col={bar.start}
                        tabIndex={-1}
                        aria-label={t(lang, 'tables.cell.unassigned', {
                          time: formatTime(lang, columns[bar.start], zone),
                          guest: guestName(bar.booking, t(lang, 'board.guest')),
                          party: t(lang, 'tables.party', { n: bar.booking.party_size }),
                          status: statusText(lang, bar.booking.status),
                          channel: channelText(lang, bar.booking.channel),
                        })}
                        style={{ gridColumn: `${bar.start + 1} / span ${bar.span}` }}
                        draggable={movableSeating(bar.booking)}
                        onDragStart={(e) => onDragStart(e, bar.booking.id)}
                        aria-describedby={movableSeating(bar.booking) ? 'move-hint' : undefined}
                      >
                        <BarText booking={bar.booking} lang={lang} />
                      </div>
                    ))}
                  </div>
                </td>
              </tr>
              <tr class="free-row">
                <th scope="row">{t(lang, 'board.free')}</th>
                {group.free.map((n, i) => (
                  <td
                    key={columns[i]}
                    data-cell
                    data-col={i}
                    tabIndex={-1}
                    data-testid={`free-${group.resource.id}-${i}`}
                    aria-label={`${t(lang, 'board.freeRow', { type: group.resource.name })}, ${formatTime(lang, columns[i], zone)}: ${n}`}
                  >
                    {formatNumber(lang, n)}
                  </td>
                ))}
              </tr>
            </tbody>
          ))}
        </table>
      </div>
      <div class="day-lists">
        <DayList title={t(lang, 'tables.arrivals')} items={layout.lists.arrivals} lang={lang} testid="list-arrivals" />
        <DayList title={t(lang, 'tables.seated')} items={layout.lists.seated} lang={lang} testid="list-seated" />
        <DayList title={t(lang, 'tables.left')} items={layout.lists.left} lang={lang} testid="list-left" />
      </div>
    </div>
  );
}
