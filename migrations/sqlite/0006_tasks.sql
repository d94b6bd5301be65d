-- Tasks: assignees (mirrored in task_assignees for "my tasks"), subtasks via
-- parent_id, recurrence, and reminders as rows (they survive restarts; fired_at
-- is set once, by a conditional update).

create table tasks (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    title text not null,
    description text not null,
    creator_id blob not null references users(id),
    assignees text not null,
    due_at text,
    due_has_time boolean not null,
    priority text not null check (priority in ('low', 'normal', 'high', 'urgent')),
    status text not null check (status in ('open', 'in_progress', 'done', 'cancelled')),
    kind text not null check (kind in ('call', 'meeting', 'email', 'reminder', 'other')),
    entity_kind text check (entity_kind in ('deal', 'contact', 'company')),
    entity_id blob,
    parent_id blob references tasks(id) on delete cascade,
    recurrence text check (recurrence in ('daily', 'weekdays', 'weekly', 'monthly')),
    -- Day of month a monthly series returns to (31 → Feb 28 → Mar 31).
    recurrence_day integer check (recurrence_day between 1 and 31),
    version integer not null,
    created_at text not null,
    updated_at text not null,
    completed_at text
);
create index tasks_due on tasks (workspace_id, due_at);
create index tasks_creator on tasks (workspace_id, creator_id);
create index tasks_entity on tasks (workspace_id, entity_kind, entity_id);
create index tasks_parent on tasks (parent_id);

create table task_assignees (
    task_id blob not null references tasks(id) on delete cascade,
    user_id blob not null references users(id) on delete cascade,
    primary key (task_id, user_id)
);
create index task_assignees_user on task_assignees (user_id);

create table task_reminders (
    id blob primary key,
    task_id blob not null references tasks(id) on delete cascade,
    workspace_id blob not null references workspaces(id) on delete cascade,
    user_id blob not null references users(id) on delete cascade,
    remind_at text not null,
    fired_at text
);
create index task_reminders_task on task_reminders (task_id, remind_at);
create index task_reminders_due on task_reminders (remind_at) where fired_at is null;
