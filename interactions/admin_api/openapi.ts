import { createDocument, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { ApiError, AuditEventPage, AuditQueryParams, CompanyParams, MemberMfaStatusList, MemberStatusQuery, MfaResetDone, MfaResetRefused, MfaResetRequest, MfaSettings } from './schemas.ts';

const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } });

const COMMON_ERRORS: ZodOpenApiResponsesObject = {
  '400': { description: 'The request is malformed', ...json(ApiError) },
  '401': { description: 'No valid access token, or its authentication is not enough (see WWW-Authenticate, RFC 6750 and RFC 9470)', ...json(ApiError) },
  '403': { description: 'The token lacks the admin scope', ...json(ApiError) },
  '404': { description: 'No such company, or not one this user may see', ...json(ApiError) },
};

/** The OpenAPI 3.1 document of the admin API, generated from the schemas that validate it. */
export function adminApiDocument(issuer: string): ReturnType<typeof createDocument> {
  const path = { path: CompanyParams };
  return createDocument({
    openapi: '3.1.0',
    info: { title: 'Company admin API', version: '1.0.0', description: 'MFA settings, member status, MFA resets and the audit trail of the companies the calling user administers.' },
    servers: [{ url: `${issuer}/api/v1` }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: `An access token from ${issuer} for a client registered with the admin scope, from a sign-in with multi-factor authentication.` },
      },
    },
    paths: {
      '/companies/{companyId}/mfa-settings': {
        get: { summary: 'The company’s MFA settings', requestParams: path, responses: { '200': { description: 'The settings', ...json(MfaSettings) }, ...COMMON_ERRORS } },
        put: {
          summary: 'Change the MFA settings (needs a recent authentication)',
          requestParams: path,
          requestBody: json(MfaSettings),
          responses: { '200': { description: 'The saved settings', ...json(MfaSettings) }, ...COMMON_ERRORS },
        },
      },
      '/companies/{companyId}/members/mfa-status': {
        get: { summary: 'Each active member’s MFA state', requestParams: { path: CompanyParams, query: MemberStatusQuery }, responses: { '200': { description: 'The members', ...json(MemberMfaStatusList) }, ...COMMON_ERRORS } },
      },
      '/companies/{companyId}/mfa-resets': {
        post: {
          summary: 'Reset a user’s MFA (needs a recent authentication)',
          requestParams: path,
          requestBody: json(MfaResetRequest),
          responses: { '201': { description: 'Reset', ...json(MfaResetDone) }, '422': { description: 'Refused by the eligibility rules', ...json(MfaResetRefused) }, ...COMMON_ERRORS },
        },
      },
      '/companies/{companyId}/audit-events': {
        get: { summary: 'The company’s security events, newest first', requestParams: { path: CompanyParams, query: AuditQueryParams }, responses: { '200': { description: 'A page of events', ...json(AuditEventPage) }, ...COMMON_ERRORS } },
      },
    },
  });
}
