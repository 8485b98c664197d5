// The route table and the resource definitions that the local stack also reads, typed, so the
// stack is built from the same files and cannot drift from what the code and gateway expect.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export type HttpMethodName = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route {
  readonly method: HttpMethodName;
  readonly path: string;
  readonly function: string;
  readonly auth: 'jwt' | 'none';
}

export interface RouteTable {
  readonly routes: Route[];
  readonly consumers: { function: string; queue: string }[];
  readonly streams: { function: string; tables: string[] }[];
  readonly schedules: { function: string; everyMinutes: number }[];
}

export interface KeyDef {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

export interface IndexDef {
  readonly name: string;
  readonly partitionKey: KeyDef;
  readonly sortKey?: KeyDef;
  readonly projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  readonly nonKeyAttributes?: string[];
}

export interface TableDef {
  readonly name: string;
  readonly envVar: string;
  readonly billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  readonly partitionKey: KeyDef;
  readonly sortKey?: KeyDef;
  readonly gsis: IndexDef[];
  readonly ttlAttribute: string | null;
  readonly stream: 'NEW_AND_OLD_IMAGES' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'KEYS_ONLY' | null;
}

/** What a consumer queue or a plain queue may set; the rest comes from consumerDefaults. */
export interface QueueSettings {
  readonly visibilityTimeoutSeconds?: number;
  readonly maxReceiveCount?: number;
  readonly dlqRetentionSeconds?: number;
}

export interface ConsumerDef extends QueueSettings {
  readonly name: string;
  readonly envVar?: string;
  readonly eventPattern: Record<string, unknown>;
}

export interface QueueDef extends QueueSettings {
  readonly name: string;
  readonly envVar?: string;
  readonly delaySeconds?: number;
}

export interface Resources {
  readonly defaultPrefix: string;
  readonly tables: TableDef[];
  readonly eventBus: { name: string; envVar: string };
  readonly consumerDefaults: Required<QueueSettings>;
  readonly consumers: ConsumerDef[];
  readonly buckets: { name: string; envVar: string }[];
  readonly sesIdentities: { email: string; envVar: string }[];
  readonly kmsKeys: { name: string; envVar: string; description: string; keySpec: string; keyUsage: string }[];
  readonly queues: QueueDef[];
  readonly secrets: { name: string; envVar: string; description: string }[];
  readonly scheduleGroups: ScheduleGroupDef[];
}

/** A group of one-time schedules our code creates, each putting a message on a consumer's queue. */
export interface ScheduleGroupDef {
  readonly name: string;
  readonly envVar: string;
  /** The consumer whose queue the schedules send to. */
  readonly targetQueue: string;
  readonly targetEnvVar: string;
  readonly roleEnvVar: string;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function readRoutes(root = REPO_ROOT): RouteTable {
  return readJson<RouteTable>(path.join(root, 'shared', 'api', 'routes.json'));
}

export function readResources(root = REPO_ROOT): Resources {
  return readJson<Resources>(path.join(root, 'localstack', 'resources.json'));
}

/** The Lambda crates: every directory under functions/ with a Cargo.toml. */
export function functionCrates(root = REPO_ROOT): string[] {
  const dir = path.join(root, 'functions');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'Cargo.toml')))
    .map((entry) => entry.name)
    .sort();
}

/** provision.py's rule: a setting of the entry itself, else consumerDefaults. */
export function queueSetting(
  resources: Resources,
  entry: QueueSettings,
  key: keyof QueueSettings,
): number {
  return entry[key] ?? resources.consumerDefaults[key];
}

/** provision.py's rule for an entry without envVar: `hold-expiry` -> `HOLD_EXPIRY_QUEUE_URL`. */
export function queueEnvVar(entry: { name: string; envVar?: string }): string {
  return entry.envVar ?? `${entry.name.toUpperCase().replace(/-/g, '_')}_QUEUE_URL`;
}
