create view user_workload as
select u.id as user_id,
       u.full_name,
       count(t.id) filter (where t.status <> 'done') as open_tasks,
       coalesce(sum(t.estimate_hours) filter (where t.status <> 'done'), 0) as open_hours
from users u
left join tasks t on t.assignee_id = u.id
group by u.id, u.full_name;
