// The system of record (the tables of resources.json), the archive bucket and, behind
// `-c search=opensearch`, the OpenSearch domain that then holds the search index.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { KeyDef, Resources, TableDef } from './definitions';
import { acknowledge } from './nag';
import { Settings } from './settings';

/** The index name the code uses unless OPENSEARCH_INDEX says otherwise. */
export const OPENSEARCH_INDEX = 'vendors';

export function pascal(name: string): string {
  return name.replace(/(^|[-_])([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

function attribute(key: KeyDef): dynamodb.Attribute {
  const types = { S: dynamodb.AttributeType.STRING, N: dynamodb.AttributeType.NUMBER, B: dynamodb.AttributeType.BINARY };
  return { name: key.name, type: types[key.type] };
}

export interface DataProps {
  readonly resources: Resources;
  readonly settings: Settings;
}

export class Data extends Construct {
  /** By their name in resources.json. */
  readonly tables: Record<string, dynamodb.Table> = {};
  readonly archive: s3.Bucket;
  readonly searchDomain?: opensearch.Domain;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    const { resources, settings } = props;
    const removalPolicy = settings.ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    for (const def of resources.tables) {
      this.tables[def.name] = this.table(def, settings, removalPolicy);
    }

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy,
    });

    this.archive = new s3.Bucket(this, 'Archive', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'archive/',
      lifecycleRules: [
        {
          id: 'colder-with-age',
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) },
            { storageClass: s3.StorageClass.DEEP_ARCHIVE, transitionAfter: Duration.days(365) },
          ],
          noncurrentVersionExpiration: Duration.days(90),
        },
      ],
      removalPolicy,
    });

    if (settings.search === 'opensearch') {
      this.searchDomain = this.openSearch(settings, removalPolicy);
    }
  }

  private table(def: TableDef, settings: Settings, removalPolicy: RemovalPolicy): dynamodb.Table {
    if (def.billingMode !== 'PAY_PER_REQUEST') {
      throw new Error(`table ${def.name}: only on-demand (PAY_PER_REQUEST) tables are deployed`);
    }
    const table = new dynamodb.Table(this, `${pascal(def.name)}Table`, {
      tableName: `${settings.prefix}-${def.name}`,
      partitionKey: attribute(def.partitionKey),
      sortKey: def.sortKey ? attribute(def.sortKey) : undefined,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: !settings.ephemeral,
      stream: def.stream ? dynamodb.StreamViewType[def.stream] : undefined,
      timeToLiveAttribute: def.ttlAttribute ?? undefined,
      removalPolicy,
    });
    for (const gsi of def.gsis) {
      table.addGlobalSecondaryIndex({
        indexName: gsi.name,
        partitionKey: attribute(gsi.partitionKey),
        sortKey: gsi.sortKey ? attribute(gsi.sortKey) : undefined,
        projectionType: dynamodb.ProjectionType[gsi.projection],
        nonKeyAttributes: gsi.nonKeyAttributes,
      });
    }
    return table;
  }

  private openSearch(settings: Settings, removalPolicy: RemovalPolicy): opensearch.Domain {
    const logGroups = ['SlowSearch', 'SlowIndex', 'App'].map(
      (name) => new logs.LogGroup(this, `Search${name}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy }),
    );
    const [slowSearchLogGroup, slowIndexLogGroup, appLogGroup] = logGroups;
    // A plain AWS::Logs::ResourcePolicy instead of the construct's custom resource (a Lambda).
    const logPolicy = new logs.CfnResourcePolicy(this, 'SearchLogsPolicy', {
      policyName: `${settings.prefix}-opensearch-logs`,
      policyDocument: Stack.of(this).toJsonString(
        new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              principals: [new iam.ServicePrincipal('es.amazonaws.com')],
              resources: logGroups.map((g) => g.logGroupArn),
            }),
          ],
        }).toJSON(),
      ),
    });
    const domain = new opensearch.Domain(this, 'Search', {
      version: opensearch.EngineVersion.OPENSEARCH_2_19,
      capacity: {
        dataNodes: 2,
        dataNodeInstanceType: 'm7g.large.search',
        multiAzWithStandbyEnabled: false,
      },
      zoneAwareness: { enabled: true, availabilityZoneCount: 2 },
      ebs: { volumeSize: 20, volumeType: ec2.EbsDeviceVolumeType.GP3 },
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      nodeToNodeEncryption: true,
      encryptionAtRest: { enabled: true },
      logging: {
        slowSearchLogEnabled: true,
        slowSearchLogGroup,
        slowIndexLogEnabled: true,
        slowIndexLogGroup,
        appLogEnabled: true,
        appLogGroup,
      },
      suppressLogsResourcePolicy: true,
      removalPolicy,
    });
    domain.node.addDependency(logPolicy);
    acknowledge(domain, 'OS1', 'the functions call the domain over HTTPS with SigV4-signed requests, authorized by IAM; a VPC would put every function in it (NAT, cold starts) without changing who may call');
    acknowledge(domain, 'OS3', 'same as OS1: access is IAM-only (no anonymous or IP-based access policy); requests are signed');
    acknowledge(domain, 'OS4', 'two data nodes in two zones carry one small index (one document per vendor); dedicated masters come when the cluster grows past a few nodes');
    acknowledge(domain, 'OS5', 'no access policy is attached at all, so nothing is open to anonymous callers; only identity policies (the two search functions) grant access');
    return domain;
  }
}
