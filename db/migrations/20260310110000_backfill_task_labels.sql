-- Data migration: every label in tasks.labels (jsonb) becomes a labels row, linked to its tasks.
insert into labels (account_id, name)
select distinct p.account_id, l.name
from tasks t
join projects p on p.id = t.project_id
cross join lateral jsonb_array_elements_text(t.labels) as l(name)
on conflict (account_id, name) do nothing;

insert into task_labels (task_id, label_id)
select t.id, lb.id
from tasks t
join projects p on p.id = t.project_id
cross join lateral jsonb_array_elements_text(t.labels) as l(name)
join labels lb on lb.account_id = p.account_id and lb.name = l.name
on conflict do nothing;
