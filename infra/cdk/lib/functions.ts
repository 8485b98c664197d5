// Each function's size, time limit and the configuration its code reads at cold start. What it
// may touch is in permissions.ts; how it is triggered comes from routes.json.
import { RouteTable } from './definitions';

/**
 * A group of environment variables one piece of shared code reads (`config::required` /
 * `config::optional` under shared/src), so a function gets exactly what its main.rs builds.
 */
export type ConfigGroup =
  /** `DynamoStore::from_env`: ACCOUNTS_TABLE, VENDORS_TABLE, BOOKINGS_TABLE, INVENTORY_TABLE. */
  | 'store'
  /** `Inbox::from_env` / `DynamoLedger::from_env`: LEDGER_TABLE. */
  | 'ledger'
  /** `AnyIndex::from_env`: SEARCH_BACKEND, then SEARCH_TABLE or OPENSEARCH_URL + OPENSEARCH_INDEX. */
  | 'search'
  /** `StripeSettings::load`: STRIPE_SECRET_ID (the secret's ARN), STRIPE_API_BASE if given. */
  | 'stripe'
  /** `PushKey::load`: ARI_PUSH_SECRET_ID (the ARI push key secret's ARN). */
  | 'ariPushKey'
  /** `TokenSettings::from_env`: JWT_ISSUER, JWT_AUDIENCE. */
  | 'tokens'
  /** `KmsSigner::from_env`: JWT_KMS_KEY_ID. */
  | 'signer'
  /** `StreamTables::from_env`: BOOKINGS_TABLE, VENDORS_TABLE, BILLING_TABLE, ACCOUNTS_TABLE, INVENTORY_TABLE (to tell stream records apart). */
  | 'streamTables'
  /** `EventBridgeBus::from_env`: EVENT_BUS_NAME. */
  | 'bus'
  /** `SqsHoldTimer::from_env`: HOLD_EXPIRY_QUEUE_URL. */
  | 'holdTimer'
  /** `SqsFlushQueue::from_env`: ARI_FLUSH_QUEUE_URL (the channels' delayed ARI flushes). */
  | 'ariFlushQueue'
  /** `DynamoArchive::from_env`: BOOKING_ARCHIVE_TABLE (the archived bookings' index). */
  | 'archiveIndex'
  /** `S3Records::from_env`: ARCHIVE_BUCKET (the archived bookings' records). */
  | 'archiveRecords'
  /** `archiver::Settings::from_env`: ARCHIVE_AFTER_DAYS. */
  | 'archiveAge'
  /** `SesMailer::from_env`: SES_FROM_ADDRESS. */
  | 'mail'
  /** `SchedulerReminders::from_env`: REMINDER_SCHEDULE_GROUP, REMINDER_TARGET_ARN, REMINDER_ROLE_ARN. */
  | 'reminders'
  /** `notifier::Settings` and SMS: APP_BASE_URL (the payment link's base), SMS_ENABLED. */
  | 'notices'
  /** `DynamoAudit::from_env`: AUDIT_TABLE (the audit logs). */
  | 'auditLog'
  /** `KmsCheckpointSigner::from_env`, `audit_public_key_from_env`: AUDIT_KMS_KEY_ID (the audit key's ARN). */
  | 'auditKey'
  /** `audit_witness::DynamoWitnessState::from_env`: AUDIT_WITNESS_TABLE (the trees the witness verified). */
  /** `DynamoReports::from_env`: REPORTS_TABLE (the reports projection). */
  | 'reportsTable'
  /** `DynamoBilling::from_env`: BILLING_TABLE (invoices, credit notes and their sequences). */
  | 'billingTable'
  /** `SchedulerSchedules::from_env`: NIGHT_AUDIT_SCHEDULE_GROUP, NIGHT_AUDIT_TARGET_ARN, NIGHT_AUDIT_ROLE_ARN. */
  | 'auditSchedules'
  | 'witnessState';

export type FunctionKind = 'http' | 'consumer' | 'stream' | 'schedule';

export interface FunctionProfile {
  readonly config: ConfigGroup[];
  /** Overrides of the kind's default size and time limit, with the reason. */
  readonly memoryMb?: number;
  readonly timeoutSeconds?: number;
  readonly sizing?: string;
}

/**
 * Per kind: HTTP handlers answer within API Gateway's 30 s; consumers stay well under their
 * queue's 60 s visibility timeout; the publisher and the reconciliation work through batches.
 */
