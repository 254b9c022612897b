"""Validate STIX 2.1 JSON files with the OASIS validator; print the results as JSON.

    .takitini/venv/bin/python infra/python/validate_stix.py [--disable 103,...] FILE...

Runs stix2validator with every best-practice check on (but those disabled), warnings
treated as errors (strict) and the references of relationships enforced. Prints one
JSON document on stdout: {"validator": version, "results": [{"file", "valid", "fatal",
"objects": [{"id", "valid", "errors": [text], "warnings": [text]}]}]}, each text led by the
check's code in braces when it comes from a best-practice check, e.g. "{103} ...".
(FileValidationResults.as_dict() of 3.3.2 fails on a file without a fatal error.)
Exits 0 when every file is valid, 1 otherwise.
"""
import argparse
import json
import sys

import stix2validator
from stix2validator import ValidationOptions, validate_file


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--disable", default="", help="comma-separated best-practice check codes to skip")
    parser.add_argument("--lenient", action="store_true", help="report warnings without failing on them")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    options = ValidationOptions(
        version="2.1",
        strict=not args.lenient,
        enforce_refs=True,
        disabled=[c for c in args.disable.split(",") if c],
        silent=True,
    )
    results = [validate_file(f, options) for f in args.files]
    out = [
        {
            "file": f,
            "valid": r.is_valid,
            "fatal": None if r.fatal is None else str(r.fatal.error),
            "objects": [
                {"id": o.object_id, "valid": o.is_valid, "errors": [str(e) for e in o.errors], "warnings": [str(w) for w in o.warnings]}
                for o in r.object_results
            ],
        }
        for f, r in zip(args.files, results)
    ]
    json.dump({"validator": stix2validator.__version__, "results": out}, sys.stdout, indent=2)
    return 0 if all(r.is_valid for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
