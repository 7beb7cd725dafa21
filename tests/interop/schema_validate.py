#!/usr/bin/env python3
"""Validates JSON documents against a JSON Schema (draft 2020-12) with the `jsonschema` package.

    python tests/interop/schema_validate.py SCHEMA.json DOC.json [DOC.json ...]

Prints OK and exits 0 when every document is valid; prints each error and exits 1 otherwise.
"""

from __future__ import annotations

import json
import sys

from jsonschema import Draft202012Validator


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    bad = 0
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            bad += 1
            where = "/".join(str(p) for p in e.absolute_path) or "(root)"
            print(f"{path}: {where}: {e.message}")
            for sub in e.context or []:
                sub_where = "/".join(str(p) for p in sub.absolute_path) or "(root)"
                print(f"  {sub_where}: {sub.message}")
    if bad:
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
