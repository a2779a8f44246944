import { writeFileSync } from 'node:fs';
const region = 'eu-west-1';
const auth = `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/${region}/dms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7`;
const host = 'abcdef1234.execute-api.eu-west-1.amazonaws.com';
const cases = {
  'create-endpoint': {
    op: 'CreateEndpoint',
    body: (v) => JSON.stringify({
      EndpointIdentifier: `sam-${v}-kinesis-target`, EndpointType: 'target', EngineName: 'kinesis',
      KinesisSettings: { StreamArn: `arn:aws:kinesis:${region}:000000000000:stream/dms-events`, MessageFormat: 'json', ServiceAccessRoleArn: 'arn:aws:iam::000000000000:role/dms-kinesis' },
    }),
  },
  'describe-replication-tasks': { op: 'DescribeReplicationTasks', body: () => JSON.stringify({ MaxRecords: 20 }) },
  'malformed-body': { op: 'CreateEndpoint', body: () => '{"EndpointIdentifier": "broken", "EndpointType": ' },
};
const ids = { 'create-endpoint': 'c0ffee00-0000-4000-8000-000000000001', 'describe-replication-tasks': 'c0ffee00-0000-4000-8000-000000000002', 'malformed-body': 'c0ffee00-0000-4000-8000-000000000003' };
for (const [name, c] of Object.entries(cases)) {
  const headers = {
    'Content-Type': 'application/x-amz-json-1.1',
    'X-Amz-Target': `AmazonDMSv20160101.${c.op}`,
    'X-Amz-Date': '20260101T120000Z',
    Authorization: auth,
    Host: host,
    'User-Agent': 'aws-cli/2.27.0 md/awscrt#0.26.1 ua/2.1 os/linux api/databasemigrationservice',
  };
  const rest = {
    resource: '/', path: '/', httpMethod: 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: null, stageVariables: null,
    requestContext: {
      resourceId: 'a1b2c3d4e5', resourcePath: '/', httpMethod: 'POST', extendedRequestId: 'XyZ0AbCdIAMEZ1w=',
      requestTime: '01/Jan/2026:12:00:00 +0000', path: '/dms/', accountId: '123456789012', protocol: 'HTTP/1.1',
      stage: 'dms', domainPrefix: 'abcdef1234', requestTimeEpoch: 1767268800000, requestId: `rest-${ids[name]}`,
      identity: { sourceIp: '203.0.113.10', userAgent: headers['User-Agent'] }, domainName: host, apiId: 'abcdef1234',
    },
    body: c.body('rest'), isBase64Encoded: false,
  };
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const body = c.body('http');
  // HTTP APIs base64-encode bodies whose content type is not text or JSON: x-amz-json-1.1 is one.
  const b64 = name === 'create-endpoint';
  const http = {
    version: '2.0', routeKey: 'POST /', rawPath: '/', rawQueryString: '',
    headers: { ...lower, 'content-length': String(Buffer.byteLength(body)), 'x-forwarded-for': '203.0.113.10', 'x-forwarded-proto': 'https', 'x-forwarded-port': '443' },
    requestContext: {
      accountId: '123456789012', apiId: 'abcdef1234', domainName: host, domainPrefix: 'abcdef1234',
      http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: headers['User-Agent'] },
      requestId: `http-${ids[name]}`, routeKey: 'POST /', stage: '$default', time: '01/Jan/2026:12:00:00 +0000', timeEpoch: 1767268800000,
    },
    body: b64 ? Buffer.from(body).toString('base64') : body, isBase64Encoded: b64,
  };
  writeFileSync(`infra/events/${name}.rest.json`, JSON.stringify(rest, null, 2) + '\n');
  writeFileSync(`infra/events/${name}.http.json`, JSON.stringify(http, null, 2) + '\n');
}
