// Moving a booking to another unit on a board, shared by the room board and the table board: by
// keyboard (m on a bar, arrows choose, Enter moves, Escape stops) or by dragging a bar onto a
// row, each step said in a live region. The board only proposes; the server decides, and the
// change feed moves the bar.
import { useRef, useState } from 'preact/hooks';
import type { Api } from '../api';
import { guestName } from '../board';
import { t, type Key, type Lang } from '../i18n';
import { dropTarget, stepTarget, type MoveTarget } from '../moves';
import type { Booking, Unit } from '../types';
import { bookingAt } from './grid';

/** The words of a move: rooms on the room board, tables on the table board. */
export interface MoveWords {
  start: Key;
  to: Key;
  none: Key;
  moving: Key;
  done: Key;
  hint: Key;
  /** A refused move in words (a 409 names the unit taken). */
  failure: (lang: Lang, err: unknown, unit: string) => string;
}

/** A move under way by keyboard: the booking, where it may go, and the one chosen (-1: none yet). */
interface Move {
  booking: Booking;
  targets: MoveTarget[];
  index: number;
}

/** A bar being dragged: its booking, where it may go, and the row it is over. */
interface Drag {
  booking: Booking;
  targets: MoveTarget[];
  over?: string;
}

export function useUnitMove({
  api,
  lang,
  words,
  booking: find,
  movable,
  targetsFor,
}: {
  api: Api;
  lang: Lang;
  words: MoveWords;
  /** The board's copy of a booking. */
  booking: (id: string) => Booking | undefined;
  movable: (booking: Booking) => boolean;
  targetsFor: (booking: Booking) => MoveTarget[];
}) {
  const [move, setMove] = useState<Move | undefined>();
  const [drag, setDragState] = useState<Drag | undefined>();
  // Drag events come faster than renders: the handlers read the drag from a ref.
  const dragRef = useRef<Drag | undefined>();
  const setDrag = (next: Drag | undefined) => {
    dragRef.current = next;
    setDragState(next);
  };
  const [note, setNote] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const freeText = (target: MoveTarget) => t(lang, target.free ? 'move.free' : 'move.taken');

  const moveTo = async (booking: Booking, unit: Unit) => {
    const guest = guestName(booking, t(lang, 'board.guest'));
    setMove(undefined);
    setDrag(undefined);
    setError(undefined);
    setNote(t(lang, words.moving, { guest, room: unit.number }));
    try {
      const moved = await api.assignUnit(booking.id, { unit_id: unit.id });
      setNote(t(lang, words.done, { guest, room: moved.unit?.number ?? unit.number }));
    } catch (err) {
      setNote(undefined);
      setError(words.failure(lang, err, unit.number));
    }
  };

  /** `m` on a bar's cell starts a move; then arrows choose, Enter moves, Escape stops. */
  const onMoveKey = (e: KeyboardEvent): boolean => {
    if (move) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        const index = stepTarget(move.targets, move.index, e.key === 'ArrowDown' ? 1 : -1);
        const target = move.targets[index];
        setMove({ ...move, index });
        if (target) setNote(t(lang, words.to, { room: target.unit.number, state: freeText(target) }));
      } else if (e.key === 'Enter') {
        const target = move.targets[move.index];
        if (target) void moveTo(move.booking, target.unit);
      } else if (e.key === 'Escape') {
        setMove(undefined);
        setNote(t(lang, 'move.aborted'));
      } else if (e.key !== 'Tab') {
        return true; // other keys do nothing while a unit is chosen
      } else {
        setMove(undefined);
        return false;
      }
      e.preventDefault();
      return true;
    }
    if (e.key !== 'm' && e.key !== 'M') return false;
    const cell = (e.target as HTMLElement).closest<HTMLElement>('[data-cell]');
    const id = bookingAt(cell);
    const booking = id ? find(id) : undefined;
    if (!booking || !movable(booking)) return false;
    e.preventDefault();
    const targets = targetsFor(booking);
    setError(undefined);
    setMove({ booking, targets, index: -1 });
    setNote(targets.length === 0 ? t(lang, words.none) : t(lang, words.start, { guest: guestName(booking, t(lang, 'board.guest')) }));
    return true;
  };

  /** Starts dragging a bar: what is dragged is the booking's id. */
  const onDragStart = (e: DragEvent, bookingId: string) => {
    const booking = find(bookingId);
    if (!booking || !e.dataTransfer) return;
    e.dataTransfer.setData('text/plain', bookingId);
    e.dataTransfer.effectAllowed = 'move';
    setMove(undefined);
    setError(undefined);
    setDrag({ booking, targets: targetsFor(booking) });
  };

  /** The row under a dragged bar: a drop target when its unit is one of the booking's targets. */
  const rowDrop = (unitId: string) => ({
    onDragOver: (e: DragEvent) => {
      const now = dragRef.current;
      if (!now || !dropTarget(now.targets, unitId)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
      if (now.over !== unitId) setDrag({ ...now, over: unitId });
    },
    onDrop: (e: DragEvent) => {
      const now = dragRef.current;
      const target = now && dropTarget(now.targets, unitId);
      if (!now || !target) return;
      e.preventDefault();
      void moveTo(now.booking, target.unit);
    },
  });

  /** A row's highlight while a move is under way: where the bar would go, free or taken. */
  const rowClass = (unitId: string): string | undefined => {
    const chosen = move?.targets[move.index];
    if (chosen?.unit.id === unitId) return `move-target ${chosen.free ? 'move-free' : 'move-taken'}`;
    const dragged = drag && dropTarget(drag.targets, unitId);
    if (dragged) return `drop-target ${dragged.free ? 'move-free' : 'move-taken'}${drag?.over === unitId ? ' drop-over' : ''}`;
    return undefined;
  };

  /** The live region, the refusal and the hint a movable bar is described by. */
  const status = (
    <>
      <p class="note" role="status" data-testid="move-status">
        {note}
      </p>
      {error && (
        <p class="error" role="alert" data-testid="move-error">
          {error}
        </p>
      )}
      <p id="move-hint" class="sr-only">
        {t(lang, words.hint)}
      </p>
    </>
  );

  return { onMoveKey, onDragStart, onDragEnd: () => setDrag(undefined), rowDrop, rowClass, status };
}
