// The event backbone: the publisher on both streams, one rule -> queue -> dead-letter queue ->
// consumer per consumer, partial batch failures everywhere, the hold timer queue, the schedule,
// and an alarm on everything that can get stuck.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { queueSetting } from '../lib/definitions';
import { build, describe, ofType, PREFIX, RESOURCES, ROUTES } from './helpers';

const built = build();
const mappings = ofType(built, 'AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
const alarms = ofType(built, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
const queues = new Map(ofType(built, 'AWS::SQS::Queue').map(([id, q]) => [built.names.get(id), q.Properties]));

function queueEntry(name: string) {
  return RESOURCES.consumers.find((c) => c.name === name) ?? RESOURCES.queues.find((q) => q.name === name)!;
}

function alarmOn(name: string) {
  return alarms.find((a) => a.AlarmName === `${PREFIX}-${name}`);
}

const dimension = (alarm: any) => describe(alarm.Dimensions?.[0]?.Value, built.names);

test('every consumer has its queue with a dead-letter queue after maxReceiveCount receives', () => {
  for (const consumer of ROUTES.consumers) {
    const entry = queueEntry(consumer.queue);
    const queue = queues.get(`queue:${consumer.queue}`);
    assert.ok(queue, consumer.queue);
    assert.equal(queue.QueueName, `${PREFIX}-${consumer.queue}`);
    assert.equal(queue.VisibilityTimeout, queueSetting(RESOURCES, entry, 'visibilityTimeoutSeconds'));
    assert.equal(describe(queue.RedrivePolicy.deadLetterTargetArn, built.names), `dlq:${consumer.queue}`);
    assert.equal(queue.RedrivePolicy.maxReceiveCount, queueSetting(RESOURCES, entry, 'maxReceiveCount'));
    const dlq = queues.get(`dlq:${consumer.queue}`);
    assert.equal(dlq.QueueName, `${PREFIX}-${consumer.queue}-dlq`);
    assert.equal(dlq.MessageRetentionPeriod, queueSetting(RESOURCES, entry, 'dlqRetentionSeconds'));
  }
});

test("every consumer reads its queue in batches and reports each failed message", () => {
  for (const consumer of ROUTES.consumers) {
    const mapping = mappings.find((m) => describe(m.EventSourceArn, built.names) === `queue:${consumer.queue}`);
    assert.ok(mapping, consumer.function);
    assert.equal(describe(mapping.FunctionName, built.names), `fn:${consumer.function}`);
    assert.deepEqual(mapping.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.equal(mapping.BatchSize, 10);
    // A message must not come back while its consumer still works on it.
    const timeout = built.fn(consumer.function).Timeout;
    assert.ok(timeout <= queues.get(`queue:${consumer.queue}`).VisibilityTimeout, consumer.function);
  }
});

test('every consumer has alarms on its dead-letter queue, its errors and its oldest message', () => {
  for (const consumer of ROUTES.consumers) {
    const dlq = alarmOn(`${consumer.function}-dlq-depth`);
    assert.equal(dlq.MetricName, 'ApproximateNumberOfMessagesVisible');
    assert.equal(dimension(dlq), `dlq:${consumer.queue}.QueueName`);
    assert.equal(dlq.Threshold, 1);
    const errors = alarmOn(`${consumer.function}-errors`);
    assert.equal(errors.MetricName, 'Errors');
    assert.equal(dimension(errors), `fn:${consumer.function}`);
    const oldest = alarmOn(`${consumer.function}-oldest-message`);
    assert.equal(oldest.MetricName, 'ApproximateAgeOfOldestMessage');
    assert.equal(dimension(oldest), `queue:${consumer.queue}.QueueName`);
    for (const alarm of [dlq, errors, oldest]) {
      assert.equal(describe(alarm.AlarmActions[0], built.names), `ref:${built.logicalId(built.stack.operations.topic)}`);
    }
  }
});

test('each consumer of resources.json hears the bus through its own rule, with the same pattern', () => {
  const rules = ofType(built, 'AWS::Events::Rule').map(([, r]) => r.Properties);
  for (const consumer of RESOURCES.consumers) {
    const rule = rules.find((r) => r.Name === `${PREFIX}-${consumer.name}`);
    assert.ok(rule, consumer.name);
    assert.equal(describe(rule.EventBusName, built.names), 'bus');
    assert.deepEqual(rule.EventPattern, consumer.eventPattern);
    assert.equal(rule.Targets.length, 1);
    assert.equal(describe(rule.Targets[0].Arn, built.names), `queue:${consumer.name}`);
    // What EventBridge cannot deliver lands in the same dead-letter queue.
    assert.equal(describe(rule.Targets[0].DeadLetterConfig.Arn, built.names), `dlq:${consumer.name}`);
  }
  const bus = built.resources[built.logicalId(built.stack.messaging.bus)].Properties;
  assert.equal(bus.Name, `${PREFIX}-${RESOURCES.eventBus.name}`);
});

test('the outbox publisher reads its streams from the start, bisects, retries and reports failed records', () => {
  for (const stream of ROUTES.streams) {
    for (const table of stream.tables) {
      const mapping = mappings.find((m) => describe(m.EventSourceArn, built.names) === `table:${table}.StreamArn`);
      assert.ok(mapping, table);
      assert.equal(describe(mapping.FunctionName, built.names), `fn:${stream.function}`);
      assert.deepEqual(mapping.FunctionResponseTypes, ['ReportBatchItemFailures']);
      assert.equal(mapping.StartingPosition, 'TRIM_HORIZON');
      assert.equal(mapping.BisectBatchOnFunctionError, true);
      assert.equal(mapping.MaximumRetryAttempts, -1);
      assert.equal(describe(mapping.DestinationConfig.OnFailure.Destination, built.names), 'queue:outbox-publisher-failures');
    }
  }
  // Only channel accounts and waitlist entries invoke it from the accounts and inventory tables;
  // every record of the other three does.
  const filterOf = (table: string) => {
    const mapping = mappings.find((m) => describe(m.EventSourceArn, built.names) === `table:${table}.StreamArn`);
    return mapping.FilterCriteria?.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern));
  };
  assert.deepEqual(filterOf('accounts'), [{ dynamodb: { Keys: { pk: { S: [{ prefix: 'CHANNEL#' }] }, sk: { S: ['ACCOUNT'] } } } }]);
  assert.deepEqual(filterOf('inventory'), [
    { dynamodb: { Keys: { pk: { S: [{ prefix: 'WAITLIST#' }, { prefix: 'CHAN#' }] } } } },
  ]);
  for (const table of ['bookings', 'vendors', 'billing']) assert.equal(filterOf(table), undefined, table);
  for (const name of ['outbox-publisher-dlq-depth', 'outbox-publisher-errors', 'outbox-publisher-lag']) {
    assert.ok(alarmOn(name), name);
  }
  assert.equal(alarmOn('outbox-publisher-lag').MetricName, 'IteratorAge');
});

test('the publisher knows the stream tables, the bus and the hold-expiry queue', () => {
  const env = built.fn('outbox-publisher').Environment.Variables;
  assert.equal(describe(env.BOOKINGS_TABLE, built.names), 'table:bookings');
  assert.equal(describe(env.VENDORS_TABLE, built.names), 'table:vendors');
  assert.equal(describe(env.BILLING_TABLE, built.names), 'table:billing');
  assert.equal(describe(env.ACCOUNTS_TABLE, built.names), 'table:accounts');
  assert.equal(describe(env.INVENTORY_TABLE, built.names), 'table:inventory');
  assert.equal(describe(env.EVENT_BUS_NAME, built.names), 'bus');
  assert.equal(describe(env.HOLD_EXPIRY_QUEUE_URL, built.names), 'queue:hold-expiry');
});

test('the hold-expiry queue delays as resources.json says', () => {
  const entry = RESOURCES.queues.find((q) => q.name === 'hold-expiry')!;
  const queue = queues.get('queue:hold-expiry');
  assert.equal(queue.DelaySeconds ?? 0, entry.delaySeconds ?? 0);
});

/** `rate(10 minutes)`, `rate(1 hour)` ... in minutes. */
function rateMinutes(expression: string): number {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  assert.ok(match, expression);
  return Number(match[1]) * { minute: 1, hour: 60, day: 1440 }[match[2] as 'minute' | 'hour' | 'day'];
}

test('each schedule of routes.json (reconciliation, archive sweep) runs at its rate', () => {
  const schedules = ofType(built, 'AWS::Scheduler::Schedule').map(([, s]) => s.Properties);
  assert.equal(schedules.length, ROUTES.schedules.length);
  for (const wanted of ROUTES.schedules) {
    const schedule = schedules.find((s) => describe(s.Target.Arn, built.names) === `fn:${wanted.function}`);
    assert.ok(schedule, wanted.function);
    assert.equal(rateMinutes(schedule.ScheduleExpression), wanted.everyMinutes, wanted.function);
    assert.equal(schedule.State, 'ENABLED');
  }
});

test('the API and Lambda have alarms on 5xx rate and throttling', () => {
  const fiveXx = alarmOn('api-5xx-rate');
  assert.ok(fiveXx.Metrics.some((m: any) => m.Expression?.includes('errors / requests')));
  const throttled = alarmOn('api-throttled');
  assert.equal(throttled.MetricName, 'ThrottledRequests');
  const filter = ofType(built, 'AWS::Logs::MetricFilter')[0][1].Properties;
  assert.equal(filter.FilterPattern, '{ $.status = 429 }');
  assert.equal(alarmOn('lambda-throttles').MetricName, 'Throttles');
});

test('payments alarm on refunds that failed for good and on reconciliation failures', () => {
  for (const [name, metric] of [
    ['payments-refund-failed', 'RefundsFailed'],
    ['payments-reconcile-failures', 'ReconcileFailures'],
  ]) {
    const alarm = alarmOn(name);
    assert.ok(alarm, name);
    assert.equal(alarm.Namespace, 'Reservations/Payments', name);
    assert.equal(alarm.MetricName, metric, name);
    assert.deepEqual(alarm.Dimensions, [{ Name: 'Service', Value: 'payments' }], name);
    assert.equal(alarm.Threshold, 1, name);
    assert.equal(describe(alarm.AlarmActions[0], built.names), `ref:${built.logicalId(built.stack.operations.topic)}`);
  }
});

test('the SES sender of resources.json is an identity', () => {
  const identities = ofType(built, 'AWS::SES::EmailIdentity').map(([, i]) => i.Properties.EmailIdentity);
  assert.deepEqual(identities, RESOURCES.sesIdentities.map((i) => i.email));
});
