import { describe, expect, it } from 'vitest';
import type { Contact } from '@artel/client';
import { mergePicks, singleFields } from './merge';

const custom = (v: Record<string, unknown>) => v as Contact['custom'];

const contact = (over: Partial<Contact>): Contact => ({
  id: 'c',
  name: 'Иван',
  phones: [],
  emails: [],
  position: null,
  company_id: null,
  address: null,
  tags: [],
  owner_id: null,
  source: null,
  notes: '',
  custom: {},
  created_by: 'u',
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  archived_at: null,
  ...over,
});

describe('merge fields', () => {
  it('asks only where both cards differ, fills empty ones from the other', () => {
    const into = contact({ name: 'Иван Петров', address: 'Москва', notes: 'a', custom: custom({ city: 'Тверь' }) });
    const from = contact({ name: 'Петров', position: 'Директор', address: 'Москва', notes: 'b', custom: custom({ city: 'Москва' }) });
    const rows = singleFields('contact', into, from, ['city', 'absent']);
    expect(rows.map((r) => [r.key, r.conflict, r.default])).toEqual([
      ['name', true, 'keep'],
      ['position', false, 'take'],
      ['address', false, 'keep'],
      ['notes', false, 'keep'],
      ['custom.city', true, 'keep'],
    ]);
    expect(mergePicks(rows, { name: 'take' })).toEqual({ name: 'take', 'custom.city': 'keep' });
  });
});
