// What each function may touch, worked out from its main.rs, its handler's store traits and the
// shared code behind them (shared/src/store, inbox.rs, outbox.rs, timer.rs, auth/token.rs,
// payments/settings.rs, search/). The stack turns these into grants; nothing else grants a
// function anything but its own log group and its trigger (the stream or queue event source
// grants itself what it polls with).
//
// DynamoDB access is per table, on the table's ARN and only the indexes named here (CDK's
// grantReadData would add Scan, DescribeTable and every index, `index/*`):
//   read:  GetItem, BatchGetItem, Query, and ConditionCheckItem for a transaction's condition on
//          an item it does not write;
//   write: PutItem, UpdateItem, DeleteItem, also as parts of TransactWriteItems (which has no IAM
//          action of its own).
// Every function using `DynamoStore` gets all four table names in its environment
// (`Tables::from_env` reads them), but permissions only on the tables its code path touches.

export type TableName = 'accounts' | 'vendors' | 'bookings' | 'inventory' | 'ledger' | 'search' | 'booking-archive' | 'audit' | 'reports' | 'audit-witness' | 'billing';
export type TableAccess = 'read' | 'write' | 'readWrite';
export type KmsAction = 'kms:Sign' | 'kms:GetPublicKey';

export const DYNAMODB_READ = ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query'];
export const DYNAMODB_WRITE = ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

/** A permission and the one-line reason the code needs it. */
type Why<T> = readonly [T, string];

export interface TableGrant {
  readonly access: TableAccess;
  /** Global secondary indexes it queries. */
  readonly indexes: string[];
  /** Also dynamodb:Scan on the table (a listing no key or index can answer). */
  readonly scan?: boolean;
  /**
   * Also these item writes, but only of items whose partition key starts with `keysStartingWith`
   * (a `dynamodb:LeadingKeys` condition): a reader that creates or clears one kind of item.
   */
  readonly itemWrites?: { readonly actions: ('dynamodb:PutItem' | 'dynamodb:DeleteItem')[]; readonly keysStartingWith: string };
  readonly why: string;
}

const read = (why: string, ...indexes: string[]): TableGrant => ({ access: 'read', indexes, why });
const write = (why: string): TableGrant => ({ access: 'write', indexes: [], why });
const readWrite = (why: string, ...indexes: string[]): TableGrant => ({ access: 'readWrite', indexes, why });
const readWritingItems = (why: string, keysStartingWith: string, ...actions: ('dynamodb:PutItem' | 'dynamodb:DeleteItem')[]): TableGrant => ({
  access: 'read',
  indexes: [],
  itemWrites: { actions, keysStartingWith },
  why,
});

export interface Grants {
  readonly tables?: Partial<Record<TableName, TableGrant>>;
  /**
   * The search index, whichever backend is deployed: the `search` table (query: its indexes;
   * write: UpdateItem) or the OpenSearch domain (query: `_search`; write: the index itself).
   */
  readonly searchIndex?: Why<'query' | 'write'>;
  readonly jwtKey?: Why<KmsAction[]>;
  /**
   * The other signing keys of resources.json, by name (`audit`). Whoever is granted `kms:Sign`
   * here is the only one the key's policy lets sign (stack.ts), each key the same way.
   */
  readonly kmsKeys?: Partial<Record<string, Why<KmsAction[]>>>;
  readonly stripeSecret?: Why<'read'>;
  /** The ARI push key, from which each channel's push signing secret is derived. */
  readonly ariPushSecret?: Why<'read'>;
  readonly eventBus?: Why<'putEvents'>;
  readonly holdExpiryQueue?: Why<'send'>;
  /** sqs:SendMessage to the ari-flush queue (a vendor's delayed ARI flush). */
  readonly ariFlushQueue?: Why<'send'>;
  /** The archive bucket's booking records (`bookings/...`): put (s3:PutObject, s3:DeleteObject) or get (s3:GetObject). */
  readonly archiveRecords?: Why<'put' | 'get'>;
  /** The archive bucket's invoices (`invoices/<vendor>/<number>.{json,pdf}`): s3:PutObject only. */
  readonly invoiceArchive?: Why<'put'>;
  /** ses:SendEmail from the sender identity. */
  readonly mail?: Why<'send'>;
  /** Create, move and delete one-time schedules in the reminders group, passing its role. */
  readonly reminders?: Why<'write'>;
  /** Create or update the vendors' recurring schedules in the night-audit group, passing its role. */
  readonly auditSchedules?: Why<'write'>;
  /** sns:Publish to phone numbers, only when the stack is deployed with `-c sms=true`. */
  readonly sms?: Why<'publish'>;
}

