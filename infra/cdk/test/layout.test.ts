// The split into nested stacks: every stack stays well under CloudFormation's limits (500
// resources, 200 outputs; 60 parameters, the old per-template limit, kept as a margin), each
// function sits in the nested stack layout.ts names, and the references across stacks are the
// ones CloudFormation can order (parameters into a child, outputs up to the parent).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { functionKinds } from '../lib/functions';
import { DEFAULT_HTTP_STACK, functionStack, HTTP_AREAS, pathArea, WORKERS_STACK } from '../lib/layout';
import { build, dependencyCycle, describe, PREFIX, ROUTES, StackTemplate } from './helpers';

/** Leaves room for what issues 19-22 add (about 10 functions, 8 resources each) and more. */
const MAX_RESOURCES = 450;
const MAX_PARAMETERS = 60;
const MAX_OUTPUTS = 200;

const built = build();
const variants = [
  ['default', built],
  ['search=opensearch', build({ search: 'opensearch' })],
  ['waf=cloudfront', build({ waf: 'cloudfront' }, { region: 'us-east-1' })],
] as const;

function counts(t: StackTemplate) {
  return {
    resources: Object.keys(t.json.Resources ?? {}).length,
    parameters: Object.keys(t.json.Parameters ?? {}).filter((p) => p !== 'BootstrapVersion').length,
    outputs: Object.keys(t.json.Outputs ?? {}).length,
  };
}

test(`no stack holds more than ${MAX_RESOURCES} resources, ${MAX_PARAMETERS} parameters or ${MAX_OUTPUTS} outputs`, () => {
  for (const [variant, b] of variants) {
    const lines = b.stacks.map((t) => {
      const c = counts(t);
      return `${t.name.padEnd(12)} ${String(c.resources).padStart(4)} resources ${String(c.parameters).padStart(3)} parameters ${String(c.outputs).padStart(3)} outputs`;
    });
    console.log(`stacks (${variant}):\n  ${lines.join('\n  ')}`);
    for (const t of b.stacks) {
      const c = counts(t);
      assert.ok(c.resources <= MAX_RESOURCES, `${variant}: ${t.name} has ${c.resources} resources (at most ${MAX_RESOURCES}; move an area to a nested stack of its own in layout.ts)`);
      assert.ok(c.parameters <= MAX_PARAMETERS, `${variant}: ${t.name} has ${c.parameters} parameters`);
      assert.ok(c.outputs <= MAX_OUTPUTS, `${variant}: ${t.name} has ${c.outputs} outputs`);
    }
  }
});

test('the functions are in nested stacks, and the root keeps the data, the backbone, the API and the operations', () => {
  const root = built.stacks[0];
  const types = new Set(Object.values<any>(root.json.Resources).map((r) => r.Type));
  // The only Lambda left in the root is CDK's own (the desk app's BucketDeployment handler).
  const ours = Object.values<any>(root.json.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.FunctionName ?? '').startsWith(`${PREFIX}-`));
  assert.deepEqual(ours, []);
  for (const type of ['AWS::DynamoDB::Table', 'AWS::Events::EventBus', 'AWS::SQS::Queue', 'AWS::ApiGatewayV2::Api', 'AWS::ApiGatewayV2::Authorizer', 'AWS::CloudWatch::Alarm']) {
    assert.ok(types.has(type), `the root holds ${type}`);
  }
  assert.deepEqual(
    built.stacks.slice(1).map((t) => t.name).sort(),
    ['BookingApi', 'PlatformApi', 'VendorApi', 'Workers'],
  );
});

