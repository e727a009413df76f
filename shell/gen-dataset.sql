-- Generates a realistic benchmark dataset of roughly :scale MB (as measured
-- by pg_database_size) in the current database:
--
--   psql -v ON_ERROR_STOP=1 -v scale=1024 -d bench -f shell/gen-dataset.sql
--
-- Unlike pgbench's filler, the data compresses like real application data
-- (about 2-4:1): free text is drawn word by word from a dictionary with a
-- skewed (Zipf-like) frequency, identifiers are random UUIDs, amounts,
-- timestamps and JSON payloads vary row by row. Everything is generated on
-- the server; the only client-side step is the dictionary set-up.
--
-- Tables: customers (name, email, phone: the personal data the sanitize step's rules
-- cover), orders (FK customers), order_items (FK orders),
-- events (jsonb payload), documents (long text, tags). Primary keys,
-- foreign keys and secondary indexes are created after the load, as a
-- restore would.

\set ON_ERROR_STOP 1
\if :{?scale}
\else
  do $$ begin raise exception 'usage: psql -v scale=SIZE_MB -f gen-dataset.sql'; end $$;
\endif

set jit = off;                        -- compiling these one-off queries costs more than it saves
set maintenance_work_mem = '256MB';   -- faster index builds
select setseed(0.2026);               -- same words every run (UUIDs still differ)

-- Rows per target MB, calibrated so pg_database_size lands near :scale MiB
-- (an empty database already takes about 8 MB of catalogs). Shares of the
-- size: documents ~35%, events ~25%, order_items ~18%, orders ~15%,
-- customers ~5%.
select greatest(:scale - 8, 1) as data_mb \gset
select greatest(10, round(:data_mb * 214))::bigint  as n_customers,
       greatest(10, round(:data_mb * 498))::bigint  as n_orders,
       greatest(10, round(:data_mb * 867))::bigint  as n_events,
       greatest(10, round(:data_mb * 86))::bigint   as n_documents
\gset

-- ---------------------------------------------------------------------------
-- Dictionary: ~200 common English words first (they get picked most often
-- because of the skew), then a few thousand made-up words built from
-- syllables, so the vocabulary is large like real text.
-- ---------------------------------------------------------------------------
create temporary table dict_words (i int primary key, w text not null);

insert into dict_words
select row_number() over (), w
from unnest(string_to_array(
  'the of and to in is for that on with as it was by at be this from are or '
  'an have not but had they which you were all their has been one can there '
  'more will would about if when what so no out up into other some time than '
  'only new its also could after two first these may any like then over such '
  'how most where between our through back years well should because each '
  'those under customer order account payment invoice delivery shipping '
  'product price discount refund return support ticket issue request report '
  'team project release version update change status review approved '
  'pending closed open error warning failed success user email phone address '
  'city country street number date week month year today tomorrow please '
  'thanks regards note meeting call schedule plan budget cost total amount '
  'item quantity stock warehouse supplier contract agreement terms service '
  'quality feedback survey rating comment question answer problem solution '
  'system server database backup network security access password login '
  'session page screen button form field value list table file document '
  'attachment image photo video link message notification reminder',
  ' ')) as w;

-- Made-up words: 1-4 syllables each, deduplicated.
insert into dict_words
select (select max(i) from dict_words) + row_number() over (order by min(g)), w
from (
  select g, (select string_agg(s.a[1 + floor(random() * array_length(s.a, 1))::int], '')
             from (select array['ka','lo','mi','ne','ru','sa','ti','vo','be','da','fe','gi',
                                'ho','ja','ku','le','ma','no','pi','re','so','tu','ve','wa',
                                'xi','yo','ze','an','el','in','or','us','ar','en','is','om',
                                'ut','ba','ce','di','str','pl','th','ch','qu','ght'] as a) s,
                  generate_series(1, 1 + (g % 4))) as w
  from generate_series(1, 7000) g
) x
where w not in (select w from dict_words)
group by w;

