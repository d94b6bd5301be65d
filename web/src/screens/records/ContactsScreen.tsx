// Contacts and companies: a searchable list and quick create.
import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '@api';
import { api } from '../../app/session';
import { navigate, pathOf, type Route } from '../../app/router';
import { useI18n } from '../../i18n';
import { toast } from '../../ui/Toast';
import { errorMessage } from '../../ui/errors';

export default function ContactsScreen({ tab }: { tab: 'contacts' | 'companies' }) {
  const t = useI18n();
  const qc = useQueryClient();
  const [text, setText] = useState('');
  const [name, setName] = useState('');
  const list = useQuery({
    queryKey: [tab, 'list', text],
    queryFn: async () => {
      const query = { text: text.trim() || undefined, limit: 100 };
      const page =
        tab === 'contacts'
          ? await unwrap(api.http.GET('/contacts', { params: { query } }))
          : await unwrap(api.http.GET('/companies', { params: { query } }));
      return page.items.map((x) => ({ id: x.id, name: x.name, phone: x.phones[0]?.raw ?? '', email: x.emails[0] ?? '' }));
    },
  });
  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    try {
      const created =
        tab === 'contacts'
          ? await unwrap(api.http.POST('/contacts', { body: { name: name.trim() } }))
          : await unwrap(api.http.POST('/companies', { body: { name: name.trim() } }));
      setName('');
      void qc.invalidateQueries({ queryKey: [tab, 'list'] });
      navigate(tab === 'contacts' ? { name: 'contact', id: created.id } : { name: 'company', id: created.id });
    } catch (err) {
      toast.show(errorMessage(err, t));
    }
  };
  const tabLink = (to: 'contacts' | 'companies', label: string) => (
    <a role="tab" aria-selected={tab === to} className="btn" href={pathOf({ name: 'contacts', tab: to })} onClick={(e) => (e.preventDefault(), navigate({ name: 'contacts', tab: to }))}>
      {label}
    </a>
  );
  return (
    <>
      <header className="page-head">
        <h1>{t.t('contacts.title')}</h1>
        <div className="tabs" role="tablist">
          {tabLink('contacts', t.t('contacts.contacts'))}
          {tabLink('companies', t.t('contacts.companies'))}
        </div>
      </header>
      <div className="page-body">
        <div className="row" style={{ marginBottom: 16, maxWidth: 960 }}>
          <input className="input" type="search" aria-label={t.t('common.search')} placeholder={t.t('common.search')} value={text} onChange={(e) => setText(e.target.value)} />
          <form className="row" onSubmit={create}>
            <input className="input" aria-label={tab === 'contacts' ? t.t('contacts.new') : t.t('contacts.newCompany')} placeholder={tab === 'contacts' ? t.t('contacts.new') : t.t('contacts.newCompany')} value={name} onChange={(e) => setName(e.target.value)} />
            <button className="btn btn-primary" type="submit">
              {t.t('common.create')}
            </button>
          </form>
        </div>
        {list.isPending && <div className="skeleton" />}
        {list.data && list.data.length === 0 && <div className="empty">{t.t('common.empty')}</div>}
        {list.data && list.data.length > 0 && (
          <table className="data">
            <tbody>
              {list.data.map((c) => {
                const to: Route = tab === 'contacts' ? { name: 'contact', id: c.id } : { name: 'company', id: c.id };
                return (
                  <tr key={c.id}>
                    <td>
                      <a href={pathOf(to)} onClick={(e) => (e.preventDefault(), navigate(to))}>
                        {c.name}
                      </a>
                    </td>
                    <td>{c.phone}</td>
                    <td>{c.email}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}
