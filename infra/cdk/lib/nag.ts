// cdk-nag findings we accept, each on the one construct it concerns and with its reason.
import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Acknowledges one AwsSolutions finding (e.g. `AwsSolutions-SQS3` or `AwsSolutions-IAM5[Resource::*]`) on `scope` and its children. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${id}`, reason });
}
