/** AWS errors as the orchestrator must tell them apart: no permission, a refusal, anything else. */

const PERMISSION_ERRORS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'AuthorizationErrorException',
]);

export function isPermissionError(error: unknown): boolean {
  return PERMISSION_ERRORS.has((error as { name?: string })?.name ?? '');
}

/**
 * FailoverGlobalCluster's own refusals (RDS API reference, FailoverGlobalCluster "Errors"): the
 * request was understood and not carried out, so nothing changed. A timeout or a connection error
 * is not one: the call may have been accepted.
 */
const REFUSALS = new Set([
  'InvalidGlobalClusterStateFault',
  'InvalidDBClusterStateFault',
  'GlobalClusterNotFoundFault',
  'DBClusterNotFoundFault',
]);

export function isRefusal(error: unknown): boolean {
  return REFUSALS.has((error as { name?: string })?.name ?? '');
}

/** An error as one line for logs and notifications. */
export const errorText = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
