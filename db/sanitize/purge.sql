-- Run by `dpm upload user-generated` on a scratch copy of the source (see the `scripts:` of
-- profiles/user-generated/profile.yaml), before the sanitize rules; the source itself is
-- never changed. What a developer's copy does not need at all goes here.

-- QA's test accounts, with their users and everything of theirs (foreign keys cascade).
delete from accounts where name = 'QA test accounts';

-- Orders before 2025: the bookkeeping's, not the developers'.
delete from orders where ordered_at < timestamptz '2025-01-01 00:00+00';
