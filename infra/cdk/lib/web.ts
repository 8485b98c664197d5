// The front desk app (web/) in AWS: a private bucket behind CloudFront with origin access control,
// HTTPS only, the same security headers the local gateway sends, and `/desk/config.json` written at
// deploy time with the API's address, which the app reads once at start (web/src/config.ts).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { CfnElement, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { REPO_ROOT } from './definitions';
import { acknowledge } from './nag';
import { Settings } from './settings';

/** The app is built with Vite's `base: '/desk/'`; the bucket keeps that path. */
export const DESK_PATH = '/desk/';

/**
 * The local gateway's policy (localstack/gateway/src/desk.rs, `CONTENT_SECURITY_POLICY`), with the
 * API's origin added to `connect-src`: the app and the API are on different hosts here.
 */
export function deskContentSecurityPolicy(apiOrigin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${apiOrigin}`,
    "base-uri 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * A viewer-request function (cloudfront-js-2.0): `/` and `/desk` go to `/desk/`, and a path under
 * `/desk/` without a file extension (the directory itself, or a client route) is the app's
 * index.html. A missing file with an extension stays a miss instead of becoming the page.
 */
export const DESK_ROUTING = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/' || uri === '/desk') {
    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '/desk/' } } };
  }
  if (uri.startsWith('/desk/') && uri.slice(uri.lastIndexOf('/') + 1).indexOf('.') === -1) {
    request.uri = '/desk/index.html';
  }
  return request;
}
`;

export interface DeskHostingProps {
  readonly settings: Settings;
  /** The API's public origin, e.g. `https://<id>.execute-api.<region>.amazonaws.com`. */
  readonly apiUrl: string;
}

export class DeskHosting extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly headers: cloudfront.ResponseHeadersPolicy;
  /** `https://<distribution>/desk/`. */
  readonly url: string;
  /** The built app that was deployed, or undefined when only config.json was (placeholder synth). */
  readonly dist?: string;

  constructor(scope: Construct, id: string, props: DeskHostingProps) {
    super(scope, id);
    const { settings, apiUrl } = props;
    const removalPolicy = settings.ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    const dist = path.resolve(REPO_ROOT, settings.webDist);
    const built = existsSync(path.join(dist, 'index.html'));
    if (!built && settings.assets !== 'placeholder') {
      throw new Error(
        `the desk app is not built (no ${path.join(dist, 'index.html')}): run \`cd web && npm ci && npm run build\` first, or deploy without it (-c web=none)`,
      );
    }
    this.dist = built ? dist : undefined;

    this.bucket = new s3.Bucket(this, 'Site', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
    });
    acknowledge(this.bucket, 'S1', "the app's files are read only through CloudFront, whose access logs record every read; the bucket is written only by the deployment");

    const edgeLogs = new s3.Bucket(this, 'EdgeLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // CloudFront's standard logs are written with ACLs.
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy,
    });
    acknowledge(edgeLogs, 'S1', "this bucket receives CloudFront's access logs; logging it too would only log the logging");

    this.headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `${settings.prefix} desk: the local gateway's headers, HSTS`,
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: deskContentSecurityPolicy(apiUrl), override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    const origin = origins.S3BucketOrigin.withOriginAccessControl(this.bucket);
    const routing = new cloudfront.Function(this, 'Routing', {
      comment: '/ and /desk to /desk/; client routes to the app',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(DESK_ROUTING),
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${settings.prefix} front desk app`,
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        // index.html, sw.js and config.json (and favicon) are small and must be fresh: from S3 each time.
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        responseHeadersPolicy: this.headers,
        functionAssociations: [{ function: routing, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        // Content-hashed by Vite: a new build gives new names, so they can be kept for a year.
        [`${DESK_PATH}assets/*`]: {
          origin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
          responseHeadersPolicy: this.headers,
          compress: true,
        },
      },
      ...(settings.deskDomain
        ? {
            domainNames: [settings.deskDomain.name],
            certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', settings.deskDomain.certificateArn),
          }
        : {}),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      enableLogging: true,
      logBucket: edgeLogs,
      logFilePrefix: 'desk/',
    });
    acknowledge(this.distribution, 'CFR1', 'the desk app is used by hotels and restaurants wherever they are; no country is to be blocked');
    acknowledge(this.distribution, 'CFR2', 'it serves only static files (no API, no personal data); the API has its own throttling and, with waf=cloudfront, its own web ACL');
    acknowledge(this.distribution, 'CFR4', "with CloudFront's default certificate the viewer TLS policy cannot be chosen; a custom domain with its own certificate sets TLSv1.2_2021");
    this.url = `https://${settings.deskDomain?.name ?? this.distribution.distributionDomainName}${DESK_PATH}`;

    // The hashed assets first (never pruned: a page loaded before this deploy still finds its
    // files), then the files that name them, with the API's address beside them.
    const prefix = DESK_PATH.slice(1);
    // CDK's copy handler (one Lambda per stack) runs as this role: like every function here, no
    // managed policy, only its own log group and what the deployments grant it.
    const deployLogs = new logs.LogGroup(this, 'DeployLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy });
    const deployRole = new iam.Role(this, 'DeployRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: "the desk app's deployment: reads CDK's assets, writes the site bucket",
    });
    deployLogs.grantWrite(deployRole);
    const handler = { role: deployRole, logGroup: deployLogs };
    let assets: s3deploy.BucketDeployment | undefined;
    if (built && existsSync(path.join(dist, 'assets'))) {
      assets = new s3deploy.BucketDeployment(this, 'DeployAssets', {
        destinationBucket: this.bucket,
        destinationKeyPrefix: `${prefix}assets/`,
        sources: [s3deploy.Source.asset(path.join(dist, 'assets'))],
        cacheControl: [s3deploy.CacheControl.fromString('public, max-age=31536000, immutable')],
        prune: false,
        ...handler,
      });
    }
    const app = new s3deploy.BucketDeployment(this, 'DeployApp', {
      destinationBucket: this.bucket,
      destinationKeyPrefix: prefix,
      sources: [
        ...(built ? [s3deploy.Source.asset(dist, { exclude: ['assets', 'assets/**'] })] : []),
        s3deploy.Source.jsonData('config.json', { api_base: apiUrl }),
      ],
      // Not synced (so not pruned either): the hashed assets above.
      exclude: ['assets/*'],
      cacheControl: [s3deploy.CacheControl.noCache()],
      ...handler,
    });
    if (assets) app.node.addDependency(assets);

    const stack = Stack.of(this);
    const nagName = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
    const site = stack.getLogicalId(this.bucket.node.defaultChild as CfnElement);
    const assetBucket = `cdk-hnb659fds-assets-${nagName(stack.account, 'AWS::AccountId')}-${nagName(stack.region, 'AWS::Region')}`;
    for (const finding of [
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      'Action::s3:DeleteObject*',
      'Action::s3:Abort*',
      `Resource::arn:<AWS::Partition>:s3:::${assetBucket}/*`,
      `Resource::<${site}.Arn>/*`,
    ]) {
      acknowledge(deployRole, `IAM5[${finding}]`, "CDK's BucketDeployment handler syncs whole prefixes: it reads the CDK asset bucket's objects and writes and prunes the site bucket's");
    }
    const copier = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (copier) acknowledge(copier, 'L1', "CDK's BucketDeployment handler: its runtime is pinned by aws-cdk-lib and moves with it");
  }
}
