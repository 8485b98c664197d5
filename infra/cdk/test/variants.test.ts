// The context switches: a custom issuer, the OpenSearch backend, CloudFront + WAF in front of
// the API, LocalStack's ephemeral mode, and switches that are refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowed, build, dependencyCycle, describe, ofType } from './helpers';

// One build for the two switches LocalStack deploys use together.
const withIssuer = build({ issuer: 'https://api.example.com/', ephemeral: 'true' });
const withOpenSearch = build({ search: 'opensearch' });
const withWaf = build({ waf: 'cloudfront' }, { region: 'us-east-1' });

test('a custom issuer is what the authorizer trusts and what the code signs with', () => {
  const authorizer = ofType(withIssuer, 'AWS::ApiGatewayV2::Authorizer')[0][1].Properties;
  assert.equal(authorizer.JwtConfiguration.Issuer, 'https://api.example.com');
  for (const fn of ['user-login', 'vendor-login', 'openid-configuration']) {
    assert.equal(withIssuer.fn(fn).Environment.Variables.JWT_ISSUER, 'https://api.example.com', fn);
  }
});

test('ephemeral (LocalStack) tables and buckets go with the stack', () => {
  for (const [id, table] of ofType(withIssuer, 'AWS::DynamoDB::Table')) {
    assert.equal(table.Properties.DeletionProtectionEnabled, false, id);
    assert.equal(table.DeletionPolicy, 'Delete', id);
  }
  for (const [id, bucket] of ofType(withIssuer, 'AWS::S3::Bucket')) assert.equal(bucket.DeletionPolicy, 'Delete', id);
});

test('with OpenSearch, the search functions use the domain and may touch only its index', () => {
  const domains = ofType(withOpenSearch, 'AWS::OpenSearchService::Domain');
  assert.equal(domains.length, 1);
  const domain = domains[0][1].Properties;
  assert.equal(domain.NodeToNodeEncryptionOptions.Enabled, true);
  assert.equal(domain.EncryptionAtRestOptions.Enabled, true);
  assert.equal(domain.DomainEndpointOptions.EnforceHTTPS, true);
  for (const fn of ['vendor-search', 'search-indexer']) {
    const env = withOpenSearch.fn(fn).Environment.Variables;
    assert.equal(env.SEARCH_BACKEND, 'opensearch', fn);
    assert.equal(env.OPENSEARCH_INDEX, 'vendors', fn);
    assert.ok(describe(env.OPENSEARCH_URL, withOpenSearch.names).startsWith('https://opensearch.DomainEndpoint'), fn);
    assert.equal(env.SEARCH_TABLE, undefined, fn);
    assert.ok(!allowed(withOpenSearch, fn).some((p) => p.includes('table:search')), fn);
  }
  const search = allowed(withOpenSearch, 'vendor-search').filter((p) => p.startsWith('es:'));
  assert.deepEqual(search, ['es:ESHttpGet opensearch/vendors/_search', 'es:ESHttpPost opensearch/vendors/_search']);
  const indexer = allowed(withOpenSearch, 'search-indexer').filter((p) => p.startsWith('es:'));
  assert.deepEqual(
    indexer,
    ['es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpPut'].flatMap((a) => [`${a} opensearch/vendors`, `${a} opensearch/vendors/_update/*`]).sort(),
  );
});

test('with waf=cloudfront, a WAF rate-based rule guards a CloudFront distribution in front of the API', () => {
  const [[aclId, acl]] = ofType(withWaf, 'AWS::WAFv2::WebACL');
  assert.equal(acl.Properties.Scope, 'CLOUDFRONT');
  const rate = acl.Properties.Rules.find((r: any) => r.Statement.RateBasedStatement);
  assert.equal(rate.Statement.RateBasedStatement.AggregateKeyType, 'IP');
  assert.deepEqual(rate.Action, { Block: {} });
  const [[distributionId, distribution]] = ofType(withWaf, 'AWS::CloudFront::Distribution');
  assert.deepEqual(distribution.Properties.DistributionConfig.WebACLId, { 'Fn::GetAtt': [aclId, 'Arn'] });
  // Tokens name the address clients use: the distribution's.
  const authorizer = ofType(withWaf, 'AWS::ApiGatewayV2::Authorizer')[0][1].Properties;
  assert.deepEqual(authorizer.JwtConfiguration.Issuer, {
    'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]],
  });
  assert.deepEqual(withWaf.fn('user-login').Environment.Variables.JWT_ISSUER, authorizer.JwtConfiguration.Issuer);
});

test('no switch closes a dependency circle', () => {
  for (const variant of [withIssuer, withOpenSearch, withWaf]) assert.deepEqual(dependencyCycle(variant), []);
});

test('waf=cloudfront is refused outside us-east-1, where its web ACL cannot live', () => {
  assert.throws(() => build({ waf: 'cloudfront' }, { region: 'eu-central-1' }), /us-east-1/);
});

test('unknown switch values and a non-https issuer are refused', () => {
  assert.throws(() => build({ search: 'elastic' }), /search=elastic/);
  assert.throws(() => build({ issuer: 'http://api.example.com' }), /https/);
});

test('the archive age reaches the archiver, and one under 30 days is refused', () => {
  assert.equal(build().fn('archiver').Environment.Variables.ARCHIVE_AFTER_DAYS, '180');
  assert.equal(build({ archiveAfterDays: '45' }, { nag: false }).fn('archiver').Environment.Variables.ARCHIVE_AFTER_DAYS, '45');
  assert.throws(() => build({ archiveAfterDays: '7' }), /at least 30/);
});

test('the payment link base reaches the notifier only when given', () => {
  assert.equal(build().fn('notifier').Environment.Variables.APP_BASE_URL, undefined);
  const withApp = build({ appBaseUrl: 'https://book.example.com/' }, { nag: false });
  assert.equal(withApp.fn('notifier').Environment.Variables.APP_BASE_URL, 'https://book.example.com');
});
