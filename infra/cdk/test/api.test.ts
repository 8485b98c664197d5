// The HTTP API is the route table: every route reaches its function's Lambda, behind the JWT
// authorizer exactly when routes.json says `auth: "jwt"`, and the authorizer trusts the issuer
// the code signs tokens as.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build, dependencyCycle, describe, ofType, RESOURCES, ROUTES } from './helpers';

const built = build();
const routes = ofType(built, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
const [[authorizerId, authorizer]] = ofType(built, 'AWS::ApiGatewayV2::Authorizer');
const integrations = new Map(ofType(built, 'AWS::ApiGatewayV2::Integration'));

function integrationOf(route: any): any {
  const target: string[] = route.Target['Fn::Join'][1];
  const id = (target[1] as any).Ref;
  return integrations.get(id)!.Properties;
}

test('the API has exactly the routes of routes.json', () => {
  const deployed = routes.map((r) => r.RouteKey).sort();
  const wanted = ROUTES.routes.map((r) => `${r.method} ${r.path}`).sort();
  assert.deepEqual(deployed, wanted);
});

test("every route invokes the Lambda of its function's crate", () => {
  for (const route of ROUTES.routes) {
    const deployed = routes.find((r) => r.RouteKey === `${route.method} ${route.path}`);
    const integration = integrationOf(deployed);
    assert.equal(integration.IntegrationType, 'AWS_PROXY');
    assert.equal(integration.PayloadFormatVersion, '2.0');
    assert.equal(describe(integration.IntegrationUri, built.names), `fn:${route.function}`, route.path);
  }
});

test('jwt routes are behind the JWT authorizer and the others are open', () => {
  for (const route of ROUTES.routes) {
    const deployed = routes.find((r) => r.RouteKey === `${route.method} ${route.path}`);
    if (route.auth === 'jwt') {
      assert.equal(deployed.AuthorizationType, 'JWT', route.path);
      assert.deepEqual(deployed.AuthorizerId, { Ref: authorizerId }, route.path);
    } else {
      assert.equal(deployed.AuthorizationType, 'NONE', route.path);
      assert.equal(deployed.AuthorizerId, undefined, route.path);
    }
  }
});

test('the authorizer trusts the issuer and audience the code signs tokens with', () => {
  const { JwtConfiguration, IdentitySource, AuthorizerType } = authorizer.Properties;
  assert.equal(AuthorizerType, 'JWT');
  assert.deepEqual(IdentitySource, ['$request.header.Authorization']);
  // By default the issuer is the API's own URL, which serves /.well-known/openid-configuration.
  assert.deepEqual(JwtConfiguration.Issuer, { 'Fn::GetAtt': [built.logicalId(built.stack.api.httpApi), 'ApiEndpoint'] });
  assert.deepEqual(JwtConfiguration.Audience, ['reservations-api']);
  for (const fn of ['user-login', 'vendor-login', 'openid-configuration']) {
    const env = built.fn(fn).Environment.Variables;
    assert.deepEqual(env.JWT_ISSUER, JwtConfiguration.Issuer, fn);
    assert.equal(env.JWT_AUDIENCE, 'reservations-api', fn);
  }
  for (const fn of ['user-login', 'vendor-login', 'jwks']) {
    const env = built.fn(fn).Environment.Variables;
    assert.equal(describe(env[RESOURCES.kmsKeys[0].envVar], built.names), 'key:jwt', fn);
  }
});

test('the token key is the P-256 signing key of resources.json', () => {
  const key = built.resources[built.logicalId(built.stack.jwtKey)].Properties;
  assert.equal(key.KeySpec, 'ECC_NIST_P256');
  assert.equal(key.KeyUsage, 'SIGN_VERIFY');
});

test('CORS answers preflights for the headers the API reads and exposes the ones it sets', () => {
  const api = ofType(built, 'AWS::ApiGatewayV2::Api')[0][1].Properties;
  assert.equal(api.ProtocolType, 'HTTP');
  assert.deepEqual(api.CorsConfiguration.AllowHeaders, ['authorization', 'content-type', 'if-match', 'idempotency-key']);
  assert.deepEqual(api.CorsConfiguration.AllowMethods, ['GET', 'POST', 'PUT', 'OPTIONS']);
  assert.deepEqual(api.CorsConfiguration.ExposeHeaders, ['etag', 'location', 'retry-after', 'idempotent-replayed']);
  assert.deepEqual(api.CorsConfiguration.AllowOrigins, ['*']);
});

test('the default stage is throttled and writes JSON access logs to its log group', () => {
  const stage = ofType(built, 'AWS::ApiGatewayV2::Stage')[0][1].Properties;
  assert.equal(stage.StageName, '$default');
  assert.equal(stage.AutoDeploy, true);
  assert.deepEqual(stage.DefaultRouteSettings, { ThrottlingBurstLimit: 1000, ThrottlingRateLimit: 500 });
  assert.deepEqual(stage.AccessLogSettings.DestinationArn, { 'Fn::GetAtt': [built.logicalId(built.stack.api.accessLogs), 'Arn'] });
  const format = JSON.parse(stage.AccessLogSettings.Format);
  assert.equal(format.status, '$context.status');
  assert.equal(format.requestId, '$context.requestId');
});

test('no WAF or CloudFront in front of the API by default (an HTTP API cannot carry a web ACL)', () => {
  assert.equal(ofType(built, 'AWS::WAFv2::WebACL').length, 0);
  assert.equal(ofType(built, 'AWS::WAFv2::WebACLAssociation').length, 0);
  // The one distribution is the desk app's (web.test.ts), with S3 as its only origin.
  const distributions = ofType(built, 'AWS::CloudFront::Distribution');
  assert.deepEqual(distributions.map(([id]) => id), [built.logicalId(built.stack.desk!.distribution)]);
  assert.ok(distributions[0][1].Properties.DistributionConfig.Origins.every((o: any) => o.S3OriginConfig));
});

test('no resource depends on itself through others (the issuer wiring could close a circle)', () => {
  assert.deepEqual(dependencyCycle(built), []);
});
