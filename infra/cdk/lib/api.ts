// The HTTP API of routes.json: one route per entry to its function's Lambda, the JWT authorizer
// on `auth: "jwt"` routes (our own issuer, see README), CORS, stage throttling and access logs.
// WAF cannot be associated with an HTTP API; `-c waf=cloudfront` puts a CloudFront distribution
// with a WAF web ACL (rate-based rule) in front of it instead.
import { Duration, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { Route } from './definitions';
import { acknowledge } from './nag';
import { Settings } from './settings';

/** Why each public (`auth: "none"`) endpoint is public; a new public route needs a line here. */
export const PUBLIC_BECAUSE: Record<string, string> = {
  'openid-configuration': "the JWT authorizer (and any client) reads the issuer's discovery document without a token",
  jwks: 'the JWT authorizer (and any client) reads the public signing keys without a token',
  'user-create': 'guests sign up before they have a token',
  'user-login': 'signing in is how a guest gets a token (wrong passwords are limited per account and source in the code: auth::attempts)',
  'vendor-create': 'a vendor onboards with its first manager before anyone has a token',
  'vendor-login': 'signing in is how staff get a token (wrong passwords are limited per account and source in the code: auth::attempts)',
  'vendor-search': 'finding hotels and restaurants is open to anyone',
  'vendor-get': "a vendor's public profile is open to anyone",
  'resource-list': "a vendor's room and table types are open to anyone",
  'resource-get': 'a room or table type is open to anyone',
  'vendor-availability': 'what is free, with prices, is open to anyone',
  'oauth-token': 'a channel proves its client secret here to get a token (RFC 6749 client credentials; failed secrets are limited per client and source in the code)',
  'payment-webhook': 'Stripe calls it without our token; the function verifies the Stripe-Signature header instead',
  'audit-checkpoint': "a vendor's signed checkpoint is public so anyone (a guest, an auditor, a witness) can check a receipt against it",
  'audit-consistency': 'consistency proofs are public so any witness can check that a log only grew between two checkpoints',
};

/** Requests per five minutes from one IP before WAF blocks it (WAF's rate-based rule). */
export const WAF_RATE_LIMIT_PER_IP = 2000;

export interface ApiProps {
  readonly settings: Settings;
}

export class Api extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
  readonly distribution?: cloudfront.Distribution;
  readonly webAcl?: wafv2.CfnWebACL;
  /** The tokens' issuer: what the authorizer trusts and what the code writes into `iss`. */
  readonly issuer: string;
  readonly audience: string;
  private authorizer?: HttpJwtAuthorizer;
  private readonly integrations = new Map<string, HttpLambdaIntegration>();

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { settings } = props;

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `${settings.prefix}-api`,
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: settings.corsOrigins,
        allowMethods: [
          apigwv2.CorsHttpMethod.GET,
          apigwv2.CorsHttpMethod.POST,
          apigwv2.CorsHttpMethod.PUT,
          apigwv2.CorsHttpMethod.OPTIONS,
        ],
        allowHeaders: ['authorization', 'content-type', 'if-match', 'idempotency-key'],
        exposeHeaders: ['etag', 'location', 'retry-after', 'idempotent-replayed'],
        maxAge: Duration.hours(1),
      },
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: settings.ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: settings.throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            sub: '$context.authorizer.claims.sub',
          }),
        ),
      },
    });

    if (settings.waf === 'cloudfront') {
      ({ distribution: this.distribution, webAcl: this.webAcl } = this.edge(settings));
    }
    this.issuer =
      settings.issuer ??
      (this.distribution ? `https://${this.distribution.distributionDomainName}` : this.httpApi.apiEndpoint);
    this.audience = settings.audience;
  }

  /**
   * One route per routes.json entry, created in `scope` (the stack of their functions, so each
   * route's integration and Lambda permission sit beside the function); `functions` by crate name.
   * The authorizer stays with the API.
   */
  addRoutes(scope: Construct, routes: Route[], functions: Record<string, lambda.IFunction>): void {
    this.authorizer ??= new HttpJwtAuthorizer('Jwt', this.issuer, {
      authorizerName: 'jwt',
      jwtAudience: [this.audience],
      identitySource: ['$request.header.Authorization'],
    });
    for (const route of routes) {
      const fn = functions[route.function];
      if (!fn) throw new Error(`route ${route.method} ${route.path}: no function ${route.function}`);
      let integration = this.integrations.get(route.function);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.function}-integration`, fn);
        this.integrations.set(route.function, integration);
      }
      const id = `${route.method}${route.path}`.replace(/[^A-Za-z0-9]+(.)?/g, (_, c?: string) => (c ?? '').toUpperCase());
      const created = new apigwv2.HttpRoute(scope, id, {
        httpApi: this.httpApi,
        routeKey: apigwv2.HttpRouteKey.with(route.path, apigwv2.HttpMethod[route.method]),
        integration,
        authorizer: route.auth === 'jwt' ? this.authorizer : new apigwv2.HttpNoneAuthorizer(),
      });
      if (route.auth === 'none') {
        const why = PUBLIC_BECAUSE[route.function];
        if (!why) throw new Error(`route ${route.method} ${route.path} is public but api.ts does not say why`);
        acknowledge(created, 'APIG4', why);
      }
    }
  }

  private edge(settings: Settings): { distribution: cloudfront.Distribution; webAcl: wafv2.CfnWebACL } {
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region) || region !== 'us-east-1') {
      throw new Error(
        'waf=cloudfront: a CloudFront web ACL must be created in us-east-1, so this stack must be deployed there with an explicit env (see infra/cdk/README.md)',
      );
    }
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: name,
    });
    const webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `${settings.prefix}-api`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${settings.prefix}-api`),
      rules: [
        {
          name: 'rate-per-ip',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: WAF_RATE_LIMIT_PER_IP, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('rate-per-ip'),
        },
        {
          name: 'aws-known-bad-inputs',
          priority: 1,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' } },
          visibilityConfig: visibility('aws-known-bad-inputs'),
        },
      ],
    });
    const logBucket = new s3.Bucket(this, 'EdgeLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // CloudFront's standard logs are written with ACLs.
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: settings.ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    acknowledge(logBucket, 'S1', "this bucket receives CloudFront's access logs; logging it too would only log the logging");
    // "https://<id>.execute-api.<region>.amazonaws.com" -> the host name.
    const apiHost = Fn.select(2, Fn.split('/', this.httpApi.apiEndpoint));
    const distribution = new cloudfront.Distribution(this, 'Edge', {
      comment: `${settings.prefix} API behind WAF`,
      defaultBehavior: {
        origin: new origins.HttpOrigin(apiHost, { protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        // Nothing is cached; with caching off, this policy forwards Authorization too.
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
      webAclId: webAcl.attrArn,
      enableLogging: true,
      logBucket,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
    });
    acknowledge(distribution, 'CFR1', 'the API serves guests and vendors worldwide; no country is to be blocked');
    acknowledge(distribution, 'CFR4', "with CloudFront's default certificate the viewer TLS policy cannot be chosen; a custom domain (issuer context) with its own certificate sets TLSv1.2_2021");
    return { distribution, webAcl };
  }
}
