import { Readable } from 'node:stream';
import { KinesisClient, KinesisServiceException, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { Sha256 } from '../../support/sigv4.js';
import { createSigner } from '../../../core/sigv4.js';
import { leanPutRecords, parseResponse, serialize } from '../../../core/sink/kinesis/put-records.js';

/** A KinesisClient whose requests are captured and answered with `answer` (no network). */
function capturingClient(region: string, answer = '{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"shardId-000000000000"}]}') {
  const requests: HttpRequest[] = [];
  const client = new KinesisClient({
    region,
    endpoint: 'http://127.0.0.1:4567',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' },
    requestHandler: {
      async handle(request: HttpRequest) {
        requests.push(request);
        return { response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([Buffer.from(answer)]) } };
      },
    },
  });
  return { client, requests };
}

const input: PutRecordsCommandInput = {
  StreamName: 'orders',
  Records: [
    { Data: Buffer.from('{"data":{"id":1}}'), PartitionKey: 'shop.orders.1' },
    { Data: new Uint8Array([0, 255, 10, 34, 92]), PartitionKey: 'k "quoted" \\ ü 😀', ExplicitHashKey: '12345' },
    { Data: new Uint8Array(new ArrayBuffer(16), 4, 3).fill(7), PartitionKey: 'sliced' },
  ],
};

describe('createSigner', () => {
  it.each([
    ['127.0.0.1:4567', 'us-east-1', { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }],
    ['kinesis.eu-west-1.amazonaws.com', 'eu-west-1', { accessKeyId: 'AK2', secretAccessKey: 's3cr3t', sessionToken: 'tok/en+=' }],
  ])('signs as @smithy/signature-v4 does for %s in %s', async (host, region, keys) => {
    const now = new Date('2026-11-30T09:10:11Z');
    const body = serialize(input);
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'content-length': String(Buffer.byteLength(body)), host, 'x-amz-target': 'Kinesis_20131202.PutRecords' };
    const ours: Record<string, string> = { ...headers, 'user-agent': 'dmslite' };
    const sign = createSigner(region, 'kinesis');
    sign({ method: 'POST', url: '/', headers: ours, body }, keys, now.getTime());
    // the signing key is cached: a second request of the day signs the same way
    const again: Record<string, string> = { ...headers };
    sign({ method: 'POST', url: '/', headers: again, body }, keys, now.getTime());
    const sdk = new SignatureV4({ credentials: keys, region, service: 'kinesis', sha256: Sha256, uriEscapePath: true, applyChecksum: false });
    const [hostname, port] = host.split(':');
    const signed = await sdk.sign(
      { method: 'POST', protocol: 'https:', hostname: hostname!, port: port ? Number(port) : undefined, path: '/', query: {}, headers, body },
      { signingDate: now },
    );
    const theirs = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(ours.authorization).toBe(theirs.authorization);
    expect(again.authorization).toBe(theirs.authorization);
    expect(ours['x-amz-date']).toBe(theirs['x-amz-date']);
    expect(ours['x-amz-security-token']).toBe(theirs['x-amz-security-token']);
  });
});

describe('serialize', () => {
  it('writes the body the SDK writes for PutRecords', async () => {
    const { client, requests } = capturingClient('us-east-1');
    await client.send(new PutRecordsCommand(input));
    expect(JSON.parse(serialize(input))).toEqual(JSON.parse(new TextDecoder().decode(requests[0]!.body)));
    expect(JSON.parse(serialize({ StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/s', Records: [] })))
      .toEqual({ StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/s', Records: [] });
  });
});

describe('parseResponse', () => {
  const res = (status: number, body: string, errorType?: string) => ({ status, requestId: 'req-1', errorType, body });
  const thrown = (f: () => unknown): KinesisServiceException => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(KinesisServiceException);
      return e as KinesisServiceException;
    }
    throw new Error('did not throw');
  };

  it('answers the SDK output, per-entry errors included', () => {
    const out = parseResponse(res(200, JSON.stringify({
      FailedRecordCount: 1,
      EncryptionType: 'NONE',
      Records: [{ SequenceNumber: '49', ShardId: 'shardId-000000000001' }, { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' }],
    })));
    expect(out).toEqual({
      $metadata: { httpStatusCode: 200, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 },
      FailedRecordCount: 1,
      EncryptionType: 'NONE',
      Records: [
        { SequenceNumber: '49', ShardId: 'shardId-000000000001', ErrorCode: undefined, ErrorMessage: undefined },
        { SequenceNumber: undefined, ShardId: undefined, ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' },
      ],
    });
  });

  it('names errors as the SDK does: X-Amzn-ErrorType before the colon, else __type after the #', () => {
    const a = thrown(() => parseResponse(res(400, '{"message":"Stream s under account 000000000000 not found."}', 'ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.kinesis/')));
    expect([a.name, a.message, a.$fault, a.$metadata.httpStatusCode]).toEqual(['ResourceNotFoundException', 'Stream s under account 000000000000 not found.', 'client', 400]);
    const b = thrown(() => parseResponse(res(400, '{"__type":"com.amazonaws.kinesis.v20131202#LimitExceededException","Message":"Rate exceeded"}')));
    expect([b.name, b.message]).toEqual(['LimitExceededException', 'Rate exceeded']);
    const c = thrown(() => parseResponse(res(502, '<html>Bad Gateway</html>')));
    expect([c.name, c.$fault, c.$metadata.httpStatusCode]).toEqual(['HttpError502', 'server', 502]);
    expect(c.message).toContain('Bad Gateway');
    const d = thrown(() => parseResponse(res(200, '{"ok":true}')));
    expect(d.name).toBe('InvalidResponse');
  });
});

describe('leanPutRecords', () => {
  it('makes the first call through the SDK and keeps its endpoint and signing scope', async () => {
    const { client } = capturingClient('eu-west-1');
    const puts = leanPutRecords(client);
    const out = await puts.putRecords(input);
    expect(out.Records).toHaveLength(1);
    expect(puts.leanCalls).toBe(0);
    puts.destroy();
  });

  it('stays on the SDK when asked to', async () => {
    const { client, requests } = capturingClient('us-east-1');
    const puts = leanPutRecords(client, { sdkOnly: true });
    await puts.putRecords(input);
    await puts.putRecords(input);
    expect(requests).toHaveLength(2);
    expect(puts.leanCalls).toBe(0);
  });
});
