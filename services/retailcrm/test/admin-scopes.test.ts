// missingScopes reads GET /api/credentials as RetailCRM answers it (api-client-php's
// ApiTest::testCredentials): scope names in `scopes`, methods in `credentials`; older accounts send
// methods only, and the scopes are then read from the methods we call.
import { describe, expect, it } from 'vitest';
import { missingScopes, REQUIRED_SCOPES } from '../src/admin/scopes.ts';

describe('missingScopes', () => {
  it('reads `scopes` when RetailCRM sends it (methods are not scope names)', () => {
    expect(
      missingScopes({
        scopes: ['order_read', 'telephony_write', 'user_read'],
        credentials: ['/api/integration-modules/{code}/edit'],
      }),
    ).toEqual(['telephony_read', 'integration_read', 'integration_write']);
    expect(missingScopes({ scopes: [...REQUIRED_SCOPES], credentials: [] })).toEqual([]);
  });

  it('without `scopes`: a scope is granted when every method we call with it is listed (versioned or not)', () => {
    const all = [
      '/api/telephony/manager',
      '/api/telephony/call/event',
      '/api/telephony/calls/upload',
      '/api/integration-modules/{code}',
      '/api/integration-modules/{code}/edit',
      '/api/users',
    ];
    expect(missingScopes({ credentials: all })).toEqual([]);
    expect(missingScopes({ credentials: all.map((m) => m.replace('/api/', '/api/v5/')) })).toEqual([]);
    expect(
      missingScopes({ credentials: ['/api/integration-modules/{code}', '/api/integration-modules/{code}/edit'] }),
    ).toEqual(['telephony_read', 'telephony_write', 'user_read']);
    expect(missingScopes({ credentials: ['/api/telephony/call/event', '/api/users'] })).toEqual([
      'telephony_read',
      'telephony_write',
      'integration_read',
      'integration_write',
    ]);
  });

  it('an answer that is no list grants nothing', () => {
    expect(missingScopes({ credentials: 'x' as unknown as string[] })).toEqual([...REQUIRED_SCOPES]);
    expect(missingScopes({ credentials: [], scopes: null })).toEqual([...REQUIRED_SCOPES]);
  });
});
