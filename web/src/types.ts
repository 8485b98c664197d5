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
  /** How many one unit seats (a table type: the most a table of it seats). */
  capacity?: number;
  /** Table types: the slot grid from local midnight and how long a seating holds a table. */
  seating?: { slot_minutes: number; seating_minutes: number };
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
  /** When out of order: the block in force on the listed date. */
  block_id?: string;
  /** Tables: how many it seats, and where it stands. */
  seats?: number;
  area?: string;
}

export interface StayTime {
  kind: 'stay';
  check_in: LocalDate;
  check_out: LocalDate;
}

export interface SeatingTime {
  kind: 'seating';
  /** The local date and start time (HH:MM) of the seating. */
  date: LocalDate;
  time: string;
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
  payment?: { deposit: Money | null; cancellation?: CancellationTerms };
  /** When the guest is due (the arrival day at the type's check-in time), an instant. */
  arrival_at?: string;
  desk_payments?: { amount: Money; method: 'cash' | 'card_terminal'; taken_at: string }[];
  hold_expires_at?: string;
  /** What happened to an online deposit at Stripe; absent for desk bookings (paid at the desk). */
  deposit_payment?: DepositPayment;
}

export type DepositStatus =
  | 'AWAITING_PAYMENT'
  | 'PAID'
  | 'REFUND_DUE'
  | 'REFUND_PENDING'
  | 'REFUNDED'
  | 'REFUND_FAILED'
  | 'KEPT'
  | 'VOIDED';

export interface DepositPayment {
  status: DepositStatus;
  paid?: Money;
  settlement?: { refund: Money; kept: Money };
  refund?: { amount: Money };
}

/** The cancellation terms copied onto a booking when it was held (README, Money rules). */
export interface CancellationTerms {
  free_until_hours: number;
  late_fee: { kind: 'fixed'; amount: Money } | { kind: 'percent'; percent: number } | null;
  no_show_grace_minutes?: number;
}

/** A period a unit is out of order: from `from` up to, not including, `to`. */
export interface Block {
  id: string;
  unit_id: string;
  from: LocalDate;
  to: LocalDate;
  reason: string;
  removed_at?: string;
}

/** One fact of a booking's life (`GET /booking/{id}/history`), oldest first. */
export interface HistoryItem {
  version: number;
  detail_type: string;
  occurred_at: string;
  status: BookingStatus;
  previous_status?: BookingStatus | null;
  time?: StayTime | SeatingTime;
  unit?: { id: string; number: string } | null;
  total?: Money;
  deposit_status?: DepositStatus | null;
  desk_payments?: { amount: Money; method: 'cash' | 'card_terminal'; taken_at: string }[];
  booked_by?: string;
  channel?: Channel;
}

export interface BookingHistory {
  booking_id: string;
  items: HistoryItem[];
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
