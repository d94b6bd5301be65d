import { describe, expect, it } from 'vitest';
import { encodeMentions } from './Composer';

describe('composer mentions', () => {
  it('turns picked @names into the server <@id> form and leaves the rest', () => {
    const picked = new Map([
      ['Анна Петрова', 'u1'],
      ['Bob', 'u2'],
    ]);
    expect(encodeMentions('@Анна Петрова, глянь; cc @Bob и @Someone', picked)).toBe('<@u1>, глянь; cc <@u2> и @Someone');
    expect(encodeMentions('no mentions', picked)).toBe('no mentions');
  });
});
