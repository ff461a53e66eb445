"""Imports every shared HSDS fixture with the built binary, exports the
directory, and validates every exported record against the official HSDS 3.0
compiled schemas with an independent validator (jsonschema-rs, Draft 2020-12
with format checks). Then imports the export into an empty directory and
checks that exporting again gives the same records (round trip).
Run by ./scripts/test with the Python tools it installs; HAVEN_BIN names the binary."""

import json
import os
import pathlib
import subprocess
import sys
import tempfile

import jsonschema_rs

ROOT = pathlib.Path(__file__).resolve().parents[2]
HAVEN = os.environ.get("HAVEN_BIN", str(ROOT / "target/debug/haven"))
SPEC = ROOT / "data/hsds/spec-3.0"
EXAMPLES = SPEC / "examples"
FIXTURES = [
    *(EXAMPLES / f for f in ["organization_full.json", "organization_list.json", "service_full.json",
                              "service_list.json", "service_at_location_full.json",
                              "service_at_location_list.json", "location.json"]),
    EXAMPLES / "csv",
    ROOT / "data/hsds/sample-1.1/all_resources",
    ROOT / "tests/directory/haven-attributes.json",
]
# (and the county package below, which has rows that must be rejected)


def haven(data_dir, *args):
    env = {**os.environ, "HAVEN_DATA_DIR": data_dir, "HAVEN_LOG_LEVEL": "warn"}
    env.pop("HAVEN_DATABASE_URL", None)
    out = subprocess.run([HAVEN, *args], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"haven {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def validator(name):
    schema = json.loads((SPEC / "schema/compiled" / name).read_text())
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


services, organizations = validator("service.json"), validator("organization.json")
failures = []
with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
    for fixture in FIXTURES:
        report = haven(first, "directory", "import", str(fixture))
        if " 0 rows rejected" not in report.splitlines()[0]:
            failures.append(f"{fixture.name}: {report.strip()}")
    # A county 211's package as published, with every quirk of real exports:
    # only its three wrong rows are rejected, and what it exports is valid.
    county = ROOT / "crates/haven-domain/tests/fixtures/hsds1-county.zip"
    report = haven(first, "directory", "import", str(county))
    if "42 services; 3 rows rejected" not in report.splitlines()[0]:
        failures.append(f"{county.name}: {report.strip()}")
    exported = pathlib.Path(first) / "export.json"
    haven(first, "directory", "export", "--out", str(exported))
    items = json.loads(exported.read_text())
    n_services = n_orgs = 0
    for item in items:
        if "status" in item:
            n_services += 1
            errors = [f"{e.instance_path}: {e.message}" for e in services.iter_errors(item)]
        else:
            n_orgs += 1
            errors = [f"{e.instance_path}: {e.message}" for e in organizations.iter_errors(item)]
        if errors:
            failures.append(f"{item.get('name')}: {errors[:5]}")
    if n_services < 15 or n_orgs < 12:
        failures.append(f"expected every fixture's services and organizations, got {n_services} and {n_orgs}")
    haven_attr = [i for i in items if i.get("name") == "Haven attribute test shelter"]
    if not haven_attr or not any(a.get("taxonomy_term", {}).get("code") == "haven:need:housing"
                                 for a in haven_attr[0].get("attributes", [])):
        failures.append("Haven's attributes are not in the export")
    else:
        place = haven_attr[0]["service_at_locations"][0]["location"]
        if place.get("addresses") or "latitude" in place or "1 Test Street" in exported.read_text():
            failures.append("a confidential location's address or coordinates left in the export")
    # Round trip: the export imports cleanly and exports the same.
    report = haven(second, "directory", "import", str(exported))
    if " 0 rows rejected" not in report.splitlines()[0]:
        failures.append(f"re-import: {report.strip()}")
    again = pathlib.Path(second) / "export.json"
    haven(second, "directory", "export", "--out", str(again))
    key = lambda i: i["id"]
    if sorted(json.loads(again.read_text()), key=key) != sorted(items, key=key):
        failures.append("exporting the re-imported directory gives different records")

if failures:
    sys.exit("HSDS import/export:\n  " + "\n  ".join(failures))
print(f"HSDS: {len(FIXTURES)} fixtures imported; {n_services} services and {n_orgs} organizations exported, "
      "valid against the HSDS 3.0 schemas, and round-trip unchanged")
