import { describe, expect, it } from 'vitest';
import { decodeEntities, hitRoute, snippetParts } from './search';
import type { SearchHit } from '@artel/client';

describe('search snippets', () => {
  it('turns <mark> runs into marked parts and decodes escaped text', () => {
    expect(snippetParts('…the <mark>договор</mark> &amp; <mark>Ivanov</mark>&#39;s terms…')).toEqual([
      { text: '…the ', mark: false },
      { text: 'договор', mark: true },
      { text: ' & ', mark: false },
      { text: 'Ivanov', mark: true },
      { text: "'s terms…", mark: false },
    ]);
  });

  it('keeps escaped markup as text: only <mark> survives', () => {
    const parts = snippetParts('&lt;script&gt;alert(1)&lt;/script&gt; <mark>x</mark>');
    expect(parts).toEqual([
      { text: '<script>alert(1)</script> ', mark: false },
      { text: 'x', mark: true },
    ]);
  });

  it('shows any other raw tag literally instead of interpreting it', () => {
    const parts = snippetParts('<b>bold</b> <img src=x onerror=alert(1)><MARK>hit</MARK>');
    expect(parts).toEqual([
      { text: '<b>bold</b> <img src=x onerror=alert(1)>', mark: false },
      { text: 'hit', mark: true },
    ]);
  });

  it('does not double-decode and copes with unbalanced marks', () => {
    expect(decodeEntities('&amp;lt;b&amp;gt;')).toBe('&lt;b&gt;');
    expect(snippetParts('<mark>open')).toEqual([{ text: 'open', mark: true }]);
    expect(snippetParts('close</mark> x')).toEqual([{ text: 'close x', mark: false }]);
    expect(snippetParts('')).toEqual([]);
    expect(decodeEntities('&#x1F600; &#0; &bogus;')).toBe('😀 &#0; &bogus;');
  });
});

describe('where a hit leads', () => {
  const base: SearchHit = { kind: 'message', id: 'm', title: 't', snippet: '', at: '', chat_id: 'c', seq: 42, entity: null };
  it('jumps to a message in its chat, opens records', () => {
    expect(hitRoute(base)).toEqual({ name: 'chat', chatId: 'c', seq: 42 });
    expect(hitRoute({ ...base, kind: 'deal', id: 'd', chat_id: null, seq: null })).toEqual({ name: 'deal', id: 'd' });
    expect(hitRoute({ ...base, kind: 'company', id: 'co' })).toEqual({ name: 'company', id: 'co' });
    expect(hitRoute({ ...base, chat_id: null })).toBeNull();
    expect(hitRoute({ ...base, kind: 'task', id: 't1' })).toEqual({ name: 'tasks', taskId: 't1' });
  });
});
