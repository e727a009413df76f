#!/usr/bin/env bash
# The dpm walkthrough on the bundled demo application (a small project
# tracker): capture a dataset, break the local database, get it back, switch,
# migrate, squash; then make the user-generated profile from a production-like
# database with personal data, through sanitize rules and a purge script; and
# look back: the profile's history, a tag, a pin back to May and forward again, a
# diff, one table rolled back; check every object in the store, and reclaim space;
# and rehearse a fix on clones of two profiles.
#
#   shell/demo.sh
#
# Runs on a fresh machine: installs what is missing, builds a release dpm
# (or uses $DPM_BIN), starts a throw-away PostgreSQL, and works in a copy of
# the demo app in a temp folder, so the checkout is never modified.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=shell/lib.sh
. shell/lib.sh

dpm_install_deps
dpm_locate_bin release
pg_cluster_start

workspace="$(mktemp -d "${TMPDIR:-/tmp}/dpm-demo.XXXXXX")"
dpm_rm_on_exit "$workspace"
app="$workspace/tracker"
mkdir "$app"
cp -R dpm.yaml profiles db demo "$app/"
# Local state of a checkout (active profile, store, media) is not part of
# the demo app.
rm -rf "${app:?}/.dpm" "${app:?}/media"
export XDG_CACHE_HOME="$workspace/cache"
cd "$app"
# The demo app is a git repository, as an application's would be: squash's
# changes are reviewed with git.
export GIT_AUTHOR_NAME="dpm demo" GIT_AUTHOR_EMAIL="demo@example.com"
export GIT_COMMITTER_NAME="dpm demo" GIT_COMMITTER_EMAIL="demo@example.com"
git init -q
printf '.dpm/\nmedia/\n' >.gitignore
git add -A && git commit -q -m "demo app"

# step TITLE: a heading before each step of the walkthrough.
step() { printf '\n==> %s\n' "$*"; }
# show COMMAND...: prints the command as a user would type it, then runs it.
show() {
  local arg line="$"
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then
      line+=" $arg"
    else
      arg="${arg//\\/\\\\}"
      arg="${arg//\"/\\\"}"
      arg="${arg//\$/\\\$}"
      arg="${arg//\`/\\\`}"
      line+=" \"$arg\""
    fi
  done
  printf '%s\n' "$line"
  "$@"
}
dpm() { "$DPM_BIN" "$@"; }
sql() { psql -X -q -v ON_ERROR_STOP=1 -d demo_app "$@"; }

row_counts() {
  sql -c "select (select count(*) from accounts) as accounts, (select count(*) from users) as users,
                 (select count(*) from projects) as projects, (select count(*) from tasks) as tasks,
                 (select count(*) from comments) as comments, (select count(*) from attachments) as attachments"
}
# Row counts and media checksums, to prove the restore brought back
# exactly what was captured.
fingerprint() {
  sql -At -c "select (select count(*) from tasks), (select count(*) from comments), (select count(*) from attachments)"
  (cd media && find . -type f -print0 | sort -z | xargs -0 sha256sum)
}

printf 'dpm demo in %s (PostgreSQL on port %s, dpm at %s)\n' "$app" "$PGPORT" "$DPM_BIN"

step "1. What does dpm see? The demo app has three profiles and no working database yet."
show dpm status

step "2. Restore the clean-db profile: base schema and seed data from db/migration-base/clean-db."
show dpm restore clean-db
row_counts

step "3. Use the app for a while: users write tasks and comments and attach files."
show psql -X -q -v ON_ERROR_STOP=1 -d demo_app -f demo/user-generated.sql
show demo/make-media.sh media demo_app
row_counts
printf '%s media files\n' "$(find media -type f | wc -l)"

step "4. Capture it as the user-generated profile: schema, data and media go to the store."
show dpm upload user-generated -m "first capture"
show dpm profile list
show dpm profile show user-generated

step "5. Upload again without changes: every object is already in the store."
show dpm upload user-generated -m "unchanged"

before="$(fingerprint)"

step "6. Break the local data: drop the comments table and delete the media folder."
show psql -X -q -v ON_ERROR_STOP=1 -d demo_app -c "drop table comments cascade"
show rm -rf media

