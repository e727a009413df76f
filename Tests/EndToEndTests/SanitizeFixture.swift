import Foundation

/// The production database of a web shop, with the personal data such a database holds: customers
/// (email, name, phones, login address, API token, password digest, support notes naming other
/// customers' emails, birth date), orders referring to customers by email, addresses, cards,
/// companies and employees referring to each other, contacts imported from an older CRM
/// (fixed-width char(n) columns, domains over text), a partitioned event log, a newsletter table of
/// a Prisma service (quoted camel-case names, citext), sessions, password resets and a
/// partitioned log of login attempts that a sanitized copy drops, and a product catalog no rule
/// touches. Names and places come
/// from lists disjoint from the sanitizer's own, so that any trace of one after sanitizing is a
/// leak and not a coincidence.
enum SanitizeFixture {
    static let schema = #"""
    CREATE EXTENSION IF NOT EXISTS citext;
    CREATE DOMAIN email_address AS text CHECK (VALUE ~ '^[^@[:space:]]+@[^@[:space:]]+\.[a-z]+$');
    CREATE DOMAIN phone_number AS varchar(20);
    CREATE DOMAIN person_name AS text CHECK (VALUE <> '');
    CREATE DOMAIN free_text AS text;

    CREATE TABLE schema_migrations (version text PRIMARY KEY);
    INSERT INTO schema_migrations VALUES ('20250104093000'), ('20250611141500'), ('20260120080000');

    CREATE TABLE users (
        id bigserial PRIMARY KEY,
        public_id uuid NOT NULL,
        email text NOT NULL UNIQUE,
        username text NOT NULL UNIQUE,
        full_name varchar(120) NOT NULL,
        phone text,
        mobile_phone phone_number,
        last_login_ip inet,
        api_token text,
        password_digest text NOT NULL,
        notes text,
        birth_date date,
        country char(2) NOT NULL,
        signup timestamptz NOT NULL
    );
    CREATE UNIQUE INDEX users_public_id ON users (public_id);

    CREATE TABLE orders (
        id bigserial PRIMARY KEY,
        customer_email text NOT NULL REFERENCES users (email),
        shipping_address varchar(200),
        status text NOT NULL,
        quantity integer NOT NULL,
        total numeric(10,2) NOT NULL,
        placed_at timestamp NOT NULL
    );
    CREATE INDEX orders_customer_email ON orders (customer_email);
    CREATE VIEW customer_totals AS SELECT customer_email, count(*) AS orders, sum(total) AS spent FROM orders GROUP BY customer_email;

    CREATE TABLE addresses (
        id serial PRIMARY KEY,
        user_id bigint NOT NULL REFERENCES users (id),
        recipient_name varchar(120) NOT NULL,
        street varchar(80) NOT NULL,
        city varchar(60) NOT NULL,
        zip_code varchar(10),
        country char(2) NOT NULL,
        is_default boolean NOT NULL DEFAULT false
    );

    CREATE TABLE payment_methods (
        id serial PRIMARY KEY,
        user_public_id uuid NOT NULL REFERENCES users (public_id),
        card_number char(16) NOT NULL,
        card_fingerprint char(64) NOT NULL UNIQUE,
        brand text NOT NULL,
        expires_on date NOT NULL
    );

    -- Each company has a billing contact among its employees: the two tables refer to each other.
    CREATE TABLE companies (
        id serial PRIMARY KEY,
        name text NOT NULL UNIQUE,
        allowed_network cidr,
        billing_contact_id integer
    );
    CREATE TABLE employees (
        id serial PRIMARY KEY,
        company_id integer NOT NULL REFERENCES companies (id),
        first_name varchar(60) NOT NULL,
        last_name varchar(60) NOT NULL,
        work_email email_address NOT NULL UNIQUE,
        hired_at timestamp NOT NULL,
        salary_cents bigint NOT NULL,
        commission_rate real
    );
    ALTER TABLE companies ADD CONSTRAINT companies_billing_contact_fk FOREIGN KEY (billing_contact_id) REFERENCES employees (id);

    CREATE TABLE events (
        id bigint NOT NULL,
        occurred_on date NOT NULL,
        user_email text REFERENCES users (email),
        client_ip inet,
        kind text NOT NULL,
        PRIMARY KEY (id, occurred_on)
    ) PARTITION BY RANGE (occurred_on);
    CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');

