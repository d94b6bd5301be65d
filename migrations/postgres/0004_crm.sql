-- CRM core: workspace settings, pipelines and stages, deals, contacts and
-- companies (with phone/e-mail keys for duplicate detection), change history,
-- and chats bound to records.

alter table workspaces add column deal_visibility text not null default 'all'
    check (deal_visibility in ('all', 'own'));
alter table workspaces add column phone_region text not null default 'RU';
alter table workspaces add column default_currency text not null default 'RUB';

alter table chats add column entity_kind text;
alter table chats add column entity_id uuid;
create unique index chats_entity on chats (workspace_id, entity_kind, entity_id) where entity_id is not null;

create table pipelines (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    name text not null,
    position bigint not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    archived_at timestamptz
);
create index pipelines_workspace on pipelines (workspace_id, position);

create table stages (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    pipeline_id uuid not null references pipelines(id) on delete cascade,
    name text not null,
    color text not null,
    kind text not null check (kind in ('open', 'won', 'lost')),
    position bigint not null,
    created_at timestamptz not null,
    updated_at timestamptz not null
);
create index stages_pipeline on stages (pipeline_id, position);

create table companies (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    name text not null,
    -- Byte order, as in SQLite: both engines sort and match names alike.
    name_lower text collate "C" not null,
    phones jsonb not null,
    emails jsonb not null,
    website text,
    address text,
    tags jsonb not null,
    owner_id uuid references users(id) on delete set null,
    source text,
    notes text not null,
    custom jsonb not null,
    created_by uuid not null references users(id),
    created_at timestamptz not null,
    updated_at timestamptz not null,
    archived_at timestamptz
);
create index companies_workspace on companies (workspace_id, name_lower);

create table contacts (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    name text not null,
    -- Byte order, as in SQLite: both engines sort and match names alike.
    name_lower text collate "C" not null,
    phones jsonb not null,
    emails jsonb not null,
    position text,
    company_id uuid references companies(id) on delete set null,
    address text,
    tags jsonb not null,
    owner_id uuid references users(id) on delete set null,
    source text,
    notes text not null,
    custom jsonb not null,
    created_by uuid not null references users(id),
    created_at timestamptz not null,
    updated_at timestamptz not null,
    archived_at timestamptz
);
create index contacts_workspace on contacts (workspace_id, name_lower);
create index contacts_company on contacts (company_id);

-- One row per phone / e-mail / tag of a client: duplicate checks and filters use these.
create table client_keys (
    workspace_id uuid not null references workspaces(id) on delete cascade,
    client_kind text not null check (client_kind in ('contact', 'company')),
    client_id uuid not null,
    key_kind text not null check (key_kind in ('phone', 'email', 'tag')),
    value text not null,
    primary key (client_kind, client_id, key_kind, value)
);
create index client_keys_lookup on client_keys (workspace_id, key_kind, value);

create table deals (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    title text not null,
    title_lower text collate "C" not null,
    amount_minor bigint not null check (amount_minor >= 0),
    currency text not null,
    pipeline_id uuid not null references pipelines(id),
    stage_id uuid not null references stages(id),
    position bigint not null,
    owner_id uuid not null references users(id),
    participants jsonb not null,
    contact_id uuid references contacts(id) on delete set null,
    company_id uuid references companies(id) on delete set null,
    expected_close_date date,
    loss_reason text,
    tags jsonb not null,
    custom jsonb not null,
    chat_id uuid references chats(id) on delete set null,
    version bigint not null,
    created_by uuid not null references users(id),
    created_at timestamptz not null,
    updated_at timestamptz not null,
    stage_entered_at timestamptz not null,
    closed_at timestamptz,
    archived_at timestamptz
);
create index deals_board on deals (pipeline_id, stage_id, position);
create index deals_owner on deals (workspace_id, owner_id);
create index deals_stage on deals (stage_id, position);
create index deals_contact on deals (contact_id);
create index deals_company on deals (company_id);

-- Owner and participants, for "deals I am on" (visibility) without scanning JSON.
create table deal_people (
    deal_id uuid not null references deals(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    primary key (deal_id, user_id)
);
create index deal_people_user on deal_people (user_id);

create table deal_tags (
    deal_id uuid not null references deals(id) on delete cascade,
    tag text not null,
    primary key (deal_id, tag)
);

create table history (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    entity_kind text not null,
    entity_id uuid not null,
    actor_id uuid references users(id) on delete set null,
    at timestamptz not null,
    field text not null,
    old_value jsonb not null,
    new_value jsonb not null
);
create index history_entity on history (entity_kind, entity_id, at, id);
