import { describe, expect, it } from 'vitest';
import {
  errorResult,
  isKnownOperation,
  operationFromTarget,
  parseBody,
  regionFromAuthorization,
  successResult,
  validateInput,
} from '../../../core/api/protocol.js';
import { DmsFault, ResourceAlreadyExistsFault } from '../../../core/model/errors.js';
import { fault } from '../../support/faults.js';

describe('operationFromTarget', () => {
  it('returns the operation of a DMS target', () => {
    expect(operationFromTarget('AmazonDMSv20160101.CreateEndpoint')).toBe('CreateEndpoint');
    expect(operationFromTarget('AmazonDMSv20160101.DescribeCertificates')).toBe('DescribeCertificates');
  });

  it('refuses a missing target', () => {
    expect(fault(() => operationFromTarget(undefined))).toEqual({ code: 'UnknownOperationException', message: 'Missing X-Amz-Target header' });
    expect(fault(() => operationFromTarget(''))).toEqual({ code: 'UnknownOperationException', message: 'Missing X-Amz-Target header' });
  });

  it('refuses other prefixes, unknown operations and malformed targets, naming the target', () => {
    for (const t of [
      'AmazonDMSv20160101.NoSuchOperation',
      'AmazonDMSv20160102.CreateEndpoint',
      'amazondmsv20160101.CreateEndpoint',
      'AmazonDMSv20160101.createEndpoint',
      'CreateEndpoint',
      'Kinesis_20131202.ListStreams',
      'AmazonDMSv20160101.',
      '.CreateEndpoint',
      'AmazonDMSv20160101.CreateEndpoint.',
      'x.AmazonDMSv20160101.CreateEndpoint',
    ]) {
      expect(fault(() => operationFromTarget(t))).toEqual({
        code: 'UnknownOperationException',
        message: `Operation ${t} is not recognized by the DMS API`,
      });
    }
  });

  it('does not take Object.prototype members for operations', () => {
    for (const op of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(fault(() => operationFromTarget(`AmazonDMSv20160101.${op}`)).code).toBe('UnknownOperationException');
      expect(isKnownOperation(op)).toBe(false);
    }
    expect(isKnownOperation('TestConnection')).toBe(true);
  });
});

describe('parseBody', () => {
  it('an empty or blank body is an empty input', () => {
    expect(parseBody(undefined)).toEqual({});
    expect(parseBody('')).toEqual({});
    expect(parseBody(' \n\t')).toEqual({});
  });
  it('parses a JSON object', () => {
    expect(parseBody('{"A":1,"B":[true]}')).toEqual({ A: 1, B: [true] });
  });
  it('refuses malformed JSON and non-objects with SerializationException', () => {
    expect(fault(() => parseBody('{"a":'))).toEqual({ code: 'SerializationException', message: 'Request body is not valid JSON' });
    for (const b of ['[]', 'null', '1', '"x"', 'true']) {
      expect(fault(() => parseBody(b))).toEqual({ code: 'SerializationException', message: 'Request body must be a JSON object' });
    }
  });
});