export const KIND_DEFAULTS: Record<FunctionKind, { memoryMb: number; timeoutSeconds: number }> = {
  http: { memoryMb: 256, timeoutSeconds: 10 },
  consumer: { memoryMb: 512, timeoutSeconds: 30 },
  stream: { memoryMb: 512, timeoutSeconds: 60 },
  schedule: { memoryMb: 512, timeoutSeconds: 300 },
};

// Argon2id (19 MiB, 2 passes) is CPU-bound, and Lambda's CPU grows with memory: at 256 MB a hash
// takes several hundred milliseconds, at 1024 MB about a quarter of that.
const HASHES_PASSWORDS = {
  memoryMb: 1024,
  sizing: 'hashes or verifies an Argon2id password; CPU scales with memory',
};
const CALLS_STRIPE = {
  timeoutSeconds: 15,
  sizing: 'waits on Stripe within the request (its client retries once)',
};

export const FUNCTIONS: Record<string, FunctionProfile> = {
  'openid-configuration': { config: ['tokens'] },
  jwks: { config: ['signer', 'auditKey'] },
  'user-create': { config: ['store'], ...HASHES_PASSWORDS },
  'user-login': { config: ['store', 'tokens', 'signer'], ...HASHES_PASSWORDS },
  'user-get': { config: ['store'] },
  'user-update': { config: ['store'], ...HASHES_PASSWORDS },
  'vendor-search': {
    config: ['store', 'search'],
    memoryMb: 512,
    sizing: 'queries several index partitions in parallel and inflates the listings',
  },
  'vendor-create': { config: ['store', 'auditSchedules'], ...HASHES_PASSWORDS },
  'vendor-login': { config: ['store', 'tokens', 'signer'], ...HASHES_PASSWORDS },
  'vendor-get': { config: ['store'] },
  'vendor-update': { config: ['store', 'auditSchedules'] },
  'vendor-staff-create': { config: ['store'], ...HASHES_PASSWORDS },
  'vendor-staff-list': { config: ['store'] },
  'resource-create': { config: ['store'] },
  'resource-list': { config: ['store'] },
  'vendor-availability': { config: ['store'] },
  'resource-get': { config: ['store'] },
  'resource-update': { config: ['store'] },
  'booking-create': { config: ['store', 'archiveIndex', 'stripe'], ...CALLS_STRIPE },
  'booking-get': { config: ['store', 'archiveIndex', 'archiveRecords'] },
  'booking-update': { config: ['store', 'archiveIndex'] },
  'booking-status-get': { config: ['store', 'archiveIndex'] },
  'booking-history-get': { config: ['store', 'archiveIndex'] },
  'booking-status-update': { config: ['store', 'archiveIndex'] },
  'booking-payment': { config: ['store', 'archiveIndex'] },
  'booking-review': { config: ['store'] },
  'waitlist-join': { config: ['store'] },
  'waitlist-list': { config: ['store'] },
  'waitlist-user': { config: ['store'] },
  'waitlist-leave': { config: ['store'] },
  'unit-create': { config: ['store'] },
  'unit-list': { config: ['store'] },
  'unit-update': { config: ['store'] },
  'unit-housekeeping': { config: ['store'] },
  'unit-block-create': { config: ['store', 'archiveIndex'] },
  'unit-block-delete': { config: ['store'] },
  'unit-key': { config: ['store', 'tokens', 'signer'] },
  'booking-unit-assign': { config: ['store'] },
  'booking-unit-release': { config: ['store'] },
  'booking-check-in': { config: ['store', 'tokens', 'signer'] },
  'booking-check-out': { config: ['store'] },
  'booking-key': { config: ['store', 'tokens', 'signer'] },
  'user-bookings': { config: ['store', 'archiveIndex'] },
  'vendor-bookings': { config: ['store', 'archiveIndex'] },
  'vendor-changes': {
    config: ['store'],
    timeoutSeconds: 25,
    sizing: 'a long-poll waits up to 20 s for a change (the wait parameter); API Gateway cuts an HTTP API request at 30 s',
  },
  'payment-webhook': { config: ['store', 'archiveIndex', 'ledger', 'stripe'], ...CALLS_STRIPE },
  'channel-create': { config: ['store', 'ariPushKey'], ...HASHES_PASSWORDS },
  'channel-list': { config: ['store'] },
  'channel-secret-rotate': { config: ['store', 'ariPushKey'], ...HASHES_PASSWORDS },
  'channel-delete': { config: ['store'] },
  'oauth-token': { config: ['store', 'tokens', 'signer'], ...HASHES_PASSWORDS },
  'channel-ari': { config: ['store'] },
  'channel-reservation': { config: ['store', 'archiveIndex'] },
  'channel-rejections': { config: ['store'] },
  'allotment-set': { config: ['store'] },
  'allotment-list': { config: ['store'] },
  'protection-set': { config: ['store'] },
  'hold-expiry': { config: ['store', 'stripe'] },
  'search-indexer': { config: ['ledger', 'store', 'search'] },
  notifier: { config: ['ledger', 'store', 'mail', 'reminders', 'notices'] },
  'payment-refund': { config: ['ledger', 'store', 'stripe'] },
  archiver: {
    config: ['ledger', 'store', 'archiveIndex', 'archiveRecords', 'archiveAge'],
    timeoutSeconds: 55,
    sizing: 'its hourly sweep moves up to ARCHIVE_BATCH (500) bookings, 8 at a time; still under its queue visibility timeout (60 s)',
  },
  'change-feed': { config: ['ledger', 'store'] },
  'booking-history': { config: ['ledger', 'store'] },
  'ari-push': { config: ['ledger', 'store', 'ariFlushQueue'] },
  'ari-flush': {
    config: ['store', 'ariPushKey'],
    sizing: "posts each dirty cell to every connected channel (5 s per try, up to 4 tries with backoff); a vendor's flush stays under the default limit",
  },
  waitlist: {
    config: ['ledger', 'store', 'archiveIndex', 'stripe'],
    sizing: 'tries a hold (one transaction) per waiting entry of the freed type, at most 50, and asks Stripe for each offer\'s deposit',
  },
  'outbox-publisher': { config: ['streamTables', 'bus', 'holdTimer'] },
  'payment-reconcile': { config: ['store', 'stripe'] },
  audit: { config: ['ledger', 'auditLog'] },
  reports: { config: ['ledger', 'store', 'reportsTable'] },
  'vendor-reports': { config: ['store', 'reportsTable'] },
  invoicer: { config: ['ledger', 'store', 'billingTable', 'archiveRecords'] },
  'booking-invoice': { config: ['store', 'archiveIndex', 'archiveRecords', 'billingTable'] },
  'credit-note-create': { config: ['store', 'archiveIndex', 'archiveRecords', 'billingTable'] },
  'night-audit': { config: ['store', 'reportsTable', 'bus'] },
  'vendor-night-audit': { config: ['store', 'reportsTable', 'bus'] },
  'audit-checkpoint': { config: ['auditLog'] },
  'audit-consistency': { config: ['auditLog'] },
  'booking-receipt': { config: ['store', 'archiveIndex', 'auditLog', 'tokens'] },
  'audit-signer': {
    config: ['auditLog', 'auditKey', 'tokens'],
    timeoutSeconds: 55,
    sizing: 'runs every minute; a round is cut before the next begins (unsigned logs keep their markers for it)',
  },
  'audit-witness': {
    config: ['auditLog', 'witnessState', 'auditKey', 'tokens'],
    timeoutSeconds: 240,
    sizing: 'runs every 5 minutes; ends before the next run starts, so two never verify the same vendor at once',
  },
};

