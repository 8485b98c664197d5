import { describe, expect, it } from 'vitest';
import { sessionFromToken } from './api';

const token = (claims: Record<string, unknown>) =>
  `h.${btoa(JSON.stringify(claims)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}.s`;

describe("the session from the token's claims", () => {
  it('tells managers, desk staff and housekeepers apart, with their vendor', () => {
    expect(sessionFromToken(token({ role: 'staff', manager: true, vendor_id: 'v1' }), 900, 0)).toEqual({
      token: expect.any(String),
      vendorId: 'v1',
      role: 'manager',
      expiresAt: 900_000,
    });
    expect(sessionFromToken(token({ role: 'staff', vendor_id: 'v1' }), 900)?.role).toBe('desk');
    expect(sessionFromToken(token({ role: 'housekeeping', vendor_id: 'v1' }), 900)?.role).toBe('housekeeping');
  });

  it('refuses a guest token or one without a vendor', () => {
    expect(sessionFromToken(token({ role: 'guest' }), 900)).toBeUndefined();
    expect(sessionFromToken(token({ role: 'staff' }), 900)).toBeUndefined();
    expect(sessionFromToken('not-a-jwt', 900)).toBeUndefined();
  });
});
