"""Checks that the translated CloudFormation template keeps the settings the client address
depends on. cfn-lint checks that the template is valid; it cannot know that, say, an ALB that
*preserves* X-Forwarded-For would let every client choose its own address.

It also evaluates the parameters' conditions and rules for the set-ups the docs describe (an
internet-facing ALB open to all, one locked to CloudFront's prefix list, an internal ALB that only
a front door's security group may reach) and checks who may reach the listeners in each, and that
the rules refuse what the function refuses at cold start.

test_template.py runs each check; a check reports every setting that is missing or wrong.
"""

import itertools
import json
import re

from template_model import (
    CERT,
    NO_VALUE,
    PREFIX_LIST,
    SG,
    attributes,
    evaluate,
    of_type,
    parameter_values,
    rules_refusing,
)

LAYER = "arn:aws:lambda:us-east-1:123456789012:layer:client-ip-ranges:7"


def check_parameters(template: dict, expect) -> None:
    params = template.get("Parameters", {})
    for name in ("LoadBalancerScheme", "SourceSecurityGroupId", "ClientIpHeader",
                 "TrustedProxyCidrs"):
        expect(name in params, f"parameter {name} is missing")
    scheme = params.get("LoadBalancerScheme", {})
    expect(sorted(scheme.get("AllowedValues", [])) == ["internal", "internet-facing"]
           and scheme.get("Default") == "internet-facing",
           "LoadBalancerScheme must allow internet-facing (the default) and internal")

    def matches(name: str, value: str) -> bool:
        pattern = params.get(name, {}).get("AllowedPattern", "")
        return re.fullmatch(pattern, value) is not None

    for value in ("", SG):
        expect(matches("SourceSecurityGroupId", value), f"SourceSecurityGroupId refuses {value!r}")
    for value in ("sg-1", "0.0.0.0/0", "pl-3b927c52"):
        expect(not matches("SourceSecurityGroupId", value),
               f"SourceSecurityGroupId accepts {value!r}")
    for value in ("", "forwarded", "x-forwarded-for", "CloudFront-Viewer-Address",
                  "cf-connecting-ip", "True-Client-IP", "x-real-ip"):
        expect(matches("ClientIpHeader", value), f"ClientIpHeader refuses {value!r}")
    for value in ("x_forwarded_for", "x-real-ip ", "-x", "a:b"):
        expect(not matches("ClientIpHeader", value), f"ClientIpHeader accepts {value!r}")
    for value in ("cloudfront", "cloudflare", "fastly", "cloudfront,cloudflare",
                  "10.0.0.0/8, 2001:db8::/32, 192.0.2.10"):
        expect(matches("TrustedProxyCidrs", value), f"TrustedProxyCidrs refuses {value!r}")
    for value in ("", "10.0.1.0/24, 10.0.2.0/24", "198.18.0.0/24", "2600:1f18::/56",
                  "any-private-address-insiders-can-forge"):
        expect(matches("VpcLinkCidrs", value), f"VpcLinkCidrs refuses {value!r}")
    for value in ("any-private-address", "10.0.1.0/24,any-private-address-insiders-can-forge"):
        expect(not matches("VpcLinkCidrs", value), f"VpcLinkCidrs accepts {value!r}")
    for value, accepted in (("", True), (LAYER, True), (LAYER.rsplit(":", 1)[0], False),
                            ("/opt/ranges.txt", False)):
        expect(matches("RangesLayerArn", value) == accepted,
               f"RangesLayerArn {'refuses' if accepted else 'accepts'} {value!r}")


def check_rules(template: dict, expect) -> None:
    # (parameter values, whether the rules must accept them): what the function refuses at cold
    # start, the rules refuse at deploy time, and the documented set-ups pass.
    cases = [
        ({}, True),
        ({"TrustedProxyCount": "1", "TrustedProxyCidrs": "cloudfront"}, False),
        ({"ClientIpHeader": "forwarded", "TrustedProxyCount": "0"}, False),
        ({"ClientIpHeader": "Forwarded", "TrustedProxyCidrs": "cloudflare"}, False),
        ({"ClientIpHeader": "Forwarded", "TrustedProxyCidrs": "cloudflare",
          "VpcLinkCidrs": "10.0.1.0/24, 10.0.2.0/24"}, True),
        ({"ClientIpHeader": "forwarded"}, False),
        ({"ClientIpHeader": "forwarded", "VpcLinkCidrs": "10.0.1.0/24"}, False),
        ({"ClientIpHeader": "forwarded", "TrustedProxyCount": "0", "VpcLinkCidrs": "10.0.1.0/24"},
         True),
        ({"ClientIpHeader": "forwarded", "TrustedProxyCount": "0",
          "VpcLinkCidrs": "any-private-address-insiders-can-forge"}, True),
        ({"VpcLinkCidrs": "any-private-address-insiders-can-forge"}, False),
        ({"VpcLinkCidrs": "10.0.1.0/24"}, False),
        ({"ClientIpHeader": "x-real-ip", "TrustedProxyCidrs": "10.0.0.0/8",
          "VpcLinkCidrs": "10.0.1.0/24"}, False),
        ({"ClientIpHeader": "cloudfront-viewer-address", "TrustedProxyCidrs": "cloudfront"}, True),
        ({"ClientIpHeader": "cf-connecting-ip"}, False),
        ({"ClientIpHeader": "cf-connecting-ip", "TrustedProxyCount": "1"}, False),
        ({"ClientIpHeader": "X-Forwarded-For"}, True),
        ({"ClientIpHeader": "fastly-client-ip", "TrustedProxyCidrs": "fastly"}, False),
        ({"TrustedProxyCidrs": "fastly"}, True),
        ({"BehindCloudFront": "true"}, False),
        ({"BehindCloudFront": "true", "CloudFrontPrefixListId": PREFIX_LIST}, True),
        ({"LoadBalancerScheme": "internal", "SourceSecurityGroupId": SG,
          "TrustedProxyCidrs": "cloudfront"}, True),
        ({"SourceSecurityGroupId": SG, "BehindCloudFront": "true",
          "CloudFrontPrefixListId": PREFIX_LIST}, False),
    ]
    for given, accepted in cases:
        refused = rules_refusing(template, parameter_values(template, **given))
        verdict = f"refuse ({', '.join(refused)})" if refused else "accept"
        expect(bool(refused) != accepted, f"rules {verdict} {given}")


