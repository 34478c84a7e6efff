import { describe, expect, it } from 'vitest';
import { searchFiltersOf } from '../../src/console/search-form';

/** The console's search form as the browser sends it: every field, blank ones as empty strings. */
const blankForm = { order_id: '', user_id: '', status: '', method: '', created_from: '', created_to: '', amount_min: '', amount_max: '' };

describe("the console's search form", () => {
  it('leaves blank fields out: an empty form is every payment, a page of 50', () => {
    expect(searchFiltersOf(blankForm).filters).toEqual({ limit: 50 });
  });

  it('takes the creation days as whole UTC days, both included', () => {
    const { filters } = searchFiltersOf({ ...blankForm, created_from: '2026-12-01', created_to: '2026-12-03' });
    expect(filters?.createdFrom?.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(filters?.createdTo?.toISOString()).toBe('2026-12-03T23:59:59.999Z');
  });

  it('passes the other filters on, trimmed and as numbers', () => {
    const { filters } = searchFiltersOf({
      ...blankForm,
      order_id: ' ORDER-1 ',
      user_id: 'user-42',
      status: 'success',
      method: 'gopay',
      amount_min: '1000',
      amount_max: '250000',
      cursor: 'abc',
    });
    expect(filters).toEqual({
      limit: 50,
      orderId: 'ORDER-1',
      userId: 'user-42',
      status: ['success'],
      method: ['gopay'],
      amountMin: 1000,
      amountMax: 250_000,
      cursor: 'abc',
    });
  });

  it.each([
    ['a status that is none', { status: 'lost' }, 'status'],
    ['a method that is none', { method: 'cash' }, 'method'],
    ['a negative amount', { amount_min: '-1' }, 'amount_min'],
    ['a fractional amount', { amount_max: '10.5' }, 'amount_max'],
    ['a day that is not a date', { created_from: '2026-13-45' }, 'created_from'],
    ['a day in another format', { created_to: '03/12/2026' }, 'created_to'],
    ['a day that does not exist', { created_to: '2026-02-30' }, 'created_to'],
  ])('refuses %s, naming the field, and keeps what was typed to show it again', (_case, fields, field) => {
    const search = searchFiltersOf({ ...blankForm, ...fields });
    expect(search.filters).toBeUndefined();
    expect(search.filters === undefined && search.problem).toMatch(new RegExp(`^Not searched: .*${field}`));
    expect(search.form).toMatchObject(fields);
  });
});
