import assert from 'node:assert/strict';
import { methodLabel, OTHER_ROUTE, routeTemplate, statusClass } from '../../interactions/middleware/route_template.ts';

describe('the route label of the request histogram', () => {
  it('is the template the router matched, never the path with its ids', () => {
    assert.equal(routeTemplate('/auth/:uid', '/auth/Zq3x9-wPq0aB1cD2eF3gH'), '/auth/:uid');
    assert.equal(routeTemplate('/interaction/:uid/mfa/totp', '/interaction/Zq3x9-wPq0aB1cD2eF3gH/mfa/totp'), '/interaction/:uid/mfa/totp');
    assert.equal(routeTemplate('/api/v1/companies/:companyId/mfa-settings', '/api/v1/companies/acme/mfa-settings'), '/api/v1/companies/:companyId/mfa-settings');
    assert.equal(routeTemplate('/token', '/token'), '/token');
  });

  it('a guard that answered before a route matched: its prefix and /*', () => {
    assert.equal(routeTemplate('/interaction/:uid{/*rest}', '/interaction/abc/nope'), '/interaction/:uid/*');
    assert.equal(routeTemplate('/api/v1/companies/:companyId{/*rest}', '/api/v1/companies/acme/x'), '/api/v1/companies/:companyId/*');
    assert.equal(routeTemplate('/admin(?:\\/|$)', '/admin/companies/acme/security/mfa'), '/admin/*');
  });

  it('the paths plain middleware serves are their own label', () => {
    for (const path of ['/', '/healthz', '/readyz', '/metrics', '/sso/callback', '/demo', '/demo/callback']) assert.equal(routeTemplate(undefined, path), path);
    assert.equal(routeTemplate(undefined, '/assets/app.css'), '/assets/:file');
  });

  it('anything else is one label, whatever the path holds', () => {
    for (const path of ['/nope', '/auth/../../etc/passwd', '/interaction', `/${'a'.repeat(5000)}`, '/usr_alice', '/healthz/extra']) assert.equal(routeTemplate(undefined, path), OTHER_ROUTE, path);
    // Only a declared template is trusted: not a value that is no path, nor one absurdly long.
    assert.equal(routeTemplate(42, '/x'), OTHER_ROUTE);
    assert.equal(routeTemplate('no-slash', '/x'), OTHER_ROUTE);
    assert.equal(routeTemplate(`/${'a'.repeat(500)}`, '/x'), OTHER_ROUTE);
  });

  it('methods and statuses come from small fixed sets', () => {
    assert.equal(methodLabel('POST'), 'POST');
    assert.equal(methodLabel('PROPFIND'), 'other');
    assert.equal(methodLabel('get'), 'other');
    assert.deepEqual([200, 204, 302, 303, 400, 401, 404, 429, 500, 503, 0, 999].map(statusClass), ['2xx', '2xx', '3xx', '3xx', '4xx', '4xx', '4xx', '4xx', '5xx', '5xx', '5xx', '5xx']);
  });
});
