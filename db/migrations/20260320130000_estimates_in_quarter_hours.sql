-- Column type change: whole hours were too coarse.
alter table tasks drop constraint tasks_estimate_hours_check;
alter table tasks alter column estimate_hours type numeric(6,2) using estimate_hours::numeric(6,2);
alter table tasks add constraint tasks_estimate_hours_check check (estimate_hours >= 0);