test('each function, its role, log group, triggers and routes live in the nested stack layout.ts names', () => {
  const kinds = functionKinds(ROUTES);
  for (const [name, fn] of Object.entries(built.stack.functions)) {
    const home = Stack.of(fn);
    assert.equal(home.node.id, functionStack(name, kinds.get(name)!, ROUTES), name);
    assert.equal(Stack.of(fn.role!), home, `${name}'s role`);
    assert.equal(Stack.of(fn.logGroup), home, `${name}'s log group`);
    // What invokes it refers to it by its own logical id, so it is in the same stack.
    const own = Object.values<any>(built.stacks.find((t) => t.stack === home)!.json.Resources);
    const fnId = built.logicalId(fn);
    const invokes = (r: any) => JSON.stringify(r.Properties?.FunctionName ?? r.Properties?.Target?.Arn ?? null).includes(`"${fnId}"`);
    const anywhere = (type: string) => Object.values<any>(built.resources).filter((r) => r.Type === type && invokes(r)).length;
    const here = (type: string) => own.filter((r) => r.Type === type && invokes(r)).length;
    for (const type of ['AWS::Lambda::EventSourceMapping', 'AWS::Lambda::Permission', 'AWS::Scheduler::Schedule']) {
      assert.equal(here(type), anywhere(type), `${name}: its ${type} resources are in its stack`);
    }
    const routes = ROUTES.routes.filter((r) => r.function === name);
    const routesHere = own.filter((r) => r.Type === 'AWS::ApiGatewayV2::Route' && routes.some((w) => r.Properties.RouteKey === `${w.method} ${w.path}`));
    assert.equal(routesHere.length, routes.length, `${name}'s routes are in its stack`);
    if (kinds.get(name) === 'http') assert.ok(here('AWS::Lambda::Permission') >= routes.length, `${name}: API Gateway may invoke it`);
  }
});

test('API Gateway may invoke a function only through its own routes of this API', () => {
  const apiId = built.logicalId(built.stack.api.httpApi);
  for (const route of ROUTES.routes) {
    const permissions = Object.values<any>(built.resources).filter(
      (r) => r.Type === 'AWS::Lambda::Permission' && describe(r.Properties.FunctionName, built.names) === `fn:${route.function}`,
    );
    assert.ok(permissions.length > 0, route.function);
    for (const p of permissions) {
      assert.equal(p.Properties.Principal, 'apigateway.amazonaws.com');
      assert.equal(p.Properties.Action, 'lambda:InvokeFunction');
      const source = describe(p.Properties.SourceArn, built.names);
      assert.ok(source.includes(`:execute-api:`) && source.includes(`ref:${apiId}/*/*/`), `${route.function}: ${source}`);
    }
  }
});

test('references cross stacks only from the root into a nested stack and back as outputs', () => {
  for (const t of built.stacks.slice(1)) {
    // Every parameter the parent passes resolves to something in the root or in a sibling's outputs.
    for (const [name, value] of Object.entries(t.parameters)) {
      const text = JSON.stringify(value);
      assert.ok(/"Ref"|"Fn::GetAtt"/.test(text), `${t.name}.${name}: ${text}`);
    }
    // A nested stack's own template names no logical id of another stack directly.
    const own = new Set([...Object.keys(t.json.Resources ?? {}), ...Object.keys(t.json.Parameters ?? {})]);
    const refs = JSON.stringify(t.json.Resources).matchAll(/"Ref":"([A-Za-z0-9]+)"/g);
    for (const [, ref] of refs) assert.ok(own.has(ref) || ref.startsWith('AWS::'), `${t.name} refers to ${ref}, not its own`);
  }
});

test('HTTP functions go by the first segment of their path, unknown areas to the default; the rest to Workers', () => {
  assert.equal(pathArea('/booking/{id}/receipt'), 'booking');
  assert.equal(pathArea('/.well-known/jwks.json'), '.well-known');
  const table = (path: string) => ({ routes: [{ method: 'GET' as const, path, function: 'f', auth: 'jwt' as const }], consumers: [], streams: [], schedules: [] });
  assert.equal(functionStack('f', 'http', table('/booking/{id}/receipt')), HTTP_AREAS.booking);
  assert.equal(functionStack('f', 'http', table('/vendor/{id}/units')), HTTP_AREAS.vendor);
  assert.equal(functionStack('f', 'http', table('/audit/{vendorid}/checkpoint')), DEFAULT_HTTP_STACK);
  for (const kind of ['consumer', 'stream', 'schedule'] as const) assert.equal(functionStack('f', kind, table('/x')), WORKERS_STACK);
  assert.throws(() => functionStack('g', 'http', table('/x')), /without a route/);
});

test('seen as CloudFormation deploys it (each nested stack one resource of the root), nothing depends on itself', () => {
  for (const [variant, b] of variants) {
    assert.deepEqual(dependencyCycle({ ...b, resources: b.stacks[0].json.Resources }), [], variant);
  }
});
