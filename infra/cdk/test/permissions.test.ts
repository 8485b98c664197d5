// Each function's IAM: exactly what permissions.ts says, its log group and its trigger; a few
// representative functions spelled out in full; no wildcard anywhere but where it is justified.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { App, CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DYNAMODB_READ, DYNAMODB_WRITE, PERMISSIONS } from '../lib/permissions';
import { ReservationsStack } from '../lib/stack';
import { allowed, build, CDK_JSON_CONTEXT, describe, ofType, RESOURCES, ROUTES } from './helpers';

const built = build();
const LOGS = (fn: string) => [`logs:CreateLogStream logs:${fn}`, `logs:PutLogEvents logs:${fn}`];
const READ = (table: string) => DYNAMODB_READ.map((a) => `${a} table:${table}`);
const WRITE = (table: string) => DYNAMODB_WRITE.map((a) => `${a} table:${table}`);
// A consumer of the bus also sends a waiting fact back to its own queue (the inbox).
const SQS_CONSUME = (queue: string) =>
  [
    'sqs:ChangeMessageVisibility',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sqs:ReceiveMessage',
    ...(RESOURCES.consumers.some((c) => c.name === queue) ? ['sqs:SendMessage'] : []),
  ].map((a) => `${a} queue:${queue}`);
const SECRET = ['secretsmanager:DescribeSecret secret:stripe', 'secretsmanager:GetSecretValue secret:stripe'];
const sorted = (pairs: string[]) => [...new Set(pairs)].sort();
const ARN = (service: string, resource: string) => `arn:ref:AWS::Partition:${service}:ref:AWS::Region:ref:AWS::AccountId:${resource}`;
const SEND_MAIL = `ses:SendEmail ${ARN('ses', 'identity/ses:sender')}`;
const REMINDERS = [
  ...['CreateSchedule', 'DeleteSchedule', 'UpdateSchedule'].map((a) => `scheduler:${a} ${ARN('scheduler', 'schedule/reservations-reminders/reminder-*')}`),
  'iam:PassRole role:reminders',
];
const AUDIT_SCHEDULES = [
  ...['CreateSchedule', 'UpdateSchedule'].map((a) => `scheduler:${a} ${ARN('scheduler', 'schedule/reservations-night-audit/night-audit-*')}`),
  'iam:PassRole role:night-audit',
];

test('a guest signs in with the accounts table and the signing key only', () => {
  assert.deepEqual(
    allowed(built, 'user-login'),
    sorted([...LOGS('user-login'), ...READ('accounts'), ...WRITE('accounts'), 'kms:GetPublicKey key:jwt', 'kms:Sign key:jwt']),
  );
});

test('the JWKS only reads the public key, and the discovery document touches nothing', () => {
  // The audit key's public half too, when resources.json has it (issue 19).
  const auditKey = RESOURCES.kmsKeys.some((k) => k.name === 'audit') ? ['kms:GetPublicKey key:audit'] : [];
  assert.deepEqual(allowed(built, 'jwks'), sorted([...LOGS('jwks'), 'kms:GetPublicKey key:jwt', ...auditKey]));
  assert.deepEqual(allowed(built, 'openid-configuration'), sorted(LOGS('openid-configuration')));
});

test('a hold reads vendors and the archive index, writes bookings and counters (reading a sharded bucket), and reads the Stripe secret', () => {
  assert.deepEqual(
    allowed(built, 'booking-create'),
    sorted([
      ...LOGS('booking-create'),
      ...READ('vendors'),
      ...READ('accounts'),
      ...READ('booking-archive'),
      ...READ('bookings'),
      ...WRITE('bookings'),
      ...READ('inventory'),
      ...WRITE('inventory'),
      ...SECRET,
    ]),
  );
});

test('listing staff may query the accounts index it uses, and no other', () => {
  assert.deepEqual(
    allowed(built, 'vendor-staff-list'),
    sorted([...LOGS('vendor-staff-list'), ...READ('accounts'), 'dynamodb:Query table:accounts/index/gsi1']),
  );
});

