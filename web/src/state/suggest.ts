// What the composer does with the server's command suggestions before showing
// them: a list kept from the previous keystroke is narrowed to what is typed
// now (so Tab never takes a stage the line no longer fits), and stages are
// offered in funnel order rather than alphabetically. Pure, unit-tested.
import type { Pipeline } from '@artel/client';
import type { Suggestion } from './commands';

/** As the server compares names: spaces collapsed, case and ё folded. */
export function norm(s: string): string {
  return s.split(/\s+/u).filter(Boolean).join(' ').toLowerCase().replace(/ё/g, 'е');
}

/** 3 exact, 2 prefix (of the name or one of its words), 1 substring, 0 no fit; as the server scores. */
export function fit(name: string, typed: string): number {
  const n = norm(name);
  const t = norm(typed);
  if (!t) return 0;
  if (n === t) return 3;
  if (n.startsWith(t) || n.split(' ').some((w) => w.startsWith(t))) return 2;
  return n.includes(t) ? 1 : 0;
}

/** The part of `line` a suggestion would replace (from its character offset on). */
export function typedFor(line: string, s: Suggestion): string {
  return Array.from(line).slice(s.replace_from).join('');
}

/** The text a suggestion is matched by: what it shows, without the sigil it is typed with. */
function nameOf(s: Suggestion): string {
  return s.kind === 'command' || s.kind === 'priority' ? s.label.replace(/^[/!]/, '') : s.label;
}

/**
 * An answer given for an earlier version of the line, kept on screen while the
 * next one is on its way: only the items that still fit what is typed now.
 */
export function narrowStale(line: string, items: Suggestion[]): Suggestion[] {
  return items.filter((s) => {
    let typed = typedFor(line, s);
    if (s.kind === 'command') typed = typed.replace(/^\//, '');
    else if (s.kind === 'person') typed = typed.replace(/^@/, '');
    else if (s.kind === 'pipeline') typed = typed.replace(/^#/, '').replace(/_/g, ' ');
    else if (s.kind === 'priority') typed = typed.replace(/^!/, '');
    else if (s.kind === 'deal') typed = typed.replace(/^"/, '');
    if (/\s$/u.test(typed) && s.kind !== 'stage' && s.kind !== 'deal') return false; // that word is finished
    return !typed.trim() || fit(nameOf(s), typed) > 0;
  });
}

/**
 * Stage suggestions best fit first, then in the order of the funnel they
 * belong to (the pipeline holding all of them); anything else unchanged.
 */
export function orderStages(line: string, items: Suggestion[], pipelines: Pipeline[] | undefined): Suggestion[] {
  const stages = items.filter((s) => s.kind === 'stage');
  if (stages.length < 2 || stages.length !== items.length || !pipelines) return items;
  const names = stages.map((s) => norm(s.label));
  const pipeline = pipelines.find((p) => {
    const own = new Set(p.stages.map((x) => norm(x.name)));
    return names.every((n) => own.has(n));
  });
  if (!pipeline) return items;
  const position = new Map(pipeline.stages.map((x) => [norm(x.name), x.position]));
  const score = (s: Suggestion) => {
    const typed = typedFor(line, s);
    return typed.trim() ? fit(s.label, typed) : 1;
  };
  return [...stages].sort((a, b) => score(b) - score(a) || (position.get(norm(a.label)) ?? 0) - (position.get(norm(b.label)) ?? 0));
}
