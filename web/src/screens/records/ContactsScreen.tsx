// Contacts and companies: a table with column headers the server sorts by,
// filters (text, owner, tag), pages, a full create form with a duplicate
// warning, CSV import (a dry run's report first) and CSV export.
import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { unwrap } from '@artel/client';
import { api } from '../../app/session';
import { useUsers } from '../../app/data';
import { userName } from '../../app/names';
import { navigate, pathOf, type Route } from '../../app/router';
import { useI18n } from '@artel/client/i18n';
import { toast } from '../../ui/Toast';
import { errorMessage } from '../../ui/errors';
import { usePeople } from './edit';
import { ClientForm } from './ClientForm';
import { ImportDialog } from './ImportDialog';

type Sort = 'name_asc' | 'name_desc' | 'created_desc' | 'created_asc' | 'updated_desc';
const PAGE = 50;

export default function ContactsScreen({ tab }: { tab: 'contacts' | 'companies' }) {
  const t = useI18n();
  const users = useUsers();
  const people = usePeople();
  const [textInput, setTextInput] = useState('');
  const [text, setText] = useState('');
  const [owner, setOwner] = useState('');
  const [tag, setTag] = useState('');
  const [sort, setSort] = useState<Sort>('name_asc');
  const [page, setPage] = useState(0);
  const [dialog, setDialog] = useState<'create' | 'import' | null>(null);
  useEffect(() => {
    const h = setTimeout(() => setText(textInput.trim()), 300);
    return () => clearTimeout(h);
  }, [textInput]);
  useEffect(() => setPage(0), [text, owner, tag, sort, tab]);
  const filters = { text: text || undefined, owner_id: owner || undefined, tag: tag.trim() || undefined, sort };
  const list = useQuery({
    queryKey: [tab, 'list', filters, page],
    queryFn: async () => {
      const query = { ...filters, limit: PAGE, offset: page * PAGE };
      if (tab === 'contacts') {
        const p = await unwrap(api.http.GET('/contacts', { params: { query } }));
        return { total: p.total, items: p.items.map((x) => ({ ...x, extra: x.position ?? '' , company_id: x.company_id })) };
      }
      const p = await unwrap(api.http.GET('/companies', { params: { query } }));
      return { total: p.total, items: p.items.map((x) => ({ ...x, extra: x.website ?? '', company_id: null as string | null | undefined })) };
    },
  });
  const exportCsv = async () => {
    try {
      const csv =
        tab === 'contacts'
          ? await unwrap(api.http.GET('/contacts/export.csv', { params: { query: filters }, parseAs: 'text' }))
          : await unwrap(api.http.GET('/companies/export.csv', { params: { query: filters }, parseAs: 'text' }));
      const url = URL.createObjectURL(new Blob([csv as string], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${tab}-${new Date().toISOString().slice(0, 10)}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      toast.show(errorMessage(err, t));
    }
  };
  const tabLink = (to: 'contacts' | 'companies', label: string) => (
    <a role="tab" aria-selected={tab === to} className="btn" href={pathOf({ name: 'contacts', tab: to })} onClick={(e) => (e.preventDefault(), navigate({ name: 'contacts', tab: to }))}>
      {label}
    </a>
  );
  const sortHeader = (label: string, asc: Sort, desc: Sort) => {
    const active = sort === asc || sort === desc;
    return (
      <th scope="col" aria-sort={active ? (sort === asc ? 'ascending' : 'descending') : 'none'}>
        <button type="button" className="th-sort" onClick={() => setSort(sort === asc ? desc : asc)}>
          {label}
          <span aria-hidden="true">{active ? (sort === asc ? ' ▲' : ' ▼') : ''}</span>
        </button>
      </th>
    );
  };
  const total = list.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE));
  return (
    <>
      <header className="page-head">
        <h1>{t.t('contacts.title')}</h1>
        <div className="tabs" role="tablist">
          {tabLink('contacts', t.t('contacts.contacts'))}
          {tabLink('companies', t.t('contacts.companies'))}
        </div>
        <span className="spacer" />
        <button type="button" className="btn btn-primary" onClick={() => setDialog('create')}>
          {tab === 'contacts' ? t.t('contacts.new') : t.t('contacts.newCompany')}
        </button>
        <button type="button" className="btn" onClick={() => setDialog('import')}>
          {t.t('import.button')}
        </button>
        <button type="button" className="btn" onClick={() => void exportCsv()}>
          {t.t('export.button')}
        </button>
      </header>
      {dialog === 'create' && <ClientForm kind={tab === 'contacts' ? 'contact' : 'company'} onClose={() => setDialog(null)} />}
      {dialog === 'import' && <ImportDialog kind={tab === 'contacts' ? 'contact' : 'company'} onClose={() => setDialog(null)} />}
      <div className="page-body">
        <div className="row filters" role="search" style={{ marginBottom: 16, maxWidth: 960 }}>
          <input className="input" type="search" aria-label={t.t('common.search')} placeholder={t.t('contacts.searchHint')} value={textInput} onChange={(e) => setTextInput(e.target.value)} />
          <select className="select" style={{ width: 'auto' }} aria-label={t.t('card.owner')} value={owner} onChange={(e) => setOwner(e.target.value)}>
            <option value="">{t.t('board.anyOwner')}</option>
            {people.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
          <input className="input" style={{ width: 160 }} aria-label={t.t('contacts.tagFilter')} placeholder={t.t('contacts.tagFilter')} value={tag} onChange={(e) => setTag(e.target.value)} />
        </div>
        {list.isError && <p className="error-text" role="alert">{errorMessage(list.error, t)}</p>}
        {list.isPending && <div className="skeleton" />}
        {list.data && list.data.items.length === 0 && <div className="empty">{t.t('common.empty')}</div>}
        {list.data && list.data.items.length > 0 && (
          <>
            <table className="data">
              <caption className="sr-only">{tab === 'contacts' ? t.t('contacts.contacts') : t.t('contacts.companies')}</caption>
              <thead>
                <tr>
                  {sortHeader(t.t('field.name'), 'name_asc', 'name_desc')}
                  <th scope="col">{t.t('card.phones')}</th>
                  <th scope="col">{t.t('card.emails')}</th>
                  <th scope="col">{tab === 'contacts' ? t.t('card.company') : t.t('card.website')}</th>
                  <th scope="col">{t.t('card.owner')}</th>
                  {sortHeader(t.t('card.created'), 'created_asc', 'created_desc')}
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((c) => {
                  const to: Route = tab === 'contacts' ? { name: 'contact', id: c.id } : { name: 'company', id: c.id };
                  return (
                    <tr key={c.id}>
                      <td>
                        <a href={pathOf(to)} onClick={(e) => (e.preventDefault(), navigate(to))}>
                          {c.name}
                        </a>
                        {c.tags.map((x) => (
                          <span className="tag" key={x} style={{ marginLeft: 6 }}>
                            {x}
                          </span>
                        ))}
                      </td>
                      <td>{c.phones[0]?.raw || c.phones[0]?.e164 || ''}</td>
                      <td>{c.emails[0] ?? ''}</td>
                      <td>{tab === 'contacts' ? <CompanyName id={c.company_id} /> : c.extra}</td>
                      <td>{c.owner_id ? userName(users.data, c.owner_id) : t.t('common.none')}</td>
                      <td>{t.date(c.created_at, { day: 'numeric', month: 'short', year: 'numeric' })}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <nav className="row pager" aria-label={t.t('deals.pages')} style={{ marginTop: 12 }}>
              <span className="muted">{t.tn('contacts.total', total)}</span>
              {pages > 1 && (
                <>
                  <button type="button" className="btn" disabled={page === 0} onClick={() => setPage((p) => p - 1)}>
                    {t.t('deals.prev')}
                  </button>
                  <span className="muted">{t.t('contacts.pageOf', { page: page + 1, pages })}</span>
                  <button type="button" className="btn" disabled={page + 1 >= pages} onClick={() => setPage((p) => p + 1)}>
                    {t.t('deals.next')}
                  </button>
                </>
              )}
            </nav>
          </>
        )}
      </div>
    </>
  );
}

function CompanyName({ id }: { id: string | null | undefined }) {
  const t = useI18n();
  const q = useQuery({
    queryKey: ['company', id],
    enabled: !!id,
    queryFn: () => unwrap(api.http.GET('/companies/{id}', { params: { path: { id: id! } } })),
    staleTime: 60_000,
  });
  if (!id) return <>{t.t('common.none')}</>;
  const to = { name: 'company' as const, id };
  return (
    <a href={pathOf(to)} onClick={(e) => (e.preventDefault(), navigate(to))}>
      {q.data?.name ?? '…'}
    </a>
  );
}
