#!/usr/bin/env python3
"""A function declares only crates its sources name (the template once gave every function ten).

    functions/unused-deps.py            # every crate under functions/
    functions/unused-deps.py jwks user-get

Not exact (a crate used only through a macro's expansion would be missed), but none is today.
Run by tests/run.sh and functions/build-zips.sh.
"""
import pathlib
import re
import sys
import tomllib

FUNCTIONS = pathlib.Path(__file__).resolve().parent


def main(names):
    crates = [FUNCTIONS / n for n in names] or sorted(p.parent for p in FUNCTIONS.glob("*/Cargo.toml"))
    unused = []
    for crate in crates:
        deps = tomllib.loads((crate / "Cargo.toml").read_text()).get("dependencies", {})
        src = "".join(f.read_text() for f in (crate / "src").rglob("*.rs"))
        unused += [f"{crate.name}: {d}" for d in deps if not re.search(rf"\b{d.replace('-', '_')}\b", src)]
    if unused:
        sys.exit("FAIL: dependencies the sources never name:\n  " + "\n  ".join(unused))
    print(f"ok: every dependency of the {len(crates)} functions is named in its sources")


if __name__ == "__main__":
    main(sys.argv[1:])
