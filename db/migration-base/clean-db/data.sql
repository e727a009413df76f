-- Seed data of the demo application, loaded after schema.sql.

insert into schema_migrations (version) values
    ('20260101000000'),
    ('20260115000000'),
    ('20260201000000');

insert into accounts (id, name, plan) values
    (1, 'Demo Company', 'team');

insert into users (id, account_id, email, full_name) values
    (1, 1, 'admin@example.com', 'Ada Admin'),
    (2, 1, 'dev@example.com', 'Dev Eloper');

insert into projects (id, account_id, name) values
    (1, 1, 'Website relaunch');

insert into tasks (id, project_id, assignee_id, title, status, priority, due_on, labels) values
    (1, 1, 1, 'Collect requirements', 'done', 2, '2026-01-20', '["planning"]'),
    (2, 1, 2, 'Design the landing page', 'in_progress', 2, '2026-02-15', '["design", "frontend"]'),
    (3, 1, 2, 'Set up continuous integration', 'todo', 3, '2026-02-28', '["infra"]'),
    (4, 1, null, 'Write the launch announcement', 'todo', 4, null, '[]');

insert into comments (task_id, author_id, body) values
    (1, 1, 'Requirements signed off by the customer.'),
    (2, 2, 'First draft is in the design folder.');

-- Explicit ids above: move the identity sequences past them.
do $$
begin
    perform setval(pg_get_serial_sequence('accounts', 'id'), (select max(id) from accounts));
    perform setval(pg_get_serial_sequence('users', 'id'), (select max(id) from users));
    perform setval(pg_get_serial_sequence('projects', 'id'), (select max(id) from projects));
    perform setval(pg_get_serial_sequence('tasks', 'id'), (select max(id) from tasks));
end
$$;
