// Applying change-feed entries to the board's state: pure, so it is unit-tested.
// Each entry's detail is a full snapshot (ids only, no names); an entry is applied only when its
// version is newer than the one held, so applying one twice, or after a reload, changes nothing.
import type { Booking, ChangeEntry, Unit } from './types';

export interface BoardData {
  bookings: Map<string, Booking>;
  units: Map<string, Unit>;
}

export interface Applied {
  data: BoardData;
  /** Bookings to re-read with GET /booking/{id} (new desk bookings: their guest's name). */
  fetchBookings: string[];
  /** Something the feed describes only in part changed (a block, a type): reload units and types. */
  reload: boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** The booking an entry describes, merged over what is held (keeping its guest's name). */
export function bookingFromDetail(detail: Record<string, unknown>, held?: Booking): Booking | undefined {
  const id = str(detail.booking_id);
  const resource_id = str(detail.resource_id);
  const status = str(detail.status) as Booking['status'] | undefined;
  const version = num(detail.version);
  const time = detail.time as Booking['time'] | undefined;
  if (!id || !resource_id || !status || version === undefined || !time) return undefined;
  const unit = detail.unit as Booking['unit'] | undefined;
  return {
    ...held,
    id,
    resource_id,
    status,
    version,
    time,
    guest_id: str(detail.guest_id),
    booked_by: str(detail.booked_by),
    channel: (str(detail.channel) ?? held?.channel ?? 'online') as Booking['channel'],
    party_size: num(detail.party_size) ?? held?.party_size ?? 1,
    units: num(detail.units) ?? held?.units ?? 1,
    buckets: Array.isArray(detail.buckets) ? (detail.buckets as string[]) : held?.buckets,
    unit: unit && typeof unit.unit_id === 'string' ? { unit_id: unit.unit_id, number: unit.number } : undefined,
  };
}

/** Facts carry no names: a booking new to the board is read once for its guest's name. */
function needsName(b: Booking): boolean {
  return !b.guest_name && !b.desk_guest;
}

export function applyEntries(data: BoardData, entries: ChangeEntry[]): Applied {
  const bookings = new Map(data.bookings);
  const units = new Map(data.units);
  const fetch = new Set<string>();
  let reload = false;

  for (const entry of entries) {
    switch (entry.kind) {
      case 'booking': {
        const held = bookings.get(entry.aggregate_id);
        if (held && held.version >= entry.version) break;
        const next = bookingFromDetail(entry.detail, held);
        if (!next) break;
        bookings.set(next.id, next);
        if (needsName(next)) fetch.add(next.id);
        break;
      }
      case 'unit': {
        const held = units.get(entry.aggregate_id);
        const d = entry.detail;
        if (held && held.version >= entry.version) break;
        const housekeeping = (str(d.housekeeping) ?? held?.housekeeping ?? 'dirty') as Unit['housekeeping'];
        const unit: Unit = {
          occupied: false,
          ...held,
          id: entry.aggregate_id,
          resource_id: str(d.resource_id) ?? held?.resource_id ?? '',
          number: str(d.number) ?? held?.number ?? '',
          in_service: typeof d.in_service === 'boolean' ? d.in_service : (held?.in_service ?? true),
          housekeeping,
          version: entry.version,
          status: held?.status === 'out_of_order' ? 'out_of_order' : housekeeping,
        };
        units.set(unit.id, unit);
        break;
      }
      case 'block':
      case 'resource':
        reload = true;
        break;
    }
  }
  return { data: { bookings, units }, fetchBookings: [...fetch], reload };
}
