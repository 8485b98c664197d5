// The app as `cdk` runs it (bin/app.ts) and as the tests build it: one stack, checked by
// cdk-nag's AwsSolutions pack, so synth fails on any finding not acknowledged in the code.
import { App, AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ReservationsStack } from './stack';

export function buildApp(props: AppProps = {}, options: { nag?: boolean } = {}): { app: App; stack: ReservationsStack } {
  const app = new App(props);
  const region = app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION;
  const account = app.node.tryGetContext('account') ?? process.env.CDK_DEFAULT_ACCOUNT;
  const stack = new ReservationsStack(app, app.node.tryGetContext('stackName') ?? 'Reservations', {
    env: region ? { account, region } : undefined,
    description: 'Reservations: HTTP API, Lambda functions, DynamoDB, event backbone (infra/cdk)',
  });
  if (options.nag ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  }
  return { app, stack };
}
