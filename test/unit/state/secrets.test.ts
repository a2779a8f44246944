import { describe, expect, it } from 'vitest';
import { createSecretBox, secretBoxFromEnv } from '../../../core/state/secrets.js';

const box = createSecretBox('a key only this test knows');

function tamper(sealed: string, byteIndex: number): string {
  const raw = Buffer.from(sealed.slice(3), 'base64');
  raw[byteIndex] ^= 0x01;
  return `v1:${raw.toString('base64')}`;
}

describe('secret box', () => {
  it('round-trips passwords, including empty and non-ASCII ones', () => {
    for (const p of ['dms-pass', '', 'pässwörd ✓ 密码', 'x'.repeat(10_000), 'quote"\'\\\n']) {
      expect(box.open(box.seal(p))).toBe(p);
    }
  });

  it('never stores the plaintext and uses a fresh IV every time', () => {
    const a = box.seal('dms-pass');
    const b = box.seal('dms-pass');
    expect(a).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('dms-pass');
    expect(Buffer.from(a.slice(3), 'base64').toString('latin1')).not.toContain('dms-pass');
    // 12-byte IV + 16-byte tag + ciphertext as long as the plaintext.
    expect(Buffer.from(a.slice(3), 'base64')).toHaveLength(12 + 16 + 'dms-pass'.length);
  });

  it('detects tampering with the IV, the tag or the ciphertext', () => {
    const sealed = box.seal('dms-pass');
    for (const i of [0, 11, 12, 27, 28, 28 + 7]) {
      expect(() => box.open(tamper(sealed, i))).toThrow(/unable to authenticate|Unsupported state/);
    }
  });

  it('detects truncation', () => {
    const sealed = box.seal('dms-pass');
    expect(() => box.open(sealed.slice(0, -4))).toThrow();
    expect(() => box.open('v1:')).toThrow();
  });

  it('a box with another key cannot open it', () => {
    expect(() => createSecretBox('another key').open(box.seal('dms-pass'))).toThrow(/unable to authenticate|Unsupported state/);
  });

  it('the same key material opens across instances (a restart)', () => {
    const sealed = createSecretBox('k1').seal('p');
    expect(createSecretBox('k1').open(sealed)).toBe('p');
  });

  it('secretBoxFromEnv uses DMSLITE_SECRET_KEY, else the development key', () => {
    const fromEnv = secretBoxFromEnv({ DMSLITE_SECRET_KEY: 'k1' });
    expect(createSecretBox('k1').open(fromEnv.seal('p'))).toBe('p');
    const dev = secretBoxFromEnv({});
    expect(() => fromEnv.open(dev.seal('p'))).toThrow();
    expect(secretBoxFromEnv({ DMSLITE_SECRET_KEY: '' }).open(dev.seal('p'))).toBe('p');
  });
});
