#!/usr/bin/env python3
"""Validates an SBOM with the official tools we did not write:
SPDX 2.3 JSON with spdx-tools (the `pyspdxtools -i` validator), CycloneDX JSON with
cyclonedx-python-lib's strict JSON validator for the version the document declares.

    python tests/interop/sbom_validate.py FILE

Prints OK and exits 0 when valid; prints the problems and exits 1 otherwise.
"""

import json
import shutil
import tempfile
import subprocess
import sys
from pathlib import Path


def main() -> None:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    path = sys.argv[1]
    doc = json.loads(Path(path).read_text())
    if "spdxVersion" in doc:
        tool = Path(sys.executable).with_name("pyspdxtools")
        # pyspdxtools picks the parser from the file name: give it a .spdx.json name.
        with tempfile.TemporaryDirectory() as d:
            named = Path(d) / "document.spdx.json"
            shutil.copyfile(path, named)
            r = subprocess.run([str(tool), "-i", str(named)], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL: pyspdxtools: {r.stdout}{r.stderr}", file=sys.stderr)
            sys.exit(1)
    elif doc.get("bomFormat") == "CycloneDX":
        from cyclonedx.schema import SchemaVersion
        from cyclonedx.validation.json import JsonStrictValidator

        errors = JsonStrictValidator(SchemaVersion.from_version(doc["specVersion"])).validate_str(
            Path(path).read_text()
        )
        if errors:
            print(f"FAIL: CycloneDX {doc['specVersion']}: {errors}", file=sys.stderr)
            sys.exit(1)
    else:
        print("FAIL: neither SPDX nor CycloneDX", file=sys.stderr)
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
