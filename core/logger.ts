import { Logger } from '@aws-lambda-powertools/logger';

// One structured JSON logger for the API and the runner. Never log request bodies or passwords.
export const logger = new Logger({
  serviceName: 'dmslite',
  logLevel: (process.env.DMSLITE_LOG_LEVEL ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO') as 'INFO',
});
