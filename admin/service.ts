import type { AuditEventType, AuditLog, AuditPage, AuditQuery } from '../audit/audit_log.ts';
import type { RequestMeta, SecurityEvents } from '../audit/security_events.ts';
import type { DirectoryStore } from '../directory/store.ts';
import type { Company, Membership, User } from '../directory/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { DeadlineNotices } from './deadline_notices.ts';
import { mfaRunByIdp } from '../mfa/policy.ts';
import { applyMfaSettings, deadlineAdvice, type DeadlineAdvice, type MfaSettingsInput } from './mfa_settings.ts';
import { allows, companyAccess, type CompanyAccess } from './permissions.ts';
import type { AccountSessions, MemberMfa } from './ports.ts';
import { mayResetMfa, typedAsListed, type ResetRefusal, type ResetTarget } from './reset_eligibility.ts';

export interface CompanyAdminDeps {
  directory: DirectoryStore;
  mfa: MemberMfa;
  audit: AuditLog;
  events: SecurityEvents;
  sessions: AccountSessions;
  notices: DeadlineNotices;
  clock: Clock;
}

/** The admin's view of one company: what they may do there. */
export interface AdminCompany {
  company: Company;
  access: Exclude<CompanyAccess, 'none'>;
}

export interface MemberStatus {
  userId: string;
  name: string;
  email: string;
  /** Enrolled method ids, in the registry's order (`totp`, `sms`). */
  methods: string[];
  /** Epoch ms of the last successful MFA verification, if the audit log still holds one. */
  lastMfaAt: number | undefined;
  /** Federated with `mfa: "idp"`: the company's IdP runs this member's MFA. */
  mfaAtIdp: boolean;
  /** …and no Procore Pay role needs ours all the same: nothing to enroll here (deadline_notices.ts). */
  mfaOutsideUs: boolean;
}

export type ResetOutcome = { ok: true; user: User } | { ok: false; reason: ResetRefusal };

/** The events that count as an MFA sign-in for "last MFA sign-in". */
const MFA_SIGN_IN: readonly AuditEventType[] = ['mfa.challenge_succeeded', 'mfa.recovery_code_used'];
const LAST_SIGN_IN_SCAN = 50;

/**
 * The company admin's use cases, the same for the console and the API. Each one checks the admin's
 * access to the company first; `undefined` means "no such company" to the caller, whether it does
 * not exist or the admin may not see it (the routes answer 404 for both).
 */
export class CompanyAdmin {
  readonly #deps: CompanyAdminDeps;

  constructor(deps: CompanyAdminDeps) {
    this.#deps = deps;
  }

