import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AdapterFactory } from 'oidc-provider';
import { hashPassword } from '../directory/passwords.ts';
import { DomainClaimedError, type DirectoryStore } from '../directory/store.ts';
import { sealClientSecret } from '../sso/client_secret.ts';
import type { Company, Membership, User } from '../directory/types.ts';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { withSealedClientSecrets } from '../adapters/sealed_client_secrets.ts';
import { toClientMetadata } from '../provider/clients.ts';
import type { SecretBox } from '../lib/secret_box.ts';
import type { Config } from '../config/config.ts';
import type { MfaFactorStore } from '../mfa/store.ts';
import { parseSeed, SeedError, type Seed, type SeedRules } from './schema.ts';

export interface SeedSummary {
  companies: number;
  users: number;
  clients: number;
}

/** The deployment's rules a seed must follow (see `SeedRules`). */
export function seedRules(config: Pick<Config, 'env' | 'sms'>): SeedRules {
  return { smsCountries: config.sms.countries, allowLoopbackHttpIssuers: config.env !== 'production' };
}

/** Reads and validates a seed file; a file that does not parse is rejected before anything is written. */
export async function readSeedFile(path: string, rules?: SeedRules): Promise<Seed> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SeedError([`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SeedError([`${path} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`]);
  }
  return parseSeed(json, rules);
}

/**
 * Imports a validated seed. All records are built (and passwords hashed) before the first write, so
 * a bad file changes nothing. Users are matched by email: a re-import keeps their id (the `sub`).
 */
export interface SeedTargets {
  directory: DirectoryStore;
  oidcAdapter: AdapterFactory;
  mfaFactors: MfaFactorStore;
  box: SecretBox;
}

export async function importSeed(seed: Seed, stores: SeedTargets): Promise<SeedSummary> {
  const companies: Company[] = seed.companies.map((c) => ({
    id: c.id,
    name: c.name,
    emailDomains: c.emailDomains.map((d) => d.toLowerCase()),
    timeZone: c.timeZone,
    mfa: { required: c.mfa.required, enforcementDate: c.mfa.enforcementDate, reverify: c.mfa.reverify },
    sso: c.sso && {
      type: c.sso.type,
      issuer: c.sso.issuer,
      clientId: c.sso.clientId,
      sealedClientSecret: sealClientSecret(stores.box, c.id, c.sso.clientSecret),
      scopes: c.sso.scopes,
      mfa: c.sso.mfa,
      jit: c.sso.jit,
      mfaAcrValues: c.sso.mfaAcrValues,
    },
  }));

  const users = await Promise.all(
    seed.users.map(async (u): Promise<{ user: User; memberships: Membership[]; totpSecret: string | undefined; smsPhone: string | undefined }> => {
      const existing = await stores.directory.findUserByEmail(u.email);
      const id = u.id ?? existing?.id ?? `usr_${randomBytes(12).toString('base64url')}`;
      const user: User = {
        id,
        email: u.email,
        emailVerified: u.emailVerified,
        name: u.name,
        givenName: u.givenName,
        familyName: u.familyName,
        passwordHash: u.password === undefined ? existing?.passwordHash : await hashPassword(u.password),
        status: u.status,
      };
      const memberships = u.memberships.map((m) => ({
        userId: id,
        companyId: m.company,
        status: m.status,
        permissions: m.permissions,
        payRoles: m.payRoles,
      }));
      return { user, memberships, totpSecret: u.totp?.secret.replace(/=+$/, ''), smsPhone: u.smsPhone };
    }),
  );

  const domainProblems = await ssoDomainConflicts(companies, stores.directory);
  if (domainProblems.length > 0) throw new SeedError(domainProblems);
  // Companies that give up SSO domains are saved first, so one file can move a domain between companies.
  const releasing = new Set<string>();
  for (const company of companies) {
    const stored = await stores.directory.findCompany(company.id);
    const keeps = new Set(company.sso ? company.emailDomains : []);
    if (stored?.sso && stored.emailDomains.some((d) => !keeps.has(d))) releasing.add(company.id);
  }
  for (const company of [...companies].sort((a, b) => Number(releasing.has(b.id)) - Number(releasing.has(a.id)))) {
    try {
      await stores.directory.saveCompany(company);
    } catch (err) {
      // Only a swap of domains between two companies in one file gets here: import it in two steps.
      if (err instanceof DomainClaimedError) throw new SeedError([`companies[${companies.indexOf(company)}].emailDomains: ${err.message}`]);
      throw err;
    }
  }
  for (const { user, memberships, totpSecret, smsPhone } of users) {
    await stores.directory.saveUser(user);
    for (const membership of memberships) await stores.directory.saveMembership(membership);
    if (totpSecret) await stores.mfaFactors.saveTotp(user.id, { sealedSecret: stores.box.seal(totpSecret, user.id), createdAt: Date.now() }, 0);
    const country = smsPhone ? parsePhoneNumberFromString(smsPhone)?.country : undefined;
    if (smsPhone && country) await stores.mfaFactors.savePhone(user.id, { e164: smsPhone, country, createdAt: Date.now() });
  }
  // Through the same sealing adapter the provider reads with: the secret is stored encrypted.
  const clientStore = withSealedClientSecrets(stores.oidcAdapter, stores.box)('Client');
  for (const client of seed.clients) {
    const metadata = toClientMetadata(client);
    await clientStore.upsert(client.client_id, metadata);
  }
  return { companies: companies.length, users: users.length, clients: seed.clients.length };
}

/**
 * SSO domains that a company already stored, and not in this file, routes to its own IdP: found
 * before anything is written, so a refused file changes nothing.
 */
async function ssoDomainConflicts(companies: Company[], directory: DirectoryStore): Promise<string[]> {
  const inFile = new Set(companies.map((c) => c.id));
  const problems: string[] = [];
  for (const [i, company] of companies.entries()) {
    if (!company.sso) continue;
    for (const domain of company.emailDomains) {
      const owner = await directory.ssoCompanyForDomain(domain);
      if (owner && owner.id !== company.id && !inFile.has(owner.id)) {
        problems.push(`companies[${i}].emailDomains: email domain ${domain} already signs in through the SSO of company "${owner.id}"`);
      }
    }
  }
  return problems;
}
