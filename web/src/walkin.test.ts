import { describe, expect, it } from 'vitest';
import { bookingRequest, checkGuest, checkStay, fieldProblems, newForm, stepOf } from './walkin';

describe('the walk-in form', () => {
  it('starts today for one night and one guest, walked in', () => {
    expect(newForm('2026-03-12')).toMatchObject({ checkIn: '2026-03-12', nights: '1', party: '1', channel: 'walk_in' });
  });

  it('asks for the nights, the party and a date not in the past', () => {
    const form = { ...newForm('2026-03-12'), checkIn: '2026-03-11', nights: '0', party: 'two' };
    expect(checkStay(form, '2026-03-12')).toEqual({
      check_in: 'walkin.err.past',
      nights: 'walkin.err.nights',
      party_size: 'walkin.err.party',
    });
    expect(checkStay({ ...form, checkIn: '2026-03-12', nights: '31', party: '2' }, '2026-03-12')).toEqual({ nights: 'walkin.err.nights' });
    expect(checkStay({ ...form, checkIn: '2026-03-12', nights: '30', party: '2' }, '2026-03-12')).toEqual({});
  });

  it('requires the guest name, not the contact', () => {
    expect(checkGuest({ ...newForm('2026-03-12'), name: '   ' })).toEqual({ 'guest.name': 'walkin.err.name' });
    expect(checkGuest({ ...newForm('2026-03-12'), name: 'Ada' })).toEqual({});
  });

  it('sends the stay as check-in plus nights, and leaves empty contact fields out', () => {
    const form = { ...newForm('2026-12-30'), nights: '3', party: '2', resourceId: 'r1', name: ' Ada ', phone: '+49 151 1234 5678', channel: 'phone' as const };
    expect(bookingRequest(form)).toEqual({
      resource_id: 'r1',
      party_size: 2,
      check_in: '2026-12-30',
      check_out: '2027-01-02',
      channel: 'phone',
      guest: { name: 'Ada', phone: '+49 151 1234 5678' },
    });
  });

  it('puts the API problems next to the field they name, and goes back to its step', () => {
    const fields = fieldProblems([
      { pointer: '/guest/email', detail: 'must be an email address' },
      { parameter: 'check_out', detail: 'must be after check_in' },
      { detail: 'no field' },
    ]);
    expect(fields).toEqual({ 'guest.email': 'must be an email address', check_out: 'must be after check_in' });
    expect(stepOf(Object.keys(fields))).toBe(1);
    expect(stepOf(['guest.email'])).toBe(2);
    expect(stepOf(['amount_minor'])).toBe(3);
    expect(stepOf([])).toBe(3);
  });
});
