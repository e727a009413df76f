-- Function and trigger: updated_at follows every change of a task.
create function touch_updated_at() returns trigger
language plpgsql as $$
begin
    new.updated_at := now();
    return new;
end
$$;

create trigger tasks_touch_updated_at
    before update on tasks
    for each row execute function touch_updated_at();
