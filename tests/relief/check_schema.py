"""Validates the worked examples of docs/relief-facts.md against the published
JSON Schema with an independent validator (jsonschema-rs, Draft 2020-12 with
format checks), and checks that the schema refuses what the engine refuses.
Run by ./scripts/test with the Python tools it installs."""

import json
import pathlib
import sys

import jsonschema_rs

ROOT = pathlib.Path(__file__).resolve().parents[2]
schema = json.loads((ROOT / "docs/relief-facts.schema.json").read_text())
validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)

examples = sorted((ROOT / "docs/relief-examples").glob("*.json"))
if len(examples) < 4:
    sys.exit(f"expected the four worked examples, found {len(examples)}")
failures = []
for path in examples:
    errors = [e.message for e in validator.iter_errors(json.loads(path.read_text()))]
    if errors:
        failures.append(f"{path.name}: {errors}")

base = json.loads(examples[0].read_text())
invalid = {
    "an unknown field": {**base, "favourite_colour": "blue"},
    "a wrong format version": {**base, "format": "haven.relief-facts/2"},
    "a date that is not a date": {**base, "person": {**base["person"], "date_of_birth": "1990-13-45"}},
    "a crime not on the statute's list": {**base, "u_crime": {"crimes": ["jaywalking"]}},
    "a family member without a label": {**base, "family": [{"relation": "spouse"}]},
    "a yes/no fact as a string": {**base, "person": {**base["person"], "in_united_states": "yes"}},
}
for what, doc in invalid.items():
    if validator.is_valid(doc):
        failures.append(f"the schema accepts {what}")

if failures:
    sys.exit("relief facts schema:\n  " + "\n  ".join(failures))
print(f"relief facts schema: {len(examples)} examples valid, {len(invalid)} invalid documents refused")
