// Builds the stack as the app does (placeholder assets, no Rust build) and reads the template
// back in terms of the names the code uses: tables, queues, functions by crate name. The nested
// stacks' templates are merged into one, each cross-stack parameter and output replaced by what
// it carries, so a test reads a reference to a table the same wherever the function lives.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, CfnElement, NestedStack, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { buildApp } from '../lib/app';
import { readResources, readRoutes } from '../lib/definitions';
import { ReservationsStack } from '../lib/stack';

export const ROUTES = readRoutes();
export const RESOURCES = readResources();
export const PREFIX = RESOURCES.defaultPrefix;

export const CDK_JSON_CONTEXT = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context ?? {};

let fixture: string | undefined;
/**
 * A small built desk app (index.html, sw.js, one hashed asset) the stacks deploy instead of
 * web/dist, so templates do not depend on whether, or what, someone last built there.
 */
export function deskFixture(): string {
  if (!fixture) {
    const dir = mkdtempSync(path.join(tmpdir(), 'reservations-desk-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="/desk/assets/index-3f9a1c.js"></script>');
    writeFileSync(path.join(dir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
    writeFileSync(path.join(dir, 'assets', 'index-3f9a1c.js'), 'console.log("desk");');
    fixture = dir;
  }
  return fixture;
}

export interface Built {
  readonly app: App;
  readonly stack: ReservationsStack;
  /** The root stack's own template (its nested stacks are resources in it). */
  readonly template: Template;
  /** Every stack's template: the root first, then each nested stack. */
  readonly stacks: StackTemplate[];
  /** The resources of all stacks by logical id, cross-stack references resolved (see merge()). */
  readonly resources: Record<string, any>;
  /** Logical id -> a readable name ("table:bookings", "fn:user-login", ...). */
  readonly names: Map<string, string>;
  logicalId(construct: IConstruct): string;
  /** The properties of a function's Lambda, by crate name. */
  fn(name: string): any;
}

const built = new Map<string, Built>();

/**
 * The stack for these context switches, synthesized once per process: each test file builds the
 * templates it reads once, and `npm test` (one process for all files) shares them.
 */
export function build(context: Record<string, string> = {}, options: { nag?: boolean; region?: string } = {}): Built {
  const key = JSON.stringify([context, options.nag ?? true, options.region]);
  let found = built.get(key);
  if (!found) {
    found = synthesize(context, options);
    built.set(key, found);
  }
  return found;
}

function synthesize(context: Record<string, string>, options: { nag?: boolean; region?: string }): Built {
  const { app, stack } = buildApp(
    { context: { ...CDK_JSON_CONTEXT, assets: 'placeholder', webDist: deskFixture(), ...(options.region ? { region: options.region } : {}), ...context } },
    // With the AwsSolutions plugin, as `cdk synth` runs: any unacknowledged finding fails the synth.
    { nag: options.nag ?? true },
  );
  const template = Template.fromStack(stack);
  const stacks = stackTemplates(stack, template);
  const resources = merge(stacks);
  const logicalId = (construct: IConstruct) => Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
  const names = new Map<string, string>();
  for (const [name, table] of Object.entries(stack.data.tables)) names.set(logicalId(table), `table:${name}`);
  for (const [name, fn] of Object.entries(stack.functions)) {
    names.set(logicalId(fn), `fn:${name}`);
    names.set(logicalId(fn.role!), `role:${name}`);
    names.set(logicalId(fn.logGroup), `logs:${name}`);
  }
  for (const [name, pair] of Object.entries({ ...stack.messaging.consumers, ...stack.messaging.queues })) {
    names.set(logicalId(pair.queue), `queue:${name}`);
    names.set(logicalId(pair.dlq), `dlq:${name}`);
  }
  names.set(logicalId(stack.publisherFailures), 'queue:outbox-publisher-failures');
  names.set(logicalId(stack.messaging.bus), 'bus');
  for (const [name, key] of Object.entries(stack.keys)) names.set(logicalId(key), `key:${name}`);
  names.set(logicalId(stack.stripeSecret), 'secret:stripe');
  names.set(logicalId(stack.ariPushSecret), 'secret:ari-push');
  names.set(logicalId(stack.data.archive), 'bucket:archive');
  names.set(logicalId(stack.messaging.reminders.role), 'role:reminders');
  names.set(logicalId(stack.messaging.reminders.group), 'schedules:reminders');
  names.set(logicalId(stack.messaging.nightAudit.role), 'role:night-audit');
  names.set(logicalId(stack.messaging.nightAudit.group), 'schedules:night-audit');
  stack.messaging.senderIdentities.forEach((identity, i) => names.set(logicalId(identity), i === 0 ? 'ses:sender' : `ses:sender${i + 1}`));
  if (stack.data.searchDomain) names.set(logicalId(stack.data.searchDomain), 'opensearch');
  return {
    app,
    stack,
    template,
    stacks,
    resources,
    names,
    logicalId,
    fn: (name) => resources[logicalId(stack.functions[name])].Properties,
  };
}

export interface StackTemplate {
  readonly stack: Stack;
  /** `Root` or the nested stack's path under the root (`Workers`). */
  readonly name: string;
  readonly json: any;
  /** For a nested stack: its template's parameters as its parent passes them (unresolved). */
  readonly parameters: Record<string, unknown>;
  readonly parent?: StackTemplate;
  /** In the parent's template, the AWS::CloudFormation::Stack resource that is this stack. */
  readonly resourceId?: string;
}

/** The root's template and every nested stack's, parents before children. */
export function stackTemplates(root: Stack, rootTemplate = Template.fromStack(root)): StackTemplate[] {
  const out: StackTemplate[] = [{ stack: root, name: 'Root', json: rootTemplate.toJSON(), parameters: {} }];
  const nested = root.node.findAll().filter((c): c is NestedStack => NestedStack.isNestedStack(c));
  for (const child of nested) {
    const parent = out.find((t) => t.stack === child.nestedStackParent);
    if (!parent) throw new Error(`${child.node.path}: its parent stack comes after it`);
    const resourceId = parent.stack.getLogicalId(child.nestedStackResource!);
    const parameters = parent.json.Resources[resourceId]?.Properties?.Parameters ?? {};
    out.push({ stack: child, name: child.node.path.split('/').slice(1).join('/'), json: Template.fromStack(child).toJSON(), parameters, parent, resourceId });
  }
  return out;
}

/**
 * All resources of all stacks in one map, with `Ref` to a nested stack's parameter replaced by
 * the value its parent passes, and `Fn::GetAtt [<nested stack>, Outputs.X]` by that output's
 * value, recursively; so references read as if everything were one stack. A logical id that two
 * stacks both use is refused (the merged map could not tell them apart).
 */
export function merge(stacks: StackTemplate[]): Record<string, any> {
  const resolve = (value: unknown, at: StackTemplate): unknown => {
    if (Array.isArray(value)) return value.map((v) => resolve(v, at));
    if (!value || typeof value !== 'object') return value;
    const v = value as Record<string, any>;
    if (typeof v.Ref === 'string' && at.parent && v.Ref in at.parameters) return resolve(at.parameters[v.Ref], at.parent);
    const getAtt = v['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[1] === 'string' && getAtt[1].startsWith('Outputs.')) {
      const child = stacks.find((t) => t.parent === at && t.resourceId === getAtt[0]);
      if (child) return resolve(child.json.Outputs[getAtt[1].slice('Outputs.'.length)].Value, child);
    }
    return Object.fromEntries(Object.entries(v).map(([key, inner]) => [key, resolve(inner, at)]));
  };
  const merged: Record<string, any> = {};
  for (const t of stacks) {
    for (const [id, resource] of Object.entries<any>(t.json.Resources ?? {})) {
      if (merged[id]) throw new Error(`logical id ${id} is in two stacks (${t.name} and another)`);
      merged[id] = resolve(resource, t);
    }
  }
  return merged;
}

/** A policy statement's Resource as a readable string: "table:bookings/index/gsi1", "*", ... */
export function describe(value: unknown, names: Map<string, string>): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v.Ref) return names.get(v.Ref) ?? `ref:${v.Ref}`;
  if (v['Fn::GetAtt']) {
    const [id, attr] = v['Fn::GetAtt'];
    const name = names.get(id) ?? id;
    return attr === 'Arn' ? name : `${name}.${attr}`;
  }
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'];
    return (parts as unknown[]).map((p) => describe(p, names)).join(sep);
  }
  return JSON.stringify(value);
}

