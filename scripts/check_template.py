#!/usr/bin/env python3
"""Checks that the translated CloudFormation template keeps the settings the client address
depends on. cfn-lint checks that the template is valid; it cannot know that, say, an ALB that
*preserves* X-Forwarded-For would let every client choose its own address.

Usage: check_template.py TRANSLATED.json

Exits 1 naming every setting that is missing or wrong.
"""

import json
import sys


def of_type(resources: dict, kind: str) -> dict:
    return {k: v for k, v in resources.items() if v.get("Type") == kind}


def attributes(props: dict, key: str) -> dict:
    return {a.get("Key"): a.get("Value") for a in props.get(key, [])}


def check(template: dict) -> list[str]:
    resources = template.get("Resources", {})
    problems = []

    def expect(ok: bool, message: str) -> None:
        if not ok:
            problems.append(message)

    functions = of_type(resources, "AWS::Lambda::Function")
    expect(len(functions) == 1, f"expected one function, found {sorted(functions)}")
    for name, fn in functions.items():
        props = fn.get("Properties", {})
        expect(props.get("Runtime") == "provided.al2023", f"{name}: Runtime is not provided.al2023")
        expect(props.get("Architectures") == ["arm64"], f"{name}: Architectures is not [arm64]")
        expect(props.get("Handler") == "bootstrap", f"{name}: Handler is not bootstrap")
        expect(props.get("LoggingConfig", {}).get("LogFormat") == "JSON", f"{name}: logs not JSON")
        env = props.get("Environment", {}).get("Variables", {})
        for var in ("TRUSTED_PROXY_COUNT", "TRUSTED_PROXY_CIDRS"):
            expect(var in env, f"{name}: environment lacks {var}")

    balancers = of_type(resources, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    expect(len(balancers) == 1, f"expected one load balancer, found {sorted(balancers)}")
    for name, lb in balancers.items():
        props = lb.get("Properties", {})
        attrs = attributes(props, "LoadBalancerAttributes")
        expect(props.get("Scheme") == "internet-facing", f"{name}: not internet-facing")
        expect(attrs.get("routing.http.xff_header_processing.mode") == "append",
               f"{name}: routing.http.xff_header_processing.mode is not append")
        expect(attrs.get("routing.http.drop_invalid_header_fields.enabled") == "true",
               f"{name}: routing.http.drop_invalid_header_fields.enabled is not true")

    permissions = of_type(resources, "AWS::Lambda::Permission")
    alb_permissions = {k: v for k, v in permissions.items()
                       if v.get("Properties", {}).get("Principal") == "elasticloadbalancing.amazonaws.com"}
    expect(len(alb_permissions) == 1, "expected one invoke permission for the load balancer")

    groups = of_type(resources, "AWS::ElasticLoadBalancingV2::TargetGroup")
    expect(len(groups) == 1, f"expected one target group, found {sorted(groups)}")
    for name, tg in groups.items():
        props = tg.get("Properties", {})
        expect(props.get("TargetType") == "lambda", f"{name}: TargetType is not lambda")
        expect("lambda.multi_value_headers.enabled" in attributes(props, "TargetGroupAttributes"),
               f"{name}: lambda.multi_value_headers.enabled is not set")
        depends = tg.get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else depends
        expect(any(p in depends for p in alb_permissions),
               f"{name}: does not DependsOn the invoke permission")
        tg_name = props.get("Name")
        expect(isinstance(tg_name, dict) and "Ref" in tg_name,
               f"{name}: Name is not a parameter (the permission's SourceArn needs it)")
        for pname, perm in alb_permissions.items():
            source = perm.get("Properties", {}).get("SourceArn", {})
            text = source.get("Fn::Sub", "") if isinstance(source, dict) else ""
            want = f"targetgroup/${{{tg_name.get('Ref') if isinstance(tg_name, dict) else ''}}}/*"
            expect(isinstance(text, str) and text.endswith(want),
                   f"{pname}: SourceArn {source!r} does not end with {want}")

    groups_sg = of_type(resources, "AWS::EC2::SecurityGroup")
    text = json.dumps(groups_sg)
    expect("SourcePrefixListId" in text and "IsBehindCloudFront" in text,
           "the security group has no CloudFront prefix-list ingress")
    return problems


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: check_template.py TRANSLATED.json", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        problems = check(json.load(f))
    for problem in problems:
        print(f"{sys.argv[1]}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{sys.argv[1]}: the settings the client address depends on are in place")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
