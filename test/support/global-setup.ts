import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, startKinesalite, type EmbeddedService } from '../../handlers/embedded.js';

// One DynamoDB Local and one kinesalite for the whole run; each test file isolates itself
// with its own state table and stream names.

let services: EmbeddedService[] = [];

export async function setup(project: TestProject) {
  // Both settle before anything is thrown, so a failed start leaves no orphan behind.
  const started = await Promise.allSettled([startDynamoDbLocal(), startKinesalite()]);
  services = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await teardown();
    throw failed.reason;
  }
  const [ddb, kin] = services;
  project.provide('dynamodbEndpoint', ddb.endpoint);
  project.provide('kinesisEndpoint', kin.endpoint);
}

export async function teardown() {
  await Promise.all(services.map((s) => s.stop()));
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    kinesisEndpoint: string;
  }
}
