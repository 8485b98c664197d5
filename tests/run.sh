#!/usr/bin/env bash
# Runs every test. Checks the CDK app offline (infra/cdk/test.sh), installs and starts the local
# emulators it needs (DynamoDB Local, LocalStack, localstripe; see localstack/local.sh), runs the
# Rust unit and end-to-end tests against them, drives the desk web app in Chromium (tests/web.sh),
# walks through the README's curl session, and stops
# the emulators again if it started them.
#
# Settings: CARGO_TARGET_DIR (default ~/.cache/reservations/target, outside the clone so
# builds are reused), CARGO_INCREMENTAL (default 0: a fresh clone gains nothing from incremental
# data, and every clone's path would leave gigabytes of it in the shared target directory),
# KEEP_STACK=1 to leave the emulators running afterwards.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/reservations/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n== %s\n' "$*"; }

step "formatting"
cargo fmt --all -- --check

step "OpenAPI document"
tests/check-openapi.sh

step "function dependencies (each one named in its sources)"
functions/unused-deps.py

step "CDK app (offline synth and assertions, no Rust build)"
infra/cdk/test.sh

step "local emulators"
started_here=0
if ! localstack/local.sh status >/dev/null 2>&1; then
  started_here=1
fi
stop_stack() {
  if [[ $started_here == 1 && "${KEEP_STACK:-0}" != 1 ]]; then
    localstack/local.sh down || true
  fi
}
trap stop_stack EXIT
localstack/local.sh up
eval "$(localstack/local.sh env)"

step "lints"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "rust-version: the code builds with the compiler Cargo.toml declares"
declared=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
current=$(rustc --version | sed -E 's/^rustc ([0-9]+\.[0-9]+).*/\1/')
if [[ -z $declared ]]; then
  echo "no rust-version in Cargo.toml's [workspace.package]" >&2; exit 1
elif [[ $current == "$declared" ]]; then
  echo "rustc $current is the declared $declared: the lints step just built everything with it"
else
  # A newer default compiler proves nothing about the declared one: build with that one too.
  toolchain=$(rustup toolchain list | sed -n -E "s/^(${declared//./\\.}(\.[0-9]+)?-[^ ]*).*/\1/p" | head -1)
  if [[ -z $toolchain ]]; then
    echo "rustc is $current; installing the declared $declared (rustup, minimal profile)"
    rustup toolchain install "$declared" --profile minimal
    toolchain=$declared
  fi
  echo "rustc is $current; checking with $toolchain"
  cargo "+$toolchain" check --workspace --all-targets --quiet
fi

step "pdftotext (poppler-utils) for the invoice PDF tests"
if ! command -v pdftotext >/dev/null 2>&1; then
  echo "pdftotext is missing; installing Debian's poppler-utils (apt-get install -y poppler-utils)"
  if [[ $(id -u) == 0 ]]; then apt-get update -qq && apt-get install -y -qq poppler-utils >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq poppler-utils >/dev/null; fi
fi

step "Rust tests (unit and end to end)"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi

step "desk web app"
tests/web.sh

step "README walk-through"
tests/readme-walkthrough.sh

step "serve.sh keeps its banner on screen"
tests/serve-banner.sh