    -- Contacts imported from the previous CRM, with the fixed-width columns it exported.
    CREATE TABLE crm_contacts (
        id integer PRIMARY KEY,
        contact_email char(60) NOT NULL,
        billing_email varchar(80),
        assistant_email free_text,
        contact_name char(50) NOT NULL,
        display_name person_name NOT NULL,
        alias text,
        given_name char(30),
        preferred_name person_name,
        family_name char(30),
        maiden_name person_name,
        spouse_surname text,
        address_line char(60),
        remarks free_text,
        account_token char(64),
        secret_answer free_text,
        external_ref varchar(64),
        iban char(34),
        passport_number free_text,
        vat_number text
    );

    CREATE TABLE login_attempts (
        id bigint NOT NULL,
        attempted_at timestamptz NOT NULL,
        email text NOT NULL,
        ip inet,
        succeeded boolean NOT NULL
    ) PARTITION BY RANGE (attempted_at);
    CREATE TABLE login_attempts_2025 PARTITION OF login_attempts FOR VALUES FROM ('2025-01-01 00:00+00') TO ('2026-01-01 00:00+00');
    CREATE TABLE login_attempts_2026 PARTITION OF login_attempts FOR VALUES FROM ('2026-01-01 00:00+00') TO ('2027-01-01 00:00+00');

    -- The newsletter service is written with Prisma: quoted camel-case names, a citext email.
    CREATE TABLE "NewsletterSubscriber" (
        "id" serial PRIMARY KEY,
        "emailAddress" citext NOT NULL UNIQUE,
        "firstName" text,
        "subscribedAt" timestamptz NOT NULL
    );

    CREATE TABLE sessions (
        id text PRIMARY KEY,
        user_id bigint NOT NULL REFERENCES users (id),
        ip inet,
        user_agent text,
        expires_at timestamptz NOT NULL
    );
    CREATE TABLE password_resets (
        id serial PRIMARY KEY,
        user_id bigint NOT NULL REFERENCES users (id),
        token text NOT NULL,
        created_at timestamptz NOT NULL
    );

    CREATE TABLE products (
        id serial PRIMARY KEY,
        sku text NOT NULL UNIQUE,
        title text NOT NULL,
        price numeric(8,2) NOT NULL
    );

    -- Names from outside the sanitizer's built-in lists, so that any trace of one after
    -- sanitizing is a leak and not a coincidence.
    CREATE TEMPORARY TABLE vocabulary AS SELECT
        ARRAY['Aurelien', 'Beatriz', 'Cosima', 'Dagny', 'Eero', 'Florentin', 'Gwendolyn', 'Hiroko', 'Ignatius', 'Jolanda',
              'Ksenia', 'Leopold', 'Marisol', 'Niamh', 'Octavia', 'Perpetua', 'Quirin', 'Rosalind', 'Sigrun', 'Thaddeus',
              'Ulrike', 'Valentijn', 'Wilhelmina', 'Xiomara', 'Yannick', 'Zuzana'] AS first,
        ARRAY['Abernathy', 'Bergström', 'Castellanos', 'Drummond', 'Eichhorn', 'Fairweather', 'Grünewald', 'Hawthorne',
              'Iversen', 'Jablonski', 'Kowalczyk', 'Lindqvist', 'Montgomery', 'Nakashima', 'O''Sullivan', 'Papadopoulos',
              'Quintero', 'Rasmussen', 'Szymańska', 'Thorvaldsen', 'Underwood', 'Vanderbilt', 'Wojciechowski',
              'Yamamoto', 'Zielinski'] AS last,
        ARRAY['gmail.com', 'outlook.fr', 'web.de', 'proton.me', 'yahoo.co.uk', 'mail.example.org'] AS domains,
        ARRAY['Rue du Château', 'Königstraße', 'Calle de Alcalá', 'Prinsengracht', 'High Street', 'Via Garibaldi',
              'ul. Długa', 'Avenida da Liberdade'] AS streets,
        ARRAY['Lyon', 'München', 'Sevilla', 'Amsterdam', 'Leeds', 'Torino', 'Gdańsk', 'Porto'] AS cities,
        ARRAY['FR', 'DE', 'ES', 'NL', 'GB', 'IT', 'PL', 'PT'] AS countries;