  /** The companies this admin may see, by name. */
  async companiesOf(adminId: string): Promise<AdminCompany[]> {
    const memberships = await this.#deps.directory.membershipsOfUser(adminId);
    const found = await Promise.all(memberships.map((m) => this.#withAccess(m)));
    return found.filter((entry) => entry !== undefined).sort((a, b) => a.company.name.localeCompare(b.company.name));
  }

  /** The company if this admin may do `needed` there. */
  async company(adminId: string, companyId: string, needed: 'view' | 'manage' = 'view'): Promise<AdminCompany | undefined> {
    const membership = (await this.#deps.directory.membershipsOfUser(adminId)).find((m) => m.companyId === companyId);
    const entry = membership ? await this.#withAccess(membership) : undefined;
    return entry && allows(entry.access, needed) ? entry : undefined;
  }

  /** The page's advice about the deadline (past, short notice). */
  advice(company: Company): DeadlineAdvice {
    return deadlineAdvice(company.mfa, new Date(this.#deps.clock()), company.timeZone);
  }

  /**
   * Saves the MFA settings: the `policy.changed` event names the admin and each changed field, old
   * and new, and a new or moved deadline is announced to the members. Undefined when the admin may
   * not manage the company.
   */
  async saveSettings(adminId: string, companyId: string, input: MfaSettingsInput, meta: RequestMeta): Promise<{ company: Company; changed: string[]; announced: number } | undefined> {
    const { directory, events, notices } = this.#deps;
    const [entry, admin] = await Promise.all([this.company(adminId, companyId, 'manage'), directory.findUser(adminId)]);
    if (!entry || !admin) return undefined;
    const change = applyMfaSettings(entry.company, input);
    const changed = Object.keys(change.changed);
    if (changed.length > 0) {
      const detail: Record<string, string> = { companyId, adminId, adminEmail: admin.email };
      for (const [field, [before, after]] of Object.entries(change.changed)) detail[field] = `${before} → ${after}`;
      // The event first: a save that fails after it leaves a record of an attempt, never a change without one.
      await events.recordForCompany('policy.changed', companyId, meta, detail);
      await directory.saveCompany(change.company);
    }
    // Also when nothing changed: saving again finishes an announcement a failure cut short, and the
    // once-only keys send nobody anything twice.
    const announced = change.announce || changed.length === 0 ? await notices.announce(change.company) : 0;
    return { company: change.company, changed, announced };
  }

  /** The company's active members with their MFA state, by name; `notEnrolledOnly` filters. */
  async memberStatuses(adminId: string, companyId: string, filter: { notEnrolledOnly: boolean }): Promise<MemberStatus[] | undefined> {
    const { directory, mfa, audit } = this.#deps;
    if (!(await this.company(adminId, companyId))) return undefined;
    const members = (await directory.membersOfCompany(companyId)).filter((m) => m.status === 'active');
    const statuses = await Promise.all(
      members.map(async ({ userId }): Promise<MemberStatus | undefined> => {
        const [user, methods, requirement, recent] = await Promise.all([directory.findUser(userId), mfa.enrolledMethods(userId), mfa.requirementOf(userId), audit.forUser(userId, LAST_SIGN_IN_SCAN)]);
        if (!user) return undefined;
        const lastMfaAt = recent.find((event) => MFA_SIGN_IN.includes(event.type))?.at;
        return { userId, name: user.name, email: user.email, methods, lastMfaAt, mfaAtIdp: requirement?.federation?.mode === 'idp', mfaOutsideUs: mfaRunByIdp(requirement) };
      }),
    );
    return statuses
      .filter((status) => status !== undefined)
      .filter((status) => !filter.notEnrolledOnly || (status.methods.length === 0 && !status.mfaOutsideUs))
      .sort((a, b) => a.name.localeCompare(b.name) || a.email.localeCompare(b.email));
  }

  /**
   * Resets a user's MFA after the eligibility checklist (reset_eligibility.ts): the factors and the
   * recovery code go at once, every session, grant and refresh token of the user ends, and the
   * `mfa.reset` event (and its email to the user) names the admin. A failure part-way leaves a state
   * the admin can simply reset again: each step is idempotent.
   */
  async resetMfa(adminId: string, companyId: string, request: { email: string; identityVerified: boolean }, meta: RequestMeta): Promise<ResetOutcome | undefined> {
    const { directory } = this.#deps;
    const [company, adminMemberships, admin] = await Promise.all([directory.findCompany(companyId), directory.membershipsOfUser(adminId), directory.findUser(adminId)]);
    const membership = adminMemberships.find((m) => m.companyId === companyId);
    if (!company || !admin || companyAccess(membership) === 'none') return undefined;
    const target = await this.#target(request.email);
    const verdict = mayResetMfa({ userId: adminId, membership }, target, company, request);
    if (!verdict.ok || !target) return { ok: false, reason: verdict.ok ? 'not_in_directory' : verdict.reason };
    await this.#reset(target.user, meta, { by: 'company_admin', companyId, companyName: company.name, adminId, adminEmail: admin.email, identityVerified: 'true' });
    return { ok: true, user: target.user };
  }

  /** Procore support's reset (`npm run mfa-reset`): no company checklist, a stated reason instead. */
  async supportReset(email: string, reason: string, meta: RequestMeta): Promise<User | undefined> {
    const user = await this.#deps.directory.findUserByEmail(email.trim());
    if (!user) return undefined;
    await this.#reset(user, meta, { by: 'support', reason });
    return user;
  }

  /** A page of the company's audit trail; the email filter matches the directory's address. */
  async auditTrail(adminId: string, companyId: string, query: Omit<AuditQuery, 'userId'> & { email?: string | undefined }): Promise<AuditPage | undefined> {
    const { directory, audit } = this.#deps;
    if (!(await this.company(adminId, companyId))) return undefined;
    const { email, ...rest } = query;
    if (email === undefined || email.trim() === '') return audit.search(companyId, rest);
    const user = await directory.findUserByEmail(email.trim());
    if (!user) return { events: [], next: undefined };
    return audit.search(companyId, { ...rest, userId: user.id });
  }

  /** Display names for the users an audit page mentions. */
  async usersById(ids: readonly string[]): Promise<Map<string, User>> {
    const users = await Promise.all([...new Set(ids)].map((id) => this.#deps.directory.findUser(id)));
    return new Map(users.filter((u) => u !== undefined).map((u) => [u.id, u]));
  }

  async #reset(user: User, meta: RequestMeta, detail: Record<string, string>): Promise<void> {
    const { mfa, sessions, events } = this.#deps;
    await mfa.resetAllFactors(user.id);
    await sessions.endEverySessionOf(user.id);
    await events.record('mfa.reset', user, meta, detail);
  }

  /** The user an admin typed: the directory's address, forgiving only case and surrounding spaces. */
  async #target(typed: string): Promise<ResetTarget | undefined> {
    const { directory, mfa } = this.#deps;
    const email = typed.trim();
    const user = await directory.findUserByEmail(email);
    if (!user || !typedAsListed(email, user.email)) return undefined;
    const [memberships, requirement] = await Promise.all([directory.membershipsOfUser(user.id), mfa.requirementOf(user.id)]);
    return { user, memberships, federation: requirement?.federation };
  }

  async #withAccess(membership: Membership): Promise<AdminCompany | undefined> {
    const access = companyAccess(membership);
    if (access === 'none') return undefined;
    const company = await this.#deps.directory.findCompany(membership.companyId);
    return company ? { company, access } : undefined;
  }
}
