// What the admin page hears when RetailCRM fails: its outage is a 502 (try again), its refusal a 422 with
// its reason (fix the key, the scopes, the data) — never a 5xx for what only the admin can change.
import { describe, expect, it } from 'vitest';
import { RetailCrmError } from '@fleet/retailcrm-client';
import { crmFailure } from '../src/index.ts';

describe('crmFailure', () => {
  it('a refused API key is a 422 RCRM_ADMIN_CRM_REFUSED with RetailCRM’s reason (regression: fuzz seed 522704659)', () => {
    const err = crmFailure(
      new RetailCrmError({
        code: 'RCRM_UNAUTHORIZED',
        transient: false,
        status: 403,
        errorMsg: 'Wrong "apiKey" value.',
        message: 'refused',
      }),
    );
    expect(err).toMatchObject({
      statusCode: 422,
      code: 'RCRM_ADMIN_CRM_REFUSED',
      message: 'RetailCRM: Wrong "apiKey" value.',
      details: { crmCode: 'RCRM_UNAUTHORIZED', crmStatus: 403 },
    });
  });

  it('a rejection names the fields RetailCRM objected to', () => {
    const err = crmFailure(
      new RetailCrmError({
        code: 'RCRM_REJECTED',
        transient: false,
        status: 400,
        errorMsg: 'Errors in the entity format',
        errors: { code: 'is invalid' },
        message: 'x',
      }),
    );
    expect(err).toMatchObject({ statusCode: 422, message: 'RetailCRM: Errors in the entity format; code: is invalid' });
  });

  it('RetailCRM unreachable or failing stays a 502 RCRM_ADMIN_CRM_FAILED (try again later)', () => {
    for (const e of [
      new RetailCrmError({ code: 'RCRM_TIMEOUT', transient: true, message: 'RetailCRM did not answer within 3000 ms' }),
      new RetailCrmError({ code: 'RCRM_HTTP_ERROR', transient: true, status: 502, message: 'RetailCRM answered 502' }),
    ]) {
      expect(crmFailure(e)).toMatchObject({ statusCode: 502, code: 'RCRM_ADMIN_CRM_FAILED' });
    }
  });

  it('passes other errors through unchanged', () => {
    const other = new Error('database down');
    expect(crmFailure(other)).toBe(other);
  });
});