step "7. Get the dataset back."
show dpm restore user-generated --force
row_counts
printf '$ ls -R media | head -n 20\n'
# (through a variable: head closing the pipe early would fail the step)
listing="$(ls -R media)"
head -n 20 <<<"$listing"
after="$(fingerprint)"
if [[ "$before" != "$after" ]]; then
  diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") || true
  die "the restored data differs from what was uploaded"
fi
printf 'restored rows and media files match the capture\n'

step "8. Switch between datasets: clean-db, then back. The first use of each restores a template once."
show dpm use clean-db
row_counts
show dpm use user-generated
row_counts
[[ "$(fingerprint)" == "$before" ]] || die "dpm use user-generated did not bring back the captured data"
show dpm cache refill
show dpm use clean-db
printf '(that one was a rename of a ready spare copy)\n'

step "9. Work in clean-db, then undo: the switch stashed user-generated, and undo brings it back with its media."
show psql -X -q -v ON_ERROR_STOP=1 -d demo_app -c "insert into accounts (name) values ('scratch account')"
show dpm undo
[[ "$(fingerprint)" == "$before" ]] || die "dpm undo did not bring back user-generated"
show dpm stash list

step "10. Attach user-generated beside the working database, under another name, and look inside."
uri="$(dpm attach user-generated --as demo_app_debug)"
printf '$ dpm attach user-generated --as demo_app_debug\n%s\n' "$uri"
show psql -X -q -d "$uri" -c "select count(*) as tasks from tasks"
show dpm detach demo_app_debug

step "11. Migrations: the repository has 13 since the base schema; what has each dataset applied?"
show dpm migrations status
show dpm migrate --to 20260320130000
show dpm upload customer-acme -m "ACME's data as of migration 20260320130000"
show dpm migrate
show dpm upload user-generated -m "after the May release"
printf 'Three profiles, three versions: clean-db at the base, customer-acme half-way, user-generated at the latest.\n'
show dpm migrations status

step "12. Switch to customer-acme and bring it up to date on the way."
show dpm use customer-acme --migrate
show psql -X -q -d demo_app -c "select full_name, open_tasks, open_hours from user_workload order by open_tasks desc limit 3"

step "13. Post-release cleanup: which migrations can be folded into the base schema? customer-acme's snapshot is from before the release."
git add -A && git commit -q -m "profiles: snapshots after the May release"
show dpm squash --dry-run

step "14. ACME got the release: capture it again, then squash for real and review the change with git."
show dpm upload customer-acme -m "after the May release"
git add -A && git commit -q -m "customer-acme: after the May release"
show dpm squash --yes
show git status --short
show dpm use clean-db
show dpm migrations status
[[ -z "$(ls db/migrations)" ]] || die "squash left migration files that every profile has applied"

step "15. A new profile for another customer, and the overall status."
show dpm profile create customer-acme-2 --kind customer --description "ACME's second tenant, for a support ticket"
dpm cache refill >/dev/null # wait for the background copies, so that status shows them ready
show dpm status

step "16. Production to developers. Database demo_prod stands in for production: the June release added phone numbers, support notes, orders (by the customer's email) and login sessions, and real people filled them."
show cp demo/production/20260601090000_add_phones_orders_sessions.sql db/migrations/
git add -A && git commit -q -m "the June release: phones, notes, orders, sessions"
show dpm restore user-generated --into demo_prod
show dpm migrate --db demo_prod
show psql -X -q -v ON_ERROR_STOP=1 -d demo_prod -f demo/production/data.sql
prod_users="select id, email, full_name, phone, left(notes, 58) as notes from users where id in (1, 3, 9) order by id"
show psql -X -q -d demo_prod -c "$prod_users"

step "17. Sanitize rules: what happens to each personal column on the way to the store, and a purge script that runs on a scratch copy first. The key stays out of git."
cat >profiles/user-generated/profile.yaml <<'YAML'
kind: shared
description: "sanitized copy of production"
tables:            # pg_dump pattern semantics
  exclude_data: ["audit_log"]
sanitize:
  columns:
    public.users.email: email
    public.users.full_name: name
    public.users.phone: phone
    public.orders.customer_email: email    # the same key gives the same output: still users.email
    public.orders.billing_address: text
    public.accounts.name: keep             # company names, not people's
    public.projects.name: keep
    public.labels.name: keep
  truncate: [public.sessions]
  scripts: [db/sanitize/purge.sql]