    INSERT INTO users (public_id, email, username, full_name, phone, mobile_phone, last_login_ip, api_token, password_digest,
                       birth_date, country, signup)
    SELECT md5('user ' || i)::uuid,
           lower(v.first[1 + i % 26]) || '.' || lower(regexp_replace(v.last[1 + (i / 26) % 25], '[^A-Za-z]', '', 'g'))
               || i || '@' || v.domains[1 + i % 6],
           lower(v.first[1 + i % 26]) || '_' || lower(regexp_replace(v.last[1 + (i / 26) % 25], '[^A-Za-z]', '', 'g')) || '_' || i,
           v.first[1 + i % 26] || ' ' || chr(65 + (i / 3) % 26) || '. ' || v.last[1 + (i / 26) % 25],
           CASE i % 4
               WHEN 0 THEN NULL
               WHEN 1 THEN '+33 4 ' || substr(d, 1, 2) || ' ' || substr(d, 3, 2) || ' ' || substr(d, 5, 2) || ' ' || substr(d, 7, 2)
               WHEN 2 THEN '+49 30 ' || substr(d, 1, 8)
               ELSE '(020) ' || substr(d, 1, 4) || '-' || substr(d, 5, 4)
           END,
           CASE WHEN i % 3 = 0 THEN NULL ELSE '+44 7' || substr(d, 2, 3) || ' ' || substr(d, 4, 6) END,
           CASE i % 10
               WHEN 0 THEN NULL
               WHEN 1 THEN ('2001:db8:' || to_hex(i) || '::' || to_hex((i * 13) % 65536))::inet
               ELSE ((ARRAY[203, 81, 172, 91, 185])[1 + i % 5] || '.' || (i % 200 + 1) || '.' || (i / 200 % 256) || '.' || ((i * 7) % 254 + 1))::inet
           END,
           CASE WHEN i % 5 = 0 THEN NULL ELSE 'tok_' || encode(sha256(('api ' || i)::bytea), 'hex') END,
           '$2a$12$' || substr(translate(encode(sha256(('pw ' || i)::bytea), 'base64'), '+=', './'), 1, 43) || substr(d, 1, 10),
           CASE WHEN i % 11 = 0 THEN NULL ELSE DATE '1950-01-01' + (i * 37) % 20000 END,
           v.countries[1 + i % 8],
           TIMESTAMPTZ '2019-01-01 00:00:00+00' + ((i * 97) % 2500000) * interval '1 minute'
    FROM generate_series(1, 2000) i, vocabulary v,
         LATERAL (SELECT lpad(((i * 7919 + 1234567) % 100000000)::text, 8, '0') || lpad((i % 97)::text, 2, '0') AS d) digits;

    -- Support notes: free text, a quarter of them naming another customer's address (as typed: some capitalized).
    UPDATE users SET notes = CASE users.id % 4
            WHEN 0 THEN 'Referred by ' || CASE WHEN users.id % 8 = 0 THEN other.email ELSE initcap(other.email) END || E'.\nPrefers contact after 6pm.'
            WHEN 1 THEN 'Called about a refund (ticket ' || (users.id * 31) || ').'
            ELSE NULL
        END
    FROM users other WHERE other.id = 1 + (users.id * 7) % 2000;

    INSERT INTO orders (customer_email, shipping_address, status, quantity, total, placed_at)
    SELECT u.email,
           CASE WHEN i % 13 = 0 THEN NULL
                WHEN i % 50 = 1 THEN (i % 180 + 1) || ' ' || v.streets[1 + i % 8] || E'\tc/o reception\\back door'
                ELSE (i % 180 + 1) || ' ' || v.streets[1 + i % 8] || E'\n' || lpad(((i * 389) % 99999)::text, 5, '0') || ' ' || v.cities[1 + (i / 8) % 8] END,
           (ARRAY['pending', 'paid', 'shipped', 'delivered', 'refunded'])[1 + i % 5],
           1 + i % 9,
           round(5 + ((i * 7907) % 49500) / 100.0, 2),
           TIMESTAMP '2024-01-01 08:00:00' + i * interval '97 minutes'
    FROM generate_series(1, 4000) i JOIN users u ON u.id = 1 + (i * 31) % 2000, vocabulary v;

