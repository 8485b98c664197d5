// The tables are resources.json's (keys, indexes, streams, TTL) with PITR and deletion
// protection; the archive bucket is private, TLS-only and ages into colder storage.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build, ofType, PREFIX, RESOURCES } from './helpers';

const built = build();
const tables = new Map(ofType(built, 'AWS::DynamoDB::Table').map(([id, t]) => [built.names.get(id), t]));

const keySchema = (pk: { name: string }, sk?: { name: string }) => [
  { AttributeName: pk.name, KeyType: 'HASH' },
  ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' }] : []),
];

test('every table of resources.json exists with its keys, on demand, with PITR and deletion protection', () => {
  assert.deepEqual([...tables.keys()].sort(), RESOURCES.tables.map((t) => `table:${t.name}`).sort());
  for (const def of RESOURCES.tables) {
    const table = tables.get(`table:${def.name}`);
    const p = table.Properties;
    assert.equal(p.TableName, `${PREFIX}-${def.name}`);
    assert.deepEqual(p.KeySchema, keySchema(def.partitionKey, def.sortKey));
    assert.equal(p.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(p.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    assert.equal(p.DeletionProtectionEnabled, true);
    assert.equal(table.DeletionPolicy, 'Retain');
  }
});

test('streams and TTL are where the code expects them', () => {
  for (const def of RESOURCES.tables) {
    const p = tables.get(`table:${def.name}`).Properties;
    assert.deepEqual(p.StreamSpecification, def.stream ? { StreamViewType: def.stream } : undefined, def.name);
    assert.deepEqual(p.TimeToLiveSpecification, def.ttlAttribute ? { AttributeName: def.ttlAttribute, Enabled: true } : undefined, def.name);
  }
  // The outbox reads old and new images of bookings and vendors.
  assert.equal(tables.get('table:bookings').Properties.StreamSpecification.StreamViewType, 'NEW_AND_OLD_IMAGES');
  assert.equal(tables.get('table:vendors').Properties.StreamSpecification.StreamViewType, 'NEW_AND_OLD_IMAGES');
});

test('every table has the global secondary indexes of resources.json, with their projections', () => {
  for (const def of RESOURCES.tables) {
    const p = tables.get(`table:${def.name}`).Properties;
    const deployed = (p.GlobalSecondaryIndexes ?? []).map((g: any) => ({
      name: g.IndexName,
      keys: g.KeySchema,
      projection: g.Projection.ProjectionType,
    }));
    const wanted = def.gsis.map((g) => ({ name: g.name, keys: keySchema(g.partitionKey, g.sortKey), projection: g.projection }));
    assert.deepEqual(deployed, wanted, def.name);
    const types = Object.fromEntries(p.AttributeDefinitions.map((a: any) => [a.AttributeName, a.AttributeType]));
    for (const key of [def.partitionKey, def.sortKey, ...def.gsis.flatMap((g) => [g.partitionKey, g.sortKey])]) {
      if (key) assert.equal(types[key.name], key.type, `${def.name}.${key.name}`);
    }
  }
});

test('the archive bucket is encrypted, private, TLS-only, logged and moves to colder storage', () => {
  const id = built.logicalId(built.stack.data.archive);
  const p = built.resources[id].Properties;
  assert.equal(p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm, 'AES256');
  assert.deepEqual(p.PublicAccessBlockConfiguration, {
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  });
  assert.ok(p.LoggingConfiguration.DestinationBucketName);
  const transitions = p.LifecycleConfiguration.Rules[0].Transitions.map((t: any) => t.StorageClass);
  assert.deepEqual(transitions, ['STANDARD_IA', 'GLACIER_IR', 'DEEP_ARCHIVE']);
  const policy = ofType(built, 'AWS::S3::BucketPolicy').find(([, b]) => b.Properties.Bucket.Ref === id)![1];
  const denyInsecure = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Effect === 'Deny');
  assert.deepEqual(denyInsecure.Condition, { Bool: { 'aws:SecureTransport': 'false' } });
});

test('the Stripe secret is the one resources.json names, handed to the functions by ARN', () => {
  const secret = built.resources[built.logicalId(built.stack.stripeSecret)].Properties;
  assert.equal(secret.Name, `${PREFIX}-stripe`);
  const env = built.fn('booking-create').Environment.Variables;
  assert.deepEqual(env.STRIPE_SECRET_ID, { Ref: built.logicalId(built.stack.stripeSecret) });
});

test('by default search is the DynamoDB backend, and no OpenSearch domain exists', () => {
  for (const fn of ['vendor-search', 'search-indexer']) {
    const env = built.fn(fn).Environment.Variables;
    assert.equal(env.SEARCH_BACKEND, 'dynamodb', fn);
    assert.deepEqual(env.SEARCH_TABLE, { Ref: built.logicalId(built.stack.data.tables.search) }, fn);
    assert.equal(env.OPENSEARCH_URL, undefined, fn);
  }
  assert.equal(ofType(built, 'AWS::OpenSearchService::Domain').length, 0);
});
