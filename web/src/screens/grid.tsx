// What the room board and the restaurant board share (here, as the room board imports the
// restaurant's): the grid's arrow keys, the day's counts and the detail or walk-in that a bar or
// the walk-in button opens, with focus going back where it came from.
import type { RefObject } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { formatNumber, type Lang } from '../i18n';
import { useReturnFocus } from './focus';

/** Arrow keys move focus between the grid's cells (one tab stop for the whole grid). */
export function onGridKey(e: KeyboardEvent) {
  const moves: Record<string, [number, number]> = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
  const move = moves[e.key];
  const cell = (e.target as HTMLElement).closest<HTMLElement>('[data-cell]');
  if (!move || !cell) return;
  const grid = e.currentTarget as HTMLElement;
  const rows = [...grid.querySelectorAll('tr')].filter((r) => r.querySelector('[data-cell]'));
  const row = cell.closest('tr') as HTMLTableRowElement;
  const cellsOf = (tr: Element) => [...tr.querySelectorAll<HTMLElement>('[data-cell]')];
  let target: HTMLElement | undefined;
  if (move[0] === 0) {
    const cells = cellsOf(row);
    target = cells[cells.indexOf(cell) + move[1]];
  } else {
    const next = rows[rows.indexOf(row) + move[0]];
    if (next) {
      const col = Number(cell.dataset.col);
      const cells = cellsOf(next);
      target = cells.filter((c) => Number(c.dataset.col) <= col).pop() ?? cells[0];
    }
  }
  if (!target) return;
  e.preventDefault();
  grid.querySelectorAll<HTMLElement>('[data-cell]').forEach((c) => (c.tabIndex = -1));
  target.tabIndex = 0;
  target.focus();
}

/** The booking id of the bar at (or in) an element. */
export function bookingAt(el: HTMLElement | null | undefined): string | undefined {
  return (el?.closest<HTMLElement>('[data-booking]') ?? el?.querySelector<HTMLElement>('[data-booking]'))?.dataset.booking;
}

/** The button that opens the walk-in form; focus comes back to it (`opener`) when the form closes. */
export function WalkInButton({ opener, label, onOpen }: { opener: RefObject<HTMLButtonElement>; label: string; onOpen: () => void }) {
  return (
    <button type="button" ref={opener} onClick={onOpen}>
      {label}
    </button>
  );
}

/** The day's counts: label, test id and number of each. */
export function Counts({ lang, items }: { lang: Lang; items: [label: string, testid: string, n: number][] }) {
  return (
    <dl class="counts">
      {items.map(([label, testid, n]) => (
        <div key={testid}>
          <dt>{label}</dt>
          <dd data-testid={testid}>{formatNumber(lang, n)}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * The booking whose detail is open (by click, or Enter on its cell or bar) and whether the walk-in
 * form is: one at a time. Closing either puts focus back on the cell or the walk-in button. `note`
 * says what the last walk-in booked.
 */
export function useBoardPanels() {
  const [walkIn, setWalkIn] = useState(false);
  const [note, setNote] = useState<string | undefined>();
  const [detail, setDetail] = useState<string | undefined>();
  const [detailFrom, setDetailFrom] = useState<HTMLElement | undefined>();
  const opener = useRef<HTMLButtonElement>(null);
  const returnFocus = useReturnFocus();
  const openFrom = (target: EventTarget | null) => {
    const el = target as HTMLElement | null;
    const id = bookingAt(el);
    if (!id) return false;
    setWalkIn(false);
    // Focus goes back to the cell (or the list's button) the detail was opened from.
    setDetailFrom(el?.closest<HTMLElement>('[data-cell], button') ?? undefined);
    setDetail(id);
    return true;
  };
  /** A booking's detail opened from elsewhere (just booked, or asked by the conflicts list). */
  const openDetail = (id: string) => {
    setWalkIn(false);
    setDetailFrom(undefined);
    setDetail(id);
  };
  /** The walk-in form, in place of any detail (and of the last walk-in's note). */
  const openWalkIn = () => {
    setNote(undefined);
    setDetail(undefined);
    setWalkIn(true);
  };
  /** A walk-in booked: says so, and opens its detail. */
  const booked = (id: string, text: string) => {
    setNote(text);
    openDetail(id);
  };
  /** The walk-in form opened afresh (asked by the conflicts list: prefilled from its intent). */
  const reopenWalkIn = () => {
    setDetail(undefined);
    setWalkIn(false);
    setTimeout(() => setWalkIn(true), 0);
  };
  const closeDetail = () => {
    setDetail(undefined);
    returnFocus(() => (detailFrom?.isConnected ? detailFrom : opener.current));
  };
  const closeWalkIn = () => {
    setWalkIn(false);
    // The button is drawn again only once the form is gone.
    returnFocus(() => opener.current);
  };
  return { walkIn, detail, note, opener, openFrom, openDetail, openWalkIn, booked, reopenWalkIn, closeDetail, closeWalkIn };
}
