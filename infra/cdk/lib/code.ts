// Where a function's code comes from: a real arm64 build by cargo-lambda (the default), or, for
// tests and synth-only runs (`-c assets=placeholder`), one tiny placeholder so nothing compiles.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Stack } from 'aws-cdk-lib';
import { cargoLambdaVersion, RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';
import { REPO_ROOT } from './definitions';

export type AssetMode = 'cargo-lambda' | 'placeholder';

export const RUNTIME = lambda.Runtime.PROVIDED_AL2023;
export const ARCHITECTURE = lambda.Architecture.ARM_64;

export type BaseFunctionProps = Omit<lambda.FunctionProps, 'code' | 'runtime' | 'handler' | 'architecture'>;

let placeholder: string | undefined;
let cargoLambda: boolean | undefined;

function hasCargoLambda(): boolean {
  cargoLambda ??= cargoLambdaVersion() === true;
  return cargoLambda;
}

/** One directory per process holding a `bootstrap` that only says it is not the real thing. */
export function placeholderDir(): string {
  if (!placeholder) {
    const dir = mkdtempSync(path.join(tmpdir(), 'reservations-placeholder-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'bootstrap'),
      '#!/bin/sh\necho "placeholder asset: deploy without -c assets=placeholder to build with cargo-lambda" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    placeholder = dir;
  }
  return placeholder;
}

export function manifestPath(crate: string): string {
  return path.join(REPO_ROOT, 'functions', crate, 'Cargo.toml');
}

export function rustFunction(
  scope: Construct,
  id: string,
  crate: string,
  assets: AssetMode,
  props: BaseFunctionProps,
): lambda.Function {
  if (assets === 'placeholder') {
    return new lambda.Function(scope, id, {
      ...props,
      runtime: RUNTIME,
      architecture: ARCHITECTURE,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset(placeholderDir()),
    });
  }
  // cargo-lambda-cdk falls back to a Docker build without cargo-lambda, which cannot work here
  // (it mounts only the crate, not the workspace it belongs to): say so instead.
  if (Stack.of(scope).bundlingRequired && !hasCargoLambda()) {
    throw new Error('building the functions needs cargo-lambda (cargo install cargo-lambda, and zig); to synthesize without building, pass -c assets=placeholder');
  }
  return new RustFunction(scope, id, {
    ...props,
    runtime: 'provided.al2023',
    architecture: ARCHITECTURE,
    manifestPath: manifestPath(crate),
    // The workspace's [profile.release] (LTO, one codegen unit, stripped, panic=abort).
    bundling: { architecture: ARCHITECTURE, profile: 'release' },
  });
}
