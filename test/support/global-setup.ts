import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, startKinesalite, type EmbeddedService } from '../../handlers/embedded.js';

// One DynamoDB Local and one kinesalite for the whole run; each test file isolates itself
// with its own state table and stream names.

let services: EmbeddedService[] = [];

export async function setup(project: TestProject) {
  const [ddb, kin] = await Promise.all([startDynamoDbLocal(), startKinesalite()]);
  services = [ddb, kin];
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
