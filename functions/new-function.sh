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
anyhow.workspace = true
chrono.workspace = true
http.workspace = true
lambda_http.workspace = true
serde.workspace = true
serde_json.workspace = true
shared.workspace = true
thiserror.workspace = true
tokio.workspace = true
tracing.workspace = true
TOML