describe('validateInput', () => {
  const endpoint = { EndpointIdentifier: 'e', EndpointType: 'source', EngineName: 'mysql' };

  it('keeps known members and drops unknown and null ones', () => {
    expect(validateInput('CreateEndpoint', { ...endpoint, Port: 3306, Bogus: 1, Username: null })).toEqual({ ...endpoint, Port: 3306 });
  });

  it('ignores members named like Object.prototype properties', () => {
    const input = JSON.parse('{"EndpointIdentifier":"e","EndpointType":"source","EngineName":"mysql","constructor":1,"__proto__":{"x":1},"toString":"s"}');
    const out = validateInput('CreateEndpoint', input);
    expect(out).toEqual(endpoint);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('names a missing required member', () => {
    expect(fault(() => validateInput('CreateEndpoint', { EndpointType: 'source', EngineName: 'mysql' }))).toEqual({
      code: 'InvalidParameterValueException',
      message: 'The request is missing the required parameter EndpointIdentifier',
    });
    expect(fault(() => validateInput('TestConnection', { EndpointArn: 'a', ReplicationInstanceArn: null })).message).toBe(
      'The request is missing the required parameter ReplicationInstanceArn',
    );
  });

  it('names a missing required member inside a list element', () => {
    expect(fault(() => validateInput('DescribeEndpoints', { Filters: [{ Name: 'endpoint-id', Values: ['a'] }, { Name: 'engine-name' }] }))).toEqual({
      code: 'InvalidParameterValueException',
      message: 'The request is missing the required parameter Filters[1].Values',
    });
  });

  it('wrong JSON types are SerializationException', () => {
    expect(fault(() => validateInput('CreateEndpoint', { ...endpoint, Port: '3306' }))).toEqual({ code: 'SerializationException', message: 'Expected an integer for Port' });
    expect(fault(() => validateInput('CreateEndpoint', { ...endpoint, Port: 1.5 })).message).toBe('Expected an integer for Port');
    expect(fault(() => validateInput('CreateEndpoint', { ...endpoint, EndpointIdentifier: 7 }))).toEqual({ code: 'SerializationException', message: 'Expected a string for EndpointIdentifier' });
    expect(fault(() => validateInput('DescribeReplicationTasks', { WithoutSettings: 'true' }))).toEqual({ code: 'SerializationException', message: 'Expected a boolean for WithoutSettings' });
    expect(fault(() => validateInput('DescribeEndpoints', { Filters: { Name: 'x' } }))).toEqual({ code: 'SerializationException', message: 'Expected a list for Filters' });
    expect(fault(() => validateInput('DescribeEndpoints', { Filters: ['x'] }))).toEqual({ code: 'SerializationException', message: 'Expected an object for Filters[0]' });
    expect(fault(() => validateInput('DescribeEndpoints', { Filters: [{ Name: 'a', Values: [1] }] }))).toEqual({ code: 'SerializationException', message: 'Expected a string for Filters[0].Values[0]' });
    expect(fault(() => validateInput('CreateEndpoint', { ...endpoint, KinesisSettings: 'x' }))).toEqual({ code: 'SerializationException', message: 'Expected an object for KinesisSettings' });
    expect(fault(() => validateInput('CreateEndpoint', { ...endpoint, KinesisSettings: { IncludeNullAndEmpty: 1 } })).message).toBe('Expected a boolean for KinesisSettings.IncludeNullAndEmpty');
  });

  it('refuses an invalid enum value, listing the valid ones', () => {
    expect(fault(() => validateInput('CreateEndpoint', { ...endpoint, EndpointType: 'SOURCE' }))).toEqual({
      code: 'InvalidParameterValueException',
      message: "Invalid value 'SOURCE' for EndpointType. Valid values: source, target",
    });
    expect(fault(() => validateInput('StartReplicationTask', { ReplicationTaskArn: 'a', StartReplicationTaskType: 'start' })).message).toBe(
      "Invalid value 'start' for StartReplicationTaskType. Valid values: start-replication, resume-processing, reload-target",
    );
  });

  it('timestamps: epoch seconds pass, ISO-8601 text becomes epoch seconds, anything else is refused', () => {
    const base = { ReplicationTaskArn: 'a', StartReplicationTaskType: 'start-replication' };
    expect(validateInput('StartReplicationTask', { ...base, CdcStartTime: 1590524772.505 }).CdcStartTime).toBe(1590524772.505);
    expect(validateInput('StartReplicationTask', { ...base, CdcStartTime: '2020-05-26T20:26:12Z' }).CdcStartTime).toBe(1590524772);
    expect(fault(() => validateInput('StartReplicationTask', { ...base, CdcStartTime: 'yesterday' }))).toEqual({ code: 'SerializationException', message: 'Expected a timestamp for CdcStartTime' });
    expect(fault(() => validateInput('StartReplicationTask', { ...base, CdcStartTime: true })).code).toBe('SerializationException');
  });

  it('the whole input must be an object', () => {
    expect(fault(() => validateInput('DescribeEndpoints', [] as unknown as Record<string, unknown>))).toEqual({ code: 'SerializationException', message: 'Expected an object for request' });
  });

  it('an operation without an input shape takes nothing', () => {
    expect(validateInput('RunFleetAdvisorLsaAnalysis', { Anything: 1 })).toEqual({});
    expect(validateInput('NoSuchOperation', { Anything: 1 })).toEqual({});
  });
});

describe('regionFromAuthorization', () => {
  it('reads the region of the SigV4 credential scope', () => {
    expect(regionFromAuthorization('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/eu-west-1/dms/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc')).toBe('eu-west-1');
    expect(regionFromAuthorization('AWS4-HMAC-SHA256 Credential=test/20991231/ap-southeast-2/kinesis/aws4_request,SignedHeaders=host,Signature=0')).toBe('ap-southeast-2');
    expect(regionFromAuthorization('AWS4-HMAC-SHA256 Credential=test/20240101/us-gov-west-1/dms/aws4_request')).toBe('us-gov-west-1');
  });
  it('is undefined without a usable credential scope', () => {
    for (const a of [undefined, '', 'Bearer x', 'AWS4-HMAC-SHA256 Credential=AKID/2024/eu-west-1/dms/aws4_request', 'AWS4-HMAC-SHA256 Credential=AKID/20240101/EU-WEST-1/dms/aws4_request', 'AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1']) {
      expect(regionFromAuthorization(a)).toBeUndefined();
    }
  });
});

describe('results', () => {
  it('success: 200, JSON 1.1 content type, request id', () => {
    expect(successResult('req-1', { A: 1 })).toEqual({
      statusCode: 200,
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': 'req-1' },
      body: '{"A":1}',
    });
  });
  it('a fault: 400 with __type, message and its extra members', () => {
    const r = errorResult('req-2', new ResourceAlreadyExistsFault('exists', 'arn:x'));
    expect(r.statusCode).toBe(400);
    expect(r.headers).toEqual({ 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': 'req-2', 'x-amzn-ErrorType': 'ResourceAlreadyExistsFault' });
    expect(JSON.parse(r.body)).toEqual({ __type: 'ResourceAlreadyExistsFault', message: 'exists', resourceArn: 'arn:x' });
  });
  it('anything else: 400 InternalFailure without internal detail', () => {
    const r = errorResult('req-3', new TypeError('secret internals'));
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ __type: 'InternalFailure', message: 'An internal error occurred in dmslite; see its log for details' });
  });
});
