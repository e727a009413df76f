-- Plausible user-generated content on top of the clean-db profile: more
-- accounts, users, projects, a few hundred tasks and comments, attachment
-- rows (their files are made by demo/make-media.sh) and audit entries.
-- Deterministic (setseed) so every demo run produces the same rows.
\set ON_ERROR_STOP 1

begin;

-- Same rows on every run (setseed inside DO so psql prints nothing).
do $$ begin perform setseed(0.42); end $$;

create temporary table words (w text[]) on commit drop;
insert into words values (array[
  'login', 'page', 'button', 'error', 'customer', 'invoice', 'report', 'export',
  'mobile', 'layout', 'search', 'filter', 'slow', 'timeout', 'email', 'password',
  'reset', 'dashboard', 'chart', 'upload', 'download', 'payment', 'checkout',
  'cart', 'profile', 'avatar', 'settings', 'notification', 'translation', 'typo',
  'crash', 'sync', 'calendar', 'reminder', 'permission', 'admin', 'role', 'api',
  'webhook', 'token', 'session', 'cache', 'database', 'migration', 'backup',
  'release', 'staging', 'production', 'review', 'design', 'copy', 'banner',
  'onboarding', 'signup', 'tooltip', 'modal', 'dark', 'mode', 'accessibility',
  'keyboard', 'shortcut', 'pdf', 'csv', 'import', 'duplicate', 'merge', 'archive']);

-- Three more customer accounts with their people.
insert into accounts (name, plan)
select v.name, v.plan
from (values ('Globex', 'enterprise'), ('Initech', 'team'), ('Umbrella Labs', 'free')) as v(name, plan);

insert into users (account_id, email, full_name)
select a.id,
       lower(replace(a.name, ' ', '')) || '.user' || g || '@example.org',
       (array['Alex', 'Sam', 'Robin', 'Kim', 'Jo', 'Chris', 'Pat', 'Lee'])[1 + g % 8] || ' ' ||
       (array['Miller', 'Garcia', 'Nguyen', 'Schmidt', 'Rossi', 'Kowalski', 'Silva'])[1 + (g * 7 + a.id::int) % 7]
from accounts a, generate_series(1, 6) g
where a.name <> 'Demo Company';

insert into projects (account_id, name)
select a.id, p.name
from accounts a
cross join (values ('Mobile app'), ('Billing'), ('Internal tools')) as p(name)
where a.name <> 'Demo Company';

-- 400 tasks spread over the projects, with labels and due dates.
insert into tasks (project_id, assignee_id, title, status, priority, due_on, labels, created_at)
select p.id,
       (select u.id from users u where u.account_id = p.account_id order by u.id offset (g % 6) limit 1),
       initcap(w.w[1 + floor(random() * array_length(w.w, 1))::int]) || ' ' ||
         w.w[1 + floor(random() * array_length(w.w, 1))::int] || ' ' ||
         w.w[1 + floor(random() * array_length(w.w, 1))::int] || ' issue #' || g,
       (enum_range(null::task_status))[1 + floor(random() * 4)::int],
       1 + floor(random() * 5)::int,
       case when random() < 0.8 then date '2026-01-01' + floor(random() * 180)::int end,
       to_jsonb(array(select distinct w.w[1 + floor(random() * array_length(w.w, 1))::int]
                      from generate_series(1, 1 + (g % 3)))),
       timestamptz '2026-01-01 09:00+00' + random() * interval '120 days'
from generate_series(1, 400) g
cross join words w
join lateral (select id, account_id from projects where id > 1 order by id offset (g % 9) limit 1) p on true;

-- Two or so comments per task, a few sentences each.
insert into comments (task_id, author_id, body, created_at)
select t.id,
       (select u.id from users u join projects p on p.account_id = u.account_id
        where p.id = t.project_id order by u.id offset (c % 6) limit 1),
       (select string_agg(w.w[1 + floor(random() * array_length(w.w, 1))::int], ' ')
        from words w, generate_series(1, 8 + (t.id::int * c) % 30)) || '.',
       t.created_at + c * interval '5 hours'
from tasks t
cross join generate_series(1, 2 + (random() < 0.3)::int) c
where t.id > 4;

-- Attachments: media/attachments/<project>/<task>/<file>. demo/make-media.sh
-- reads these rows and writes the files (size_bytes bytes each).
insert into attachments (task_id, path, content_type, size_bytes)
select t.id, 'attachments/' || t.project_id || '/' || t.id || '/' || v.file, v.content_type, v.size_bytes
from (values
  (5,  'screenshot-login.png', 'image/png', 20480),
  (5,  'console.log', 'text/plain', 1200),
  (6,  'invoice-2026-01.pdf', 'application/pdf', 40960),
  (9,  'export.csv', 'text/csv', 900),
  (12, 'mockup-v2.png', 'image/png', 81920),
  (12, 'notes.md', 'text/markdown', 400),
  (20, 'crash-report.txt', 'text/plain', 1500),
  (31, 'diagram.svg', 'image/svg+xml', 700)
) as v(task_id, file, content_type, size_bytes)
join tasks t on t.id = v.task_id;

insert into audit_log (actor_id, action, details, at)
select 1 + (g % 20), (array['login', 'task.update', 'comment.create', 'export'])[1 + g % 4],
       jsonb_build_object('ip', '192.0.2.' || (g % 250), 'agent', 'demo'),
       timestamptz '2026-01-01 00:00+00' + g * interval '37 minutes'
from generate_series(1, 300) g;

commit;
