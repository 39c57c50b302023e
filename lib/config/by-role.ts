/**
 * The two regions by role: one value per role, made by one function, instead of
 * `{ primary: f('primary'), secondary: f('secondary') }` written out at every use.
 */
import type { RegionRole } from './settings';

/** Primary first: the order the platform comes up in and the plan lists the regions. */
export const ROLES: readonly RegionRole[] = ['primary', 'secondary'];

/** One value per region role. */
export type ByRole<T> = Readonly<Record<RegionRole, T>>;

/** `make` called for the primary, then the secondary (resources register in that order). */
export function byRole<T>(make: (role: RegionRole) => T): ByRole<T> {
  const primary = make('primary');
  return { primary, secondary: make('secondary') };
}

/** The other region's role. */
export function peerOf(role: RegionRole): RegionRole {
  return role === 'primary' ? 'secondary' : 'primary';
}
