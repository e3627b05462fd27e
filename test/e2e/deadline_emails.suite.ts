import assert from 'node:assert/strict';
import type { MfaSettingsInput } from '../../admin/mfa_settings.ts';
import { manualClock, type ManualClock } from '../../lib/clock.ts';
import { ADA, ADMIN_SEED, consoleSignIn, csrfIn, follow, noticeIn } from '../helpers/admin.ts';
import { Browser } from '../helpers/browser.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { subjectOf, textOf } from '../helpers/mail_text.ts';
import { freePort } from '../helpers/redis_server.ts';
import { TestSmtpServer, type ReceivedMail } from '../helpers/smtp.ts';

/** Monday, January 4, 2027, 13:00 in Berlin: eight weeks before the deadline the tests set. */
export const START = Date.UTC(2027, 0, 4, 12, 0, 0);
export const DEADLINE = '2027-03-01';
export const MOVED = '2027-04-12';
export const META = { ip: '127.0.0.1', userAgent: 'test' };
/** The app's first retry after a failed send (notify/retry_policy.ts). */
export const FIRST_RETRY_MS = 30_000;

export const ANNOUNCED = 'Groundwork ID: MFA required from Monday, March 1, 2027 (Europe/Berlin)';
export const ANNOUNCED_MOVED = 'Groundwork ID: MFA required from Monday, April 12, 2027 (Europe/Berlin)';
export const REMINDER_7 = 'Groundwork ID: Reminder: MFA required in 7 days, from Monday, March 1, 2027 (Europe/Berlin)';
export const REMINDER_1 = 'Groundwork ID: Reminder: MFA required tomorrow, Monday, March 1, 2027 (Europe/Berlin)';

/** Ridge's active members the deadline applies to: ian is a member too, but corp's IdP runs his MFA. */
export const ENROLLED = ['ada@ridge.test', 'ray@ridge.test', 'Tom.Smith@ridge.test'];
export const NOT_ENROLLED = ['nell@ridge.test', 'pia@ridge.test'];
export const AFFECTED = [...ENROLLED, ...NOT_ENROLLED];

export function ridgeSettings(enforcementDate: string, overrides: Partial<MfaSettingsInput> = {}): MfaSettingsInput {
  return { required: true, enforcementDate, timeZone: 'Europe/Berlin', reverify: '30d', ...overrides };
}

/** Saves ridge's MFA settings as Ada, through the use case the console and the API call. */
export async function saveAsAda(running: RunningIdp, input: MfaSettingsInput): Promise<{ changed: string[]; announced: number }> {
  const saved = await running.idp.admin.saveSettings(ADA.id, 'ridge', input, META);
  assert.ok(saved, 'Ada manages ridge');
  return saved;
}

/** An instant written with Berlin's offset; February 2027 is all CET (UTC+1), DST starts March 28. */
export const berlin = (localDateTime: string): number => Date.parse(`${localDateTime}+01:00`);

export function moveTo(clock: ManualClock, at: number): void {
  assert.ok(at >= clock(), 'the clock only moves forward');
  clock.advance(at - clock());
}

/** The deadline emails received, "recipient | subject" in arrival order (other emails left out). */
export function deadlineMails(received: readonly ReceivedMail[]): string[] {
  return received.filter((m) => subjectOf(m.raw).includes('MFA required')).map((m) => `${m.to.join(',')} | ${subjectOf(m.raw)}`);
}

/** One line per recipient and subject, sorted: an exact list shows each email arrived once and no one else got one. */
export function each(recipients: readonly string[], ...subjects: string[]): string[] {
  return recipients.flatMap((to) => subjects.map((subject) => `${to} | ${subject}`)).sort();
}

export const sorted = (lines: readonly string[]): string[] => [...lines].sort();

export function onlyMailTo(received: readonly ReceivedMail[], address: string): ReceivedMail {
  const found = received.filter((m) => m.to.includes(address));
  assert.equal(found.length, 1, `one email to ${address}`);
  return found[0]!;
}

/** An SMTP URL where nothing listens (yet): every send fails at once, connection refused. */
export async function smtpDownUrl(): Promise<{ url: string; port: number }> {
  const port = await freePort();
  return { url: `smtp://127.0.0.1:${port}`, port };
}

