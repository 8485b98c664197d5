// One Lambda per crate under functions/, sized per kind, and given exactly the configuration
// its code reads: the variable names are taken from the Rust source itself, so a new
// config::required in the code fails here until the stack sets it (or says why not).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, functionCrates } from '../lib/definitions';
import { FUNCTIONS, functionKinds, KIND_DEFAULTS } from '../lib/functions';
import { build, PREFIX, ROUTES } from './helpers';

const built = build();

/** Read by the code but deliberately not set on AWS, and why. */
const NOT_SET_ON_AWS: Record<string, string> = {
  HOLD_SECONDS: 'the default (600 s) is the product rule',
  OFFER_HOLD_SECONDS: "the default (600 s) is the product rule: a waitlist offer's hold lasts ten minutes",
  SEARCH_CACHE_TTL_MS: 'the default (3 s) bounds how long a cached batch of listings can hide a vendor; 0 turns the cache off',
  JWT_TTL_SECONDS: 'the default (900 s) is the product rule',
  RECONCILE_QUIET_SECONDS: 'the default (600 s) matches the schedule',
  RECONCILE_BATCH: 'the default (500) fits the 300 s timeout',
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: "the default is Stripe's own (300 s)",
  STRIPE_API_BASE: "only for localstripe; unset means Stripe's API (-c stripeApiBase sets it)",
  STRIPE_SECRET_KEY: 'local only: on AWS the keys come from the secret STRIPE_SECRET_ID names',
  STRIPE_WEBHOOK_SECRETS: 'local only, as STRIPE_SECRET_KEY',
  OPENSEARCH_SIGV4: 'the code signs requests to *.amazonaws.com endpoints by itself',
  REMINDER_LEAD_HOURS: 'the default (24 h before arrival) is the product rule',
  ARCHIVE_BATCH: "the default (500 per sweep) fits the archiver's 55 s timeout",
  ARI_FLUSH_DELAY_SECONDS: "the default (10 s) is the product rule: a burst of changes within it is one update per type and night",
  ARI_PUSH_KEY: "the channels' ARI signing key is not put in the template (it would be readable there): the operator sets it on ari-flush after deploying; until then ari-flush fails at cold start and flushes wait in its DLQ",
  APP_BASE_URL: 'set only with -c appBaseUrl (the guest app is not part of this stack); without it hold emails carry no link',
};

function rustSources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return rustSources(full);
    return full.endsWith('.rs') ? [full] : [];
  });
}

function variablesReadByTheCode(): Set<string> {
  const dirs = [path.join(REPO_ROOT, 'shared', 'src'), ...functionCrates().map((c) => path.join(REPO_ROOT, 'functions', c, 'src'))];
  const found = new Set<string>();
  const pattern = /(?:config::(?:required|optional)|env::var)\(\s*"([A-Z][A-Z0-9_]*)"/g;
  for (const file of dirs.flatMap(rustSources)) {
    for (const match of readFileSync(file, 'utf8').matchAll(pattern)) found.add(match[1]);
  }
  return found;
}

test('every crate under functions/ is deployed once, as routes.json invokes it', () => {
  assert.deepEqual(Object.keys(built.stack.functions).sort(), functionCrates());
  const kinds = functionKinds(ROUTES);
  assert.deepEqual([...kinds.keys()].sort(), functionCrates());
});

test('every function is a provided.al2023 arm64 bootstrap with its size and time limit', () => {
  const kinds = functionKinds(ROUTES);
  for (const [name, kind] of kinds) {
    const p = built.fn(name);
    assert.equal(p.FunctionName, `${PREFIX}-${name}`);
    assert.equal(p.Runtime, 'provided.al2023');
    assert.deepEqual(p.Architectures, ['arm64']);
    assert.equal(p.Handler, 'bootstrap');
    assert.equal(p.MemorySize, FUNCTIONS[name].memoryMb ?? KIND_DEFAULTS[kind].memoryMb, name);
    assert.equal(p.Timeout, FUNCTIONS[name].timeoutSeconds ?? KIND_DEFAULTS[kind].timeoutSeconds, name);
    if (kind === 'http') assert.ok(p.Timeout <= 29, `${name} must answer within API Gateway's limit`);
    assert.deepEqual(p.LoggingConfig, { LogGroup: { Ref: built.logicalId(built.stack.functions[name].logGroup) } });
  }
});

test('password hashing functions get more memory (Argon2id is CPU-bound)', () => {
  for (const name of ['user-create', 'user-login', 'user-update', 'vendor-create', 'vendor-login', 'vendor-staff-create']) {
    assert.ok(built.fn(name).MemorySize >= 1024, name);
  }
});

test('every function logs to its own log group with a retention', () => {
  for (const [name, fn] of Object.entries(built.stack.functions)) {
    const group = built.resources[built.logicalId(fn.logGroup)].Properties;
    assert.equal(group.LogGroupName, `/aws/lambda/${PREFIX}-${name}`);
    assert.equal(group.RetentionInDays, 30);
  }
});

test('every variable the Rust code reads is set on AWS or listed here with the reason it is not', () => {
  const set = new Set(Object.values(built.stack.functions).flatMap((fn) => Object.keys(built.resources[built.logicalId(fn)].Properties.Environment?.Variables ?? {})));
  const read = variablesReadByTheCode();
  assert.ok(read.size > 10, 'the scan found the configuration reads');
  for (const name of read) {
    assert.ok(set.has(name) || NOT_SET_ON_AWS[name] || name === 'OPENSEARCH_URL' || name === 'OPENSEARCH_INDEX', `${name} is read by the code but not set`);
  }
  for (const name of set) assert.ok(read.has(name), `${name} is set but no code reads it`);
});

test('functions that build a DynamoStore get all four table names', () => {
  for (const [name, profile] of Object.entries(FUNCTIONS)) {
    if (!profile.config.includes('store')) continue;
    const env = built.fn(name).Environment.Variables;
    for (const v of ['ACCOUNTS_TABLE', 'VENDORS_TABLE', 'BOOKINGS_TABLE', 'INVENTORY_TABLE']) assert.ok(env[v], `${name} ${v}`);
  }
});
