#!/usr/bin/env python3
"""Translates a SAM template to plain CloudFormation JSON, offline.

Usage: sam_translate.py TEMPLATE.yaml OUTPUT.json

cfn-lint on the SAM form checks what it can see; the translated template shows the resources SAM
generates (the function's role, its log settings, the permission wiring), and cfn-lint on that
catches mistakes the SAM form hides. The translator normally asks IAM for the ARNs of managed
policies named in `Policies:`; this template names none, so an empty map stands in and no AWS
credentials or network are needed. The region is fixed so the output does not depend on the
machine's AWS configuration. A local `CodeUri` (the source folder `sam build` compiles) is
replaced by a placeholder S3 location, as `sam package` would replace it by the uploaded zip.
"""

import json
import sys

import boto3
from cfnlint.decode import decode_str
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

REGION = "us-east-1"
PACKAGED_CODE = "s3://example-bucket/alb-client-ip/bootstrap.zip"


def as_packaged(template: dict) -> dict:
    """Points every local CodeUri at an S3 object, as `sam package` does before deploying."""
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(
            props.get("CodeUri"), str
        ):
            if not props["CodeUri"].startswith("s3://"):
                props["CodeUri"] = PACKAGED_CODE
    return template


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    source, target = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as f:
        # cfn-lint's decoder understands the short intrinsic forms (!Ref, !Sub, ...).
        template, errors = decode_str(f.read())
    if errors:
        for error in errors:
            print(f"{source}: {error}", file=sys.stderr)
        return 1
    session = boto3.session.Session(region_name=REGION)
    translator = Translator(managed_policy_map={}, sam_parser=Parser(), boto_session=session)
    try:
        translated = translator.translate(
            as_packaged(template), parameter_values={}, get_managed_policy_map=lambda: {}
        )
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(f"{source}: {cause.message}", file=sys.stderr)
        return 1
    with open(target, "w", encoding="utf-8") as f:
        json.dump(translated, f, indent=2, sort_keys=True, default=str)
        f.write("\n")
    print(f"{source} -> {target}: {len(translated.get('Resources', {}))} resources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