YAML
git add -A && git commit -q -m "user-generated: sanitize rules"
show cat profiles/user-generated/profile.yaml
show cat db/sanitize/purge.sql
printf '$ export DPM_SANITIZE_KEY=…   (from the team'\''s secret store; here a fixed demo key)\n'
export DPM_SANITIZE_KEY="demo-sanitize-key-of-the-tracker-team"

step "18. Is every personal column classified? dpm sanitize check finds one nobody thought of: the support notes, with emails in them."
status=0
show dpm sanitize check user-generated --from dbname=demo_prod || status=$?
[[ $status == 1 ]] || die "dpm sanitize check should have found users.notes unclassified (exit $status)"
printf '\nA hurried "public.users.notes: keep" would silence the check, but not the leak check: the notes quote emails.\n'
# rule_for_notes RULE: the line of users.notes, where the other rules of users are.
rule_for_notes() { sed -i "s/^    public.users.phone: phone\$/&\n    public.users.notes: $1/" profiles/user-generated/profile.yaml; }
rule_for_notes keep
status=0
show dpm upload user-generated --from dbname=demo_prod --no-media -m "notes kept" || status=$?
[[ $status == 1 ]] || die "the leak check should have refused users.notes kept with emails in it (exit $status)"
git diff --quiet -- profiles/user-generated/manifest.json || die "the refused upload changed the manifest"
git checkout -q profiles/user-generated/profile.yaml
printf '\nNothing was stored. The rule the check suggests instead:\n'
rule_for_notes text
show git diff --no-color profiles/user-generated/profile.yaml
git add -A && git commit -q -m "user-generated: a rule for users.notes"
show dpm sanitize check user-generated --from dbname=demo_prod

step "19. Upload from production: the purge script runs on a scratch copy, the rules rewrite the rows before anything is hashed or stored, and the leak check proves that no original value made it into the store."
show dpm upload user-generated --from dbname=demo_prod --no-media -m "production, sanitized" --tag june-production
show dpm profile show user-generated
show dpm profile list

step "20. What a developer gets: restore it, and compare with production."
show dpm restore user-generated --force
printf '\nproduction (demo_prod):\n'
show psql -X -q -d demo_prod -c "$prod_users"
printf 'user-generated, restored (demo_app):\n'
show psql -X -q -d demo_app -c "$prod_users"
show psql -X -q -d demo_app -c "select (select count(*) from orders o join users u on u.email = o.customer_email) as orders_matching_a_user,
         (select count(*) from orders) as orders, (select count(*) from orders where ordered_at < '2025-01-01') as orders_before_2025,
         (select count(*) from sessions) as sessions,
         (select count(*) from users u join accounts a on a.id = u.account_id where a.name = 'QA test accounts') as qa_users"
[[ "$(sql -At -c "select count(*) from users where email in ('admin@example.com', 'globex.user1@example.org')")" == 0 ]] ||
  die "the restored user-generated still holds an original email"
[[ "$(sql -At -c "select count(*) from orders o left join users u on u.email = o.customer_email where u.id is null")" == 0 ]] ||
  die "an order of the restored user-generated does not match its user's sanitized email"
[[ "$(sql -At -c "select count(*) from accounts where name = 'QA test accounts'")" == 0 ]] ||
  die "the restored user-generated still holds QA's test accounts, which the purge script deletes"
[[ "$(sql -At -c "select count(*) from orders where ordered_at < '2025-01-01'")" == 0 ]] ||
  die "the restored user-generated still holds orders before 2025, which the purge script deletes"

step "21. The store over months: every snapshot of user-generated, newest first, with its sizes (what each stored anew), tags, and the commits that pinned it."
git add -A && git commit -q -m "user-generated: production, sanitized"
show dpm log user-generated

step "22. Roll back: the May snapshot is what ACME's contract was signed against. Tag it, pin it, restore it; then forward again to June's."
may="$(dpm log user-generated --json |
  python3 -c 'import json, sys; print(next(s["id"] for s in json.load(sys.stdin)["snapshots"] if s["message"] == "after the May release"))')"
