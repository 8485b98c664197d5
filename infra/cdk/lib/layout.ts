// Which nested stack each function goes to. CloudFormation allows 500 resources per stack, and
// one stack held the whole system at 454; so the functions live in nested stacks by area, chosen
// from routes.json alone, so a new route or consumer lands in one without a change here.
import { RouteTable } from './definitions';
import { FunctionKind } from './functions';

/** The nested stacks that hold functions (with their roles, log groups, triggers and routes). */
export type FunctionStackName = 'PlatformApi' | 'VendorApi' | 'BookingApi' | 'Workers';

/**
 * HTTP functions by the first segment of their (first) route's path. A segment not listed here
 * (`/.well-known`, `/user`, `/audit`, anything new) goes to `PlatformApi`.
 */
export const HTTP_AREAS: Record<string, FunctionStackName> = {
  vendor: 'VendorApi',
  vendors: 'VendorApi',
  booking: 'BookingApi',
  bookings: 'BookingApi',
  payment: 'BookingApi',
};

export const DEFAULT_HTTP_STACK: FunctionStackName = 'PlatformApi';

/** Consumers, stream readers and scheduled functions all go here. */
export const WORKERS_STACK: FunctionStackName = 'Workers';

/** What each stack holds, for its description. */
export const FUNCTION_STACKS: Record<FunctionStackName, string> = {
  PlatformApi: 'HTTP functions of /.well-known, /user and any new path area, with their routes',
  VendorApi: 'HTTP functions of /vendor and /vendors, with their routes',
  BookingApi: 'HTTP functions of /booking, /bookings and /payment, with their routes',
  Workers: 'consumers, the stream publisher and scheduled functions, with their triggers',
};

/** `/booking/{id}/receipt` -> `booking`; `/.well-known/jwks.json` -> `.well-known`. */
export function pathArea(path: string): string {
  return path.split('/').filter(Boolean)[0] ?? '';
}

/** The nested stack of a function, given how routes.json invokes it. */
export function functionStack(name: string, kind: FunctionKind, routes: RouteTable): FunctionStackName {
  if (kind !== 'http') return WORKERS_STACK;
  const route = routes.routes.find((r) => r.function === name);
  if (!route) throw new Error(`${name} is an HTTP function without a route`);
  return HTTP_AREAS[pathArea(route.path)] ?? DEFAULT_HTTP_STACK;
}
