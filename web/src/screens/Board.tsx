import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api } from '../api';
import { addDays } from '../dates';
import { guestName, layoutBoard, leavingToday, type Cell, type UnitRow } from '../board';
import { channelText, statusText } from '../history';
import { formatColumn, formatDay, formatNumber, t, type Lang } from '../i18n';
import { moveFailure, movable, moveTargets } from '../moves';
import { BoardStore, type BoardState } from '../store';
import { currentDesk } from '../offline/desk';
import { PendingMark, StaleNotice, useIntents, usePendingLabel } from '../offline/ui';
import type { Booking, Session } from '../types';
import { Detail } from './Detail';
import { useUnitMove, type MoveWords } from './move';
import { Counts, onGridKey, useBoardPanels, WalkInButton } from './grid';
import { TableBoard } from './TableBoard';
import { WalkIn } from './WalkIn';

const ROOM_MOVE: MoveWords = {
  start: 'move.start',
  to: 'move.to',
  none: 'move.none',
  moving: 'move.moving',
  done: 'move.done',
  hint: 'move.drag',
  failure: moveFailure,
};

/** Starts dragging a bar: what is dragged is the booking's id. */
type DragStart = (e: DragEvent, bookingId: string) => void;

function UnitCells({ row, lang, first, onDragStart }: { row: UnitRow; lang: Lang; first: boolean; onDragStart: DragStart }) {
  const room = row.unit.number;
  const pendingLabel = usePendingLabel(lang);
  let col = 0;
  return (
    <>
      {row.cells.map((cell: Cell, i) => {
        const at = col;
        const day = formatDay(lang, cell.date);
        const tab = first && i === 0 ? 0 : -1;
        if (cell.kind === 'free') {
          col += 1;
          return (
            <td key={cell.date} data-cell data-col={at} tabIndex={tab} class="free" aria-label={t(lang, 'board.cell.free', { room, date: day })} />
          );
        }
        const { booking, span } = cell.bar;
        col += span;
        const guest = guestName(booking, t(lang, 'board.guest'));
        const date = span > 1 ? t(lang, 'board.cell.span', { from: day, to: formatDay(lang, addDays(cell.date, span - 1)) }) : day;
        const status = statusText(lang, booking.status);
        const channel = channelText(lang, booking.channel);
        const canMove = movable(booking);
        return (
          <td
            key={cell.date}
            colSpan={span}
            data-cell
            data-col={at}
            tabIndex={tab}
            aria-label={t(lang, 'board.cell.booking', { room, date, guest, status, channel }) + pendingLabel(booking.id)}
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
              <span class="guest">{guest}</span> <span class="meta">{status} · {channel}</span>
              <PendingMark lang={lang} bookingId={booking.id} />
            </div>
          </td>
        );
      })}
    </>
  );
}

