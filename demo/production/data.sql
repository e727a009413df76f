-- What production holds beyond the user-generated tracker data: real people's phone
-- numbers, support notes that quote their emails, orders with billing addresses, login
-- sessions, and QA's test accounts. Loaded into demo_prod by step 16 of shell/demo.sh.
-- Deterministic (setseed), so every demo run shows the same rows.
\set ON_ERROR_STOP 1

begin;
do $$ begin perform setseed(0.15); end $$;

-- QA's test accounts: nobody needs them on a laptop (db/sanitize/purge.sql deletes them).
insert into accounts (name, plan) values ('QA test accounts', 'team');
insert into users (account_id, email, full_name)
select a.id, 'qa+' || g || '@tracker.test', 'QA Tester ' || g
from accounts a, generate_series(1, 3) g
where a.name = 'QA test accounts';

update users set phone = '+' || (array['49', '33', '44', '1'])[1 + id::int % 4] || ' '
                         || (100 + (id * 37) % 900) || ' ' || lpad(((id * 7919) % 10000000)::text, 7, '0');

-- Support notes quote emails, the users' own and their colleagues': the free text that
-- rules on the email columns alone would let through.
update users u set notes = format(
    (array['Called on %s about the invoice; asked us to write to %s instead.',
           'Password reset requested from %s; confirmed by phone, cc %s.',
           'Prefers email. Escalated by %s, follow up with %s next week.'])[1 + u.id::int % 3],
    case when u.id % 3 = 1 then u.phone else u.email end,
    (select c.email from users c where c.account_id = u.account_id and c.id <> u.id order by c.id limit 1))
where u.id % 2 = 1 or u.account_id = 1;

-- Orders of paid plans since 2023, by the customer's email.
insert into orders (customer_email, plan, amount, billing_address, ordered_at)
select u.email, a.plan, case a.plan when 'team' then 49.00 else 490.00 end,
       (10 + u.id * 3) || ' ' || (array['Main Street', 'Rue de la Paix', 'Baker Street', 'Hauptstrasse'])[1 + u.id::int % 4]
         || E'\n' || (array['10115 Berlin', '75002 Paris', 'NW1 6XE London', '80331 Munich'])[1 + (u.id::int + m) % 4],
       timestamptz '2023-01-15 10:00+00' + m * interval '61 days' + u.id * interval '1 hour'
from users u
join accounts a on a.id = u.account_id and a.plan in ('team', 'enterprise')
cross join generate_series(0, 19) m
where u.id % 3 <> 0;

-- Login sessions: bearer tokens and addresses.
insert into sessions (user_id, token, ip_address, user_agent, last_seen_at)
select u.id, encode(sha256(('session ' || u.id || ' ' || s)::bytea), 'hex'),
       ('203.0.113.' || (u.id * 5 + s) % 250)::inet,
       (array['Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', 'Mozilla/5.0 (Macintosh) Safari/605.1.15'])[1 + s % 2],
       timestamptz '2026-05-20 08:00+00' + s * interval '3 hours'
from users u, generate_series(1, 3) s;

commit;
