// The desk app's hosting: a private bucket that only CloudFront (origin access control) reads,
// HTTPS only, the local gateway's security headers with the API added to connect-src, caching by
// kind of file, and config.json carrying the API's address written at deploy time.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { REPO_ROOT } from '../lib/definitions';
import { readSettings } from '../lib/settings';
import { build, deskFixture, ofType, RESOURCES } from './helpers';

const built = build();
const desk = built.stack.desk!;
const apiEndpoint = { 'Fn::GetAtt': [built.logicalId(built.stack.api.httpApi), 'ApiEndpoint'] };
const distributionId = built.logicalId(desk.distribution);
const config = () => built.resources[distributionId].Properties.DistributionConfig;
const deployments = () => ofType(built, 'Custom::CDKBucketDeployment').map(([, r]) => r.Properties);

/** The config.json a stack deploys, its deploy-time value written `<token>`, and that value. */
function deployedConfig(b: typeof built): { json: Record<string, string>; token: unknown } {
  const toApp = ofType(b, 'Custom::CDKBucketDeployment').map(([, r]) => r.Properties).find((d) => d.DestinationBucketKeyPrefix === 'desk/');
  const index = toApp.SourceMarkers.findIndex((m: Record<string, unknown>) => Object.keys(m).length > 0);
  const [[marker, token]] = Object.entries(toApp.SourceMarkers[index]);
  const staged = path.join(b.app.outdir, `asset.${toApp.SourceObjectKeys[index].replace(/\.zip$/, '')}`);
  const text = readFileSync(path.join(staged, 'config.json'), 'utf8').replace(marker, '<token>');
  return { json: JSON.parse(text), token };
}

/** A Fn::Join of strings and one token, with the token written as `<token>`. */
function joined(value: any, token: unknown): string {
  if (typeof value === 'string') return value;
  const [sep, parts] = value['Fn::Join'];
  return parts.map((p: unknown) => (typeof p === 'string' ? p : (assert.deepEqual(p, token), '<token>'))).join(sep);
}

