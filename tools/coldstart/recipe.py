"""The common Python recipe for "the client IP behind a load balancer", as found in tutorials.

It takes the FIRST X-Forwarded-For entry (which the client wrote, so anyone can claim any
address) and falls back to API Gateway's requestContext.identity.sourceIp. It is here only as the
cold-start comparison for tools/coldstart/coldstart.py; do not deploy it.
"""

import json


def handler(event, context):
    headers = event.get("headers") or {}
    xff = headers.get("x-forwarded-for")
    if xff:
        ip = xff.split(",")[0].strip()
    else:
        ip = event.get("requestContext", {}).get("identity", {}).get("sourceIp")
    print(ip)
    return {"statusCode": 200, "body": json.dumps({"client_ip": ip})}
