alter table users add column locale text not null default 'en' check (locale in ('en', 'de', 'fr'));
