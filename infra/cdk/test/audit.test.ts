// Issue 19's functions as the stack deploys them (their entries in routes.json and
// resources.json): the audit key signs only in the signer, the witness and the JWKS read its
// public half, the logs' table and the alarms on a failing signer or an inconsistent log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { allowed, build, describe, ofType, PREFIX } from './helpers';

const built = build();
const deployed = ['audit', 'audit-signer', 'audit-witness', 'audit-checkpoint', 'audit-consistency', 'booking-receipt'].every((fn) => built.stack.functions[fn]);
const skip = !deployed && 'routes.json does not invoke all of issue 19\'s functions yet (audit, audit-signer, audit-witness, audit-checkpoint, audit-consistency, booking-receipt)';
const env = (fn: string) => built.fn(fn).Environment.Variables;
const issuer = () => ofType(built, 'AWS::ApiGatewayV2::Authorizer')[0][1].Properties.JwtConfiguration.Issuer;

test('only the audit signer may sign with the audit key; it, the witness and the JWKS read its public half', { skip }, () => {
  const having = (pair: string) => Object.keys(built.stack.functions).filter((fn) => allowed(built, fn).includes(pair)).sort();
  assert.deepEqual(having('kms:Sign key:audit'), ['audit-signer']);
  assert.deepEqual(having('kms:GetPublicKey key:audit'), ['audit-signer', 'audit-witness', 'jwks']);
  for (const fn of ['audit-signer', 'audit-witness', 'jwks']) assert.equal(describe(env(fn).AUDIT_KMS_KEY_ID, built.names), 'key:audit', fn);
  const key = built.resources[built.logicalId(built.stack.keys.audit)].Properties;
  assert.deepEqual([key.KeySpec, key.KeyUsage], ['ECC_NIST_P256', 'SIGN_VERIFY']);
  // The signer's role is the one exception to the key policy's Deny on kms:Sign.
  const deny = key.KeyPolicy.Statement.find((s: any) => s.Sid === 'OnlyItsSignersSign');
  assert.deepEqual([deny.Condition.ArnNotEquals['aws:PrincipalArn']].flat().map((a: unknown) => describe(a, built.names)), [
    `arn:ref:AWS::Partition:iam::ref:AWS::AccountId:role/${PREFIX}-audit-signer`,
  ]);
});

test('the audit functions get the log table and the issuer the log origins are named after', { skip }, () => {
  for (const fn of ['audit', 'audit-signer', 'audit-witness', 'audit-checkpoint', 'audit-consistency', 'booking-receipt']) {
    assert.equal(describe(env(fn).AUDIT_TABLE, built.names), 'table:audit', fn);
  }
  for (const fn of ['audit-signer', 'audit-witness', 'booking-receipt']) assert.deepEqual(env(fn).JWT_ISSUER, issuer(), fn);
  assert.equal(describe(env('audit-witness').AUDIT_WITNESS_TABLE, built.names), 'table:audit-witness');
  // Only the consumer and the signer write the log; the endpoints and the witness read it.
  const writes = (fn: string) => allowed(built, fn).some((p) => p === 'dynamodb:PutItem table:audit');
  assert.deepEqual(Object.keys(built.stack.functions).filter(writes).sort(), ['audit', 'audit-signer']);
  // The receipt creates a booking's commitment secret when it has no leaf yet, and nothing else.
  const receipt = allowed(built, 'booking-receipt').filter((p) => p.includes('table:audit') && !p.includes('audit-witness'));
  assert.deepEqual(receipt, [
    'dynamodb:BatchGetItem table:audit',
    'dynamodb:ConditionCheckItem table:audit',
    'dynamodb:GetItem table:audit',
    'dynamodb:PutItem table:audit keys:SECRET#*',
    'dynamodb:Query table:audit',
  ]);
});

test('no function may Scan: the witness finds vendors by the markers it queries and clears, and nothing else of the log', { skip }, () => {
  const scans = Object.keys(built.stack.functions).flatMap((fn) => allowed(built, fn).filter((p) => p.startsWith('dynamodb:Scan')).map((p) => `${fn} ${p}`));
  assert.deepEqual(scans, []);
  const witness = allowed(built, 'audit-witness').filter((p) => p.startsWith('dynamodb:'));
  assert.deepEqual(witness.filter((p) => / table:audit( |$)/.test(p) && !/^dynamodb:(BatchGetItem|ConditionCheckItem|GetItem|Query) /.test(p)), [
    'dynamodb:DeleteItem table:audit keys:WITNESS#*',
  ]);
  assert.ok(!witness.some((p) => p.includes('table:vendors')), witness.join('\n'));
  assert.equal(env('audit-witness').VENDORS_TABLE, undefined);
});

test('the signer runs every minute and the witness every five, each cut before its next run', { skip }, () => {
  for (const [fn, minutes] of [['audit-signer', 1], ['audit-witness', 5]] as const) {
    const schedule = ofType(built, 'AWS::Scheduler::Schedule').find(([, s]) => describe(s.Properties.Target.Arn, built.names) === `fn:${fn}`)![1];
    assert.equal(schedule.Properties.ScheduleExpression, `rate(${minutes} minute${minutes > 1 ? 's' : ''})`);
    assert.ok(built.fn(fn).Timeout < minutes * 60, fn);
    assert.equal(Stack.of(built.stack.functions[fn]).node.id, 'Workers', fn);
  }
  assert.equal(Stack.of(built.stack.functions['audit-checkpoint']).node.id, 'PlatformApi');
  assert.equal(Stack.of(built.stack.functions['booking-receipt']).node.id, 'BookingApi');
});

test('an inconsistent log and a failing signer raise alarms', { skip }, () => {
  const alarms = ofType(built, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const inconsistency = alarms.find((a) => a.AlarmName === `${PREFIX}-audit-inconsistency`);
  assert.deepEqual([inconsistency.Namespace, inconsistency.MetricName, inconsistency.Dimensions, inconsistency.Threshold], ['Reservations/Audit', 'AuditInconsistency', undefined, 1]);
  const signer = alarms.find((a) => a.AlarmName === `${PREFIX}-audit-signer-errors`);
  assert.equal(describe(signer.Dimensions[0].Value, built.names), 'fn:audit-signer');
  for (const alarm of [inconsistency, signer]) assert.equal(describe(alarm.AlarmActions[0], built.names), `ref:${built.logicalId(built.stack.operations.topic)}`);
});
