// The app's switches, read from CDK context (`-c key=value` or cdk.json), with their defaults.
import { Node } from 'constructs';
import { AssetMode } from './code';
import { Resources } from './definitions';

export interface Settings {
  /** Physical names are `<prefix>-<name>`, as in resources.json. */
  readonly prefix: string;
  readonly assets: AssetMode;
  readonly search: 'dynamodb' | 'opensearch';
  /** The tokens' `iss`; unset, the HTTP API's own URL (or the CloudFront URL with waf=cloudfront). */
  readonly issuer?: string;
  readonly audience: string;
  readonly corsOrigins: string[];
  readonly alarmEmail?: string;
  readonly waf: 'none' | 'cloudfront';
  /** For a LocalStack deploy, where Stripe is localstripe. */
  readonly stripeApiBase?: string;
  /** Tables and buckets are destroyed with the stack and unprotected: for LocalStack only. */
  readonly ephemeral: boolean;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Ended bookings unchanged this long move to the archive. */
  readonly archiveAfterDays: number;
  /** The guest-facing app, for the payment link in emails; unset, hold emails carry no link. */
  readonly appBaseUrl?: string;
  /** Texts through SNS besides emails (the account needs SMS set up and out of the sandbox). */
  readonly sms: boolean;
  /** `cloudfront`: host the desk app (web/) in S3 behind CloudFront; `none`: leave it out (LocalStack). */
  readonly web: 'cloudfront' | 'none';
  /** The built desk app, relative to the repository (default `web/dist`). */
  readonly webDist: string;
  /** The desk app's own host name and its ACM certificate (us-east-1), instead of CloudFront's. */
  readonly deskDomain?: { readonly name: string; readonly certificateArn: string };
}

function oneOf<T extends string>(node: Node, key: string, allowed: readonly T[], fallback: T): T {
  const value = node.tryGetContext(key) ?? fallback;
  if (!allowed.includes(value)) {
    throw new Error(`context ${key}=${value}: expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function text(node: Node, key: string): string | undefined {
  const value = node.tryGetContext(key);
  return value === undefined || value === '' ? undefined : String(value);
}

function positive(node: Node, key: string, fallback: number): number {
  const value = Number(node.tryGetContext(key) ?? fallback);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`context ${key} must be a positive number`);
  }
  return value;
}

/**
 * At least 30 days, as the archiver insists at cold start: a late payment webhook or a redriven
 * fact must still find its booking in the bookings table, or it is taken for a payment without a
 * booking and refunded in full.
 */
function archiveAge(node: Node): number {
  const days = positive(node, 'archiveAfterDays', 180);
  if (!Number.isInteger(days) || days < 30) throw new Error(`context archiveAfterDays=${days}: must be a whole number of days, at least 30`);
  return days;
}

/** `deskDomain` and `deskCertificate` go together. */
function deskDomain(node: Node): Settings['deskDomain'] {
  const name = text(node, 'deskDomain');
  const certificateArn = text(node, 'deskCertificate');
  if (!name && !certificateArn) return undefined;
  if (!name || !certificateArn || !/^[a-z0-9.-]+$/.test(name) || !certificateArn.startsWith('arn:')) {
    throw new Error('context deskDomain=<host name> needs deskCertificate=<ACM certificate ARN in us-east-1>, and the reverse');
  }
  return { name, certificateArn };
}

/**
 * The API's CORS origins: `corsOrigins` when given; else the desk's own domain when it has one;
 * else any (`*`). The CloudFront host name cannot be named here: it exists only once the
 * distribution does, whose CSP names the API, which would close a circle (see README).
 */
function corsOrigins(node: Node, desk: Settings['deskDomain']): string[] {
  const given = text(node, 'corsOrigins');
  if (given) return given.split(',').map((o) => o.trim()).filter(Boolean);
  return desk ? [`https://${desk.name}`] : ['*'];
}

export function readSettings(node: Node, resources: Resources): Settings {
  const issuer = text(node, 'issuer');
  const desk = deskDomain(node);
  if (issuer && !/^https:\/\/[^/]+(\/.*)?$/.test(issuer)) {
    throw new Error(`context issuer=${issuer}: must be an https URL (the API's public base URL)`);
  }
  return {
    prefix: text(node, 'prefix') ?? resources.defaultPrefix,
    assets: oneOf(node, 'assets', ['cargo-lambda', 'placeholder'] as const, 'cargo-lambda'),
    search: oneOf(node, 'search', ['dynamodb', 'opensearch'] as const, 'dynamodb'),
    issuer: issuer?.replace(/\/+$/, ''),
    audience: text(node, 'audience') ?? 'reservations-api',
    corsOrigins: corsOrigins(node, desk),
    alarmEmail: text(node, 'alarmEmail'),
    waf: oneOf(node, 'waf', ['none', 'cloudfront'] as const, 'none'),
    stripeApiBase: text(node, 'stripeApiBase'),
    ephemeral: String(node.tryGetContext('ephemeral') ?? 'false') === 'true',
    throttle: {
      rateLimit: positive(node, 'throttleRate', 500),
      burstLimit: positive(node, 'throttleBurst', 1000),
    },
    archiveAfterDays: archiveAge(node),
    appBaseUrl: text(node, 'appBaseUrl')?.replace(/\/+$/, ''),
    sms: String(node.tryGetContext('sms') ?? 'false') === 'true',
    web: oneOf(node, 'web', ['cloudfront', 'none'] as const, 'cloudfront'),
    webDist: text(node, 'webDist') ?? 'web/dist',
    deskDomain: desk,
  };
}