/** How routes.json says each function is invoked; a function must appear exactly once. */
export function functionKinds(routes: RouteTable): Map<string, FunctionKind> {
  const kinds = new Map<string, FunctionKind>();
  const add = (name: string, kind: FunctionKind) => {
    const seen = kinds.get(name);
    if (seen && seen !== kind) {
      throw new Error(`${name} is both ${seen} and ${kind} in routes.json`);
    }
    kinds.set(name, kind);
  };
  routes.routes.forEach((r) => add(r.function, 'http'));
  routes.consumers.forEach((c) => add(c.function, 'consumer'));
  routes.streams.forEach((s) => add(s.function, 'stream'));
  // A consumer may also run on a schedule (the archiver's sweep): it stays a consumer, whose
  // limits are its queue's, and the schedule is one more trigger.
  routes.schedules.forEach((s) => {
    if (kinds.get(s.function) !== 'consumer') add(s.function, 'schedule');
  });
  return kinds;
}

export function sizeOf(name: string, kind: FunctionKind): { memoryMb: number; timeoutSeconds: number } {
  const profile = FUNCTIONS[name];
  return {
    memoryMb: profile?.memoryMb ?? KIND_DEFAULTS[kind].memoryMb,
    timeoutSeconds: profile?.timeoutSeconds ?? KIND_DEFAULTS[kind].timeoutSeconds,
  };
}
