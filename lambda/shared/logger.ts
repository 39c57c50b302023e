import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs (Powertools); the service name comes from POWERTOOLS_SERVICE_NAME. */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName });
}
