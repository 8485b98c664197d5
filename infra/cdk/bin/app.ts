#!/usr/bin/env node
// The CDK app: one stack, checked by cdk-nag's AwsSolutions pack (synth fails on any finding
// that is not acknowledged with a reason in the code).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ReservationsStack } from '../lib/stack';

const app = new App();
const region = app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION;
const account = process.env.CDK_DEFAULT_ACCOUNT;
new ReservationsStack(app, app.node.tryGetContext('stackName') ?? 'Reservations', {
  env: region ? { account, region } : undefined,
  description: 'Reservations: HTTP API, Lambda functions, DynamoDB, event backbone (infra/cdk)',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
