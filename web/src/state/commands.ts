// Slash-command lines in the composer: which lines are commands, and how a
// server suggestion (GET /commands/complete) changes the line. Pure, unit-tested.
import type { components } from '@artel/client';

export type Suggestion = components['schemas']['Suggestion'];
export type CommandResult = components['schemas']['CommandResultDto'];

/** "/task …" is a command; "//text" is a literal message starting with "/". */
export function isCommandLine(text: string): boolean {
  return text.startsWith('/') && !text.startsWith('//');
}

/**
 * The line with a suggestion applied: everything before `replace_from` (a
 * character offset, as the server counts) kept, the suggestion put after it.
 * A person comes back as `<@id> `; it is shown as "@Name " and `mention`
 * says which name stands for which id (the composer encodes it on send).
 */
export function applySuggestion(line: string, s: Suggestion): { text: string; mention?: { name: string; id: string } } {
  const head = Array.from(line).slice(0, s.replace_from).join('');
  const person = s.kind === 'person' ? /^<@([0-9a-fA-F-]{36})>/.exec(s.insert) : null;
  if (person?.[1]) return { text: `${head}@${s.label} `, mention: { name: s.label, id: person[1] } };
  return { text: head + s.insert };
}

/** Whether Enter should take the suggestion (it would change the line) rather than send. */
export function enterPicks(line: string, s: Suggestion | undefined): boolean {
  if (!s) return false;
  return applySuggestion(line, s).text.trimEnd() !== line.trimEnd();
}

/** A refused command's body: `{"error":{code,message,usage?}}`. */
export interface CommandFailure {
  code: string;
  message: string;
  usage?: string;
}

export function commandFailure(status: number, body: unknown): CommandFailure {
  const e = (body as { error?: { code?: unknown; message?: unknown; usage?: unknown } } | null)?.error;
  return {
    code: typeof e?.code === 'string' ? e.code : `http_${status}`,
    message: typeof e?.message === 'string' ? e.message : `request failed (${status})`,
    usage: typeof e?.usage === 'string' ? e.usage : undefined,
  };
}