/** Guests leaving today (no bar left on the board): each opens its detail, to check out. */
function Leaving({ lang, bookings, onOpen }: { lang: Lang; bookings: Booking[]; onOpen: (el: EventTarget | null) => boolean }) {
  if (bookings.length === 0) return null;
  return (
    <section class="leaving" aria-labelledby="leaving-title" data-testid="leaving-today">
      <h2 id="leaving-title">{t(lang, 'departures.title')}</h2>
      <ul class="plain">
        {bookings.map((b) => (
          <li key={b.id}>
            <button type="button" class="secondary" data-booking={b.id} onClick={(e) => onOpen(e.currentTarget)}>
              {t(lang, 'departures.item', { guest: guestName(b, t(lang, 'board.guest')), room: b.unit?.number ?? '?' })}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Board({ lang, session, onSignedOut }: { lang: Lang; session: Session; onSignedOut: () => void }) {
  const api = useMemo(() => new Api(session), [session]);
  const store = useMemo(() => new BoardStore(api, onSignedOut), [api]);
  const [state, setState] = useState<BoardState>(store.current);
  const panels = useBoardPanels();
  const { walkIn, detail, note, opener, openFrom, openDetail, openWalkIn, booked, reopenWalkIn } = panels;

  const targetsFor = (booking: Booking) =>
    moveTargets(booking, [...state.data.units.values()], [...state.data.bookings.values()], state.dates[0]);
  const { onMoveKey, onDragStart, onDragEnd, rowDrop, rowClass, status: moveStatus } = useUnitMove({
    api,
    lang,
    words: ROOM_MOVE,
    booking: (id) => state.data.bookings.get(id),
    movable,
    targetsFor,
  });

  // The conflicts list asks for the walk-in form (another type) or a booking's detail (another room).
  useIntents(reopenWalkIn, openDetail);

  useEffect(() => {
    const off = store.subscribe(setState);
    void store.start();
    return () => {
      off();
      store.stop();
    };
  }, [store]);

  // The feed reached again is the surest sign the network is back (the browser's online event may
  // never come, e.g. after a reload while offline): send the queue now rather than after a back-off.
  useEffect(() => {
    if (state.live) currentDesk()?.kick();
  }, [state.live]);

  const layout = useMemo(
    () =>
      layoutBoard(state.resources, [...state.data.units.values()], [...state.data.bookings.values()], state.dates),
    [state.resources, state.data, state.dates],
  );
  const leaving = useMemo(
    () => (state.dates[0] ? leavingToday([...state.data.bookings.values()], state.dates[0]) : []),
    [state.data, state.dates],
  );
  const days = state.dates.length;
  let firstRow = true;

  return (
    <main class="board">
      <div class="board-head">
        <h1>{t(lang, 'board.title')}</h1>
        <p class={`live ${state.live ? 'on' : 'off'}`} data-testid="live-status" role="status">
          {state.live ? t(lang, 'live.live') : t(lang, 'live.offline')}
        </p>
        {state.loaded && state.vendor?.kind === 'hotel' && !walkIn && (
          <WalkInButton opener={opener} label={t(lang, 'walkin.open')} onOpen={openWalkIn} />
        )}
      </div>
      {state.stale && <StaleNotice lang={lang} savedAt={state.savedAt} zone={state.vendor?.time_zone} />}
      <p class="note" role="status" data-testid="walk-in-note">
        {note}
      </p>
      {walkIn && state.vendor && state.dates[0] && (
        <WalkIn
          api={api}
          lang={lang}
          today={state.dates[0]}
          onClose={panels.closeWalkIn}
          onBooked={(booking, text) => booked(booking.id, text)}
        />
      )}
      {detail && state.vendor && (
        <Detail
          api={api}
          lang={lang}
          id={detail}
          zone={state.vendor.time_zone}
          version={state.data.bookings.get(detail)?.version}
          onClose={panels.closeDetail}
          targetsFor={targetsFor}
        />
      )}
      {state.vendor && <p class="vendor-name">{state.vendor.name}</p>}
      {state.vendor?.kind !== 'restaurant' && moveStatus /* the table board has its own */}
      {state.error && !state.live && <p class="error">{t(lang, 'error.load', { detail: state.error })}</p>}
      {!state.loaded && <p>{t(lang, 'board.loading')}</p>}
      {state.loaded && state.vendor?.kind === 'restaurant' && <TableBoard api={api} lang={lang} state={state} />}
      {state.loaded && state.vendor?.kind !== 'restaurant' && (
        <>
          <Counts
            lang={lang}
            items={[
              [t(lang, 'counts.arrivals'), 'count-arrivals', layout.counts.arrivals],
              [t(lang, 'counts.inHouse'), 'count-in-house', layout.counts.inHouse],
              [t(lang, 'counts.departures'), 'count-departures', layout.counts.departures],
            ]}
          />
          <Leaving lang={lang} bookings={leaving} onOpen={openFrom} />
          {layout.groups.length === 0 && <p>{t(lang, 'board.noTypes')}</p>}
          <div class="grid-scroll">
            <table
              role="grid"
              aria-label={t('en', 'board.grid')}
              onKeyDown={(e) => {
                if (onMoveKey(e)) return;
                if (e.key === 'Enter' && openFrom(e.target)) e.preventDefault();
                else onGridKey(e);
              }}
              onDragEnd={onDragEnd}
              onClick={(e) => openFrom(e.target)}
            >
              <thead>
                <tr>
                  <th scope="col">{t(lang, 'board.room')}</th>
                  {layout.dates.map((d, i) => (
                    <th scope="col" key={d} class={i === 0 ? 'today' : undefined}>
                      {formatColumn(lang, d)}
                    </th>
                  ))}
                </tr>
              </thead>
              {layout.groups.map((group) => (
                <tbody key={group.resource.id}>
                  <tr class="type-row">
                    <th scope="colgroup" colSpan={days + 1}>
                      {group.resource.name}
                    </th>
                  </tr>
                  {group.rows.map((row) => {
                    const first = firstRow;
                    firstRow = false;
                    return (
                      <tr key={row.unit.id} data-testid={`unit-${row.unit.number}`} class={rowClass(row.unit.id)} {...rowDrop(row.unit.id)}>
                        <th scope="row">
                          {row.unit.number}
                          {row.unit.status === 'out_of_order' && <span class="ooo"> ({t(lang, 'board.outOfOrder')})</span>}
                        </th>
                        <UnitCells row={row} lang={lang} first={first} onDragStart={onDragStart} />
                      </tr>
                    );
                  })}
                  <tr data-testid={`unassigned-${group.resource.id}`} class="unassigned">
                    <th scope="row">{t(lang, 'board.unassigned')}</th>
                    <td colSpan={days} data-cell={group.unassigned.length === 0 ? true : undefined} data-col={0} tabIndex={group.unassigned.length === 0 ? -1 : undefined}>
                      <div class="lanes">
                        {group.unassigned.map((bar) => {
                          const guest = guestName(bar.booking, t(lang, 'board.guest'));
                          return (
                            <div
                              key={bar.booking.id}
                              class={`bar status-${bar.booking.status.toLowerCase()}`}
                              data-testid={`booking-${bar.booking.id}`}
                              data-booking={bar.booking.id}
                              data-status={bar.booking.status}
                              data-cell
                              data-col={bar.start}
                              tabIndex={-1}
                              style={{ gridColumn: `${bar.start + 1} / span ${bar.span}` }}
                              draggable={movable(bar.booking)}
                              onDragStart={(e) => onDragStart(e, bar.booking.id)}
                              aria-describedby={movable(bar.booking) ? 'move-hint' : undefined}
                            >
                              <span class="guest">{guest}</span>{' '}
                              <span class="meta">
                                {statusText(lang, bar.booking.status)} · {channelText(lang, bar.booking.channel)}
                              </span>
                              <PendingMark lang={lang} bookingId={bar.booking.id} />
                            </div>
                          );
                        })}
                      </div>
                    </td>
                  </tr>
                  <tr class="free-row">
                    <th scope="row">{t(lang, 'board.free')}</th>
                    {group.free.map((n, i) => (
                      <td key={layout.dates[i]} data-cell data-col={i} tabIndex={-1} aria-label={`${t(lang, 'board.freeRow', { type: group.resource.name })}, ${formatDay(lang, layout.dates[i])}: ${n}`}>
                        {formatNumber(lang, n)}
                      </td>
                    ))}
                  </tr>
                </tbody>
              ))}
            </table>
          </div>
        </>
      )}
    </main>
  );
}