    INSERT INTO addresses (user_id, recipient_name, street, city, zip_code, country, is_default)
    SELECT u.id,
           -- Most parcels go to the customer; some are gifts to someone else.
           CASE WHEN i % 10 = 0 THEN v.first[1 + (i / 3) % 26] || ' ' || v.last[1 + i % 25] ELSE u.full_name END,
           (i % 120 + 1) || ' ' || v.streets[1 + (i / 5) % 8],
           v.cities[1 + i % 8],
           CASE WHEN i % 17 = 0 THEN NULL ELSE lpad(((i * 389) % 99999)::text, 5, '0') END,
           u.country,
           i <= 2000
    FROM generate_series(1, 2200) i JOIN users u ON u.id = 1 + (i - 1) % 2000, vocabulary v;

    INSERT INTO payment_methods (user_public_id, card_number, card_fingerprint, brand, expires_on)
    SELECT u.public_id,
           (ARRAY['4', '5', '3'])[1 + i % 3] || lpad(((i::bigint * 982451653) % 1000000000000000)::text, 15, '0'),
           encode(sha256(('card ' || i)::bytea), 'hex'),
           (ARRAY['visa', 'mastercard', 'amex'])[1 + i % 3],
           DATE '2026-01-31' + (i % 48) * interval '1 month'
    FROM generate_series(1, 1500) i JOIN users u ON u.id = 1 + (i * 3) % 2000;

    INSERT INTO companies (name, allowed_network)
    SELECT (ARRAY['Nordwind Freight', 'Acme Logistics', 'Blue Harbour Foods', 'Kestrel Analytics', 'Lumen Textiles'])[1 + i % 5] || ' ' || (ARRAY['GmbH', 'SA', 'Ltd', 'BV', 'SpA', 'Sp. z o.o.'])[1 + i % 6],
           CASE i % 4 WHEN 0 THEN NULL
                      WHEN 1 THEN ('2001:db8:' || to_hex(4096 + i) || '::/48')::cidr
                      ELSE ('198.51.' || (i * 3) || '.0/24')::cidr END
    FROM generate_series(1, 30) i;

    INSERT INTO employees (company_id, first_name, last_name, work_email, hired_at, salary_cents, commission_rate)
    SELECT 1 + i % 30,
           v.first[1 + (i * 5) % 26],
           v.last[1 + (i * 3) % 25],
           lower(v.first[1 + (i * 5) % 26]) || '.' || i || '@' || lower(split_part(c.name, ' ', 1)) || '.example.com',
           TIMESTAMP '2012-03-01 09:00:00' + (i * 11) * interval '1 day' + (i % 8) * interval '1 hour',
           3000000 + (i * 12347) % 9000000,
           CASE WHEN i % 4 = 0 THEN NULL ELSE (ARRAY[0.05, 0.075, 0.1, 0.125])[1 + i % 4]::real END
    FROM generate_series(1, 300) i JOIN companies c ON c.id = 1 + i % 30, vocabulary v;
    UPDATE companies SET billing_contact_id = (SELECT min(e.id) FROM employees e WHERE e.company_id = companies.id);

    INSERT INTO events (id, occurred_on, user_email, client_ip, kind)
    SELECT i,
           DATE '2025-01-01' + (i * 13) % 540,
           CASE WHEN i % 6 = 0 THEN NULL ELSE u.email END,
           u.last_login_ip,
           (ARRAY['login', 'view_product', 'add_to_cart', 'checkout', 'logout'])[1 + i % 5]
    FROM generate_series(1, 4000) i JOIN users u ON u.id = 1 + (i * 17) % 2000;