/** The MFA enforcement deadline emails (issue 11), through the real outbox and a real SMTP server. */
export function deadlineEmailsSuite(backend: () => Backend): void {
  let clock: ManualClock;
  let smtp: TestSmtpServer;
  let running: RunningIdp | undefined;

  beforeEach(() => {
    clock = manualClock(START);
    smtp = new TestSmtpServer();
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
    await smtp.stop();
  });

  const start = async (smtpUrl = smtp.url): Promise<RunningIdp> => {
    running = await startIdp(backend(), { clock, smtpUrl, env: { SEED_FILE: ADMIN_SEED } });
    return running;
  };

  it('setting a deadline emails every affected member once: the date in the company’s zone, the set-up steps to those not enrolled', async () => {
    await smtp.start();
    const idp = await start();

    const saved = await saveAsAda(idp, ridgeSettings(DEADLINE));
    assert.equal(saved.announced, 5);
    await idp.idp.mail.drain();

    assert.deepEqual(sorted(deadlineMails(smtp.received)), each(AFFECTED, ANNOUNCED));
    assert.deepEqual(smtp.to('ian@corp.test'), [], 'corp’s IdP runs Ian’s MFA: ridge’s deadline asks nothing of him');

    const news = 'Ridge Builders requires multi-factor authentication (MFA) to sign in to Groundwork ID from Monday, March 1, 2027 (Europe/Berlin).';
    for (const address of NOT_ENROLLED) {
      const text = textOf(onlyMailTo(smtp.received, address).raw);
      assert.ok(text.includes(news), text);
      assert.ok(text.includes(`1. Go to My Profile Settings › Password & Security: ${idp.issuer}/account/security`), 'the set-up link');
      assert.ok(text.includes('recovery code'));
      assert.ok(!text.includes("You're all set"));
    }
    for (const address of ENROLLED) {
      const text = textOf(onlyMailTo(smtp.received, address).raw);
      assert.ok(text.includes(news), text);
      assert.ok(text.includes("You're all set"));
      assert.ok(!text.includes('Add Authenticator App'), 'nothing to set up');
    }
    assert.ok(textOf(onlyMailTo(smtp.received, 'nell@ridge.test').raw).startsWith('Hello Nell New,\n'));
  });

  it('the date is the company’s calendar day, named with its zone', async () => {
    await smtp.start();
    const idp = await start();
    assert.equal((await saveAsAda(idp, ridgeSettings(DEADLINE, { timeZone: 'Pacific/Kiritimati' }))).announced, 5);
    await idp.idp.mail.drain();
    // The calendar date the admin set, however far the zone is from UTC (+14 here), and its zone.
    assert.deepEqual(sorted(deadlineMails(smtp.received)), each(AFFECTED, 'Groundwork ID: MFA required from Monday, March 1, 2027 (Pacific/Kiritimati)'));

    // The same date read in another zone is another moment: the members hear of it again.
    assert.equal((await saveAsAda(idp, ridgeSettings(DEADLINE))).announced, 5);
    await idp.idp.mail.drain();
    assert.deepEqual(sorted(deadlineMails(smtp.received).filter((line) => line.endsWith('(Europe/Berlin)'))), each(AFFECTED, ANNOUNCED));
  });

  it('saving the same deadline again sends nothing; a moved deadline is announced once; moving it back announces it again', async () => {
    await smtp.start();
    const idp = await start();
    await saveAsAda(idp, ridgeSettings(DEADLINE));
    await idp.idp.mail.drain();
    assert.equal(deadlineMails(smtp.received).length, 5);

    assert.deepEqual(await saveAsAda(idp, ridgeSettings(DEADLINE)), { company: (await idp.idp.stores.directory.findCompany('ridge'))!, changed: [], announced: 0 });
    const reverifyOnly = await saveAsAda(idp, ridgeSettings(DEADLINE, { reverify: '7d' }));
    assert.deepEqual([reverifyOnly.changed, reverifyOnly.announced], [['reverify'], 0], 'another setting changed, not the deadline');
    await idp.idp.mail.drain();
    assert.equal(deadlineMails(smtp.received).length, 5, 'nothing new');

    clock.advance(3_600_000);
    assert.equal((await saveAsAda(idp, ridgeSettings(MOVED))).announced, 5);
    await idp.idp.mail.drain();
    assert.equal((await saveAsAda(idp, ridgeSettings(MOVED))).announced, 0);
    await idp.idp.mail.drain();
    assert.deepEqual(sorted(deadlineMails(smtp.received).slice(5)), each(AFFECTED, ANNOUNCED_MOVED));

    clock.advance(3_600_000);
    assert.equal((await saveAsAda(idp, ridgeSettings(DEADLINE))).announced, 5, 'back to March 1: the members were last told April 12');
    await idp.idp.mail.drain();
    assert.deepEqual(sorted(deadlineMails(smtp.received).slice(10)), each(AFFECTED, ANNOUNCED));

    clock.advance(3_600_000);
    assert.equal((await saveAsAda(idp, ridgeSettings(MOVED))).announced, 5, 'and to April 12 again: each move is its own announcement');
    await idp.idp.mail.drain();

    for (const address of AFFECTED) {
      const told = smtp.received.filter((m) => m.to.includes(address)).map((m) => subjectOf(m.raw));
      assert.deepEqual(told, [ANNOUNCED, ANNOUNCED_MOVED, ANNOUNCED, ANNOUNCED_MOVED], `${address} heard each change once, in order`);
    }
    assert.deepEqual(smtp.to('ian@corp.test'), []);
  });

  it('no longer requiring MFA announces nothing; requiring it again from a new date announces that date', async () => {
    await smtp.start();
    const idp = await start();
    await saveAsAda(idp, ridgeSettings(DEADLINE));
    assert.equal((await saveAsAda(idp, ridgeSettings(DEADLINE, { required: false }))).announced, 0);
    assert.equal((await saveAsAda(idp, ridgeSettings(MOVED, { required: false }))).announced, 0, 'a date without "Require MFA" is no deadline');
    assert.equal((await saveAsAda(idp, ridgeSettings(MOVED))).announced, 5);
    await idp.idp.mail.drain();
    assert.deepEqual(sorted(deadlineMails(smtp.received)), sorted([...each(AFFECTED, ANNOUNCED), ...each(AFFECTED, ANNOUNCED_MOVED)]));
  });

  it('reminders go to the members not enrolled, 7 days and 1 day before the deadline as Berlin counts days, once each', async () => {
    await smtp.start();
    const idp = await start();
    const { notices } = idp.idp;
    assert.equal(await notices.sweep(), 0, 'no deadline yet');
    await saveAsAda(idp, ridgeSettings(DEADLINE));
    await idp.idp.mail.drain();
    smtp.received.length = 0;
    assert.equal(await notices.sweep(), 0, 'eight weeks ahead');

    // 22:30 UTC on February 21 is still the 21st in Berlin (8 days ahead), and 23:30 UTC is already
    // the 22nd there (7 days) while it is the 21st in UTC: the reminder follows Berlin's midnight.
    moveTo(clock, berlin('2027-02-21T23:30:00'));
    assert.equal(await notices.sweep(), 0, '23:30 in Berlin, 8 days ahead');
    moveTo(clock, berlin('2027-02-22T00:30:00'));
    assert.equal(new Date(clock()).toISOString().slice(0, 10), '2027-02-21', 'still the 21st in UTC');
    assert.equal(await notices.sweep(), 2, '00:30 in Berlin, 7 days ahead');
    assert.equal(await notices.sweep(), 0, 'a second sweep the same day');
    moveTo(clock, berlin('2027-02-22T23:50:00'));
    assert.equal(await notices.sweep(), 0, 'later the same day in Berlin');
    await idp.idp.mail.drain();
    assert.deepEqual(sorted(deadlineMails(smtp.received)), each(NOT_ENROLLED, REMINDER_7));

    for (const day of ['2027-02-23', '2027-02-24', '2027-02-25', '2027-02-26', '2027-02-27']) {
      for (const time of ['00:10:00', '12:00:00', '23:50:00']) {
        moveTo(clock, berlin(`${day}T${time}`));
        assert.equal(await notices.sweep(), 0, `${day} ${time} in Berlin`);
      }
    }
    moveTo(clock, berlin('2027-02-28T00:10:00'));
    assert.equal(new Date(clock()).toISOString().slice(0, 10), '2027-02-27', 'still the 27th in UTC');
    assert.equal(await notices.sweep(), 2, 'the day before, in Berlin');
    assert.equal(await notices.sweep(), 0);
    moveTo(clock, berlin('2027-02-28T23:50:00'));
    assert.equal(await notices.sweep(), 0);
    for (const day of ['2027-03-01', '2027-03-02', '2027-03-08']) {
      moveTo(clock, berlin(`${day}T00:10:00`));
      assert.equal(await notices.sweep(), 0, `${day}: on and after the deadline`);
    }
    await idp.idp.mail.drain();

    assert.deepEqual(sorted(deadlineMails(smtp.received)), sorted([...each(NOT_ENROLLED, REMINDER_7), ...each(NOT_ENROLLED, REMINDER_1)]));
    const reminder = textOf(smtp.received.find((m) => m.to.includes('nell@ridge.test') && subjectOf(m.raw) === REMINDER_1)!.raw);
    assert.ok(reminder.includes(`${idp.issuer}/account/security`), reminder);
  });

  it('a moved deadline gets its own reminders', async () => {
    await smtp.start();
    const idp = await start();
    await saveAsAda(idp, ridgeSettings(DEADLINE));
    moveTo(clock, berlin('2027-02-22T09:00:00'));
    assert.equal(await idp.idp.notices.sweep(), 2, 'March 1 is 7 days away');
    assert.equal((await saveAsAda(idp, ridgeSettings('2027-03-08'))).announced, 5);
    assert.equal(await idp.idp.notices.sweep(), 0, 'March 8 is 14 days away');
    moveTo(clock, berlin('2027-03-01T09:00:00'));
    assert.equal(await idp.idp.notices.sweep(), 2, 'March 8 is 7 days away');
    await idp.idp.mail.drain();
    assert.deepEqual(
      sorted(deadlineMails(smtp.received)),
      sorted([
        ...each(AFFECTED, ANNOUNCED),
        ...each(NOT_ENROLLED, REMINDER_7),
        ...each(AFFECTED, 'Groundwork ID: MFA required from Monday, March 8, 2027 (Europe/Berlin)'),
        ...each(NOT_ENROLLED, 'Groundwork ID: Reminder: MFA required in 7 days, from Monday, March 8, 2027 (Europe/Berlin)'),
      ]),
    );
  });

  it('with SMTP down the save succeeds; once SMTP is back and the backoff has passed, every email arrives exactly once', async () => {
    const down = await smtpDownUrl();
    const idp = await start(down.url);

    const saved = await saveAsAda(idp, ridgeSettings(DEADLINE));
    assert.equal(saved.announced, 5, 'queued, not sent');
    assert.equal((await idp.idp.stores.directory.findCompany('ridge'))?.mfa.enforcementDate, DEADLINE);
    await idp.idp.mail.drain(); // each tried, refused, rescheduled in 30 s

    await smtp.start(down.port);
    await idp.idp.mail.drain();
    assert.deepEqual(smtp.received, [], 'nothing is due before the backoff has passed');

    clock.advance(FIRST_RETRY_MS);
    await idp.idp.mail.drain();
    assert.deepEqual(sorted(deadlineMails(smtp.received)), each(AFFECTED, ANNOUNCED));

    clock.advance(24 * 3_600_000);
    await idp.idp.mail.drain();
    assert.equal(smtp.received.length, 5, 'a sent email is never sent again');
  });

  it('with SMTP stopped between the announcement and a reminder, the reminder waits for it and arrives once', async () => {
    await smtp.start();
    const idp = await start();
    await saveAsAda(idp, ridgeSettings(DEADLINE));
    await idp.idp.mail.drain();
    const port = smtp.port;
    await smtp.stop();

    moveTo(clock, berlin('2027-02-28T08:00:00'));
    assert.equal(await idp.idp.notices.sweep(), 2);
    await idp.idp.mail.drain();
    clock.advance(FIRST_RETRY_MS);
    await idp.idp.mail.drain(); // refused again: the next try is 60 s later
    assert.equal(await idp.idp.notices.sweep(), 0, 'the sweep does not queue it again while it waits');

    smtp = new TestSmtpServer();
    await smtp.start(port);
    clock.advance(2 * FIRST_RETRY_MS);
    await idp.idp.mail.drain();
    assert.deepEqual(sorted(deadlineMails(smtp.received)), each(NOT_ENROLLED, REMINDER_1));
  });

  it('through the console’s form: the admin is told how many members will be emailed, and they are', async () => {
    await smtp.start();
    const idp = await start();
    const browser = new Browser(idp.issuer);
    const mfaTab = '/admin/companies/ridge/security/mfa';
    const page = await consoleSignIn(browser, ADA, clock, mfaTab);
    assert.equal(page.status, 200, page.body.slice(0, 300));

    const saved = await browser.post(mfaTab, { _csrf: csrfIn(page), required: 'on', enforcementDate: DEADLINE, timeZone: 'Europe/Berlin', reverify: '30d' });
    assert.equal(saved.status, 303, saved.body.slice(0, 300));
    assert.equal(noticeIn(await follow(browser, saved)), 'Settings saved. 5 members will be emailed about the deadline.');
    await idp.idp.mail.drain();
    assert.deepEqual(sorted(deadlineMails(smtp.received)), each(AFFECTED, ANNOUNCED));

    const again = await browser.post(mfaTab, { _csrf: csrfIn(page), required: 'on', enforcementDate: DEADLINE, timeZone: 'Europe/Berlin', reverify: '30d' });
    assert.equal(noticeIn(await follow(browser, again)), 'Nothing changed.');
    await idp.idp.mail.drain();
    assert.equal(deadlineMails(smtp.received).length, 5);
  });
}
