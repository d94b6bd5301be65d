// The admin area (owners and admins): people and invitations, workspace
// settings, custom fields, stage automation, integrations, bots. Members who
// open its address are told plainly that it is not theirs. Loaded on demand.
import { api } from '../../app/session';
import { ADMIN_TABS, navigate, pathOf, type AdminTab, type Route } from '../../app/router';
import { useI18n, type Key } from '@artel/client/i18n';
import { People } from './People';
import { WorkspaceSettings } from './WorkspaceSettings';
import { CustomFields } from './CustomFields';
import { Automation } from './Automation';
import { Integrations } from './Integrations';
import { Bots } from './Bots';

const TAB_LABEL: Record<AdminTab, Key> = {
  people: 'admin.tab.people',
  workspace: 'admin.tab.workspace',
  fields: 'admin.tab.fields',
  automation: 'admin.tab.automation',
  integrations: 'admin.tab.integrations',
  bots: 'admin.tab.bots',
};

export default function AdminScreen({ tab }: { tab: AdminTab }) {
  const t = useI18n();
  const role = api.session()?.user.role;
  if (role !== 'owner' && role !== 'admin') {
    return (
      <>
        <header className="page-head">
          <h1>{t.t('admin.title')}</h1>
        </header>
        <div className="empty" role="alert" data-testid="admin-forbidden">
          <p>
            <strong>{t.t('admin.noAccessTitle')}</strong>
          </p>
          <p>{t.t('admin.noAccess')}</p>
        </div>
      </>
    );
  }
  const link = (x: AdminTab) => {
    const to: Route = { name: 'admin', tab: x };
    return (
      <a
        key={x}
        className="btn btn-ghost"
        href={pathOf(to)}
        aria-current={x === tab ? 'page' : undefined}
        onClick={(e) => {
          e.preventDefault();
          navigate(to);
        }}
      >
        {t.t(TAB_LABEL[x])}
      </a>
    );
  };
  let body;
  switch (tab) {
    case 'people':
      body = <People />;
      break;
    case 'workspace':
      body = <WorkspaceSettings />;
      break;
    case 'fields':
      body = <CustomFields />;
      break;
    case 'automation':
      body = <Automation />;
      break;
    case 'integrations':
      body = <Integrations />;
      break;
    case 'bots':
      body = <Bots />;
      break;
  }
  return (
    <>
      <header className="page-head admin-head">
        <h1>{t.t('admin.title')}</h1>
        <nav className="admin-tabs" aria-label={t.t('admin.sections')}>
          {ADMIN_TABS.map(link)}
        </nav>
      </header>
      <div className="page-body">{body}</div>
    </>
  );
}
