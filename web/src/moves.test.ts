import { describe, expect, it } from 'vitest';
import { dropTarget, movable, moveTargets, stepTarget, takenFrom } from './moves';
import { stay, unit } from './test-fixtures';

const in_ = (unit_id: string, number: string) => ({ unit: { unit_id, number } });

const units = [unit('u103', '103'), unit('u101', '101'), unit('u102', '102'), unit('s1', '201', { resource_id: 'suite' })];

describe('move targets', () => {
  it('lists the other rooms of the booking type, by number, leaving out its own room and other types', () => {
    const b = stay('b', '2026-03-12', '2026-03-14', in_('u101', '101'));
    expect(moveTargets(b, units, [b]).map((t) => t.unit.number)).toEqual(['102', '103']);
  });

  it('marks a room taken on the nights another booking is put in it, free when the stays only touch', () => {
    const b = stay('b', '2026-03-12', '2026-03-14', in_('u101', '101'));
    const overlapping = stay('o', '2026-03-13', '2026-03-15', in_('u102', '102'));
    const before = stay('p', '2026-03-10', '2026-03-12', in_('u103', '103'));
    const targets = moveTargets(b, units, [b, overlapping, before]);
    expect(targets.map((t) => [t.unit.number, t.free, t.taken])).toEqual([
      ['102', false, ['2026-03-13']],
      ['103', true, []],
    ]);
  });

  it('ignores cancelled, expired and completed bookings and bookings in no room', () => {
    const b = stay('b', '2026-03-12', '2026-03-14');
    const others = [
      stay('c', '2026-03-12', '2026-03-14', { ...in_('u101', '101'), status: 'CANCELLED' }),
      stay('e', '2026-03-12', '2026-03-14', { ...in_('u102', '102'), status: 'EXPIRED' }),
      stay('d', '2026-03-11', '2026-03-13', { ...in_('u103', '103'), status: 'COMPLETED' }),
      stay('n', '2026-03-12', '2026-03-14'),
    ];
    expect(moveTargets(b, units, [b, ...others]).every((t) => t.free)).toBe(true);
  });

  it('counts only the nights from today on, and a room out of order today as taken today', () => {
    const inHouse = stay('b', '2026-03-10', '2026-03-14', { ...in_('u101', '101'), status: 'CHECKED_IN' });
    const past = stay('p', '2026-03-10', '2026-03-12', { ...in_('u102', '102'), status: 'CHECKED_IN' });
    const list = [unit('u101', '101'), unit('u102', '102'), unit('u103', '103', { status: 'out_of_order' })];
    const targets = moveTargets(inHouse, list, [inHouse, past], '2026-03-12');
    expect(targets.map((t) => [t.unit.number, t.free, t.taken])).toEqual([
      ['102', true, []],
      ['103', false, ['2026-03-12']],
    ]);
  });

  it('never offers a room out of service', () => {
    const b = stay('b', '2026-03-12', '2026-03-14');
    const list = [unit('u101', '101', { in_service: false }), unit('u102', '102')];
    expect(moveTargets(b, list, [b]).map((t) => t.unit.number)).toEqual(['102']);
  });

  it('moves only live one-room stays', () => {
    expect(movable(stay('a', '2026-03-12', '2026-03-14'))).toBe(true);
    expect(movable(stay('a', '2026-03-12', '2026-03-14', { status: 'CHECKED_IN' }))).toBe(true);
    expect(movable(stay('a', '2026-03-12', '2026-03-14', { status: 'COMPLETED' }))).toBe(false);
    expect(movable(stay('a', '2026-03-12', '2026-03-14', { status: 'CANCELLED' }))).toBe(false);
    expect(movable(stay('a', '2026-03-12', '2026-03-14', { units: 2 }))).toBe(false);
  });
});

describe('choosing a target', () => {
  const b = stay('b', '2026-03-12', '2026-03-14', in_('u101', '101'));
  const targets = moveTargets(b, units, [b]);

  it('steps down from none to the first and up from none to the last, stopping at the ends', () => {
    expect(stepTarget(targets, -1, 1)).toBe(0);
    expect(stepTarget(targets, -1, -1)).toBe(1);
    expect(stepTarget(targets, 1, 1)).toBe(1);
    expect(stepTarget(targets, 0, -1)).toBe(0);
    expect(stepTarget([], -1, 1)).toBe(-1);
  });

  it('finds the drop target by the row unit, none for its own room or another type', () => {
    expect(dropTarget(targets, 'u103')?.unit.number).toBe('103');
    expect(dropTarget(targets, 'u101')).toBeUndefined();
    expect(dropTarget(targets, 's1')).toBeUndefined();
  });
});

describe('a refused move', () => {
  it('names the room and nights from the 409 unit-taken problem', () => {
    const problem = { type: 'https://reservations.example/problems/unit-taken', unit_number: '214', nights: ['2026-04-07', 3] };
    expect(takenFrom(problem, '999')).toEqual({ room: '214', nights: ['2026-04-07'] });
    expect(takenFrom({}, '104')).toEqual({ room: '104', nights: [] });
  });
});

describe('a refused move in words', () => {
  it('names the room and the nights of a 409 unit-taken, in the language', async () => {
    const { ApiError } = await import('./api');
    const { moveFailure } = await import('./moves');
    const err = new ApiError(409, {
      type: 'https://reservations.example/problems/unit-taken',
      detail: 'unit 104 is taken',
      unit_number: '104',
      nights: ['2026-04-07', '2026-04-08'],
    } as ConstructorParameters<typeof ApiError>[1]);
    expect(moveFailure('en', err, '999')).toBe('Room 104 is taken on 7 April, 8 April. Nothing was moved.');
    expect(moveFailure('de', err, '999')).toBe('Zimmer 104 ist am 7. April, 8. April belegt. Nichts wurde verschoben.');
    expect(moveFailure('en', new Error('offline'), '104')).toBe('The move did not work: offline');
  });
});
