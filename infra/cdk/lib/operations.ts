// What tells an operator something is wrong: alarms (to one SNS topic) on every dead-letter
// queue, every consumer's errors and oldest message, the stream publisher's lag, the API's 5xx
// rate and throttling, Lambda throttles; and one dashboard with the same signals.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Api } from './api';
import { QueuePair } from './messaging';
import { Settings } from './settings';

const FIVE_MINUTES = Duration.minutes(5);

export interface ConsumerWatch {
  readonly function: lambda.IFunction;
  readonly name: string;
  readonly pair: QueuePair;
  /** How old the oldest waiting message may grow before someone should look. */
  readonly oldestMessageSeconds: number;
}

export interface OperationsProps {
  readonly settings: Settings;
  readonly api: Api;
  readonly consumers: ConsumerWatch[];
  readonly publisher: { function: lambda.IFunction; failures: sqs.IQueue };
  readonly functions: Record<string, lambda.IFunction>;
  readonly searchDomain?: opensearch.Domain;
}

export class Operations extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: Record<string, cloudwatch.Alarm> = {};
  readonly dashboard: cloudwatch.Dashboard;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { settings, api, consumers, publisher } = props;
    this.prefix = settings.prefix;

    this.topic = new sns.Topic(this, 'Alarms', { topicName: `${settings.prefix}-alarms`, enforceSSL: true });
    if (settings.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(settings.alarmEmail));
    }

    for (const c of consumers) {
      this.alarm(`${c.name}-dlq-depth`, c.pair.dlq.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }), {
        threshold: 1,
        description: `${c.name}: messages in its dead-letter queue; fix the cause, then \`event-ops redrive ${c.name}\``,
      });
      this.alarm(`${c.name}-errors`, c.function.metricErrors({ period: FIVE_MINUTES }), {
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        description: `${c.name}: invocations failing as a whole (not single messages) in two of three 5-minute periods`,
      });
      this.alarm(`${c.name}-oldest-message`, c.pair.queue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum' }), {
        threshold: c.oldestMessageSeconds,
        evaluationPeriods: 3,
        description: `${c.name}: a message has waited over ${c.oldestMessageSeconds} s for 15 minutes; the consumer is stuck or too slow`,
      });
    }

    this.alarm('outbox-publisher-dlq-depth', publisher.failures.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }), {
      threshold: 1,
      description: 'stream records the publisher never published (they outlived the stream); their events and hold timers are lost',
    });
    this.alarm('outbox-publisher-errors', publisher.function.metricErrors({ period: FIVE_MINUTES }), {
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: 'the outbox publisher fails whole invocations',
    });
    const iteratorAge = new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: 'IteratorAge',
      dimensionsMap: { FunctionName: publisher.function.functionName },
      statistic: 'Maximum',
      period: FIVE_MINUTES,
    });
    this.alarm('outbox-publisher-lag', iteratorAge, {
      threshold: 5 * 60 * 1000,
      evaluationPeriods: 3,
      description: 'committed changes wait over 5 minutes to be published (a stuck shard blocks until its record is published)',
    });

    const serverErrorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: {
        errors: api.httpApi.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
        requests: api.httpApi.metricCount({ period: FIVE_MINUTES, statistic: 'Sum' }),
      },
      label: '5xx %',
      period: FIVE_MINUTES,
    });
    this.alarm('api-5xx-rate', serverErrorRate, {
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: 'over 1% of API requests answer 5xx',
    });

    // HTTP APIs publish no throttling metric (a throttled request is a 429 inside 4xx), so the
    // stage's access log is counted instead.
    const throttled = new logs.MetricFilter(this, 'ApiThrottledFilter', {
      logGroup: api.accessLogs,
      filterPattern: logs.FilterPattern.numberValue('$.status', '=', 429),
      metricNamespace: `${settings.prefix}/api`,
      metricName: 'ThrottledRequests',
      metricValue: '1',
      defaultValue: 0,
    });
    const throttledMetric = throttled.metric({ period: FIVE_MINUTES, statistic: 'Sum' });
    this.alarm('api-throttled', throttledMetric, {
      threshold: 50,
      description: `over 50 requests in 5 minutes were throttled by the stage (${settings.throttle.rateLimit}/s, burst ${settings.throttle.burstLimit})`,
    });

    // Lambda's Throttles without a dimension: every function of the account in this region.
    const lambdaThrottles = new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: 'Throttles',
      statistic: 'Sum',
      period: FIVE_MINUTES,
    });
    this.alarm('lambda-throttles', lambdaThrottles, {
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: "Lambda throttled invocations (the account's concurrency is used up) in two of three 5-minute periods",
    });

    // Payments count these as embedded-metric log lines (shared/src/payments/metrics.rs).
    const payments = (metricName: string, period: Duration) =>
      new cloudwatch.Metric({ namespace: 'Reservations/Payments', metricName, dimensionsMap: { Service: 'payments' }, statistic: 'Sum', period });
    this.alarm('payments-refund-failed', payments('RefundsFailed', FIVE_MINUTES), {
      threshold: 1,
      description: "a deposit refund failed at every attempt: the booking shows REFUND_FAILED with Stripe's failure_reason; return the money another way",
    });
    this.alarm('payments-reconcile-failures', payments('ReconcileFailures', Duration.minutes(10)), {
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: 'payment-reconcile could not repair some bookings in two of its last three runs (its log names them; each counts reconcile_failures)',
    });

    // The audit logs (issue 19): the witness counts each failed check as an embedded-metric line
    // (functions/audit-witness), without dimensions; a signer that keeps failing stalls receipts.
    const witness = props.functions['audit-witness'];
    if (witness) {
      this.alarm('audit-inconsistency', new cloudwatch.Metric({ namespace: 'Reservations/Audit', metricName: 'AuditInconsistency', statistic: 'Sum', period: FIVE_MINUTES }), {
        threshold: 1,
        description: "the audit witness found a log failing its checks (signature, consistency with the tree it saw, leaves rebuilding the signed root); its log names the vendor and the reason, and each later checkpoint of that log alarms again until it is resolved",
      });
    }
    const signer = props.functions['audit-signer'];
    if (signer) {
      this.alarm('audit-signer-errors', signer.metricErrors({ period: FIVE_MINUTES }), {
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        description: 'the audit signer fails whole runs in two of three 5-minute periods: no new checkpoints, so receipts stay pending',
      });
    }

    if (props.searchDomain) {
      this.alarm('search-cluster-red', props.searchDomain.metricClusterStatusRed({ period: Duration.minutes(1) }), {
        threshold: 1,
        description: 'the OpenSearch domain has unassigned primary shards',
      });
      this.alarm('search-writes-blocked', props.searchDomain.metricClusterIndexWritesBlocked(), {
        threshold: 1,
        description: 'the OpenSearch domain blocks writes (storage or memory pressure)',
      });
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `${settings.prefix}-operations` });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        left: [
          api.httpApi.metricCount({ period: FIVE_MINUTES }),
          api.httpApi.metricClientError({ period: FIVE_MINUTES }),
          api.httpApi.metricServerError({ period: FIVE_MINUTES }),
          throttledMetric,
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency',
        left: [
          api.httpApi.metricLatency({ period: FIVE_MINUTES, statistic: 'p50' }),
          api.httpApi.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' }),
          api.httpApi.metricIntegrationLatency({ period: FIVE_MINUTES, statistic: 'p99' }),
        ],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Outbox publisher',
        left: [iteratorAge],
        right: [publisher.function.metricErrors({ period: FIVE_MINUTES }), publisher.failures.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({ title: 'Lambda throttles (account)', left: [lambdaThrottles], width: 12 }),
    );
    this.dashboard.addWidgets(
      ...consumers.map(
        (c) =>
          new cloudwatch.GraphWidget({
            title: `Consumer ${c.name}`,
            left: [
              c.pair.queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES }),
              c.pair.dlq.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES }),
            ],
            right: [c.pair.queue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES }), c.function.metricErrors({ period: FIVE_MINUTES })],
            width: 8,
          }),
      ),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 24 }),
    );
  }

  private alarm(
    name: string,
    metric: cloudwatch.IMetric,
    options: { threshold: number; evaluationPeriods?: number; datapointsToAlarm?: number; description: string },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, `Alarm-${name}`, {
      alarmName: `${this.prefix}-${name}`,
      alarmDescription: options.description,
      metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      datapointsToAlarm: options.datapointsToAlarm,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarms[name] = alarm;
    return alarm;
  }
}