/** Every "action resource" pair the role of a function is allowed, sorted. */
export function allowed(built: Built, fnName: string): string[] {
  const roleId = built.logicalId(built.stack.functions[fnName].role!);
  const pairs: string[] = [];
  for (const resource of Object.values(built.resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    if (!resource.Properties.Roles.some((r: any) => r.Ref === roleId)) continue;
    for (const statement of resource.Properties.PolicyDocument.Statement) {
      if (statement.Effect !== 'Allow') throw new Error(`unexpected ${statement.Effect} in ${fnName}'s policy`);
      const actions = [statement.Action].flat();
      const targets = [statement.Resource].flat();
      // A grant limited to some items says so: `dynamodb:PutItem table:audit keys:SECRET#*`.
      const leading = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
      const keys = leading ? ` keys:${[leading].flat().join(',')}` : '';
      for (const action of actions) for (const target of targets) pairs.push(`${action} ${describe(target, built.names)}${keys}`);
    }
  }
  return [...new Set(pairs)].sort();
}

export function ofType(built: Built, type: string): [string, any][] {
  return Object.entries(built.resources).filter(([, r]) => r.Type === type);
}

/** A chain of resources that ends where it began (CloudFormation refuses those), or []. */
export function dependencyCycle(built: Built): string[] {
  const edges = new Map<string, Set<string>>();
  const refs = (value: unknown, into: Set<string>): void => {
    if (Array.isArray(value)) value.forEach((v) => refs(v, into));
    else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key === 'Ref' && typeof v === 'string' && built.resources[v]) into.add(v);
        else if (key === 'Fn::GetAtt' && Array.isArray(v) && built.resources[v[0]]) into.add(v[0]);
        else if (key === 'Fn::Sub') {
          const text = String(Array.isArray(v) ? v[0] : v);
          for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)/g)) if (built.resources[m[1]]) into.add(m[1]);
          refs(v, into);
        } else refs(v, into);
      }
    }
  };
  for (const [id, resource] of Object.entries(built.resources)) {
    const out = new Set<string>([resource.DependsOn ?? []].flat());
    refs(resource.Properties, out);
    edges.set(id, out);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): string[] => {
    if (state.get(id) === 'done') return [];
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next, [...path, id]);
      if (cycle.length) return cycle;
    }
    state.set(id, 'done');
    return [];
  };
  for (const id of edges.keys()) {
    const cycle = visit(id, []);
    if (cycle.length) return cycle;
  }
  return [];
}
