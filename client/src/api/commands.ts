// Slash-command completion over the generated client, and applying a suggestion
// to the line as typed.
import { unwrap, type ApiClient } from './client';
import type { components } from './schema';

export type CommandSuggestion = components['schemas']['Suggestion'];

/** Suggestions for a line starting with `/` typed in a chat. */
export function completeCommand(api: ApiClient, chatId: string, line: string) {
  return unwrap(api.http.GET('/commands/complete', { params: { query: { chat_id: chatId, line } } }));
}

/** Applies a suggestion to the line (offsets count characters, not UTF-16 units). */
export function applySuggestion(line: string, s: CommandSuggestion): string {
  const chars = Array.from(line);
  return chars.slice(0, s.replace_from).join('') + s.insert;
}
