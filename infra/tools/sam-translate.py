#!/usr/bin/env python3
"""Translates a SAM template to plain CloudFormation offline, with AWS's own translator.

    python3 infra/tools/sam-translate.py [infra/template.yaml] [Key=Value ...]

Prints one JSON object: {"template": <the parsed SAM template>, "cloudformation": <the translation>}.
Local CodeUri folders are first replaced by s3:// URIs, as `sam package` / `sam deploy` would.
Needs `pip install aws-sam-translator` (no AWS account, no network: managed policy ARNs are stubbed).
Exits 1 with the translator's message when the template is invalid.
"""
import json
import os
import sys

# The translator asks boto3 for a region even when AWS::Region is given.
os.environ.setdefault('AWS_DEFAULT_REGION', 'us-east-1')

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class OfflinePolicyLoader:
    """Stands in for ManagedPolicyLoader, which would call IAM to list AWS managed policies."""

    def load(self):
        return {
            'AWSLambdaBasicExecutionRole': 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
        }


def packaged(template):
    """A copy of the template with every local CodeUri replaced by an S3 URI, as `sam package` does."""
    out = json.loads(json.dumps(template))
    holders = [out.get('Globals', {}).get('Function', {})]
    holders += [r.get('Properties', {}) for r in out.get('Resources', {}).values()
                if r.get('Type') == 'AWS::Serverless::Function']
    for props in holders:
        uri = props.get('CodeUri')
        if isinstance(uri, str) and not uri.startswith('s3://'):
            props['CodeUri'] = 's3://dmslite-artifacts/' + uri.strip('./').replace('/', '-') + '.zip'
    return out


def main(argv):
    path = argv[1] if len(argv) > 1 and '=' not in argv[1] else 'infra/template.yaml'
    params = dict(a.split('=', 1) for a in argv[1:] if '=' in a)
    with open(path, encoding='utf-8') as f:
        template = yaml_parse(f.read())
    parameter_values = {
        'AWS::Region': 'us-east-1',
        'AWS::AccountId': '123456789012',
        'AWS::Partition': 'aws',
        'AWS::URLSuffix': 'amazonaws.com',
        **params,
    }
    try:
        out = transform(packaged(template), parameter_values, OfflinePolicyLoader())
    except InvalidDocumentException as e:
        print('\n'.join(str(c) for c in e.causes) or str(e), file=sys.stderr)
        return 1
    json.dump({'template': template, 'cloudformation': out}, sys.stdout, indent=1, default=str)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
