-- The jsonb copy of the labels is no longer read (see task_labels).
alter table tasks drop column labels;
