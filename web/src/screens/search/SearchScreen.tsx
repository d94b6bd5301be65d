// Search: the server's search API is being built on another branch (issue on
// search); until it lands this page says so rather than pretending.
// TODO(search): call GET /api/v1/search?q=… and group results by kind
// (messages, deals, contacts, companies) once the endpoint is in the OpenAPI document.
import { useI18n } from '../../i18n';

export default function SearchScreen({ q }: { q: string }) {
  const t = useI18n();
  return (
    <>
      <header className="page-head">
        <h1>{t.t('nav.search')}</h1>
      </header>
      <div className="page-body">
        <input className="input" type="search" style={{ maxWidth: 560 }} aria-label={t.t('common.search')} defaultValue={q} disabled />
        <p className="empty">{t.t('search.todo')}</p>
      </div>
    </>
  );
}