    -- Half the contacts are customers too, under the same email.
    INSERT INTO crm_contacts
    SELECT i,
           CASE WHEN i % 2 = 0 THEN u.email ELSE lower(f) || '.' || lower(a) || '@' || v.domains[1 + i % 6] END,
           CASE WHEN i % 3 = 0 THEN NULL ELSE 'billing+' || i || '@' || lower(a) || '-consulting.example.net' END,
           CASE WHEN i % 4 = 0 THEN NULL ELSE 'assistant.' || i || '@' || v.domains[1 + (i + 2) % 6] END,
           f || ' ' || l, f || ' ' || l || ' (' || v.cities[1 + i % 8] || ')',
           CASE WHEN i % 5 = 0 THEN NULL ELSE 'Ms ' || l END,
           f, CASE WHEN i % 2 = 0 THEN NULL ELSE v.first[1 + (i * 7) % 26] END,
           l, CASE WHEN i % 3 = 0 THEN NULL ELSE v.last[1 + (i * 11) % 25] END,
           CASE WHEN i % 4 = 0 THEN NULL ELSE v.last[1 + (i * 13) % 25] END,
           (i % 90 + 1) || ' ' || v.streets[1 + i % 8] || ', ' || v.cities[1 + (i / 8) % 8],
           CASE WHEN i % 6 = 0 THEN NULL ELSE 'Met ' || f || E' at the fair in ' || v.cities[1 + i % 8] || E'.\nCall before noon.' END,
           encode(sha256(('crm ' || i)::bytea), 'hex'),
           CASE WHEN i % 7 = 0 THEN NULL ELSE 'First pet: ' || v.first[1 + (i * 5) % 26] END,
           'CRM-' || md5('contact ' || i),
           'DE' || lpad((i % 97)::text, 2, '0') || ' 3704 0044 ' || lpad(((i * 7919) % 10000)::text, 4, '0') || ' ' || lpad(((i * 104729) % 10000)::text, 4, '0') || ' 00',
           CASE WHEN i % 8 = 0 THEN NULL ELSE 'C' || lpad(((i * 48271) % 100000000)::text, 8, '0') END,
           'FR' || lpad(((i * 16807) % 100000000000)::text, 11, '0')
    FROM generate_series(1, 300) i JOIN users u ON u.id = 1 + (i * 7) % 2000, vocabulary v,
         LATERAL (SELECT v.first[1 + (i * 3) % 26] AS f, v.last[1 + (i * 17) % 25] AS l,
                         regexp_replace(v.last[1 + (i * 17) % 25], '[^A-Za-z]', '', 'g') AS a) person;

    INSERT INTO login_attempts (id, attempted_at, email, ip, succeeded)
    SELECT i, TIMESTAMPTZ '2025-06-01 00:00:00+00' + i * interval '13 hours', u.email, u.last_login_ip, i % 7 <> 0
    FROM generate_series(1, 1000) i JOIN users u ON u.id = 1 + (i * 41) % 2000;

    -- Half the subscribers are customers with the same address (some typed capitalized).
    INSERT INTO "NewsletterSubscriber" ("emailAddress", "firstName", "subscribedAt")
    SELECT CASE WHEN i % 2 = 1 THEN 'reader.' || lower(v.first[1 + i % 26]) || i || '@' || v.domains[1 + i % 6]
                WHEN i % 4 = 0 THEN initcap(u.email) ELSE u.email END,
           CASE WHEN i % 5 = 0 THEN NULL ELSE v.first[1 + (i * 3) % 26] END,
           TIMESTAMPTZ '2023-03-01 00:00:00+00' + i * interval '7 hours'
    FROM generate_series(1, 800) i JOIN users u ON u.id = 1 + (i * 3) % 2000, vocabulary v;

