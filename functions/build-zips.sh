#!/usr/bin/env bash
# Builds every Lambda under functions/ as an arm64 deployment zip with cargo-lambda, the way the
# CDK app deploys them (provided.al2023, arm64), and prints each zip's size. Optionally builds the
# same crates for this machine (x86_64) too, so functions/init-times.py can time their cold start.
#
#   functions/build-zips.sh                 # arm64 zips + size table
#   functions/build-zips.sh --host          # ... and x86_64 release binaries for init-times.py
#                                           # (in $CARGO_TARGET_DIR/host/release)
#   functions/build-zips.sh --host-only     # only the x86_64 binaries
#   functions/build-zips.sh --sizes         # only print the table of what is built
#   FUNCTIONS="jwks user-get" functions/build-zips.sh   # a subset, in this order
#   BATCH=4 functions/build-zips.sh         # functions per cargo run (default: all in one run)
#
# cargo-lambda and zig come from PyPI into a cached virtualenv; the build uses its own target dir
# ($CARGO_TARGET_DIR, default ~/.cache/reservations/target-lambda) so it never waits on, or holds,
# the lock of the target dir the tests use. It runs under `nice -n 19`.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
CACHE="$HOME/.cache/reservations"
VENV="$CACHE/lambda-venv"
CARGO_LAMBDA_VERSION=1.9.2
ZIG_VERSION=0.14.1            # cargo-lambda asks for ziglang>=0.10; 0.14.1 links aarch64 glibc fine
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target-lambda}"
ARM=aarch64-unknown-linux-gnu

mode=arm
case "${1:-}" in
  --host) mode=both ;;
  --host-only) mode=host ;;
  --sizes) mode=sizes ;;
  "") ;;
  *) echo "usage: $0 [--host|--host-only|--sizes]" >&2; exit 2 ;;
esac

# Every crate under functions/ (each is one Lambda); not the gateway, seed, bench or event-ops.
if [[ -n "${FUNCTIONS:-}" ]]; then
  read -r -a names <<<"$FUNCTIONS"