def check_ingress(template: dict, expect) -> None:
    """Who may reach the listeners, for every combination of the parameters that decide it."""
    conditions = template.get("Conditions", {})
    groups = of_type(template.get("Resources", {}), "AWS::EC2::SecurityGroup")
    for sg, behind, cert in itertools.product(("", SG), ("false", "true"), ("", CERT)):
        params = parameter_values(template, SourceSecurityGroupId=sg, BehindCloudFront=behind,
                                  CloudFrontPrefixListId=PREFIX_LIST, CertificateArn=cert,
                                  IngressCidr="192.0.2.0/24")
        if rules_refusing(template, params):
            continue
        label = f"SourceSecurityGroupId={sg!r} BehindCloudFront={behind} certificate={bool(cert)}"
        rules = [r for g in groups.values()
                 for r in evaluate(g.get("Properties", {}).get("SecurityGroupIngress", []),
                                   params, conditions)]
        expect(bool(rules), f"{label}: no ingress at all")
        if sg:
            want, key = SG, "SourceSecurityGroupId"
        elif behind == "true":
            want, key = PREFIX_LIST, "SourcePrefixListId"
        else:
            want, key = "192.0.2.0/24", "CidrIp"
        for rule in rules:
            sources = {k: rule[k] for k in ("CidrIp", "CidrIpv6", "SourcePrefixListId",
                                           "SourceSecurityGroupId") if k in rule}
            expect(sources == {key: want},
                   f"{label}: ingress from {sources}, expected {key}={want}")
        ports = set()
        for rule in rules:
            low, high = rule.get("FromPort", 0), rule.get("ToPort", -1)
            ports.update(p for p in (80, 443) if low <= p <= high)
        expect(80 in ports and (443 in ports or not cert),
               f"{label}: the listener ports {sorted(ports)} are not all reachable")


def check_resources(template: dict, expect) -> None:
    """The function, the load balancer's attributes, the permission and the target group."""
    resources = template.get("Resources", {})

    functions = of_type(resources, "AWS::Lambda::Function")
    expect(len(functions) == 1, f"expected one function, found {sorted(functions)}")
    for name, fn in functions.items():
        props = fn.get("Properties", {})
        expect(props.get("Runtime") == "provided.al2023", f"{name}: Runtime is not provided.al2023")
        expect(props.get("Architectures") == ["arm64"], f"{name}: Architectures is not [arm64]")
        expect(props.get("Handler") == "bootstrap", f"{name}: Handler is not bootstrap")
        expect(props.get("LoggingConfig", {}).get("LogFormat") == "JSON", f"{name}: logs not JSON")
        env = props.get("Environment", {}).get("Variables", {})
        for var in ("TRUSTED_PROXY_COUNT", "TRUSTED_PROXY_CIDRS", "CLIENT_IP_HEADER"):
            expect(var in env, f"{name}: environment lacks {var}")
        # A ranges layer is mounted at /opt and its file named; without one, neither.
        conditions = template.get("Conditions", {})
        for layer, layers, file in ((LAYER, [LAYER], "/opt/ranges.txt"), ("", NO_VALUE, "")):
            params = parameter_values(template, RangesLayerArn=layer)
            got = (evaluate(props.get("Layers", NO_VALUE), params, conditions),
                   evaluate(env.get("CLIENT_IP_RANGES_FILE"), params, conditions))
            expect(got == (layers, file), f"{name}: with RangesLayerArn={layer!r}, Layers and "
                   f"CLIENT_IP_RANGES_FILE are {got!r}, not {(layers, file)!r}")

    balancers = of_type(resources, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    expect(len(balancers) == 1, f"expected one load balancer, found {sorted(balancers)}")
    for name, lb in balancers.items():
        props = lb.get("Properties", {})
        attrs = attributes(props, "LoadBalancerAttributes")
        expect(props.get("Scheme") in ("internet-facing", "internal",
                                       {"Ref": "LoadBalancerScheme"}),
               f"{name}: Scheme {props.get('Scheme')!r} is neither a scheme nor LoadBalancerScheme")
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
    expect("SourceSecurityGroupId" in text and "HasSourceSecurityGroup" in text,
           "the security group has no source-security-group ingress")
