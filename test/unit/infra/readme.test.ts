import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.js';
import { REPO_ROOT } from '../../support/npm-start.js';

// infra/README.md's SAM section, checked as far as this machine allows (no Docker, no sam): every
// parameter it passes exists in the template, its env file names the table `npm start` creates, and
// the sample events are signed for the region it uses.

const readme = readFileSync(join(REPO_ROOT, 'infra/README.md'), 'utf8');
const template = readFileSync(join(REPO_ROOT, 'infra/template.yaml'), 'utf8');

function templateParameters(): string[] {
  const block = template.slice(template.indexOf('\nParameters:'), template.indexOf('\nConditions:'));
  return [...block.matchAll(/^ {2}([A-Za-z0-9]+):/gm)].map((m) => m[1]);
}

describe('infra/README.md', () => {
  it('passes only parameters the template declares', () => {
    const used = [...readme.matchAll(/--parameter-overrides ([^\n]+)/g)].flatMap((m) => [...m[1].matchAll(/([A-Za-z0-9]+)=/g)].map((p) => p[1]));
    expect(used.length).toBeGreaterThan(3);
    expect(used.filter((p) => !templateParameters().includes(p))).toEqual([]);
  });

  it('invokes functions the template defines, with the local env file naming npm start\'s table', () => {
    for (const m of readme.matchAll(/sam local invoke (\w+)/g)) expect(template).toMatch(new RegExp(`^  ${m[1]}:`, 'm'));
    const env = JSON.parse(readFileSync(join(REPO_ROOT, 'infra/sam-local-env.json'), 'utf8'));
    expect(env.Parameters.DMSLITE_TABLE).toBe(loadConfig({}).stateTable);
    expect(template).toContain('DMSLITE_TABLE: !Ref StateTable');
  });

  it('uses the region the sample events are signed for', () => {
    const dir = join(REPO_ROOT, 'infra/events');
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect([...text.matchAll(/Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//g)].map((m) => m[1]), f).toEqual(expect.arrayContaining(['us-east-1']));
      expect(text, f).not.toMatch(/eu-west-1|us-west-2/);
    }
    expect(readme).toContain('--region us-east-1');
  });
});
