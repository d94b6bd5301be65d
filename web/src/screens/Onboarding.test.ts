// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '@artel/client';
import { makeTranslator } from '@artel/client/i18n';
import { errorMessage } from '../ui/errors';
import { isDismissed, stepsFor } from './Onboarding';

const none = { teammates: false, deals: false, tasks: false };

describe('getting-started checklist', () => {
  afterEach(() => localStorage.clear());

  it('gives admins the invite step and members only what they can do', () => {
    expect(stepsFor('owner', none).map((s) => s.id)).toEqual(['invite', 'deal', 'task']);
    expect(stepsFor('admin', none).map((s) => s.id)).toEqual(['invite', 'deal', 'task']);
    expect(stepsFor('member', none).map((s) => s.id)).toEqual(['deal', 'task']);
    expect(stepsFor('guest', none)).toEqual([]);
  });

  it('ticks each step from what exists', () => {
    const steps = stepsFor('owner', { teammates: true, deals: false, tasks: true });
    expect(steps.filter((s) => s.done).map((s) => s.id)).toEqual(['invite', 'task']);
  });

  it('remembers dismissal per person', () => {
    expect(isDismissed('u1')).toBe(false);
    localStorage.setItem('artel.onboarding.dismissed.u1', '1');
    expect(isDismissed('u1')).toBe(true);
    expect(isDismissed('u2')).toBe(false);
  });
});

describe('password reset errors', () => {
  it('say in the reader’s language why a link is dead', () => {
    const used = new ApiError(410, 'reset_used', 'this link has already been used');
    expect(errorMessage(used, makeTranslator('ru'))).toBe('Эта ссылка уже использована. Попросите администратора сделать новую.');
    expect(errorMessage(used, makeTranslator('en'))).toBe('This link has already been used. Ask your administrator for a new one.');
    const expired = new ApiError(410, 'reset_expired', 'expired');
    expect(errorMessage(expired, makeTranslator('en'))).toContain('expired');
    const rule = new ApiError(422, 'invalid_input', 'new_password must be at least 8 characters', 'new_password');
    expect(errorMessage(rule, makeTranslator('ru'))).toBe('Пароль должен быть не короче 8 и не длиннее 256 символов');
  });
});