test('the outbox publisher reads the five streams, puts events and arms hold timers', () => {
  const stream = (table: string) =>
    ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'].map((a) => `${a} table:${table}.StreamArn`);
  const send = (queue: string) => ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].map((a) => `${a} queue:${queue}`);
  assert.deepEqual(
    allowed(built, 'outbox-publisher'),
    sorted([
      ...LOGS('outbox-publisher'),
      ...stream('bookings'),
      ...stream('vendors'),
      ...stream('billing'),
      ...stream('accounts'),
      ...stream('inventory'),
      'dynamodb:ListStreams *',
      'events:PutEvents bus',
      ...send('hold-expiry'),
      ...send('outbox-publisher-failures'),
    ]),
  );
});

test('the search indexer consumes its queue, claims facts in the ledger, rereads the store and writes the index', () => {
  assert.deepEqual(
    allowed(built, 'search-indexer'),
    sorted([
      ...LOGS('search-indexer'),
      ...SQS_CONSUME('search-indexer'),
      ...WRITE('ledger'),
      ...READ('vendors'),
      ...READ('bookings'),
      ...READ('inventory'),
      ...WRITE('search'),
    ]),
  );
});

test('the search endpoint queries the search table and its indexes, and reads counters', () => {
  const indexes = ['city', 'geo3', 'geo4', 'geo5', 'geo6', 'city_price'].map((i) => `dynamodb:Query table:search/index/${i}`);
  assert.deepEqual(
    allowed(built, 'vendor-search'),
    sorted([...LOGS('vendor-search'), ...READ('search'), ...indexes, ...READ('inventory')]),
  );
});