show dpm tag user-generated "$may" acme-contract
show dpm pin user-generated acme-contract
show dpm restore user-generated --force
# users.phone came with the June release (step 16): the May data has none.
phone_column="select count(*) from information_schema.columns where table_name = 'users' and column_name = 'phone'"
[[ "$(sql -At -c "$phone_column")" == 0 ]] || die "dpm restore after the pin did not load the May snapshot"
printf 'the working database holds the May snapshot again: no users.phone column\n'
git commit -q -a -m "user-generated: back to May, for the ACME contract"
show dpm pin user-generated june-production
show dpm use user-generated
[[ "$(sql -At -c "$phone_column")" == 1 ]] || die "dpm use after the pin forward did not load the June snapshot"
git commit -q -a -m "user-generated: forward to June's production data"
show git log --oneline -- profiles/user-generated/manifest.json

step "23. What changed between ACME's contract and June's production data: the schema (users.phone), each table's rows and bytes, media, migrations. The working database is what June's snapshot holds."
show dpm diff user-generated@acme-contract user-generated@june-production
show dpm diff user-generated --working

step "24. Someone edited the labels by mistake. Roll back only that table to the ACME contract's snapshot, in one transaction; the rest of demo_app stays June's."
sql -c "update labels set name = name || ' (edited)'"
show dpm restore user-generated --snapshot acme-contract --table labels --into demo_app
[[ "$(sql -At -c "select count(*) from labels where name like '% (edited)'")" == 0 ]] || die "dpm restore --table did not roll the labels back"
[[ "$(sql -At -c "$phone_column")" == 1 ]] || die "dpm restore --table touched more than the labels"
# May's users have no phone column: they do not fit June's table, and restore says so.
if dpm restore user-generated --snapshot acme-contract --table users --into demo_app; then
  die "dpm restore --table loaded May's users into June's table"
fi

step "25. Is every object in the store still intact? A disk flips one byte of the projects table's data in the store: verify by size cannot see it, verify --read-data finds it, names the snapshot that needs it and marks it; the next upload stores it anew."
# The manifest is the pinned snapshot's record: it names the object of each table's data, and
# for a small table its place in a pack (the pack's id and where the table's bytes begin).
python3 - <<'PY'
import json
data = json.load(open("profiles/user-generated/manifest.json"))["data"]
projects = next(a for a in data if a.get("table") == "public.projects")
pack = projects.get("pack")
key = pack["pack"] if pack else projects["sha256"]
start, length = (pack["offset"], projects["storedSize"]) if pack else (0, None)
path = f".dpm/store/objects/{key[:2]}/{key}"
with open(path, "r+b") as f:
    if length is None:
        f.seek(0, 2); length = f.tell()
    middle = start + length // 2
    f.seek(middle); byte = f.read(1)
    f.seek(middle); f.write(bytes([byte[0] ^ 0x01]))
where = f"pack objects/{key[:2]}/{key}, {length} bytes from byte {start}" if pack else f"objects/{key[:2]}/{key}"
print(f"flipped one byte in the middle of the projects table's data ({where})")
PY
show dpm verify
status=0
show dpm verify --read-data || status=$?
[[ $status == 2 ]] || die "dpm verify --read-data should have found the flipped byte (exit $status)"
show dpm upload user-generated --from dbname=demo_prod --no-media -m "production, sanitized, healed"
show dpm verify --read-data --all

step "26. Reclaim space. prune removes the snapshot records no rule keeps (here: all but the newest, the tagged ones, and any a branch of the repository pins); gc then deletes the objects no remaining record names, and says how many bytes that frees."
git commit -q -a -m "user-generated: healed after verify"
show dpm log user-generated
show dpm prune user-generated --keep-last 1 --keep-tagged --dry-run
show dpm prune user-generated --keep-last 1 --keep-tagged
# gc keeps unreferenced objects younger than the lease window (DPM_LEASE_STALE_SECONDS,
# 15 minutes by default), which may still belong to an upload on another machine. This
# demo's store is minutes old: a window of 5 seconds stands in for a day.
export DPM_LEASE_STALE_SECONDS=5 DPM_LEASE_REFRESH_SECONDS=1
sleep 6
show dpm gc --dry-run
before="$(du -sb .dpm/store | cut -f1)"
show dpm gc
after="$(du -sb .dpm/store | cut -f1)"
printf 'the store went from %s to %s bytes\n' "$before" "$after"
(( after < before )) || die "dpm gc freed nothing after prune removed snapshots"
show dpm verify --all
for tag in acme-contract june-production; do
  dpm log user-generated --json | python3 -c 'import json, sys; sys.exit(0 if any(sys.argv[1] in s["tags"] for s in json.load(sys.stdin)["snapshots"]) else 1)' "$tag" ||
    die "prune removed the snapshot tagged $tag"
