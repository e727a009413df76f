create index tasks_open_due_on_idx on tasks (due_on) where status <> 'done';