-- The dictionary as constants: one byte string with every word, plus the
-- offset and length of each word. Picking a word is then O(1)
-- (substring of bytea, subscript of an int4 array); text[] subscripts would
-- walk the array and be ~30x slower.
select string_agg(w, '' order by i)                       as dict_blob,
       array_agg(o order by i)::text                      as dict_offs,
       array_agg(octet_length(w) order by i)::text        as dict_lens,
       count(*)                                           as dict_n
from (select i, w, 1 + coalesce(sum(octet_length(w)) over (order by i rows between unbounded preceding and 1 preceding), 0)::int as o
      from dict_words) d
\gset

-- pg_temp.words(n): n random words separated by spaces. Zipf-like skew:
-- power(random(), 3) favours the first (common) words.
select format($f$
create function pg_temp.words(n int) returns text language sql volatile as $body$
  select convert_from(string_agg(substring(%L::bytea from d.o[k] for d.l[k]), ' '::bytea), 'UTF8')
  from (select %L::int[] as o, %L::int[] as l) d,
       lateral (select 1 + floor(power(random(), 3) * %s)::int as k from generate_series(1, n)) s
$body$$f$, :'dict_blob', :'dict_offs', :'dict_lens', :dict_n)
\gexec

-- pg_temp.word(): one random word.
create function pg_temp.word() returns text language sql volatile as $$ select pg_temp.words(1) $$;

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------
create type order_status as enum ('cart', 'placed', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded');

create table customers (
    id          bigint generated by default as identity,
    external_id uuid not null default gen_random_uuid(),
    name        text not null,
    email       text not null,
    phone       text,
    country     char(2) not null,
    city        text not null,
    created_at  timestamptz not null,
    balance     numeric(12, 2) not null default 0,
    marketing_opt_in boolean not null default false,
    notes       text
);

create table orders (
    id           bigint generated by default as identity,
    external_id  uuid not null default gen_random_uuid(),
    customer_id  bigint not null,
    status       order_status not null,
    ordered_at   timestamptz not null,
    shipped_at   timestamptz,
    currency     char(3) not null,
    total        numeric(12, 2) not null,
    shipping_address text not null,
    note         text
);

create table order_items (
    order_id    bigint not null,
    line_no     int not null,
    sku         text not null,
    description text not null,
    quantity    int not null check (quantity > 0),
    unit_price  numeric(10, 2) not null,
    discount    numeric(4, 2) not null default 0
);

create table events (
    id           bigint generated by default as identity,
    occurred_at  timestamptz not null,
    customer_id  bigint,
    kind         text not null,
    session_id   uuid not null,
    payload      jsonb not null
);

create table documents (
    id           bigint generated by default as identity,
    customer_id  bigint,
    title        text not null,
    body         text not null,
    tags         text[] not null default '{}',
    language     text not null default 'en',
    created_at   timestamptz not null,
    updated_at   timestamptz not null
);

-- ---------------------------------------------------------------------------
-- Data
-- ---------------------------------------------------------------------------
\echo customers: :n_customers
-- Names are "Given M. Family" from lists of their own (none of them a dictionary word, nor in
-- dpm's name lists), so no other field, and no output of the bench's `name` rule, equals one:
-- the sanitize step's leak check compares every stored field with the original names.
insert into customers (name, email, phone, country, city, created_at, balance, marketing_opt_in, notes)
select (array['Aurelio', 'Bogdan', 'Casimir', 'Dagny', 'Eilif', 'Florin', 'Gunnhild', 'Horatio', 'Ionela', 'Jorunn',
              'Kazimiera', 'Leopold', 'Mireille', 'Nandor', 'Ottilie', 'Przemek', 'Quirin', 'Radovan', 'Solveig',
              'Teodor', 'Ulrike', 'Vesna', 'Wendelin', 'Xaver', 'Yannick', 'Zdenka', 'Benedikt', 'Cordula', 'Dorota',
              'Eberhard'])[1 + floor(random() * 30)::int]
         || ' ' || chr(65 + floor(random() * 26)::int) || '. ' ||
       (array['Albescu', 'Brandvold', 'Czerny', 'Dobrev', 'Eriksdottir', 'Fagerlund', 'Grigorescu', 'Halvorsen',
              'Ivanova', 'Jovanovic', 'Kaczmarek', 'Lindqvist', 'Marinescu', 'Nemeth', 'Oberholzer', 'Popescu',
              'Quaglia', 'Radu', 'Stojanovic', 'Toivonen', 'Urbanek', 'Vukovic', 'Wojcik', 'Yilmaz', 'Zielinski',
              'Bergstrom', 'Constantin', 'Dragomir', 'Esposito', 'Fontaine'])[1 + floor(random() * 30)::int],
       'user' || g || '.' || pg_temp.word() || '@' || (array['example.com', 'mail.test', 'corp.example', 'shop.test'])[1 + g % 4],
       -- 13 digits, so that the `phone` rule's keyed digits all but never make another customer's
       -- number (which the leak check would count as a hit)
       case when random() < 0.85 then
         '+' || (array['1', '44', '49', '33', '31', '46'])[1 + floor(random() * 6)::int] || ' '
           || lpad(floor(random() * 1000)::int::text, 3, '0') || ' ' || lpad(floor(random() * 100000000)::int::text, 8, '0')
       end,
       (array['US', 'DE', 'FR', 'GB', 'NL', 'ES', 'IT', 'PL', 'SE', 'JP', 'BR', 'CA'])[1 + floor(random() * 12)::int],
       initcap(pg_temp.word()),
       timestamptz '2018-01-01' + random() * interval '8 years',
       round((random() * 5000 - 500)::numeric, 2),
       random() < 0.35,
       case when random() < 0.4 then pg_temp.words(5 + floor(random() * 25)::int) end
from generate_series(1, :n_customers) g;

\echo orders: :n_orders
insert into orders (customer_id, status, ordered_at, shipped_at, currency, total, shipping_address, note)
select c, s.status, s.at,
       case when s.status in ('shipped', 'delivered') then s.at + random() * interval '6 days' end,
       (array['USD', 'EUR', 'GBP', 'JPY'])[1 + floor(random() * 4)::int],
       0,
       floor(1 + random() * 300)::int || ' ' || initcap(pg_temp.word()) || ' Street, '
         || lpad(floor(random() * 99999)::int::text, 5, '0') || ' ' || initcap(pg_temp.word()),
       case when random() < 0.15 then pg_temp.words(3 + floor(random() * 15)::int) end
from (
  select 1 + floor(random() * :n_customers)::bigint as c,
         (enum_range(null::order_status))[1 + floor(power(random(), 0.5) * 7)::int] as status,
         timestamptz '2019-01-01' + random() * interval '7 years' as at
  from generate_series(1, :n_orders)
) s;

\echo order_items: about 3 per order
-- Here and below, "+ (x % 1)" adds zero but refers to the outer row, which
-- makes PostgreSQL re-evaluate the random count per row instead of once.
insert into order_items (order_id, line_no, sku, description, quantity, unit_price, discount)
select o.id, l,
       upper(substr(md5((o.id * 7 + l) % 20000 || ''), 1, 3)) || '-' || lpad(((o.id * 7 + l) % 20000)::text, 6, '0'),
       initcap(pg_temp.words(2 + floor(random() * 5)::int)),
       1 + floor(power(random(), 4) * 20)::int,
       round((1 + power(random(), 2) * 400)::numeric, 2),
       (array[0, 0, 0, 0.05, 0.10, 0.15, 0.25])[1 + floor(random() * 7)::int]
from orders o, generate_series(1, 1 + floor(random() * 5)::int + (o.id % 1)::int) l;

-- Order totals from their items (one pass, as an application would store them).
update orders o set total = t.total
from (select order_id, round(sum(quantity * unit_price * (1 - discount)), 2) as total
      from order_items group by order_id) t
where t.order_id = o.id;

\echo events: :n_events
insert into events (occurred_at, customer_id, kind, session_id, payload)
select e.at, e.c, e.kind, gen_random_uuid(),
       case e.kind
         when 'page_view' then jsonb_build_object(
           'path', '/' || pg_temp.word() || '/' || pg_temp.word(),
           'referrer', case when random() < 0.5 then 'https://' || pg_temp.word() || '.example/' || pg_temp.word() end,
           'duration_ms', floor(random() * 30000)::int,
           'viewport', jsonb_build_object('w', (array[360, 768, 1280, 1440, 1920])[1 + floor(random() * 5)::int],
                                          'h', (array[640, 800, 900, 1080])[1 + floor(random() * 4)::int]),
           'user_agent', (array['Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
                                'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15',
                                'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36',
                                'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148'])[1 + floor(random() * 4)::int])
         when 'search' then jsonb_build_object(
           'query', pg_temp.words(1 + floor(random() * 4)::int),
           'results', floor(random() * 200)::int,
           'filters', jsonb_build_object('category', pg_temp.word(), 'max_price', floor(random() * 500)::int))
         when 'cart_update' then jsonb_build_object(
           'items', (select jsonb_agg(jsonb_build_object('sku', 'SKU-' || floor(random() * 20000)::int,
                                                         'qty', 1 + floor(random() * 3)::int))
                     from generate_series(1, 1 + floor(random() * 4)::int + (e.g % 1)::int)),
           'currency', 'EUR')
         else jsonb_build_object(
           'message', pg_temp.words(4 + floor(random() * 12)::int),
           'level', (array['info', 'warning', 'error'])[1 + floor(random() * 3)::int],
           'trace_id', md5(random()::text))
       end
from (
  select g, timestamptz '2024-01-01' + random() * interval '2 years' as at,
         case when random() < 0.8 then 1 + floor(random() * :n_customers)::bigint end as c,
         (array['page_view', 'page_view', 'page_view', 'search', 'cart_update', 'app_log'])[1 + floor(random() * 6)::int] as kind
  from generate_series(1, :n_events) g
) e;

\echo documents: :n_documents
insert into documents (customer_id, title, body, tags, created_at, updated_at)
select d.c,
       initcap(pg_temp.words(3 + floor(random() * 6)::int)),
       -- paragraphs of sentences; long documents end up TOASTed, like real ones
       -- sentences of 6-25 words; a paragraph break after about every fifth
       (select string_agg(upper(left(t.x, 1)) || substr(t.x, 2) || '.',
                          case when random() < 0.2 then E'\n\n' else ' ' end)
        from generate_series(1, d.sentences) s(i),
             lateral pg_temp.words(6 + floor(random() * 20)::int + 0 * s.i) as t(x)),
       array(select pg_temp.word() from generate_series(1, floor(random() * 5)::int + (d.c % 1)::int)),
       d.at, d.at + random() * interval '90 days'
from (
  select 1 + floor(random() * :n_customers)::bigint as c,
         -- mostly a few KB, some much longer
         (5 + floor(power(random(), 2) * 120))::int as sentences,
         timestamptz '2020-01-01' + random() * interval '6 years' as at
  from generate_series(1, :n_documents)
) d;

-- ---------------------------------------------------------------------------
-- Keys and indexes, after the load.
-- ---------------------------------------------------------------------------
\echo indexes and constraints
alter table customers add primary key (id);
create unique index customers_email_key on customers (email);
alter table orders add primary key (id);
alter table orders add foreign key (customer_id) references customers (id);
create index orders_customer_idx on orders (customer_id, ordered_at);
alter table order_items add primary key (order_id, line_no);
alter table order_items add foreign key (order_id) references orders (id) on delete cascade;
alter table events add primary key (id);
create index events_occurred_idx on events (occurred_at);
alter table documents add primary key (id);
alter table documents add foreign key (customer_id) references customers (id);

select setval(pg_get_serial_sequence('customers', 'id'), (select max(id) from customers));
select setval(pg_get_serial_sequence('orders', 'id'), (select max(id) from orders));

vacuum (analyze) customers, orders, order_items, events, documents;
