import type { DirectoryStore } from '../directory/store.ts';
import type { Company, User } from '../directory/types.ts';
import type { Clock } from '../lib/clock.ts';
import { mfaRunByIdp } from '../mfa/policy.ts';
import type { MailQueue } from '../notify/outbox.ts';
import { daysUntil, effectiveDeadline } from './mfa_settings.ts';
import { deadlineNoticeMail, type DeadlineNoticeKind } from './notice_emails.ts';
import type { MemberMfa } from './ports.ts';

/** Reminders go to members not enrolled yet, this many days before the deadline (in the company's zone). */
export function reminderDue(daysLeft: number): DeadlineNoticeKind | undefined {
  if (daysLeft === 7) return 'remind_7';
  if (daysLeft === 1) return 'remind_1';
  return undefined;
}

/** A member the company's deadline applies to: active in it, an active account, and not one whose MFA a company's IdP runs. */
export interface AffectedMember {
  user: User;
  enrolled: boolean;
}

export interface DeadlineNoticeDeps {
  directory: DirectoryStore;
  mfa: MemberMfa;
  queue: MailQueue;
  clock: Clock;
  productName: string;
  setupUrl: string;
}

/**
 * The deadline emails. Each is queued once per member under a key naming the company, the deadline
 * (date and zone) and the kind, so saving the same deadline again, a second sweep, or a second app
 * instance queues nothing new, and the outbox delivers it durably (notify/).
 */
export class DeadlineNotices {
  readonly #deps: DeadlineNoticeDeps;

  constructor(deps: DeadlineNoticeDeps) {
    this.#deps = deps;
  }

  /**
   * "MFA required from DATE" to every affected member (the enrolled ones hear they are all set),
   * once per announcement: the key carries the company's announcement number (mfa_settings.ts).
   */
  async announce(company: Company): Promise<number> {
    const { date } = effectiveDeadline(company);
    if (date === undefined) return 0;
    return this.#send(company, date, 'announce', `#${company.mfa.announcements ?? 0}:`, await this.affectedMembers(company));
  }

  /** Reminders due today for every company (run periodically by every instance). */
  async sweep(): Promise<number> {
    let queued = 0;
    for (const id of await this.#deps.directory.companyIds()) {
      const company = await this.#deps.directory.findCompany(id);
      if (company) queued += await this.remind(company);
    }
    return queued;
  }

  /** The 7-day or 1-day reminder, when due today, to the members not enrolled yet. */
  async remind(company: Company): Promise<number> {
    const { date } = effectiveDeadline(company);
    if (date === undefined) return 0;
    const kind = reminderDue(daysUntil(date, new Date(this.#deps.clock()), company.timeZone));
    if (!kind) return 0;
    const notEnrolled = (await this.affectedMembers(company)).filter((member) => !member.enrolled);
    return this.#send(company, date, kind, '', notEnrolled);
  }

  async affectedMembers(company: Company): Promise<AffectedMember[]> {
    const { directory, mfa } = this.#deps;
    const members = (await directory.membersOfCompany(company.id)).filter((m) => m.status === 'active');
    const found = await Promise.all(
      members.map(async ({ userId }) => {
        const [user, requirement, methods] = await Promise.all([directory.findUser(userId), mfa.requirementOf(userId), mfa.enrolledMethods(userId)]);
        return user?.status === 'active' && !mfaRunByIdp(requirement) ? { user, enrolled: methods.length > 0 } : undefined;
      }),
    );
    return found.filter((member) => member !== undefined);
  }

  async #send(company: Company, date: string, kind: DeadlineNoticeKind, keyPart: string, members: AffectedMember[]): Promise<number> {
    const { queue, productName, setupUrl } = this.#deps;
    let queued = 0;
    for (const { user, enrolled } of members) {
      const mail = deadlineNoticeMail({ kind, to: { name: user.name, email: user.email, enrolled }, companyName: company.name, date, timeZone: company.timeZone, productName, setupUrl });
      const key = `mfa-deadline:${company.id}:${keyPart}${date}@${company.timeZone}:${kind}:${user.id}`;
      if (await queue.enqueueOnce(key, mail)) queued += 1;
    }
    return queued;
  }
}