else
  names=()
  for toml in functions/*/Cargo.toml; do
    names+=("$(sed -n 's/^name = "\(.*\)"/\1/p' "$toml" | head -1)")
  done
fi
pkgs=()
for n in "${names[@]}"; do pkgs+=(-p "$n"); done

sizes() {
  echo
  echo "arm64 deployment zips ($CARGO_TARGET_DIR/lambda/<name>/bootstrap.zip):"
  printf '%-24s %10s %12s\n' function "zip KB" "bootstrap KB"
  local total=0 built=0 missing=()
  for n in "${names[@]}"; do
    local zip="$CARGO_TARGET_DIR/lambda/$n/bootstrap.zip"
    if [[ -f "$zip" ]]; then
      local z b
      z=$(stat -c %s "$zip")
      b=$(python3 -c 'import sys,zipfile; print(sum(i.file_size for i in zipfile.ZipFile(sys.argv[1]).infolist()))' "$zip")
      printf '%-24s %10d %12d\n' "$n" $(((z + 512) / 1024)) $(((b + 512) / 1024))
      total=$((total + z)); built=$((built + 1))
    else
      missing+=("$n")
    fi
  done
  echo "$built of ${#names[@]} built, $(((total + 512) / 1024)) KB in all"
  if ((${#missing[@]})); then echo "not built: ${missing[*]}"; fi
}

if [[ $mode == sizes ]]; then sizes; exit 0; fi

# Tools: cargo-lambda and zig from PyPI, pinned, in a virtualenv of their own.
if [[ ! -x "$VENV/bin/cargo-lambda" ]] \
   || ! "$VENV/bin/cargo-lambda" lambda --version 2>/dev/null | grep -q "^cargo-lambda $CARGO_LAMBDA_VERSION " \
   || [[ "$("$VENV/bin/python" -m ziglang version 2>/dev/null)" != "$ZIG_VERSION" ]]; then
  echo "installing cargo-lambda $CARGO_LAMBDA_VERSION and zig $ZIG_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check \
    "cargo-lambda==$CARGO_LAMBDA_VERSION" "ziglang==$ZIG_VERSION"
fi
# cargo-zigbuild finds zig as `python3 -m ziglang`, i.e. the virtualenv's python3.
export PATH="$VENV/bin:$PATH"
echo "$(cargo lambda --version); zig $(python3 -m ziglang version)"
rustup target list --installed | grep -qx "$ARM" || rustup target add "$ARM"

echo
echo "Unused dependency check over ${#names[@]} functions"
functions/unused-deps.py "${names[@]}"

# rustls only: no function may link OpenSSL (provided.al2023 has no libssl we could rely on).
echo
echo "OpenSSL check: cargo tree -e normal -i openssl-sys --target all over ${#names[@]} functions"
rc=0; out=$(cargo tree -e normal -i openssl-sys --target all "${pkgs[@]}" 2>&1) || rc=$?
if grep -q 'did not match any packages' <<<"$out" || [[ $rc == 0 && -z "$out" ]]; then
  echo "ok: openssl-sys is not a dependency of any function (cargo tree: $(tail -1 <<<"$out"))"
else
  echo "$out"
  echo "FAIL: openssl-sys is in the dependency graph of a function (or cargo tree failed)" >&2
  exit 1
fi

# One cargo run over every function by default. The functions' feature sets unify the same
# whichever of them a run selects (`cargo tree -e normal,build -f '{p}|{f}'` gives the same 363
# package/feature units for one run over all 64 as for 32 runs of 2), so batches never rebuilt a
# dependency: what they cost is a cargo-lambda start and a freshness check of ~800 units per run,
# and a core left idle whenever one of a batch's two links finished first. The slow part is the
# links: each function's is one whole-program LTO job (fat LTO, codegen-units = 1), and cargo runs
# as many at once as there are cores. cargo-lambda zips only when the whole cargo build succeeds,
# so if the one run fails (a crate that does not compile), every function is built on its own
# (those already built are fresh and only zipped) and the failures are listed at the end.
# BATCH=n builds n functions per run instead.
BATCH="${BATCH:-all}"
failed=()
# run <label> <cargo command...> over the functions, $BATCH at a time (all by default)
build_all() {
  local label=$1; shift
  local size=$BATCH t0=$SECONDS
  [[ $size == all ]] && size=${#names[@]}
  for ((i = 0; i < ${#names[@]}; i += size)); do
    local batch=("${names[@]:i:size}") args=() b0=$SECONDS
    for n in "${batch[@]}"; do args+=(-p "$n"); done
    if nice -n 19 "$@" "${args[@]}"; then
      echo "[$(date -u +%T)] $label: ${#batch[@]} built ($((SECONDS - b0)) s; $((SECONDS - t0)) s so far)"
    elif ((${#batch[@]} > 1)); then
      echo "[$(date -u +%T)] $label: the run over ${#batch[@]} failed; building each on its own" >&2
      for n in "${batch[@]}"; do
        nice -n 19 "$@" -p "$n" || failed+=("$label $n")
      done
    else
      failed+=("$label ${batch[0]}")
    fi
  done
  echo "$label took $((SECONDS - t0)) s"
}
if [[ $mode == arm || $mode == both ]]; then
  echo
  echo "cargo lambda build --release --arm64 --output-format zip: ${#names[@]} functions, $BATCH per run, into $CARGO_TARGET_DIR"
  build_all "arm64 zips" cargo lambda build --release --arm64 --output-format zip
fi
if [[ $mode == host || $mode == both ]]; then
  # A target dir of its own inside $CARGO_TARGET_DIR: the arm64 build locks $CARGO_TARGET_DIR/release
  # (its build scripts), so the two can run at the same time.
  echo
  echo "cargo build --release (x86_64, for init-times.py): ${#names[@]} functions, $BATCH per run, into $CARGO_TARGET_DIR/host/release"
  CARGO_TARGET_DIR="$CARGO_TARGET_DIR/host" build_all "x86_64 binaries" cargo build --release
fi
if [[ $mode != host ]]; then sizes; fi
echo "wall time: $SECONDS s"
if ((${#failed[@]})); then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
