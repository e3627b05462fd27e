import type { Membership, PermissionLevel } from '../directory/types.ts';

/**
 * What an admin may do in one company's console, from their membership there:
 * - `view`: the MFA tab and the audit trail (at least `read_only` on Company Admin);
 * - `manage`: change the settings and reset MFA (`admin` on both Company Admin and Directory, as
 *   reset-mfa-for-a-user.txt says).
 * An inactive membership grants nothing. `none` is answered as "not found", never "forbidden",
 * so company ids cannot be probed.
 */
export type CompanyAccess = 'none' | 'view' | 'manage';

const RANK: Record<PermissionLevel, number> = { none: 0, read_only: 1, standard: 2, admin: 3 };

export function atLeast(level: PermissionLevel, needed: PermissionLevel): boolean {
  return RANK[level] >= RANK[needed];
}

export function companyAccess(membership: Membership | undefined): CompanyAccess {
  if (membership?.status !== 'active') return 'none';
  const { companyAdmin, directory } = membership.permissions;
  if (companyAdmin === 'admin' && directory === 'admin') return 'manage';
  return atLeast(companyAdmin, 'read_only') ? 'view' : 'none';
}

/** May the holder of `access` do what `needed` asks? */
export function allows(access: CompanyAccess, needed: 'view' | 'manage'): boolean {
  return needed === 'view' ? access !== 'none' : access === 'manage';
}
