import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

// Endpoint passwords are stored AES-256-GCM encrypted with a key that never enters the
// state table (DynamoDB Local listens on all interfaces).

export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

export function createSecretBox(keyMaterial: string): SecretBox {
  const key = createHash('sha256').update(keyMaterial).digest();
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
    },
    open(sealed) {
      const raw = Buffer.from(sealed.slice(3), 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

/** The key from DMSLITE_SECRET_KEY; without it a fixed development key, which `npm start` always replaces. */
export function secretBoxFromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox {
  return createSecretBox(env.DMSLITE_SECRET_KEY || 'dmslite-development-key-set-DMSLITE_SECRET_KEY');
}
