import { describe, expect, it } from 'vitest';
import { applyBlockEntries, currentBlock, listedBlock } from './blocks';
import type { ChangeEntry } from './types';

const entry = (version: number, detail: Record<string, unknown>, kind: ChangeEntry['kind'] = 'block'): ChangeEntry => ({
  position: String(version).padStart(20, '0'),
  kind,
  aggregate_id: String(detail.block_id ?? 'x'),
  version,
  detail_type: 'UnitBlockChanged',
  detail,
});
const block = (id: string, unit_id: string, from: string, to: string, removed = false) => ({ block_id: id, unit_id, from, to, removed });

describe('out-of-order blocks from the feed', () => {
  it('keeps the newest version of each block, ignores other entries and replays', () => {
    let known = applyBlockEntries(new Map(), [
      entry(1, block('b1', 'u101', '2026-03-12', '2026-03-14')),
      entry(1, { unit_id: 'u101' }, 'unit'),
    ]);
    expect(currentBlock(known, 'u101', '2026-03-12')?.id).toBe('b1');
    known = applyBlockEntries(known, [entry(2, block('b1', 'u101', '2026-03-12', '2026-03-14', true))]);
    expect(currentBlock(known, 'u101', '2026-03-12')).toBeUndefined();
    // The first version seen again does not bring it back.
    known = applyBlockEntries(known, [entry(1, block('b1', 'u101', '2026-03-12', '2026-03-14'))]);
    expect(currentBlock(known, 'u101', '2026-03-12')).toBeUndefined();
  });

  it('offers the earliest block still to end, not one that ended nor another room s', () => {
    const known = applyBlockEntries(new Map(), [
      entry(1, block('old', 'u101', '2026-03-01', '2026-03-12')),
      entry(1, block('later', 'u101', '2026-03-20', '2026-03-22')),
      entry(1, block('soon', 'u101', '2026-03-13', '2026-03-15')),
      entry(1, block('other', 'u102', '2026-03-12', '2026-03-13')),
    ]);
    expect(currentBlock(known, 'u101', '2026-03-12')?.id).toBe('soon');
    expect(currentBlock(known, 'u103', '2026-03-12')).toBeUndefined();
  });

  it('takes the block the unit list names when the feed no longer holds it', () => {
    const unit = { id: 'u101', resource_id: 'r', number: '101', in_service: true, housekeeping: 'clean', version: 1, occupied: false } as const;
    expect(listedBlock({ ...unit, status: 'out_of_order', block_id: 'b9' }, '2026-03-12')).toMatchObject({ id: 'b9', unitId: 'u101', to: '' });
    expect(listedBlock({ ...unit, status: 'out_of_order' }, '2026-03-12')).toBeUndefined();
    expect(listedBlock({ ...unit, status: 'clean', block_id: 'b9' }, '2026-03-12')).toBeUndefined();
  });
});
