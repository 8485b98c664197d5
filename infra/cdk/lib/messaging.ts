// The event backbone of resources.json: the bus, one rule -> queue (+ dead-letter queue) per
// consumer, the plain queues our code sends to (hold expiry), and the SES sender identity.
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { queueEnvVar, queueSetting, QueueSettings, Resources, ScheduleGroupDef } from './definitions';
import { pascal } from './data';
import { Settings } from './settings';

export interface QueuePair {
  readonly name: string;
  /** The variable that hands the queue's URL to code (the operator tool and the gateway read it). */
  readonly envVar: string;
  readonly queue: sqs.Queue;
  readonly dlq: sqs.Queue;
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
  readonly rule?: events.Rule;
}

/** resources.json writes patterns as EventBridge JSON; CDK wants camelCase keys. */
export function eventPattern(pattern: Record<string, unknown>): events.EventPattern {
  const keys: Record<string, keyof events.EventPattern> = {
    source: 'source',
    'detail-type': 'detailType',
    detail: 'detail',
    account: 'account',
    region: 'region',
    resources: 'resources',
    id: 'id',
    time: 'time',
    version: 'version',
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pattern)) {
    const mapped = keys[key];
    if (!mapped) throw new Error(`event pattern key ${key} is not an EventBridge pattern field`);
    out[mapped] = value;
  }
  return out as events.EventPattern;
}

/** The reminders' schedule group, the role its schedules run as, and the queue they send to. */
export interface ReminderSchedules {
  readonly def: ScheduleGroupDef;
  readonly group: scheduler.ScheduleGroup;
  readonly role: iam.Role;
  readonly target: sqs.Queue;
}

export interface MessagingProps {
  readonly resources: Resources;
  readonly settings: Settings;
}

export class Messaging extends Construct {
  readonly bus: events.EventBus;
  /** The consumers of resources.json (fed by a rule on the bus), by name. */
  readonly consumers: Record<string, QueuePair> = {};
  /** The plain queues of resources.json (our code sends to them), by name. */
  readonly queues: Record<string, QueuePair> = {};
  readonly senderIdentities: ses.EmailIdentity[];
  readonly reminders: ReminderSchedules;
  /** The vendors' night-audit schedules (recurring, one per vendor) and the queue they feed. */
  readonly nightAudit: ReminderSchedules;

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id);
    const { resources, settings } = props;

    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: `${settings.prefix}-${resources.eventBus.name}`,
    });

    for (const consumer of resources.consumers) {
      const pair = this.queuePair(resources, settings, consumer.name, consumer, {});
      const rule = new events.Rule(this, `${pascal(consumer.name)}Rule`, {
        ruleName: `${settings.prefix}-${consumer.name}`,
        eventBus: this.bus,
        eventPattern: eventPattern(consumer.eventPattern),
      });
      // A delivery EventBridge gives up on lands in the same dead-letter queue, as the event
      // itself, so `event-ops redrive` brings it back like any other.
      rule.addTarget(new targets.SqsQueue(pair.queue, { deadLetterQueue: pair.dlq, maxEventAge: Duration.hours(24) }));
      this.consumers[consumer.name] = { ...pair, envVar: queueEnvVar(consumer), rule };
    }

    for (const queue of resources.queues) {
      const pair = this.queuePair(resources, settings, queue.name, queue, {
        deliveryDelay: queue.delaySeconds ? Duration.seconds(queue.delaySeconds) : undefined,
      });
      this.queues[queue.name] = { ...pair, envVar: queueEnvVar(queue) };
    }

    const group = (name: string, id: string): ReminderSchedules => {
      const def = resources.scheduleGroups.find((g) => g.name === name);
      if (!def) throw new Error(`resources.json: no schedule group ${name}`);
      const target = this.consumers[def.targetQueue] ?? this.queues[def.targetQueue];
      if (!target) throw new Error(`resources.json: schedule group ${def.name} targets no queue ${def.targetQueue}`);
      const role = new iam.Role(this, `${id}Role`, {
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
        description: `schedules of ${settings.prefix}-${def.name}: send to the ${def.targetQueue} queue, nothing else`,
      });
      iam.Grant.addToPrincipal({ grantee: role, actions: ['sqs:SendMessage'], resourceArns: [target.queue.queueArn] });
      return {
        def,
        group: new scheduler.ScheduleGroup(this, `${id}Group`, { scheduleGroupName: `${settings.prefix}-${def.name}` }),
        role,
        target: target.queue,
      };
    };
    if (resources.scheduleGroups.length !== 2) {
      throw new Error('resources.json: expected two schedule groups, reminders and night-audit');
    }
    this.reminders = group('reminders', 'Reminders');
    this.nightAudit = group('night-audit', 'NightAudit');

    this.senderIdentities = resources.sesIdentities.map(
      (identity, i) =>
        new ses.EmailIdentity(this, i === 0 ? 'Sender' : `Sender${i + 1}`, {
          identity: ses.Identity.email(identity.email),
        }),
    );
  }

  private queuePair(
    resources: Resources,
    settings: Settings,
    name: string,
    entry: QueueSettings,
    extra: Partial<sqs.QueueProps>,
  ): Omit<QueuePair, 'envVar'> {
    const maxReceiveCount = queueSetting(resources, entry, 'maxReceiveCount');
    const visibilityTimeoutSeconds = queueSetting(resources, entry, 'visibilityTimeoutSeconds');
    const dlq = new sqs.Queue(this, `${pascal(name)}Dlq`, {
      queueName: `${settings.prefix}-${name}-dlq`,
      retentionPeriod: Duration.seconds(queueSetting(resources, entry, 'dlqRetentionSeconds')),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const queue = new sqs.Queue(this, `${pascal(name)}Queue`, {
      queueName: `${settings.prefix}-${name}`,
      visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds),
      deadLetterQueue: { queue: dlq, maxReceiveCount },
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      ...extra,
    });
    return { name, queue, dlq, maxReceiveCount, visibilityTimeoutSeconds };
  }
}
