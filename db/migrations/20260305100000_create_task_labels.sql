create table task_labels (
    task_id   bigint not null references tasks (id) on delete cascade,
    label_id  bigint not null references labels (id) on delete cascade,
    primary key (task_id, label_id)
);
