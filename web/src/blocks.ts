// Out-of-order blocks as the housekeeping view knows them: from the change feed's block entries
// (the unit list says only "out_of_order" today, not which block nor until when). Pure.
import type { ChangeEntry, LocalDate, Unit } from './types';

export interface KnownBlock {
  id: string;
  unitId: string;
  from: LocalDate;
  /** The first day back in order. */
  to: LocalDate;
  removed: boolean;
  version: number;
}

/** Applies block entries (newest version wins; an entry seen again changes nothing). */
export function applyBlockEntries(known: Map<string, KnownBlock>, entries: ChangeEntry[]): Map<string, KnownBlock> {
  const next = new Map(known);
  for (const entry of entries) {
    if (entry.kind !== 'block') continue;
    const d = entry.detail;
    const id = typeof d.block_id === 'string' ? d.block_id : entry.aggregate_id;
    const held = next.get(id);
    if (held && held.version >= entry.version) continue;
    if (typeof d.unit_id !== 'string' || typeof d.from !== 'string' || typeof d.to !== 'string') continue;
    next.set(id, { id, unitId: d.unit_id, from: d.from, to: d.to, removed: d.removed === true, version: entry.version });
  }
  return next;
}

/** The unit's block still to end (not removed, back in order after today), the earliest first. */
export function currentBlock(known: Map<string, KnownBlock>, unitId: string, today: LocalDate): KnownBlock | undefined {
  return [...known.values()]
    .filter((b) => b.unitId === unitId && !b.removed && b.to > today)
    .sort((a, b) => a.from.localeCompare(b.from))[0];
}

/** The block the unit list names for an out-of-order unit; its days are unknown (`to` is empty). */
export function listedBlock(unit: Unit, today: LocalDate): KnownBlock | undefined {
  if (unit.status !== 'out_of_order' || !unit.block_id) return undefined;
  return { id: unit.block_id, unitId: unit.id, from: today, to: '', removed: false, version: 0 };
}
