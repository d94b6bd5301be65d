import { describe, expect, it } from 'vitest';
import { ariaSort, DEFAULT_DEAL_SORT, toggleSort } from './dealSort';

describe('deal list order', () => {
  it('opens with the latest changes first', () => {
    expect(DEFAULT_DEAL_SORT).toEqual({ key: 'updated_at', order: 'desc' });
    expect(ariaSort(DEFAULT_DEAL_SORT, 'updated_at')).toBe('descending');
  });
  it('sorts another column ascending and turns the same one round', () => {
    expect(toggleSort(DEFAULT_DEAL_SORT, 'amount')).toEqual({ key: 'amount', order: 'asc' });
    expect(toggleSort({ key: 'amount', order: 'asc' }, 'amount')).toEqual({ key: 'amount', order: 'desc' });
    expect(toggleSort({ key: 'amount', order: 'desc' }, 'amount')).toEqual({ key: 'amount', order: 'asc' });
    expect(toggleSort(DEFAULT_DEAL_SORT, 'updated_at')).toEqual({ key: 'updated_at', order: 'asc' });
  });
  it('says which column sorts which way', () => {
    expect(ariaSort({ key: 'amount', order: 'asc' }, 'amount')).toBe('ascending');
    expect(ariaSort({ key: 'amount', order: 'desc' }, 'amount')).toBe('descending');
    expect(ariaSort({ key: 'amount', order: 'desc' }, 'title')).toBe('none');
  });
});
