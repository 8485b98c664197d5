// The whole system, built from routes.json and resources.json: the data, the event backbone, the
// API and the operations in this stack, the functions in nested stacks by area (layout.ts).
import { CfnElement, CfnOutput, Duration, Names, NestedStack, RemovalPolicy, Stack, StackProps, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Api } from './api';
import { rustFunction } from './code';
import { Data, OPENSEARCH_INDEX, pascal } from './data';
import { functionCrates, readResources, readRoutes, Resources, RouteTable } from './definitions';
import { ConfigGroup, FUNCTIONS, functionKinds, sizeOf } from './functions';
import { FUNCTION_STACKS, functionStack, FunctionStackName } from './layout';
import { Messaging, QueuePair } from './messaging';
import { acknowledge } from './nag';
import { Operations } from './operations';
import { DYNAMODB_READ, DYNAMODB_WRITE, Grants, PERMISSIONS, TableAccess, TableGrant } from './permissions';
import { readSettings, Settings } from './settings';
import { DeskHosting } from './web';

/**
 * The keys of the items whose changes are facts, in the tables where most writes are not (sign-ins
 * and sessions in accounts, counters in inventory; a channel night's sold-only change is dropped by
 * the publisher): Lambda drops the other records before
 * invoking the publisher, which would publish nothing for them (shared/src/store/changes.rs).
 */
export const STREAM_FILTERS: Record<string, Record<string, unknown>> = {
  accounts: {
    pk: { S: lambda.FilterRule.beginsWith('CHANNEL#') },
    sk: { S: lambda.FilterRule.isEqual('ACCOUNT') },
  },
  inventory: {
    pk: {
      S: [...lambda.FilterRule.beginsWith('WAITLIST#'), ...lambda.FilterRule.beginsWith('CHAN#')],
    },
  },
};

export interface ReservationsStackProps extends StackProps {
  /** Defaults to shared/api/routes.json and localstack/resources.json. */
  readonly routes?: RouteTable;
  readonly resources?: Resources;
}

export class ReservationsStack extends Stack {
  readonly settings: Settings;
  readonly data: Data;
  readonly messaging: Messaging;
  readonly api: Api;
  readonly jwtKey: kms.Key;
  /** Every signing key of resources.json by name (`jwt` is jwtKey). */
  readonly keys: Record<string, kms.Key> = {};
  readonly stripeSecret: secretsmanager.Secret;
  /** The ARI push key (generated here, never in the template). */
  readonly ariPushSecret: secretsmanager.Secret;
  readonly publisherFailures: sqs.Queue;
  readonly operations: Operations;
  /** The desk app's hosting, unless `-c web=none`. */
  readonly desk?: DeskHosting;
  /** By crate name. */
  readonly functions: Record<string, lambda.Function> = {};
  /** The nested stacks holding the functions (layout.ts), those that hold any. */
  readonly functionStacks: Partial<Record<FunctionStackName, NestedStack>> = {};
  private readonly resources: Resources;

