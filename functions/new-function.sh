#!/usr/bin/env bash
# Creates the manifest of a function crate: functions/new-function.sh <name> "<description>"
set -euo pipefail
name=$1 description=$2
dir=$(dirname "$0")/$name
mkdir -p "$dir/src"
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "$name"
description = "$description"
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[dependencies]
http.workspace = true
lambda_http.workspace = true
shared.workspace = true
tokio.workspace = true
TOML
# Only what every route uses; add the rest (serde, chrono, ...) when the code names it.
# functions/build-zips.sh refuses a function that declares a crate its sources never name.
