// The API's shapes the app reads (shared/api/openapi.json), only the fields it uses.

export type LocalDate = string; // YYYY-MM-DD in the vendor's zone

export type BookingStatus =
  | 'HELD'
  | 'CONFIRMED'
  | 'CHECKED_IN'
  | 'COMPLETED'
  | 'CANCELLED'
  | 'EXPIRED'
  | 'NO_SHOW';

export type Channel = 'online' | 'walk_in' | 'phone' | 'front_desk';

export interface Money {
  amount_minor: number;
  currency: string;
}

export interface Vendor {
  id: string;
  kind: 'hotel' | 'restaurant';
  name: string;
  time_zone: string;
  currency: string;
}

export interface Resource {
  id: string;
  name: string;
  kind: string;
  units: number;
  base_price: Money;
}

export interface Offer {
  resource_id: string;
  name: string;
  kind: string;
  capacity: number;
  units_left: number;
  quote: { total: Money };
}

export type HousekeepingStatus = 'clean' | 'dirty' | 'inspected';
export type UnitStatus = HousekeepingStatus | 'out_of_order';

export interface Unit {
  id: string;
  resource_id: string;
  number: string;
  floor?: number;
  in_service: boolean;
  housekeeping: HousekeepingStatus;
  housekeeper?: string;
  version: number;
  status: UnitStatus;
  occupied: boolean;
}

export interface StayTime {
  kind: 'stay';
  check_in: LocalDate;
  check_out: LocalDate;
}

export interface SeatingTime {
  kind: 'seating';
  [key: string]: unknown;
}

export interface Booking {
  id: string;
  resource_id: string;
  guest_id?: string;
  booked_by?: string;
  channel: Channel;
  party_size: number;
  units: number;
  time: StayTime | SeatingTime;
  buckets?: string[];
  status: BookingStatus;
  version: number;
  desk_guest?: { name: string; email?: string; phone?: string };
  /** The guest's name as staff read it (the account's or the desk's); never in feed entries. */
  guest_name?: string;
  unit?: { unit_id: string; number: string };
  quote?: { total: Money };
  payment?: { deposit: Money | null };
  desk_payments?: { amount: Money; method: 'cash' | 'card_terminal'; taken_at: string }[];
  hold_expires_at?: string;
}

export interface ChangeEntry {
  position: string;
  kind: 'booking' | 'resource' | 'unit' | 'block';
  aggregate_id: string;
  version: number;
  detail_type: string;
  detail: Record<string, unknown>;
}

export interface ChangeFeed {
  changes: ChangeEntry[];
  next: string;
}

export type Role = 'manager' | 'desk' | 'housekeeping';

export interface Session {
  token: string;
  vendorId: string;
  role: Role;
  expiresAt: number; // ms since the epoch
}