  constructor(scope: Construct, id: string, props: ReservationsStackProps = {}) {
    super(scope, id, props);
    const routes = props.routes ?? readRoutes();
    const resources = (this.resources = props.resources ?? readResources());
    const settings = (this.settings = readSettings(this.node, resources));
    const removalPolicy = settings.ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.data = new Data(this, 'Data', { resources, settings });
    this.messaging = new Messaging(this, 'Messaging', { resources, settings });

    const kinds = functionKinds(routes);
    // Only the functions permissions.ts lets sign with a key may sign with it: their roles get
    // fixed names, so a key policy here names them without a reference into a nested stack.
    const signers = (key: string) => [...kinds.keys()].filter((name) => signsWith(PERMISSIONS[name], key));
    for (const keyDef of resources.kmsKeys) {
      if (keyDef.keySpec !== 'ECC_NIST_P256' || keyDef.keyUsage !== 'SIGN_VERIFY') {
        throw new Error(`resources.json: key ${keyDef.name}: only ECC_NIST_P256 SIGN_VERIFY (signing) keys are deployed`);
      }
      // Asymmetric keys cannot rotate automatically; rotating means a new key and both in the JWKS.
      const key = new kms.Key(this, keyDef.name === 'jwt' ? 'JwtKey' : `${pascal(keyDef.name)}Key`, {
        alias: `alias/${settings.prefix}-${keyDef.name}`,
        description: keyDef.description,
        keySpec: kms.KeySpec.ECC_NIST_P256,
        keyUsage: kms.KeyUsage.SIGN_VERIFY,
        removalPolicy,
      });
      // The default key policy lets any principal of the account whose own policy allows it use
      // the key; a signature is what the key is for, so nobody else gets to make one, however
      // broad their IAM policy (administrators still manage the key, they cannot sign with it).
      const allowed = signers(keyDef.name).map((name) => `arn:${this.partition}:iam::${this.account}:role/${signerRoleName(settings.prefix, name)}`);
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OnlyItsSignersSign',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:Sign'],
          resources: ['*'],
          conditions: allowed.length > 0 ? { ArnNotEquals: { 'aws:PrincipalArn': allowed } } : undefined,
        }),
      );
      this.keys[keyDef.name] = key;
    }
    if (!this.keys.jwt) throw new Error('resources.json: no kmsKeys entry named jwt (the access tokens\' signer)');
    this.jwtKey = this.keys.jwt;

    const secretDef = resources.secrets.find((s) => s.name === 'stripe');
    if (!secretDef) throw new Error('resources.json: no secrets entry named stripe');
    this.stripeSecret = new secretsmanager.Secret(this, 'StripeSecret', {
      secretName: `${settings.prefix}-${secretDef.name}`,
      description: secretDef.description,
      // A placeholder the functions refuse at cold start ("not a Stripe key") until the operator
      // puts the real {"secret_key", "webhook_secrets"} in.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ webhook_secrets: [] }),
        generateStringKey: 'secret_key',
        excludePunctuation: true,
      },
      removalPolicy,
    });
    acknowledge(this.stripeSecret, 'SMG4', "Stripe's keys are rolled in Stripe's dashboard and pasted in; no rotation Lambda can mint them");

    const ariPushDef = resources.secrets.find((s) => s.name === 'ari-push');
    if (!ariPushDef) throw new Error('resources.json: no secrets entry named ari-push');
    this.ariPushSecret = new secretsmanager.Secret(this, 'AriPushSecret', {
      secretName: `${settings.prefix}-${ariPushDef.name}`,
      description: ariPushDef.description,
      // Generated by Secrets Manager at deploy time: the template holds only its shape.
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'push_key',
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy,
    });
    acknowledge(this.ariPushSecret, 'SMG4', "rotating the push key changes every channel's push signing secret at once; a channel's own secret rotates with its client secret (channel-secret-rotate)");

    this.api = new Api(this, 'Api', { settings });
    // What clients call: the API's own URL, or with waf=cloudfront the distribution in front of it.
    const apiUrl = this.api.distribution ? this.api.issuer : this.api.httpApi.apiEndpoint;
    if (settings.web === 'cloudfront') this.desk = new DeskHosting(this, 'Desk', { settings, apiUrl });

    this.publisherFailures = new sqs.Queue(this, 'OutboxPublisherFailures', {
      queueName: `${settings.prefix}-outbox-publisher-dlq`,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    acknowledge(this.publisherFailures, 'SQS3', 'this is the failure destination of the stream publisher; it has no dead-letter queue of its own');

    const crates = functionCrates();
    for (const name of crates) {
      if (!kinds.has(name)) throw new Error(`functions/${name} is not in routes.json (no route, consumer, stream or schedule)`);
    }
    for (const name of kinds.keys()) {
      if (!crates.includes(name)) throw new Error(`routes.json names ${name}, but functions/${name} does not exist`);
      if (!FUNCTIONS[name]) throw new Error(`functions.ts has no profile for ${name}`);
      if (!PERMISSIONS[name]) throw new Error(`permissions.ts has no grants for ${name}`);
    }

    const functionScopes = new Map<FunctionStackName, Construct>();
    const scopeOf = (name: FunctionStackName): Construct => {
      let scope = functionScopes.get(name);
      if (!scope) {
        const nested = new NestedStack(this, name, { description: `${this.stackName}: ${FUNCTION_STACKS[name]} (infra/cdk/lib/layout.ts)` });
        this.functionStacks[name] = nested;
        scope = new Construct(nested, 'Functions');
        functionScopes.set(name, scope);
      }
      return scope;
    };
    const placement = new Map<string, FunctionStackName>();
    for (const [name, kind] of kinds) {
      const { memoryMb, timeoutSeconds } = sizeOf(name, kind);
      const id = pascal(name);
      placement.set(name, functionStack(name, kind, routes));
      const functionsScope = scopeOf(placement.get(name)!);
      const logGroup = new logs.LogGroup(functionsScope, `${id}Logs`, {
        logGroupName: `/aws/lambda/${settings.prefix}-${name}`,
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy,
      });
      // A role of its own with no managed policy: only its log group, its trigger and permissions.ts.
      const signing = resources.kmsKeys.some((k) => signsWith(PERMISSIONS[name], k.name));
      const role = new iam.Role(functionsScope, `${id}Role`, {
        roleName: signing ? signerRoleName(settings.prefix, name) : undefined,
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `${name}: what infra/cdk/lib/permissions.ts grants it`,
      });
      logGroup.grantWrite(role);
      const fn = rustFunction(functionsScope, id, name, settings.assets, {
        functionName: `${settings.prefix}-${name}`,
        description: `${kind}: functions/${name}`,
        memorySize: memoryMb,
        timeout: Duration.seconds(timeoutSeconds),
        role,
        logGroup,
        environment: this.environmentFor(FUNCTIONS[name].config),
      });
      this.grant(fn, PERMISSIONS[name]);
      this.functions[name] = fn;
    }

    // Each route beside its function, so its integration and Lambda permission stay in one stack.
    for (const [stackName, scope] of functionScopes) {
      const here = routes.routes.filter((r) => placement.get(r.function) === stackName);
      if (here.length > 0) this.api.addRoutes(Stack.of(scope), here, this.functions);
    }

    for (const stream of routes.streams) {
      const fn = this.functions[stream.function];
      for (const tableName of stream.tables) {
        const table = this.data.tables[tableName];
        if (!table?.tableStreamArn) throw new Error(`routes.json streams: table ${tableName} has no stream in resources.json`);
        // Retried until published (or until the stream drops the record after 24 h, which lands
        // in the failure queue and its alarm): the outbox must not skip a committed change.
        const filter = STREAM_FILTERS[tableName];
        fn.addEventSource(
          new DynamoEventSource(table, {
            startingPosition: lambda.StartingPosition.TRIM_HORIZON,
            batchSize: 100,
            bisectBatchOnError: true,
            retryAttempts: -1,
            reportBatchItemFailures: true,
            onFailure: new SqsDlq(this.publisherFailures),
            filters: filter ? [lambda.FilterCriteria.filter({ dynamodb: { Keys: filter } })] : undefined,
          }),
        );
      }
    }

    const consumerPairs: { name: string; pair: QueuePair }[] = [];
    for (const consumer of routes.consumers) {
      const pair = this.messaging.consumers[consumer.queue] ?? this.messaging.queues[consumer.queue];
      if (!pair) throw new Error(`routes.json consumer ${consumer.function}: no queue ${consumer.queue} in resources.json`);
      const fn = this.functions[consumer.function];
      if (fn.timeout && fn.timeout.toSeconds() > pair.visibilityTimeoutSeconds) {
        throw new Error(`${consumer.function}: its timeout exceeds its queue's visibility timeout`);
      }
      fn.addEventSource(new SqsEventSource(pair.queue, { batchSize: 10, reportBatchItemFailures: true }));
      // The inbox sends a fact that waits for its predecessor back to its own queue, delayed,
      // rather than failing it (shared/src/inbox.rs): its only write to a queue.
      if (this.messaging.consumers[consumer.queue]) pair.queue.grantSendMessages(fn);
      consumerPairs.push({ name: consumer.function, pair });
    }

    for (const schedule of routes.schedules) {
      const id = pascal(schedule.function);
      // Beside its function, in the function's stack.
      const home = Stack.of(this.functions[schedule.function]);
      const role = new iam.Role(home, `${id}ScheduleRole`, {
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': home.account } },
        }),
      });
      new scheduler.Schedule(home, `${id}Schedule`, {
        description: `runs ${schedule.function} every ${schedule.everyMinutes} minutes`,
        schedule: scheduler.ScheduleExpression.rate(Duration.minutes(schedule.everyMinutes)),
        // A missed run is made up by the next one.
        target: new schedulerTargets.LambdaInvoke(this.functions[schedule.function], { role, retryAttempts: 0 }),
      });
      acknowledge(
        role.node.findChild('DefaultPolicy'),
        `IAM5[Resource::${nagRef(role, this.functions[schedule.function].node.defaultChild as CfnElement, 'Arn')}:*]`,
        "grantInvoke's `<function ARN>:*` covers only this function's versions and aliases",
      );
    }

    // Lambda's stream event source needs dynamodb:ListStreams, which has no resource-level
    // permissions; everything else it reads is scoped to the two streams.
    for (const stream of routes.streams) {
      acknowledge(
        this.functions[stream.function].role!.node.findChild('DefaultPolicy'),
        'IAM5[Resource::*]',
        'dynamodb:ListStreams (for the stream event source) cannot be scoped to a resource',
      );
    }

    this.operations = new Operations(this, 'Operations', {
      settings,
      api: this.api,
      consumers: consumerPairs.map(({ name, pair }) => ({
        name,
        pair,
        function: this.functions[name],
        // A delayed hold timer waits up to 15 minutes by design; other facts should flow at once.
        oldestMessageSeconds: pair.queue === this.messaging.queues['hold-expiry']?.queue ? 20 * 60 : 10 * 60,
      })),
      publisher: { function: this.functions[routes.streams[0].function], failures: this.publisherFailures },
      functions: this.functions,
      searchDomain: this.data.searchDomain,
    });

    new CfnOutput(this, 'ApiUrl', { value: apiUrl });
    if (this.desk) new CfnOutput(this, 'DeskUrl', { value: this.desk.url, description: 'the front desk app' });
    new CfnOutput(this, 'Issuer', { value: this.api.issuer });
    new CfnOutput(this, 'EventBusName', { value: this.messaging.bus.eventBusName });
    new CfnOutput(this, 'ArchiveBucket', { value: this.data.archive.bucketName });
    new CfnOutput(this, 'StripeSecretArn', { value: this.stripeSecret.secretArn });
    for (const pair of [...Object.values(this.messaging.consumers), ...Object.values(this.messaging.queues)]) {
      // The operator tool (event-ops) reads these.
      new CfnOutput(this, `${pascal(pair.name)}QueueUrl`, { value: pair.queue.queueUrl, description: pair.envVar });
    }
  }

  /** The variables each config group's code reads (see functions.ts). */
  /** On the table and the named indexes only (see permissions.ts). */
  private grantTable(fn: lambda.Function, name: string, access: TableAccess, indexes: string[], scan = false, itemWrites?: TableGrant['itemWrites']): void {
    const table = this.data.tables[name];
    const def = this.resources.tables.find((t) => t.name === name);
    if (!table || !def) throw new Error(`permissions.ts: no table ${name} in resources.json`);
    for (const index of indexes) {
      if (!def.gsis.some((g) => g.name === index)) throw new Error(`permissions.ts: table ${name} has no index ${index}`);
    }
    const actions = [
      ...(access === 'write' ? [] : DYNAMODB_READ),
      ...(access === 'read' ? [] : DYNAMODB_WRITE),
    ];
    if (scan) actions.push('dynamodb:Scan');
    iam.Grant.addToPrincipal({ grantee: fn, actions, resourceArns: [table.tableArn] });
    if (itemWrites) {
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: itemWrites.actions,
        resourceArns: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${itemWrites.keysStartingWith}*`] } },
      });
    }
    if (indexes.length > 0) {
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: ['dynamodb:Query'],
        resourceArns: indexes.map((index) => `${table.tableArn}/index/${index}`),
      });
    }
  }

  private environmentFor(groups: ConfigGroup[]): Record<string, string> {
    const { tables } = this.data;
    const env: Record<string, string> = {};
    const resources = this.resources;
    const tableVar = (name: string) => {
      const def = resources.tables.find((t) => t.name === name);
      if (!def) throw new Error(`resources.json has no table ${name}`);
      env[def.envVar] = tables[name].tableName;
    };
    const secretVar = (name: string, secret: secretsmanager.Secret) => {
      const def = resources.secrets.find((s) => s.name === name);
      if (!def) throw new Error(`resources.json has no secret ${name}`);
      env[def.envVar] = secret.secretArn;
    };
    const keyVar = (name: string) => {
      const def = resources.kmsKeys.find((k) => k.name === name);
      if (!def) throw new Error(`resources.json has no key ${name}`);
      env[def.envVar] = this.keys[name].keyArn;
    };
    for (const group of groups) {
      switch (group) {
        case 'store':
          ['accounts', 'vendors', 'bookings', 'inventory'].forEach(tableVar);
          break;
        case 'ledger':
          tableVar('ledger');
          break;
        case 'streamTables':
          ['bookings', 'vendors', 'billing', 'accounts', 'inventory'].forEach(tableVar);
          break;
        case 'search':
          env.SEARCH_BACKEND = this.settings.search;
          if (this.data.searchDomain) {
            env.OPENSEARCH_URL = `https://${this.data.searchDomain.domainEndpoint}`;
            env.OPENSEARCH_INDEX = OPENSEARCH_INDEX;
          } else {
            tableVar('search');
          }
          break;
        case 'stripe':
          secretVar('stripe', this.stripeSecret);
          if (this.settings.stripeApiBase) env.STRIPE_API_BASE = this.settings.stripeApiBase;
          break;
        case 'ariPushKey':
          secretVar('ari-push', this.ariPushSecret);
          break;
        case 'tokens':
          env.JWT_ISSUER = this.api.issuer;
          env.JWT_AUDIENCE = this.api.audience;
          break;
        case 'signer':
          keyVar('jwt');
          break;
        case 'auditKey':
          keyVar('audit');
          break;
        case 'auditLog':
          tableVar('audit');
          break;
        case 'reportsTable':
          tableVar('reports');
          break;
        case 'billingTable':
          tableVar('billing');
          break;
        case 'witnessState':
          tableVar('audit-witness');
          break;
        case 'bus':
          env[resources.eventBus.envVar] = this.messaging.bus.eventBusName;
          break;
        case 'holdTimer': {
          const pair = this.messaging.queues['hold-expiry'];
          env[pair.envVar] = pair.queue.queueUrl;
          break;
        }
        case 'ariFlushQueue': {
          const pair = this.messaging.queues['ari-flush'];
          env[pair.envVar] = pair.queue.queueUrl;
          break;
        }
        case 'archiveIndex':
          tableVar('booking-archive');
          break;
        case 'archiveRecords':
          env[resources.buckets[0].envVar] = this.data.archive.bucketName;
          break;
        case 'archiveAge':
          env.ARCHIVE_AFTER_DAYS = String(this.settings.archiveAfterDays);
          break;
        case 'mail':
          env[resources.sesIdentities[0].envVar] = resources.sesIdentities[0].email;
          break;
        case 'auditSchedules': {
          const group = this.messaging.nightAudit;
          env[group.def.envVar] = group.group.scheduleGroupName;
          env[group.def.targetEnvVar] = group.target.queueArn;
          env[group.def.roleEnvVar] = group.role.roleArn;
          break;
        }
        case 'reminders': {
          const group = this.messaging.reminders;
          env[group.def.envVar] = group.group.scheduleGroupName;
          env[group.def.targetEnvVar] = group.target.queueArn;
          env[group.def.roleEnvVar] = group.role.roleArn;
          break;
        }
        case 'notices':
          // No guest app is part of this stack: without one, hold emails ask the guest to pay in
          // the app they booked in, with no link (a link to the API would lead nowhere).
          if (this.settings.appBaseUrl) env.APP_BASE_URL = this.settings.appBaseUrl;
          env.SMS_ENABLED = String(this.settings.sms);
          break;
      }
    }
    return env;
  }

  /** How cdk-nag writes a pseudo parameter: its value when the stack has one, else `<name>`. */
  private nagName(value: string, pseudo: string): string {
    return Token.isUnresolved(value) ? `<${pseudo}>` : value;
  }

  /** permissions.ts, as grant calls. */
  private grant(fn: lambda.Function, grants: Grants): void {
    for (const [name, tableGrant] of Object.entries(grants.tables ?? {})) {
      if (tableGrant) this.grantTable(fn, name, tableGrant.access, tableGrant.indexes, tableGrant.scan, tableGrant.itemWrites);
    }
    if (grants.searchIndex) {
      const [use] = grants.searchIndex;
      const domain = this.data.searchDomain;
      if (domain) {
        // Only the index the code uses: queries go to _search; the indexer checks and creates the
        // index (HEAD, PUT) and updates documents (POST _update/<id>).
        const index = `${domain.domainArn}/${OPENSEARCH_INDEX}`;
        if (use === 'query') {
          iam.Grant.addToPrincipal({ grantee: fn, actions: ['es:ESHttpGet', 'es:ESHttpPost'], resourceArns: [`${index}/_search`] });
        } else {
          iam.Grant.addToPrincipal({
            grantee: fn,
            actions: ['es:ESHttpHead', 'es:ESHttpPut', 'es:ESHttpPost'],
            resourceArns: [index, `${index}/_update/*`],
          });
          acknowledge(
            fn.role!.node.findChild('DefaultPolicy'),
            `IAM5[Resource::${nagRef(fn, domain.node.defaultChild as CfnElement, 'Arn')}/${OPENSEARCH_INDEX}/_update/*]`,
            'documents are updated by id (one per vendor, `_update/<vendor id>`), known only at run time; the index itself is named',
          );
        }
      } else if (use === 'query') {
        const def = this.resources.tables.find((t) => t.name === 'search');
        this.grantTable(fn, 'search', 'read', def?.gsis.map((g) => g.name) ?? []);
      } else {
        this.grantTable(fn, 'search', 'write', []);
      }
    }
    if (grants.jwtKey) this.jwtKey.grant(fn, ...grants.jwtKey[0]);
    for (const [name, why] of Object.entries(grants.kmsKeys ?? {})) {
      const key = this.keys[name];
      if (!key || !why) throw new Error(`permissions.ts: no key ${name} in resources.json`);
      key.grant(fn, ...why[0]);
    }
    if (grants.stripeSecret) this.stripeSecret.grantRead(fn);
    if (grants.ariPushSecret) this.ariPushSecret.grantRead(fn);
    if (grants.eventBus) this.messaging.bus.grantPutEventsTo(fn);
    if (grants.holdExpiryQueue) this.messaging.queues['hold-expiry'].queue.grantSendMessages(fn);
    if (grants.ariFlushQueue) this.messaging.queues['ari-flush'].queue.grantSendMessages(fn);
    if (grants.archiveRecords) {
      // Only the records' prefix, and only the one action (grantPut/grantRead add more).
      // The archiver also deletes a record it wrote for a move that did not happen (the booking
      // changed, or another run archived it), so the bucket holds one record per booking.
      const actions = grants.archiveRecords[0] === 'put' ? ['s3:DeleteObject', 's3:PutObject'] : ['s3:GetObject'];
      iam.Grant.addToPrincipal({ grantee: fn, actions, resourceArns: [this.data.archive.arnForObjects('bookings/*')] });
      acknowledge(
        fn.role!.node.findChild('DefaultPolicy'),
        `IAM5[Resource::${nagRef(fn, this.data.archive.node.defaultChild as CfnElement, 'Arn')}/bookings/*]`,
        'one object per archived booking, named by vendor, month and booking at run time; only the bookings/ prefix',
      );
    }
    if (grants.invoiceArchive) {
      iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:PutObject'], resourceArns: [this.data.archive.arnForObjects('invoices/*')] });
      acknowledge(
        fn.role!.node.findChild('DefaultPolicy'),
        `IAM5[Resource::${nagRef(fn, this.data.archive.node.defaultChild as CfnElement, 'Arn')}/invoices/*]`,
        'one object per issued invoice (JSON and PDF), named by vendor and number at run time; only the invoices/ prefix',
      );
    }
    if (grants.mail) {
      for (const identity of this.messaging.senderIdentities) {
        iam.Grant.addToPrincipal({ grantee: fn, actions: ['ses:SendEmail'], resourceArns: [identity.emailIdentityArn] });
      }
    }
    if (grants.reminders) {
      const { def, role } = this.messaging.reminders;
      // The group's name is known (the token would hide it from the acknowledgment below).
      // Schedules are `reminder-<booking>` (notifier's outlets.rs).
      const schedules = `${this.settings.prefix}-${def.name}/reminder-*`;
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:UpdateSchedule'],
        resourceArns: [Stack.of(fn).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: schedules })],
      });
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: ['iam:PassRole'],
        resourceArns: [role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      });
      acknowledge(
        fn.role!.node.findChild('DefaultPolicy'),
        `IAM5[Resource::arn:<AWS::Partition>:scheduler:${this.nagName(this.region, 'AWS::Region')}:${this.nagName(this.account, 'AWS::AccountId')}:schedule/${schedules}]`,
        "one schedule per confirmed booking, `reminder-<booking>`, named at run time; only the reminders group's",
      );
    }
    if (grants.auditSchedules) {
      const { def, role } = this.messaging.nightAudit;
      // Schedules are `night-audit-<vendor>` (shared/src/night_audit/schedule.rs); put, never deleted.
      const schedules = `${this.settings.prefix}-${def.name}/night-audit-*`;
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule'],
        resourceArns: [Stack.of(fn).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: schedules })],
      });
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: ['iam:PassRole'],
        resourceArns: [role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      });
      acknowledge(
        fn.role!.node.findChild('DefaultPolicy'),
        `IAM5[Resource::arn:<AWS::Partition>:scheduler:${this.nagName(this.region, 'AWS::Region')}:${this.nagName(this.account, 'AWS::AccountId')}:schedule/${schedules}]`,
        "one schedule per vendor, `night-audit-<vendor>`, named at run time; only the night-audit group's",
      );
    }
    if (grants.sms && this.settings.sms) {
      iam.Grant.addToPrincipal({ grantee: fn, actions: ['sns:Publish'], resourceArns: ['*'] });
      acknowledge(fn.role!.node.findChild('DefaultPolicy'), 'IAM5[Resource::*]', 'sns:Publish to a phone number has no resource to scope it to');
    }
  }
}

/** Whether permissions.ts lets a function sign with the key (`jwt` through `jwtKey`). */
function signsWith(grants: Grants | undefined, key: string): boolean {
  const actions = key === 'jwt' ? grants?.jwtKey?.[0] : grants?.kmsKeys?.[key]?.[0];
  return actions?.includes('kms:Sign') ?? false;
}

/** A signer's role name, fixed so a key policy can name it (`<prefix>-<function>`). */
export function signerRoleName(prefix: string, fn: string): string {
  return `${prefix}-${fn}`;
}

/**
 * How cdk-nag names `target`'s attribute in a finding on `consumer`: `<Id.Arn>` in the same stack;
 * across stacks the reference is the nested stack's parameter CDK creates for it
 * (`reference-to-<target's unique id><attribute>`, the dashes dropped in its logical id).
 */
export function nagRef(consumer: Construct, target: CfnElement, attribute: string): string {
  const stack = Stack.of(consumer);
  if (stack === Stack.of(target)) return `<${stack.getLogicalId(target)}.${attribute}>`;
  return `<referenceto${Names.nodeUniqueId(target.node)}${attribute}>`;
}
