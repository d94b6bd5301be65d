-- CRM core: workspace settings, pipelines and stages, deals, contacts and
-- companies (with phone/e-mail keys for duplicate detection), change history,
-- and chats bound to records.

alter table workspaces add column deal_visibility text not null default 'all'
    check (deal_visibility in ('all', 'own'));
alter table workspaces add column phone_region text not null default 'RU';
alter table workspaces add column default_currency text not null default 'RUB';

alter table chats add column entity_kind text;
alter table chats add column entity_id blob;
create unique index chats_entity on chats (workspace_id, entity_kind, entity_id) where entity_id is not null;

create table pipelines (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    name text not null,
    position integer not null,
    created_at text not null,
    updated_at text not null,
    archived_at text
);
create index pipelines_workspace on pipelines (workspace_id, position);

create table stages (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    pipeline_id blob not null references pipelines(id) on delete cascade,
    name text not null,
    color text not null,
    kind text not null check (kind in ('open', 'won', 'lost')),
    position integer not null,
    created_at text not null,
    updated_at text not null
);
create index stages_pipeline on stages (pipeline_id, position);

create table companies (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    name text not null,
    name_lower text not null,
    phones text not null,
    emails text not null,
    website text,
    address text,
    tags text not null,
    owner_id blob references users(id) on delete set null,
    source text,
    notes text not null,
    custom text not null,
    created_by blob not null references users(id),
    created_at text not null,
    updated_at text not null,
    archived_at text
);
create index companies_workspace on companies (workspace_id, name_lower);

create table contacts (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    name text not null,
    name_lower text not null,
    phones text not null,
    emails text not null,
    position text,
    company_id blob references companies(id) on delete set null,
    address text,
    tags text not null,
    owner_id blob references users(id) on delete set null,
    source text,
    notes text not null,
    custom text not null,
    created_by blob not null references users(id),
    created_at text not null,
    updated_at text not null,
    archived_at text
);
create index contacts_workspace on contacts (workspace_id, name_lower);
create index contacts_company on contacts (company_id);

-- One row per phone / e-mail / tag of a client: duplicate checks and filters use these.
create table client_keys (
    workspace_id blob not null references workspaces(id) on delete cascade,
    client_kind text not null check (client_kind in ('contact', 'company')),
    client_id blob not null,
    key_kind text not null check (key_kind in ('phone', 'email', 'tag')),
    value text not null,
    primary key (client_kind, client_id, key_kind, value)
);
create index client_keys_lookup on client_keys (workspace_id, key_kind, value);

create table deals (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    title text not null,
    title_lower text not null,
    amount_minor integer not null check (amount_minor >= 0),
    currency text not null,
    pipeline_id blob not null references pipelines(id),
    stage_id blob not null references stages(id),
    position integer not null,
    owner_id blob not null references users(id),
    participants text not null,
    contact_id blob references contacts(id) on delete set null,
    company_id blob references companies(id) on delete set null,
    expected_close_date text,
    loss_reason text,
    tags text not null,
    custom text not null,
    chat_id blob references chats(id) on delete set null,
    version integer not null,
    created_by blob not null references users(id),
    created_at text not null,
    updated_at text not null,
    stage_entered_at text not null,
    closed_at text,
    archived_at text
);
create index deals_board on deals (pipeline_id, stage_id, position);
create index deals_owner on deals (workspace_id, owner_id);
create index deals_stage on deals (stage_id, position);
create index deals_contact on deals (contact_id);
create index deals_company on deals (company_id);

-- Owner and participants, for "deals I am on" (visibility) without scanning JSON.
create table deal_people (
    deal_id blob not null references deals(id) on delete cascade,
    user_id blob not null references users(id) on delete cascade,
    primary key (deal_id, user_id)
);
create index deal_people_user on deal_people (user_id);

create table deal_tags (
    deal_id blob not null references deals(id) on delete cascade,
    tag text not null,
    primary key (deal_id, tag)
);

create table history (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    entity_kind text not null,
    entity_id blob not null,
    actor_id blob references users(id) on delete set null,
    at text not null,
    field text not null,
    old_value text not null,
    new_value text not null
);
create index history_entity on history (entity_kind, entity_id, at, id);
