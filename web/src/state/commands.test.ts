import { describe, expect, it } from 'vitest';
import { applySuggestion, commandFailure, enterPicks, isCommandLine, type Suggestion } from './commands';

const s = (kind: Suggestion['kind'], insert: string, replace_from: number, label = insert): Suggestion => ({
  kind,
  insert,
  replace_from,
  label,
});

describe('slash-command lines', () => {
  it('knows commands from literal slashes and text', () => {
    expect(isCommandLine('/task call')).toBe(true);
    expect(isCommandLine('/')).toBe(true);
    expect(isCommandLine('//not a command')).toBe(false);
    expect(isCommandLine('hello /task')).toBe(false);
  });

  it('applies a suggestion from its character offset (not bytes)', () => {
    expect(applySuggestion('/за', s('command', '/задача ', 0)).text).toBe('/задача ');
    expect(applySuggestion('/задача позвонить !сро', s('priority', '!срочно ', 18)).text).toBe('/задача позвонить !срочно ');
  });

  it('shows a person as @Name and remembers the id for sending', () => {
    const id = '0190f1e2-aaaa-7bbb-8ccc-123456789abc';
    const r = applySuggestion('/assign @an', s('person', `<@${id}> `, 8, 'Анна Петрова'));
    expect(r.text).toBe('/assign @Анна Петрова ');
    expect(r.mention).toEqual({ name: 'Анна Петрова', id });
  });

  it('Enter takes a suggestion only when it changes the line', () => {
    expect(enterPicks('/he', s('command', '/help ', 0))).toBe(true);
    expect(enterPicks('/help', s('command', '/help ', 0))).toBe(false);
    expect(enterPicks('/help ', s('command', '/help ', 0))).toBe(false);
    expect(enterPicks('/help', undefined)).toBe(false);
  });

  it('reads a refused command with its usage, and anything else', () => {
    expect(commandFailure(422, { error: { code: 'unknown_stage', message: 'No stage', usage: '/move <stage>' } })).toEqual({
      code: 'unknown_stage',
      message: 'No stage',
      usage: '/move <stage>',
    });
    expect(commandFailure(502, null)).toEqual({ code: 'http_502', message: 'request failed (502)', usage: undefined });
  });
});