/** The local gateway's policy, as desk.rs spells it. */
function gatewayPolicy(): string {
  const source = readFileSync(path.join(REPO_ROOT, 'localstack/gateway/src/desk.rs'), 'utf8');
  const match = source.match(/CONTENT_SECURITY_POLICY: &str = ((?:"(?:[^"\\]|\\\n|\\.)*")(?:\s*)?);/);
  assert.ok(match, 'desk.rs: CONTENT_SECURITY_POLICY not found');
  // A Rust string with `\` line continuations (which also swallow the next line's indentation).
  return JSON.parse(match[1].replace(/\\\n\s*/g, ''));
}

test('CloudFront reads the bucket through origin access control, not an origin access identity', () => {
  const [origin] = config().Origins;
  assert.deepEqual(origin.DomainName, { 'Fn::GetAtt': [built.logicalId(desk.bucket), 'RegionalDomainName'] });
  assert.equal(origin.S3OriginConfig.OriginAccessIdentity, '');
  const [[oacId, oac]] = ofType(built, 'AWS::CloudFront::OriginAccessControl');
  assert.deepEqual(origin.OriginAccessControlId, { 'Fn::GetAtt': [oacId, 'Id'] });
  assert.equal(oac.Properties.OriginAccessControlConfig.SigningBehavior, 'always');
  assert.equal(oac.Properties.OriginAccessControlConfig.OriginAccessControlOriginType, 's3');
  assert.equal(ofType(built, 'AWS::CloudFront::CloudFrontOriginAccessIdentity').length, 0);
});

test('the bucket is private: public access blocked, encrypted, TLS only, read by this distribution only', () => {
  const bucketId = built.logicalId(desk.bucket);
  const bucket = built.resources[bucketId].Properties;
  assert.deepEqual(bucket.PublicAccessBlockConfiguration, {
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  });
  assert.equal(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm, 'AES256');
  const [, policy] = ofType(built, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === bucketId)!;
  const statements: any[] = policy.Properties.PolicyDocument.Statement;
  assert.ok(
    statements.some((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false'),
    'no TLS-only statement',
  );
  const allows = statements.filter((s) => s.Effect === 'Allow');
  assert.equal(allows.length, 1);
  assert.deepEqual(allows[0].Principal, { Service: 'cloudfront.amazonaws.com' });
  assert.equal(allows[0].Action, 's3:GetObject');
  const sourceArn = JSON.stringify(allows[0].Condition.StringEquals['AWS:SourceArn']);
  assert.ok(sourceArn.includes(distributionId), sourceArn);
});

test('viewers are sent to HTTPS on every path', () => {
  const behaviors = [config().DefaultCacheBehavior, ...config().CacheBehaviors];
  for (const behavior of behaviors) {
    assert.equal(behavior.ViewerProtocolPolicy, 'redirect-to-https', behavior.PathPattern ?? 'default');
    assert.deepEqual(behavior.AllowedMethods, ['GET', 'HEAD']);
  }
});

test("the headers: the gateway's CSP plus the API in connect-src, no 'unsafe-inline', HSTS for two years", () => {
  const [[policyId, policy]] = ofType(built, 'AWS::CloudFront::ResponseHeadersPolicy');
  for (const behavior of [config().DefaultCacheBehavior, ...config().CacheBehaviors]) {
    assert.deepEqual(behavior.ResponseHeadersPolicyId, { Ref: policyId });
  }
  const headers = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
  const csp = joined(headers.ContentSecurityPolicy.ContentSecurityPolicy, apiEndpoint);
  assert.ok(!csp.includes('unsafe-inline'), csp);
  assert.ok(!csp.includes('unsafe-eval'), csp);
  assert.match(csp, /(^|; )script-src 'self'(;|$)/);
  assert.match(csp, /(^|; )connect-src 'self' <token>(;|$)/);
  assert.equal(csp.replace(" <token>", ''), gatewayPolicy());
  assert.equal(headers.ContentSecurityPolicy.Override, true);
  assert.deepEqual(headers.StrictTransportSecurity, { AccessControlMaxAgeSec: 2 * 365 * 24 * 3600, IncludeSubdomains: true, Override: true });
  assert.deepEqual(headers.ContentTypeOptions, { Override: true });
  assert.deepEqual(headers.FrameOptions, { FrameOption: 'DENY', Override: true });
  assert.equal(headers.ReferrerPolicy.ReferrerPolicy, 'no-referrer');
});

test('hashed assets are cached for a year; index.html, sw.js and config.json are asked for each time', () => {
  const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
  const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
  const [assets] = config().CacheBehaviors;
  assert.equal(assets.PathPattern, '/desk/assets/*');
  assert.equal(assets.CachePolicyId, CACHING_OPTIMIZED);
  assert.equal(config().DefaultCacheBehavior.CachePolicyId, CACHING_DISABLED);
  const [toAssets, toApp] = [
    deployments().find((d) => d.DestinationBucketKeyPrefix === 'desk/assets/'),
    deployments().find((d) => d.DestinationBucketKeyPrefix === 'desk/'),
  ];
  assert.equal(toAssets.SystemMetadata['cache-control'], 'public, max-age=31536000, immutable');
  // Kept after a new deploy: a page loaded before it still finds its files.
  assert.equal(toAssets.Prune, false);
  assert.equal(toApp.SystemMetadata['cache-control'], 'no-cache');
  // Its pruning must not remove the assets the other deployment put there.
  assert.deepEqual(toApp.Exclude, ['assets/*']);
});

test('config.json is deployed beside the app with the API URL, resolved at deploy time', () => {
  const { json, token } = deployedConfig(built);
  assert.deepEqual(json, { api_base: '<token>' });
  assert.deepEqual(token, apiEndpoint);
  // The other source is the built app without its assets (those go to desk/assets/).
  const toApp = deployments().find((d) => d.DestinationBucketKeyPrefix === 'desk/')!;
  const index = toApp.SourceMarkers.findIndex((m: Record<string, unknown>) => Object.keys(m).length === 0);
  const app = path.join(built.app.outdir, `asset.${toApp.SourceObjectKeys[index].replace(/\.zip$/, '')}`);
  assert.ok(existsSync(path.join(app, 'index.html')) && existsSync(path.join(app, 'sw.js')));
  assert.ok(!existsSync(path.join(app, 'assets')));
  assert.ok(existsSync(path.join(deskFixture(), 'assets')));
});

test('/ and /desk go to /desk/, client routes get the app, files stay files', () => {
  const [[, fn]] = ofType(built, 'AWS::CloudFront::Function');
  assert.equal(fn.Properties.FunctionConfig.Runtime, 'cloudfront-js-2.0');
  assert.deepEqual(config().DefaultCacheBehavior.FunctionAssociations[0].EventType, 'viewer-request');
  const handler = new Function(`${fn.Properties.FunctionCode}; return handler;`)();
  const route = (uri: string) => handler({ request: { uri } });
  for (const uri of ['/', '/desk']) {
    const answer = route(uri);
    assert.equal(answer.statusCode, 301, uri);
    assert.equal(answer.headers.location.value, '/desk/', uri);
  }
  for (const uri of ['/desk/', '/desk/board', '/desk/booking/abc']) assert.equal(route(uri).uri, '/desk/index.html', uri);
  for (const uri of ['/desk/assets/index-3f9a1c.js', '/desk/sw.js', '/desk/config.json', '/desk/favicon.svg']) {
    assert.equal(route(uri).uri, uri, uri);
  }
});

test("the API's CORS: any origin by default, the desk's own domain when it has one, corsOrigins when given", () => {
  const cors = (b: typeof built) => ofType(b, 'AWS::ApiGatewayV2::Api')[0][1].Properties.CorsConfiguration;
  assert.deepEqual(cors(built).AllowOrigins, ['*']);
  const withDomain = build({ deskDomain: 'desk.example.com', deskCertificate: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' });
  assert.deepEqual(cors(withDomain).AllowOrigins, ['https://desk.example.com']);
  assert.deepEqual(cors(withDomain).AllowHeaders, ['authorization', 'content-type', 'if-match', 'idempotency-key']);
  const distribution = ofType(withDomain, 'AWS::CloudFront::Distribution')[0][1].Properties.DistributionConfig;
  assert.deepEqual(distribution.Aliases, ['desk.example.com']);
  assert.equal(distribution.ViewerCertificate.MinimumProtocolVersion, 'TLSv1.2_2021');
  const output = withDomain.template.toJSON().Outputs.DeskUrl;
  assert.equal(output.Value, 'https://desk.example.com/desk/');
  // corsOrigins, when given, wins (read from the settings: no second synth needed).
  const given = new App({ context: { corsOrigins: 'https://a.example.com', deskDomain: 'desk.example.com', deskCertificate: 'arn:aws:acm:us-east-1:1:certificate/x' } });
  assert.deepEqual(readSettings(given.node, RESOURCES).corsOrigins, ['https://a.example.com']);
  assert.throws(() => build({ deskDomain: 'desk.example.com' }), /deskCertificate/);
});

test("the stack's output is the desk's address", () => {
  const output = built.template.toJSON().Outputs.DeskUrl;
  assert.deepEqual(output.Value, { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }, '/desk/']] });
});

test('with waf=cloudfront the app calls the API through that distribution', () => {
  const withWaf = build({ waf: 'cloudfront' }, { region: 'us-east-1' });
  const edge = { 'Fn::GetAtt': [withWaf.logicalId(withWaf.stack.api.distribution!), 'DomainName'] };
  const { json, token } = deployedConfig(withWaf);
  assert.deepEqual(json, { api_base: 'https://<token>' });
  assert.deepEqual(token, edge);
  const [[, policy]] = ofType(withWaf, 'AWS::CloudFront::ResponseHeadersPolicy');
  const csp = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy;
  assert.match(joined(csp, edge), /connect-src 'self' https:\/\/<token>;/);
});

test('without a build, a synth for tests deploys only config.json; a real one refuses', () => {
  const missing = path.join(deskFixture(), 'not-built');
  const bare = build({ webDist: missing }, { nag: false });
  const [only, ...more] = ofType(bare, 'Custom::CDKBucketDeployment').map(([, r]) => r.Properties);
  assert.equal(more.length, 0);
  assert.equal(only.SourceObjectKeys.length, 1);
  assert.equal(bare.stack.desk!.dist, undefined);
  assert.throws(() => build({ webDist: missing, assets: 'cargo-lambda' }), /desk app is not built/);
});

test('-c web=none leaves the desk out (LocalStack has no CloudFront in its free image)', () => {
  const without = build({ web: 'none' }, { nag: false });
  assert.equal(without.stack.desk, undefined);
  assert.equal(ofType(without, 'AWS::CloudFront::Distribution').length, 0);
  assert.equal(ofType(without, 'Custom::CDKBucketDeployment').length, 0);
  assert.equal(without.template.toJSON().Outputs.DeskUrl, undefined);
});
