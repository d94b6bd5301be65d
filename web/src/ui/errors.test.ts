import { describe, expect, it } from 'vitest';
import { ApiError } from '@artel/client';
import { makeTranslator } from '@artel/client/i18n';
import { errorMessage } from './errors';

describe('errorMessage', () => {
  it('says in the reader’s language that an archived chat takes no posts', () => {
    const e = new ApiError(409, 'chat_archived', 'this chat is archived');
    expect(errorMessage(e, makeTranslator('ru'))).toBe('Чат в архиве: писать в него нельзя');
    expect(errorMessage(e, makeTranslator('en'))).toBe('This chat is archived: nothing can be posted in it');
  });

  it('passes other refusals through with the server’s words', () => {
    expect(errorMessage(new ApiError(403, 'forbidden', 'not yours'), makeTranslator('en'))).toBe('not yours');
  });
});