    INSERT INTO sessions (id, user_id, ip, user_agent, expires_at)
    SELECT encode(sha256(('session ' || i)::bytea), 'hex'), 1 + (i * 11) % 2000, ('185.' || (i % 250) || '.3.' || (i % 200 + 1))::inet,
           (ARRAY['Mozilla/5.0 (X11; Linux x86_64)', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4)'])[1 + i % 2],
           TIMESTAMPTZ '2026-02-01 00:00:00+00' + i * interval '5 minutes'
    FROM generate_series(1, 1500) i;
    INSERT INTO password_resets (user_id, token, created_at)
    SELECT 1 + (i * 29) % 2000, encode(sha256(('reset ' || i)::bytea), 'base64'), TIMESTAMPTZ '2026-01-15 12:00:00+00' + i * interval '1 hour'
    FROM generate_series(1, 200) i;

    INSERT INTO products (sku, title, price)
    SELECT 'SKU-' || lpad(i::text, 5, '0'),
           (ARRAY['Merino scarf', 'Ceramic mug', 'Walnut cutting board', 'Linen apron', 'Copper kettle'])[1 + i % 5] || ', size ' || (1 + i % 4),
           round(4.5 + (i * 37 % 20000) / 100.0, 2)
    FROM generate_series(1, 200) i;

    DROP TABLE vocabulary;
    """#

    /// Given names, family names, streets and cities of the originals: none may appear in a
    /// sanitized copy, not even inside another text.
    static let originalWords = [
        "Aurelien", "Beatriz", "Cosima", "Dagny", "Eero", "Florentin", "Gwendolyn", "Hiroko", "Ignatius", "Jolanda",
        "Ksenia", "Leopold", "Marisol", "Niamh", "Octavia", "Perpetua", "Quirin", "Rosalind", "Sigrun", "Thaddeus",
        "Ulrike", "Valentijn", "Wilhelmina", "Xiomara", "Yannick", "Zuzana",
        "Abernathy", "Bergström", "Castellanos", "Drummond", "Eichhorn", "Fairweather", "Grünewald", "Hawthorne",
        "Iversen", "Jablonski", "Kowalczyk", "Lindqvist", "Montgomery", "Nakashima", "O'Sullivan", "Papadopoulos",
        "Quintero", "Rasmussen", "Szymańska", "Thorvaldsen", "Underwood", "Vanderbilt", "Wojciechowski", "Yamamoto", "Zielinski",
        "Rue du Château", "Königstraße", "Calle de Alcalá", "Prinsengracht", "High Street", "Via Garibaldi", "ul. Długa",
        "Avenida da Liberdade", "Lyon", "München", "Sevilla", "Amsterdam", "Leeds", "Torino", "Gdańsk", "Porto",
    ]

    static let passwordPlaceholder = "$2a$12$invalidinvalidinvalidinvalidinvalidinvalidinvalidinv"

    /// A rule for every personal column (and a few more, so that every rule meets each of its
    /// column types): text, varchar(n), char(n), domains over text and varchar, uuid, inet, cidr,
    /// date, timestamp, timestamptz, integer, bigint, numeric(10,2) and real.
    static let columnRules: [(column: String, rule: String)] = [
        ("public.users.public_id", "uuid"),                         // uuid, unique index
        ("public.users.email", "email"),                            // text, unique, referenced by orders and events
        ("public.users.username", "hash"),                          // text, unique
        ("public.users.full_name", "name"),                         // varchar(120)
        ("public.users.phone", "phone"),                            // text
        ("public.users.mobile_phone", "phone"),                     // domain phone_number over varchar(20)
        ("public.users.last_login_ip", "ip"),                       // inet, IPv4 and IPv6
        ("public.users.api_token", "hash"),                         // text
        ("public.users.password_digest", "value:\(passwordPlaceholder)"),
        ("public.users.notes", "null"),                             // free text naming other customers' emails
        ("public.users.birth_date", "date-shift:30"),               // date
        ("public.users.signup", "date-shift:7"),                    // timestamptz
        ("public.users.country", "keep"),                           // char(2)
        ("public.orders.customer_email", "email"),                  // foreign key to users.email
        ("public.orders.shipping_address", "text"),                 // varchar(200), two lines
        ("public.orders.quantity", "int-noise:20"),                 // integer
        ("public.orders.total", "int-noise:10"),                    // numeric(10,2)
        ("public.addresses.recipient_name", "name"),                // mostly the customer's own name
        ("public.addresses.street", "text"),                        // varchar(80)
        ("public.addresses.city", "text"),                          // varchar(60)
        ("public.addresses.zip_code", "mask:2"),                    // varchar(10)
        ("public.payment_methods.user_public_id", "uuid"),          // foreign key to users.public_id
        ("public.payment_methods.card_number", "mask:4"),           // char(16)
        ("public.payment_methods.card_fingerprint", "hash"),        // char(64), unique
        ("public.companies.name", "keep"),
        ("public.companies.allowed_network", "ip"),                 // cidr
        ("public.employees.first_name", "first_name"),              // varchar(60)
        ("public.employees.last_name", "last_name"),                // varchar(60)
        ("public.employees.work_email", "email"),                   // domain email_address over text, unique
        ("public.employees.hired_at", "date-shift:14"),             // timestamp
        ("public.employees.salary_cents", "int-noise:5"),           // bigint
        ("public.employees.commission_rate", "int-noise:10"),       // real
        ("public.events.user_email", "email"),                      // on the partitioned parent
        ("public.events.client_ip", "ip"),
        ("public.NewsletterSubscriber.emailAddress", "email"),     // citext, unique; a quoted camel-case name
        ("public.NewsletterSubscriber.firstName", "first_name"),   // text
        // The CRM import: each text rule on char(n), varchar(n), text and domains over text.
        ("public.crm_contacts.contact_email", "email"),             // char(60)
        ("public.crm_contacts.billing_email", "email"),             // varchar(80)
        ("public.crm_contacts.assistant_email", "email"),           // domain free_text over text
        ("public.crm_contacts.contact_name", "name"),               // char(50)
        ("public.crm_contacts.display_name", "name"),               // domain person_name over text, with a CHECK
        ("public.crm_contacts.alias", "name"),                      // text
        ("public.crm_contacts.given_name", "first_name"),           // char(30)
        ("public.crm_contacts.preferred_name", "first_name"),       // person_name
        ("public.crm_contacts.family_name", "last_name"),           // char(30)
        ("public.crm_contacts.maiden_name", "last_name"),           // person_name
        ("public.crm_contacts.spouse_surname", "last_name"),        // text
        ("public.crm_contacts.address_line", "text"),               // char(60)
        ("public.crm_contacts.remarks", "text"),                    // free_text, two lines
        ("public.crm_contacts.account_token", "hash"),              // char(64)
        ("public.crm_contacts.secret_answer", "hash"),              // free_text
        ("public.crm_contacts.external_ref", "hash"),               // varchar(64)
        ("public.crm_contacts.iban", "mask:4"),                     // char(34)
        ("public.crm_contacts.passport_number", "mask:3"),          // free_text
        ("public.crm_contacts.vat_number", "mask:2"),               // text
    ]

    static let truncated = ["public.sessions", "public.password_resets", "public.login_attempts"]
    /// The truncated tables and the partitions of the partitioned one.
    static let emptied = truncated + ["public.login_attempts_2025", "public.login_attempts_2026"]
    /// Tables whose data some rule changes (the partitions of events hold its rows).
    static let sanitizedTables = [
        "public.users", "public.orders", "public.addresses", "public.payment_methods", "public.companies", "public.employees",
        "public.events_2025", "public.events_2026", "public.NewsletterSubscriber", "public.crm_contacts",
    ]
    static let untouchedTables = ["public.products", "public.schema_migrations"]

    static let key = "fixture-sanitize-key-0123456789"
    static let otherKey = "another-sanitize-key-9876543210"

    static func create(in harness: Harness) throws {
        try harness.psql("CREATE DATABASE \"\(harness.database)\"", in: "postgres")
        try harness.psql(schema)
    }

    /// `columnRules` with `column`'s rule replaced (nil: removed), or a rule added.
    static func rules(setting column: String, to rule: String?) -> [(column: String, rule: String)] {
        var rules = columnRules.filter { $0.column != column }
        if let rule { rules.append((column, rule)) }
        return rules
    }

    /// A profile.yaml with a sanitize section; every rule double-quoted, as a user who pastes
    /// `value:` texts would write it.
    static func profile(kind: String = "shared", columns: [(column: String, rule: String)] = columnRules,
                        truncate: [String] = truncated, sensitive: [String]? = nil) -> String {
        var yaml = "kind: \(kind)\ndescription: production with personal data replaced\nsanitize:\n  columns:\n"
        for (column, rule) in columns {
            yaml += "    \(column): \"\(rule.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\"\n"
        }
        yaml += "  truncate: [\(truncate.joined(separator: ", "))]\n"
        if let sensitive { yaml += "  sensitive: [\(sensitive.joined(separator: ", "))]\n" }
        return yaml
    }
}