test('the notifier may pass the reminders role to the scheduler only', () => {
  const roleId = built.logicalId(built.stack.functions.notifier.role!);
  const statements = ofType(built, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
    .filter((s: any) => s.Action === 'iam:PassRole');
  assert.deepEqual(statements.map((s: any) => s.Condition), [{ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }]);
});

test('the notifier reads guests, vendors and bookings, sends mail from the sender, and manages reminder schedules', () => {
  assert.deepEqual(
    allowed(built, 'notifier'),
    sorted([
      ...LOGS('notifier'),
      ...SQS_CONSUME('notifier'),
      ...READ('ledger'),
      ...WRITE('ledger'),
      ...READ('accounts'),
      ...READ('vendors'),
      ...READ('bookings'),
      SEND_MAIL,
      ...REMINDERS,
    ]),
  );
});

test('SMS is granted only with -c sms=true, and then only sns:Publish', () => {
  const withSms = build({ sms: 'true' });
  const texts = allowed(withSms, 'notifier').filter((p) => p.startsWith('sns:'));
  assert.deepEqual(texts, ['sns:Publish *']);
  assert.equal(withSms.fn('notifier').Environment.Variables.SMS_ENABLED, 'true');
  assert.equal(allowed(built, 'notifier').filter((p) => p.startsWith('sns:')).length, 0);
  assert.equal(built.fn('notifier').Environment.Variables.SMS_ENABLED, 'false');
});

test('the archiver writes records under bookings/ and moves bookings from the hot table to the archive index', () => {
  assert.deepEqual(
    allowed(built, 'archiver'),
    sorted([
      ...LOGS('archiver'),
      ...SQS_CONSUME('archiver'),
      ...WRITE('ledger'),
      ...READ('bookings'),
      ...WRITE('bookings'),
      'dynamodb:Query table:bookings/index/gsi3',
      ...READ('booking-archive'),
      ...WRITE('booking-archive'),
      's3:DeleteObject bucket:archive/bookings/*',
      's3:PutObject bucket:archive/bookings/*',
    ]),
  );
  // Only booking-get and the invoice routes (an archived booking's invoice) read records back;
  // nothing else touches the bucket.
  const readers = ['booking-get', 'booking-invoice', 'credit-note-create'];
  for (const name of Object.keys(built.stack.functions)) {
    const s3 = allowed(built, name).filter((p) => p.startsWith('s3:'));
    const expected =
      name === 'archiver'
        ? ['s3:DeleteObject bucket:archive/bookings/*', 's3:PutObject bucket:archive/bookings/*']
        : readers.includes(name)
          ? ['s3:GetObject bucket:archive/bookings/*']
          : name === 'invoicer'
            ? ['s3:PutObject bucket:archive/invoices/*']
            : [];
    assert.deepEqual(s3, expected, name);
  }
});

test("reminder schedules run as a role that may only send to the notifier's queue", () => {
  const roleId = built.logicalId(built.stack.messaging.reminders.role);
  const policies = ofType(built, 'AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
  const pairs = policies.flatMap(([, p]) =>
    p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat().map((a: string) => `${a} ${describe(s.Resource, built.names)}`)),
  );
  assert.deepEqual(pairs, ['sqs:SendMessage queue:notifier']);
  const env = built.fn('notifier').Environment.Variables;
  assert.deepEqual(env.REMINDER_ROLE_ARN, { 'Fn::GetAtt': [roleId, 'Arn'] });
  assert.deepEqual(env.REMINDER_TARGET_ARN, { 'Fn::GetAtt': [built.logicalId(built.stack.messaging.consumers.notifier.queue), 'Arn'] });
});

test("night-audit schedules run as a role that may only send to the night-audit queue, which only vendor-create and vendor-update may schedule", () => {
  const roleId = built.logicalId(built.stack.messaging.nightAudit.role);
  const policies = ofType(built, 'AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
  const pairs = policies.flatMap(([, p]) =>
    p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat().map((a: string) => `${a} ${describe(s.Resource, built.names)}`)),
  );
  assert.deepEqual(pairs, ['sqs:SendMessage queue:night-audit']);
  for (const name of Object.keys(built.stack.functions)) {
    const scheduling = allowed(built, name).filter((p) => p.includes('night-audit/') || p.endsWith('role:night-audit'));
    assert.deepEqual(scheduling, ['vendor-create', 'vendor-update'].includes(name) ? sorted(AUDIT_SCHEDULES) : [], name);
  }
  const env = built.fn('vendor-update').Environment.Variables;
  assert.deepEqual(env.NIGHT_AUDIT_ROLE_ARN, { 'Fn::GetAtt': [roleId, 'Arn'] });
  assert.deepEqual(env.NIGHT_AUDIT_TARGET_ARN, { 'Fn::GetAtt': [built.logicalId(built.stack.messaging.queues['night-audit'].queue), 'Arn'] });
});

test("every function's policy is its log group, its trigger and exactly its permissions.ts entry", () => {
  const consumerQueue = new Map(ROUTES.consumers.map((c) => [c.function, c.queue]));
  for (const [name, grants] of Object.entries(PERMISSIONS)) {
    if (name === 'outbox-publisher' || name === 'vendor-search') continue; // spelled out above
    if (!built.stack.functions[name]) continue; // a profile ready for a function routes.json does not invoke yet
    const expected = [...LOGS(name)];
    for (const [table, grant] of Object.entries(grants.tables ?? {})) {
      if (grant!.access !== 'write') expected.push(...READ(table));
      if (grant!.access !== 'read') expected.push(...WRITE(table));
      expected.push(...grant!.indexes.map((i) => `dynamodb:Query table:${table}/index/${i}`));
      if (grant!.scan) expected.push(`dynamodb:Scan table:${table}`);
      for (const action of grant!.itemWrites?.actions ?? []) expected.push(`${action} table:${table} keys:${grant!.itemWrites!.keysStartingWith}*`);
    }
    if (grants.searchIndex?.[0] === 'write') expected.push(...WRITE('search'));
    if (grants.jwtKey) expected.push(...grants.jwtKey[0].map((a) => `${a} key:jwt`));
    for (const [key, why] of Object.entries(grants.kmsKeys ?? {})) expected.push(...why![0].map((a) => `${a} key:${key}`));
    if (grants.stripeSecret) expected.push(...SECRET);
    if (grants.ariPushSecret) expected.push(...['DescribeSecret', 'GetSecretValue'].map((a) => `secretsmanager:${a} secret:ari-push`));
    if (grants.archiveRecords) {
      const actions = grants.archiveRecords[0] === 'put' ? ['DeleteObject', 'PutObject'] : ['GetObject'];
      expected.push(...actions.map((a) => `s3:${a} bucket:archive/bookings/*`));
    }
    if (grants.invoiceArchive) expected.push('s3:PutObject bucket:archive/invoices/*');
    if (grants.mail) expected.push(SEND_MAIL);
    if (grants.reminders) expected.push(...REMINDERS);
    if (grants.auditSchedules) expected.push(...AUDIT_SCHEDULES);
    if (grants.eventBus) expected.push(`events:PutEvents bus`);
    if (grants.ariFlushQueue) expected.push(...['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].map((a) => `${a} queue:ari-flush`));
    const queue = consumerQueue.get(name);
    if (queue) expected.push(...SQS_CONSUME(queue));
    assert.deepEqual(allowed(built, name), sorted(expected), name);
  }
});

test('the channel and waitlist functions put nothing on the bus: their facts come from the streams', () => {
  for (const name of ['channel-create', 'channel-secret-rotate', 'channel-delete', 'waitlist-join', 'waitlist-leave', 'waitlist']) {
    assert.ok(!allowed(built, name).includes('events:PutEvents bus'), name);
    assert.equal(built.fn(name).Environment.Variables.EVENT_BUS_NAME, undefined, name);
  }
});

test('no function may use a wildcard action, nor any resource "*" but ListStreams', () => {
  for (const name of Object.keys(built.stack.functions)) {
    for (const pair of allowed(built, name)) {
      const [action, resource] = pair.split(' ');
      assert.ok(!action.includes('*'), `${name}: ${pair}`);
      if (resource === '*') assert.equal(`${name} ${action}`, 'outbox-publisher dynamodb:ListStreams', `${name}: ${pair}`);
      assert.ok(!resource.endsWith('/*') || !resource.includes('schedule/'), `${name}: ${pair}`);
      // An index is named, never `index/*`; the only trailing wildcards are run-time names under
      // one named prefix: documents by id, archived records and invoices, reminder schedules.
      const named = ['/_update/', 'bucket:archive/bookings/', 'bucket:archive/invoices/', 'schedule/reservations-reminders/reminder-', 'schedule/reservations-night-audit/night-audit-'];
      assert.ok(!resource.endsWith('/*') || named.some((prefix) => resource.includes(prefix)), `${name}: ${pair}`);
    }
  }
});

test('every function has a role of its own with no managed policy', () => {
  const roles = Object.values(built.stack.functions).map((fn) => built.logicalId(fn.role!));
  assert.equal(new Set(roles).size, roles.length);
  for (const [id, role] of ofType(built, 'AWS::IAM::Role')) {
    assert.equal(role.Properties.ManagedPolicyArns, undefined, id);
  }
});

test('each schedule of routes.json may invoke its own function and nothing else', () => {
  const schedules = ofType(built, 'AWS::Scheduler::Schedule');
  assert.deepEqual(
    schedules.map(([, s]) => describe(s.Properties.Target.Arn, built.names)).sort(),
    ROUTES.schedules.map((s) => `fn:${s.function}`).sort(),
  );
  for (const [, schedule] of schedules) {
    const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
    const policies = ofType(built, 'AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
    const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    assert.deepEqual(
      statements.map((s: any) => [s.Action, [s.Resource].flat().map((r: unknown) => describe(r, built.names).replace(/:\*$/, ''))]),
      [['lambda:InvokeFunction', [describe(schedule.Properties.Target.Arn, built.names), describe(schedule.Properties.Target.Arn, built.names)]]],
    );
  }
});

test("the change feed's consumer writes only the ledger and the inventory table, and its reader only reads vendors and inventory within API Gateway's 30 s", () => {
  assert.deepEqual(
    allowed(built, 'change-feed'),
    sorted([...LOGS('change-feed'), ...SQS_CONSUME('change-feed'), ...WRITE('ledger'), ...READ('inventory'), ...WRITE('inventory')]),
  );
  assert.deepEqual(allowed(built, 'vendor-changes'), sorted([...LOGS('vendor-changes'), ...READ('vendors'), ...READ('inventory')]));
  // A long-poll waits up to 20 s; the function's limit covers it, API Gateway's 30 s covers the function.
  const timeout = built.fn('vendor-changes').Timeout;
  assert.ok(timeout >= 25 && timeout < 30, `vendor-changes times out after ${timeout} s`);
});

test("a booking's history is written only by its consumer (ledger and inventory) and read beside the booking and the archive entry", () => {
  assert.deepEqual(
    allowed(built, 'booking-history'),
    sorted([...LOGS('booking-history'), ...SQS_CONSUME('booking-history'), ...WRITE('ledger'), ...WRITE('inventory')]),
  );
  assert.deepEqual(
    allowed(built, 'booking-history-get'),
    sorted([...LOGS('booking-history-get'), ...READ('bookings'), ...READ('booking-archive'), ...READ('inventory')]),
  );
});

test("what a housekeeper can reach never touches guests' accounts, and only the block asks for bookings, by id", () => {
  // The unit endpoints let housekeeping in (Caller::may_keep_house); everything else refuses them.
  const housekeeping = ['unit-list', 'unit-housekeeping', 'unit-key', 'unit-block-create', 'unit-block-delete'];
  for (const fn of housekeeping) {
    const grants = allowed(built, fn);
    assert.ok(grants.every((g) => !g.includes('table:accounts')), `${fn} reads no account`);
    const bookings = grants.filter((g) => g.includes('table:bookings'));
    if (fn === 'unit-block-create') {
      // Names the bookings in the way of a block (ids only), through the vendor's index.
      assert.ok(bookings.every((g) => DYNAMODB_READ.some((a) => g.startsWith(a))), `${fn} only reads bookings`);
    } else {
      assert.deepEqual(bookings, [], `${fn} touches no booking`);
    }
  }
  assert.deepEqual(
    allowed(built, 'unit-key'),
    sorted([...LOGS('unit-key'), ...READ('vendors'), 'kms:GetPublicKey key:jwt', 'kms:Sign key:jwt']),
  );
});

test("only the functions permissions.ts lets sign with a key may sign with it: the key's policy denies everyone else", () => {
  const roleArn = (fn: string) => `arn:ref:AWS::Partition:iam::ref:AWS::AccountId:role/${built.resources[built.logicalId(built.stack.functions[fn].role!)].Properties.RoleName}`;
  for (const [name, key] of Object.entries(built.stack.keys)) {
    const signers = Object.keys(built.stack.functions).filter((fn) => allowed(built, fn).includes(`kms:Sign key:${name}`));
    const statements = built.resources[built.logicalId(key)].Properties.KeyPolicy.Statement;
    const deny = statements.find((s: any) => s.Sid === 'OnlyItsSignersSign');
    assert.ok(deny, name);
    assert.equal(deny.Effect, 'Deny');
    assert.deepEqual(deny.Principal, { AWS: '*' });
    assert.equal(deny.Action, 'kms:Sign');
    const excepted = [deny.Condition?.ArnNotEquals?.['aws:PrincipalArn'] ?? []].flat().map((arn: unknown) => describe(arn, built.names));
    assert.deepEqual(excepted.sort(), signers.map(roleArn).sort(), name);
    for (const fn of signers) assert.equal(built.resources[built.logicalId(built.stack.functions[fn].role!)].Properties.RoleName, `reservations-${fn}`);
  }
  // The token key's signers, spelled out.
  const jwtSigners = Object.keys(built.stack.functions).filter((fn) => allowed(built, fn).includes('kms:Sign key:jwt'));
  assert.deepEqual(jwtSigners.sort(), ['booking-check-in', 'booking-key', 'oauth-token', 'unit-key', 'user-login', 'vendor-login']);
});

test('a key of resources.json that no function may sign with denies kms:Sign to every principal', () => {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, assets: 'placeholder', web: 'none' } });
  const extra = { name: 'spare', envVar: 'SPARE_KMS_KEY_ID', description: 'a key nobody signs with', keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' };
  const stack = new ReservationsStack(app, 'Keys', { resources: { ...RESOURCES, kmsKeys: [...RESOURCES.kmsKeys, extra] } });
  const key = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(stack.keys.spare.node.defaultChild as CfnElement)];
  assert.equal(key.Properties.KeySpec, 'ECC_NIST_P256');
  const deny = key.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'OnlyItsSignersSign');
  assert.deepEqual([deny.Effect, deny.Principal, deny.Action, deny.Condition], ['Deny', { AWS: '*' }, 'kms:Sign', undefined]);
  // A key of another kind is refused rather than deployed as something the code cannot use.
  const symmetric = { ...extra, keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' };
  assert.throws(
    () => new ReservationsStack(new App({ context: { ...CDK_JSON_CONTEXT, assets: 'placeholder', web: 'none' } }), 'Keys', { resources: { ...RESOURCES, kmsKeys: [...RESOURCES.kmsKeys, symmetric] } }),
    /only ECC_NIST_P256 SIGN_VERIFY/,
  );
});

test('channels: the token endpoint has the accounts table and the signing key only; the ARI pull only reads', () => {
  assert.deepEqual(
    allowed(built, 'oauth-token'),
    sorted([...LOGS('oauth-token'), ...READ('accounts'), ...WRITE('accounts'), 'kms:GetPublicKey key:jwt', 'kms:Sign key:jwt']),
  );
  assert.deepEqual(
    allowed(built, 'channel-ari'),
    sorted([...LOGS('channel-ari'), ...READ('accounts'), ...READ('vendors'), ...READ('inventory')]),
  );
  assert.deepEqual(
    allowed(built, 'channel-reservation'),
    sorted([
      ...LOGS('channel-reservation'),
      ...READ('accounts'),
      ...WRITE('accounts'),
      ...READ('vendors'),
      ...READ('booking-archive'),
      ...READ('bookings'),
      ...WRITE('bookings'),
      ...READ('inventory'),
      ...WRITE('inventory'),
    ]),
  );
  assert.deepEqual(
    allowed(built, 'channel-rejections'),
    sorted([...LOGS('channel-rejections'), ...READ('accounts')]),
  );
  assert.deepEqual(
    allowed(built, 'allotment-set'),
    sorted([...LOGS('allotment-set'), ...READ('accounts'), ...READ('vendors'), ...READ('inventory'), ...WRITE('inventory')]),
  );
  assert.deepEqual(
    allowed(built, 'allotment-list'),
    sorted([...LOGS('allotment-list'), ...READ('vendors'), ...READ('inventory')]),
  );
  assert.deepEqual(
    allowed(built, 'protection-set'),
    sorted([...LOGS('protection-set'), ...READ('vendors'), ...WRITE('inventory')]),
  );
  assert.deepEqual(
    allowed(built, 'channel-list'),
    sorted([...LOGS('channel-list'), ...READ('accounts'), 'dynamodb:Query table:accounts/index/gsi1']),
  );
});
