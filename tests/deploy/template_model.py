"""Evaluates a translated CloudFormation template for one set of parameter values: the intrinsic
functions its conditions, rules and ingress use, and which rules refuse the values. Used by
template_checks.py, which holds the checks themselves.
"""

NO_VALUE = object()
SG = "sg-0123456789abcdef0"
PREFIX_LIST = "pl-3b927c52"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-0123-0123-0123-0123456789ab"


def of_type(resources: dict, kind: str) -> dict:
    return {k: v for k, v in resources.items() if v.get("Type") == kind}


def attributes(props: dict, key: str) -> dict:
    return {a.get("Key"): a.get("Value") for a in props.get(key, [])}


def evaluate(node, params: dict, conditions: dict):
    """Resolves the intrinsics the template's conditions, rules and ingress use for one set of
    parameter values. Anything else is returned as it stands."""
    if isinstance(node, list):
        items = [evaluate(n, params, conditions) for n in node]
        return [i for i in items if i is not NO_VALUE]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (key, arg), = node.items()
        if key == "Ref":
            return NO_VALUE if arg == "AWS::NoValue" else params.get(arg, node)
        if key == "Condition":
            return evaluate(conditions[arg], params, conditions)
        if key == "Fn::Equals":
            a, b = (evaluate(x, params, conditions) for x in arg)
            return a == b
        if key == "Fn::Not":
            return not evaluate(arg[0], params, conditions)
        if key == "Fn::And":
            return all(evaluate(x, params, conditions) for x in arg)
        if key == "Fn::Or":
            return any(evaluate(x, params, conditions) for x in arg)
        if key == "Fn::Contains":
            return evaluate(arg[1], params, conditions) in evaluate(arg[0], params, conditions)
        if key == "Fn::If":
            name, yes, no = arg
            chosen = yes if evaluate(conditions[name], params, conditions) else no
            return evaluate(chosen, params, conditions)
    return {k: evaluate(v, params, conditions) for k, v in node.items()}


def parameter_values(template: dict, **given) -> dict:
    params = {k: v.get("Default", "") for k, v in template.get("Parameters", {}).items()}
    params.update(given)
    return params


def rules_refusing(template: dict, params: dict) -> list[str]:
    """The rules whose assertions fail for these parameter values."""
    conditions = template.get("Conditions", {})
    refused = []
    for name, rule in template.get("Rules", {}).items():
        if "RuleCondition" in rule and not evaluate(rule["RuleCondition"], params, conditions):
            continue
        if not all(evaluate(a["Assert"], params, conditions) for a in rule.get("Assertions", [])):
            refused.append(name)
    return refused