const TOKEN_SIGNER: Why<KmsAction[]> = [
  ['kms:GetPublicKey', 'kms:Sign'],
  'KmsSigner reads the public key at cold start (the kid) and signs each access token with KMS',
];
const STRIPE: Why<'read'> = ['read', 'StripeSettings::load reads the Stripe API key and webhook secrets at cold start'];
const LEDGER = write('the inbox claims, completes and releases each fact with conditional UpdateItem');

export const PERMISSIONS: Record<string, Grants> = {
  'openid-configuration': {},
  jwks: {
    jwtKey: [['kms:GetPublicKey'], 'publishes the public half of the signing key as a JWK'],
    kmsKeys: { audit: [['kms:GetPublicKey'], "publishes the audit key's public half (kid audit-...) for verifying checkpoints"] },
  },
  'user-create': {
    tables: { accounts: write('create_guest puts the credential and the profile in one transaction') },
  },
  'user-login': {
    tables: { accounts: readWrite('reads the credential, counts sign-in attempts per account, source and both (UpdateItem) and clears them (DeleteItem)') },
    jwtKey: TOKEN_SIGNER,
  },
  'user-get': {
    tables: { accounts: read('reads the guest profile') },
  },
  'user-update': {
    tables: { accounts: readWrite('reads profile and credential, writes both in one transaction; counts current-password checks as sign-ins (UpdateItem, DeleteItem)') },
  },
  'vendor-search': {
    searchIndex: ['query', 'finds candidate vendors in the index'],
    tables: { inventory: read('checks a page of offers against the counters (BatchGetItem)') },
  },
  'vendor-create': {
    tables: {
      vendors: write('puts the vendor profile'),
      accounts: write('puts the first manager and their credential in the same transaction'),
    },
    auditSchedules: ['write', "puts the new vendor's night-audit schedule (its zone and time)"],
  },
  'vendor-login': {
    tables: { accounts: readWrite('reads the credential, counts sign-in attempts per account, source and both (UpdateItem) and clears them (DeleteItem)') },
    jwtKey: TOKEN_SIGNER,
  },
  'vendor-get': {
    tables: { vendors: read('reads the vendor profile') },
  },
  'vendor-update': {
    tables: { vendors: readWrite('reads the profile and replaces it if its version still matches') },
    auditSchedules: ['write', "moves the vendor's night-audit schedule when its zone or time changes"],
  },
  'vendor-staff-create': {
    tables: {
      vendors: read('the transaction checks the vendor exists (ConditionCheckItem)'),
      accounts: write('puts the staff member and their credential'),
    },
  },
  'vendor-staff-list': {
    tables: { accounts: read("queries the vendor's staff on gsi1", 'gsi1') },
  },
  'resource-create': {
    tables: { vendors: readWrite('reads the vendor, checks it exists and puts the type in one transaction') },
  },
  'resource-list': {
    tables: { vendors: read("reads the vendor and queries its types") },
  },
  'vendor-availability': {
    tables: {
      vendors: read('reads the vendor and its types'),
      inventory: read('reads the counters of the asked nights or slots'),
    },
  },
  'resource-get': {
    tables: { vendors: read('reads one type') },
  },
  'resource-update': {
    tables: {
      vendors: readWrite('reads the vendor and the type, replaces the type if its version matches'),
      inventory: readWrite("a sharded type's lowered limit: queries its shard items and moves them to the new version (UpdateItem)"),
    },
  },
  'booking-create': {
    tables: {
      vendors: read("reads the vendor and its types to quote the hold (once per warm container), and checks the type's version in the hold's transaction (ConditionCheckItem)"),
      accounts: read('a desk booking for a guest with an account checks the account exists'),
      bookings: readWrite('puts the hold (or reads the one the idempotency key made), records the deposit intent'),
      inventory: readWrite("takes the counters in the same transaction (UpdateItem); releases them if Stripe refuses; a refused shard of a sharded type: queries the bucket's shards and rebalances them"),
      'booking-archive': read("refuses an idempotency key whose booking was archived (its id must not be made twice): a condition in the hold's transaction (ConditionCheckItem)"),
    },
    stripeSecret: STRIPE,
  },
  'booking-get': {
    tables: {
      bookings: read('reads the booking'),
      'booking-archive': read("when the booking is gone from the hot table, reads its archive entry (the owner check)"),
      accounts: read("reads the guest's profile for their name when the vendor's staff ask"),
    },
    archiveRecords: ['get', "reads an archived booking's full record back"],
  },
  'booking-update': {
    tables: {
      bookings: readWrite('reads the booking and replaces it if its status and version match'),
      'booking-archive': read('tells an archived booking (409) from an unknown one (404)'),
      vendors: read('reads the vendor and its types to quote the change'),
      inventory: readWrite("swaps old and new counters in the same transaction; a refused shard of a sharded type: queries the bucket's shards and rebalances them"),
    },
  },
  'booking-status-get': {
    tables: {
      bookings: read('reads the booking'),
      'booking-archive': read("answers an archived booking's status from its archive entry"),
    },
  },
  'booking-history-get': {
    tables: {
      bookings: read('reads the booking (who may read its history)'),
      'booking-archive': read("reads an archived booking's entry (who may read its history)"),
      inventory: read("queries the booking's history partition (HISTORY#<booking>)"),
    },
  },
  'booking-status-update': {
    tables: {
      bookings: readWrite('reads the booking and moves it with a conditional put'),
      'booking-archive': read('tells an archived booking (409) from an unknown one (404)'),
      inventory: readWrite('a cancellation or no-show releases the counters in the same transaction (a channel booking also reads its CHAN# channel night and protection items, BatchGetItem, and writes its channel night item)'),
    },
  },
  'booking-payment': {
    tables: {
      bookings: readWrite('reads the booking and records the desk payment with a conditional put'),
      'booking-archive': read('tells an archived booking (409) from an unknown one (404)'),
    },
  },
  'unit-create': {
    tables: {
      vendors: readWrite("reads the unit's type; puts the unit, its number's guard and the type's count in one transaction"),
      inventory: readWrite("a sharded type's limit lowered by a unit out of service: queries its shard items and moves them to the new version (UpdateItem)"),
    },
  },
  'unit-list': {
    tables: {
      vendors: read('reads the vendor, its types and units'),
      inventory: read("batch-reads the units' occupancy items for the date"),
    },
  },
  'unit-update': {
    tables: {
      vendors: readWrite("reads the unit and its type; puts both (and the number's guard) in one transaction"),
      inventory: readWrite("queries the unit's occupancy before taking it out of service; a sharded type's lowered limit moves its shard items to the new version (UpdateItem)"),
    },
  },
  'unit-housekeeping': {
    tables: {
      vendors: readWrite("reads the unit and its type; puts the unit's status"),
      inventory: read("queries the unit's occupancy (the edit path checks it only when taking a unit out of service)"),
    },
  },
  'unit-block-create': {
    tables: {
      vendors: readWrite('reads the vendor, the unit and its type; puts the block'),
      inventory: readWrite("takes the type's counters and the unit's occupancy in the block's transaction; reads who occupies it"),
      bookings: read("queries the vendor's bookings on gsi2 to name those in the way", 'gsi2'),
      'booking-archive': read("queries the vendor's archived bookings on gsi2 (the merged list)", 'gsi2'),
    },
  },
  'unit-block-delete': {
    tables: {
      vendors: readWrite('reads the vendor, the unit, its type and block; deletes the block'),
      inventory: write("releases the block's counters and occupancy in the same transaction"),
    },
  },
  'unit-key': {
    tables: {
      vendors: read('reads the unit (which housekeeper it is given to)'),
    },
    jwtKey: [['kms:GetPublicKey', 'kms:Sign'], 'signs the housekeeper\'s door key with the issuer\'s KMS key (its kid read at cold start)'],
  },
  'booking-unit-assign': {
    tables: {
      bookings: readWrite('reads the booking and puts it with its unit (conditional on status and version)'),
      vendors: read('reads the type and its units'),
      inventory: readWrite("reads the units' occupancy; takes the new unit's and frees the old unit's in the same transaction"),
    },
  },
  'booking-unit-release': {
    tables: {
      bookings: readWrite('reads the booking and puts it without its unit'),
      inventory: write("frees the unit's occupancy in the same transaction"),
    },
  },
  'booking-check-in': {
    tables: {
      bookings: readWrite('reads the booking and moves it to CHECKED_IN with its unit'),
      vendors: read('reads the type and its units'),
      inventory: readWrite("reads the units' occupancy; takes the unit's in the same transaction"),
    },
    jwtKey: [['kms:GetPublicKey', 'kms:Sign'], 'signs the digital door key with the issuer\'s KMS key (its kid read at cold start)'],
  },
  'booking-check-out': {
    tables: {
      bookings: readWrite('reads the booking and completes it'),
      vendors: readWrite("reads the type; sets the room dirty in the same transaction"),
      inventory: readWrite('an early departure releases the remaining counters and occupancy in the same transaction (a channel booking also reads its CHAN# channel night and protection items, BatchGetItem, and writes its channel night item)'),
    },
  },
  'booking-key': {
    tables: {
      bookings: read('reads the booking'),
    },
    jwtKey: [['kms:GetPublicKey', 'kms:Sign'], 'signs the digital door key with the issuer\'s KMS key (its kid read at cold start)'],
  },
  'booking-review': {
    tables: {
      bookings: read("reads the booking; the transaction's condition checks it is still the guest's and COMPLETED"),
      vendors: readWrite('reads the review and the rating, puts both in one transaction'),
    },
  },
  'waitlist-join': {
    tables: {
      vendors: read('reads the vendor and its types to check the request as a hold would'),
      inventory: readWrite("reads the request's counters (sold out?) and the guest's waitlist index (Query), puts the entry and the index in one transaction"),
    },
  },
  'waitlist-list': {
    tables: {
      inventory: read("queries the type's waitlist partition"),
      accounts: read("reads the waiting guests' names (BatchGetItem), as the booking lists do"),
    },
  },
  'waitlist-user': {
    tables: { inventory: read("queries the guest's waitlist index and reads each entry") },
  },
  'waitlist-leave': {
    tables: { inventory: readWrite('reads the entry, deletes it and its guest index in one transaction (conditional on its version)') },
  },
  'user-bookings': {
    tables: {
      bookings: read("queries the guest's live bookings on gsi1", 'gsi1'),
      'booking-archive': read("queries the guest's archived bookings on gsi1, merged into the same list", 'gsi1'),
    },
  },
  'vendor-bookings': {
    tables: {
      bookings: read("queries the vendor's live bookings on gsi2", 'gsi2'),
      'booking-archive': read("queries the vendor's archived bookings on gsi2, merged into the same list", 'gsi2'),
      vendors: read('reads the vendor (its time zone for the date filters)'),
      accounts: read("batch-reads the listed guests' profiles for their names (staff see who is arriving)"),
    },
  },
  'vendor-changes': {
    tables: {
      vendors: read('reads the vendor (404 for an unknown one)'),
      inventory: read("queries the vendor's feed partition from the cursor (Query); reads its head when entries expired (GetItem)"),
    },
  },
  'payment-webhook': {
    tables: {
      bookings: readWrite('reads the booking, confirms it, records a late payment or a refund\'s status'),
      'booking-archive': read('an event for an archived booking changes nothing (no refund of a settled deposit)'),
      ledger: write('processes each Stripe event id once (conditional UpdateItem)'),
    },
    stripeSecret: STRIPE,
  },
  'channel-create': {
    tables: { accounts: write('puts the new channel account (its secret only hashed)') },
    ariPushSecret: ['read', "PushKey::load at cold start: derives the new channel's push signing secret, shown once with its client secret"],
  },
  'channel-list': {
    tables: { accounts: read("queries the vendor's channels on gsi1", 'gsi1') },
  },
  'channel-secret-rotate': {
    tables: { accounts: readWrite('reads the channel and replaces it if its version still matches') },
    ariPushSecret: ['read', "PushKey::load at cold start: derives the channel's new push signing secret, shown once with its new client secret"],
  },
  'channel-delete': {
    tables: { accounts: readWrite('reads the channel and replaces it, disconnected, if its version still matches') },
  },
  'oauth-token': {
    tables: { accounts: readWrite("reads the channel account, counts failed secrets per client, source and both (UpdateItem) and clears them (DeleteItem)") },
    jwtKey: TOKEN_SIGNER,
  },
  'channel-ari': {
    tables: {
      accounts: read('reads the channel account: a disconnected channel is refused at once'),
      vendors: read('reads the vendor and its room types'),
      inventory: read("reads the counters of the asked nights (BatchGetItem) and queries the room types' channel and protection items (CHAN#<vendor>#<type>)"),
    },
  },
  'channel-reservation': {
    tables: {
      accounts: readWrite("reads the channel account (a disconnected channel is refused at once); puts what the channel sold a reservation for and each refused message under the channel's partition"),
      vendors: read("reads the vendor and its room types to quote the hold, and checks the type's version in the hold's transaction (ConditionCheckItem)"),
      bookings: readWrite('puts the hold (or reads the one the reservation id made), confirms, changes or cancels it if its status and version match'),
      inventory: readWrite("takes, swaps or releases the counters and the channel's night items in the booking's transaction (UpdateItem), checking the protection and, on a sharded type under a protection, each other shard's sold (ConditionCheckItem); a refused shard of a sharded type: queries the bucket's shards and rebalances them"),
      'booking-archive': read("refuses a reservation id whose booking was archived (its id must not be made twice): a condition in the hold's transaction (ConditionCheckItem)"),
    },
  },
  'channel-rejections': {
    tables: { accounts: read("reads the channel account (its vendor's manager only) and queries its refused messages in the channel's partition") },
  },
  'allotment-set': {
    tables: {
      accounts: read("reads the channel account (its vendor's manager only)"),
      vendors: read('reads the vendor (its time zone) and the room type'),
      inventory: readWrite("reads the channel's night and protection items (BatchGetItem); sets the allotment of every night of the range and puts their release markers (ALLOTREL#<vendor>) with the type counter's changes in one transaction (UpdateItem, PutItem, DeleteItem), checking the protection and, on a sharded type under a protection, each other shard's sold (ConditionCheckItem); a sharded type: queries and rebalances its shards"),
    },
  },
  'allotment-list': {
    tables: {
      vendors: read('reads the room type'),
      inventory: read("queries the type's channel night and protection items (CHAN#<vendor>#<type>)"),
    },
  },
  'protection-set': {
    tables: {
      vendors: read('reads the room type'),
      inventory: write("puts the protection item of each night (CHAN#<vendor>#<type>, <night>#app)"),
    },
  },
  'hold-expiry': {
    tables: {
      bookings: readWrite('reads the hold and expires or confirms it'),
      inventory: readWrite('an expiry releases the counters in the same transaction (a channel booking also reads its CHAN# channel night and protection items, BatchGetItem, and writes its channel night item)'),
    },
    stripeSecret: STRIPE,
  },
  'search-indexer': {
    tables: {
      ledger: LEDGER,
      vendors: read('rereads the vendor, its types and its rating'),
      bookings: read('rereads the booking a fact is about'),
      inventory: read('reads the counters of the buckets a booking touched, for sold-out markers'),
    },
    searchIndex: ['write', 'replaces listings and sets or clears sold-out markers (UpdateItem / _update)'],
  },
  notifier: {
    tables: {
      ledger: readWrite('the inbox claims each fact (UpdateItem); each message sent is recorded once (conditional PutItem); a catch-up reads whether a message was sent and whether the previous fact was applied (GetItem)'),
      accounts: read("reads the guest's address, phone and language"),
      vendors: read('reads the vendor (name, contact, zone) and the booked type'),
      bookings: read('rereads the booking when its reminder is due'),
    },
    mail: ['send', 'emails guests and vendor contacts from the sender identity'],
    reminders: ['write', 'schedules, moves and deletes each booking\'s reminder (named after the booking)'],
    sms: ['publish', 'texts guests when SMS is enabled; SMS publishing has no resource to scope to'],
  },
  'payment-refund': {
    tables: {
      ledger: LEDGER,
      bookings: readWrite('reads the booking and records the refund or void on it'),
    },
    stripeSecret: STRIPE,
  },
  archiver: {
    tables: {
      ledger: LEDGER,
      bookings: readWrite('queries the archivable partitions of gsi3, reads a booking, deletes it in the move transaction', 'gsi3'),
      'booking-archive': readWrite('reads an entry (archived already?) and puts it in the move transaction'),
    },
    archiveRecords: ['put', 'writes the full record before the move transaction; deletes it if the move did not happen'],
  },
  'change-feed': {
    tables: {
      ledger: LEDGER,
      inventory: readWrite("reads the vendor's feed head (GetItem); moves it, puts the entry and the fact's marker in one transaction (UpdateItem, PutItem)"),
    },
  },
  'ari-push': {
    tables: {
      ledger: LEDGER,
      inventory: readWrite("marks the fact's (type, night) cells dirty under ARIDIRTY#<vendor> (UpdateItem) and puts the vendor's flush-pending marker (conditional PutItem)"),
    },
    ariFlushQueue: ['send', "schedules the vendor's flush as one delayed message on its first mark since the last flush"],
  },
  'ari-flush': {
    tables: {
      accounts: read("queries the vendor's channels on gsi1 (their webhooks)", 'gsi1'),
      vendors: read('reads the vendor and its room types (prices, units)'),
      inventory: readWrite("queries the vendor's dirty cells, reads the counters of their nights and queries the types' channel and protection items (CHAN#<vendor>#<type>, each channel's own figures); deletes the flush-pending marker and each sent cell if its version is unchanged (DeleteItem)"),
    },
    ariPushSecret: ['read', "PushKey::load at cold start: signs each push with the channel's derived secret"],
  },
  'booking-history': {
    tables: {
      ledger: LEDGER,
      inventory: write("puts each fact in its booking's history if that version is not there yet (conditional PutItem)"),
    },
  },
  waitlist: {
    tables: {
      ledger: LEDGER,
      vendors: read("reads the vendor and its types to hold an entry's request, and checks the type's version in the hold's transaction (ConditionCheckItem)"),
      bookings: readWrite("puts the offer's hold (or reads the one the entry's key made), records its deposit intent"),
      inventory: readWrite("takes the counters in the hold's transaction; queries the type's waiting entries, marks an entry offered, booked or lapsed with its offer's link (conditional PutItem)"),
      'booking-archive': read("the hold's check that its key's booking was not archived (ConditionCheckItem)"),
    },
    stripeSecret: STRIPE,
  },
  'outbox-publisher': {
    eventBus: ['putEvents', 'publishes each committed change as a typed event'],
    holdExpiryQueue: ['send', "arms each new hold's timer as a delayed message"],
  },
  reports: {
    tables: {
      ledger: LEDGER,
      vendors: read("reads the booking's vendor for its taxes (VAT split, city tax)"),
      reports: readWrite("reads the booking's last contribution and the close record, ADDs the differences to the day items and puts the contribution in one transaction (UpdateItem, PutItem)"),
    },
  },
  'night-audit': {
    tables: {
      vendors: read('reads the vendor (zone) and its types (the capacity the day is closed with)'),
      bookings: readWrite("queries the vendor's bookings by arrival (gsi2), reads and marks each no-show", 'gsi2'),
      inventory: readWrite("a no-show releases the booking's counters in the same transaction (a channel booking also reads its CHAN# channel night and protection items, BatchGetItem, and writes its channel night item); queries the vendor's due release markers (ALLOTREL#<vendor>) and releases each allotment with its counter in one transaction"),
      reports: readWrite("records each no-show's contribution as the reports consumer does (the close counts them), then closes the day: sets closed_at and capacity on the day item (conditional) and raises CLOSE.last_closed in one transaction"),
    },
    eventBus: ['putEvents', 'publishes DayClosed and DeparturesOverdue'],
  },
  'vendor-night-audit': {
    tables: {
      vendors: read('reads the vendor (zone) and its types (the capacity the day is closed with)'),
      bookings: readWrite("queries the vendor's bookings by arrival (gsi2), reads and marks each no-show", 'gsi2'),
      inventory: readWrite("a no-show releases the booking's counters in the same transaction (a channel booking also reads its CHAN# channel night and protection items, BatchGetItem, and writes its channel night item); queries the vendor's due release markers (ALLOTREL#<vendor>) and releases each allotment with its counter in one transaction"),
      reports: readWrite("records each no-show's contribution as the reports consumer does (the close counts them), then closes the day: sets closed_at and capacity on the day item (conditional) and raises CLOSE.last_closed in one transaction"),
    },
    eventBus: ['putEvents', 'publishes DayClosed and DeparturesOverdue'],
  },
  invoicer: {
    tables: {
      ledger: LEDGER,
      bookings: read('reads the completed booking (its quote lines, deposit and desk payments)'),
      vendors: read("reads the booking's vendor for its taxes"),
      billing: readWrite("numbers a document: reads the vendor's SEQ and, in one transaction, raises it (conditional on the last number read), puts the document and the booking's guard (each on its absence); queries the booking's invoice and credit notes" ),
    },
    invoiceArchive: ['put', 'archives each invoice it issues as JSON and PDF under invoices/<vendor>/<number>'],
  },
  'booking-invoice': {
    tables: {
      bookings: read('reads the booking (whose it is, its lines)'),
      'booking-archive': read("when the booking is gone from the hot table, reads its archive entry"),
      vendors: read("reads the vendor's taxes and its name and address for the PDF"),
      billing: readWrite("reads the booking's invoice and credit notes; issues the invoice of a COMPLETED booking on read: numbers a document: reads the vendor's SEQ and, in one transaction, raises it (conditional on the last number read), puts the document and the booking's guard (each on its absence); queries the booking's invoice and credit notes"),
    },
    archiveRecords: ['get', "reads an archived booking's record back"],
  },
  'credit-note-create': {
    tables: {
      bookings: read('reads the booking (whose it is)'),
      'booking-archive': read("when the booking is gone from the hot table, reads its archive entry"),
      vendors: read("reads the vendor's taxes (to invoice a COMPLETED booking first)"),
      billing: readWrite("numbers a document: reads the vendor's SEQ and, in one transaction, raises it (conditional on the last number read), puts the document and the booking's guard (each on its absence); queries the booking's invoice and credit notes; the credit note's transaction also raises the invoice's credit count (conditional on the count read)"),
    },
    archiveRecords: ['get', "reads an archived booking's record back"],
  },
  'vendor-reports': {
    tables: {
      vendors: read('reads the vendor (kind, currency) and queries its types for the capacity of open days'),
      reports: read("queries the vendor's DAY# items between the two dates"),
    },
  },
  audit: {
    tables: {
      ledger: LEDGER,
      audit: readWrite("creates the booking's commitment secret once (conditional PutItem), reads the head and nodes, appends leaf, nodes, head, fact guard, booking index and grown marker in one transaction conditional on the tree size"),
    },
  },
  'audit-checkpoint': {
    tables: { audit: read("reads a vendor's stored checkpoint (latest or of a size)") },
  },
  'audit-consistency': {
    tables: { audit: read('reads the checkpoints and the perfect nodes a consistency proof needs') },
  },
  'booking-receipt': {
    tables: {
      bookings: read("reads the booking (whose it is)"),
      'booking-archive': read("reads an archived booking's entry (whose it is)"),
      audit: readWritingItems("reads the booking's leaves, the latest checkpoint, the nodes of each inclusion proof and the commitment secret, which it creates (conditional PutItem of SECRET#<booking>) if the booking has no leaf yet", 'SECRET#', 'dynamodb:PutItem'),
    },
  },
  'audit-signer': {
    tables: { audit: readWrite('queries the grown markers, reads heads, stores each signed checkpoint (conditional) with its witness marker and clears the grown marker') },
    kmsKeys: { audit: [['kms:GetPublicKey', 'kms:Sign'], "signs each grown log's checkpoint; the only function the audit key lets sign"] },
  },
  'audit-witness': {
    tables: {
      audit: readWritingItems('queries the witness markers (WITNESS#<shard>), reads checkpoints, nodes and the new leaves it verifies, and clears each marker it checked (conditional DeleteItem)', 'WITNESS#', 'dynamodb:DeleteItem'),
      'audit-witness': readWrite('reads and records the last tree it verified per vendor'),
    },
    kmsKeys: { audit: [['kms:GetPublicKey'], "verifies checkpoint signatures with the audit key's public half"] },
  },
  'payment-reconcile': {
    tables: {
      bookings: readWrite('queries the payments-pending index (gsi3), reads and amends or moves bookings', 'gsi3'),
      inventory: readWrite('expiring a hold whose timer was lost releases its counters (a channel booking also reads its CHAN# channel night and protection items, BatchGetItem, and writes its channel night item)'),
    },
    stripeSecret: STRIPE,
  },
};