done

step "27. Rehearse a hand-written fix before it runs in production: on a clone of user-generated and of customer-acme, timed, with the rows it changes, the locks it takes (CREATE INDEX holds SHARE on tasks: writes wait) and the schema it leaves. demo_app is not touched."
mkdir -p db/fixes
cat >db/fixes/raise_overdue_priority.sql <<'SQL'
-- Overdue tasks that are not done get the top priority, and the overdue query its index.
UPDATE tasks SET priority = 1 WHERE due_on < current_date AND status <> 'done' AND priority <> 1;
CREATE INDEX tasks_due_on_priority_idx ON tasks (due_on, priority);
SQL
before="$(row_counts)"
show dpm rehearse db/fixes/raise_overdue_priority.sql --on user-generated --on customer-acme
[[ "$(row_counts)" == "$before" ]] || die "dpm rehearse changed the working database"
[[ "$(sql -At -c "select count(*) from pg_indexes where indexname = 'tasks_due_on_priority_idx'")" == 0 ]] ||
  die "dpm rehearse created the index in the working database"

step "28. A data change too long for a deploy: dpm transform walks tasks by id in batches of 20, each committed together with its progress row, pausing 200 ms between them. Killed with kill -9 halfway, it resumes after its last committed batch: every task is changed exactly once."
sql -c "alter table tasks add column reviewed_count int not null default 0"
mkdir -p db/transforms
cat >db/transforms/20261203_review_tasks.sql <<'SQL'
-- dpm:batch table=public.tasks key=id size=20 pause=200ms
UPDATE tasks SET reviewed_count = reviewed_count + 1 WHERE id >= :batch_start AND id < :batch_end;
SQL
# The binary itself in the background (not the dpm function, whose subshell kill -9 would miss).
"$DPM_BIN" transform db/transforms/20261203_review_tasks.sql >/dev/null 2>&1 &
transform_pid=$!
# Wait (at most 20 s) until five batches are committed, then kill it as a crash would.
for _ in $(seq 200); do
  done_batches="$(sql -At -c "select coalesce((select batches from dpm_transform_progress), 0)" 2>/dev/null || echo 0)"
  [[ "$done_batches" -ge 5 ]] && break
  sleep 0.1
done
kill -9 "$transform_pid" 2>/dev/null || true
wait "$transform_pid" 2>/dev/null || true
printf 'killed dpm transform (kill -9) after %s committed batches\n' "$done_batches"
show sql -c "select file, last_key_done, batches, rows, finished from dpm_transform_progress"
[[ "$(sql -At -c "select finished is null from dpm_transform_progress")" == t ]] || die "the transform finished before it was killed"
show dpm transform db/transforms/20261203_review_tasks.sql
[[ "$(sql -At -c "select count(*) from tasks where reviewed_count <> 1")" == 0 ]] ||
  die "after the resumed transform, some tasks were not changed exactly once"
printf 'every one of the %s tasks was changed exactly once\n' "$(sql -At -c "select count(*) from tasks")"
status=0
show dpm transform db/transforms/20261203_review_tasks.sql || status=$?
[[ $status != 0 ]] || die "a finished transform should refuse to run again without --again"
sql -c "alter table tasks drop column reviewed_count"

step "29. A command to run whenever dpm fills a database (a search reindex, say; here it counts the tasks): hooks.post_restore in dpm.yaml runs in the project folder with PGDATABASE and DATABASE_URL naming the database just filled. For dpm use it runs when a template is built, so later switches stay instant."
cat >>dpm.yaml <<'YAML'
hooks:
  post_restore: ["psql -X -q -At -c \"select 'post_restore hook: ' || count(*) || ' tasks in ' || current_database() from tasks\""]
YAML
show dpm restore user-generated --into demo_hooked
[[ "$(psql -X -At -d demo_hooked -c "select count(*) from tasks")" -gt 0 ]] || die "the restore with a hook filled no tasks"
psql -X -q -d postgres -c "drop database demo_hooked"

printf '\ndemo finished: every step succeeded\n'
