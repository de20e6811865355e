#!/usr/bin/env python3
"""CI check of the committed JSON Schema (schema/nasc.schema.json).

1. The schema is a valid draft-07 schema.
2. Every YAML file under spaces/ and examples/ (except examples/broken/ and examples/ci/) validates.
3. Every broken example whose expected diagnostic is structural (E010-E015) fails the schema.
4. Every key documented in Grammar.md (first column of a key table: | `key` | ...) is a property
   somewhere in the schema.

Usage: scripts/check_schema.py   (from anywhere; needs python3-yaml and jsonschema)
"""
import json
import pathlib
import re
import sys

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


def schema_keys(node, out):
    if isinstance(node, dict):
        for k, v in node.get("properties", {}).items():
            out.add(k)
            schema_keys(v, out)
        for k, v in node.items():
            if k != "properties":
                schema_keys(v, out)
    elif isinstance(node, list):
        for v in node:
            schema_keys(v, out)


def main():
    schema = json.loads((ROOT / "schema" / "nasc.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    failures = 0
    checked = 0
    for base in ("spaces", "examples"):
        for path in sorted((ROOT / base).rglob("*.yaml")):
            rel = path.relative_to(ROOT)
            if rel.parts[:2] in (("examples", "broken"), ("examples", "ci")):
                continue
            doc = yaml.safe_load(path.read_text())
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
            checked += 1
            for e in errors:
                failures += 1
                print(f"{rel}: {'/'.join(map(str, e.path))}: {e.message}")
    broken = ROOT / "examples" / "broken"
    structural = 0
    for path in sorted(broken.glob("*.yaml")):
        expected = path.with_suffix(".expected")
        if not expected.exists():
            continue
        code = re.search(r"\[(E\d+)\]", expected.read_text())
        if not code or not ("E010" <= code.group(1) <= "E015"):
            continue
        try:
            doc = yaml.safe_load(path.read_text())
        except yaml.YAMLError:
            continue
        structural += 1
        if validator.is_valid(doc):
            failures += 1
            print(f"{path.relative_to(ROOT)}: expected to fail the schema ({code.group(1)}) but validates")
    keys = set()
    schema_keys(schema, keys)
    documented = set(re.findall(r"^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|", (ROOT / "Grammar.md").read_text(), re.M))
    for k in sorted(documented - keys):
        failures += 1
        print(f"Grammar.md documents key '{k}' which the schema does not define")
    print(f"checked {checked} files, {structural} structural broken examples, {len(documented)} documented keys: "
          f"{'OK' if failures == 0 else str(failures) + ' problem(s)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
