alter table tasks add column estimate_hours integer check (estimate_hours >= 0);
