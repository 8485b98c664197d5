// cdk-nag's AwsSolutions pack finds nothing unacknowledged, in the default stack and with each
// switch on; every acknowledgment carries its reason in the code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { build } from './helpers';

function findings(app: App): string[] {
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}: ${v.description}`),
  );
}

// Built as `cdk synth` builds it, with the pack as a validation plugin: a finding fails the synth.
const { app } = build();

test('the default stack has no unacknowledged AwsSolutions finding (errors or warnings)', () => {
  assert.deepEqual(findings(app), []);
});

test('with OpenSearch, none either', () => {
  assert.deepEqual(findings(build({ search: 'opensearch' }).app), []);
});

test('with CloudFront and WAF in front of the API, none either', () => {
  assert.deepEqual(findings(build({ waf: 'cloudfront' }, { region: 'us-east-1' }).app), []);
});

test('every acknowledgment says why', () => {
  let count = 0;
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        count++;
        assert.ok(typeof reason === 'string' && reason.length > 20, `${construct.node.path} ${id}`);
      }
    }
  }
  assert.ok(count > 0);
});
