import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { Sha256 } from '../../support/sigv4.js';
import { signRequest } from '../../../core/console/sigv4.js';

// The WebCrypto signer used by the console and the CLI must sign exactly as the AWS SDK does.
describe('signRequest', () => {
  it.each([
    ['http://127.0.0.1:4566/', 'us-east-1', { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }],
    ['http://localhost:9/', 'eu-west-1', { accessKeyId: 'AK2', secretAccessKey: 's3cr3t', sessionToken: 'tok en' }],
  ])('matches @smithy/signature-v4 for %s in %s', async (url, region, keys) => {
    const now = new Date('2026-11-30T09:10:11Z');
    const body = JSON.stringify({ Filters: [{ Name: 'replication-task-id', Values: ['ü-task'] }] });
    const headers = { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AmazonDMSv20160101.DescribeReplicationTasks' };
    const ours = await signRequest({ method: 'POST', url, headers, body }, keys, region, 'dms', now);
    const u = new URL(url);
    const sdk = new SignatureV4({ credentials: keys, region, service: 'dms', sha256: Sha256, uriEscapePath: true, applyChecksum: false });
    const signed = await sdk.sign(
      { method: 'POST', protocol: u.protocol, hostname: u.hostname, port: Number(u.port), path: u.pathname, query: {}, headers: { ...headers, host: u.host }, body },
      { signingDate: now },
    );
    const theirs = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(ours.Authorization).toBe(theirs.authorization);
    expect(ours['X-Amz-Date']).toBe(theirs['x-amz-date']);
  });
});
