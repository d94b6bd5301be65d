// Ctrl+K: jump to any of my chats, a person (opens the direct chat) or a public
// channel (joins it), by typing part of the name.
import { useMemo, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '@artel/client';
import { api } from '../app/session';
import { keys } from '../app/live';
import { useChats, useUsers } from '../app/data';
import { chatGlyph, chatName } from '../app/names';
import { navigate } from '../app/router';
import { useI18n } from '@artel/client/i18n';
import { Dialog } from '../ui/Dialog';

interface Item {
  key: string;
  label: string;
  glyph: string;
  open: () => Promise<void> | void;
}

export function Switcher({ me, onClose }: { me: string; onClose: () => void }) {
  const t = useI18n();
  const qc = useQueryClient();
  const chats = useChats();
  const users = useUsers(true);
  const browse = useQuery({ queryKey: ['browse'], queryFn: () => unwrap(api.http.GET('/chats/browse')) });
  const [q, setQ] = useState('');
  const [sel, setSel] = useState(0);

  const items = useMemo(() => {
    const out: Item[] = [];
    const mine = new Set<string>();
    const directWith = new Set<string>();
    for (const s of chats.data ?? []) {
      mine.add(s.chat.id);
      if (s.chat.kind === 'direct') s.chat.direct_user_ids?.forEach((u) => u !== me && directWith.add(u));
      out.push({
        key: s.chat.id,
        label: chatName(s.chat, me, users.data),
        glyph: chatGlyph(s.chat),
        open: () => navigate({ name: 'chat', chatId: s.chat.id }),
      });
    }
    for (const u of users.data?.values() ?? []) {
      if (u.id === me || directWith.has(u.id) || u.deactivated_at) continue;
      out.push({
        key: `u:${u.id}`,
        label: u.name,
        glyph: '@',
        open: async () => {
          const chat = await unwrap(api.http.POST('/chats/direct', { body: { user_id: u.id } }));
          await qc.invalidateQueries({ queryKey: keys.chats });
          navigate({ name: 'chat', chatId: chat.id });
        },
      });
    }
    for (const c of browse.data ?? []) {
      if (mine.has(c.id)) continue;
      out.push({
        key: `b:${c.id}`,
        label: c.name ?? '',
        glyph: '#',
        open: async () => {
          await unwrap(api.http.POST('/chats/{id}/join', { params: { path: { id: c.id } } }));
          await qc.invalidateQueries({ queryKey: keys.chats });
          navigate({ name: 'chat', chatId: c.id });
        },
      });
    }
    const needle = q.trim().toLowerCase();
    return needle ? out.filter((i) => i.label.toLowerCase().includes(needle)) : out;
  }, [chats.data, users.data, browse.data, q, me, qc]);

  const choose = async (i: Item | undefined) => {
    if (!i) return;
    onClose();
    await i.open();
  };

  return (
    <Dialog title={t.t('switcher.title')} onClose={onClose}>
      <input
        className="input"
        role="combobox"
        aria-expanded={items.length > 0}
        aria-controls="switcher-list"
        aria-activedescendant={items[sel] ? `sw-${items[sel].key}` : undefined}
        aria-label={t.t('switcher.placeholder')}
        placeholder={t.t('switcher.placeholder')}
        value={q}
        onChange={(e) => {
          setQ(e.target.value);
          setSel(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setSel((s) => Math.min(s + 1, items.length - 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setSel((s) => Math.max(s - 1, 0));
          } else if (e.key === 'Enter') {
            e.preventDefault();
            void choose(items[sel]);
          }
        }}
      />
      {/* A listbox may own only options: "nothing found" is a status line beside it. */}
      {items.length > 0 ? (
        <ul className="switcher-list" id="switcher-list" role="listbox" aria-label={t.t('switcher.title')}>
          {items.slice(0, 50).map((i, n) => (
            <li key={i.key} id={`sw-${i.key}`} role="option" aria-selected={n === sel} onMouseEnter={() => setSel(n)} onClick={() => void choose(i)}>
              <span aria-hidden="true">{i.glyph}</span>
              {i.label}
            </li>
          ))}
        </ul>
      ) : (
        <p className="switcher-list muted" role="status">
          {t.t('switcher.none')}
        </p>
      )}
    </Dialog>
  );
}
