"""An international partner's view of the TAXII server, through the OASIS clients.

Used by test/e2e/taxii.test.ts as an independent, real client: taxii2-client
discovers the server, walks to the partner's collection, pages through its
objects (and its manifest), and stix2-validator checks every page's objects as
a STIX 2.1 bundle. Prints one JSON document on stdout.

    python taxii_client.py --url https://127.0.0.1:9443/taxii2/ \
        --cert aus-abf.crt --key aus-abf.key --ca ca.crt [--per-request 3]
"""

import argparse
import json
import os
import sys
import uuid

from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Server, as_pages


def validate(objects):
    """The OASIS validator's verdict on one page's objects as a bundle: strict (a warning
    fails it), every best-practice check on but {103} (ids SHOULD be UUIDv4: the mesh's are
    deterministic UUIDv5, see services/exchange/STIX-MAPPING.md). References are not
    enforced: a page may name an object another page carries."""
    bundle = {"type": "bundle", "id": "bundle--" + str(uuid.uuid4()), "objects": objects}
    r = validate_instance(bundle, ValidationOptions(version="2.1", strict=True, disabled=["103"], silent=True))
    return {"valid": r.is_valid, "errors": [str(e) for e in r.errors], "warnings": [str(w) for w in r.warnings]}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--per-request", type=int, default=0)
    a = p.parse_args()
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the environment override a
    # session's verify= (psf/requests#3829), and taxii2-client sets it on the session:
    # point them at the mesh's CA too, or a machine-wide bundle would be used instead.
    os.environ["REQUESTS_CA_BUNDLE"] = a.ca
    os.environ["CURL_CA_BUNDLE"] = a.ca

    server = Server(a.url, verify=a.ca, cert=(a.cert, a.key))
    root = server.default or server.api_roots[0]
    out = {
        "title": server.title,
        "api_roots": [r.url for r in server.api_roots],
        "versions": root.versions,
        "collections": [],
    }
    for collection in root.collections:
        objects, pages, verdicts = [], 0, []
        for envelope in as_pages(collection.get_objects, per_request=a.per_request):
            page = envelope.get("objects", [])
            pages += 1
            objects += page
            if page:
                verdicts.append(validate(page))
        manifest = []
        for envelope in as_pages(collection.get_manifest, per_request=a.per_request):
            manifest += envelope.get("objects", [])
        out["collections"].append({
            "id": collection.id,
            "title": collection.title,
            "alias": collection.alias,
            "can_read": collection.can_read,
            "can_write": collection.can_write,
            "media_types": collection.media_types,
            "pages": pages,
            "objects": objects,
            "manifest": manifest,
            "validation": {
                "valid": all(v["valid"] for v in verdicts),
                "errors": [e for v in verdicts for e in v["errors"]],
                "warnings": [w for v in verdicts for w in v["warnings"]],
            },
        })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
